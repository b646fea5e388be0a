"""Soak: ingest, plans and queries against a served carexport for a set time.

A world of N VINs (bench/tracking_world.py: the built-in network, an order book imported
the real way) is loaded into a fresh database (SQLite, or PostgreSQL with --store
postgresql); `carexport serve` (one uvicorn worker, no access log) runs it on 127.0.0.1
and plans it once through the API (POST /plans): the stored plan. Events for its VINs are
simulated from that plan's milestones (tracking.simulate, as `carexport demo` does) and
posted in the order they were reported, so the tracked world moves forward in time.

Then, for --minutes, a mixed load from a few client threads, each on a keep-alive
connection with an API token:

  * ingest: POST /events, batches of --batch events paced so that the stream lasts the run;
  * planner: POST /plans (the whole order book again, optimal) every --plan-every seconds;
  * --clients query threads, --rate queries a second in all: GET /vehicles/{vin} of VINs
    already posted, /orders pages, /plans/{id} pages, /exceptions, /kpi/fvl, /kpi/exports
    and the dashboard's Tracking page (/ui/tracking).

Every answer other than the expected status (200; 201 for POST /plans) and every
connection error or timeout is an error; each distinct one (request kind and status or
cause) is printed once with its answer. Every --interval seconds a line shows the elapsed
time, requests and errors so far, the server process's RSS (VmRSS of /proc/<pid>/status)
and open files, and p50/p90/p99 latency per kind over the interval. The summary puts the
figures beside the goals (issue 12): 0 errors, and memory flat, that is the server's RSS
over the last tenth of the run (the median of its samples, taken every second) at most 10%
above its RSS over the tenth before half time. Exits 1 on any error, so the smoke run in
tests/bench_smoke/ fails on one; Ctrl-C stops the load early and still prints the
summary.

    uv run python bench/bench_soak.py                        # 30 minutes on SQLite
    uv run python bench/bench_soak.py --minutes 5 --store postgresql --pg URL
    uv run python bench/bench_soak.py --smoke                # 1 minute, 300 VINs (CI)

PostgreSQL: --pg URL, or CAREXPORT_TEST_DATABASE_URL; a database is created for the run
and dropped after it.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import polars as pl
from sqlalchemy.exc import SQLAlchemyError

from carexport.db.session import make_engine, unit_of_work
from carexport.tracking.events import parse_time
from carexport.tracking.service import simulated_events
from common import api_token, database, free_port, serve
from tracking_world import ORG, START, load_world, make_world

# Memory flat: the server's RSS over the last tenth of the run (median) at most this much
# above its RSS over the tenth before half time.
FLAT_PCT = 10.0
# uvicorn closes a keep-alive connection idle for 5 s; a client idle longer than this opens
# a new one rather than sending into a socket the server may be closing.
IDLE_RECONNECT_S = 4.0
TIMEOUT_S = 300.0  # one request; a plan run of a large book takes a while
PLAN_BODY = {"start": START.isoformat(), "horizon_days": 120, "time_limit_s": 120}

# Request kinds: (label in the interval lines, expected status). Queries pick a kind by
# weight (QUERY_WEIGHTS); each kind's path is made by query_path.
KINDS: dict[str, tuple[str, int]] = {
    "POST /events": ("events", 200),
    "POST /plans": ("plans", 201),
    "GET /vehicles/{vin}": ("vehicle", 200),
    "GET /orders": ("orders", 200),
    "GET /plans/{id}": ("plan", 200),
    "GET /exceptions": ("exceptions", 200),
    "GET /kpi/fvl": ("fvl", 200),
    "GET /kpi/exports": ("exports", 200),
    "GET /ui/tracking": ("ui", 200),
}
QUERY_WEIGHTS = {
    "GET /vehicles/{vin}": 40,
    "GET /orders": 12,
    "GET /plans/{id}": 8,
    "GET /exceptions": 10,
    "GET /kpi/fvl": 10,
    "GET /kpi/exports": 10,
    "GET /ui/tracking": 10,
}


@dataclass
class Stats:
    """What the clients saw, shared by their threads."""

    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    run: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    window: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    requests: int = 0

    def ok(self, kind: str, ms: float) -> None:
        with self.lock:
            self.requests += 1
            self.run[kind].append(ms)
            self.window[kind].append(ms)

    def error(self, kind: str, what: str, answer: str) -> None:
        with self.lock:
            self.requests += 1
            self.errors[kind, what] += 1
            first = self.errors[kind, what] == 1
        if first:  # each distinct error once, with its answer
            print(
                f"error at {time.monotonic() - self.started:.0f} s: {kind} -> {what}: "
                f"{answer[:600]}",
                flush=True,
            )

    def take_window(self) -> dict[str, list[float]]:
        with self.lock:
            window, self.window = self.window, collections.defaultdict(list)
        return window

    @property
    def error_count(self) -> int:
        with self.lock:
            return sum(self.errors.values())


class Client:
    """One keep-alive connection with the API token; counts every answer in stats."""

    def __init__(self, port: int, token: str, stats: Stats) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}"}
        self.stats = stats
        self.connection: http.client.HTTPConnection | None = None
        self.last_used = 0.0

    def request(
        self, kind: str, method: str, path: str, body: object | None = None
    ) -> bytes | None:
        """The answer's body if it has the kind's expected status, else None (an error)."""
        expected = KINDS[kind][1]
        if self.connection is None or time.monotonic() - self.last_used > IDLE_RECONNECT_S:
            self.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_S)
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()  # a new connection for the next request; this one is not retried
            self.stats.error(kind, type(error).__name__, f"{method} {path}: {error}")
            return None
        ms = 1000 * (time.perf_counter() - t0)
        self.last_used = time.monotonic()
        if response.will_close:
            self.close()
        if response.status != expected:
            self.stats.error(
                kind,
                f"HTTP {response.status}",
                f"{method} {path}: {answer.decode(errors='replace')}",
            )
            return None
        self.stats.ok(kind, ms)
        return answer

    def json(self, kind: str, method: str, path: str, body: object | None = None) -> Any:
        answer = self.request(kind, method, path, body)
        if answer is None:
            return None
        try:
            return json.loads(answer)
        except ValueError:
            self.stats.error(kind, "not JSON", answer.decode(errors="replace"))
            return None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass
class World:
    """What the load threads share: the event batches, the VINs posted so far, the
    latest plan, the order count, and the ingest reports' totals."""

    batches: list[list[dict[str, Any]]]
    orders: int
    plan_id: str
    vins: list[str] = field(default_factory=list)  # posted so far; only ingest appends
    tracked: set[str] = field(default_factory=set)
    ingested: collections.Counter[str] = field(default_factory=collections.Counter)
    plan_runs_s: list[float] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    """Nearest rank of sorted values."""
    return values[max(0, min(len(values) - 1, int(q * len(values) + 0.5) - 1))]


def ms_text(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def pcts(values: list[float]) -> str:
    if not values:
        return "-"
    values = sorted(values)
    return "/".join(ms_text(percentile(values, q)) for q in (0.5, 0.9, 0.99))


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (KiB) and open files of a live process; {} once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
        files = sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return {}
    found = {"files": files}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def paced(stop: threading.Event, start: float, period: float) -> Iterator[int]:
    """0, 1, 2... each at start + i * period at the earliest (later when behind: no burst
    to catch up), until stop is set."""
    due = start
    i = 0
    while not stop.wait(max(0.0, due - time.monotonic())):
        yield i
        i += 1
        due = max(due + period, time.monotonic())


def ingest_loop(client: Client, world: World, stop: threading.Event, period: float) -> None:
    for i in paced(stop, time.monotonic(), period):
        if i >= len(world.batches):
            return
        batch = world.batches[i]
        report = client.json("POST /events", "POST", "/events", {"events": batch})
        if report is None:
            continue
        for key in ("received", "stored", "duplicates", "rejected"):
            world.ingested[key] += int(report[key])
        if report["problems"] and world.ingested["problem batches"] == 0:
            print(f"note: ingest problems (first batch with any): {report['problems'][:3]}")
        world.ingested["problem batches"] += bool(report["problems"])
        for vin in dict.fromkeys(e["vin"] for e in batch):
            if vin not in world.tracked:
                world.tracked.add(vin)
                world.vins.append(vin)


def plan_loop(client: Client, world: World, stop: threading.Event, every: float) -> None:
    for _ in paced(stop, time.monotonic() + every, every):
        t0 = time.perf_counter()
        found = client.json("POST /plans", "POST", "/plans", PLAN_BODY)
        if found is not None:
            world.plan_runs_s.append(time.perf_counter() - t0)
            world.plan_id = found["id"]


def query_path(kind: str, world: World, rng: random.Random) -> str | None:
    if kind == "GET /vehicles/{vin}":
        return f"/vehicles/{rng.choice(world.vins)}" if world.vins else None
    if kind == "GET /orders":
        return f"/orders?limit=50&offset={rng.randrange(max(1, world.orders - 50))}"
    if kind == "GET /plans/{id}":
        return f"/plans/{world.plan_id}?limit=100&offset={rng.randrange(1000)}"
    return {
        "GET /exceptions": "/exceptions?limit=100",
        "GET /kpi/fvl": "/kpi/fvl?by=market",
        "GET /kpi/exports": "/kpi/exports?by=market&period=month",
        "GET /ui/tracking": "/ui/tracking",
    }[kind]


def query_loop(client: Client, world: World, stop: threading.Event, rate: float, seed: int) -> None:
    rng = random.Random(seed)
    kinds, weights = list(QUERY_WEIGHTS), list(QUERY_WEIGHTS.values())
    for _ in paced(stop, time.monotonic(), 1 / rate):
        kind = rng.choices(kinds, weights)[0]
        path = query_path(kind, world, rng)
        if path is not None:
            client.request(kind, "GET", path)


def guarded(stats: Stats, name: str, target: Callable[..., None], *args: Any) -> threading.Thread:
    """A client thread: an unexpected failure in it is an error of the run, not a traceback
    on stderr."""

    def run() -> None:
        try:
            target(*args)
        except Exception as error:
            stats.error(name, f"client failure {type(error).__name__}", str(error))

    return threading.Thread(target=run, name=name, daemon=True)


@contextmanager
def drained(server: subprocess.Popen[bytes]) -> Iterator[collections.deque[str]]:
    """The server's log read as it comes (a full pipe would stop the server), its last lines
    kept."""
    tail: collections.deque[str] = collections.deque(maxlen=60)

    def read(stream: IO[bytes]) -> None:
        for line in stream:
            tail.append(line.decode(errors="replace").rstrip())

    assert server.stderr is not None
    reader = threading.Thread(target=read, args=(server.stderr,), daemon=True)
    reader.start()
    yield tail


def admin_token(url: str) -> str:
    """An admin of ORG with an API token: ingests events and runs plans (bench/common's
    api_token makes viewers, which the query threads use)."""
    from carexport.access import service as access_service
    from carexport.access.permissions import Role

    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            access_service.add_user(session, ORG, "soak-admin", Role.admin)
            return access_service.issue_token(session, "soak-admin", "bench_soak")
    finally:
        engine.dispose()


def event_batches(url: str, plan_id: str, size: int, seed: int) -> list[list[dict[str, Any]]]:
    """The stored plan's simulated events up to two hours ago, in the order they were
    reported, in batches of size."""
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            until = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
            records = simulated_events(session, ORG, plan_id, until=until, seed=seed)
    finally:
        engine.dispose()
    ordered = records.sort(
        pl.coalesce(parse_time("reported_time"), parse_time("event_time")), maintain_order=True
    ).drop("event_id")  # as a feed without ids sends them: duplicates are found by content
    rows = ordered.to_dicts()
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def setup_plan(client: Client) -> str:
    found = client.json("POST /plans", "POST", "/plans", PLAN_BODY)
    if found is None:
        raise SystemExit("setting up: the first plan through POST /plans failed (above)")
    return str(found["id"])


def positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
        return value

    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--minutes", type=positive(float), default=30.0, help="how long the load runs (30)"
    )
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg",
        metavar="URL",
        default=os.environ.get("CAREXPORT_TEST_DATABASE_URL"),
        help="PostgreSQL server for --store postgresql (default: CAREXPORT_TEST_DATABASE_URL)",
    )
    parser.add_argument("--vins", type=positive(int), default=4000, help="VINs of the world")
    parser.add_argument("--batch", type=positive(int), default=50, help="events per POST /events")
    parser.add_argument("--clients", type=positive(int), default=2, help="query threads")
    parser.add_argument(
        "--rate", type=positive(float), default=20.0, help="queries per second, all threads"
    )
    parser.add_argument(
        "--plan-every", type=positive(float), default=60.0, help="seconds between plan runs"
    )
    parser.add_argument(
        "--interval", type=positive(float), default=10.0, help="seconds between report lines"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="1 minute, 300 VINs (CI)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.minutes, args.vins, args.plan_every, args.interval = 1.0, 300, 15.0, 10.0
    if args.store == "postgresql" and not args.pg:
        parser.error("--store postgresql needs --pg URL (or CAREXPORT_TEST_DATABASE_URL)")
    if args.vins < 50:
        parser.error(f"--vins: at least 50: {args.vins}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="carexport-soak-") as folder:
            errors = soak(args, Path(folder))
    except SQLAlchemyError as error:
        raise SystemExit(
            f"bench_soak: the database failed: {getattr(error, 'orig', None) or error}"
        ) from None
    if errors:  # tests/bench_smoke/ fails on it: a soak error is a bug whatever the size
        sys.exit(f"bench_soak: exit 1: {errors} errors (each kind printed above)")


def soak(args: argparse.Namespace, workdir: Path) -> int:
    """Set up, run the load, print the summary; the number of errors."""
    t0 = time.perf_counter()
    world = make_world(args.vins, seed=args.seed, workdir=workdir)
    with database(args.store, workdir, args.pg) as url:
        load_world(url, world)
        writer, reader = admin_token(url), api_token(url, ORG)
        port = free_port()
        server = serve(url, ORG, port)
        try:
            with drained(server) as log:
                stats = Stats()
                t1 = time.perf_counter()
                plan_id = setup_plan(Client(port, writer, stats))
                t2 = time.perf_counter()
                batches = event_batches(url, plan_id, args.batch, args.seed)
                events = sum(len(b) for b in batches)
                print(
                    f"{args.store}: {world.vehicles.height:,} VINs in {world.orders.height:,} "
                    f"orders loaded, served in {t1 - t0:.0f} s; planned through the API in "
                    f"{t2 - t1:.1f} s; {events:,} events simulated from the plan",
                    flush=True,
                )
                shared = World(batches, world.orders.height, plan_id)
                samples, interrupted = run_load(args, port, writer, reader, server, shared, stats)
                return summary(args, stats, shared, samples, log, interrupted)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@dataclass
class Sample:
    elapsed: float
    status: dict[str, int]


def run_load(
    args: argparse.Namespace,
    port: int,
    writer: str,
    reader: str,
    server: subprocess.Popen[bytes],
    world: World,
    stats: Stats,
) -> tuple[list[Sample], bool]:
    """The load for args.minutes, a line every args.interval seconds: the server's samples
    and whether it was interrupted."""
    samples: list[Sample] = []
    duration = 60 * args.minutes
    stop = threading.Event()
    period = duration / len(world.batches)
    threads = [
        guarded(stats, "ingest", ingest_loop, Client(port, writer, stats), world, stop, period),
        guarded(
            stats, "planner", plan_loop, Client(port, writer, stats), world, stop, args.plan_every
        ),
    ] + [
        guarded(
            stats,
            f"query {i + 1}",
            query_loop,
            Client(port, reader, stats),
            world,
            stop,
            args.rate / args.clients,
            args.seed + i,
        )
        for i in range(args.clients)
    ]
    labels = {kind: label for kind, (label, _) in KINDS.items()}
    print(
        f"load: {len(world.batches):,} POST /events of {args.batch} events, one every "
        f"{period:.1f} s; POST /plans every {args.plan_every:.0f} s; {args.clients} query "
        f"threads, {args.rate:g} queries/s; for {args.minutes:g} min. Latency p50/p90/p99 ms "
        "per kind over each interval: "
        + ", ".join(f"{label} = {kind}" for kind, label in labels.items())
    )
    print(
        f"{'time':>6} {'requests':>9} {'errors':>6} {'RSS MiB':>8} {'files':>5}  "
        + " ".join(f"{label:>14}" for label in labels.values()),
        flush=True,
    )
    stats.started = start = time.monotonic()
    samples.append(Sample(0.0, proc_status(server.pid)))
    for thread in threads:
        thread.start()
    interrupted = False
    next_line = start + args.interval
    try:
        while (now := time.monotonic()) < start + duration:
            time.sleep(min(1.0, start + duration - now, max(0.0, next_line - now)) or 0.05)
            if server.poll() is not None:
                print(f"the server exited with code {server.returncode}", flush=True)
                break
            now = time.monotonic()
            samples.append(Sample(now - start, proc_status(server.pid)))
            if now >= next_line:
                next_line += args.interval
                print_line(now - start, stats, samples[-1].status, labels)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: stopping the load", flush=True)
    stop.set()
    for thread in threads:  # requests in flight finish (a plan run may take a while)
        thread.join(timeout=TIMEOUT_S)
    samples.append(Sample(time.monotonic() - start, proc_status(server.pid)))
    return samples, interrupted


def print_line(
    elapsed: float, stats: Stats, status: dict[str, int], labels: dict[str, str]
) -> None:
    window = stats.take_window()
    rss = f"{status['VmRSS'] / 1024:.1f}" if "VmRSS" in status else "gone"
    print(
        f"{elapsed:>5.0f}s {stats.requests:>9,} {stats.error_count:>6} {rss:>8} "
        f"{status.get('files', 0):>5}  "
        + " ".join(f"{pcts(window.get(kind, [])):>14}" for kind in labels),
        flush=True,
    )


def rss_median(samples: list[Sample], since: float, until: float) -> float:
    """The median RSS (MiB) of the server's samples from since to until seconds into the
    load: a plan run's passing peak (polars and HiGHS allocate, then free) moves it little."""
    found = sorted(
        s.status["VmRSS"] / 1024 for s in samples if since <= s.elapsed <= until and s.status
    )
    return found[len(found) // 2] if found else float("nan")


def summary(
    args: argparse.Namespace,
    stats: Stats,
    world: World,
    samples: list[Sample],
    log: collections.deque[str],
    interrupted: bool,
) -> int:
    elapsed = samples[-1].elapsed
    print()
    print(
        f"{'kind':<22}{'requests':>9}{'errors':>8}{'per s':>7}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    )
    errors_of = collections.Counter[str]()
    for (kind, _), n in stats.errors.items():
        errors_of[kind] += n
    for kind in KINDS:
        times = sorted(stats.run.get(kind, []))
        n = len(times) + errors_of[kind]
        if not n:
            continue
        figures = (
            "".join(f"{ms_text(percentile(times, q)):>9}" for q in (0.5, 0.9, 0.99))
            + f"{ms_text(times[-1]):>9}"
            if times
            else ""
        )
        print(f"{kind:<22}{n:>9,}{errors_of[kind]:>8}{n / elapsed:>7.1f}{figures}")
    got, posted = world.ingested, len(stats.run.get("POST /events", []))
    behind = (
        " (ingest fell behind the pace: fewer --vins or more --minutes keep up)"
        if posted < len(world.batches) and not interrupted and not stats.errors
        else ""
    )
    print(
        f"events: {got['received']:,} posted in {posted:,} of {len(world.batches):,} batches"
        f"{behind}: {got['stored']:,} stored, {got['duplicates']:,} duplicates, "
        f"{got['rejected']:,} rejected; {len(world.vins):,} VINs tracked"
    )
    if world.plan_runs_s:
        runs = sorted(world.plan_runs_s)
        print(
            f"plans: {len(runs)} runs through POST /plans, {runs[len(runs) // 2]:.1f} s median, "
            f"{runs[-1]:.1f} s longest"
        )
    first, last = samples[0].status, samples[-1].status
    tenths = [rss_median(samples, elapsed * i / 10, elapsed * (i + 1) / 10) for i in range(10)]
    half, end = tenths[4], tenths[9]
    print(
        "server RSS, median MiB of each tenth of the run: "
        + ", ".join(f"{mib:.0f}" for mib in tenths)
        + f"; {first.get('VmRSS', 0) / 1024:.0f} MiB at the start, peak "
        f"{last.get('VmHWM', 0) / 1024:.0f} MiB; open files {first.get('files', 0)} at the "
        f"start, {last.get('files', 0)} at the end"
    )
    if stats.errors and log:
        print("the server's last log lines:")
        print("\n".join(f"  {line}" for line in log))
    errors = stats.error_count
    cut = f"; interrupted after {elapsed:.0f} s" if interrupted else ""
    smoke = "; smoke size" if args.smoke else ""
    print(
        f"goal: 0 errors; {'met' if errors == 0 else 'MISSED'} ({errors} errors in "
        f"{stats.requests:,} requests over {elapsed / 60:.1f} min{cut}{smoke})"
    )
    for (kind, what), n in sorted(stats.errors.items()):
        print(f"  {kind} -> {what}: {n}")
    growth = end - half
    flat = growth <= half * FLAT_PCT / 100
    print(
        f"goal: memory flat, i.e. the server's RSS over the last tenth of the run at most "
        f"{FLAT_PCT:.0f}% above its RSS over the tenth before half time (medians); "
        f"{'met' if flat else 'MISSED'} ({half:.0f} -> {end:.0f} MiB, {growth:+.0f} MiB, "
        f"{100 * growth / half:+.1f}%{cut}{smoke})"
    )
    return errors


if __name__ == "__main__":
    main()
