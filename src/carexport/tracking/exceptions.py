"""Exceptions a control tower acts on, derived from current status and the plan (pure).

Kinds: late (ETA after the due date), hold, damage, sequence (impossible event order,
accepted but flagged), dwell (no movement at a node for longer than dwell_days), overdue
(the next milestone the plan expects after the latest one reached, not reported within
overdue_hours of its planned time).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

KINDS = ("late", "hold", "damage", "sequence", "dwell", "overdue")
# Where a vehicle stands still: the statuses a dwell exception is judged on.
DWELL_STATUSES = ("at_plant", "left_plant", "at_node", "export_cleared", "import_cleared")
SCHEMA: dict[str, pl.DataType] = {
    "vin": pl.String(),
    "kind": pl.String(),
    "detail": pl.String(),
    "since": pl.Datetime("us", "UTC"),
}


def find_exceptions(
    status: pl.DataFrame,
    expected: pl.DataFrame,
    *,
    now: dt.datetime,
    dwell_days: float = 7.0,
    overdue_hours: float = 24.0,
) -> pl.DataFrame:
    """status: the vehicle_status columns (matched_seq is the latest milestone reached);
    expected: vin, seq, code, node, planned_at of planned VINs, tracked or not yet.
    Returns vin, kind, detail, since."""
    open_ = status.filter(pl.col("delivered_at").is_null())
    parts = [
        status.filter(pl.col("days_late") > 0).select(
            "vin",
            pl.lit("late").alias("kind"),
            pl.format(
                "ETA {} is {} day(s) after the due date {}",
                pl.col("eta").dt.date(),
                pl.col("days_late"),
                pl.col("due_date"),
            ).alias("detail"),
            pl.col("last_event_time").alias("since"),
        ),
        open_.filter(pl.col("on_hold")).select(
            "vin",
            pl.lit("hold").alias("kind"),
            pl.format("on hold at {}", pl.col("location")).alias("detail"),
            pl.col("last_event_time").alias("since"),
        ),
        status.filter(pl.col("damaged")).select(
            "vin",
            pl.lit("damage").alias("kind"),
            pl.lit("damage reported").alias("detail"),
            pl.col("last_event_time").alias("since"),
        ),
        status.filter(pl.col("sequence_violations") > 0).select(
            "vin",
            pl.lit("sequence").alias("kind"),
            pl.format("{} event(s) out of possible order", pl.col("sequence_violations")).alias(
                "detail"
            ),
            pl.col("last_event_time").alias("since"),
        ),
        open_.filter(
            pl.col("status").is_in(list(DWELL_STATUSES))
            & (pl.lit(now) - pl.col("last_event_time") > pl.duration(hours=dwell_days * 24))
        ).select(
            "vin",
            pl.lit("dwell").alias("kind"),
            pl.format(
                "at {} since {} ({} days)",
                pl.col("location"),
                pl.col("last_event_time").dt.date(),
                ((pl.lit(now) - pl.col("last_event_time")).dt.total_hours() // 24),
            ).alias("detail"),
            pl.col("last_event_time").alias("since"),
        ),
    ]
    delivered = status.filter(pl.col("delivered_at").is_not_null()).select("vin")
    reached = status.select("vin", pl.col("matched_seq").fill_null(0).alias("_reached"))
    overdue = (
        expected.join(delivered, on="vin", how="anti")
        .join(reached, on="vin", how="left")
        .filter(pl.col("seq") > pl.col("_reached").fill_null(0))
        .sort("vin", "seq")
        .group_by("vin", maintain_order=True)
        .first()
        .filter(pl.col("planned_at") + pl.duration(hours=overdue_hours) < pl.lit(now))
    )
    parts.append(
        overdue.select(
            "vin",
            pl.lit("overdue").alias("kind"),
            pl.format(
                "{} at {} was planned for {}",
                pl.col("code"),
                pl.col("node"),
                pl.col("planned_at").dt.date(),
            ).alias("detail"),
            pl.col("planned_at").alias("since"),
        )
    )
    frames = [p.select([pl.col(c).cast(t) for c, t in SCHEMA.items()]) for p in parts]
    return pl.concat(frames).sort("kind", "vin")
