"""Two named instances whose whole plans are written out by hand.

Plan day 0 is MON 2027-01-04. Per vehicle: transport = lane costs (+ DG surcharge for
NEVs on DG lanes); storage = waiting days x storage/day at the node waited at + handling
days x storage/day at every node reached; CO2 USD = kg x price / 1000.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.planning.factory import car, lane, market, network, node, run

D = dt.date
TOL = 1e-6


def plan_rows(result) -> dict[str, list[tuple[str, dt.date, dt.date]]]:
    rows: dict[str, list[tuple[str, dt.date, dt.date]]] = {}
    for r in result.legs.sort("vin", "leg").iter_rows(named=True):
        rows.setdefault(r["vin"], []).append((r["lane_id"], r["depart_date"], r["arrive_date"]))
    return rows


def vehicle_rows(result) -> dict[str, tuple]:
    columns = ["delivered_date", "transport_usd", "storage_usd", "co2e_kg", "co2_usd"]
    columns += ["lateness_usd", "unserved_usd"]
    return {r[0]: tuple(r[1:]) for r in result.vehicles.select("vin", *columns).iter_rows()}


def check(result, *, legs, vehicles, parts, co2e_kg, counts, loads, orders) -> None:
    assert result.status == "Optimal"
    assert plan_rows(result) == legs
    got = vehicle_rows(result)
    assert got.keys() == vehicles.keys()
    for vin, expected in vehicles.items():
        assert got[vin][0] == expected[0], vin
        assert got[vin][1:] == pytest.approx(expected[1:], abs=TOL), vin
    assert result.parts_usd == pytest.approx(parts, abs=TOL)
    total = sum(parts.values())
    assert result.objective_usd == pytest.approx(total, abs=TOL)
    assert result.lp_bound_usd == pytest.approx(total, abs=TOL)  # the LP is integral
    assert result.co2e_kg == pytest.approx(co2e_kg, abs=TOL)
    assert (result.on_time, result.late, result.unserved) == counts
    load = result.load_lists.select("lane_id", "depart_date", "vehicles", "slots").rows()
    assert load == loads
    got_orders = {
        r[0]: r[1:]
        for r in result.orders.select(
            "order_id", "vehicles", "delivered", "eta", "days_late", "cost_usd"
        ).iter_rows()
    }
    assert got_orders.keys() == orders.keys()
    for order_id, expected_order in orders.items():
        assert got_orders[order_id][:-1] == expected_order[:-1], order_id
        assert got_orders[order_id][-1] == pytest.approx(expected_order[-1], abs=TOL), order_id


def test_chongqing_to_gulf() -> None:
    # TJC (rail terminal; storage 3/day) -> QINZHOU (seaport; 2 handling days, 4/day)
    # -> JEBEL_ALI (AE; 2 handling days, 8/day).
    # RAIL  TJC->QZ daily, 3 d, 250 USD, 60 kg.   ROAD TJC->QZ daily, 2 d, 450 USD, 150 kg.
    # RORO  QZ->JEA FRI (days 4, 11, ...), 18 d, 900 USD (+60 for NEVs, DG), 400 kg, 2 slots.
    # CO2 at 20 USD/t; lateness 50/day (priority 1: 150/day).
    # O_AE_NEV: 2 BEVs due day 25, priority 1. O_AE_ICE: 1 ICE car due day 26, priority 3.
    #
    # ROAD d0 -> QZ d2 (+2) = 4 -> RORO d4 -> JEA d22 (+2) = delivered day 24.
    #   NEV: 450 + 900 + 60 = 1410; storage 2x4 + 2x8 = 24; 550 kg = 11 USD -> 1445.
    #   ICE: 1350 + 24 + 11 = 1385, on time.
    # RAIL misses day 4 (QZ ready day 5), so it catches RORO d11: leave TJC as late as
    # day 6 (wait at 3/day rather than 4/day at QZ): RAIL d6 -> QZ d9 (+2) = 11 -> RORO d11
    # -> JEA d29 (+2) = day 31. Storage 6x3 + 8 + 16 = 42; 460 kg = 9.2 USD.
    #   NEV: 1210 + 42 + 9.2 + 6 days x 150 = 2161.2 (716.2 more than the road).
    #   ICE: 1150 + 42 + 9.2 + 5 days x 50 = 1451.2 (66.2 more than the road).
    # RORO d4 has 2 slots: both NEVs take it, the ICE car goes by rail.
    # Objective 2 x 1445 + 1451.2 = 4341.2:
    #   transport 2 x 1410 + 1150 = 3970; storage 2 x 24 + 42 = 90;
    #   CO2 2 x 11 + 9.2 = 31.2 (2 x 550 + 460 = 1560 kg); lateness 250.
    net = network(
        [
            node("CN_CQ_TJC", kind="rail_terminal", handling=1, storage=3),
            node("CN_QINZHOU", kind="seaport", handling=2, storage=4),
            node("AE_JEBEL_ALI", country="AE", kind="seaport", handling=2, storage=8),
        ],
        [
            lane("L_CQ_QZ_RAIL", "CN_CQ_TJC", "CN_QINZHOU", transit=3, cost=250, co2=60),
            lane(
                "L_CQ_QZ_ROAD",
                "CN_CQ_TJC",
                "CN_QINZHOU",
                transit=2,
                cost=450,
                co2=150,
                capacity=20,
                mode="road_truck",
            ),
            lane(
                "L_QZ_JEA_RORO",
                "CN_QINZHOU",
                "AE_JEBEL_ALI",
                transit=18,
                cost=900,
                co2=400,
                capacity=2,
                departures="weekly:FRI",
                mode="ocean_roro",
                dg_usd=60,
            ),
        ],
        [market("AE", "AE_JEBEL_ALI")],
    )
    common = {"start": "CN_CQ_TJC", "to": "AE"}
    cars = [
        car("LDP95C961RE000001", variant="NEV", due=25, priority=1, order="O_AE_NEV", **common),
        car("LDP95C961RE000002", variant="NEV", due=25, priority=1, order="O_AE_NEV", **common),
        car("LS5A3DKE0RA000003", variant="ICE", due=26, priority=3, order="O_AE_ICE", **common),
    ]
    result = run(net, cars, horizon_days=60, co2_price_usd_per_t=20.0)
    road, rail, roro = "L_CQ_QZ_ROAD", "L_CQ_QZ_RAIL", "L_QZ_JEA_RORO"
    by_road = [(road, D(2027, 1, 4), D(2027, 1, 6)), (roro, D(2027, 1, 8), D(2027, 1, 26))]
    check(
        result,
        legs={
            "LDP95C961RE000001": by_road,
            "LDP95C961RE000002": by_road,
            "LS5A3DKE0RA000003": [
                (rail, D(2027, 1, 10), D(2027, 1, 13)),
                (roro, D(2027, 1, 15), D(2027, 2, 2)),
            ],
        },
        vehicles={
            "LDP95C961RE000001": (D(2027, 1, 28), 1410.0, 24.0, 550.0, 11.0, 0.0, 0.0),
            "LDP95C961RE000002": (D(2027, 1, 28), 1410.0, 24.0, 550.0, 11.0, 0.0, 0.0),
            "LS5A3DKE0RA000003": (D(2027, 2, 4), 1150.0, 42.0, 460.0, 9.2, 250.0, 0.0),
        },
        parts={
            "transport_usd": 3970.0,
            "storage_usd": 90.0,
            "lateness_usd": 250.0,
            "co2_usd": 31.2,
            "unserved_usd": 0.0,
        },
        co2e_kg=1560.0,
        counts=(2, 1, 0),
        loads=[
            (road, D(2027, 1, 4), 2, 2.0),
            (roro, D(2027, 1, 8), 2, 2.0),
            (rail, D(2027, 1, 10), 1, 1.0),
            (roro, D(2027, 1, 15), 1, 1.0),
        ],
        orders={
            "O_AE_ICE": (1, 1, D(2027, 2, 4), 5, 1451.2),
            "O_AE_NEV": (2, 2, D(2027, 1, 28), 0, 2890.0),
        },
    )
    # The ICE car's fastest route was the road and the day-4 sailing, which is full.
    why = result.orders.filter(order_id="O_AE_ICE")["explanation"].item()
    assert why.startswith("departures full on its fastest route: L_QZ_JEA_RORO on 2027-01-08")
    assert result.orders.filter(order_id="O_AE_NEV")["explanation"].item() == ""


def test_laos_rail_vs_truck() -> None:
    # KUNMING (storage 4/day) -> VIENTIANE (LA; 1 handling day, 5/day).
    # RAIL  China-Laos railway, TUE,FRI (days 1, 4, 8, ...), 2 d, 400 USD, 80 kg, 2 slots,
    #       containers: NEVs as dangerous goods +50.
    # TRUCK daily, 4 d, 600 USD, 300 kg. CO2 at 100 USD/t (rail 8, truck 30).
    # Lateness 120/day: priority 1 x3 = 360, priority 3 = 120.
    # O_LA_DEALER: 2 sedans, ready day 0, due day 4, priority 1.
    # O_LA_FLEET:  1 sedan,  ready day 0, due day 4, priority 3.
    # O_LA_EV:     1 BEV,    ready day 2, due day 9, priority 3.
    # Sedan options: RAIL d1: 1 day wait (4) + 400 + 8 + 5 = 417, delivered 1+2+1 = 4.
    #   TRUCK d0: 600 + 30 + 5 = 635, delivered 5 (1 day late).
    #   RAIL d4: 4 days wait (16) + 413 = 429, delivered 7 (3 days late).
    # Three sedans, two slots on d1. The loser is the fleet car (120/day):
    #   TRUCK 635 + 120 = 755 < RAIL d4 429 + 360 = 789 (a dealer car would pay more).
    # EV: RAIL d4: 2 days wait (8) + 400 + 50 + 8 + 5 = 471, delivered 7, on time
    #   (TRUCK d2 would be 635).
    # Objective 2 x 417 + 755 + 471 = 2060: transport 400+400+600+450 = 1850;
    #   storage 9+9+5+13 = 36; CO2 8+8+30+8 = 54 (540 kg); lateness 120.
    net = network(
        [
            node("CN_KUNMING", kind="rail_terminal", storage=4),
            node("LA_VIENTIANE", country="LA", kind="rail_terminal", handling=1, storage=5),
        ],
        [
            lane(
                "L_KM_VTE_RAIL",
                "CN_KUNMING",
                "LA_VIENTIANE",
                transit=2,
                cost=400,
                co2=80,
                capacity=2,
                departures="weekly:TUE,FRI",
                mode="rail_container",
                dg_usd=50,
            ),
            lane(
                "L_KM_VTE_TRUCK",
                "CN_KUNMING",
                "LA_VIENTIANE",
                transit=4,
                cost=600,
                co2=300,
                capacity=8,
                mode="road_truck",
            ),
        ],
        [market("LA", "LA_VIENTIANE")],
    )
    common = {"start": "CN_KUNMING", "to": "LA"}
    cars = [
        car("LA_D1", due=4, priority=1, order="O_LA_DEALER", **common),
        car("LA_D2", due=4, priority=1, order="O_LA_DEALER", **common),
        car("LA_F1", due=4, priority=3, order="O_LA_FLEET", **common),
        car("LA_E1", variant="NEV", ready=2, due=9, priority=3, order="O_LA_EV", **common),
    ]
    result = run(
        net, cars, horizon_days=30, co2_price_usd_per_t=100.0, lateness_usd_per_vehicle_day=120.0
    )
    rail, truck = "L_KM_VTE_RAIL", "L_KM_VTE_TRUCK"
    check(
        result,
        legs={
            "LA_D1": [(rail, D(2027, 1, 5), D(2027, 1, 7))],
            "LA_D2": [(rail, D(2027, 1, 5), D(2027, 1, 7))],
            "LA_E1": [(rail, D(2027, 1, 8), D(2027, 1, 10))],
            "LA_F1": [(truck, D(2027, 1, 4), D(2027, 1, 8))],
        },
        vehicles={
            "LA_D1": (D(2027, 1, 8), 400.0, 9.0, 80.0, 8.0, 0.0, 0.0),
            "LA_D2": (D(2027, 1, 8), 400.0, 9.0, 80.0, 8.0, 0.0, 0.0),
            "LA_F1": (D(2027, 1, 9), 600.0, 5.0, 300.0, 30.0, 120.0, 0.0),
            "LA_E1": (D(2027, 1, 11), 450.0, 13.0, 80.0, 8.0, 0.0, 0.0),
        },
        parts={
            "transport_usd": 1850.0,
            "storage_usd": 36.0,
            "lateness_usd": 120.0,
            "co2_usd": 54.0,
            "unserved_usd": 0.0,
        },
        co2e_kg=540.0,
        counts=(3, 1, 0),
        loads=[
            (truck, D(2027, 1, 4), 1, 1.0),
            (rail, D(2027, 1, 5), 2, 2.0),
            (rail, D(2027, 1, 8), 1, 1.0),
        ],
        orders={
            "O_LA_DEALER": (2, 2, D(2027, 1, 8), 0, 834.0),
            "O_LA_EV": (1, 1, D(2027, 1, 11), 0, 471.0),
            "O_LA_FLEET": (1, 1, D(2027, 1, 9), 1, 755.0),
        },
    )
    why = result.orders.filter(order_id="O_LA_FLEET")["explanation"].item()
    assert why.startswith("departures full on its fastest route: L_KM_VTE_RAIL on 2027-01-05")
