"""Which domain may import which, and a domain reads another through its services: never
through the other's tables or repository (see ../shared/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import carexport

SRC = Path(carexport.__file__).resolve().parent
# Every domain may use the settings, the domain errors and the C heap's release (memory:
# a leaf that imports nothing of carexport).
BASE = {"config", "errors", "memory"}
CORE = BASE | {"db", "network", "orders", "planning", "plans", "tracking", "kpi", "scenarios"}
# Domain -> the other domains its modules may import.
ALLOWED: dict[str, set[str]] = {
    "config": {"errors"},  # a bad setting is a domain error (errors imports nothing)
    "errors": set(),
    "memory": set(),
    "db": BASE,
    "network": BASE | {"db"},
    "orders": BASE | {"db", "network"},
    # Pure (test_planning_purity): only the frozen NetworkSnapshot and its value types.
    "planning": {"network", "errors"},  # errors: the located Problem of check()
    "plans": BASE | {"db", "network", "orders", "planning", "tracking"},
    "tracking": BASE | {"db", "network", "orders"},
    "kpi": BASE | {"db", "network", "orders", "plans", "tracking"},
    # Re-plans perturbed copies of the network and order book; reads transit history.
    "scenarios": BASE | {"db", "network", "orders", "planning", "plans", "tracking"},
    # Who may do what; reads no other domain (the edge enforces it on every route).
    "access": BASE | {"db"},
    # The edge: thin shells over the services above.
    "api": CORE | {"web", "access"},  # the app serves the dashboard too
    # The dashboard: pages over the same services the API uses, and its dependencies.
    "web": CORE | {"api", "access"},
    "cli": CORE | {"api", "web", "access"},  # serve runs the app
}
# A domain's HTTP layer may also use the API's shared parts (session and organisation
# dependencies, the error and problem shapes).
HTTP_LAYERS = {"endpoints", "schemas"}
HTTP_SHARED = {"carexport.api.deps", "carexport.api.schemas"}
# Layers only their own domain may import.
PRIVATE_LAYERS = {"tables", "repository"}

# (importing module, imported module) -> why it is allowed for now. The test fails when
# an entry is no longer needed, so the list only shrinks.
ALLOWED_VIOLATIONS: dict[tuple[str, str], str] = {
    # By design: the registry imports every table so that Alembic and create_all see them.
    **{
        ("carexport.db.models_registry", f"carexport.{domain}.tables"): "the table registry"
        for domain in ("access", "network", "orders", "plans", "tracking", "scenarios")
    },
    # The FVL facts of a migrated store are filled by the code that keeps them at ingest
    # (a computation over each VIN's events that SQL would only repeat).
    (
        "carexport.db.migrations.versions.0011_fvl_sums",
        "carexport.tracking.service",
    ): "a data migration",
}


def source_modules() -> dict[str, Path]:
    """Every module of the package by its dotted name."""
    modules = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def is_module(name: str) -> bool:
    """Whether a dotted name under carexport is a module or package (not an attribute)."""
    path = SRC.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(path: Path, module: str) -> set[str]:
    """The carexport modules the file of a module imports: relative imports resolved, and
    `from m import n` counted as m.n when n is a module, else as m."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for item in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(item, ast.Import):
            found.update(alias.name for alias in item.names)
        elif isinstance(item, ast.ImportFrom):
            if item.level:
                base = package.rsplit(".", item.level - 1)[0] if item.level > 1 else package
                source = f"{base}.{item.module}" if item.module else base
            else:
                source = item.module or ""
            for alias in item.names:
                name = f"{source}.{alias.name}"
                found.add(name if is_module(name) else source)
        elif (
            isinstance(item, ast.Call)
            and isinstance(item.func, ast.Name | ast.Attribute)
            and getattr(item.func, "attr", getattr(item.func, "id", "")) == "import_module"
            and item.args
            and isinstance(item.args[0], ast.Constant)
        ):
            found.add(str(item.args[0].value))
    return {m for m in found if m == "carexport" or m.startswith("carexport.")}


def violations(module: str, imported: set[str]) -> dict[tuple[str, str], str]:
    """(module, imported module) -> the rule it breaks. The package itself (carexport,
    for its __version__) is no domain and free to import."""
    domain, _, rest = module.removeprefix("carexport.").partition(".")
    layer = rest.partition(".")[0]
    found = {}
    for name in sorted(imported):
        other, _, other_rest = name.removeprefix("carexport").removeprefix(".").partition(".")
        if not other or other == domain:
            continue
        if other not in ALLOWED[domain] and not (layer in HTTP_LAYERS and name in HTTP_SHARED):
            found[(module, name)] = f"{domain} may not import {other}"
        elif other_rest.partition(".")[0] in PRIVATE_LAYERS:
            found[(module, name)] = f"{domain} reads {other} through {name}, not its services"
    return found


def all_violations() -> dict[tuple[str, str], str]:
    return {
        key: why
        for module, path in source_modules().items()
        if module != "carexport"
        for key, why in violations(module, imported_modules(path, module)).items()
    }


def test_the_map_names_every_domain_on_disk() -> None:
    on_disk = {name.split(".")[1] for name in source_modules() if name != "carexport"}
    assert on_disk == set(ALLOWED)
    assert set().union(*ALLOWED.values()) <= set(ALLOWED)


def test_domains_import_only_what_they_may_and_never_another_domains_tables() -> None:
    new = {key: why for key, why in all_violations().items() if key not in ALLOWED_VIOLATIONS}
    assert new == {}


def test_every_allowed_violation_is_still_there() -> None:
    found = all_violations()
    assert [key for key in ALLOWED_VIOLATIONS if key not in found] == [], (
        "fixed, so remove them from ALLOWED_VIOLATIONS"
    )


def test_the_check_catches_bad_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from carexport.tracking import service\n"
        "from carexport.network.tables import NodeRow\n"
        "from carexport.network import repository as network_repository\n"
        "from . import repository\n"
        "from .rules import check_orders\n"
        "import carexport.api.app\n"
        "from carexport.api.deps import OrgDep\n"
        "from carexport import __version__, planning\n"
        "import importlib\n"
        "importlib.import_module('carexport.kpi.service')\n",
        encoding="utf-8",
    )
    imported = imported_modules(sample, "carexport.orders.sample")
    assert imported == {
        "carexport",
        "carexport.api.app",
        "carexport.api.deps",
        "carexport.kpi.service",
        "carexport.network.repository",
        "carexport.network.tables",
        "carexport.orders.repository",
        "carexport.orders.rules",
        "carexport.planning",
        "carexport.tracking.service",
    }
    assert set(violations("carexport.orders.sample", imported).values()) == {
        "orders may not import api",
        "orders may not import kpi",
        "orders may not import planning",
        "orders may not import tracking",
        "orders reads network through carexport.network.repository, not its services",
        "orders reads network through carexport.network.tables, not its services",
    }
    # The HTTP layer may use the API's shared parts, and only those.
    assert set(violations("carexport.orders.endpoints", imported)) >= {
        ("carexport.orders.endpoints", "carexport.api.app")
    }
    assert ("carexport.orders.endpoints", "carexport.api.deps") not in violations(
        "carexport.orders.endpoints", imported
    )
