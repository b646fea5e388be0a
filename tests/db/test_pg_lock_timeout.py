"""On PostgreSQL the busy timeout is every connection's lock_timeout (issue 12): a writer
gives up waiting for another's lock after CAREXPORT_BUSY_TIMEOUT_S, as on SQLite, with
DatabaseBusy, instead of waiting without limit. (The CLI's exit 75 and the API's 503
then: tests/reliability/test_concurrency.py.)"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text

from carexport.cli.context import database
from carexport.config import get_settings
from carexport.db.session import make_engine, unit_of_work
from carexport.errors import DatabaseBusy


def _lock_timeout(engine: Engine) -> str:
    with unit_of_work(engine) as session:
        return str(session.execute(text("SHOW lock_timeout")).scalar_one())


@pytest.fixture
def pg_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's busy timeout: tests/db/test_sqlite_settings.py")
    return database_url


def test_the_cli_connections_have_the_busy_timeout_as_lock_timeout(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    get_settings.cache_clear()
    try:
        with database(pg_url) as engine:
            assert _lock_timeout(engine) == "30s"
        monkeypatch.setenv("CAREXPORT_BUSY_TIMEOUT_S", "2.5")
        get_settings.cache_clear()
        with database(pg_url) as engine:
            # Also after a transaction that rolled back: the setting is the connection's.
            with pytest.raises(ZeroDivisionError), unit_of_work(engine):
                raise ZeroDivisionError
            assert _lock_timeout(engine) == "2500ms"
    finally:
        get_settings.cache_clear()


def test_no_wait_is_1_ms_not_lock_timeout_0_which_waits_forever(pg_url: str) -> None:
    engine = make_engine(pg_url, busy_timeout_s=0)
    try:
        assert _lock_timeout(engine) == "1ms"
    finally:
        engine.dispose()


def test_a_writer_that_waits_for_a_lock_too_long_is_busy(pg_url: str) -> None:
    engine = make_engine(pg_url, busy_timeout_s=0.2)
    outcome: list[BaseException | None] = []

    def other() -> None:
        try:
            with unit_of_work(engine, writes=True) as session:
                session.execute(text("LOCK TABLE export_order IN EXCLUSIVE MODE"))
            outcome.append(None)
        except BaseException as error:  # reported to the main thread
            outcome.append(error)

    try:
        with unit_of_work(engine, writes=True) as holder:
            holder.execute(text("LOCK TABLE export_order IN EXCLUSIVE MODE"))
            thread = threading.Thread(target=other)
            thread.start()
            # Without a lock_timeout it would wait until this transaction ends: then it
            # gets the lock and the test fails rather than hangs.
            thread.join(10)
        thread.join()
    finally:
        engine.dispose()
    assert isinstance(outcome[0], DatabaseBusy), outcome
    assert "nothing was written" in str(outcome[0])
