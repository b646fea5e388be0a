"""Benchmark: the export-KPI engine (kpi.service.exports) on 1M VINs and 10M events, on
SQLite and PostgreSQL, against DuckDB and Polars over the same rows.

The world (bench/tracking_world.py) is loaded into a fresh database: orders imported, a
plan per VIN, the events ingested (which keeps each VIN's first EXPORT_CLEARED on its
status and the vehicles exported per month and order in export_count); on PostgreSQL
then VACUUM (ANALYZE), what autovacuum would do next. Then, after one warm-up, five runs
each of:

  * engine view:  kpi.service.exports(session, org, basis, by, period), end to end: the
                  one SQL aggregate (export_cube: export counts joined to the orders), the
                  network snapshot, the Polars rollup;
                  four views: by nothing per year, by brand and market per month, by
                  powertrain year to date, and the planned basis by region per quarter;
  * engine cube:  kpi.service.export_cube alone (the SQL aggregate, both bases).

In the same run, over the same rows read once from the first database into memory (the
read is timed apart and not counted), the customs-basis cube (vehicles and value_usd per
month, brand, variant, origin, country) is computed by:

  * DuckDB and Polars from the raw rows: the events (vin, code, event_time), the vehicles
    (vin, order_id) and the orders; each VIN's first EXPORT_CLEARED, join, group by;
  * DuckDB and Polars from the per-VIN export dates that ingest keeps
    (vehicle_status.export_cleared_at), joined to the vehicles and orders;
  * DuckDB and Polars from the same export counts (month, order_id, vehicles) as the
    engine reads, joined to the orders: the like-for-like floor.

Every method's cube must equal the engine's on every backend, group by group (vehicles
exactly, value_usd to the cent); a difference is printed and fails the run. Goal (issue 9):
every view under 1 second on 1M VINs / 10M events, on both backends.

    uv run python bench/bench_kpi.py                              # 1M VINs, 10M events
    uv run python bench/bench_kpi.py --vins 200000 --events 2000000
    uv run python bench/bench_kpi.py --smoke                      # seconds; what CI runs
    uv run python bench/bench_kpi.py --explain                    # and the cube's query plans

PostgreSQL is used too when CAREXPORT_TEST_DATABASE_URL (or --pg URL) names a server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from sqlalchemy import Engine, select, text

from carexport.db.bulk import read_frame
from carexport.db.session import make_engine, unit_of_work
from carexport.kpi import repository as kpi_repository
from carexport.kpi import service as kpi_service
from carexport.kpi.repository import CUBE_SCHEMA
from carexport.orders.tables import OrderRow, VehicleRow
from carexport.tracking import service as tracking_service
from carexport.tracking.ingest import ingest, numbered
from carexport.tracking.tables import EventRow, VehicleStatusRow
from common import database
from tracking_world import ORG, events, load_world, make_world

GOAL_MS = 1_000.0
RUNS = 5
VIEWS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("customs", (), "year"),
    ("customs", ("brand", "market"), "month"),
    ("customs", ("powertrain",), "ytd"),
    ("planned", ("region",), "quarter"),
)
CUBE_KEYS = ["month", "brand", "variant", "origin", "country"]
CUBE_VIEW = "customs cube"


@dataclass(frozen=True)
class Timing:
    backend: str  # sqlite, postgresql, or "memory" for the in-memory methods
    method: str
    view: str
    best_ms: float
    median_ms: float
    rows: int

    def summary(self) -> str:
        return f"best {self.best_ms:,.1f} ms, median {self.median_ms:,.1f} ms, {self.rows:,} rows"


@dataclass(frozen=True)
class Rows:
    """The raw rows, read once from a database. Times are UTC without a zone."""

    events: pl.DataFrame  # vin, code, event_time
    vehicles: pl.DataFrame  # vin, order_id
    # order_id, brand_id, variant_id, origin_node, destination_country, unit_value_usd
    orders: pl.DataFrame
    export_dates: pl.DataFrame  # vin, exported_at: vehicle_status.export_cleared_at
    export_counts: pl.DataFrame  # month, order_id, vehicles: what export_cube reads


class ArrowStream:
    """DuckDB reads a Polars frame only through pyarrow (not installed); any object with
    the Arrow C stream interface it reads directly, without a copy."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self.frame.__arrow_c_stream__(requested_schema)


def best_and_median(run: Callable[[], pl.DataFrame]) -> tuple[pl.DataFrame, float, float]:
    """One warm-up, then RUNS timed runs: the last result, best and median ms."""
    result = run()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = run()
        times.append(1000 * (time.perf_counter() - start))
    return result, min(times), statistics.median(times)


def view_name(basis: str, by: tuple[str, ...], period: str) -> str:
    return f"{basis} by {','.join(by) or 'none'} per {period}"


def engine_view(engine: Engine, basis: str, by: tuple[str, ...], period: str) -> pl.DataFrame:
    with unit_of_work(engine) as session:
        return kpi_service.exports(session, ORG, basis=basis, by=by, period=period).frame


def engine_cube(engine: Engine, basis: str) -> pl.DataFrame:
    with unit_of_work(engine) as session:
        return kpi_service.export_cube(session, ORG, basis)


def read_rows(engine: Engine) -> Rows:
    def naive(column: str) -> pl.Expr:
        return pl.col(column).dt.replace_time_zone(None)

    with unit_of_work(engine) as session:
        event_rows = read_frame(
            session,
            select(EventRow.vin, EventRow.code, EventRow.event_time).where(EventRow.org_id == ORG),
            {"vin": pl.String(), "code": pl.String(), "event_time": pl.Datetime("us", "UTC")},
        ).with_columns(naive("event_time"))
        vehicles = read_frame(
            session,
            select(VehicleRow.vin, VehicleRow.order_id).where(VehicleRow.org_id == ORG),
            {"vin": pl.String(), "order_id": pl.String()},
        )
        orders = read_frame(
            session,
            select(
                OrderRow.order_id,
                OrderRow.brand_id,
                OrderRow.variant_id,
                OrderRow.origin_node,
                OrderRow.destination_country,
                OrderRow.unit_value_usd,
            ).where(OrderRow.org_id == ORG),
            {
                "order_id": pl.String(),
                "brand_id": pl.String(),
                "variant_id": pl.String(),
                "origin_node": pl.String(),
                "destination_country": pl.String(),
                "unit_value_usd": pl.Float64(),
            },
        )
        status = VehicleStatusRow
        export_dates = read_frame(
            session,
            select(status.vin, status.export_cleared_at).where(
                status.org_id == ORG, status.export_cleared_at.is_not(None)
            ),
            {"vin": pl.String(), "exported_at": pl.Datetime("us", "UTC")},
        ).with_columns(naive("exported_at"))
        counts = tracking_service.export_counts(ORG, "customs")
        export_counts = read_frame(
            session,
            select(counts.c.month, counts.c.order_id, counts.c.vehicles),
            {"month": pl.String(), "order_id": pl.String(), "vehicles": pl.Int64()},
        )
    return Rows(event_rows, vehicles, orders, export_dates, export_counts)


def polars_cube(exported: pl.LazyFrame, rows: Rows) -> pl.DataFrame:
    """exported: vin, exported_at -> CUBE_SCHEMA."""
    return (
        exported.join(rows.vehicles.lazy(), on="vin")
        .join(rows.orders.lazy(), on="order_id")
        .group_by(
            pl.col("exported_at").dt.truncate("1mo").alias("month"),
            pl.col("brand_id").alias("brand"),
            pl.col("variant_id").alias("variant"),
            pl.col("origin_node").alias("origin"),
            pl.col("destination_country").alias("country"),
        )
        .agg(
            pl.len().cast(pl.Int64).alias("vehicles"),
            pl.col("unit_value_usd").sum().alias("value_usd"),
        )
        .with_columns(pl.col("month").dt.strftime("%Y-%m"))
        .collect()
    )


def polars_from_events(rows: Rows) -> pl.DataFrame:
    exported = (
        rows.events.lazy()
        .filter(pl.col("code") == "EXPORT_CLEARED")
        .group_by("vin")
        .agg(pl.col("event_time").min().alias("exported_at"))
    )
    return polars_cube(exported, rows)


def polars_from_export_dates(rows: Rows) -> pl.DataFrame:
    return polars_cube(rows.export_dates.lazy(), rows)


def polars_from_export_counts(rows: Rows) -> pl.DataFrame:
    return (
        rows.export_counts.lazy()
        .join(rows.orders.lazy(), on="order_id")
        .group_by(
            "month",
            pl.col("brand_id").alias("brand"),
            pl.col("variant_id").alias("variant"),
            pl.col("origin_node").alias("origin"),
            pl.col("destination_country").alias("country"),
        )
        .agg(
            pl.col("vehicles").sum(),
            (pl.col("vehicles") * pl.col("unit_value_usd")).sum().alias("value_usd"),
        )
        .collect()
    )


DUCKDB_CUBE = """
SELECT strftime(x.exported_at, '%Y-%m') AS month, o.brand_id AS brand,
       o.variant_id AS variant, o.origin_node AS origin, o.destination_country AS country,
       count(*) AS vehicles, sum(o.unit_value_usd) AS value_usd
FROM {exported} x
JOIN vehicles v ON v.vin = x.vin
JOIN orders o ON o.order_id = v.order_id
GROUP BY ALL
"""
DUCKDB_FROM_COUNTS = """
SELECT c.month, o.brand_id AS brand, o.variant_id AS variant, o.origin_node AS origin,
       o.destination_country AS country, sum(c.vehicles) AS vehicles,
       sum(c.vehicles * o.unit_value_usd) AS value_usd
FROM export_counts c JOIN orders o ON o.order_id = c.order_id
GROUP BY ALL
"""
DUCKDB_FIRST_CLEARED = """(
    SELECT vin, min(event_time) AS exported_at FROM events
    WHERE code = 'EXPORT_CLEARED' GROUP BY vin
)"""


def duckdb_database(rows: Rows) -> duckdb.DuckDBPyConnection:
    """The rows as DuckDB's own in-memory tables."""
    connection = duckdb.connect()
    for name, frame in (
        ("events", rows.events),
        ("vehicles", rows.vehicles),
        ("orders", rows.orders),
        ("export_dates", rows.export_dates),
        ("export_counts", rows.export_counts),
    ):
        connection.register("_frame", ArrowStream(frame))
        connection.execute(f"CREATE TABLE {name} AS SELECT * FROM _frame")
        connection.unregister("_frame")
    return connection


def duckdb_cube(connection: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return pl.DataFrame(connection.sql(sql)).cast(CUBE_SCHEMA)


def differences(reference: pl.DataFrame, other: pl.DataFrame) -> pl.DataFrame:
    """Groups whose vehicles differ or whose value differs by a cent or more, or that only
    one side has."""
    joined = reference.join(other, on=CUBE_KEYS, how="full", coalesce=True, suffix="_other")
    return joined.filter(
        (pl.col("vehicles") != pl.col("vehicles_other")).fill_null(True)
        | ((pl.col("value_usd") - pl.col("value_usd_other")).abs() >= 0.005).fill_null(True)
    ).sort(CUBE_KEYS)


def check_same(label: str, reference: pl.DataFrame, other: pl.DataFrame) -> None:
    found = differences(reference, other)
    if found.height:
        with pl.Config(tbl_rows=20, tbl_cols=-1, tbl_width_chars=160):
            print(f"MISMATCH: {label}: {found.height:,} groups differ from the reference:")
            print(found.head(20))
        raise SystemExit(f"{label}: totals differ from the reference in {found.height:,} groups")


def cube_sql(engine: Engine, basis: str) -> str:
    """The SQL export_cube runs, with its parameters inlined, caught on its way to read_frame."""
    caught: list[Any] = []
    real = kpi_repository.read_frame

    def catch(session: Any, query: Any, schema: Any) -> pl.DataFrame:
        caught.append(query)
        return real(session, query, schema)

    kpi_repository.read_frame = catch  # type: ignore[assignment]
    try:
        engine_cube(engine, basis)
    finally:
        kpi_repository.read_frame = real  # type: ignore[assignment]
    return str(caught[0].compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


def explain(engine: Engine, backend: str) -> None:
    for basis in ("customs", "planned"):
        sql = cube_sql(engine, basis)
        prefix = "EXPLAIN (ANALYZE, BUFFERS)" if backend == "postgresql" else "EXPLAIN QUERY PLAN"
        with engine.connect() as connection:
            plan = connection.execute(text(f"{prefix} {sql}")).all()
        print(f"\n{backend} {basis} cube:\n{sql}\n{prefix}:")
        for row in plan:
            print(f"  {row[-1]}")


def run_backend(
    backend: str, url: str, world: Any, stream: pl.DataFrame, *, explain_plans: bool
) -> tuple[list[Timing], pl.DataFrame, Engine]:
    """Load the world, time the engine's views and cubes; returns the customs cube."""
    start = time.perf_counter()
    load_world(url, world)
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        ingest(session, ORG, numbered(stream), source="bench")
    if backend == "postgresql":
        # What autovacuum does soon after a load this size (visibility map and statistics),
        # done now so that it does not run during the timings. On SQLite nothing gathers
        # statistics (carexport never runs ANALYZE), so neither does this.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE)"))
    print(f"{backend}: loaded in {time.perf_counter() - start:.0f} s", flush=True)
    timings = []
    for basis, by, period in VIEWS:
        frame, best, median = best_and_median(
            lambda b=basis, d=by, p=period: engine_view(engine, b, d, p)
        )
        timings.append(
            Timing(
                backend,
                "engine exports()",
                view_name(basis, by, period),
                best,
                median,
                frame.height,
            )
        )
        if (basis, by, period) == VIEWS[0]:
            year_totals = frame.select(pl.col("vehicles").sum(), pl.col("value_usd").sum()).row(0)
    cubes = {}
    for basis in ("customs", "planned"):
        cubes[basis], best, median = best_and_median(lambda b=basis: engine_cube(engine, b))
        timings.append(
            Timing(
                backend,
                "engine export_cube (SQL)",
                f"{basis} cube",
                best,
                median,
                cubes[basis].height,
            )
        )
    customs = cubes["customs"]
    cube_totals = customs.select(pl.col("vehicles").sum(), pl.col("value_usd").sum()).row(0)
    if year_totals[0] != cube_totals[0] or abs(year_totals[1] - cube_totals[1]) >= 0.005:
        print(f"MISMATCH: {backend}: yearly view totals {year_totals} != cube totals {cube_totals}")
        raise SystemExit(f"{backend}: the yearly view does not add up to the cube")
    for timing in timings:
        print(f"  {timing.method}, {timing.view}: {timing.summary()}", flush=True)
    if explain_plans:
        explain(engine, backend)
    return timings, customs, engine


def in_memory(rows: Rows) -> tuple[list[Timing], dict[str, pl.DataFrame]]:
    """The customs cube by DuckDB and Polars from the raw rows and from the export dates."""
    start = time.perf_counter()
    connection = duckdb_database(rows)
    print(
        f"memory: DuckDB tables made in {time.perf_counter() - start:.1f} s (not counted)",
        flush=True,
    )
    methods: dict[str, Callable[[], pl.DataFrame]] = {
        "duckdb from raw events": lambda: duckdb_cube(
            connection, DUCKDB_CUBE.format(exported=DUCKDB_FIRST_CLEARED)
        ),
        "polars from raw events": lambda: polars_from_events(rows),
        "duckdb from export dates": lambda: duckdb_cube(
            connection, DUCKDB_CUBE.format(exported="export_dates")
        ),
        "polars from export dates": lambda: polars_from_export_dates(rows),
        "duckdb from export counts": lambda: duckdb_cube(connection, DUCKDB_FROM_COUNTS),
        "polars from export counts": lambda: polars_from_export_counts(rows),
    }
    timings, cubes = [], {}
    for method, run in methods.items():
        cubes[method], best, median = best_and_median(run)
        timings.append(Timing("memory", method, CUBE_VIEW, best, median, cubes[method].height))
        print(f"  {method}: {timings[-1].summary()}", flush=True)
    connection.close()
    return timings, cubes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vins", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--smoke", action="store_true", help="a tiny run (CI)")
    parser.add_argument("--explain", action="store_true", help="print the cube's query plans")
    parser.add_argument("--pg", default=os.environ.get("CAREXPORT_TEST_DATABASE_URL"))
    args = parser.parse_args()
    vins, count = (2_000, 20_000) if args.smoke else (args.vins, args.events)
    backends = [b for b in args.backends.split(",") if b == "sqlite" or args.pg]

    timings: list[Timing] = []
    reference: pl.DataFrame | None = None
    with tempfile.TemporaryDirectory(prefix="carexport-bench-") as folder:
        workdir = Path(folder)
        start = time.perf_counter()
        world = make_world(vins, workdir=workdir)
        stream = events(world, count=count)
        print(
            f"world: {world.vehicles.height:,} VINs, {stream.height:,} events over "
            f"{stream['vin'].n_unique():,} VINs, made in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        for backend in backends:
            with database(backend, workdir, args.pg) as url:
                found, customs, engine = run_backend(
                    backend, url, world, stream, explain_plans=args.explain
                )
                timings += found
                if reference is None:
                    start = time.perf_counter()
                    rows = read_rows(engine)
                    print(
                        f"memory: read {rows.events.height:,} events, {rows.vehicles.height:,} "
                        f"vehicles, {rows.orders.height:,} orders, {rows.export_dates.height:,} "
                        f"export dates, {rows.export_counts.height:,} export counts from "
                        f"{backend} in {time.perf_counter() - start:.1f} s "
                        "(not counted)",
                        flush=True,
                    )
                    found, cubes = in_memory(rows)
                    timings += found
                    del rows
                    reference = customs
                    for method, cube in cubes.items():
                        check_same(f"{method} (rows of {backend})", reference, cube)
                check_same(f"{backend} engine customs cube", reference, customs)
                engine.dispose()
    assert reference is not None, "no backend ran"

    print()
    print(f"{'backend':<11}{'method':<27}{'view':<38}{'best ms':>9}{'median ms':>10}{'rows':>8}")
    for t in timings:
        print(
            f"{t.backend:<11}{t.method:<27}{t.view:<38}{t.best_ms:>9.1f}{t.median_ms:>10.1f}"
            f"{t.rows:>8,}"
        )
    print(
        f"all methods agree: {reference.height:,} groups (month, brand, variant, origin, "
        f"country), {reference['vehicles'].sum():,} vehicles exported on the customs basis, "
        f"{reference['value_usd'].sum():,.0f} USD"
    )
    verdicts = []
    for backend in backends:
        slowest = max(
            (t for t in timings if t.backend == backend and t.method == "engine exports()"),
            key=lambda t: t.median_ms,
        )
        met = "met" if slowest.median_ms < GOAL_MS else "MISSED"
        verdicts.append(
            f"{backend} {met} (slowest median {slowest.median_ms:,.0f} ms, {slowest.view})"
        )
    print(
        f"goal: every engine exports() view < {GOAL_MS:,.0f} ms (median of {RUNS}) on 1M VINs / "
        f"10M events; at {world.vehicles.height:,} VINs / {stream.height:,} events: "
        + "; ".join(verdicts)
    )


if __name__ == "__main__":
    main()
