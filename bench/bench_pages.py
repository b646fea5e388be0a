"""Benchmark: the dashboard's server time, page by page, beside GET /health in the same run.

Each page of the web dashboard (Overview, Map, Orders, Plan, Tracking, Network) and a
VIN's detail fragment is asked for N times over one keep-alive connection to
`carexport serve` (one worker, no access log) after one warm-up request; the time from
sending the request to the last byte of the answer is the server time (the client is on
the same machine). GET /health, a constant JSON answer through the same app, middleware
and thread pool, is the floor. A page whose route answers 404 is printed "not built".

Two worlds:

  * demo: the database of `carexport demo` (about 119k VINs and six weeks of events):
    --db FILE (with --org, default demo) reads an existing one without writing to it;
    otherwise `carexport demo` builds one in a temporary folder (2-3 minutes);
  * 1M VINs / 10M events: bench/tracking_world.py (orders imported, a plan per VIN,
    simulated events ingested), as bench_vehicle_api.py builds it (about 10 minutes).

Goal (issue 10): under 300 ms per page on the demo database, under 1 s with 1M VINs /
10M events.

    uv run python bench/bench_pages.py                              # demo (built), then 1M / 10M
    uv run python bench/bench_pages.py --db carexport-demo.db --worlds demo
    uv run python bench/bench_pages.py --worlds large --vins 200000 --events 2000000
    uv run python bench/bench_pages.py --smoke                      # seconds; what CI runs
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from carexport.db.migrate import upgrade
from carexport.db.session import make_engine, unit_of_work
from carexport.tracking.ingest import ingest, numbered
from carexport.tracking.tables import VehicleStatusRow
from common import api_token, free_port, serve
from tracking_world import ORG, events, load_world, make_world

GOAL_DEMO_MS = 300.0
GOAL_LARGE_MS = 1_000.0
# (label, path); {vin} is a tracked VIN of the world, a different one per request; {as_of}
# the day after the world's latest event. Without as_of the panels judge as of now: on a
# world whose simulated events ended months ago every vehicle still under way is then
# overdue (a feed that stopped); as of the data's day they show what a control tower
# receiving those events would see.
PAGES = [
    ("GET /health (floor)", "/health"),
    ("Overview /ui/", "/ui/"),
    ("Map /ui/map", "/ui/map"),
    ("Orders /ui/orders", "/ui/orders"),
    ("Plan /ui/plan", "/ui/plan"),
    ("Tracking /ui/tracking", "/ui/tracking"),
    # What the Tracking page loads right after it (hx-trigger="load").
    ("  its exceptions as of the data's day", "/ui/tracking/exceptions?as_of={as_of}"),
    ("  its FVL KPIs as of the data's day", "/ui/tracking/fvl?as_of={as_of}"),
    ("  its exceptions as of now", "/ui/tracking/exceptions"),
    ("  its FVL KPIs as of now", "/ui/tracking/fvl"),
    ("Network /ui/network", "/ui/network"),
    ("VIN detail fragment", "/ui/tracking/vehicle?vin={vin}"),
]


@dataclass
class Timing:
    world: str
    label: str
    path: str
    status: str  # "ok", "not built", or "HTTP 500" etc.
    times_ms: list[float]
    bytes_: int = 0
    first_ms: float = float("nan")  # the warm-up request: cold caches

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms) if self.times_ms else float("nan")

    @property
    def p90_ms(self) -> float:
        if not self.times_ms:
            return float("nan")
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def get(
    connection: http.client.HTTPConnection, path: str, token: str = ""
) -> tuple[int, int, float]:
    """(status, body bytes, milliseconds to the last byte), as the token's user."""
    t0 = time.perf_counter()
    headers = {"Accept": "text/html", "Authorization": f"Bearer {token}"}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    return response.status, len(body), (time.perf_counter() - t0) * 1e3


def tracked_vins(url: str, org_id: str, count: int) -> tuple[list[str], str]:
    """count tracked VINs of the world, and the day after its latest event (ISO)."""
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        vins = list(
            session.scalars(
                select(VehicleStatusRow.vin)
                .where(VehicleStatusRow.org_id == org_id)
                .order_by(VehicleStatusRow.vin)
            )
        )
        latest = session.scalar(
            select(func.max(VehicleStatusRow.last_event_time)).where(
                VehicleStatusRow.org_id == org_id
            )
        )
    engine.dispose()
    day = (latest.date() + dt.timedelta(days=1)) if latest else dt.date.today()
    picked = random.Random(1).sample(vins, min(count, len(vins))) if vins else ["LNOVINTRACKED0000"]
    return picked, day.isoformat()


def time_page(
    port: int,
    world: str,
    label: str,
    template: str,
    vins: list[str],
    as_of: str,
    requests: int,
    token: str,
) -> Timing:
    paths = [template.format(vin=vins[i % len(vins)], as_of=as_of) for i in range(requests + 1)]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        status, size, first_ms = get(connection, paths[0], token)  # warm-up: caches, first imports
        if status == 404 and template != "/health":
            # The page's route does not exist (yet); a page's own "not found" is HTML.
            return Timing(world, label, template, "not built", [])
        times: list[float] = []
        bad = status if status >= 400 else 0
        for path in paths[1:]:
            status, size, ms = get(connection, path, token)
            times.append(ms)
            bad = bad or (status if status >= 400 else 0)
        return Timing(world, label, template, f"HTTP {bad}" if bad else "ok", times, size, first_ms)
    except (OSError, http.client.HTTPException) as error:
        return Timing(world, label, template, f"failed: {type(error).__name__}", [])
    finally:
        connection.close()


def time_pages(world: str, url: str, org_id: str, requests: int) -> list[Timing]:
    vins, as_of = tracked_vins(url, org_id, requests + 1)
    token = api_token(url, org_id)
    port = free_port()
    server = serve(url, org_id, port)
    results: list[Timing] = []
    try:
        for label, template in PAGES:
            if server.poll() is not None:
                results.append(Timing(world, label, template, "failed: server exited", []))
                continue
            results.append(time_page(port, world, label, template, vins, as_of, requests, token))
            r = results[-1]
            timing = f", median {r.median_ms:.1f} ms" if r.times_ms else ""
            print(f"  {world} {label}: {r.status}{timing}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def demo_world(args: argparse.Namespace, workdir: Path) -> tuple[str, str]:
    if args.db:
        return f"sqlite:///{Path(args.db).resolve()}", args.org
    db_file = workdir / "carexport-demo.db"
    t0 = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).with_name("carexport")),
            "demo",
            "--db-file",
            str(db_file),
            "--workdir",
            str(workdir / "carexport-demo"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"demo database built in {time.perf_counter() - t0:.0f} s", flush=True)
    return f"sqlite:///{db_file}", "demo"


def tracking_world(
    vins: int, count: int, workdir: Path, keep: Path | None = None
) -> tuple[str, str]:
    """The tracking benchmarks' world in SQLite (in `keep` if given: reused when it is
    there, so the pages can be timed again without building it again)."""
    if keep is not None and keep.exists():
        url = f"sqlite:///{keep.resolve()}"
        engine = make_engine(url)
        upgrade(engine)  # the schema may have moved on since it was built
        engine.dispose()
        print(f"world: reusing {keep}", flush=True)
        return url, ORG
    t0 = time.perf_counter()
    world = make_world(vins, workdir=workdir)
    stream = events(world, count=count)
    target = keep.resolve() if keep is not None else workdir / "pages-large.db"
    url = f"sqlite:///{target}"
    load_world(url, world)
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        ingest(session, ORG, numbered(stream), source="bench")
    engine.dispose()
    print(
        f"world: {world.vehicles.height:,} VINs, {stream.height:,} events, "
        f"built in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    return url, ORG


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", default="demo,large", help="demo, large or both")
    parser.add_argument("--db", help="an existing demo database (SQLite file), read only")
    parser.add_argument("--org", default="demo", help="the organisation of --db")
    parser.add_argument("--vins", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument(
        "--large-db",
        type=Path,
        help="keep the 1M-VIN world in this SQLite file (reused if it exists)",
    )
    parser.add_argument("--build-only", action="store_true", help="build the worlds, time nothing")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--smoke", action="store_true", help="a tiny run (CI)")
    args = parser.parse_args()

    results: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="carexport-bench-") as folder:
        workdir = Path(folder)
        if args.smoke:
            # One tiny tracking world stands for both (the real demo takes minutes).
            url, org_id = tracking_world(2_000, 20_000, workdir)
            results += time_pages("smoke", url, org_id, 3)
            goals = {"smoke": GOAL_DEMO_MS}
        else:
            worlds = args.worlds.split(",")
            goals = {}
            if "demo" in worlds:
                url, org_id = demo_world(args, workdir)
                if not args.build_only:
                    results += time_pages("demo", url, org_id, args.requests)
                goals["demo"] = GOAL_DEMO_MS
            if "large" in worlds:
                name = f"{args.vins / 1e6:g}M VINs"
                url, org_id = tracking_world(args.vins, args.events, workdir, args.large_db)
                if not args.build_only:
                    results += time_pages(name, url, org_id, args.requests)
                goals[name] = GOAL_LARGE_MS

    if args.build_only:
        print("goal: not measured (--build-only)")
        return
    print()
    print(
        f"{'world':<14}{'page':<26}{'median ms':>10}{'p90 ms':>9}{'first ms':>9}{'x floor':>9}"
        f"{'KB':>8}  status"
    )
    floor = {r.world: r.median_ms for r in results if r.path == "/health"}
    verdicts = []
    for world, goal_ms in goals.items():
        pages = [r for r in results if r.world == world and r.path != "/health"]
        for r in [r for r in results if r.world == world]:
            shown = bool(r.times_ms)
            print(
                f"{r.world:<14}{r.label:<26}"
                + (
                    f"{r.median_ms:>10.1f}{r.p90_ms:>9.1f}{r.first_ms:>9.0f}"
                    f"{r.median_ms / floor[world]:>9.0f}"
                    f"{r.bytes_ / 1024:>8.0f}"
                    if shown
                    else f"{'':>10}{'':>9}{'':>9}{'':>9}{'':>8}"
                )
                + f"  {r.status}"
            )
        timed = [r for r in pages if r.status == "ok"]
        slowest = max(timed, key=lambda r: r.median_ms, default=None)
        failed = [r.label for r in pages if r.status not in ("ok", "not built")]
        met = bool(timed) and not failed and all(r.median_ms < goal_ms for r in timed)
        missing = [r.label for r in pages if r.status == "not built"]
        # A page that keeps its views (a cache) is fast again after the first request:
        # the cold one counts too.
        cold = [f"{r.label.strip()} {r.first_ms:,.0f} ms" for r in timed if r.first_ms >= goal_ms]
        met = met and not cold
        verdicts.append(
            f"{world} {'met' if met else 'NOT met'}"
            + (
                f" (slowest {slowest.label}: median {slowest.median_ms:.0f} ms, "
                f"p90 {slowest.p90_ms:.0f} ms)"
                if slowest
                else ""
            )
            + (f", cold first request over the goal: {', '.join(cold)}" if cold else "")
            + (f", failed: {', '.join(f.strip() for f in failed)}" if failed else "")
            + (f", not built: {', '.join(missing)}" if missing else "")
        )
    print(
        f"goal: server time < {GOAL_DEMO_MS:.0f} ms per page on the demo DB, "
        f"< {GOAL_LARGE_MS:.0f} ms with 1M VINs / 10M events (median of each page, and its "
        "first request); " + "; ".join(verdicts)
    )


if __name__ == "__main__":
    main()
