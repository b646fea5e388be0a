"""plans.replan.split: which legs of last week's plan stay, and where each vehicle is
re-planned from. Each expectation is read off the rules in the module's docstring."""

from __future__ import annotations

import datetime as dt

import polars as pl

from carexport.plans.replan import split
from carexport.plans.repository import LEG_SCHEMA
from tests.planning.factory import car, day, lane, market, network, node, vehicles

NET = network(
    [
        node("A"),
        node("H", kind="seaport", handling=2),
        node("B", country="TH", kind="seaport", handling=1),
    ],
    [lane("AH", "A", "H", transit=3), lane("HB", "H", "B", transit=8)],
    [market("TH", "B")],
)
STATUS = {
    "vin": pl.String,
    "status": pl.String,
    "location": pl.String,
    "delivered_at": pl.Datetime("us", "UTC"),
}


def two_legs(vin: str, first: int) -> list[dict[str, object]]:
    """AH departing on day `first` (3 days), then HB on first + 7 (8 days)."""
    return [
        {
            "order_id": f"O_{vin}",
            "vin": vin,
            "leg": 1,
            "lane_id": "AH",
            "from_node": "A",
            "to_node": "H",
            "mode": "rail",
            "depart_date": day(first),
            "arrive_date": day(first + 3),
        },
        {
            "order_id": f"O_{vin}",
            "vin": vin,
            "leg": 2,
            "lane_id": "HB",
            "from_node": "H",
            "to_node": "B",
            "mode": "rail",
            "depart_date": day(first + 7),
            "arrive_date": day(first + 15),
        },
    ]


def run_split(statuses: list[dict[str, object]], start: int):
    cars = [car(v, due=30) for v in ("EARLY", "MOVING", "WAITING", "THERE", "NEW")]
    legs = pl.DataFrame(
        two_legs("EARLY", 0)
        + two_legs("MOVING", 7)
        + two_legs("WAITING", 7)
        + two_legs("THERE", 0),
        schema=LEG_SCHEMA,
    )
    return split(vehicles(cars), legs, pl.DataFrame(statuses, schema=STATUS), day(start), NET)


def test_departed_by_date_or_by_event_stays_the_rest_is_replanned() -> None:
    found = run_split(
        [
            # MOVING left A on day 7's AH, though the re-plan starts on day 7 itself.
            {"vin": "MOVING", "status": "in_transit", "location": "A", "delivered_at": None},
            # WAITING is loaded at A but has not left: nothing of it is fixed.
            {"vin": "WAITING", "status": "loaded", "location": "A", "delivered_at": None},
            {
                "vin": "THERE",
                "status": "delivered",
                "location": "B",
                "delivered_at": dt.datetime(2027, 1, 19, 9, tzinfo=dt.UTC),
            },
        ],
        start=7,
    )
    fixed = {(r["vin"], r["leg"]) for r in found.fixed_legs.iter_rows(named=True)}
    # EARLY: AH day 0 < day 7 fixed by date; its HB on day 7 is not before the start.
    # MOVING: AH on day 7 fixed by its in_transit status. THERE: delivered, all legs.
    assert fixed == {("EARLY", 1), ("MOVING", 1), ("THERE", 1), ("THERE", 2)}
    starts = {r["vin"]: (r["start_node"], r["start_date"]) for r in found.vehicles.to_dicts()}
    # EARLY reaches H on day 3, handled 2 days: ready there on day 5. MOVING: 10 + 2 = 12.
    assert starts == {
        "EARLY": ("H", day(5)),
        "MOVING": ("H", day(12)),
        "WAITING": ("A", day(0)),
        "NEW": ("A", day(0)),
    }
    assert found.done["vin"].to_list() == ["THERE"]
    assert found.done["delivered_date"].to_list() == [dt.date(2027, 1, 19)]
    # Fixed legs from the start on hold their slots: MOVING's AH and THERE's HB on day 7
    # (EARLY's and THERE's AH on day 0 are past).
    assert found.reserved.to_dicts() == [
        {"lane_id": "AH", "depart_date": day(7), "slots": 1.0},
        {"lane_id": "HB", "depart_date": day(7), "slots": 1.0},
    ]
    # The solver starts from last week's legs still to go, of the vehicles re-planned.
    assert sorted(map(tuple, found.warm_legs.select("vin", "lane_id").rows())) == [
        ("EARLY", "HB"),
        ("MOVING", "HB"),
        ("WAITING", "AH"),
        ("WAITING", "HB"),
    ]
    assert found.summary() == {
        "fixed_legs": 4,
        "vehicles_done": 1,
        "vehicles_replanned_en_route": 2,
        "vehicles_replanned": 4,
    }


def test_arrived_at_the_middle_node_fixes_the_leg_that_brought_it() -> None:
    found = run_split(
        [{"vin": "WAITING", "status": "at_node", "location": "H", "delivered_at": None}], start=0
    )
    assert found.fixed_legs.select("vin", "leg").rows() == [("WAITING", 1)]
    row = found.vehicles.filter(pl.col("vin") == "WAITING").row(0, named=True)
    assert (row["start_node"], row["start_date"]) == ("H", day(12))  # 7 + 3 + 2


def test_a_fixed_last_leg_delivers_the_vehicle() -> None:
    # Re-planning on day 20: every leg of the four planned cars departed before it.
    found = run_split([], start=20)
    done = {r["vin"]: r for r in found.done.iter_rows(named=True)}
    assert set(done) == {"EARLY", "MOVING", "WAITING", "THERE"}
    # EARLY's HB arrives on day 15, handled 1 day at B: delivered day 16, due 30.
    assert (done["EARLY"]["delivered_date"], done["EARLY"]["days_late"]) == (day(16), 0)
    assert done["MOVING"]["delivered_date"] == day(23)  # 14 + 8 + 1
    assert found.vehicles["vin"].to_list() == ["NEW"]
    assert found.reserved.is_empty()
