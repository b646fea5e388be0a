"""Finished-vehicle logistics KPIs in the spirit of the ECG/Odette KPI set (pure).

Per VIN, from its events (times in UTC):
- plant_evacuation_h: RELEASED -> GATE_OUT at the plant;
- time_to_port_d: GATE_OUT -> first ARRIVED at a port, rail terminal or compound;
- port_dwell_d: at the port of exit (where EXPORT_CLEARED was reported, else the first
  seaport reached) ARRIVED -> DEPARTED;
- shipping_lead_time_d: DEPARTED from the port of exit -> last ARRIVED before delivery;
- dealer_delivery_d: that last arrival -> DELIVERED;
- lead-time achievement: delivered on or before the order's due date.
Fleet-wide: damage ratio (damaged VINs per 1,000 tracked), reporting completeness
(expected milestones due by as_of that were reported, matched on code and node) and
reporting timeliness (events reported within 24 h of happening).

Groups: none, brand, market, month (of release), lane or mode (of the port-of-exit
departure). Durations are means over the VINs that have both ends.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

HUBS = ("seaport", "rail_terminal", "river_port", "overseas_hub", "road_hub")
GROUPS = ("none", "brand", "market", "month", "lane", "mode")


def _first(
    events: pl.DataFrame, condition: pl.Expr, name: str, *, last: bool = False, node: bool = False
) -> pl.DataFrame:
    picked = (
        events.filter(condition)
        .sort("vin", "event_time")
        .group_by("vin")
        .agg(
            (pl.col("event_time").last() if last else pl.col("event_time").first()).alias(name),
            *(
                [
                    pl.col("node").first().alias(f"{name}_node"),
                    pl.col("lane_id").first().alias(f"{name}_lane"),
                ]
                if node
                else []
            ),
        )
    )
    return picked


def fvl_kpis(
    events: pl.DataFrame,
    expected: pl.DataFrame,
    dims: pl.DataFrame,
    node_kind: dict[str, str],
    lane_mode: dict[str, str],
    *,
    as_of: dt.datetime,
    by: str = "none",
) -> pl.DataFrame:
    """events: vin, code, node, lane_id, event_time, reported_time; expected: vin, code,
    node, planned_at; dims: vin, brand, market, due_date."""
    if by not in GROUPS:
        raise ValueError(f"group by one of {', '.join(GROUPS)}")
    kind = pl.col("node").replace_strict(node_kind, default="")
    released = _first(events, pl.col("code") == "RELEASED", "released")
    gate_out = _first(events, pl.col("code") == "GATE_OUT", "gate_out")
    to_port = _first(events, (pl.col("code") == "ARRIVED") & kind.is_in(list(HUBS)), "at_port")
    cleared = _first(events, pl.col("code") == "EXPORT_CLEARED", "cleared", node=True)
    first_sea = _first(
        events, (pl.col("code") == "ARRIVED") & (kind == "seaport"), "sea", node=True
    )
    delivered = _first(events, pl.col("code") == "DELIVERED", "delivered")
    exit_node = (
        cleared.select("vin", pl.col("cleared_node").alias("exit_node"))
        .join(
            first_sea.select("vin", pl.col("sea_node").alias("_sea")),
            on="vin",
            how="full",
            coalesce=True,
        )
        .select("vin", pl.coalesce("exit_node", "_sea").alias("exit_node"))
    )
    at_exit = events.join(exit_node, on="vin").filter(pl.col("node") == pl.col("exit_node"))
    exit_arrived = _first(at_exit, pl.col("code").is_in(["ARRIVED", "DISCHARGED"]), "exit_in")
    exit_departed = _first(at_exit, pl.col("code") == "DEPARTED", "exit_out", node=True)
    last_arrival = (
        events.join(delivered, on="vin")
        .filter(
            pl.col("code").is_in(["ARRIVED", "DISCHARGED"])
            & (pl.col("event_time") <= pl.col("delivered"))
        )
        .sort("vin", "event_time")
        .group_by("vin")
        .agg(pl.col("event_time").last().alias("final_in"))
    )
    per_vin = (
        dims.join(released, on="vin", how="left")
        .join(gate_out, on="vin", how="left")
        .join(to_port, on="vin", how="left")
        .join(exit_arrived, on="vin", how="left")
        .join(exit_departed, on="vin", how="left")
        .join(last_arrival, on="vin", how="left")
        .join(delivered, on="vin", how="left")
    )
    damaged = events.filter(pl.col("code") == "DAMAGE_REPORTED").select("vin").unique()
    tracked = events.select("vin").unique()

    def hours(a: str, b: str) -> pl.Expr:
        return (pl.col(b) - pl.col(a)).dt.total_seconds() / 3600.0

    per_vin = per_vin.with_columns(
        hours("released", "gate_out").alias("plant_evacuation_h"),
        (hours("gate_out", "at_port") / 24).alias("time_to_port_d"),
        (hours("exit_in", "exit_out") / 24).alias("port_dwell_d"),
        (hours("exit_out", "final_in") / 24).alias("shipping_lead_time_d"),
        (hours("final_in", "delivered") / 24).alias("dealer_delivery_d"),
        pl.when(pl.col("delivered").is_not_null())
        .then(pl.col("delivered").dt.date() <= pl.col("due_date"))
        .alias("on_time"),
        pl.col("vin").is_in(damaged["vin"].implode()).alias("damaged"),
        pl.col("vin").is_in(tracked["vin"].implode()).alias("tracked"),
        pl.col("released").dt.strftime("%Y-%m").alias("month"),
        pl.col("exit_out_lane").alias("lane"),
        pl.col("exit_out_lane").replace_strict(lane_mode, default=None).alias("mode"),
    )
    due = expected.filter(pl.col("planned_at") <= pl.lit(as_of)).join(
        events.select("vin", "code", "node").unique().with_columns(pl.lit(True).alias("_seen")),
        on=["vin", "code", "node"],
        how="left",
    )
    completeness = due.group_by("vin").agg(
        pl.len().alias("_due"), pl.col("_seen").fill_null(False).sum().alias("_seen")
    )
    timely = (
        events.filter(pl.col("reported_time").is_not_null())
        .group_by("vin")
        .agg(
            pl.len().alias("_reported"),
            ((pl.col("reported_time") - pl.col("event_time")) <= pl.duration(hours=24))
            .sum()
            .alias("_timely"),
        )
    )
    per_vin = per_vin.join(completeness, on="vin", how="left").join(timely, on="vin", how="left")
    keys = [] if by == "none" else [by]
    grouped = per_vin.group_by(keys) if keys else per_vin.group_by(pl.lit("all").alias("group"))
    result = grouped.agg(
        pl.col("tracked").sum().alias("vehicles_tracked"),
        pl.col("plant_evacuation_h").mean().round(1),
        pl.col("time_to_port_d").mean().round(2),
        pl.col("port_dwell_d").mean().round(2),
        pl.col("shipping_lead_time_d").mean().round(2),
        pl.col("dealer_delivery_d").mean().round(2),
        (pl.col("on_time").mean() * 100).round(1).alias("lead_time_achievement_pct"),
        (pl.col("damaged").sum() / pl.col("tracked").sum() * 1000)
        .round(2)
        .alias("damage_per_1000"),
        (pl.col("_seen").sum() / pl.col("_due").sum() * 100)
        .round(1)
        .alias("reporting_completeness_pct"),
        (pl.col("_timely").sum() / pl.col("_reported").sum() * 100)
        .round(1)
        .alias("reporting_timeliness_pct"),
    )
    return result.sort(keys or "group")
