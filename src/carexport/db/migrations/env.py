"""Alembic environment: runs on the connection carexport hands it, or on CAREXPORT_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from carexport.db import models_registry
from carexport.db.base import Base

models_registry.import_all()
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    from carexport.config import get_settings
    from carexport.db.session import make_engine

    engine = make_engine(get_settings().database_url)
    with engine.begin() as conn:
        run(conn)
