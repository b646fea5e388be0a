"""Expected milestones from planned legs, written out by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl

from carexport.tracking.milestones import expected_milestones

D = dt.date


def test_truck_then_sea_journey() -> None:
    # V1: plant (CN) -> Yuzui (CN) by truck, Yuzui -> Qinzhou (CN) by rail,
    # Qinzhou -> Jebel Ali (AE) by sea; delivered 2027-02-01. V2 is unserved.
    legs = pl.DataFrame(
        {
            "vin": ["V1", "V1", "V1"],
            "leg": [1, 2, 3],
            "lane_id": ["T", "R", "S"],
            "from_node": ["PLANT", "YUZUI", "QINZHOU"],
            "to_node": ["YUZUI", "QINZHOU", "JEA"],
            "mode": ["road_truck", "rail", "ocean_roro"],
            "depart_date": [D(2027, 1, 5), D(2027, 1, 7), D(2027, 1, 10)],
            "arrive_date": [D(2027, 1, 6), D(2027, 1, 9), D(2027, 1, 28)],
        }
    )
    vehicles = pl.DataFrame(
        {
            "vin": ["V1", "V2"],
            "start_node": ["PLANT", "PLANT"],
            "start_date": [D(2027, 1, 4), D(2027, 1, 4)],
            "delivered_date": [D(2027, 2, 1), None],
        }
    )
    countries = {"PLANT": "CN", "YUZUI": "CN", "QINZHOU": "CN", "JEA": "AE"}
    got = expected_milestones(legs, vehicles, countries)
    expected = [
        (1, "RELEASED", "PLANT", None, D(2027, 1, 4)),
        (2, "GATE_OUT", "PLANT", None, D(2027, 1, 5)),
        (3, "DEPARTED", "PLANT", "T", D(2027, 1, 5)),
        (4, "ARRIVED", "YUZUI", "T", D(2027, 1, 6)),
        (5, "DEPARTED", "YUZUI", "R", D(2027, 1, 7)),
        (6, "ARRIVED", "QINZHOU", "R", D(2027, 1, 9)),
        (7, "EXPORT_CLEARED", "QINZHOU", None, D(2027, 1, 10)),  # the leg that leaves CN
        (8, "DEPARTED", "QINZHOU", "S", D(2027, 1, 10)),
        (9, "ARRIVED", "JEA", "S", D(2027, 1, 28)),
        (10, "DISCHARGED", "JEA", "S", D(2027, 1, 28)),
        (11, "IMPORT_CLEARED", "JEA", None, D(2027, 2, 1)),
        (12, "DELIVERED", "JEA", None, D(2027, 2, 1)),
    ]
    rows = [
        (seq, code, node, lane, at.date())
        for vin, seq, code, node, lane, at in got.iter_rows()
        if vin == "V1"
    ]
    assert rows == expected
    assert set(got["vin"]) == {"V1"}  # unserved vehicles have no expected milestones
    assert str(got.schema["planned_at"]) == "Datetime(time_unit='us', time_zone='UTC')"
