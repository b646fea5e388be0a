"""ETA = the plan's delivery shifted by the delay observed at the last milestone; every
change of ETA is kept as a revision."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from carexport.db.session import unit_of_work
from carexport.planning.problem import PlanParameters
from carexport.plans.service import plan_and_store
from carexport.tracking.ingest import ingest, raw_frame
from carexport.tracking.tables import EtaRevisionRow, ExpectedMilestoneRow, VehicleStatusRow
from tests.tracking.world import NOW, ORG, VIN_A


def test_eta_follows_the_observed_delay(loaded: Engine) -> None:
    with unit_of_work(loaded) as session:
        plan_id, _ = plan_and_store(
            session, ORG, PlanParameters(start=dt.date(2027, 1, 4), horizon_days=60)
        )
    with unit_of_work(loaded) as session:
        planned = dict(
            session.execute(
                select(ExpectedMilestoneRow.code, func.min(ExpectedMilestoneRow.planned_at))
                .where(ExpectedMilestoneRow.plan_id == plan_id, ExpectedMilestoneRow.vin == VIN_A)
                .group_by(ExpectedMilestoneRow.code)
            ).all()
        )
    gate_out = planned["GATE_OUT"].replace(tzinfo=dt.UTC)
    delivery = planned["DELIVERED"].replace(tzinfo=dt.UTC)
    late_gate_out = gate_out + dt.timedelta(hours=48)
    event = {
        "vin": VIN_A,
        "code": "GATE_OUT",
        "node": "CN_CQ_CHANGAN",
        "event_time": late_gate_out.isoformat(),
    }
    for _ in range(2):  # a replay must not add a revision
        with unit_of_work(loaded) as session:
            ingest(session, ORG, raw_frame([event]), source="test", now=NOW)
    with unit_of_work(loaded) as session:
        row = session.get(VehicleStatusRow, (ORG, VIN_A))
        assert row is not None
        assert row.plan_id == plan_id
        assert row.delay_hours == 48.0
        assert row.eta.replace(tzinfo=dt.UTC) == delivery + dt.timedelta(hours=48)
        # The order is due 2027-02-01 (see the fixture).
        expected_late = max(
            0, ((delivery + dt.timedelta(hours=48)).date() - dt.date(2027, 2, 1)).days
        )
        assert row.days_late == expected_late
        assert row.due_date == dt.date(2027, 2, 1)
        revisions = session.scalar(select(func.count()).select_from(EtaRevisionRow))
        assert revisions == 1


def test_vehicle_detail_and_list(loaded: Engine, database_url: str) -> None:
    from tests.clients import client_for

    with unit_of_work(loaded) as session:
        plan_and_store(session, ORG, PlanParameters(start=dt.date(2027, 1, 4), horizon_days=60))
    release = {
        "vin": VIN_A,
        "code": "RELEASED",
        "node": "CN_CQ_CHANGAN",
        "event_time": "2027-01-04T00:00:00Z",
    }
    with unit_of_work(loaded) as session:
        ingest(session, ORG, raw_frame([release]), source="test", now=NOW)
    with client_for(database_url, ORG) as client:
        detail = client.get(f"/vehicles/{VIN_A}").json()
        assert detail["status"] == "at_plant"
        first, second = detail["itinerary"][:2]
        assert (first["code"], first["node"], first["actual_at"]) == (
            "RELEASED",
            "CN_CQ_CHANGAN",
            "2027-01-04T00:00:00Z",
        )
        assert second["code"] == "GATE_OUT" and second["actual_at"] is None
        assert detail["next_milestone"] == second
        assert detail["itinerary"][-1]["code"] == "DELIVERED"
        page = client.get("/vehicles", params={"market": "vn", "status": "at_plant"}).json()
        assert (page["total"], [v["vin"] for v in page["items"]]) == (1, [VIN_A])
        assert client.get("/vehicles", params={"market": "th"}).json()["total"] == 0
        assert client.get("/vehicles", params={"late": True}).json()["total"] == 0
