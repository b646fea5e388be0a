"""Benchmark: import an order book (orders + VINs) from CSV and XLSX into SQLite and PostgreSQL.

Prints, per format and backend, the full import time (read, every check, write, commit)
beside the floors measured in the same run on the same files:
  * read:  Polars alone reading the files (pl.read_csv / fastexcel), no checks;
  * store: the rows the import stored, copied again into a fresh database with the same
           tables and keys (COPY on PostgreSQL, one executemany on SQLite), one transaction;
  * bare:  the raw file rows copied into bare text tables without keys (for reference).
Goals (issue 3): CSV import <= 3 x (read + store); XLSX import <= 2 x read. The XLSX
goal against the read alone cannot hold once storing the rows costs more than the read,
so the table also shows XLSX against read + store.

    uv run python bench/bench_orders_import.py                  # 1M VINs, ~100k orders
    uv run python bench/bench_orders_import.py --vins 20000     # smaller
    uv run python bench/bench_orders_import.py --smoke          # seconds; what CI runs

PostgreSQL is used when CAREXPORT_TEST_DATABASE_URL (or --pg URL) names a server; the
benchmark makes its own database there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import polars as pl
from sqlalchemy import text

from carexport.db.bulk import insert_frame
from carexport.db.migrate import upgrade
from carexport.db.session import make_engine, unit_of_work
from carexport.network.dataset import builtin_folder
from carexport.network.service import load_dataset
from carexport.orders.generate import generate, write_order_book
from carexport.orders.service import ImportOptions, import_orders, read_files
from common import database

ORG = "bench"


def read_floor(
    orders_path: Path, vehicles_path: Path, vehicles_sheet: str | None
) -> tuple[float, pl.DataFrame, pl.DataFrame]:
    start = time.perf_counter()
    if orders_path.suffix == ".csv":
        orders = pl.read_csv(orders_path, infer_schema=False, skip_rows=1)
        vehicles = pl.read_csv(vehicles_path, infer_schema=False, skip_rows=1)
    else:
        import fastexcel

        reader = fastexcel.read_excel(str(orders_path))
        orders = reader.load_sheet(0, dtypes="string").to_polars()
        vehicles = reader.load_sheet(vehicles_sheet or 1, dtypes="string").to_polars()
    return time.perf_counter() - start, orders, vehicles


def store_floor(url: str, orders: pl.DataFrame, vehicles: pl.DataFrame) -> float:
    """The stored rows into the real tables of a fresh database, one transaction."""
    engine = make_engine(url)
    upgrade(engine)
    start = time.perf_counter()
    with unit_of_work(engine) as session:
        insert_frame(session, "export_order", orders)
        insert_frame(session, "order_vehicle", vehicles)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def stored_rows(url: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    engine = make_engine(url)
    with engine.connect() as conn:
        frames = tuple(
            pl.DataFrame(
                [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}"'))],
                schema=list(conn.execute(text(f'SELECT * FROM "{t}" LIMIT 0')).keys()),
                orient="row",
                infer_schema_length=None,
            )
            for t in ("export_order", "order_vehicle")
        )
    engine.dispose()
    return frames[0], frames[1]


def bare_floor(url: str, orders: pl.DataFrame, vehicles: pl.DataFrame) -> float:
    """Raw rows into bare text tables in one transaction: the cost of moving the bytes."""
    engine = make_engine(url)
    with engine.begin() as conn:
        for name, frame in (("raw_orders", orders), ("raw_vehicles", vehicles)):
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
            columns = ", ".join(f'"{c}" TEXT' for c in frame.columns)
            conn.execute(text(f'CREATE TABLE "{name}" ({columns})'))
    start = time.perf_counter()
    with unit_of_work(engine) as session:
        insert_frame(session, "raw_orders", orders)
        insert_frame(session, "raw_vehicles", vehicles)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def import_once(
    url: str, orders_path: Path, vehicles_path: Path, vehicles_sheet: str | None
) -> tuple[float, int, int]:
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, builtin_folder())
    from carexport.network import repository

    with unit_of_work(engine) as session:
        snapshot = repository.load_snapshot(session, ORG)
    options = ImportOptions(vehicles_sheet=vehicles_sheet)
    start = time.perf_counter()
    orders, vehicles = read_files(orders_path, vehicles_path, options)
    with unit_of_work(engine) as session:
        report = import_orders(
            session, ORG, snapshot, orders, vehicles, options, source=orders_path.name
        )
    elapsed = time.perf_counter() - start
    engine.dispose()
    if report.errors or not report.committed:
        raise SystemExit(f"import failed: {report.errors[:3]}")
    return elapsed, report.orders_inserted, report.vehicles_inserted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vins", type=int, default=1_000_000, help="VINs in the order book")
    parser.add_argument("--vins-per-order", type=float, default=10.0)
    parser.add_argument("--smoke", action="store_true", help="a tiny run (CI)")
    parser.add_argument("--pg", default=os.environ.get("CAREXPORT_TEST_DATABASE_URL"))
    parser.add_argument("--formats", default="csv,xlsx")
    args = parser.parse_args()
    vins = 2_000 if args.smoke else args.vins
    backends = ["sqlite"] + (["postgresql"] if args.pg else [])

    with tempfile.TemporaryDirectory(prefix="carexport-bench-") as folder:
        workdir = Path(folder)
        from carexport.network.dataset import read_dataset

        snapshot = read_dataset(builtin_folder()).snapshot()
        t0 = time.perf_counter()
        # The lognormal order sizes have mean = median x e^(0.8^2/2) = 1.377 x median.
        book = generate(
            snapshot,
            months=12,
            start=dt.date(2027, 1, 1),
            seed=7,
            vehicles_per_year=vins,
            median_order_vehicles=args.vins_per_order / 1.377,
        )
        print(
            f"order book: {book.orders.height:,} orders, {book.vehicles.height:,} VINs "
            f"(generated in {time.perf_counter() - t0:.1f} s)"
        )
        rows = []
        for fmt in args.formats.split(","):
            t0 = time.perf_counter()
            written = write_order_book(book, workdir / f"book.{fmt}", about="benchmark")
            orders_path = written[0]
            vehicles_path = written[1] if len(written) > 1 else written[0]
            sheet = None if fmt == "csv" else "vehicles"
            size_mb = sum(p.stat().st_size for p in written) / 1e6
            print(f"{fmt}: {size_mb:.0f} MB written in {time.perf_counter() - t0:.1f} s")
            read_s, raw_orders, raw_vehicles = read_floor(orders_path, vehicles_path, sheet)
            for backend in backends:
                with database(backend, workdir, args.pg) as url:
                    bare_s = bare_floor(url, raw_orders, raw_vehicles)
                with database(backend, workdir, args.pg) as url:
                    import_s, n_orders, n_vins = import_once(url, orders_path, vehicles_path, sheet)
                    stored = stored_rows(url)
                with database(backend, workdir, args.pg) as url:
                    store_s = store_floor(url, *stored)
                rows.append((fmt, backend, n_orders, n_vins, read_s, store_s, bare_s, import_s))
    print()
    header = (
        f"{'format':6} {'backend':10} {'orders':>8} {'VINs':>9} {'read s':>7} "
        f"{'store s':>7} {'bare s':>6} {'import s':>8} {'rows/s':>9} "
        f"{'x(read+store)':>13} {'x read':>7}  goal"
    )
    print(header)
    print("-" * len(header))
    for fmt, backend, n_orders, n_vins, read_s, store_s, bare_s, import_s in rows:
        vs_both, vs_read = import_s / (read_s + store_s), import_s / read_s
        goal = (
            f"<= 3 x (read+store): {'ok' if vs_both <= 3 else 'MISSED'}"
            if fmt == "csv"
            else f"<= 2 x read: {'ok' if vs_read <= 2 else 'MISSED'}"
        )
        print(
            f"{fmt:6} {backend:10} {n_orders:>8,} {n_vins:>9,} {read_s:>7.2f} {store_s:>7.2f} "
            f"{bare_s:>6.2f} {import_s:>8.2f} {(n_orders + n_vins) / import_s:>9,.0f} "
            f"{vs_both:>13.2f} {vs_read:>7.2f}  {goal}"
        )
    print(
        "\nrows/s counts orders + VINs; store = the stored rows copied into the same tables "
        "of a fresh database; bare = raw rows into keyless text tables"
    )


if __name__ == "__main__":
    main()
