"""Benchmark: ingest milestone events through `carexport events import` into SQLite and
PostgreSQL, vehicle status, ETAs and revisions included.

The world (bench/tracking_world.py): the Chongqing network, an order book of --vins VINs
imported the real way, every VIN's current plan, and --events simulated events over them
(shuffled, with duplicates, damages and late reports) in one CSV file. Two runs:

  * one file:  the whole file in one `carexport events import` (one transaction), into
               a database with no events yet;
  * daily:     the same events cut into one file per day of event time, imported one
               after the other, so most batches meet VINs with history (the steady state).
               Run in this process with the code the command runs (read_event_file,
               ingest, commit), as a service would: not ~2 s of process start per file.

The one-file run is timed end to end around the command (process start, read, checks,
writes, commit). Beside them, in the same run: the floor, `raw`, reading the same CSV with Polars
and copying its rows into a bare 8-column text table (COPY on PostgreSQL, one executemany
on SQLite), one transaction; and `keyed`, the same events (times parsed, re-sent ones
dropped) copied into the real event table with its key, which is what storing them alone
costs. Goal (issue 5): >= 150,000 events/s and >= 60% of the raw
rate, on both databases.

    uv run python bench/bench_tracking_ingest.py                       # 1M VINs, 10M events
    uv run python bench/bench_tracking_ingest.py --vins 100000 --events 1000000
    uv run python bench/bench_tracking_ingest.py --smoke               # seconds; what CI runs

PostgreSQL is used when CAREXPORT_TEST_DATABASE_URL (or --pg URL) names a server.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from sqlalchemy import text

from carexport.db.bulk import insert_frame
from carexport.db.migrate import upgrade
from carexport.db.session import make_engine, unit_of_work
from carexport.tracking.events import RAW_COLUMNS, parse_time
from common import database
from tracking_world import ORG, events, load_world, make_world

GOAL_RATE = 150_000
GOAL_SHARE = 0.60


def import_file(url: str, path: Path) -> float:
    """`carexport events import FILE`, timed around the whole process."""
    command = [str(Path(sys.executable).with_name("carexport")), "events", "import", str(path)]
    env = {**os.environ, "CAREXPORT_DATABASE_URL": url, "CAREXPORT_ORG_ID": ORG}
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"import of {path.name} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def counts(url: str) -> tuple[int, int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = tuple(
            int(conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one())
            for t in ("tracking_event", "vehicle_status", "eta_revision")
        )
    engine.dispose()
    return found[0], found[1], found[2]


def raw_floor(url: str, path: Path) -> float:
    """Read the CSV and copy its rows into a bare text table: moving the bytes, no more."""
    engine = make_engine(url)
    with engine.begin() as conn:
        columns = ", ".join(f'"{c}" TEXT' for c in RAW_COLUMNS)
        conn.execute(text(f'CREATE TABLE "raw_event" ({columns})'))
    start = time.perf_counter()
    frame = pl.read_csv(path, infer_schema=False)
    with unit_of_work(engine) as session:
        insert_frame(session, "raw_event", frame)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def keyed_floor(url: str, path: Path) -> float:
    """Read the CSV, parse the times, drop re-sent rows and copy the rest into the real
    event table (keyed by VIN and id), sorted by its key: storing the events, no more."""
    engine = make_engine(url)
    upgrade(engine)
    start = time.perf_counter()
    frame = pl.read_csv(path, infer_schema=False).with_columns(
        parse_time("event_time").alias("event_time"),
        parse_time("reported_time").alias("reported_time"),
    )
    stored = frame.unique(["vin", "event_id"]).sort("vin", "event_id")
    with unit_of_work(engine) as session:
        insert_frame(
            session, "tracking_event", stored.select(pl.lit(ORG).alias("org_id"), pl.all())
        )
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def import_in_process(url: str, paths: list[Path]) -> tuple[float, dict[str, float]]:
    """What `carexport events import` does for each file, in this process: the time, and
    where it goes (reading the files, ingest's steps, the commits)."""
    from carexport.tracking.ingest import ingest, read_event_file

    engine = make_engine(url)
    steps: dict[str, float] = {"read file": 0.0}
    start = time.perf_counter()
    for path in paths:
        began = time.perf_counter()
        raw = read_event_file(path)
        steps["read file"] += time.perf_counter() - began
        with unit_of_work(engine) as session:
            report = ingest(session, ORG, raw, source=path.name)
            began = time.perf_counter()
        steps["commit"] = steps.get("commit", 0.0) + time.perf_counter() - began
        for step, seconds in report.seconds.items():
            steps[step] = steps.get(step, 0.0) + seconds
    elapsed = time.perf_counter() - start
    engine.dispose()
    steps = {"read file": steps.pop("read file"), **steps, "commit": steps.pop("commit", 0.0)}
    return elapsed, steps


def print_steps(backend: str, elapsed: float, steps: dict[str, float]) -> None:
    """Where the daily run's time goes, step by step (ingest's own clock)."""
    accounted = sum(steps.values())
    print(f"{backend}: where the daily run's {elapsed:.1f} s go")
    for step, seconds in sorted(steps.items(), key=lambda item: -item[1]):
        print(f"  {step:<15}{seconds:>8.1f} s{100 * seconds / elapsed:>5.0f}%")
    print(f"  {'other':<15}{elapsed - accounted:>8.1f} s{100 * (1 - accounted / elapsed):>5.0f}%")


def daily_files(frame: pl.DataFrame, folder: Path, days_per_file: int = 1) -> list[Path]:
    folder.mkdir(exist_ok=True)
    day = parse_time("event_time").dt.date()
    if days_per_file > 1:  # the smoke run: the same path with fewer, bigger files
        day = day.dt.truncate(f"{days_per_file}d")
    days = frame.with_columns(day.alias("_day"))
    paths = []
    for (day,), part in days.sort("_day").group_by("_day", maintain_order=True):
        path = folder / f"events-{day}.csv"
        part.drop("_day").write_csv(path)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vins", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--smoke", action="store_true", help="a tiny run (CI)")
    parser.add_argument("--no-daily", action="store_true", help="skip the daily-files run")
    parser.add_argument("--pg", default=os.environ.get("CAREXPORT_TEST_DATABASE_URL"))
    args = parser.parse_args()
    vins, count = (2_000, 20_000) if args.smoke else (args.vins, args.events)
    backends = ["sqlite"] + (["postgresql"] if args.pg else [])

    with tempfile.TemporaryDirectory(prefix="carexport-bench-") as folder:
        workdir = Path(folder)
        t0 = time.perf_counter()
        world = make_world(vins, workdir=workdir)
        stream = events(world, count=count)
        path = workdir / "events.csv"
        stream.write_csv(path)
        print(
            f"world: {world.vehicles.height:,} VINs, {world.milestones.height:,} expected "
            f"milestones; {stream.height:,} events ({stream['vin'].n_unique():,} VINs, "
            f"{path.stat().st_size / 1e6:,.0f} MB CSV) made in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        # The smoke run writes a file per 10 days (about 10 files, not 100): CI checks the
        # daily path runs and stores what the one file stores, not its rate.
        days_per_file = 10 if args.smoke else 1
        days = [] if args.no_daily else daily_files(stream, workdir / "daily", days_per_file)
        rows = []
        for backend in backends:
            with database(backend, workdir, args.pg) as url:
                raw_s = raw_floor(url, path)
            with database(backend, workdir, args.pg) as url:
                keyed_s = keyed_floor(url, path)
            with database(backend, workdir, args.pg) as url:
                load_world(url, world)
                one_s = import_file(url, path)
                stored, statuses, revisions = counts(url)
            print(
                f"{backend}: one file {one_s:.1f} s; stored {stored:,} events, "
                f"{statuses:,} statuses, {revisions:,} ETA revisions",
                flush=True,
            )
            daily_s = None
            if days:
                with database(backend, workdir, args.pg) as url:
                    load_world(url, world)
                    daily_s, steps = import_in_process(url, days)
                    if counts(url)[:2] != (stored, statuses):
                        raise SystemExit("daily files stored other events than the one file")
                print(
                    f"{backend}: {len(days)} day files ({days_per_file} d each) {daily_s:.1f} s",
                    flush=True,
                )
                print_steps(backend, daily_s, steps)
            rows.append((backend, stream.height, stored, raw_s, keyed_s, one_s, daily_s))

    print()
    print(
        f"{'backend':<11}{'events':>12}{'stored':>11}{'raw s':>7}{'raw ev/s':>10}"
        f"{'keyed s':>8}{'import s':>9}{'ev/s':>9}{'% raw':>6}{'daily s':>8}{'ev/s':>8}"
        f"{'% raw':>6}"
    )
    for backend, sent, stored, raw_s, keyed_s, one_s, daily_s in rows:
        raw_rate = sent / raw_s
        line = (
            f"{backend:<11}{sent:>12,}{stored:>11,}{raw_s:>7.1f}{raw_rate:>10,.0f}{keyed_s:>8.1f}"
            f"{one_s:>9.1f}{sent / one_s:>9,.0f}{100 * sent / one_s / raw_rate:>6.0f}"
        )
        if daily_s is not None:
            line += f"{daily_s:>8.1f}{sent / daily_s:>8,.0f}{100 * sent / daily_s / raw_rate:>6.0f}"
        print(line)
    print(
        f"goal: >= {GOAL_RATE:,} events/s and >= {GOAL_SHARE:.0%} of the raw rate "
        "(events sent, duplicates included, per second of the whole command); 'keyed' = "
        "the events alone stored in the real, keyed event table (no status, ETA or checks)"
    )
    for backend, sent, _, raw_s, _, one_s, daily_s in rows:
        runs = [("one file", one_s)] + ([("daily", daily_s)] if daily_s is not None else [])
        for run, seconds in runs:
            rate, share = sent / seconds, sent / seconds / (sent / raw_s)
            met = rate >= GOAL_RATE and share >= GOAL_SHARE
            print(
                f"{backend} {run}: {rate:,.0f} events/s, {share:.0%} of raw - goal "
                f"{'met' if met else 'MISSED'}"
            )


if __name__ == "__main__":
    main()
