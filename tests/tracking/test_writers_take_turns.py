"""Ingest, storing a plan and re-projecting ETAs take the organisation's tracking write lock
first on PostgreSQL: POST /plans beside POST /events deadlocked on vehicle_plan rows
(bench/bench_soak.py). A second tracking writer waits for the first to end."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.tracking import service as tracking_service
from carexport.tracking.ingest import ingest, raw_frame


def test_a_second_tracking_writer_waits_for_the_first(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time anyway")
    done = threading.Event()
    failed: list[BaseException] = []

    def other() -> None:
        try:
            with unit_of_work(engine, writes=True) as session:
                ingest(session, "acme", raw_frame([]), source="test")
        except BaseException as error:  # reported to the main thread
            failed.append(error)
        done.set()

    thread = threading.Thread(target=other)
    with unit_of_work(engine, writes=True) as session:
        tracking_service.lock_tracking_writes(session, "acme")
        thread.start()
        assert not done.wait(0.5)  # the ingest waits for this transaction
    assert done.wait(30)
    thread.join()
    assert not failed, failed


def test_other_organisations_do_not_wait(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time anyway")
    with unit_of_work(engine, writes=True) as session:
        tracking_service.lock_tracking_writes(session, "acme")
        with unit_of_work(engine, writes=True) as other:
            ingest(other, "globex", raw_frame([]), source="test")  # does not block
