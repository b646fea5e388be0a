"""What every CLI command needs: the settings and an engine on an up-to-date schema."""

from __future__ import annotations

from sqlalchemy import Engine

from carexport.config import get_settings
from carexport.db.migrate import current_revision, head_revision
from carexport.db.session import make_engine
from carexport.errors import CarexportError


def open_engine(url: str | None = None, *, check_schema: bool = True) -> Engine:
    engine = make_engine(url or get_settings().database_url)
    if check_schema and current_revision(engine) != head_revision():
        raise CarexportError(
            f"the database at {engine.url.render_as_string(hide_password=True)} "
            "is not at the current schema",
            hint="run: carexport db upgrade",
        )
    return engine
