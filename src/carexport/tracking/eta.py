"""ETA from the plan, shifted by the delay observed so far (pure).

The delay is the last reported milestone's time minus its planned time in the VIN's
latest plan (matched by code and node, first occurrence); the ETA is the planned
delivery plus that delay, or the delivery itself once delivered. Days late compare the
ETA's date with the order's due date.

Input frames:
- status: vin, last_code, location, last_event_time, last_event_id, delivered_at
  (the output of events.statuses)
- expected: vin, plan_id, code, node, planned_at (UTC)
- due: vin, due_date
"""

from __future__ import annotations

import polars as pl


def etas(status: pl.DataFrame, expected: pl.DataFrame, due: pl.DataFrame) -> pl.DataFrame:
    """vin, plan_id, delay_hours, eta, due_date, days_late for every VIN of status."""
    first = (
        expected.sort("vin", "planned_at")
        .group_by("vin", "code", "node", maintain_order=True)
        .agg(pl.col("planned_at").first(), pl.col("plan_id").first())
    )
    delivery = (
        expected.filter(pl.col("code") == "DELIVERED")
        .group_by("vin")
        .agg(pl.col("planned_at").max().alias("_planned_delivery"), pl.col("plan_id").first())
    )
    matched = status.select(
        "vin",
        pl.col("last_code").alias("code"),
        pl.col("location").alias("node"),
        "last_event_time",
        "delivered_at",
    ).join(first.drop("plan_id"), on=["vin", "code", "node"], how="left")
    result = matched.join(delivery, on="vin", how="left").join(due, on="vin", how="left")
    delay = (pl.col("last_event_time") - pl.col("planned_at")).dt.total_seconds() / 3600.0
    result = (
        result.with_columns(
            pl.when(pl.col("planned_at").is_not_null())
            .then(delay)
            .otherwise(0.0)
            .alias("delay_hours"),
        )
        .with_columns(
            pl.coalesce(
                pl.col("delivered_at"),
                pl.col("_planned_delivery")
                + pl.duration(seconds=(pl.col("delay_hours") * 3600).round(0).cast(pl.Int64)),
            ).alias("eta"),
        )
        .with_columns(
            (pl.col("eta").dt.date() - pl.col("due_date"))
            .dt.total_days()
            .clip(lower_bound=0)
            .cast(pl.Int64)
            .alias("days_late"),
        )
    )
    return result.select(
        "vin", "plan_id", pl.col("delay_hours").round(2), "eta", "due_date", "days_late"
    )
