"""Every benchmark script runs in its --smoke size, so none of them rots unnoticed.

The scripts are dealt into the test files of this folder (SCRIPTS[k::FILES] for file k):
the suite's workers take a file at a time, and these are its longest tests. A script that
starts Ray runs in tests/scenarios/test_executors.py instead, after the Ray tests there: two
Ray clusters starting at once on one machine (two workers) hung the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "bench"
STARTS_RAY = [BENCH / "bench_scenarios.py"]
SCRIPTS = sorted(set(BENCH.glob("bench_*.py")) - set(STARTS_RAY))
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
