"""Learned durations: the histogram the database counts, the quantiles read off it, and the
ETA projected with them; every figure below is worked out by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Engine, select

from carexport.db.bulk import insert_frame
from carexport.db.session import unit_of_work
from carexport.planning.problem import PlanParameters
from carexport.plans.service import plan_and_store
from carexport.tracking import repository
from carexport.tracking.eta import ANCHOR_SCHEMA, no_model, project
from carexport.tracking.ingest import ingest, raw_frame
from carexport.tracking.learn import quantiles
from carexport.tracking.milestones import PACKED_SCHEMA
from carexport.tracking.service import learn_transit
from carexport.tracking.tables import EtaRevisionRow, VehicleStatusRow
from tests.tracking.world import ORG, VIN_A

T0 = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def test_quantiles_read_off_the_hourly_histogram() -> None:
    histogram = pl.DataFrame(
        {
            "kind": ["lane"] * 4 + ["delivery"],
            "key": ["L"] * 3 + ["FEW", "L"],
            "hour": [30, 10, 20, 5, 7],
            "n": [5, 5, 10, 19, 20],
        }
    )
    stats = quantiles(histogram)
    # Lane L: 20 legs; the 10th is in hour 20 (5 + 10 >= 10), the 18th in hour 30 (20 >= 18).
    # FEW has 19 legs, under the 20 needed, so it keeps its planned figure. A destination
    # that happens to share the lane's name is counted apart: 20 deliveries in hour 7.
    assert stats.to_dicts() == [
        {"kind": "delivery", "key": "L", "observations": 20, "median_hours": 7.5, "p90_hours": 7.5},
        {"kind": "lane", "key": "L", "observations": 20, "median_hours": 20.5, "p90_hours": 30.5},
    ]


def plan_of_one_truck_leg() -> pl.DataFrame:
    day = dt.timedelta(days=1)
    rows = [
        (1, "RELEASED", "P", None, T0),
        (2, "GATE_OUT", "P", None, T0 + day),
        (3, "DEPARTED", "P", "L", T0 + day),
        (4, "ARRIVED", "B", "L", T0 + 4 * day),
        (5, "IMPORT_CLEARED", "B", None, T0 + 5 * day),
        (6, "DELIVERED", "B", None, T0 + 5 * day),
    ]
    return pl.DataFrame([("V", *r) for r in rows], orient="row", schema=PACKED_SCHEMA)


def test_projection_from_the_anchor_with_and_without_learned_transit() -> None:
    plan = plan_of_one_truck_leg()
    departed = pl.DataFrame(
        [("V", 3, T0 + dt.timedelta(days=1, hours=6))], orient="row", schema=ANCHOR_SCHEMA
    )
    # Plan only: 6 h late at departure, then 3 days of transit and 1 day to delivery.
    only_plan = project(plan, departed, no_model()).row(0, named=True)
    assert only_plan["delay_hours"] == 6.0
    assert only_plan["eta"] == T0 + dt.timedelta(days=5, hours=6)
    assert only_plan["eta_p90"] == only_plan["eta"]
    # Learned: the lane takes 100 h (p90 150 h) instead of 72 h; the rest as planned.
    lanes = pl.DataFrame(
        {"kind": ["lane"], "key": ["L"], "median_hours": [100.0], "p90_hours": [150.0]}
    )
    learned = project(plan, departed, lanes).row(0, named=True)
    assert learned["eta"] == T0 + dt.timedelta(days=1, hours=6 + 100 + 24)
    assert learned["eta_p90"] == T0 + dt.timedelta(days=1, hours=6 + 150 + 24)
    # Before any event the projection starts at the planned release.
    fresh = project(plan, pl.DataFrame(schema=ANCHOR_SCHEMA), lanes).row(0, named=True)
    assert fresh["delay_hours"] == 0.0
    assert fresh["eta"] == T0 + dt.timedelta(days=1, hours=100 + 24)
    # Once arrived, the lane's history no longer matters: the rest is the plan's day.
    arrived = pl.DataFrame(
        [("V", 4, T0 + dt.timedelta(days=4, hours=2))], orient="row", schema=ANCHOR_SCHEMA
    )
    assert project(plan, arrived, lanes)["eta"][0] == T0 + dt.timedelta(days=5, hours=2)
    # A learned destination replaces the whole last mile (arrival to delivery, planned 1 day)
    # with its median, 40 h, wherever in the last mile the vehicle is.
    both = pl.concat(
        [
            lanes,
            pl.DataFrame(
                {"kind": ["delivery"], "key": ["B"], "median_hours": [40.0], "p90_hours": [60.0]}
            ),
        ]
    )
    assert project(plan, arrived, both)["eta"][0] == T0 + dt.timedelta(days=4, hours=2 + 40)
    assert project(plan, arrived, both)["eta_p90"][0] == T0 + dt.timedelta(days=4, hours=2 + 60)
    cleared = pl.DataFrame(
        [("V", 5, T0 + dt.timedelta(days=4, hours=9))], orient="row", schema=ANCHOR_SCHEMA
    )
    assert project(plan, cleared, both)["eta"][0] == T0 + dt.timedelta(days=4, hours=9 + 40)
    assert project(plan, departed, both)["eta"][0] == T0 + dt.timedelta(days=1, hours=6 + 100 + 40)


def frame_of(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        orient="row",
        schema={
            "org_id": pl.String,
            "vin": pl.String,
            "event_id": pl.String,
            "code": pl.String,
            "node": pl.String,
            "lane_id": pl.String,
            "event_time": pl.Datetime("us", "UTC"),
        },
    )


def leg_events(vin: str, lane: str, departed: dt.datetime, hours: float) -> list[tuple]:
    arrived = departed + dt.timedelta(hours=hours)
    return [
        (ORG, vin, f"{vin}-d", "DEPARTED", "X", lane, departed),
        (ORG, vin, f"{vin}-a", "ARRIVED", "Y", lane, arrived),
    ]


def test_histogram_counts_completed_legs_once(engine: Engine) -> None:
    rows: list[tuple] = []
    for i in range(24):  # 24 legs: 2 each of 40.5, 41.5, ... 51.5 hours
        rows += leg_events(f"V{i:02d}", "L", T0 + dt.timedelta(hours=i), 40.5 + i // 2)
    # A second DEPARTED reported later for V00 does not make a second leg (first one counts).
    rows.append((ORG, "V00", "V00-d2", "DEPARTED", "X", "L", T0 + dt.timedelta(hours=30)))
    # Not legs: an arrival before the departure, a departure not yet arrived, another org.
    rows += leg_events("BACK", "L", T0, -5.0)
    rows.append((ORG, "OPEN", "OPEN-d", "DEPARTED", "X", "L", T0))
    rows += [("other", *r[1:]) for r in leg_events("V99", "L", T0, 10.0)]
    # Deliveries at Y: V00 and V01 delivered 3.5 h and 30 h after they arrived there.
    for vin, hours in (("V00", 3.5), ("V01", 30.0)):
        arrived = next(r for r in rows if r[1] == vin and r[3] == "ARRIVED")[6]
        rows.append(
            (ORG, vin, f"{vin}-x", "DELIVERED", "Y", None, arrived + dt.timedelta(hours=hours))
        )
    with unit_of_work(engine) as session:
        insert_frame(session, "tracking_event", frame_of(rows))
    with unit_of_work(engine) as session:
        histogram = repository.duration_histogram(session, ORG).sort("kind", "hour")
    assert histogram.filter(pl.col("kind") == "lane").drop("kind").to_dicts() == [
        {"key": "L", "hour": 40 + k, "n": 2} for k in range(12)
    ]
    assert histogram.filter(pl.col("kind") == "delivery").drop("kind").to_dicts() == [
        {"key": "Y", "hour": 3, "n": 1},
        {"key": "Y", "hour": 30, "n": 1},
    ]
    stats = quantiles(histogram)
    # 24 legs: the 12th is in hour 45 (cum 12), the 21.6th -> 22nd in hour 50 (cum 22).
    # Two deliveries are too few to learn from.
    assert stats.rows() == [("lane", "L", 24, 45.5, 50.5)]


def test_learning_re_projects_open_etas(loaded: Engine) -> None:
    with unit_of_work(loaded) as session:
        plan_and_store(session, ORG, PlanParameters(start=dt.date(2027, 1, 4), horizon_days=60))
        plan = repository.plans_of(session, ORG, [VIN_A])
    from carexport.tracking.milestones import unpack

    legs = unpack(plan.select("vin", "milestones"))
    departed = legs.filter(pl.col("code") == "DEPARTED").row(0, named=True)
    lane = departed["lane_id"]
    leave = departed["planned_at"]
    with unit_of_work(loaded) as session:
        ingest(
            session,
            ORG,
            raw_frame(
                [
                    {
                        "vin": VIN_A,
                        "code": "DEPARTED",
                        "node": departed["node"],
                        "lane_id": lane,
                        "event_time": leave.isoformat(),
                    }
                ]
            ),
            source="test",
            now=leave,
        )
        before = session.get(VehicleStatusRow, (ORG, VIN_A))
        assert before is not None
        eta_before = before.eta
    # 30 other cars took 10 days more than planned on that lane (put straight in the log).
    planned_hours = (
        legs.filter(pl.col("lane_id") == lane, pl.col("code") == "ARRIVED")["planned_at"][0] - leave
    ).total_seconds() / 3600
    slow = planned_hours + 240
    rows = []
    for i in range(30):
        rows += leg_events(f"OTHER{i:02d}", lane, T0, slow)
    now = dt.datetime(2027, 1, 10, tzinfo=dt.UTC)
    with unit_of_work(loaded) as session:
        insert_frame(session, "tracking_event", frame_of(rows))
        stats, changed = learn_transit(session, ORG, now=now)
    assert stats.filter(pl.col("key") == lane)["median_hours"][0] == int(slow) + 0.5
    assert changed == 1
    with unit_of_work(loaded) as session:
        after = session.get(VehicleStatusRow, (ORG, VIN_A))
        assert after is not None
        moved = after.eta.replace(tzinfo=None) - eta_before.replace(tzinfo=None)
        assert moved == dt.timedelta(hours=int(slow) + 0.5 - planned_hours)
        bases = session.scalars(
            select(EtaRevisionRow.basis).where(EtaRevisionRow.vin == VIN_A)
        ).all()
        # One revision for the departure, one for the new model.
        assert sorted(b[:2] for b in bases) == ["h:", "tr"]
        assert "transit model 2027-01-10T00:00Z" in bases
    # Learning again from the same events changes nothing and adds no revision.
    with unit_of_work(loaded) as session:
        assert learn_transit(session, ORG, now=now)[1] == 0
