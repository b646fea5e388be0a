"""ETA: project from the latest milestone reached along the rest of the plan (pure).

The anchor is the latest reported event that the VIN's plan expects (matched by code and
node, the plan's first occurrence), in event order (time, milestone rank, event id);
events off the plan (a detour) do not move the ETA by themselves. Before any such event
the anchor is the plan's first milestone at its planned time.

From the anchor the ETA adds, milestone by milestone, the plan's remaining durations,
learned ones in place of planned ones where there is history (see tracking.learn): a
transit (DEPARTED then ARRIVED on one lane) takes the lane's median; the last mile (from
the final arrival to delivery: discharge, import clearance, delivery) takes the
destination's median. eta_p90 takes the 90th percentiles instead. Without history this
is the plan shifted by the delay observed at the anchor: the planned figure until there
is history. A delivered VIN's ETA
is its delivery. Days late compare the ETA's date with the due date.

Input frames:
- events: vin, event_id, code, node, event_time (every event of the VINs)
- status: vin, delivered_at (the output of events.statuses)
- plans: vin, seq, code, node, lane_id, planned_at (UTC; milestones.unpack)
- plan_of: vin, plan_id, due_date
- model: kind ('lane' or 'delivery'), key (lane id or destination node), median_hours,
  p90_hours (what has been learned; may be empty)
"""

from __future__ import annotations

import polars as pl

from carexport.tracking.events import in_order

MODEL_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String(),
    "key": pl.String(),
    "median_hours": pl.Float64(),
    "p90_hours": pl.Float64(),
}
ANCHOR_SCHEMA: dict[str, pl.DataType] = {
    "vin": pl.String(),
    "matched_seq": pl.Int64(),
    "matched_at": pl.Datetime("us", "UTC"),
}


def no_model() -> pl.DataFrame:
    """The model before any history: every duration is the planned one."""
    return pl.DataFrame(schema=MODEL_SCHEMA)


def anchors(events: pl.DataFrame, plans: pl.DataFrame) -> pl.DataFrame:
    """vin, matched_seq, matched_at: each VIN's latest reported milestone that its plan
    expects (VINs with none are left out)."""
    first = plans.group_by("vin", "code", "node").agg(
        pl.col("seq").min(), pl.col("planned_at").min()
    )
    return (
        in_order(events)
        .join(first, on=["vin", "code", "node"], how="inner", maintain_order="left")
        .group_by("vin", maintain_order=True)
        .agg(pl.col("seq").last().alias("matched_seq"), pl.col("event_time").last())
        .select("vin", "matched_seq", pl.col("event_time").alias("matched_at"))
    )


def project(plans: pl.DataFrame, anchor: pl.DataFrame, model: pl.DataFrame) -> pl.DataFrame:
    """vin, delay_hours, eta, eta_p90 for every VIN of plans, from its anchor (vin,
    matched_seq, matched_at; a VIN without one starts at its first planned milestone)."""
    ordered = plans.sort("vin", "seq")
    previous = [pl.col(c).shift(1).over("vin") for c in ("code", "lane_id", "planned_at")]

    def learned(kind: str, on: str, suffix: str) -> pl.DataFrame:
        return model.filter(pl.col("kind") == kind).select(
            pl.col("key").alias(on),
            pl.col("median_hours").alias(f"_m{suffix}"),
            pl.col("p90_hours").alias(f"_p{suffix}"),
        )

    steps = (
        ordered.with_columns(
            ((pl.col("planned_at") - previous[2]).dt.total_seconds() / 3600.0).alias("_planned_h"),
            (
                (pl.col("code") == "ARRIVED")
                & (previous[0] == "DEPARTED")
                & (pl.col("lane_id") == previous[1])
            ).alias("_transit"),
            (
                pl.col("seq")
                > pl.col("seq").filter(pl.col("code") == "ARRIVED").max().over("vin").fill_null(1)
            ).alias("_last_mile"),
            pl.col("node").last().over("vin").alias("_destination"),
        )
        .join(learned("lane", "lane_id", "lane"), on="lane_id", how="left")
        .join(learned("delivery", "_destination", "dest"), on="_destination", how="left")
    )

    def duration(learned_lane: str, learned_destination: str) -> pl.Expr:
        return (
            pl.when(pl.col("_transit") & pl.col(learned_lane).is_not_null())
            .then(pl.col(learned_lane))
            .when(pl.col("_last_mile") & pl.col(learned_destination).is_not_null())
            # The whole last mile sits on the delivery; the steps before it take none.
            .then(
                pl.when(pl.col("code") == "DELIVERED")
                .then(pl.col(learned_destination))
                .otherwise(0.0)
            )
            .otherwise(pl.col("_planned_h"))
        )

    steps = steps.with_columns(
        duration("_mlane", "_mdest").alias("_h"), duration("_plane", "_pdest").alias("_h90")
    )
    start = ordered.group_by("vin").agg(
        pl.col("seq").min().alias("_first_seq"), pl.col("planned_at").min().alias("_first_at")
    )
    where = (
        start.join(anchor, on="vin", how="left")
        .with_columns(
            pl.coalesce("matched_seq", "_first_seq").alias("_from"),
            pl.coalesce("matched_at", "_first_at").alias("_at"),
        )
        .join(
            ordered.select("vin", pl.col("seq").alias("_from"), pl.col("planned_at").alias("_p")),
            on=["vin", "_from"],
            how="left",
        )
    )
    remaining = (
        steps.join(where.select("vin", "_from"), on="vin")
        .filter(pl.col("seq") > pl.col("_from"))
        .group_by("vin")
        .agg(pl.col("_h").sum(), pl.col("_h90").sum())
    )
    result = where.join(remaining, on="vin", how="left").with_columns(
        pl.col("_h").fill_null(0.0), pl.col("_h90").fill_null(0.0)
    )
    return result.select(
        "vin",
        ((pl.col("_at") - pl.col("_p")).dt.total_seconds() / 3600.0).round(2).alias("delay_hours"),
        (pl.col("_at") + _hours(pl.col("_h"))).alias("eta"),
        (pl.col("_at") + _hours(pl.col("_h90"))).alias("eta_p90"),
    )


def etas(
    events: pl.DataFrame,
    status: pl.DataFrame,
    plans: pl.DataFrame,
    plan_of: pl.DataFrame,
    model: pl.DataFrame,
) -> pl.DataFrame:
    """vin, plan_id, matched_seq, matched_at, delay_hours, eta, eta_p90, due_date,
    days_late, next_seq, next_planned_at for every VIN of status (plan columns null for a
    VIN without a plan)."""
    anchor = anchors(events, plans)
    projected = project(plans, anchor, model)
    return finish(status.select("vin", "delivered_at"), anchor, projected, plan_of, plans)


def finish(
    status: pl.DataFrame,
    anchor: pl.DataFrame,
    projected: pl.DataFrame,
    plan_of: pl.DataFrame,
    plans: pl.DataFrame,
) -> pl.DataFrame:
    """Join the parts; a delivered VIN's ETA is its delivery; days late against due; the
    next milestone the plan (plans: unpacked) expects after the anchor, none once
    delivered: kept with the status so that the overdue exceptions are one indexed range
    (repository.exception_candidates) instead of a look at every plan."""
    following = plans.select(
        "vin", pl.col("seq").alias("next_seq"), pl.col("planned_at").alias("next_planned_at")
    )
    result = (
        status.select("vin", "delivered_at")
        .join(plan_of.select("vin", "plan_id", "due_date"), on="vin", how="left")
        .join(anchor, on="vin", how="left")
        .join(projected, on="vin", how="left")
        .with_columns(
            pl.coalesce("delivered_at", "eta").alias("eta"),
            pl.coalesce("delivered_at", "eta_p90").alias("eta_p90"),
            pl.when(pl.col("delivered_at").is_null() & pl.col("plan_id").is_not_null())
            .then(pl.col("matched_seq").fill_null(0) + 1)
            .alias("next_seq"),
        )
        .join(following, on=["vin", "next_seq"], how="left")
        .with_columns(
            pl.when(pl.col("next_planned_at").is_not_null())
            .then(pl.col("next_seq"))
            .alias("next_seq")
        )
    )
    return result.select(
        "vin",
        "plan_id",
        "matched_seq",
        "matched_at",
        "delay_hours",
        "eta",
        "eta_p90",
        "due_date",
        (pl.col("eta").dt.date() - pl.col("due_date"))
        .dt.total_days()
        .clip(lower_bound=0)
        .cast(pl.Int64)
        .alias("days_late"),
        "next_seq",
        "next_planned_at",
    )


def _hours(hours: pl.Expr) -> pl.Expr:
    return pl.duration(seconds=(hours * 3600).round(0).cast(pl.Int64))
