"""The same jobs give the same results in this process, on the local pool and on Ray, and a
Ray cluster of two nodes on this machine runs them on both."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carexport.network.dataset import builtin_folder, read_dataset
from carexport.planning.problem import PlanParameters
from carexport.scenarios.executors import LocalPool, RayExecutor
from carexport.scenarios.runner import Inputs, inputs_of, jobs_for
from carexport.scenarios.spec import parse_specs
from tests.bench_smoke.smoke import STARTS_RAY, smoke_run
from tests.scenarios.test_runner import book

ray = pytest.importorskip(
    "ray", reason="ray is not importable here: the Ray executor cannot be tested"
)

SPEC = """
name: mix
title: Alashankou +5 days and 20% less Zeebrugge capacity, with random transits
source: test
changes:
  - {kind: border_delay, node: CN_ALASHANKOU, days: 5}
  - {kind: capacity_cut, route: cape, pct: 20}
stochastic: {transit: range, samples: 3, seed: 11}
"""


@pytest.fixture(scope="module")
def inputs() -> Inputs:
    snapshot = read_dataset(builtin_folder()).snapshot()
    vehicles = book(
        [
            ("DE1", "DEEPAL_S07_BEV_LHD", "CN_CQ_CHANGAN", "DE", 6),
            ("GB1", "DEEPAL_S07_BEV_RHD", "CN_CQ_CHANGAN", "GB", 6),
            ("TH1", "DEEPAL_S07_BEV_RHD", "CN_CQ_CHANGAN", "TH", 6),
        ]
    )
    return inputs_of(
        snapshot, vehicles, PlanParameters(start=dt.date(2025, 6, 2), horizon_days=120)
    )


def without_time(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in results]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"no Ray head on port {port} after {seconds} s")


@pytest.fixture
def two_node_cluster() -> Iterator[str]:
    """A head and a second node on this machine, each `ray start --block` in a process group
    of its own, so teardown ends exactly the processes this test started."""
    ray_cli = str(Path(sys.executable).parent / "ray")
    temp = tempfile.mkdtemp(prefix="cxray-")
    port = _free_port()
    address = f"127.0.0.1:{port}"
    # Token auth off for this cluster, as it is for this test's driver: `ray start` turns it
    # on when it finds a ~/.ray/auth_token (a local ray.init() writes one, so the second
    # run of the suite on a machine failed with "Authentication token is missing").
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    common = ["--block", "--num-cpus=1", "--disable-usage-stats", "--node-ip-address=127.0.0.1"]
    nodes: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> None:
        nodes.append(
            subprocess.Popen(
                [ray_cli, "start", *args, *common],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )

    try:
        start("--head", f"--port={port}", f"--temp-dir={temp}", "--include-dashboard=false")
        _wait_for_port(port, 180)  # a loaded machine (a test file per worker) is slow to start Ray
        start(f"--address={address}")
        ray.init(address=address, log_to_driver=False)
        deadline = time.monotonic() + 180
        while sum(n["Alive"] for n in ray.nodes()) < 2:
            if time.monotonic() > deadline:
                raise TimeoutError("the second Ray node did not join within 180 s")
            time.sleep(0.2)
        yield address
    finally:
        ray.shutdown()
        # SIGINT is Ctrl-C: `ray start --block` stops its node; whatever is left of the
        # group after a grace period is killed, and every child is reaped.
        for node in reversed(nodes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.pid, signal.SIGINT)
        for node in reversed(nodes):
            with contextlib.suppress(subprocess.TimeoutExpired):
                node.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.pid, signal.SIGKILL)
            node.wait()
        shutil.rmtree(temp, ignore_errors=True)


def test_same_seed_same_results_serial_pool_and_two_ray_nodes(
    inputs: Inputs, two_node_cluster: str
) -> None:
    # One Ray cluster for the file: each start costs tens of seconds on a loaded machine.
    # bench/bench_scenarios.py --smoke (below) starts Ray on its own (RayExecutor(None)).
    jobs = jobs_for(parse_specs(SPEC, "mix.yaml"), None, None)
    assert len(jobs) == 6
    serial = without_time(LocalPool(1).run(inputs, jobs))
    pool = without_time(LocalPool(2).run(inputs, jobs))
    executor = RayExecutor(two_node_cluster)  # joins the cluster the fixture connected to
    on_ray = without_time(executor.run(inputs, jobs))
    assert len(executor.nodes_used) == 2
    assert serial == pool == on_ray
    # The draws differ between samples (the test would pass vacuously otherwise).
    assert len({r["cost_usd"] for r in serial if r["scenario"] == "mix"}) > 1


@pytest.mark.parametrize("script", STARTS_RAY, ids=[s.stem for s in STARTS_RAY])
def test_benchmark_smoke_run_with_ray(script: Path) -> None:
    # Here rather than in tests/bench_smoke/: this file's tests run on one worker, one after
    # another, so only one Ray cluster is ever starting (see tests/bench_smoke/smoke.py).
    smoke_run(script)
