"""Benchmark smoke runs, share 3 of smoke.FILES (see smoke.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench_smoke.smoke import share, smoke_run


@pytest.mark.parametrize("script", share(3), ids=[s.stem for s in share(3)])
def test_benchmark_smoke_run(script: Path) -> None:
    smoke_run(script)
