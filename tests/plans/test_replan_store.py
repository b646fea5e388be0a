"""Re-planning a stored plan after events, on both stores: a car that departed keeps its
leg, a car that did not can be re-routed, and the whole plan is stored as a new version.

The tiny network (tests/data/networks/tiny), two right-hand-drive cars P1 -> Thailand,
ready 2027-01-04 (a Monday, day 0), due day 20, storage 10 USD/day at P1 and the ports:
- sea: L03 truck P1 -> Shanghai 3 days (400), 2 handling days there, L06 ro-ro Fridays
  8 days (300): leaving P1 on day 0 it is ready in Shanghai on day 5 and sails on day 11,
  arrives day 19, delivered day 20 after 1 handling day: 400 + 300 + storage 20 + 60 +
  20 = 800, on time;
- rail: L01 truck to the rail terminal 1 day (50), 1 handling day (5), L04 rail Mondays
  and Thursdays 6 days (900) from day 3: delivered day 10 for 50 + 900 + 5 + 5 + 20 = 980.
Both cars go by sea in the first plan. Then car 1 departs P1 (events), and the ro-ro is
cut to 1 slot a sailing. Re-planned on day 0: car 1 keeps its truck leg (departed, by
the events) and takes the one slot on day 11; car 2 has not departed: by sea it would
wait for day 18 (delivered day 27, 7 days late at 50 USD = 350, and 70 more storage:
1,220) so rail (980) is cheaper, and it is re-routed.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from carexport.cli import app
from carexport.config import get_settings
from carexport.db.session import unit_of_work
from carexport.network.repository import load_snapshot
from carexport.network.service import load_dataset
from carexport.orders.intake import ORDER_COLUMNS, VEHICLE_COLUMNS, read_records
from carexport.orders.service import ImportOptions, import_orders
from carexport.orders.vin import with_check_digit
from carexport.planning.problem import PlanParameters
from carexport.plans import repository
from carexport.plans.service import latest_version, plan_and_store, replan, replan_and_store
from carexport.tracking.ingest import ingest, raw_frame

TINY = Path(__file__).resolve().parents[1] / "data" / "networks" / "tiny"
ORG = "replan"
START = dt.date(2027, 1, 4)
CAR_1 = with_check_digit("LC9012008VC000011")
CAR_2 = with_check_digit("LC9012008VC000012")
runner = CliRunner()


def _network(folder: Path, roro_slots: int) -> Path:
    shutil.copytree(TINY, folder, dirs_exist_ok=True)
    lanes = pl.read_csv(folder / "lanes.csv", infer_schema=False)
    lanes = lanes.with_columns(
        pl.when(pl.col("id") == "L06")
        .then(pl.lit(str(roro_slots)))
        .otherwise(pl.col("capacity_slots"))
        .alias("capacity_slots")
    )
    lanes.write_csv(folder / "lanes.csv")
    return folder


def _legs(engine: Engine, plan_id: str) -> dict[str, list[tuple[str, dt.date]]]:
    with unit_of_work(engine) as session:
        legs = repository.all_legs(session, ORG, plan_id)
    out: dict[str, list[tuple[str, dt.date]]] = {}
    for row in legs.iter_rows(named=True):
        out.setdefault(row["vin"], []).append((row["lane_id"], row["depart_date"]))
    return out


def _world(engine: Engine, tmp_path: Path) -> None:
    """The network with a wide ro-ro and the two cars' order."""
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, _network(tmp_path / "wide", 2000))
        order = {
            "order_id": "T1",
            "brand": "CHANGAN",
            "model": "CS55",
            "variant": "CS55_RHD",
            "quantity": 2,
            "origin": "CN_P1",
            "destination_country": "TH",
            "ready_date": START.isoformat(),
            "due_date": (START + dt.timedelta(days=20)).isoformat(),
        }
        report = import_orders(
            session,
            ORG,
            load_snapshot(session, ORG),
            read_records("o", [order], ORDER_COLUMNS),
            read_records(
                "v",
                [{"vin": CAR_1, "order_id": "T1"}, {"vin": CAR_2, "order_id": "T1"}],
                VEHICLE_COLUMNS,
            ),
            ImportOptions(),
            source="test",
        )
        assert report.committed and not report.errors


def _week(engine: Engine, tmp_path: Path) -> None:
    """Car 1 departs P1 on the truck (events); the ro-ro is cut to 1 slot a sailing."""
    with unit_of_work(engine) as session:
        events = [
            {
                "vin": CAR_1,
                "code": "RELEASED",
                "node": "CN_P1",
                "event_time": "2027-01-04T06:00:00Z",
            },
            {
                "vin": CAR_1,
                "code": "GATE_OUT",
                "node": "CN_P1",
                "event_time": "2027-01-04T07:00:00Z",
            },
            {
                "vin": CAR_1,
                "code": "DEPARTED",
                "node": "CN_P1",
                "lane_id": "L03",
                "event_time": "2027-01-04T08:00:00Z",
            },
            {
                "vin": CAR_2,
                "code": "RELEASED",
                "node": "CN_P1",
                "event_time": "2027-01-04T06:00:00Z",
            },
        ]
        now = dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC)
        assert ingest(session, ORG, raw_frame(events), source="test", now=now).stored == 4
        load_dataset(session, ORG, _network(tmp_path / "narrow", 1))


def test_a_departed_car_keeps_its_leg_and_one_not_departed_is_rerouted(
    engine: Engine, tmp_path: Path
) -> None:
    params = PlanParameters(start=START, horizon_days=40)
    _world(engine, tmp_path)
    with unit_of_work(engine) as session:
        first_id, _ = plan_and_store(session, ORG, params)
    first_legs = _legs(engine, first_id)
    assert [lane for lane, _ in first_legs[CAR_1]] == ["L03", "L06"]
    assert [lane for lane, _ in first_legs[CAR_2]] == ["L03", "L06"]
    truck_day = first_legs[CAR_1][0][1]
    _week(engine, tmp_path)

    with unit_of_work(engine) as session:
        second_id, second, found = replan_and_store(session, ORG, params)
        current = latest_version(session, ORG)
        assert current is not None and current.id == second_id
        summary = repository.get_version(session, ORG, second_id).summary  # type: ignore[union-attr]
    assert found.previous_plan_id == first_id
    assert summary["replan"]["fixed_legs"] == 1
    # The re-plan starts from the first plan's legs (car 2 by sea, now over the ro-ro's one
    # slot): the same plan as from a cold start.
    cold = replan(found, warm_start=False)
    assert (cold.objective_usd, cold.lp_bound_usd) == (second.objective_usd, second.lp_bound_usd)
    assert cold.legs.sort("vin", "leg").equals(second.legs.sort("vin", "leg"))
    second_legs = _legs(engine, second_id)
    # Car 1's truck leg is the first plan's, departure day and all; then the one ro-ro slot.
    assert second_legs[CAR_1][0] == ("L03", truck_day)
    assert [lane for lane, _ in second_legs[CAR_1]] == ["L03", "L06"]
    assert second_legs[CAR_1][1][1] == START + dt.timedelta(days=11)
    # Car 2 had not left: re-routed by rail, L01 on day 0..2 and L04 on Thursday day 3.
    assert [lane for lane, _ in second_legs[CAR_2]] == ["L01", "L04"]
    assert second_legs[CAR_2][1][1] == START + dt.timedelta(days=3)
    assert second.vehicles_total == 2 and second.unserved == 0 and second.late == 0
    order_row = second.orders.row(0, named=True)
    assert (order_row["vehicles"], order_row["delivered"]) == (2, 2)
    # Delivered: car 1 on day 20 (sea), car 2 on day 10 (rail): the order's ETA is day 20.
    assert order_row["eta"] == START + dt.timedelta(days=20)
    # Load lists cover both: the truck departure with car 1, the rail with car 2.
    loads = {(r["lane_id"], r["depart_date"]): r["vehicles"] for r in second.load_lists.to_dicts()}
    assert loads[("L03", truck_day)] == 1
    assert loads[("L04", START + dt.timedelta(days=3))] == 1


def test_plan_from_db_re_plans_a_stored_plan(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same week through the CLI: --fresh makes the first plan, plain --from-db
    re-plans it (and says what it fixed)."""
    monkeypatch.setenv("CAREXPORT_DATABASE_URL", database_url)
    monkeypatch.setenv("CAREXPORT_ORG_ID", ORG)
    get_settings.cache_clear()
    _world(engine, tmp_path)
    common = ["plan", "--from-db", "--start", START.isoformat(), "--horizon", "40"]
    try:
        first = runner.invoke(app, [*common, "--fresh", "--out", str(tmp_path / "p1")])
        assert first.exit_code == 0, first.output
        assert "re-planned" not in first.output
        _week(engine, tmp_path)
        second = runner.invoke(
            app, [*common, "--out", str(tmp_path / "p2")], env={"COLUMNS": "200"}
        )
    finally:
        get_settings.cache_clear()
    assert second.exit_code == 0, second.output
    assert "1 legs fixed (departed)" in second.output
    legs = pl.read_csv(tmp_path / "p2" / "legs.csv")
    lanes = {vin: legs.filter(pl.col("vin") == vin)["lane_id"].to_list() for vin in (CAR_1, CAR_2)}
    assert lanes == {CAR_1: ["L03", "L06"], CAR_2: ["L01", "L04"]}
    written = json.loads((tmp_path / "p2" / "plan.json").read_text())
    assert written["replan"]["vehicles_replanned_en_route"] == 1
