"""Benchmark smoke runs, share 1 of smoke.FILES (see smoke.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench_smoke.smoke import share, smoke_run


@pytest.mark.parametrize("script", share(1), ids=[s.stem for s in share(1)])
def test_benchmark_smoke_run(script: Path) -> None:
    smoke_run(script)
