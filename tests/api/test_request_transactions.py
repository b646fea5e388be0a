"""What bench/bench_soak.py found in the requests' transactions.

A write is committed before its answer goes out, so a client that reads right after a 200
finds what it wrote: with FastAPI's request-scoped dependencies the unit of work ended
after the answer was sent (the soak read a plan's milestones right after POST /plans
answered 201 and found none). And a write's audit entry is written off the event loop: on
SQLite it waits for the write lock, and waiting on the loop stalled every request, the
writer holding the lock too (its commit is scheduled from the loop), for busy_timeout. And
a plan run through the API solves before it takes the write lock, so ingest goes on.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from carexport.access import service as access_service
from carexport.api.app import create_app
from carexport.config import Settings
from carexport.db.session import make_engine, unit_of_work
from carexport.network.dataset import builtin_folder
from carexport.network.service import load_dataset
from carexport.planning.run import plan
from carexport.plans import endpoints as plans_endpoints
from tests.clients import make_user


def _stored(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return sum(
                connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("tracking_event", "rejected_event")
            )
    finally:
        engine.dispose()


def test_events_are_committed_when_the_answer_starts(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url))
    seen: list[int] = []

    async def watched(scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start" and scope["path"] == "/events":
                seen.append(_stored(database_url))  # what another client would read now
            await send(message)

        await app(scope, receive, sending)

    _, token = make_user(database_url, "acme")
    event = {"vin": "LC9012008VC000991", "code": "RELEASED", "node": "CN_CQ_CHANGAN"}
    with TestClient(watched, headers={"Authorization": f"Bearer {token}"}) as client:
        answer = client.post(
            "/events", json={"events": [{**event, "event_time": "2025-01-04T08:00Z"}]}
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["received"] == 1
    assert seen == [1]


def test_the_audit_entry_is_written_off_the_event_loop(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_loop: list[bool] = []
    record = access_service.record

    def spy(*args: Any, **kwargs: Any) -> None:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:  # no loop running in this thread: a worker thread
            on_loop.append(False)
        record(*args, **kwargs)

    monkeypatch.setattr(access_service, "record", spy)
    _, token = make_user(database_url, "acme")
    app = create_app(Settings(database_url=database_url))
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        answer = client.post("/events", json={"events": []})
    assert answer.status_code == 200, answer.text
    assert on_loop == [False]


HANOI = {
    "orders": [
        {
            "order_id": "VN-1",
            "brand": "CHANGAN",
            "model": "CS35_PLUS",
            "variant": "CS35_PLUS_14T_LHD",
            "quantity": 2,
            "origin": "CN_CQ_CHANGAN",
            "destination_country": "VN",
            "ready_date": "2027-01-04",
            "due_date": "2027-02-15",
        }
    ]
}


def test_a_plan_run_solves_without_holding_the_write_lock(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST /plans reads, solves, then stores: while it solves, another writer (an ingest)
    gets SQLite's write lock at once instead of waiting out the solve."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL has no database-wide write lock")
    path = database_url.removeprefix("sqlite:///")
    engine = make_engine(database_url)
    with unit_of_work(engine) as session:
        load_dataset(session, "acme", builtin_folder())
    engine.dispose()
    others: list[str] = []

    def solving(problem: Any) -> Any:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another writer, while the planner runs
            other.execute("ROLLBACK")
            others.append("wrote")
        except sqlite3.OperationalError as error:
            others.append(str(error))
        finally:
            other.close()
        return plan(problem)

    monkeypatch.setattr(plans_endpoints, "plan", solving)
    _, token = make_user(database_url, "acme")
    app = create_app(Settings(database_url=database_url))
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.post("/orders", json=HANOI).status_code == 200
        created = client.post("/plans", json={"start": "2027-01-04", "horizon_days": 60})
    assert created.status_code == 201, created.text
    assert others == ["wrote"]
