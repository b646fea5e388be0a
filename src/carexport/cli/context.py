"""What every CLI command needs: an engine on an up-to-date schema, closed when done."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from carexport.cli.render import error_console
from carexport.config import get_settings
from carexport.db.migrate import current_revision, head_revision
from carexport.db.session import check_reachable, make_engine, unit_of_work
from carexport.errors import CarexportError


def open_engine(url: str | None = None) -> Engine:
    """An engine on url (default CAREXPORT_DATABASE_URL) whose connections have the
    CAREXPORT_* settings: the busy timeout, the SQLite page cache."""
    settings = get_settings()
    return make_engine(
        url or settings.database_url,
        busy_timeout_s=settings.busy_timeout_s,
        sqlite_cache_mib=settings.sqlite_cache_mib,
    )


@contextmanager
def database(url: str | None = None, *, check_schema: bool = True) -> Iterator[Engine]:
    """The engine of CAREXPORT_DATABASE_URL (or url), disposed when the block ends."""
    engine = open_engine(url)
    try:
        check_reachable(engine)
        if check_schema and current_revision(engine) != head_revision():
            raise CarexportError(
                f"the database at {engine.url.render_as_string(hide_password=True)} "
                "is not at the current schema",
                hint="run: carexport db upgrade",
            )
        yield engine
    finally:
        engine.dispose()


@contextmanager
def session_scope(url: str | None = None, *, writes: bool = False) -> Iterator[Session]:
    """One unit of work on the configured database. writes: it will write, so on SQLite it
    queues among writers from its start (saying so on standard error when it waits), and
    a wait beyond the busy timeout is a message (DatabaseBusy, exit 75), not a traceback.
    Every command that writes says so: without it, a SQLite transaction that has read
    cannot write while another writes, and fails at once instead of waiting its turn."""
    with database(url) as engine, writing(engine) if writes else unit_of_work(engine) as session:
        yield session


def writing(engine: Engine) -> AbstractContextManager[Session]:
    """A unit of work on engine that writes and takes its turn, saying so when it waits."""
    return unit_of_work(engine, writes=True, on_wait=say_waiting)


def say_waiting(seconds: float) -> None:
    error_console.print(
        f"another import or ingest is writing to the database: waiting for its turn "
        f"(up to {seconds:g} s)"
    )
