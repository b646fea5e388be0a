"""Engines and units of work. Nothing is created at import time; callers own transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and route them to psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, **{"pool_pre_ping": True, **kwargs})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 module opens transactions itself, but not before DDL, so a CREATE
    # (of a temporary table, say) would commit on its own and survive a rollback. Turning
    # that off and emitting BEGIN ourselves (_sqlite_begin) makes every statement,
    # DDL included, part of the unit of work.
    dbapi_connection.isolation_level = None
    # WAL lets readers run beside one writer; foreign keys are off in SQLite by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # The default page cache is 2 MB: a batch that probes the event table once per VIN
    # would read most pages from the OS again and again. 256 MB is an upper bound, only
    # used as pages are touched; temporary tables stay in memory rather than in files.
    cursor.execute("PRAGMA cache_size=-262144")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A transaction that reads and then writes must take the write lock before it reads:
    # SQLite cannot upgrade a read snapshot that another writer has moved past, and fails
    # at once ("database is locked") instead of waiting out busy_timeout.
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def unit_of_work(engine: Engine, *, writes: bool = False) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises. writes:
    it will write, so on SQLite it waits its turn among writers from the start (BEGIN
    IMMEDIATE); readers still run beside it."""
    bind = engine.execution_options(sqlite_immediate=True) if writes else engine
    with Session(bind, expire_on_commit=False) as session, session.begin():
        yield session
