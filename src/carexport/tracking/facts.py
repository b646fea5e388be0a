"""Each VIN's finished-vehicle facts from its events (pure): the milestone times the FVL
KPIs (kpi.fvl) are means and shares of, reduced to one row per VIN.

Per VIN (times in UTC):
- release_month: month of RELEASED (YYYY-MM);
- plant_evacuation_h: RELEASED -> GATE_OUT at the plant;
- time_to_port_d: GATE_OUT -> first ARRIVED at a port, rail terminal or compound;
- port_dwell_d: at the port of exit (where EXPORT_CLEARED was reported, else the first
  seaport reached) ARRIVED -> DEPARTED; exit_lane / exit_mode: the lane of that departure;
- shipping_lead_time_d: DEPARTED from the port of exit -> last ARRIVED before delivery;
- dealer_delivery_d: that last arrival -> DELIVERED; delivered_day: the day of DELIVERED;
- damaged: a DAMAGE_REPORTED; reported / timely: events with a reported time, and those
  reported within 24 h of happening.

A VIN's facts need only its own events, so ingest keeps them per VIN (vehicle_fvl) for
the VINs a batch touches, and the KPIs aggregate the kept rows instead of every event.
"""

from __future__ import annotations

import polars as pl

HUBS = ("seaport", "rail_terminal", "river_port", "overseas_hub", "road_hub")
DURATIONS = (
    "plant_evacuation_h",
    "time_to_port_d",
    "port_dwell_d",
    "shipping_lead_time_d",
    "dealer_delivery_d",
)
# The kept fact each FVL grouping (other than none) is keyed on.
FVL_GROUP_COLUMNS = {
    "brand": "brand",
    "market": "market",
    "month": "release_month",
    "lane": "exit_lane",
    "mode": "exit_mode",
}
FACT_SCHEMA: dict[str, pl.DataType] = {
    "vin": pl.String(),
    "release_month": pl.String(),
    **{d: pl.Float64() for d in DURATIONS},
    "exit_lane": pl.String(),
    "exit_mode": pl.String(),
    "delivered_day": pl.Date(),
    "damaged": pl.Boolean(),
    "reported": pl.Int64(),
    "timely": pl.Int64(),
}


def _first(
    events: pl.DataFrame, condition: pl.Expr, name: str, *, last: bool = False, node: bool = False
) -> pl.DataFrame:
    return (
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


def vin_facts(
    events: pl.DataFrame, node_kind: dict[str, str], lane_mode: dict[str, str]
) -> pl.DataFrame:
    """events: vin, code, node, lane_id, event_time, reported_time (all of each VIN's
    events). One row per VIN of events, columns FACT_SCHEMA."""
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
        .group_by("vin")
        .agg(pl.col("event_time").max().alias("final_in"))
    )
    per_vin = (
        events.group_by("vin")
        .agg(
            (pl.col("code") == "DAMAGE_REPORTED").any().alias("damaged"),
            pl.col("reported_time").is_not_null().sum().cast(pl.Int64).alias("reported"),
            ((pl.col("reported_time") - pl.col("event_time")) <= pl.duration(hours=24))
            .sum()
            .cast(pl.Int64)
            .alias("timely"),
        )
        .join(released, on="vin", how="left")
        .join(gate_out, on="vin", how="left")
        .join(to_port, on="vin", how="left")
        .join(exit_arrived, on="vin", how="left")
        .join(exit_departed, on="vin", how="left")
        .join(last_arrival, on="vin", how="left")
        .join(delivered, on="vin", how="left")
    )

    def hours(a: str, b: str) -> pl.Expr:
        return (pl.col(b) - pl.col(a)).dt.total_seconds() / 3600.0

    return per_vin.select(
        "vin",
        pl.col("released").dt.strftime("%Y-%m").alias("release_month"),
        hours("released", "gate_out").alias("plant_evacuation_h"),
        (hours("gate_out", "at_port") / 24).alias("time_to_port_d"),
        (hours("exit_in", "exit_out") / 24).alias("port_dwell_d"),
        (hours("exit_out", "final_in") / 24).alias("shipping_lead_time_d"),
        (hours("final_in", "delivered") / 24).alias("dealer_delivery_d"),
        pl.col("exit_out_lane").alias("exit_lane"),
        pl.col("exit_out_lane").replace_strict(lane_mode, default=None).alias("exit_mode"),
        pl.col("delivered").dt.date().alias("delivered_day"),
        "damaged",
        "reported",
        "timely",
    )


def seen_mask(events: pl.DataFrame, expected: pl.DataFrame) -> pl.DataFrame:
    """vin, seen_mask, expected_count, seen_count, first_planned_at, last_planned_at of each
    VIN of expected
    (vin, seq, code, node, planned_at: its current plan's milestones): bit seq of the mask
    is set when an event of the VIN has the milestone's code and node, which is what
    reporting completeness counts. Milestones past seq 62 are left out of the mask (no
    plan has that many; the count would then undercount, never fail)."""
    seen = events.select("vin", "code", "node").unique().with_columns(pl.lit(True).alias("_seen"))
    marked = expected.join(seen, on=["vin", "code", "node"], how="left").with_columns(
        pl.col("_seen").fill_null(False)
    )
    bit = pl.when(pl.col("_seen") & (pl.col("seq") <= 62)).then(
        pl.lit(2, pl.Int64).pow(pl.col("seq").cast(pl.Int64))  # exact in Int64 up to 2**62
    )
    # Each milestone as "<planned, seconds since 1970 UTC><+ seen, - not>", in plan order:
    # the kept due counts (fvl_contributions) are made from it.
    mark = pl.concat_str(
        pl.col("planned_at").dt.epoch("s").cast(pl.String),
        pl.when(pl.col("_seen")).then(pl.lit("+")).otherwise(pl.lit("-")),
    )
    return (
        marked.sort("vin", "seq")
        .group_by("vin")
        .agg(
            bit.sum().cast(pl.Int64).alias("seen_mask"),
            mark.str.join(",").alias("planned_seen"),
            pl.len().cast(pl.Int64).alias("expected_count"),
            pl.col("_seen").sum().cast(pl.Int64).alias("seen_count"),
            pl.col("planned_at").min().alias("first_planned_at"),
            pl.col("planned_at").max().alias("last_planned_at"),
        )
    )


FVL_ROW_COLUMNS = (
    "vin",
    "brand",
    "market",
    "due_date",
    *(c for c in FACT_SCHEMA if c != "vin"),
    "tracked",
    "plan_id",
    "seen_mask",
    "expected_count",
    "seen_count",
    "first_planned_at",
    "last_planned_at",
    "planned_seen",
)


def fvl_rows(
    events: pl.DataFrame,
    expected: pl.DataFrame,
    dims: pl.DataFrame,
    plan_of: pl.DataFrame,
    node_kind: dict[str, str],
    lane_mode: dict[str, str],
) -> pl.DataFrame:
    """The vehicle_fvl rows of the VINs of dims (vin, brand, market, due_date): their
    facts from events (all of each VIN's events), their current plan (plan_of: vin,
    plan_id) and its milestones (expected: vin, seq, code, node, planned_at)."""
    facts = vin_facts(events, node_kind, lane_mode)
    marks = seen_mask(events, expected)
    return (
        dims.select("vin", "brand", "market", "due_date")
        .join(facts, on="vin", how="left")
        .join(plan_of.select("vin", "plan_id"), on="vin", how="left")
        .join(marks, on="vin", how="left")
        .with_columns(
            pl.col("vin").is_in(events["vin"].unique().implode()).alias("tracked"),
            pl.col("damaged").fill_null(False),
            pl.col("reported", "timely", "seen_mask", "expected_count", "seen_count").fill_null(0),
        )
        .select(FVL_ROW_COLUMNS)
    )


# The kept FVL facts' types (vehicle_fvl), as they are read back.
FVL_ROW_SCHEMA: dict[str, pl.DataType] = {
    "vin": pl.String(),
    "brand": pl.String(),
    "market": pl.String(),
    "due_date": pl.Date(),
    **{c: t for c, t in FACT_SCHEMA.items() if c != "vin"},
    "tracked": pl.Boolean(),
    "plan_id": pl.String(),
    "seen_mask": pl.Int64(),
    "expected_count": pl.Int64(),
    "seen_count": pl.Int64(),
    "first_planned_at": pl.Datetime("us", "UTC"),
    "last_planned_at": pl.Datetime("us", "UTC"),
    "planned_seen": pl.String(),
}

# The kept sums are per grouping (kpi.fvl.GROUPS) and group value ("" for none and for a
# VIN without that fact): vehicle_fvl_sum what a VIN adds whenever the KPIs are judged,
# vehicle_fvl_due its current plan's milestones by planned time (seconds since 1970 UTC),
# and those of them reported: reporting completeness counts the ones due by the judging
# time.
FVL_SUM_MEASURES = (
    "tracked",
    *(f"{d}_sum" for d in DURATIONS),
    *(f"{d}_n" for d in DURATIONS),
    "on_time",
    "delivered",
    "damaged",
    "reported",
    "timely",
    "vins",
)
FVL_DUE_MEASURES = ("expected", "seen")
# The sums the FVL KPIs are finished from (kpi.fvl.finish): the kept measures but the VIN
# count, then the milestones due by the judging time and those of them reported.
FVL_SUM_COLUMNS = (*(m for m in FVL_SUM_MEASURES if m != "vins"), "due", "seen")


def fvl_contributions(rows: pl.DataFrame, sign: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What vehicle_fvl rows (FVL_ROW_SCHEMA) add to the kept sums (sign 1), or take from
    them when they are replaced (sign -1): (grouping, value, FVL_SUM_MEASURES) and
    (grouping, value, planned_s, FVL_DUE_MEASURES), one row per key. The same rules as
    the aggregate of kpi.fvl.sums_from_events."""
    ints = pl.Int64
    groups = [
        (
            pl.lit(by).alias("grouping"),
            (pl.col(FVL_GROUP_COLUMNS[by]) if by != "none" else pl.lit(None, pl.String))
            .fill_null("")
            .alias("value"),
        )
        for by in ("none", *FVL_GROUP_COLUMNS)
    ]
    measures = rows.select(
        *(pl.col(c) for c in FVL_GROUP_COLUMNS.values()),
        pl.col("tracked").cast(ints),
        *(pl.col(d).fill_null(0.0).alias(f"{d}_sum") for d in DURATIONS),
        *(pl.col(d).is_not_null().cast(ints).alias(f"{d}_n") for d in DURATIONS),
        (pl.col("delivered_day") <= pl.col("due_date"))
        .fill_null(False)
        .cast(ints)
        .alias("on_time"),
        (pl.col("delivered_day").is_not_null() & pl.col("due_date").is_not_null())
        .cast(ints)
        .alias("delivered"),
        pl.col("damaged").cast(ints),
        pl.col("reported").cast(ints),
        pl.col("timely").cast(ints),
        pl.lit(1, ints).alias("vins"),
    )
    sums = (
        pl.concat([measures.select(*key, *FVL_SUM_MEASURES) for key in groups])
        .group_by("grouping", "value")
        .agg(pl.col(m).sum() * sign for m in FVL_SUM_MEASURES)
    )
    milestones = (
        rows.select(
            *(pl.col(c) for c in FVL_GROUP_COLUMNS.values()),
            pl.col("planned_seen").str.split(",").alias("_m"),
        )
        .explode("_m")
        .filter(pl.col("_m").is_not_null() & (pl.col("_m") != ""))
        .with_columns(
            pl.col("_m").str.head(-1).cast(ints).alias("planned_s"),
            pl.lit(1, ints).alias("expected"),
            (pl.col("_m").str.tail(1) == "+").cast(ints).alias("seen"),
        )
    )
    due = (
        pl.concat([milestones.select(*key, "planned_s", *FVL_DUE_MEASURES) for key in groups])
        .group_by("grouping", "value", "planned_s")
        .agg(pl.col(m).sum() * sign for m in FVL_DUE_MEASURES)
    )
    return sums, due
