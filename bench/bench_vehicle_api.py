"""Benchmark: GET /vehicles/{vin} under load, 1 and 2 uvicorn workers, 1M VINs, 10M events.

The world (bench/tracking_world.py) is loaded into a fresh database (orders imported, a
plan per VIN, the events ingested), then `carexport serve --workers N` runs it (N = 1,
then 2: --workers) with no access log; requests carry a viewer's API token. A load
generator in this process (bench/loadgen.py: closed loop, keep-alive connections, the
other core) asks for random VINs' detail: status, ETA, the next
milestone, the itinerary planned against actual. In the same run and on the same server,
the floor: GET /health, a constant JSON answer of the same app through the same
middleware and thread pool. Goal (issue 5): >= 1,000 requests/s with p99 <= 25 ms.

    uv run python bench/bench_vehicle_api.py                    # 1M VINs, 10M events
    uv run python bench/bench_vehicle_api.py --vins 100000 --events 1000000
    uv run python bench/bench_vehicle_api.py --smoke            # seconds; what CI runs

PostgreSQL is used too when CAREXPORT_TEST_DATABASE_URL (or --pg URL) names a server.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import urllib.request
from pathlib import Path

from carexport.db.session import make_engine, unit_of_work
from carexport.tracking.ingest import ingest, numbered
from common import api_token, database, free_port, serve
from loadgen import LoadResult, run_load
from tracking_world import ORG, events, load_world, make_world

GOAL_RATE = 1_000
GOAL_P99_MS = 25.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vins", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument(
        "--concurrency", default="4,8,16", help="connections of the load generator, one run each"
    )
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument(
        "--workers", default="1,2", help="uvicorn worker processes, one server each (e.g. 1,2)"
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--smoke", action="store_true", help="a tiny run (CI)")
    parser.add_argument("--pg", default=os.environ.get("CAREXPORT_TEST_DATABASE_URL"))
    args = parser.parse_args()
    vins, count = (2_000, 20_000) if args.smoke else (args.vins, args.events)
    duration, warmup = (1.0, 0.5) if args.smoke else (args.duration, 3.0)
    if args.smoke:
        args.concurrency = "8"  # each worker count once: CI checks it runs, not the figures
    backends = [b for b in args.backends.split(",") if b == "sqlite" or args.pg]

    results: list[tuple[str, int, str, LoadResult]] = []
    with tempfile.TemporaryDirectory(prefix="carexport-bench-") as folder:
        workdir = Path(folder)
        t0 = time.perf_counter()
        world = make_world(vins, workdir=workdir)
        stream = events(world, count=count)
        tracked = stream["vin"].unique().sort().to_list()
        sample = random.Random(1).sample(tracked, min(len(tracked), 100_000))
        print(
            f"world: {world.vehicles.height:,} VINs, {stream.height:,} events over "
            f"{len(tracked):,} VINs, made in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        for backend in backends:
            with database(backend, workdir, args.pg) as url:
                t0 = time.perf_counter()
                load_world(url, world)
                engine = make_engine(url)
                with unit_of_work(engine) as session:
                    ingest(session, ORG, numbered(stream), source="bench")
                engine.dispose()
                print(f"{backend}: loaded in {time.perf_counter() - t0:.0f} s", flush=True)
                auth = {"Authorization": f"Bearer {api_token(url, ORG)}"}
                for workers in (int(w) for w in args.workers.split(",")):
                    for name, result in load_server(
                        url, workers, sample, auth, args, duration, warmup
                    ):
                        results.append((backend, workers, name, result))

    print()
    print(
        f"{'backend':<11}{'workers':>8} {'endpoint':<22}{'conns':>6}{'req/s':>9}{'p50 ms':>8}{'p90 ms':>8}"
        f"{'p99 ms':>8}{'max ms':>8}{'errors':>8}{'of floor':>9}{'own ms':>8}{'goal':>6}"
    )
    floor = {
        (b, w, r.concurrency): r.requests_per_s
        for b, w, n, r in results
        if n.startswith("GET /health")
    }
    for backend, workers, name, r in results:
        health = floor[backend, workers, r.concurrency]
        # The server's time per request is 1 / rate (it is the busy side); the handler's own
        # is what a vehicle request costs beyond /health, which shares all the rest.
        own = 1000 * workers / r.requests_per_s - 1000 * workers / health if r.requests_per_s else 0
        met = r.requests_per_s >= GOAL_RATE and r.p99_ms <= GOAL_P99_MS
        print(
            f"{backend:<11}{workers:>8} {name:<22}{r.concurrency:>6}{r.requests_per_s:>9,.0f}"
            f"{r.p50_ms:>8.2f}{r.p90_ms:>8.2f}{r.p99_ms:>8.2f}{r.max_ms:>8.1f}{r.errors:>8}"
            f"{100 * r.requests_per_s / health:>8.0f}%"
            + (f"{own:>8.2f}{'met' if met else 'no':>6}" if name.startswith("GET /veh") else "")
        )
    print(
        f"goal: GET /vehicles/{{vin}} >= {GOAL_RATE:,} requests/s with p99 <= {GOAL_P99_MS:.0f} ms "
        "(one uvicorn worker, random VINs; 'of floor' = share of GET /health's rate; 'own ms' = "
        "CPU ms per vehicle request beyond /health's, per worker: workers / rate difference)"
    )


def load_server(
    url: str,
    workers: int,
    sample: list[str],
    auth: dict[str, str],
    args: argparse.Namespace,
    duration: float,
    warmup: float,
) -> list[tuple[str, LoadResult]]:
    """`carexport serve --workers N` on url, /health then random vehicles at each
    concurrency (every request authenticated with the token)."""
    port = free_port()
    server = serve(url, ORG, port, workers=workers)
    results = []
    try:
        with urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{port}/vehicles/{sample[0]}", headers=auth),
            timeout=5,
        ) as response:
            detail = json.loads(response.read())
        assert detail["vin"] == sample[0] and detail["itinerary"], detail
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            for name, paths in (
                ("GET /health (floor)", ["/health"]),
                ("GET /vehicles/{vin}", [f"/vehicles/{v}" for v in sample]),
            ):
                result = run_load(
                    "127.0.0.1",
                    port,
                    paths,
                    concurrency=concurrency,
                    duration=duration,
                    warmup=warmup,
                    headers=auth,
                )
                results.append((name, result))
                print(f"{workers} worker(s) {name}:\n{result.summary()}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


if __name__ == "__main__":
    main()
