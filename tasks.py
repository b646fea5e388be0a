#!/usr/bin/env python3
"""Bootstrap and run carexport on a machine that has nothing but Python 3.11+.

    python3 tasks.py demo    # the main job on the embedded default (SQLite, built-in data)
    python3 tasks.py test    # the whole test suite: ruff, mypy, pytest

uv is used when it is on PATH; otherwise it is installed with pip into .tools/ (a private
virtual environment), so nothing outside this folder is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools"


def find_uv() -> str:
    on_path = shutil.which("uv")
    if on_path:
        return on_path
    bin_dir = TOOLS / ("Scripts" if os.name == "nt" else "bin")
    uv = bin_dir / ("uv.exe" if os.name == "nt" else "uv")
    if not uv.exists():
        print("tasks.py: uv not found; installing it into .tools/ with pip", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
        subprocess.run(
            [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "uv"], check=True
        )
    return str(uv)


def run(*args: str) -> int:
    return subprocess.run(list(args), cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "sync", "cli"}:
        print(__doc__)
        return 2
    uv = find_uv()
    # --python pins the environment to the interpreter running this script: uv must not
    # try to download one (the machines have no internet beyond the package registries).
    sync = [uv, "sync", "--frozen", "--python", sys.executable, "--quiet"]
    if run(*sync) != 0:
        return 1
    command, rest = argv[0], argv[1:]
    if command == "sync":
        return 0
    if command == "demo":
        return run(uv, "run", "--frozen", "carexport", "demo", *rest)
    if command == "cli":
        return run(uv, "run", "--frozen", "carexport", *rest)
    # pytest runs four workers (pytest-xdist), a test file to a worker: most of the suite's
    # time is waiting (servers, subprocesses, databases), so more workers than cores pay.
    # Arguments given to `tasks.py test` replace these defaults.
    # --no-loadscope-reorder keeps the collection order (longest files first, see
    # tests/conftest.py) instead of xdist's order by number of tests per file.
    parallel = rest or [
        "-n", "4", "--dist", "loadfile", "--no-loadscope-reorder", "--durations", "15"
    ]  # fmt: skip
    for step in (
        [uv, "run", "--frozen", "ruff", "check", "src", "tests", "bench", "tasks.py"],
        [uv, "run", "--frozen", "mypy"],
        [uv, "run", "--frozen", "pytest", *parallel],
    ):
        code = run(*step)
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
