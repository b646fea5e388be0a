"""Crash tests (issue 12): `kill -9` in the middle of an order import, an event ingest, a
plan being stored and a network load, on SQLite and PostgreSQL.

Each test builds the store's before-state, starts the real `carexport` command as a child
process, waits until it is writing into the table the operation fills, kills it with
SIGKILL and then asserts:

- all or nothing: every table of the store, row for row (a digest of each table's rows in
  key order, and its count), is exactly as it was before the command started;
- the store is intact (see `assert_intact`): on SQLite `PRAGMA integrity_check` says ok
  and `PRAGMA foreign_key_check` finds nothing; on PostgreSQL amcheck finds every B-tree
  index sound and holding every row of its table (`bt_index_check(..., heapallindexed)`)
  and every table's heap sound (`verify_heapam`), and no primary or unique key holds a
  duplicate; on both, no row breaks a declared foreign key or one of the references the
  operations keep without declaring them (`REFERENCES`: a vehicle's order, a leg's plan,
  a tracked VIN's status...);
- the same command, run again, completes, and the store then holds what one uninterrupted
  run gives (counts taken from the input files or the run's own output files), intact.

"Writing into the table": on PostgreSQL, the child's backend holds a RowExclusiveLock on
it in this database (taken when an INSERT, UPDATE, DELETE or COPY into it starts); on
SQLite, whose lock is one per file, the child itself reports (a trace callback on its
SQLite connections touches a marker file) the first statement writing into the table,
and the test also sees the file's write lock held. The kill follows the first write seen
by SETTLE_S. The tables watched are written after others of the same operation
(order_vehicle after export_order, tracking_event after rejected_event, expected_milestone
after the plan's version, legs, orders and loads, network_dealer after the network's
deletes and its other files), so an operation that committed in parts would be caught
between them: with a commit put there (and with no kill at all) every test fails.

The re-run runs in this process (Typer's CliRunner): the same command, without a second
interpreter start-up per test.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import (
    Connection,
    Engine,
    ForeignKeyConstraint,
    MetaData,
    Table,
    UniqueConstraint,
    and_,
    func,
    literal,
    select,
    text,
)
from typer.testing import CliRunner

from carexport.cli import app
from carexport.config import get_settings
from carexport.db.session import unit_of_work
from carexport.network.dataset import builtin_folder, read_dataset
from carexport.network.repository import TABLE_FOR_FILE
from carexport.network.service import check_dataset, load_dataset, snapshot_of
from carexport.orders.generate import OrderBook, generate, write_order_book
from carexport.orders.service import ImportOptions, import_orders, read_files
from carexport.orders.vin import with_check_digit
from tests.tracking.world import ORG, VIN_A, VIN_B, load_world

# The child: the real CLI, with a trace callback on its SQLite connections that touches
# CRASH_MARKER when a statement first writes into CRASH_TABLE (PostgreSQL needs none).
CHILD = """\
import os, re, sqlite3, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine

marker, table = os.environ["CRASH_MARKER"], os.environ["CRASH_TABLE"]
writes = re.compile(
    r'\\s*(INSERT(\\s+OR\\s+\\w+)?\\s+INTO|UPDATE|DELETE\\s+FROM)\\s+"?' + table + r'\\b', re.I
)

def connected(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    def trace(statement):
        if not os.path.exists(marker) and writes.match(statement):
            open(marker, "w").close()
    dbapi_connection.set_trace_callback(trace)

event.listen(Engine, "connect", connected)
from carexport.cli import main
sys.argv[0] = "carexport"
main()
"""

# References the operations keep without a foreign key: (table, columns) -> (table, key).
REFERENCES: tuple[tuple[str, tuple[str, ...], str, tuple[str, ...]], ...] = (
    ("export_order", ("org_id", "import_id"), "order_import", ("org_id", "id")),
    ("order_vehicle", ("org_id", "order_id"), "export_order", ("org_id", "order_id")),
    ("plan_leg", ("org_id", "plan_id"), "plan_version", ("org_id", "id")),
    ("plan_order", ("org_id", "plan_id"), "plan_version", ("org_id", "id")),
    ("plan_load", ("org_id", "plan_id"), "plan_version", ("org_id", "id")),
    ("expected_milestone", ("org_id", "plan_id"), "plan_version", ("org_id", "id")),
    ("vehicle_plan", ("org_id", "plan_id"), "plan_version", ("org_id", "id")),
    ("tracking_event", ("org_id", "vin"), "vehicle_status", ("org_id", "vin")),
    ("vehicle_status", ("org_id", "vin"), "order_vehicle", ("org_id", "vin")),
)

START = dt.date(2027, 1, 1)
SETTLE_S = 0.02  # from the first write seen to the kill
runner = CliRunner()


# -- the store: its state, row for row, and its integrity ---------------------------------


class Store:
    """The database under test, its tables as they are (reflected, not as the code says)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.metadata = MetaData()
        self.metadata.reflect(engine)

    def state(self) -> dict[str, tuple[int, str]]:
        """Every table's row count and a digest of its rows (as the driver gives them) in
        key order."""
        out: dict[str, tuple[int, str]] = {}
        with self.engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            for table in self.metadata.sorted_tables:
                key = list(table.primary_key.columns) or list(table.columns)
                order = ", ".join(f'"{c.name}"' for c in key)
                cursor.execute(f'SELECT * FROM "{table.name}" ORDER BY {order}')
                digest, rows = hashlib.sha256(), 0
                while chunk := cursor.fetchmany(10_000):
                    digest.update(repr(chunk).encode())
                    rows += len(chunk)
                out[table.name] = (rows, digest.hexdigest()[:16])
            cursor.close()
        return out

    def counts(self, *tables: str) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                name: conn.scalar(select(func.count()).select_from(self.metadata.tables[name])) or 0
                for name in tables
            }

    def assert_intact(self) -> None:
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            else:
                _amcheck(conn)
                assert self._duplicate_keys(conn) == {}
            assert self._orphans(conn) == {}

    def _references(self) -> Iterator[tuple[Table, Sequence[str], Table, Sequence[str]]]:
        tables = self.metadata.tables
        for table in self.metadata.sorted_tables:
            for fk in table.constraints:
                if isinstance(fk, ForeignKeyConstraint):
                    referred = fk.elements[0].column.table
                    yield table, fk.column_keys, referred, [e.column.name for e in fk.elements]
        for child, columns, parent, key in REFERENCES:
            yield tables[child], columns, tables[parent], key

    def _orphans(self, conn: Connection) -> dict[str, int]:
        """Rows whose reference finds no row (declared foreign keys and REFERENCES)."""
        found: dict[str, int] = {}
        for child, columns, parent, key in self._references():
            match = and_(*(parent.c[k] == child.c[c] for c, k in zip(columns, key, strict=True)))
            present = select(literal(1)).select_from(parent).where(match).exists()
            set_ = and_(*(child.c[c].is_not(None) for c in columns))
            orphans = conn.scalar(select(func.count()).select_from(child).where(set_, ~present))
            if orphans:
                found[f"{child.name}({', '.join(columns)}) -> {parent.name}"] = orphans
        return found

    def _duplicate_keys(self, conn: Connection) -> dict[str, int]:
        """Primary and unique keys held by more than one row (PostgreSQL 15's amcheck does
        not check uniqueness; SQLite's integrity_check does)."""
        found: dict[str, int] = {}
        for table in self.metadata.sorted_tables:
            keys = [list(table.primary_key.columns)] + [
                list(u.columns) for u in table.constraints if isinstance(u, UniqueConstraint)
            ]
            for key in keys:
                if not key:
                    continue
                groups = select(*key).group_by(*key).having(func.count() > 1).subquery()
                duplicates = conn.scalar(select(func.count()).select_from(groups))
                if duplicates:
                    found[f"{table.name}({', '.join(c.name for c in key)})"] = duplicates
        return found


def _amcheck(conn: Connection) -> None:
    """PostgreSQL's amcheck over every table and B-tree index of the public schema: each
    index's structure, and that it holds every row of its table (heapallindexed); each
    table's heap pages and tuples (verify_heapam). A corrupt index raises."""
    available = conn.scalar(
        text("SELECT count(*) FROM pg_available_extensions WHERE name = 'amcheck'")
    )
    if not available:
        pytest.fail("the amcheck extension is not available on this PostgreSQL server")
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
    conn.commit()
    checked = conn.scalar(
        text(
            "SELECT count(bt_index_check(c.oid, true)) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am a ON a.oid = c.relam "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE a.amname = 'btree' AND n.nspname = 'public'"
        )
    )
    assert checked
    corrupt = conn.execute(
        text(
            "SELECT c.relname, v.blkno, v.offnum, v.msg FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "CROSS JOIN LATERAL verify_heapam(c.oid) v "
            "WHERE c.relkind = 'r' AND n.nspname = 'public'"
        )
    ).all()
    assert corrupt == []


# -- the kill ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pycache() -> Path | None:
    """Where the children keep compiled modules when this environment forbids writing
    bytecode (PYTHONDONTWRITEBYTECODE): else each would compile ~600 modules again
    (seconds each). One folder per user under the temporary directory, kept between runs
    (a compiled module records its source's time and size, so a stale one is not used)."""
    if not sys.flags.dont_write_bytecode:
        return None
    folder = Path(tempfile.gettempdir()) / f"carexport-tests-pycache-{os.getuid()}"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def crash(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pycache: Path | None
) -> Iterator[Crash]:
    """The kill and the re-run, with the CLI pointed at the test's store and ORG."""
    monkeypatch.setenv("CAREXPORT_DATABASE_URL", database_url)
    monkeypatch.setenv("CAREXPORT_ORG_ID", ORG)
    get_settings.cache_clear()
    yield Crash(tmp_path, pycache)
    get_settings.cache_clear()


@dataclass(frozen=True)
class Crash:
    folder: Path
    pycache: Path | None

    def __call__(self, store: Store, args: list[str], *, table: str) -> str:
        """Kill `carexport args` while it writes into table; assert the store is as it was
        and intact; run the command again to the end and assert the store intact again.
        Returns the re-run's output."""
        before = store.state()
        marker = self.folder / "writing.marker"
        marker.unlink(missing_ok=True)
        log = self.folder / "killed.log"
        env = {**os.environ, "CRASH_MARKER": str(marker), "CRASH_TABLE": table}
        if self.pycache is not None:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(self.pycache)
        with log.open("wb") as out:
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, *args], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            deadline = time.monotonic() + 120
            while not _writing(store.engine, table, marker):
                assert child.poll() is None, f"it exited before writing:\n{log.read_text()}"
                assert time.monotonic() < deadline, "it never started writing"
                time.sleep(0.02)
            time.sleep(SETTLE_S)
            assert _writing(store.engine, table, marker), "it was done writing before the kill"
            assert child.poll() is None, "it finished before it could be killed"
            child.send_signal(signal.SIGKILL)
            assert child.wait(timeout=30) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()

        after = store.state()
        changed = {
            t: {"before": before[t], "after": after[t]} for t in before if before[t] != after[t]
        }
        assert changed == {}, "the killed command left rows behind (count, digest)"
        store.assert_intact()

        result = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        store.assert_intact()
        return result.output


def _writing(engine: Engine, table: str, marker: Path) -> bool:
    """Whether another process is writing into table in a transaction still open."""
    if engine.dialect.name == "sqlite":
        if not marker.exists():
            return False
        probe = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")  # fails while another connection writes
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
        return False
    with engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE l.database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database()) "
                    "AND c.relname = :table AND l.mode = 'RowExclusiveLock' "
                    "AND l.pid <> pg_backend_pid()"
                ),
                {"table": table},
            )
        )


# -- worlds ------------------------------------------------------------------------------


def _load_network(engine: Engine, folder: Path | None = None) -> None:
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, folder or builtin_folder())


def _order_book(folder: Path, vehicles_per_year: float) -> tuple[OrderBook, list[Path]]:
    """A synthetic month of orders from START (about vehicles_per_year / 12 VINs)."""
    snapshot = check_dataset(builtin_folder()).snapshot()
    book = generate(snapshot, months=1, start=START, vehicles_per_year=vehicles_per_year)
    return book, write_order_book(book, folder / "book.csv", about="crash test")


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


# -- the four operations -----------------------------------------------------------------


def test_killed_order_import_leaves_nothing_and_a_rerun_imports_the_book(
    engine: Engine, crash: Crash, tmp_path: Path
) -> None:
    _load_network(engine)
    book, (orders, vehicles) = _order_book(tmp_path, 720_000)  # ~60k VINs
    store = Store(engine)

    args = ["orders", "import", str(orders), "--vehicles", str(vehicles)]
    output = crash(store, args, table="order_vehicle")
    assert "committed" in output
    assert store.counts("order_import", "export_order", "order_vehicle") == {
        "order_import": 1,
        "export_order": book.orders.height,
        "order_vehicle": book.vehicles.height,
    }


EVENTS = 60_000
STRANGERS = 5  # events of a VIN no order has: rejected, and kept with their reason


def test_killed_event_ingest_leaves_nothing_and_a_rerun_stores_everything(
    engine: Engine, crash: Crash, tmp_path: Path
) -> None:
    load_world(engine)  # the network and one order with two VINs
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    stranger = with_check_digit("LC9012008VC999999")
    path = tmp_path / "events.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(STRANGERS + EVENTS):  # holds and releases, a minute apart
            event = {
                "vin": stranger if i < STRANGERS else VIN_A if i % 2 else VIN_B,
                "code": "HOLD" if i % 4 < 2 else "HOLD_RELEASED",
                "node": "CN_CQ_CHANGAN",
                "event_time": (start + dt.timedelta(minutes=i)).isoformat(),
            }
            out.write(json.dumps(event) + "\n")
    store = Store(engine)

    # Rejected events are written first (rejected_event), then the good ones.
    crash(store, ["events", "import", str(path)], table="tracking_event")
    assert store.counts("tracking_event", "vehicle_status", "rejected_event") == {
        "tracking_event": EVENTS,
        "vehicle_status": 2,
        "rejected_event": STRANGERS,
    }


def test_killed_plan_store_leaves_no_plan_and_a_rerun_stores_it_whole(
    engine: Engine, crash: Crash, tmp_path: Path
) -> None:
    _load_network(engine)
    book, (orders, vehicles) = _order_book(tmp_path, 36_000)  # 3k VINs
    with unit_of_work(engine) as session:
        orders_table, vehicles_table = read_files(orders, vehicles, ImportOptions())
        report = import_orders(
            session,
            ORG,
            snapshot_of(session, ORG),
            orders_table,
            vehicles_table,
            ImportOptions(),
            source="book.csv",
        )
        assert report.committed and not report.errors
    store = Store(engine)
    out = tmp_path / "plan"
    args = ["plan", "--from-db", "--start", START.isoformat(), "--method", "greedy"]

    crash(store, [*args, "--out", str(out)], table="expected_milestone")
    counts = store.counts("plan_version", "plan_leg", "plan_order", "plan_load", "vehicle_plan")
    assert counts == {
        "plan_version": 1,
        "plan_leg": _rows(out / "legs.csv"),
        "plan_order": _rows(out / "orders.csv"),
        "plan_load": _rows(out / "load_lists.csv"),
        "vehicle_plan": book.vehicles.height,
    }
    written = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT id FROM plan_version")) == written["plan_id"]


MOVED_DEALERS = 800  # dealers of the first load whose city the second load changes
NEW_DEALERS = 1_500


def _dealers(folder: Path, extra: int, moved: int) -> Path:
    """The built-in dataset with extra dealers (copies of built-in ones under new ids),
    the first moved of them in another city."""
    shutil.copytree(builtin_folder(), folder)
    path = folder / "dealers.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        for i in range(extra):
            row = {**rows[i % len(rows)], "id": f"D_CRASH_{i:05d}"}
            if i < moved:
                row["city"] += " (moved)"
            writer.writerow(row)
    return folder


def test_killed_network_load_keeps_the_old_network_and_a_rerun_loads_the_new(
    engine: Engine, crash: Crash, tmp_path: Path
) -> None:
    _load_network(engine, _dealers(tmp_path / "first", MOVED_DEALERS, 0))
    second = _dealers(tmp_path / "second", MOVED_DEALERS + NEW_DEALERS, MOVED_DEALERS)
    with (second / "targets.csv").open(encoding="utf-8") as handle:  # one target less
        targets = handle.readlines()
    (second / "targets.csv").write_text("".join(targets[:-1]), encoding="utf-8")
    store = Store(engine)

    crash(store, ["network", "load", str(second)], table="network_dealer")
    dataset = read_dataset(second)
    expected = {
        TABLE_FOR_FILE[name].__tablename__: len(records)
        for name, records in dataset.records.items()
    }
    assert store.counts(*expected) == expected
    with engine.connect() as conn:  # and the moved dealers are where the second one says
        moved = text("SELECT count(*) FROM network_dealer WHERE city LIKE '% (moved)'")
        assert conn.scalar(moved) == MOVED_DEALERS
