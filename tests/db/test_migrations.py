"""The migrations build exactly the schema the table classes describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from carexport.db import models_registry
from carexport.db.base import Base
from carexport.db.migrate import current_revision, head_revision, upgrade


def test_upgrade_reaches_head_and_is_repeatable(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    upgrade(engine)  # a second upgrade is a no-op
    assert current_revision(engine) == head_revision()


def test_migrations_match_table_classes(engine: Engine) -> None:
    models_registry.import_all()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_every_business_table_has_org_id_first_in_its_key(engine: Engine) -> None:
    inspector = inspect(engine)
    tables = [t for t in inspector.get_table_names() if t != "alembic_version"]
    assert tables
    for table in tables:
        key = inspector.get_pk_constraint(table)["constrained_columns"]
        assert key[0] == "org_id", table
