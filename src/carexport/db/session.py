"""Engines and units of work. Nothing is created at import time; callers own transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session

from carexport.errors import BadSetting, CarexportError, DatabaseBusy

# How long a writer waits for another writer's turn (SQLite) or lock (PostgreSQL) before
# giving up (DatabaseBusy).
BUSY_TIMEOUT_S = 30.0

# The default page cache is 2 MB: a batch that probes the event table once per VIN would
# read most pages from the OS again and again. This is an upper bound per connection, used
# as pages are touched, so a server's pool of connections grows towards pool x this as the
# database grows (CAREXPORT_SQLITE_CACHE_MIB).
SQLITE_CACHE_MIB = 256


URL_HINT = (
    "set CAREXPORT_DATABASE_URL to sqlite:///path/to/carexport.db or "
    "postgresql://user:password@host:5432/database"
)


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and route them to psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BadSetting(f"the database URL {url!r} cannot be read", hint=URL_HINT) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise BadSetting(
            f"the database URL names {parsed.get_backend_name()!r}: carexport runs on SQLite "
            "and PostgreSQL",
            hint=URL_HINT,
        )
    return parsed.render_as_string(hide_password=False)


def check_reachable(engine: Engine) -> None:
    """Open one connection now, so that a database that is not there (no server, a wrong
    password, a folder that does not exist) is a message naming it, not a driver's
    traceback in the middle of a command."""
    try:
        with engine.connect():
            pass
    except (DBAPIError, NoSuchModuleError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise CarexportError(
            f"cannot open the database at {engine.url.render_as_string(hide_password=True)}: "
            f"{reason}",
            hint="check CAREXPORT_DATABASE_URL, and that the server is running "
            "or the folder exists",
        ) from None


def make_engine(
    url: str,
    *,
    busy_timeout_s: float = BUSY_TIMEOUT_S,
    sqlite_cache_mib: int = SQLITE_CACHE_MIB,
    **kwargs: Any,
) -> Engine:
    """An engine on url. busy_timeout_s: how long a writer waits for another writer to
    finish (SQLite) or for a lock another holds (PostgreSQL's lock_timeout) before its unit
    of work fails with DatabaseBusy. sqlite_cache_mib: on SQLite, the most page cache a
    connection keeps."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        busy_timeout_ms = max(0, round(busy_timeout_s * 1000))
        cache_kib = max(0, int(sqlite_cache_mib)) * 1024

        def pragmas(dbapi_connection: Any, record: Any) -> None:
            _sqlite_pragmas(dbapi_connection, record)
            dbapi_connection.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            dbapi_connection.execute(f"PRAGMA cache_size=-{cache_kib}")

        event.listen(engine, "connect", pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, **{"pool_pre_ping": True, **kwargs})
    # Without it a PostgreSQL writer waits for a lock without limit, and its user with it.
    # lock_timeout 0 would mean that: a busy timeout of 0 is "do not wait", so 1 ms.
    lock_timeout_ms = max(1, round(busy_timeout_s * 1000))

    def lock_timeout(dbapi_connection: Any, _record: Any) -> None:
        # Once per connection, as SQLite's busy_timeout, rather than a round trip per
        # transaction; committed, or the pool's rollback on its return would undo it.
        dbapi_connection.execute(f"SET lock_timeout = {lock_timeout_ms}")
        dbapi_connection.commit()

    event.listen(engine, "connect", lock_timeout)
    return engine


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
    # Temporary tables stay in memory rather than in files. (The page cache is set in
    # make_engine: SQLITE_CACHE_MIB.)
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A transaction that reads and then writes must take the write lock before it reads:
    # SQLite cannot upgrade a read snapshot that another writer has moved past, and fails
    # at once ("database is locked") instead of waiting out busy_timeout.
    options = connection.get_execution_options()
    if not options.get("sqlite_immediate", False):
        connection.exec_driver_sql("BEGIN")
        return
    on_wait: Callable[[float], None] | None = options.get("sqlite_on_wait")
    if on_wait is None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    # Try once without waiting, so that the caller can say it waits when it has to.
    raw = connection.connection.driver_connection
    waits_ms = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute("PRAGMA busy_timeout=0")
    try:
        raw.execute("BEGIN IMMEDIATE")
        return
    except sqlite3.OperationalError as error:
        if not is_busy(error):
            raise
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(waits_ms)}")
    on_wait(waits_ms / 1000)
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# PostgreSQL's lock_not_available (lock_timeout), deadlock_detected, serialization_failure:
# the transaction lost to another writer and was rolled back.
_PG_BUSY_STATES = {"55P03", "40P01", "40001"}


def is_busy(error: BaseException) -> bool:
    """Whether error (a DBAPI error, or SQLAlchemy's wrapper of one) says another writer
    had the database: SQLite's SQLITE_BUSY ("database is locked") and its kin."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    if isinstance(error, sqlite3.Error):
        name = getattr(error, "sqlite_errorname", "")
        return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "is locked" in str(error)
    return getattr(error, "sqlstate", None) in _PG_BUSY_STATES


def writer(engine: Engine, on_wait: Callable[[float], None] | None = None) -> Engine:
    """engine for a transaction that will write: on SQLite it waits its turn among writers
    from its start (BEGIN IMMEDIATE), calling on_wait(seconds) first when it has to wait
    (for at most seconds); readers still run beside it."""
    options: dict[str, Any] = {"sqlite_immediate": True}
    if on_wait is not None:
        options["sqlite_on_wait"] = on_wait
    return engine.execution_options(**options)


@contextmanager
def busy_as_message() -> Iterator[None]:
    """A writer that waited longer than the busy timeout, or lost to another one, raises
    DatabaseBusy (a message: try again) instead of the driver's "database is locked"."""
    try:
        yield
    except Exception as error:
        if not is_busy(error):
            raise
        raise DatabaseBusy(
            "the database is busy: another import, ingest or request was writing to it "
            "and this one could not have its turn in time; nothing was written",
            hint="try again when the other one is done (a writer waits up to "
            "CAREXPORT_BUSY_TIMEOUT_S seconds for its turn, 30 by default)",
        ) from error


@contextmanager
def unit_of_work(
    engine: Engine, *, writes: bool = False, on_wait: Callable[[float], None] | None = None
) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises. writes:
    it will write, so it takes its turn from the start (see writer; on_wait is called
    when it has to wait). A writer that waited longer than the busy timeout, or lost to
    another one, raises DatabaseBusy: nothing written."""
    bind = writer(engine, on_wait) if writes else engine
    with busy_as_message(), Session(bind, expire_on_commit=False) as session, session.begin():
        if writes and on_wait is not None and engine.dialect.name == "postgresql":
            with _said_when_blocked(engine, session, on_wait):
                yield session
        else:
            yield session


# How often a PostgreSQL writer's watch looks whether the writer waits for a lock.
WATCH_EVERY_S = 0.1


@contextmanager
def _said_when_blocked(
    engine: Engine, session: Session, on_wait: Callable[[float], None]
) -> Iterator[None]:
    """On PostgreSQL writers do not queue for one lock as on SQLite: they wait only for the
    rows, tables or advisory locks another transaction holds, each wait up to lock_timeout.
    So that a user is told as on SQLite, a watch on a connection of its own looks every
    WATCH_EVERY_S whether this session's server process waits for a lock, and calls
    on_wait(lock_timeout in seconds) the first time it does."""
    pid, timeout_ms = session.execute(
        text("SELECT pg_backend_pid(), setting FROM pg_settings WHERE name = 'lock_timeout'")
    ).one()
    done = threading.Event()

    def watch() -> None:
        try:
            with engine.connect() as connection:
                while not done.wait(WATCH_EVERY_S):
                    waits = connection.scalar(
                        text(
                            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"
                        ),
                        {"pid": pid},
                    )
                    connection.rollback()  # statistics views are a snapshot per transaction
                    if waits:
                        on_wait(int(timeout_ms) / 1000)
                        return
        except DBAPIError:
            return  # only a message lost: the writer itself meets what broke the watch

    watcher = threading.Thread(target=watch, name="carexport-lock-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
