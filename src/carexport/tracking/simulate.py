"""Realistic event streams from a stored plan's expected milestones (pure, seeded).

Each vehicle walks its expected milestones; delays accumulate along the way:
- transit on each leg drawn around the lane's typical days within its min/max spread,
  times a bias of the lane's own: a lane's real mean transit differs from its published
  figure (log-normal, sd 15%, 8% slow on average). This is the simulator's assumption, and
  what learned ETAs can exploit; with no bias, learned and planned transit would agree;
- import clearance: at each destination node a typical extra time of its own (gamma,
  mean 1.5 days), plus exponential noise (mean 6 h) per vehicle;
- congestion at border crossings and ports (extra hours, exponential);
- one vessel delay: every vehicle on one ocean departure loses a few days;
- a few damages (DAMAGE_REPORTED at a node already reached);
- reporting: events reported hours later, a few days late, some sent twice, all shuffled.
Only events that happened by `until` are produced.

Input: expected (vin, seq, code, node, lane_id, planned_at UTC); lanes: lane_id,
transit_days, transit_days_min, transit_days_max, mode; node_kind: node -> kind.
Output: raw events (text cells, tracking.events.RAW_COLUMNS) ready for ingest; made
with vectorised frame operations, so ten million events take seconds.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from carexport.network.snapshot import NetworkSnapshot
from carexport.tracking.events import RAW_COLUMNS

CONGESTED = ("border_crossing", "seaport")


def network_inputs(network: NetworkSnapshot) -> tuple[pl.DataFrame, dict[str, str]]:
    """What the simulator needs of a network: each lane's transit and spread, each node's
    kind."""
    lanes = pl.DataFrame(
        [
            (
                lane.id,
                lane.transit_days,
                lane.transit_days_min,
                lane.transit_days_max,
                lane.mode.value,
            )
            for lane in network.lanes.values()
        ],
        orient="row",
        schema={
            "lane_id": pl.String,
            "transit_days": pl.Int64,
            "transit_days_min": pl.Int64,
            "transit_days_max": pl.Int64,
            "mode": pl.String,
        },
    )
    return lanes, {n.id: n.kind.value for n in network.nodes.values()}


def simulate(
    expected: pl.DataFrame,
    lanes: pl.DataFrame,
    node_kind: dict[str, str],
    *,
    until: dt.datetime,
    seed: int = 0,
    damage_rate: float = 0.003,
    duplicate_rate: float = 0.02,
    late_report_rate: float = 0.03,
    vessel_delay_days: float = 4.0,
    lane_bias_sd: float = 0.15,
    lane_bias_mean: float = 0.08,
) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    lane_ids = sorted(lanes["lane_id"].to_list())
    bias = pl.DataFrame(
        {
            "lane_id": lane_ids,
            "_bias": np.exp(rng.normal(np.log1p(lane_bias_mean), lane_bias_sd, len(lane_ids))),
        }
    )
    destinations = sorted(expected.filter(pl.col("code") == "IMPORT_CLEARED")["node"].unique())
    clearance = pl.DataFrame(
        {"node": destinations, "_clear_h": rng.gamma(2.0, 18.0, len(destinations))},
        schema={"node": pl.String, "_clear_h": pl.Float64},
    )
    frame = (
        expected.join(lanes, on="lane_id", how="left")
        .join(bias, on="lane_id", how="left")
        .join(clearance, on="node", how="left")
        .sort("vin", "seq")  # the walk below runs along each vehicle's milestones
    )
    n = frame.height
    if n == 0:
        return pl.DataFrame(schema=dict.fromkeys(RAW_COLUMNS, pl.String))
    is_arrival = (frame["code"] == "ARRIVED").to_numpy()
    spread = (
        frame["transit_days_max"].fill_null(0) - frame["transit_days_min"].fill_null(0)
    ).to_numpy().astype(float) / 4.0
    biased_h = (
        (frame["_bias"].fill_null(1.0) - 1.0).to_numpy()
        * frame["transit_days"].fill_null(0).to_numpy()
        * 24.0
    )
    transit_noise_h = np.where(
        is_arrival, rng.normal(0.0, np.maximum(spread, 0.1)) * 24.0 + biased_h, 0.0
    )
    kinds = frame["node"].replace_strict(node_kind, default="").to_numpy()
    congestion_h = np.where(
        np.isin(kinds, CONGESTED) & (frame["code"] == "DEPARTED").to_numpy(),
        rng.exponential(10.0, n),
        0.0,
    )
    ocean = frame.filter(
        (pl.col("code") == "DEPARTED") & pl.col("mode").is_in(["ocean_roro", "ocean_container"])
    )
    vessel_h = np.zeros(n)
    if ocean.height:
        sailings = (
            ocean.select("lane_id", pl.col("planned_at").dt.date().alias("_d"))
            .unique(maintain_order=True)
            .sort("lane_id", "_d")
        )
        lane, day = sailings.row(int(rng.integers(0, sailings.height)))
        hit = (
            (frame["lane_id"] == lane)
            & (frame["code"] == "DEPARTED")
            & (frame["planned_at"].dt.date() == day)
        ).to_numpy()
        vessel_h = np.where(hit, vessel_delay_days * 24.0, 0.0)
    clearing = (frame["code"] == "IMPORT_CLEARED").to_numpy()
    clearance_h = np.where(
        clearing, frame["_clear_h"].fill_null(0.0).to_numpy() + rng.exponential(6.0, n), 0.0
    )
    step_h = transit_noise_h + congestion_h + vessel_h + clearance_h
    frame = frame.with_columns(pl.Series("_step", step_h))
    frame = frame.with_columns(
        pl.col("_step").cum_sum().over("vin").clip(lower_bound=-24.0).alias("_delay_h")
    )
    hour_of_day = rng.uniform(6.0, 18.0, n)
    frame = frame.with_columns(pl.Series("_hour", hour_of_day))
    # A vehicle's events never go back in time: each is at least its predecessor's time.
    frame = frame.with_columns(
        (
            pl.col("planned_at")
            + pl.duration(
                seconds=((pl.col("_delay_h") + pl.col("_hour")) * 3600).round(0).cast(pl.Int64)
            )
        )
        .cum_max()
        .over("vin")
        .alias("event_time")
    )
    lag_h = rng.exponential(2.0, n) + np.where(
        rng.random(n) < late_report_rate, rng.uniform(24.0, 72.0, n), 0.0
    )
    frame = frame.with_columns(pl.Series("_lag_s", (lag_h * 3600).round().astype(np.int64)))
    frame = frame.with_columns(
        (pl.col("event_time") + pl.duration(seconds=pl.col("_lag_s"))).alias("reported_time")
    )
    happened = frame.filter(pl.col("event_time") <= pl.lit(until))
    reported = happened.filter(pl.col("reported_time") <= pl.lit(until))  # else not sent yet
    moves = reported.select(
        pl.format("SIM{}-{}-{}", pl.lit(seed), "vin", "seq").alias("event_id"),
        "vin",
        "code",
        "node",
        "lane_id",
        _iso("event_time").alias("event_time"),
        _iso("reported_time").alias("reported_time"),
    )
    vins = happened["vin"].unique().sort()
    damaged = vins.filter(pl.Series(rng.random(vins.len()) < damage_rate))
    damages = (
        happened.filter(pl.col("vin").is_in(damaged.implode()))
        .group_by("vin")
        .agg(pl.col("node").last(), pl.col("event_time").last())
        .sort("vin")
        .select(
            pl.format("SIM{}-{}-damage", pl.lit(seed), "vin").alias("event_id"),
            "vin",
            pl.lit("DAMAGE_REPORTED").alias("code"),
            "node",
            pl.lit(None, pl.String).alias("lane_id"),
            _iso(pl.col("event_time") + pl.duration(hours=1)).alias("event_time"),
            pl.lit(None, pl.String).alias("reported_time"),
        )
    )
    records = pl.concat([moves, damages]).with_columns(pl.lit("simulator").alias("source"))
    repeats = records.filter(pl.Series(rng.random(records.height) < duplicate_rate))
    records = pl.concat([records, repeats])
    return records[rng.permutation(records.height)].select(RAW_COLUMNS)


def _iso(value: pl.Expr | str) -> pl.Expr:
    column = pl.col(value) if isinstance(value, str) else value
    return column.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
