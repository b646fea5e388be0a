"""Every benchmark script runs in its --smoke size, so none of them rots unnoticed.

The scripts are dealt into the test files of this folder (SCRIPTS[k::FILES] for file k):
the suite's workers take a file at a time, and these are its longest tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "bench"
SCRIPTS = sorted(BENCH.glob("bench_*.py"))
FILES = 4


def share(k: int) -> list[Path]:
    """The scripts test file k runs."""
    return SCRIPTS[k::FILES]


def smoke_run(script: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(script), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "goal" in result.stdout  # every benchmark prints its figures beside its goal
