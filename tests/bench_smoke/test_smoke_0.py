"""Benchmark smoke runs, share 0 of smoke.FILES (see smoke.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench_smoke.smoke import share, smoke_run


@pytest.mark.parametrize("script", share(0), ids=[s.stem for s in share(0)])
def test_benchmark_smoke_run(script: Path) -> None:
    smoke_run(script)


def test_every_benchmark_is_in_a_share() -> None:
    from tests.bench_smoke.smoke import BENCH, FILES, SCRIPTS, STARTS_RAY

    assert SCRIPTS
    dealt = [s for k in range(FILES) for s in share(k)] + STARTS_RAY
    assert sorted(dealt) == sorted(BENCH.glob("bench_*.py"))
    assert len(list(Path(__file__).parent.glob("test_smoke_*.py"))) == FILES
