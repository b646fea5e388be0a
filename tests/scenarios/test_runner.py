"""Scenario runs on the built-in network: Red Sea closed against an open one checked by
hand, the built-in library runs, and perturbations do what their spec says."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from carexport.network.dataset import builtin_folder, read_dataset
from carexport.network.snapshot import NetworkSnapshot
from carexport.planning.problem import VEHICLE_COLUMNS, PlanParameters
from carexport.scenarios import spec as spec_module
from carexport.scenarios.perturb import Window, apply_network, apply_vehicles, sample_transits
from carexport.scenarios.runner import compare, inputs_of, jobs_for, run_job
from carexport.scenarios.spec import parse_specs

START = dt.date(2025, 6, 2)  # a Monday: the Southampton services sail on Mondays


@pytest.fixture(scope="module")
def snapshot() -> NetworkSnapshot:
    return read_dataset(builtin_folder()).snapshot()


def book(rows: list[tuple[str, str, str, str, int]]) -> pl.DataFrame:
    """Vehicles: (order_id, variant, start node, market, how many), ready at START, due in 120 days."""
    records = [
        {
            "order_id": order,
            "vin": f"{order}#{i:04d}",
            "variant_id": variant,
            "start_node": node,
            "start_date": START,
            "destination_country": market,
            "due_date": START + dt.timedelta(days=120),
            "priority": 3,
        }
        for order, variant, node, market, n in rows
        for i in range(1, n + 1)
    ]
    return pl.DataFrame(records, schema=VEHICLE_COLUMNS)


def test_red_sea_closed_moves_uk_lead_time_by_the_capes_difference(
    snapshot: NetworkSnapshot,
) -> None:
    vehicles = book([("UK1", "DEEPAL_S07_BEV_RHD", "CN_CQ_CHANGAN", "GB", 10)])
    specs, _ = spec_module.load("red_sea_closed")
    inputs = inputs_of(snapshot, vehicles, PlanParameters(start=START, horizon_days=120))
    results = [run_job(inputs, job) for job in jobs_for(specs, 1, 0)]
    summary = compare(specs, results)["red_sea_closed"]
    # By hand, from lanes.csv: Southampton via Suez L_HAITONG_SOU_RORO_SUEZ 19,300 km, 32 days,
    # 2,000 USD; via the Cape L_HAITONG_SOU_RORO_CAPE 25,400 km, 42 days, 2,540 USD; both sail
    # on Mondays from Haitong, so the car leaves on the same day either way and arrives
    # 42 - 32 = 10 days later. Ro-ro CO2e is 50 g per vehicle-km (co2_factors.csv):
    # (25,400 - 19,300) km x 50 g = 305 kg a car. Cost: 540 USD a car more freight, nothing
    # else changes (due dates are 120 days out: no lateness either way).
    lead = summary["lead_days_by_market"]["GB"]
    assert lead["change"]["mean"] == 10.0
    assert lead["scenario"]["mean"] - lead["baseline"]["mean"] == 10.0
    assert summary["co2e_kg"]["change"]["mean"] == pytest.approx(10 * 305.0, abs=0.2)
    assert summary["cost_usd"]["change"]["mean"] == pytest.approx(10 * 540.0, abs=0.01)
    assert summary["late"]["change"]["mean"] == 0 and summary["unserved"]["change"]["mean"] == 0


def test_the_five_builtin_scenarios_run(snapshot: NetworkSnapshot) -> None:
    assert spec_module.builtin_names() == [
        "alashankou_congestion_14d",
        "eu_demand_minus_30",
        "qinzhou_jebel_ali_cancelled",
        "red_sea_closed",
        "thailand_rhd_surge_50",
    ]
    vehicles = book(
        [
            ("DE1", "DEEPAL_S07_BEV_LHD", "CN_CQ_CHANGAN", "DE", 10),
            ("TH1", "DEEPAL_S07_BEV_RHD", "CN_CQ_CHANGAN", "TH", 10),
            ("AE1", "DEEPAL_S07_BEV_LHD", "CN_CQ_CHANGAN", "AE", 10),
            ("GB1", "DEEPAL_S07_BEV_RHD", "CN_CQ_CHANGAN", "GB", 4),
        ]
    )
    specs, _ = spec_module.load("all")
    params = PlanParameters(start=dt.date(2025, 4, 7), horizon_days=120)
    inputs = inputs_of(snapshot, vehicles, params)
    results = [run_job(inputs, job) for job in jobs_for(specs, 1, 0)]
    summary = compare(specs, results)
    assert set(summary) == set(spec_module.builtin_names())
    # Demand changes count vehicles: 10 German cars less 30% = 7; 10 Thai RHD cars + 50% = 15.
    eu = summary["eu_demand_minus_30"]
    assert eu["cost_usd"]["change"]["mean"] < 0
    th_runs = {r["scenario"]: r["vehicles"] for r in results}
    assert th_runs["eu_demand_minus_30"] == 34 - 3
    assert th_runs["thailand_rhd_surge_50"] == 34 + 5
    for name in ("alashankou_congestion_14d", "qinzhou_jebel_ali_cancelled"):
        assert summary[name]["cost_usd"]["change"]["mean"] >= 0, name


def test_border_delay_and_cancelled_sailing_change_only_their_lanes(
    snapshot: NetworkSnapshot,
) -> None:
    window = Window(START, START + dt.timedelta(days=120))
    (spec,) = parse_specs(
        "name: t\ntitle: t\nsource: test\nchanges:\n"
        "  - {kind: border_delay, node: CN_ALASHANKOU, days: 14}\n"
        "  - {kind: cancel_departures, lane: L_QINZHOU_JEA_RORO, first: 1}\n",
        "t.yaml",
    )
    changed = apply_network(snapshot, spec.changes, window)
    for lane_id in ("L_TJC_DUISBURG_RAIL", "L_TJC_MALASZ_RAIL"):  # via Alashankou
        assert changed.lanes[lane_id].transit_days == snapshot.lanes[lane_id].transit_days + 14
    assert changed.lanes["L_YUZUI_ALMATY_RAIL"] == snapshot.lanes["L_YUZUI_ALMATY_RAIL"]  # Horgos
    before = snapshot.lanes["L_QINZHOU_JEA_RORO"].departures_between(window.first, window.last)
    after = changed.lanes["L_QINZHOU_JEA_RORO"].departures_between(window.first, window.last)
    assert after == before[1:]


def test_a_window_splits_a_lane_into_its_departures_inside_and_outside(
    snapshot: NetworkSnapshot,
) -> None:
    window = Window(START, START + dt.timedelta(days=60))
    (spec,) = parse_specs(
        "name: t\ntitle: t\nsource: test\nchanges:\n"
        "  - {kind: capacity_cut, lanes: [L_HAITONG_ZEE_RORO_CAPE], pct: 50,"
        " start: 2025-06-10, end: 2025-06-30}\n",
        "t.yaml",
    )
    changed = apply_network(snapshot, spec.changes, window)
    inside = changed.lanes["L_HAITONG_ZEE_RORO_CAPE~cut"]
    outside = changed.lanes["L_HAITONG_ZEE_RORO_CAPE"]
    # TUE and SAT sailings between 10 and 30 June 2025: 10, 14, 17, 21, 24, 28 June.
    assert [d.day for d in inside.departures_between(window.first, window.last)] == [
        10,
        14,
        17,
        21,
        24,
        28,
    ]
    assert inside.capacity_slots == 1000 and outside.capacity_slots == 2000
    assert not {10, 14, 17, 21, 24, 28} & {
        d.day for d in outside.departures_between(window.first, window.last) if d.month == 6
    }


def test_demand_changes_round_per_order(snapshot: NetworkSnapshot) -> None:
    vehicles = book(
        [
            ("A", "DEEPAL_S07_BEV_LHD", "CN_CQ_CHANGAN", "DE", 3),
            ("B", "DEEPAL_S07_BEV_LHD", "CN_CQ_CHANGAN", "AE", 3),
        ]
    )
    (spec,) = parse_specs(
        "name: t\ntitle: t\nsource: test\nchanges:\n  - {kind: demand, regions: [europe], change_pct: 100}\n",
        "t.yaml",
    )
    doubled = apply_vehicles(snapshot, vehicles, spec.changes)
    assert doubled.filter(pl.col("order_id") == "A")["vin"].to_list() == [
        "A#0001",
        "A#0002",
        "A#0003",
        "A#S0001",
        "A#S0002",
        "A#S0003",
    ]
    assert doubled.filter(pl.col("order_id") == "B").height == 3


def test_transit_draws_depend_only_on_seed_and_sample(snapshot: NetworkSnapshot) -> None:
    one = sample_transits(snapshot, {}, 7, 3)
    again = sample_transits(snapshot, {}, 7, 3)
    other = sample_transits(snapshot, {}, 7, 4)
    days = lambda s: [s.lanes[k].transit_days for k in sorted(s.lanes)]  # noqa: E731
    assert days(one) == days(again) != days(other)
    for lane_id, lane in one.lanes.items():
        base = snapshot.lanes[lane_id]
        assert (
            (base.transit_days_min or base.transit_days)
            <= lane.transit_days
            <= (base.transit_days_max or base.transit_days)
        )
    # A learned lane: median 10 days and p90 20 days in hours; over many draws about 90% fall
    # at or under 20 days (the lognormal through both points).
    draws = [
        sample_transits(snapshot, {"L_HAITONG_JEA_RORO": (240.0, 480.0)}, 1, i)
        .lanes["L_HAITONG_JEA_RORO"]
        .transit_days
        for i in range(400)
    ]
    share = sum(d <= 20 for d in draws) / len(draws)
    assert 0.85 <= share <= 0.95
