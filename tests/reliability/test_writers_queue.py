"""Every CLI command that writes takes its turn among SQLite writers (issue 12): with
another writer holding the database it says it waits, then writes once the other is done,
or, beyond CAREXPORT_BUSY_TIMEOUT_S, exits 75 with a message and writes nothing. Before,
these read first and then failed at once ("database is busy", no wait), and `db upgrade`
ended with a traceback ("database is locked").

Each command runs in this process through main(), as the installed command does; the
other writer is a connection of the test's own (WriteGate), released from a timer once
the command has said it waits."""

from __future__ import annotations

import io
import sqlite3
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from carexport.access import service as access_service
from carexport.access.permissions import Role
from carexport.cli import context, main
from carexport.config import get_settings
from carexport.db.session import make_engine, unit_of_work
from carexport.tracking.ingest import ingest, raw_frame
from tests.reliability.test_concurrency import WriteGate
from tests.tracking.world import JOURNEY, NOW, ORG, load_world

WAITS = "another import or ingest is writing to the database: waiting for its turn"


@dataclass(frozen=True)
class Writer:
    args: str  # after `carexport`; {tmp}: the test's folder, {url}: the database's URL
    says: str  # what its output holds when it has done its work
    stdin: str = ""
    fresh: bool = False  # runs on a new, empty file (db upgrade) instead of the world


WRITERS = {
    "network load": Writer("network load --org globex", "Loaded"),
    "users add": Writer(f"users add ana --org {ORG}", "user ana (viewer) of acme added"),
    "users token": Writer("users token bob", "API token"),
    "users revoke": Writer("users revoke bob", "1 token(s) of bob revoked"),
    "users password": Writer(
        "users password bob --password-stdin",
        "password of bob set",
        stdin="a long enough password\n",
    ),
    "kpi recount": Writer("kpi recount", "FVL facts of 2 VINs rebuilt"),
    "plan --from-db": Writer(
        "plan --from-db --start 2027-01-01 --out {tmp}/plan", "stored as plan version"
    ),
    "scenarios run": Writer(
        "scenarios run red-sea-closed --samples 1 --workers 1 --start 2027-01-01",
        "stored as scenario run",
    ),
    "db upgrade": Writer("db upgrade --url {url}", "upgraded (empty) ->", fresh=True),
}


@pytest.fixture
def world(database_url: str) -> Iterator[Engine]:
    """load_world's network and order A1 with JOURNEY ingested (without the FVL facts it
    keeps, so that `kpi recount` has them to write), and user bob with a token."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's writers queue for one write lock; PostgreSQL's: test_concurrency")
    engine = load_world(make_engine(database_url))
    with unit_of_work(engine, writes=True) as session:
        ingest(session, ORG, raw_frame(JOURNEY), source="world", now=NOW)
        session.execute(text("DELETE FROM vehicle_fvl"))
        access_service.add_user(session, ORG, "bob", Role.viewer)
        access_service.issue_token(session, "bob", "test")
    yield engine
    engine.dispose()


def dump(path: str) -> list[str]:
    """Every row and schema statement of the SQLite file: what 'nothing written' compares."""
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], stdin: str
) -> tuple[int, str]:
    """carexport ARGS through main(): its exit code and its output, on one line."""
    monkeypatch.setattr(sys, "argv", ["carexport", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code: int = 0
    try:
        main()
    except SystemExit as exited:
        code = int(exited.code or 0)
    output = capsys.readouterr()
    return code, " ".join((output.out + output.err).split())


def release_when_waiting(monkeypatch: pytest.MonkeyPatch, gate: WriteGate) -> list[float]:
    """Release the gate 0.3 s after the command says it waits (it waits meanwhile)."""
    waits: list[float] = []
    say = context.say_waiting

    def say_and_release(seconds: float) -> None:
        say(seconds)
        waits.append(seconds)
        threading.Timer(0.3, gate.release).start()

    monkeypatch.setattr(context, "say_waiting", say_and_release)
    return waits


def setenv(monkeypatch: pytest.MonkeyPatch, url: str, busy_timeout_s: str) -> None:
    monkeypatch.setenv("CAREXPORT_DATABASE_URL", url)
    monkeypatch.setenv("CAREXPORT_ORG_ID", ORG)
    monkeypatch.setenv("CAREXPORT_BUSY_TIMEOUT_S", busy_timeout_s)
    monkeypatch.setenv("COLUMNS", "200")  # no wrapped lines in what the test reads
    get_settings.cache_clear()


@pytest.mark.parametrize("name", list(WRITERS))
def test_a_cli_writer_waits_its_turn_or_says_it_is_busy(
    name: str,
    world: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    writer = WRITERS[name]
    url = f"sqlite:///{tmp_path / 'fresh.db'}" if writer.fresh else database_url
    path = url.removeprefix("sqlite:///")
    if writer.fresh:  # an empty file as carexport makes them (WAL), for the gate to lock
        sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").close()
    args = writer.args.format(tmp=tmp_path, url=url).split()
    gate = WriteGate(make_engine(url))
    before = dump(path)
    try:
        # Held beyond the busy timeout: exit 75, the message, nothing written.
        setenv(monkeypatch, database_url, "0.3")
        gate.hold()
        code, said = run_main(monkeypatch, capsys, args, writer.stdin)
        assert code == 75, said
        assert f"{WAITS} (up to 0.3 s)" in said, said
        assert "error: the database is busy" in said and "nothing was written" in said, said
        assert "Traceback" not in said and "locked" not in said, said
        gate.release()
        assert dump(path) == before
        # Held a moment: it waits its turn, then does its work.
        setenv(monkeypatch, database_url, "30")
        waits = release_when_waiting(monkeypatch, gate)
        gate.hold()
        code, said = run_main(monkeypatch, capsys, args, writer.stdin)
        assert (code, waits) == (0, [30.0]), said
        assert f"{WAITS} (up to 30 s)" in said and writer.says in said, said
        assert dump(path) != before
    finally:
        gate.release()
        gate.engine.dispose()
        get_settings.cache_clear()


class DemoStopped(Exception):
    """Ends the demo after its first stage (the whole of it takes minutes)."""


def test_the_demo_waits_its_turn_or_says_it_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo makes its file afresh: the other writer takes it right after the schema is
    made (as a server started on the file might), before the demo's first write."""
    import carexport.cli.network
    import carexport.db.migrate

    db_file = tmp_path / "demo.db"
    gate = WriteGate(make_engine(f"sqlite:///{db_file}"))
    upgrade = carexport.db.migrate.upgrade
    schema_only: list[list[str]] = []

    def upgrade_then_hold(engine: Engine) -> None:
        upgrade(engine)
        schema_only.append(dump(str(db_file)))
        gate.hold()

    monkeypatch.setattr(carexport.db.migrate, "upgrade", upgrade_then_hold)
    args = ["demo", "--db-file", str(db_file), "--workdir", str(tmp_path / "work")]
    try:
        setenv(monkeypatch, "sqlite:///unused.db", "0.3")
        code, said = run_main(monkeypatch, capsys, args, "")
        assert code == 75 and f"{WAITS} (up to 0.3 s)" in said, said
        assert "nothing was written" in said and "Traceback" not in said, said
        gate.release()
        assert dump(str(db_file)) == schema_only[0]

        setenv(monkeypatch, "sqlite:///unused.db", "30")
        waits = release_when_waiting(monkeypatch, gate)
        print_load_counts = carexport.cli.network.print_load_counts

        def print_and_stop(*given: object) -> None:
            print_load_counts(*given)  # type: ignore[arg-type]
            raise DemoStopped

        monkeypatch.setattr(carexport.cli.network, "print_load_counts", print_and_stop)
        with pytest.raises(DemoStopped):
            run_main(monkeypatch, capsys, args, "")
        assert waits == [30.0]
        said = " ".join(capsys.readouterr().err.split())
        assert f"{WAITS} (up to 30 s)" in said, said
        connection = sqlite3.connect(db_file)
        try:
            assert connection.execute("SELECT username FROM access_user").fetchall() == [("demo",)]
            assert connection.execute("SELECT count(*) FROM network_lane").fetchone()[0] > 0
        finally:
            connection.close()
    finally:
        gate.release()
        gate.engine.dispose()
        get_settings.cache_clear()
