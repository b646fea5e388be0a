"""An ingest killed half-way leaves its batch wholly out; a re-run stores it whole."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from carexport.db.session import unit_of_work
from carexport.tracking.tables import EventRow, VehicleStatusRow
from tests.tracking.world import ORG, VIN_A, VIN_B

CHILD = "import sys; from carexport.cli import main; sys.argv[0] = 'carexport'; main()"
EVENTS = 150_000


def _writing(engine: Engine) -> bool:
    """Whether another connection holds an open write into the event table."""
    if engine.dialect.name == "sqlite":
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
                    "WHERE c.relname = 'tracking_event' AND l.mode = 'RowExclusiveLock' "
                    "AND l.pid <> pg_backend_pid()"
                )
            )
        )


def _counts(engine: Engine) -> tuple[int, int]:
    with unit_of_work(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(EventRow)) or 0,
            session.scalar(select(func.count()).select_from(VehicleStatusRow)) or 0,
        )


def test_killed_ingest_leaves_nothing_and_a_rerun_stores_everything(
    loaded: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    path = tmp_path / "events.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(EVENTS):  # holds and releases, a minute apart, on two cars
            out.write(
                json.dumps(
                    {
                        "vin": VIN_A if i % 2 else VIN_B,
                        "code": "HOLD" if i % 4 < 2 else "HOLD_RELEASED",
                        "node": "CN_CQ_CHANGAN",
                        "event_time": (start + dt.timedelta(minutes=i)).isoformat(),
                    }
                )
                + "\n"
            )
    monkeypatch.setenv("CAREXPORT_DATABASE_URL", database_url)
    monkeypatch.setenv("CAREXPORT_ORG_ID", ORG)
    command = [sys.executable, "-c", CHILD, "events", "import", str(path)]

    def launch(log: str) -> subprocess.Popen[bytes]:
        with (tmp_path / log).open("wb") as out:
            return subprocess.Popen(command, env=os.environ, stdout=out, stderr=subprocess.STDOUT)

    child = launch("killed.log")
    deadline = time.monotonic() + 120
    while not _writing(loaded):
        assert child.poll() is None, (tmp_path / "killed.log").read_text()
        assert time.monotonic() < deadline, "the ingest never started writing"
        time.sleep(0.01)
    time.sleep(0.1)
    assert child.poll() is None, "the ingest finished before it could be killed"
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    assert _counts(loaded) == (0, 0)

    again = launch("again.log")
    assert again.wait(timeout=300) == 0, (tmp_path / "again.log").read_text()
    assert _counts(loaded) == (EVENTS, 2)
