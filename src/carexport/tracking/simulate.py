"""Realistic event streams from a stored plan's expected milestones (pure, seeded).

Each vehicle walks its expected milestones; delays accumulate along the way:
- transit on each leg drawn around the lane's typical days within its min/max spread;
- congestion at border crossings and ports (extra hours, exponential);
- one vessel delay: every vehicle on one ocean departure loses a few days;
- a few damages (DAMAGE_REPORTED at a node already reached);
- reporting: events reported hours later, a few days late, some sent twice, all shuffled.
Only events that happened by `until` are produced.

Input: expected (vin, seq, code, node, lane_id, planned_at UTC); lanes: lane_id,
transit_days, transit_days_min, transit_days_max, mode; node_kind: node -> kind.
Output: raw event records (dicts of text cells) ready for tracking.service.ingest.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

CONGESTED = ("border_crossing", "seaport")


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
) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    frame = expected.sort("vin", "seq").join(lanes, on="lane_id", how="left")
    n = frame.height
    if n == 0:
        return []
    is_arrival = (frame["code"] == "ARRIVED").to_numpy()
    spread = (
        frame["transit_days_max"].fill_null(0) - frame["transit_days_min"].fill_null(0)
    ).to_numpy().astype(float) / 4.0
    transit_noise_h = np.where(is_arrival, rng.normal(0.0, np.maximum(spread, 0.1)) * 24.0, 0.0)
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
    step_h = transit_noise_h + congestion_h + vessel_h
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
    records = [
        {
            "event_id": f"SIM{seed}-{vin}-{seq}",
            "vin": vin,
            "code": code,
            "node": node,
            "lane_id": lane_id,
            "event_time": _iso(t),
            "reported_time": _iso(r),
            "source": "simulator",
        }
        for vin, seq, code, node, lane_id, t, r in happened.select(
            "vin", "seq", "code", "node", "lane_id", "event_time", "reported_time"
        ).iter_rows()
        if r <= until  # not reported yet otherwise
    ]
    vins = happened["vin"].unique().sort().to_list()
    damaged = [vins[i] for i in np.flatnonzero(rng.random(len(vins)) < damage_rate)]
    last_seen = happened.group_by("vin").agg(pl.col("node").last(), pl.col("event_time").last())
    for vin, node, at in last_seen.filter(pl.col("vin").is_in(damaged)).iter_rows():
        records.append(
            {
                "event_id": f"SIM{seed}-{vin}-damage",
                "vin": vin,
                "code": "DAMAGE_REPORTED",
                "node": node,
                "event_time": _iso(at + dt.timedelta(hours=1)),
                "source": "simulator",
            }
        )
    duplicates = [records[i] for i in np.flatnonzero(rng.random(len(records)) < duplicate_rate)]
    records.extend(dict(r) for r in duplicates)
    order = rng.permutation(len(records))
    return [records[i] for i in order]


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
