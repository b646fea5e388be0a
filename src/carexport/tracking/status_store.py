"""The kept statuses: one row per tracked VIN (vehicle_status) and their counts per status
(vehicle_status_sum), written together, and the counts read back.

Every write of vehicle_status goes through upsert_statuses, which moves the counts by
the delta of the rows it replaces, so the Tracking page counts a million VINs' statuses
by reading a handful of rows (a grouped read of every status took 1.5 s on SQLite).
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from carexport.db.bulk import add_frame, replace_for_keys
from carexport.tracking.tables import TransitModelRow, VehicleStatusRow, VehicleStatusSumRow

COUNTED: dict[str, pl.DataType] = {
    "vin": pl.String(),
    "status": pl.String(),
    "events": pl.Int64(),
    "days_late": pl.Int64(),
    "on_hold": pl.Boolean(),
    "damaged": pl.Boolean(),
    "delay_hours": pl.Float64(),
}
COUNTS = ("vehicles", "events", "late", "on_hold", "damaged", "delay_hours", "writes")
# An exception whatever the judging time (tracking.exceptions.find_exceptions' rules late,
# hold, damage and sequence): kept on the status, so the exceptions read these few.
FLAGGED = (
    (pl.col("days_late").fill_null(0) > 0)
    | (pl.col("delivered_at").is_null() & pl.col("on_hold"))
    | pl.col("damaged")
    | (pl.col("sequence_violations") > 0)
)


def upsert_statuses(session: Session, org_id: str, statuses: pl.DataFrame) -> None:
    """statuses: repository.STATUS_SCHEMA rows; replaces those VINs' statuses and moves the
    counts per status by the difference."""
    if statuses.is_empty():
        return
    flagged = statuses.with_columns(FLAGGED.fill_null(False).alias("flagged"))
    old = replace_for_keys(session, VehicleStatusRow, "vin", flagged, COUNTED, org_id)
    new = statuses.select(*COUNTED).cast(COUNTED)  # type: ignore[arg-type]
    delta = (
        pl.concat([status_contributions(new), status_contributions(old, -1)])
        .group_by("status")
        .agg(pl.col(c).sum() for c in COUNTS)
    )
    add_frame(
        session,
        VehicleStatusSumRow.__tablename__,
        delta.select(pl.lit(org_id).alias("org_id"), pl.all()),
        key=("org_id", "status"),
    )


def status_contributions(statuses: pl.DataFrame, sign: int = 1) -> pl.DataFrame:
    """What statuses (COUNTED columns) add to the counts per status (sign 1), or take
    from them when replaced (-1; they then count no write)."""
    ints = pl.Int64
    return statuses.group_by("status").agg(
        (pl.len().cast(ints) * sign).alias("vehicles"),
        (pl.col("events").sum() * sign).alias("events"),
        ((pl.col("days_late") > 0).sum().cast(ints) * sign).alias("late"),
        (pl.col("on_hold").sum().cast(ints) * sign).alias("on_hold"),
        (pl.col("damaged").sum().cast(ints) * sign).alias("damaged"),
        (pl.col("delay_hours").fill_null(0.0).sum() * sign).alias("delay_hours"),
        (pl.len().cast(ints) if sign > 0 else pl.lit(0, ints)).alias("writes"),
    )


def status_counts(session: Session, org_id: str) -> tuple[list[tuple[Any, ...]], Any, Any]:
    """Per status (sorted): status, vehicles, events, late, on hold, damaged, delay hours
    summed and rows written (what a cache of derived views is keyed on); the latest
    event's time (the ends of an index's ranges); and when the transit model was last
    learned."""
    kept, status = VehicleStatusSumRow, VehicleStatusRow
    rows = session.execute(
        select(*(getattr(kept, c) for c in ("status", *COUNTS)))
        .where((kept.org_id == org_id) & (kept.vehicles > 0))
        .order_by(kept.status)
    ).all()
    latest = None
    for row in rows:  # the end of each status's range of the index
        newest = session.scalar(
            select(func.max(status.last_event_time)).where(
                (status.org_id == org_id) & (status.status == row[0])
            )
        )
        if newest is not None and (latest is None or newest > latest):
            latest = newest
    learned = session.scalar(
        select(func.max(TransitModelRow.learned_at)).where(TransitModelRow.org_id == org_id)
    )
    return [tuple(r) for r in rows], latest, learned
