"""Run the Alembic migrations that ship inside the package."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from carexport.db.session import busy_as_message, writer

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(
    engine: Engine, revision: str = "head", *, on_wait: Callable[[float], None] | None = None
) -> None:
    """Migrate to revision in one transaction that writes, so it takes its turn among
    writers as a unit of work does (on_wait: see session.writer); DatabaseBusy beyond the
    busy timeout."""
    config = alembic_config()
    with busy_as_message(), writer(engine, on_wait).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
