"""ETA from the plan, shifted by the delay observed so far (pure).

The delay is the latest reported milestone that the VIN's latest plan expects (matched by
code and node, first occurrence) minus its planned time; events off the plan (a detour)
do not move the ETA by themselves. The ETA is the planned delivery plus that delay, or the
delivery itself once delivered. Days late compare the
ETA's date with the order's due date.

Input frames:
- events: vin, code, node, event_time (every event of the VINs)
- status: vin, delivered_at (the output of events.statuses)
- expected: vin, plan_id, code, node, planned_at (UTC)
- due: vin, due_date
"""

from __future__ import annotations

import polars as pl


def etas(
    events: pl.DataFrame, status: pl.DataFrame, expected: pl.DataFrame, due: pl.DataFrame
) -> pl.DataFrame:
    """vin, plan_id, delay_hours, eta, due_date, days_late for every VIN of status."""
    first = (
        expected.sort("vin", "planned_at")
        .group_by("vin", "code", "node", maintain_order=True)
        .agg(pl.col("planned_at").first())
    )
    latest_match = (
        events.join(first, on=["vin", "code", "node"], how="inner")
        .sort("vin", "event_time")
        .group_by("vin")
        .agg(
            (
                (pl.col("event_time").last() - pl.col("planned_at").last()).dt.total_seconds()
                / 3600.0
            ).alias("delay_hours")
        )
    )
    delivery = (
        expected.filter(pl.col("code") == "DELIVERED")
        .group_by("vin")
        .agg(pl.col("planned_at").max().alias("_planned_delivery"), pl.col("plan_id").first())
    )
    result = (
        status.select("vin", "delivered_at")
        .join(latest_match, on="vin", how="left")
        .join(delivery, on="vin", how="left")
        .join(due, on="vin", how="left")
        .with_columns(pl.col("delay_hours").fill_null(0.0))
    )
    result = result.with_columns(
        pl.coalesce(
            pl.col("delivered_at"),
            pl.col("_planned_delivery")
            + pl.duration(seconds=(pl.col("delay_hours") * 3600).round(0).cast(pl.Int64)),
        ).alias("eta"),
    ).with_columns(
        (pl.col("eta").dt.date() - pl.col("due_date"))
        .dt.total_days()
        .clip(lower_bound=0)
        .cast(pl.Int64)
        .alias("days_late"),
    )
    return result.select(
        "vin", "plan_id", pl.col("delay_hours").round(2), "eta", "due_date", "days_late"
    )
