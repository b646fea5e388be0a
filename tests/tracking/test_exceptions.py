"""Exceptions from status and plan: hold, dwell, damage, sequence, late, overdue."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.planning.problem import PlanParameters
from carexport.plans.service import plan_and_store
from carexport.tracking.ingest import ingest, raw_frame
from carexport.tracking.service import exceptions
from tests.tracking.world import NOW, ORG, VIN_A, VIN_B


def kinds(engine: Engine, now: dt.datetime) -> dict[tuple[str, str], str]:
    with unit_of_work(engine) as session:
        found = exceptions(session, ORG, now=now)
    return {(vin, kind): detail for vin, kind, detail, _ in found.iter_rows()}


def test_exceptions_of_a_planned_order(loaded: Engine) -> None:
    with unit_of_work(loaded) as session:
        plan_and_store(session, ORG, PlanParameters(start=dt.date(2027, 1, 4), horizon_days=60))
    # Nothing reported yet, 16 days after the plan start: both cars are overdue at release.
    found = kinds(loaded, NOW)
    assert found[(VIN_A, "overdue")] == "RELEASED at CN_CQ_CHANGAN was planned for 2027-01-04"
    assert (VIN_B, "overdue") in found
    events = [
        {
            "vin": VIN_B,
            "code": "RELEASED",
            "node": "CN_CQ_CHANGAN",
            "event_time": "2027-01-04T08:00:00+08:00",
        },
        {
            "vin": VIN_B,
            "code": "HOLD",
            "node": "CN_CQ_CHANGAN",
            "event_time": "2027-01-04T09:00:00+08:00",
        },
        {
            "vin": VIN_B,
            "code": "DAMAGE_REPORTED",
            "node": "CN_CQ_CHANGAN",
            "event_time": "2027-01-04T10:00:00+08:00",
        },
        # VIN_A leaves the plant 40 days after release is due: its ETA passes the due date.
        {
            "vin": VIN_A,
            "code": "RELEASED",
            "node": "CN_CQ_CHANGAN",
            "event_time": "2027-02-13T00:00:00Z",
        },
        # ... and departs from a node it never reached: accepted, flagged.
        {
            "vin": VIN_A,
            "code": "DEPARTED",
            "node": "CN_CQ_YUZUI",
            "event_time": "2027-02-14T00:00:00Z",
        },
    ]
    later = dt.datetime(2027, 2, 20, tzinfo=dt.UTC)
    with unit_of_work(loaded) as session:
        ingest(session, ORG, raw_frame(events), source="test", now=later)
    found = kinds(loaded, later)
    assert found[(VIN_B, "hold")] == "on hold at CN_CQ_CHANGAN"
    assert found[(VIN_B, "damage")] == "damage reported"
    assert (VIN_B, "dwell") not in found  # a held car is reported as held, not dwelling
    assert found[(VIN_A, "sequence")] == "1 event(s) out of possible order"
    assert (VIN_A, "late") in found and "after the due date 2027-02-01" in found[(VIN_A, "late")]
    # VIN_A was released: its overdue milestone is now a later one, not the release.
    assert not found[(VIN_A, "overdue")].startswith("RELEASED")
    # The hold is lifted on 2027-01-05 00:00 UTC and nothing moves: 46 days at the plant.
    release = {
        "vin": VIN_B,
        "code": "HOLD_RELEASED",
        "node": "CN_CQ_CHANGAN",
        "event_time": "2027-01-05T08:00:00+08:00",
    }
    with unit_of_work(loaded) as session:
        ingest(session, ORG, raw_frame([release]), source="test", now=later)
    found = kinds(loaded, later)
    assert (VIN_B, "hold") not in found
    assert found[(VIN_B, "dwell")] == "at CN_CQ_CHANGAN since 2027-01-05 (46 days)"
