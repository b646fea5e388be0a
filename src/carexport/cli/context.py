"""What every CLI command needs: an engine on an up-to-date schema, closed when done."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from carexport.config import get_settings
from carexport.db.migrate import current_revision, head_revision
from carexport.db.session import make_engine, unit_of_work
from carexport.errors import CarexportError


@contextmanager
def database(url: str | None = None, *, check_schema: bool = True) -> Iterator[Engine]:
    """The engine of CAREXPORT_DATABASE_URL (or url), disposed when the block ends."""
    engine = make_engine(url or get_settings().database_url)
    try:
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
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One unit of work on the configured database."""
    with database(url) as engine, unit_of_work(engine) as session:
        yield session
