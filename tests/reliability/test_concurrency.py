"""Concurrency (issue 12): two order imports and two event ingests at once, as separate
`carexport` processes, with API reads going on the whole time, on SQLite and PostgreSQL.

Every writer is first held back by a write lock the test takes itself, until all four
wait on it, so that they really contend: on SQLite each one says it waits for its turn
and then has it; on PostgreSQL they queue on the lock. Nothing is lost: the final counts
are the sums of what each file adds, as known from the files written here. Readers never
fail and never see half an import. API writers (POST /events and POST /orders from
threads against one app) queue the same way, and a writer that waits beyond the busy
timeout gets a message (CLI exit 75, API 503 with Retry-After), never "database is
locked", a traceback or a wait without end.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from carexport.config import Settings
from carexport.db.session import make_engine, unit_of_work
from carexport.network import service as network_service
from carexport.orders.intake import ORDER_COLUMNS, VEHICLE_COLUMNS, read_records
from carexport.orders.service import ImportOptions, import_orders
from carexport.orders.tables import OrderImportRow, OrderRow, VehicleRow
from carexport.orders.vin import with_check_digit
from carexport.tracking.ingest import ingest, raw_frame
from carexport.tracking.tables import EventRow, VehicleStatusRow
from tests.clients import client_for
from tests.tracking.world import JOURNEY, NOW, ORG, VIN_A, load_world

CHILD = "import sys; from carexport.cli import main; sys.argv[0] = 'carexport'; main()"
WAITING = "waiting for its turn"

# What the world holds before the writers start: load_world's order A1 with its two VINs
# (both with a status from JOURNEY), and a book of PRE_ORDERS orders of VINS_PER_ORDER
# VINs each whose VINs the event files report on.
VINS_PER_ORDER = 4
PRE_ORDERS = 150
PRE_VINS = PRE_ORDERS * VINS_PER_ORDER  # 600
BASE = {"orders": 1 + PRE_ORDERS, "vehicles": 2 + PRE_VINS, "events": 7, "statuses": 2}
# Each order file: FILE_ORDERS new orders and their VINs. Each event file: RELEASED and
# GATE_OUT for EVENT_VINS of the pre-loaded VINs (every other one: the files share no VIN
# but every order).
FILE_ORDERS = 150
FILE_VINS = FILE_ORDERS * VINS_PER_ORDER  # 600
EVENT_VINS = PRE_VINS // 2  # 300
EVENTS_PER_VIN = 2
ADDS = {
    "orders": FILE_ORDERS,
    "vehicles": FILE_VINS,
    "events": EVENT_VINS * EVENTS_PER_VIN,
    "statuses": EVENT_VINS,
}


def vin(serial: int) -> str:
    return with_check_digit(f"LC9012008VC{serial:06d}")


Rows = list[dict[str, Any]]


def order_rows(prefix: str, orders: int, first_serial: int) -> tuple[Rows, Rows]:
    """orders orders named prefix-00001..., VINS_PER_ORDER VINs each from first_serial."""
    order_list: Rows = []
    vehicles: Rows = []
    for i in range(orders):
        order_id = f"{prefix}-{i + 1:05d}"
        order_list.append(
            {
                "order_id": order_id,
                "brand": "CHANGAN",
                "model": "CS35_PLUS",
                "variant": "CS35_PLUS_14T_LHD",
                "quantity": VINS_PER_ORDER,
                "origin": "CN_CQ_CHANGAN",
                "destination_country": "VN",
                "ready_date": "2027-01-04",
                "due_date": "2027-02-01",
            }
        )
        serial = first_serial + i * VINS_PER_ORDER
        vehicles += [{"vin": vin(serial + j), "order_id": order_id} for j in range(VINS_PER_ORDER)]
    return order_list, vehicles


def event_rows(serials: range) -> list[dict[str, Any]]:
    """RELEASED and GATE_OUT at the plant for each VIN, in the past."""
    return [
        {"vin": vin(s), "code": code, "node": "CN_CQ_CHANGAN", "event_time": at}
        for s in serials
        for code, at in (
            ("RELEASED", "2025-06-02T08:00:00+08:00"),
            ("GATE_OUT", "2025-06-03T09:00:00+08:00"),
        )
    ]


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


PRE_FIRST = 10_001  # serials of the pre-loaded VINs; then file A, file B, the API's
PRE_SERIALS = range(PRE_FIRST, PRE_FIRST + PRE_VINS)


@pytest.fixture
def world(database_url: str) -> Iterator[Engine]:
    """The network, order A1 with JOURNEY ingested, and the pre-loaded book."""
    engine = load_world(make_engine(database_url))
    orders, vehicles = order_rows("PRE", PRE_ORDERS, PRE_FIRST)
    with unit_of_work(engine, writes=True) as session:
        ingest(session, ORG, raw_frame(JOURNEY), source="world", now=NOW)
        report = import_orders(
            session,
            ORG,
            network_service.snapshot_of(session, ORG),
            read_records("orders", orders, ORDER_COLUMNS),
            read_records("vehicles", vehicles, VEHICLE_COLUMNS),
            ImportOptions(),
            source="pre",
        )
        assert report.committed and not report.errors
    assert counts(engine) == BASE
    yield engine
    engine.dispose()


def counts(engine: Engine) -> dict[str, int]:
    with unit_of_work(engine) as session:
        return {
            name: session.scalar(select(func.count()).select_from(row).where(row.org_id == ORG))
            or 0
            for name, row in (
                ("orders", OrderRow),
                ("vehicles", VehicleRow),
                ("events", EventRow),
                ("statuses", VehicleStatusRow),
            )
        }


class WriteGate:
    """A write lock the test holds so that the writers pile up behind it. SQLite: the
    database's one write lock (BEGIN IMMEDIATE). PostgreSQL: EXCLUSIVE on the order and
    event tables, which blocks inserts into them but no reader. It may be released from
    another thread (a timer) than the one that took it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite: sqlite3.Connection | None = None
        self.pg: Any = None

    def hold(self) -> None:
        if self.engine.dialect.name == "sqlite":
            self.sqlite = sqlite3.connect(
                str(self.engine.url.database), isolation_level=None, check_same_thread=False
            )
            self.sqlite.execute("BEGIN IMMEDIATE")
            return
        self.pg = self.engine.connect()
        self.pg.begin()
        self.pg.execute(text("LOCK TABLE export_order, tracking_event IN EXCLUSIVE MODE"))

    def waiting_on_pg(self) -> int:
        """Other sessions of this database waiting for a lock (PostgreSQL)."""
        with self.engine.connect() as connection:
            return int(
                connection.scalar(
                    text(
                        "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND "
                        "database = (SELECT oid FROM pg_database "
                        "WHERE datname = current_database())"
                    )
                )
                or 0
            )

    def release(self) -> None:
        if self.sqlite is not None:
            self.sqlite.execute("ROLLBACK")
            self.sqlite.close()
            self.sqlite = None
        if self.pg is not None:
            self.pg.rollback()
            self.pg.close()
            self.pg = None


@dataclass
class Reads:
    """GETs against the API in a thread of their own until stopped, and what they saw."""

    client: TestClient
    errors: list[str] = field(default_factory=list)
    done: int = 0
    orders_seen: set[int] = field(default_factory=set)
    statuses_seen: set[int] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            for path, seen in (
                ("/orders?limit=1", self.orders_seen),
                ("/vehicles?limit=1", self.statuses_seen),
                (f"/vehicles/{VIN_A}", None),
                ("/orders/A1", None),
            ):
                try:
                    response = self.client.get(path)
                except Exception as error:  # counted, reported by the test
                    self.errors.append(f"GET {path}: {error!r}")
                    continue
                self.done += 1
                if response.status_code != 200:
                    self.errors.append(f"GET {path}: {response.status_code} {response.text}")
                elif seen is not None:
                    seen.add(response.json()["total"])
            self.stop.wait(0.2)

    def __enter__(self) -> Reads:
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(30)


def totals_allowed(key: str, *adds: dict[str, int]) -> set[int]:
    """What a reader may see: the base plus any whole set of the writers' additions."""
    sums = {0}
    for add in adds:
        sums |= {s + add[key] for s in sums}
    return {BASE[key] + s for s in sums}


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CAREXPORT_DATABASE_URL": database_url,
        "CAREXPORT_ORG_ID": ORG,
        "COLUMNS": "200",  # no wrapped lines in what the tests read
        **extra,
    }


def launch(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", CHILD, *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def report_counts(output: str) -> dict[str, int]:
    """The rows of the count table a command printed: label -> count."""
    return {
        label: int(count.replace(",", ""))
        for label, count in re.findall(r"│ ([a-z ]+?) +│ +([0-9,]+) │", output)
    }


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_two_imports_and_two_ingests_at_once_with_reads(
    world: Engine, database_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    files: dict[str, list[str]] = {}
    for name, first in (("A", 20_001), ("B", 30_001)):
        orders, vehicles = order_rows(f"C{name}", FILE_ORDERS, first)
        files[f"orders {name}"] = [
            "orders",
            "import",
            str(write_csv(tmp_path / f"orders_{name}.csv", orders)),
            "--vehicles",
            str(write_csv(tmp_path / f"vehicles_{name}.csv", vehicles)),
        ]
    # Every other VIN: both files report on every pre-loaded order.
    halves = (PRE_SERIALS[0::2], PRE_SERIALS[1::2])
    events_1 = write_csv(tmp_path / "events_1.csv", event_rows(halves[0]))
    events_2 = write_jsonl(tmp_path / "events_2.jsonl", event_rows(halves[1]))
    files["events 1"] = ["events", "import", str(events_1)]
    files["events 2"] = ["events", "import", str(events_2)]
    # Generous: the four queue one after the other behind the gate on a slow machine.
    env = cli_env(database_url, CAREXPORT_BUSY_TIMEOUT_S="120")
    sqlite = world.dialect.name == "sqlite"
    with client_for(database_url, ORG) as client, Reads(client) as reads:
        gate = WriteGate(world)
        gate.hold()
        try:
            logs = {name: tmp_path / f"{name.replace(' ', '_')}.log" for name in files}
            children = {name: launch(args, logs[name], env) for name, args in files.items()}

            def all_waiting() -> bool:
                if any(child.poll() is not None for child in children.values()):
                    return True  # one is done already: nothing more to wait for
                # Each says it waits (on PostgreSQL once its lock watch has seen it wait).
                said = all(WAITING in log.read_text() for log in logs.values())
                return said and (sqlite or gate.waiting_on_pg() >= len(children))

            gated = wait_until(all_waiting, 90)
            at_gate = time.monotonic() - started
            # The gate held: nothing written, and the reads went on meanwhile.
            assert counts(world) == BASE
            reads_while_held = reads.done
        finally:
            gate.release()
        codes = {name: child.wait(timeout=180) for name, child in children.items()}
        outputs = {name: log.read_text() for name, log in logs.items()}
        time.sleep(0.2)  # a last round of reads on the final state
    for name, output in outputs.items():
        assert codes[name] == 0, f"{name} exited {codes[name]}:\n{output}"
        assert "Traceback" not in output and "locked" not in output, f"{name}:\n{output}"
    assert gated and reads_while_held > 0
    for name in ("orders A", "orders B"):
        assert "committed import" in outputs[name], outputs[name]
        reported = report_counts(outputs[name])
        assert reported["orders inserted"] == FILE_ORDERS, outputs[name]
        assert reported["vehicles inserted"] == FILE_VINS, outputs[name]
    for name in ("events 1", "events 2"):
        reported = report_counts(outputs[name])
        assert (reported["stored"], reported["rejected"]) == (ADDS["events"], 0), outputs[name]
    # Each writer queued, and said so (on PostgreSQL: the lock watch saw it wait).
    assert [name for name, out in outputs.items() if WAITING not in out] == [], outputs

    assert reads.errors == [] and reads.done > 0
    assert reads.orders_seen <= totals_allowed("orders", ADDS, ADDS), reads.orders_seen
    assert reads.statuses_seen <= totals_allowed("statuses", ADDS, ADDS), reads.statuses_seen
    assert counts(world) == {
        "orders": BASE["orders"] + 2 * FILE_ORDERS,
        "vehicles": BASE["vehicles"] + 2 * FILE_VINS,
        "events": BASE["events"] + 2 * EVENT_VINS * EVENTS_PER_VIN,
        "statuses": BASE["statuses"] + 2 * EVENT_VINS,
    }
    with unit_of_work(world) as session:
        # load_world's, the pre-loaded book's, and one per order file.
        assert session.scalar(select(func.count()).select_from(OrderImportRow)) == 2 + 2
        # Every VIN of the event files: both its events, and GATE_OUT its last.
        kept = session.execute(
            select(VehicleStatusRow.last_code, VehicleStatusRow.events, func.count())
            .where(VehicleStatusRow.org_id == ORG, VehicleStatusRow.vin.like("LC901200_VC01%"))
            .group_by(VehicleStatusRow.last_code, VehicleStatusRow.events)
        ).all()
    assert kept == [("GATE_OUT", EVENTS_PER_VIN, 2 * EVENT_VINS)]
    print(
        f"[{world.dialect.name}] four writers at the gate after {at_gate:.1f} s, done after "
        f"{time.monotonic() - started:.1f} s; {reads.done} reads"
    )


API_THREADS = 6
API_BATCHES = 3  # requests per thread
API_EVENT_VINS = 25  # VINs per POST /events (two events each)
API_ORDERS = 10  # orders per POST /orders (VINS_PER_ORDER VINs each)


def test_api_writers_from_threads_queue_and_lose_nothing(world: Engine, database_url: str) -> None:
    """Four threads POST /events (each batch its own VINs), two POST /orders, at once,
    against one app, with reads beside them: every request 200, every batch stored whole."""
    started = time.monotonic()
    event_batches = [
        event_rows(PRE_SERIALS[i * API_EVENT_VINS : (i + 1) * API_EVENT_VINS])
        for i in range(4 * API_BATCHES)
    ]
    order_batches = [
        order_rows(f"API{i:02d}", API_ORDERS, 40_001 + i * API_ORDERS * VINS_PER_ORDER)
        for i in range(2 * API_BATCHES)
    ]

    with client_for(database_url, ORG) as client, Reads(client) as reads:

        def post_events(thread: int) -> list[tuple[int, Any]]:
            answers = []
            for batch in event_batches[thread * API_BATCHES : (thread + 1) * API_BATCHES]:
                response = client.post("/events", json={"events": batch})
                answers.append((response.status_code, response.json()))
            return answers

        def post_orders(thread: int) -> list[tuple[int, Any]]:
            answers = []
            for orders, vehicles in order_batches[
                thread * API_BATCHES : (thread + 1) * API_BATCHES
            ]:
                response = client.post("/orders", json={"orders": orders, "vehicles": vehicles})
                answers.append((response.status_code, response.json()))
            return answers

        with ThreadPoolExecutor(API_THREADS) as pool:
            event_answers = [pool.submit(post_events, t) for t in range(4)]
            order_answers = [pool.submit(post_orders, t) for t in range(2)]
            events_out = [a for future in event_answers for a in future.result()]
            orders_out = [a for future in order_answers for a in future.result()]
    assert [code for code, _ in events_out + orders_out] == [200] * (6 * API_BATCHES), [
        body for code, body in events_out + orders_out if code != 200
    ]
    assert {(b["stored"], b["rejected"]) for _, b in events_out} == {(2 * API_EVENT_VINS, 0)}
    assert {
        (b["committed"], b["orders_inserted"], b["vehicles_inserted"]) for _, b in orders_out
    } == {(True, API_ORDERS, API_ORDERS * VINS_PER_ORDER)}
    new_orders = 2 * API_BATCHES * API_ORDERS
    new_statuses = 4 * API_BATCHES * API_EVENT_VINS
    assert reads.errors == [] and reads.done > 0
    assert counts(world) == {
        "orders": BASE["orders"] + new_orders,
        "vehicles": BASE["vehicles"] + new_orders * VINS_PER_ORDER,
        "events": BASE["events"] + new_statuses * EVENTS_PER_VIN,
        "statuses": BASE["statuses"] + new_statuses,
    }
    print(f"[{world.dialect.name}] API writers: {time.monotonic() - started:.1f} s")


# Long enough for a writer that does not give up to be seen not to, short enough that the
# test then fails instead of hanging: the gate is let go after this many seconds anyway.
GATE_SAFETY_S = 20


@contextmanager
def held_too_long(engine: Engine) -> Iterator[WriteGate]:
    """The gate held for the block (or GATE_SAFETY_S), released when it ends."""
    gate = WriteGate(engine)
    gate.hold()
    safety = threading.Timer(GATE_SAFETY_S, gate.release)
    safety.start()
    try:
        yield gate
    finally:
        safety.cancel()
        safety.join()
        gate.release()


def test_a_cli_writer_that_waits_too_long_says_so(
    world: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Another writer holds the database beyond CAREXPORT_BUSY_TIMEOUT_S: `carexport orders
    import` and `events import` (through main, as the installed command runs) exit 75 with
    a message, write nothing, and show neither a traceback nor "database is locked". On
    SQLite they say they wait; on PostgreSQL they give up at the lock_timeout (which is
    the busy timeout) rather than wait without limit."""
    from carexport.cli import main
    from carexport.config import get_settings

    orders, vehicles = order_rows("LATE", 2, 50_001)
    commands = {
        "orders": [
            "orders",
            "import",
            str(write_csv(tmp_path / "orders.csv", orders)),
            "--vehicles",
            str(write_csv(tmp_path / "vehicles.csv", vehicles)),
        ],
        # A known VIN: its events go to the event table the gate locks on PostgreSQL.
        "events": [
            "events",
            "import",
            str(write_csv(tmp_path / "e.csv", event_rows(PRE_SERIALS[:1]))),
        ],
    }
    for name, value in cli_env(database_url, CAREXPORT_BUSY_TIMEOUT_S="0.3").items():
        if name.startswith("CAREXPORT_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        with held_too_long(world):
            for args in commands.values():
                monkeypatch.setattr(sys, "argv", ["carexport", *args])
                started = time.monotonic()
                with pytest.raises(SystemExit) as exited:
                    main()
                output = capsys.readouterr()
                said = " ".join((output.out + output.err).split())
                assert exited.value.code == 75, said
                assert time.monotonic() - started < GATE_SAFETY_S / 2, said
                assert "waiting for its turn (up to 0.3 s)" in said, said
                assert "error: the database is busy" in said and "nothing was written" in said
                assert "Traceback" not in said and "locked" not in said, said
            assert counts(world) == BASE
    finally:
        get_settings.cache_clear()
    assert counts(world) == BASE


def test_an_api_writer_that_waits_too_long_gets_503(world: Engine, database_url: str) -> None:
    """POST /events while another writer holds the database beyond the busy timeout: 503
    with the message and when to try again (Retry-After), nothing stored; reads go on
    meanwhile; the same batch then stores."""
    from carexport.api.app import BUSY_RETRY_AFTER_S

    settings = Settings(database_url=database_url, busy_timeout_s=0.3)
    batch = {"events": event_rows(PRE_SERIALS[:2])}
    with client_for(database_url, ORG, settings=settings) as client:
        with held_too_long(world):
            started = time.monotonic()
            refused = client.post("/events", json=batch)
            waited_s = time.monotonic() - started
            assert client.get(f"/vehicles/{VIN_A}").status_code == 200
            assert counts(world) == BASE
        assert refused.status_code == 503, refused.text
        assert waited_s < GATE_SAFETY_S / 2, waited_s
        assert refused.headers["Retry-After"] == str(BUSY_RETRY_AFTER_S) == "5"
        assert "the database is busy" in refused.json()["error"]
        assert "locked" not in refused.text
        stored = client.post("/events", json=batch)
        assert stored.status_code == 200 and stored.json()["stored"] == 4, stored.text
        documented = client.get("/openapi.json").json()["paths"]["/events"]["post"]["responses"]
        assert "Retry-After" in documented["503"]["headers"]
