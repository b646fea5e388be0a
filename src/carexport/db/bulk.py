"""Bulk writes and reads of whole frames inside the caller's transaction.

Writes: PostgreSQL gets COPY ... FROM STDIN in CSV form (Polars writes the CSV, so no
Python object is made per row); SQLite gets one executemany. Reads (read_frame):
PostgreSQL gets COPY (query) TO STDOUT, parsed by Polars; SQLite the driver's tuples,
with dates and times parsed by Polars rather than one Python object per cell. All of it
joins the session's open transaction, so it commits or rolls back with everything else.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import polars as pl
from sqlalchemy import Column, MetaData, Select, String, Table, select
from sqlalchemy.exc import DBAPIError
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
            part = frame.slice(start, _CHUNK_ROWS)
            # Columns to Python lists, zipped as the driver reads: cheaper than .rows().
            rows = zip(*(s.to_list() for s in part.iter_columns()), strict=True)
            cursor.executemany(f"{insert} VALUES ({marks})", rows)
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


def add_frame(session: Session, table: str, frame: pl.DataFrame, *, key: Sequence[str]) -> int:
    """Add the rows of frame to table: a row whose key (the table's primary key) is new is
    inserted, an existing one gets each other column increased by frame's value (kept
    sums moved by a delta). SQLite: one executemany of INSERT ... ON CONFLICT DO UPDATE;
    PostgreSQL: COPY into a temporary table, then one such INSERT from it."""
    if frame.is_empty():
        return 0
    connection = session.connection()
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    keys = ", ".join(f'"{c}"' for c in key)
    adds = ", ".join(
        f'"{c}" = "{table}"."{c}" + EXCLUDED."{c}"' for c in frame.columns if c not in key
    )
    if connection.dialect.name != "postgresql":
        marks = ", ".join("?" for _ in frame.columns)
        frame = _dates_as_text(frame)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(
                f'INSERT INTO "{table}" ({columns}) VALUES ({marks}) '
                f"ON CONFLICT ({keys}) DO UPDATE SET {adds}",
                zip(*(s.to_list() for s in frame.iter_columns()), strict=True),
            )
        finally:
            cursor.close()
        return frame.height
    staging = f"tmp_add_{table}"
    connection.exec_driver_sql(
        f'CREATE TEMPORARY TABLE "{staging}" (LIKE "{table}" INCLUDING DEFAULTS) ON COMMIT DROP'
    )
    insert_frame(session, staging, frame)
    connection.exec_driver_sql(
        f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{staging}" '
        f"ON CONFLICT ({keys}) DO UPDATE SET {adds}"
    )
    connection.exec_driver_sql(f'DROP TABLE "{staging}"')
    return frame.height


def _dates_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates and datetimes as ISO text: what both backends (and SQLAlchemy on SQLite) store."""
    return frame.with_columns(
        [pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t in (pl.Date, pl.Datetime)]
    )


def read_frame(
    session: Session, query: Select[*tuple[Any, ...]], schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    """The rows of query as a frame with schema (one entry per selected column, in order).
    Datetimes come back as UTC (Datetime("us", "UTC")); dates as dates."""
    connection = session.connection()
    dbapi = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        sql = query.compile(dialect=connection.dialect)
        buffer = io.BytesIO()
        with dbapi.cursor() as cursor:  # type: ignore[union-attr]
            # Times printed in UTC whatever the server's zone; only for this transaction.
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")
            # psycopg binds the parameters into COPY on the client, safely quoted.
            with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", sql.params) as copy:
                for block in copy:
                    buffer.write(block)
        text = (
            pl.read_csv(
                buffer.getvalue(),
                has_header=False,
                new_columns=list(schema),
                schema_overrides=dict.fromkeys(schema, pl.String),
                infer_schema=False,
            )
            if buffer.tell()
            else pl.DataFrame(schema=dict.fromkeys(schema, pl.String))
        )
        return text.select(_typed(c, t, booleans="t") for c, t in schema.items())
    compiled = query.compile(dialect=connection.dialect)
    params = [compiled.params[name] for name in (compiled.positiontup or [])]
    cursor = dbapi.cursor()  # type: ignore[union-attr]
    try:
        rows = cursor.execute(str(compiled), params).fetchall()
    finally:
        cursor.close()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
    raw = pl.DataFrame(
        {
            # strict=False: SQLite gives booleans as 0/1.
            c: pl.Series(
                c, values, dtype=pl.String if t in (pl.Date, pl.Datetime) else t, strict=False
            )
            for (c, t), values in zip(schema.items(), columns, strict=True)
        },
        schema={c: (pl.String if t in (pl.Date, pl.Datetime) else t) for c, t in schema.items()},
    )
    return raw.select(_typed(c, t, booleans=None) for c, t in schema.items())


def _typed(column: str, dtype: pl.DataType, *, booleans: str | None) -> pl.Expr:
    """A column read as text (or as the driver gave it) to its type."""
    value = pl.col(column)
    if isinstance(dtype, pl.Datetime):
        # "2027-01-05 10:00:00.000000+00:00" (SQLite) or "2027-01-05 10:00:00+00" (COPY).
        return (
            value.str.replace(r"\+00(:00)?$", "")
            .str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us")
            .dt.replace_time_zone("UTC")
        )
    if dtype == pl.Date:
        return value.str.to_date("%Y-%m-%d")
    if dtype == pl.Boolean and booleans:
        return value == booleans
    return value.cast(dtype)


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
        # Row counts for the planner, so that it drives joins from the (small) key table.
        connection.exec_driver_sql(f'ANALYZE "{name}"')
        yield table
    except BaseException:
        # A failed PostgreSQL transaction refuses every statement until its rollback, which
        # drops the table anyway: the DROP's own error must not hide the one that failed it
        # (a deadlock read as "current transaction is aborted").
        with suppress(DBAPIError):
            table.drop(connection)
        raise
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
    with _wanted(session, table, key, values, org_id) as wanted:
        return list(session.execute(_keyed(table, key, wanted, columns)).all())


def frame_for_keys(
    session: Session,
    table: Any,
    key: str,
    values: Sequence[str],
    schema: dict[str, pl.DataType],
    org_id: str,
) -> pl.DataFrame:
    """rows_for_keys as a frame (read_frame): the columns of schema, named as the table's."""
    columns = [getattr(table, c) for c in schema]
    with _wanted(session, table, key, values, org_id) as wanted:
        return read_frame(session, _keyed(table, key, wanted, columns), schema)


def replace_for_keys(
    session: Session,
    table: Any,
    key: str,
    frame: pl.DataFrame,
    old_schema: dict[str, pl.DataType],
    org_id: str,
) -> pl.DataFrame:
    """Write the organisation's rows of frame (keyed on org_id and key, the table's
    primary key), replacing those with the same key; returns the replaced rows' columns
    of old_schema (frame_for_keys), read first: what kept sums must take away again."""
    old = frame_for_keys(session, table, key, frame[key].to_list(), old_schema, org_id)
    upsert_frame(
        session,
        table.__tablename__,
        frame.select(pl.lit(org_id).alias("org_id"), pl.all()),
        key=("org_id", key),
    )
    return old


@contextmanager
def _wanted(
    session: Session, table: Any, key: str, values: Sequence[str], org_id: str
) -> Iterator[Table]:
    keys = pl.DataFrame(
        {"org_id": [org_id] * len(values), key: list(values)},
        schema={"org_id": pl.String, key: pl.String},
    )
    with temporary_table(session, f"tmp_{table.__tablename__}_{key}", keys) as wanted:
        yield wanted


def _keyed(table: Any, key: str, wanted: Table, columns: Sequence[Any]) -> Any:
    # The organisation comes from the key table, not from a constant: with a constant on
    # the big table's leading key column, SQLite would scan the organisation's rows and
    # probe the key table, instead of probing the big table once per key.
    return select(*columns).join(
        wanted,
        (wanted.c.org_id == table.org_id) & (getattr(wanted.c, key) == getattr(table, key)),
    )
