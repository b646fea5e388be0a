"""`carexport --help` stays cheap: no heavy module is imported to show the commands."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("polars", "highspy", "ray", "numpy", "fastapi", "scipy")


def test_cli_import_does_not_load_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from carexport.cli import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
