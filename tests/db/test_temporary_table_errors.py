"""A statement that fails inside db.bulk.temporary_table raises its own error: on
PostgreSQL the DROP that followed failed in the aborted transaction and raised "current
transaction is aborted" instead, hiding (say) a deadlock that should have been a 503."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from carexport.db.bulk import temporary_table
from carexport.db.session import unit_of_work


def test_the_failing_statement_is_the_error(engine: Engine) -> None:
    with (
        pytest.raises(DBAPIError, match="no_such_table"),
        unit_of_work(engine) as session,
        temporary_table(session, "tmp_keys", pl.DataFrame({"vin": ["A"]})),
    ):
        session.execute(text("SELECT * FROM no_such_table"))


def test_the_table_is_dropped_after_use(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        with temporary_table(session, "tmp_keys", pl.DataFrame({"vin": ["A"]})) as table:
            assert session.execute(text(f"SELECT count(*) FROM {table.name}")).scalar_one() == 1
        with temporary_table(session, "tmp_keys", pl.DataFrame({"vin": ["B"]})):
            pass  # the same name again: the first one is gone
