"""Finished-vehicle logistics KPIs in the spirit of the ECG/Odette KPI set (pure).

Each VIN's facts (tracking.facts: plant evacuation, time to port, port dwell, shipping
lead time, dealer delivery, damage, reporting) are summed per group, then turned into
the KPIs: durations are means over the VINs that have both ends; lead-time achievement
is the share delivered on or before the order's due date; damage ratio is damaged VINs
per 1,000 tracked; reporting completeness is the share of expected milestones due by
as_of that were reported (matched on code and node); reporting timeliness the share of
events reported within 24 h of happening.

Groups: none, brand, market, month (of release), lane or mode (of the port-of-exit
departure).

Two ways to the same sums: fvl_kpis from every event (the reference, and what a test
holds the kept facts to), and tracking.service.fvl_sums from the facts ingest keeps per
VIN; finish turns either into the KPIs.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from carexport.tracking.facts import DURATIONS, FVL_GROUP_COLUMNS, FVL_SUM_COLUMNS, vin_facts

GROUPS = ("none", "brand", "market", "month", "lane", "mode")
# Decimals each KPI is given with.
_DECIMALS = {"plant_evacuation_h": 1} | {d: 2 for d in DURATIONS if d != "plant_evacuation_h"}


def check_group(by: str) -> None:
    if by not in GROUPS:
        raise ValueError(f"group by one of {', '.join(GROUPS)}")


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
    node, planned_at; dims: vin, brand, market, due_date (every VIN of events or expected)."""
    return finish(
        sums_from_events(events, expected, dims, node_kind, lane_mode, as_of=as_of, by=by), by
    )


def sums_from_events(
    events: pl.DataFrame,
    expected: pl.DataFrame,
    dims: pl.DataFrame,
    node_kind: dict[str, str],
    lane_mode: dict[str, str],
    *,
    as_of: dt.datetime,
    by: str = "none",
) -> pl.DataFrame:
    """The sums (SUM_COLUMNS) fvl_kpis finishes, per group, from every event."""
    check_group(by)
    per_vin = dims.join(vin_facts(events, node_kind, lane_mode), on="vin", how="left")
    due = expected.filter(pl.col("planned_at") <= pl.lit(as_of)).join(
        events.select("vin", "code", "node").unique().with_columns(pl.lit(True).alias("_seen")),
        on=["vin", "code", "node"],
        how="left",
    )
    completeness = due.group_by("vin").agg(
        pl.len().alias("due"), pl.col("_seen").fill_null(False).sum().alias("seen")
    )
    per_vin = per_vin.join(completeness, on="vin", how="left").with_columns(
        pl.col("vin").is_in(events["vin"].unique().implode()).alias("tracked"),
        (pl.col("delivered_day") <= pl.col("due_date")).alias("on_time"),
    )
    key = (
        [pl.col(FVL_GROUP_COLUMNS[by]).alias(by)]
        if by != "none"
        else [pl.lit("all").alias("group")]
    )
    sums = per_vin.group_by(key).agg(
        pl.col("tracked").sum().alias("tracked"),
        *(pl.col(d).sum().alias(f"{d}_sum") for d in DURATIONS),
        *(pl.col(d).count().alias(f"{d}_n") for d in DURATIONS),
        pl.col("on_time").sum().alias("on_time"),
        pl.col("on_time").count().alias("delivered"),
        pl.col("damaged").fill_null(False).sum().alias("damaged"),
        pl.col("reported").sum().alias("reported"),
        pl.col("timely").sum().alias("timely"),
        pl.col("due").sum().alias("due"),
        pl.col("seen").sum().alias("seen"),
    )
    return sums


SUM_COLUMNS = FVL_SUM_COLUMNS  # (tracking.facts: the kept sums are the same columns)


def finish(sums: pl.DataFrame, by: str) -> pl.DataFrame:
    """sums: one row per group (column `by`, or `group` for none) with SUM_COLUMNS ->
    the KPIs of each group, sorted by it."""
    key = "group" if by == "none" else by
    if sums.is_empty():
        sums = pl.DataFrame(schema={key: pl.String, **dict.fromkeys(SUM_COLUMNS, pl.Int64)})
    sums = sums.with_columns(pl.col(c).cast(pl.Float64) for c in SUM_COLUMNS)

    def share(part: str, whole: str, scale: float, decimals: int) -> pl.Expr:
        return pl.when(pl.col(whole) > 0).then(pl.col(part) / pl.col(whole) * scale).round(decimals)

    return sums.select(
        key,
        pl.col("tracked").cast(pl.Int64).alias("vehicles_tracked"),
        *(share(f"{d}_sum", f"{d}_n", 1.0, _DECIMALS[d]).alias(d) for d in DURATIONS),
        share("on_time", "delivered", 100.0, 1).alias("lead_time_achievement_pct"),
        share("damaged", "tracked", 1000.0, 2).alias("damage_per_1000"),
        share("seen", "due", 100.0, 1).alias("reporting_completeness_pct"),
        share("timely", "reported", 100.0, 1).alias("reporting_timeliness_pct"),
    ).sort(key)
