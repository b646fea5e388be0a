"""The event simulator: seeded, never back in time, only what happened by `until`."""

from __future__ import annotations

import datetime as dt

import polars as pl

from carexport.tracking.events import parse_time
from carexport.tracking.milestones import PACKED_SCHEMA
from carexport.tracking.simulate import simulate

UTC = dt.UTC


def _expected() -> pl.DataFrame:
    rows = []
    for v in range(40):
        day = dt.datetime(2027, 1, 4, tzinfo=UTC)
        plan = [
            ("RELEASED", "PLANT", None, 0),
            ("GATE_OUT", "PLANT", None, 1),
            ("DEPARTED", "PLANT", "TRUCK", 1),
            ("ARRIVED", "PORT", "TRUCK", 2),
            ("DEPARTED", "PORT", "SHIP", 2),
            ("ARRIVED", "DEST", "SHIP", 20),
            ("DELIVERED", "DEST", None, 22),
        ]
        for seq, (code, node, lane, offset) in enumerate(plan, start=1):
            rows.append((f"V{v:03d}", seq, code, node, lane, day + dt.timedelta(days=offset)))
    return pl.DataFrame(rows, orient="row", schema=PACKED_SCHEMA)


LANES = pl.DataFrame(
    {
        "lane_id": ["TRUCK", "SHIP"],
        "transit_days": [1, 18],
        "transit_days_min": [1, 16],
        "transit_days_max": [2, 24],
        "mode": ["road_truck", "ocean_roro"],
    }
)
KINDS = {"PLANT": "plant", "PORT": "seaport", "DEST": "seaport"}


def test_simulation_is_seeded_monotone_and_bounded() -> None:
    until = dt.datetime(2027, 1, 20, tzinfo=UTC)
    first = simulate(_expected(), LANES, KINDS, until=until, seed=5, damage_rate=0.2)
    again = simulate(_expected(), LANES, KINDS, until=until, seed=5, damage_rate=0.2)
    assert first.equals(again)
    assert not first.equals(
        simulate(_expected(), LANES, KINDS, until=until, seed=6, damage_rate=0.2)
    )
    frame = first.with_columns(
        parse_time("event_time").alias("t"), parse_time("reported_time").alias("r")
    )
    assert frame["t"].max() <= until
    assert (
        frame.filter(pl.col("r").is_not_null())["r"] >= frame.filter(pl.col("r").is_not_null())["t"]
    ).all()
    # Duplicates are re-sent with the same id; every id's content is the same.
    assert frame.height > frame["event_id"].n_unique()
    assert frame.unique().height == frame["event_id"].n_unique()
    # Per vehicle, the planned milestones come in plan order in time.
    moves = (
        frame.filter(pl.col("code") != "DAMAGE_REPORTED")
        .unique("event_id")
        .with_columns(pl.col("event_id").str.split("-").list.last().cast(pl.Int64).alias("seq"))
        .sort("vin", "seq")
    )
    assert (
        moves.group_by("vin")
        .agg((pl.col("t").diff().dt.total_seconds() >= 0).all())
        .get_column("t")
        .all()
    )
    # Ships take 16-24 days, so nothing has arrived at DEST by 2027-01-20.
    assert (
        not frame.filter(pl.col("node") == "DEST")
        .filter(pl.col("code") != "DAMAGE_REPORTED")
        .height
    )
    assert frame.filter(pl.col("code") == "DAMAGE_REPORTED").height > 0
