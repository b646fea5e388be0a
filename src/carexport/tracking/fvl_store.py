"""The kept FVL facts: one row per VIN (vehicle_fvl), their sums per grouping and value
(vehicle_fvl_sum) and their plans' milestones per grouping, value and planned time
(vehicle_fvl_due), written together; and the FVL KPIs' sums read back from them.

Every write of vehicle_fvl goes through upsert_fvl, which moves the sums by the delta of
the rows it replaces (what the new rows add less what the old ones did), so the sums are
always those of the rows. The KPIs then read a few thousand kept rows instead of
aggregating a million VINs and joining their milestones (3-5 s on SQLite at 1M VINs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from carexport.db.bulk import add_frame, read_frame, replace_for_keys
from carexport.tracking.facts import (
    FVL_DUE_MEASURES,
    FVL_ROW_SCHEMA,
    FVL_SUM_COLUMNS,
    FVL_SUM_MEASURES,
    fvl_contributions,
)
from carexport.tracking.tables import VehicleFvlDueRow, VehicleFvlRow, VehicleFvlSumRow

_KEY_SCHEMA: dict[str, pl.DataType] = {"grouping": pl.String(), "value": pl.String()}


def _type(measure: str) -> pl.DataType:
    return pl.Float64() if measure.endswith("_sum") else pl.Int64()


def upsert_fvl(session: Session, org_id: str, rows: pl.DataFrame) -> None:
    """rows: tracking.facts.fvl_rows; replaces those VINs' kept FVL facts and moves the
    kept sums by the difference."""
    if rows.is_empty():
        return
    old = replace_for_keys(session, VehicleFvlRow, "vin", rows, FVL_ROW_SCHEMA, org_id)
    new = rows.cast(FVL_ROW_SCHEMA)  # type: ignore[arg-type]  # (polars' Mapping is invariant)
    added, taken = fvl_contributions(new), fvl_contributions(old, -1)
    add_fvl_sums(session, org_id, pl.concat([added[0], taken[0]]), pl.concat([added[1], taken[1]]))


def forget_fvl(session: Session, org_id: str) -> None:
    """Delete the organisation's kept facts and their sums (before they are rebuilt)."""
    for table in (VehicleFvlRow, VehicleFvlSumRow, VehicleFvlDueRow):
        session.execute(delete(table).where(table.org_id == org_id))


def add_fvl_sums(session: Session, org_id: str, sums: pl.DataFrame, due: pl.DataFrame) -> None:
    """Add contributions (tracking.facts.fvl_contributions, any number of rows per key)
    to the kept sums."""
    _add(session, org_id, VehicleFvlSumRow, sums, FVL_SUM_MEASURES, count="vins")
    _add(session, org_id, VehicleFvlDueRow, due, FVL_DUE_MEASURES, count="expected")


def _add(
    session: Session,
    org_id: str,
    table: type[VehicleFvlSumRow] | type[VehicleFvlDueRow],
    contributions: pl.DataFrame,
    measures: Sequence[str],
    *,
    count: str,
) -> None:
    """count: the measure that says what a key holds (VINs, milestones): none, no row."""
    keys = [c for c in contributions.columns if c not in measures]
    delta = contributions.group_by(keys).agg(pl.col(m).sum() for m in measures)
    # A key whose VINs all moved away adds up to nothing: drop it rather than add zeros.
    delta = delta.filter(pl.any_horizontal(pl.col(m) != 0 for m in measures))
    add_frame(
        session,
        table.__tablename__,
        delta.select(pl.lit(org_id).alias("org_id"), pl.all()),
        key=("org_id", *keys),
    )
    held = getattr(table, count)
    session.execute(delete(table).where((table.org_id == org_id) & (held == 0)))


def fvl_sums(
    session: Session, org_id: str, groups: Sequence[str], as_of: dt.datetime
) -> dict[str, pl.DataFrame]:
    """The sums the FVL KPIs are made of (tracking.facts.FVL_SUM_COLUMNS) per group of each grouping
    (kpi.fvl.GROUPS; column `by`, or `group` for none): group -> frame. Reporting
    completeness counts the current plans' milestones due by as_of (planned at or before
    it) and those of them reported."""
    kept, due = VehicleFvlSumRow, VehicleFvlDueRow
    whole = read_frame(
        session,
        select(
            kept.grouping,
            kept.value,
            *(func.sum(getattr(kept, m)).label(m) for m in FVL_SUM_MEASURES),
        )
        .where((kept.org_id == org_id) & or_(*(kept.grouping == by for by in groups)))
        .group_by(kept.grouping, kept.value),
        _KEY_SCHEMA | {m: _type(m) for m in FVL_SUM_MEASURES},
    )
    cutoff = int(as_of.timestamp())  # seconds: planned times are whole seconds
    reached = read_frame(
        session,
        select(
            due.grouping.label("grouping"),
            due.value.label("value"),
            func.sum(due.expected).label("due"),
            func.sum(due.seen).label("seen"),
        )
        .where(
            (due.org_id == org_id)
            & or_(*(due.grouping == by for by in groups))
            & (due.planned_s <= cutoff)
        )
        .group_by(due.grouping, due.value),
        _KEY_SCHEMA | {"due": pl.Int64(), "seen": pl.Int64()},
    )
    sums = (
        whole.filter(pl.col("vins") > 0)
        .join(reached, on=["grouping", "value"], how="left")
        .with_columns(pl.col("due", "seen").fill_null(0))
    )
    result = {}
    for by in groups:
        group = (
            pl.lit("all").alias("group")
            if by == "none"
            else pl.when(pl.col("value") != "").then(pl.col("value")).alias(by)
        )
        result[by] = sums.filter(pl.col("grouping") == by).select(group, *FVL_SUM_COLUMNS)
    return result
