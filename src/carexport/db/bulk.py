"""Bulk writes of whole frames inside the caller's transaction.

PostgreSQL gets COPY ... FROM STDIN in CSV form (Polars writes the CSV, so no Python
object is made per row); SQLite gets one executemany. Both join the session's open
transaction, so a bulk write commits or rolls back with everything else.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import polars as pl
from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.orm import Session

_CHUNK_ROWS = 200_000


def insert_frame(session: Session, table: str, frame: pl.DataFrame) -> int:
    """Insert every row of frame (its column names are the table's) into table."""
    if frame.is_empty():
        return 0
    connection = session.connection()
    dbapi = connection.connection.driver_connection
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    if connection.dialect.name == "postgresql":
        frame = _dates_as_text(frame)
        sql = f'COPY "{table}" ({columns}) FROM STDIN (FORMAT csv)'
        with dbapi.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
            for start in range(0, frame.height, _CHUNK_ROWS):
                buffer = io.BytesIO()
                frame.slice(start, _CHUNK_ROWS).write_csv(buffer, include_header=False)
                copy.write(buffer.getvalue())
        return frame.height
    _executemany(session, f'INSERT INTO "{table}" ({columns})', frame)
    return frame.height


def _executemany(session: Session, insert: str, frame: pl.DataFrame) -> None:
    """SQLite: one prepared INSERT run over the rows, a chunk of Python tuples at a time."""
    frame = _dates_as_text(frame)
    marks = ", ".join("?" for _ in frame.columns)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, frame.height, _CHUNK_ROWS):
            cursor.executemany(f"{insert} VALUES ({marks})", frame.slice(start, _CHUNK_ROWS).rows())
    finally:
        cursor.close()


def upsert_frame(session: Session, table: str, frame: pl.DataFrame, *, key: Sequence[str]) -> int:
    """Insert the rows of frame, replacing the rows with the same key (the table's primary
    key). SQLite: INSERT OR REPLACE in one executemany. PostgreSQL: COPY into a temporary
    table, then one INSERT ... ON CONFLICT DO UPDATE from it."""
    if frame.is_empty():
        return 0
    connection = session.connection()
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    if connection.dialect.name != "postgresql":
        _executemany(session, f'INSERT OR REPLACE INTO "{table}" ({columns})', frame)
        return frame.height
    staging = f"tmp_upsert_{table}"
    connection.exec_driver_sql(
        f'CREATE TEMPORARY TABLE "{staging}" (LIKE "{table}" INCLUDING DEFAULTS) ON COMMIT DROP'
    )
    insert_frame(session, staging, frame)
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in frame.columns if c not in key)
    keys = ", ".join(f'"{c}"' for c in key)
    connection.exec_driver_sql(
        f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{staging}" '
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )
    connection.exec_driver_sql(f'DROP TABLE "{staging}"')
    return frame.height


def _dates_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates and datetimes as ISO text: what both backends (and SQLAlchemy on SQLite) store."""
    return frame.with_columns(
        [pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t in (pl.Date, pl.Datetime)]
    )


def chunks(values: Sequence[str], size: int = 5000) -> list[Sequence[str]]:
    """Split a long IN (...) list: SQLite caps bound parameters per statement."""
    return [values[i : i + size] for i in range(0, len(values), size)]


@contextmanager
def temporary_table(session: Session, name: str, frame: pl.DataFrame) -> Iterator[Table]:
    """The frame as a temporary table of text columns, for joins against big key lists.

    A join with a temporary table costs one bulk write however many keys there are, where
    IN (...) lists cost a statement (and its parsing) per few thousand keys.
    """
    # Keyed, so the database can look rows up instead of scanning (SQLite picks a nested
    # scan over an unkeyed temporary table).
    frame = frame.unique()
    table = Table(
        name,
        MetaData(),
        *(Column(c, String, primary_key=True) for c in frame.columns),
        prefixes=["TEMPORARY"],
    )
    connection = session.connection()
    table.create(connection)
    try:
        insert_frame(session, name, frame)
        yield table
    finally:
        table.drop(connection)


def rows_for_keys(
    session: Session,
    table: Any,
    key: str,
    values: Sequence[str],
    columns: Sequence[Any],
    org_id: str,
) -> list[Any]:
    """Rows of an organisation's table whose `key` column is in values, read with one join
    against a temporary table however many values there are."""
    keys = pl.DataFrame({key: list(values)}, schema={key: pl.String})
    with temporary_table(session, f"tmp_{table.__tablename__}_{key}", keys) as wanted:
        return list(
            session.execute(
                select(*columns)
                .join(wanted, getattr(wanted.c, key) == getattr(table, key))
                .where(table.org_id == org_id)
            ).all()
        )
