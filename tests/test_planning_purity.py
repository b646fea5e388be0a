"""The planning package is a pure optimisation core: no database, web, CLI or Ray code."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import carexport.planning

FORBIDDEN = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "typer",
    "carexport.cli",
    "carexport.db",
    "carexport.api",
    "ray",
)
PLANNING = Path(carexport.planning.__file__).resolve().parent


def forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


def test_importing_the_planner_loads_no_database_web_cli_or_ray_module() -> None:
    code = (
        "import json, sys\nimport carexport.planning.run\nprint(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "carexport.planning.run" in loaded
    assert [m for m in loaded if forbidden(m)] == []


def imported_modules(path: Path) -> list[str]:
    """Absolute names of everything a file imports (relative imports resolved)."""
    package = "carexport.planning"
    names = []
    for item in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(item, ast.Import):
            names += [alias.name for alias in item.names]
        elif isinstance(item, ast.ImportFrom):
            if item.level:
                base = package.rsplit(".", item.level - 1)[0] if item.level > 1 else package
                module = f"{base}.{item.module}" if item.module else base
            else:
                module = item.module or ""
            names.append(module)
            names += [f"{module}.{alias.name}" for alias in item.names]
        elif (
            isinstance(item, ast.Call)
            and isinstance(item.func, ast.Name | ast.Attribute)
            and getattr(item.func, "attr", getattr(item.func, "id", "")) == "import_module"
            and item.args
            and isinstance(item.args[0], ast.Constant)
        ):
            names.append(str(item.args[0].value))
    return names


def test_no_planning_source_file_imports_them() -> None:
    files = sorted(PLANNING.rglob("*.py"))
    assert PLANNING / "run.py" in files
    offenders = {
        str(f.relative_to(PLANNING)): bad
        for f in files
        if (bad := [m for m in imported_modules(f) if forbidden(m)])
    }
    assert offenders == {}


def test_the_static_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from sqlalchemy.orm import Session\nimport ray\nfrom carexport import db\n"
        "import importlib\nimportlib.import_module('fastapi')\nimport polars\n",
        encoding="utf-8",
    )
    assert [m for m in imported_modules(sample) if forbidden(m)] == [
        "sqlalchemy.orm",
        "sqlalchemy.orm.Session",
        "ray",
        "carexport.db",
        "fastapi",
    ]
