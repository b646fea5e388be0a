"""FVL KPIs on two hand-written journeys, every figure worked out in comments."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from carexport.kpi.fvl import fvl_kpis

UTC = dt.UTC


def t(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2027, 1, day, hour, tzinfo=UTC)


# V1: released day 1 00:00, gate out day 1 12:00 (12 h), at port day 2 12:00 (1 day),
# export cleared there, departs day 4 12:00 (dwell 2 days), arrives at destination port
# day 14 12:00 (shipping 10 days), delivered day 16 12:00 (dealer 2 days); due day 15: late.
# V2: released day 2 00:00, gate out day 3 00:00 (24 h), at port day 3 12:00 (0.5 day),
# no clearance reported: the first seaport is the port of exit; departs day 4 12:00
# (dwell 1 day), arrives day 12 12:00 (8 days), delivered day 13 00:00 (12 h = 0.5 day);
# due day 15.
# V2 is damaged. V1's GATE_OUT was reported 30 h late.
EVENTS = [
    ("V1", "RELEASED", "PLANT", None, t(1), t(1, 1)),
    ("V1", "GATE_OUT", "PLANT", None, t(1, 12), t(2, 18)),
    ("V1", "ARRIVED", "PORT", "TRUCK", t(2, 12), t(2, 13)),
    ("V1", "EXPORT_CLEARED", "PORT", None, t(3), t(3, 1)),
    ("V1", "DEPARTED", "PORT", "SHIP", t(4, 12), t(4, 13)),
    ("V1", "ARRIVED", "DEST", "SHIP", t(14, 12), t(14, 13)),
    ("V1", "DELIVERED", "DEALER", None, t(16, 12), t(16, 13)),
    ("V2", "RELEASED", "PLANT", None, t(2), t(2, 1)),
    ("V2", "GATE_OUT", "PLANT", None, t(3), t(3, 1)),
    ("V2", "ARRIVED", "PORT", "TRUCK", t(3, 12), t(3, 13)),
    ("V2", "DEPARTED", "PORT", "SHIP", t(4, 12), t(4, 13)),
    ("V2", "ARRIVED", "DEST", "SHIP", t(12, 12), t(12, 13)),
    ("V2", "DAMAGE_REPORTED", "DEST", None, t(12, 13), t(12, 14)),
    ("V2", "DELIVERED", "DEALER", None, t(13), t(13, 1)),
]
NODE_KIND = {"PLANT": "plant", "PORT": "seaport", "DEST": "seaport", "DEALER": "dealer"}
LANE_MODE = {"TRUCK": "road_truck", "SHIP": "ocean_roro"}


def frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    events = pl.DataFrame(
        EVENTS,
        orient="row",
        schema={
            "vin": pl.String,
            "code": pl.String,
            "node": pl.String,
            "lane_id": pl.String,
            "event_time": pl.Datetime("us", "UTC"),
            "reported_time": pl.Datetime("us", "UTC"),
        },
    )
    # V1 also expected an IMPORT_CLEARED at DEST (day 15) that was never reported.
    expected = events.select("vin", "code", "node", pl.col("event_time").alias("planned_at"))
    expected = pl.concat(
        [
            expected,
            pl.DataFrame(
                [("V1", "IMPORT_CLEARED", "DEST", t(15))], orient="row", schema=expected.schema
            ),
        ]
    )
    dims = pl.DataFrame(
        {
            "vin": ["V1", "V2"],
            "brand": ["CHANGAN", "AVATR"],
            "market": ["SA", "SA"],
            "due_date": [dt.date(2027, 1, 15)] * 2,
        }
    )
    return events, expected, dims


def test_fleet_figures() -> None:
    events, expected, dims = frames()
    row = fvl_kpis(events, expected, dims, NODE_KIND, LANE_MODE, as_of=t(20)).row(0, named=True)
    assert row["vehicles_tracked"] == 2
    assert row["plant_evacuation_h"] == pytest.approx((12 + 24) / 2)
    assert row["time_to_port_d"] == pytest.approx((1 + 0.5) / 2)
    assert row["port_dwell_d"] == pytest.approx((2 + 1) / 2)
    assert row["shipping_lead_time_d"] == pytest.approx((10 + 8) / 2)
    assert row["dealer_delivery_d"] == pytest.approx((2 + 0.5) / 2)
    assert row["lead_time_achievement_pct"] == pytest.approx(50.0)  # V2 on time, V1 late
    assert row["damage_per_1000"] == pytest.approx(500.0)  # 1 of 2
    # 15 expected milestones due by day 20, 14 reported (the IMPORT_CLEARED is missing).
    assert row["reporting_completeness_pct"] == pytest.approx(round(14 / 15 * 100, 1))
    # 14 events, one reported after more than 24 h.
    assert row["reporting_timeliness_pct"] == pytest.approx(round(13 / 14 * 100, 1))


def test_grouped_by_brand_and_mode() -> None:
    events, expected, dims = frames()
    by_brand = fvl_kpis(events, expected, dims, NODE_KIND, LANE_MODE, as_of=t(20), by="brand")
    assert by_brand.select("brand", "plant_evacuation_h").rows() == [
        ("AVATR", 24.0),
        ("CHANGAN", 12.0),
    ]
    by_mode = fvl_kpis(events, expected, dims, NODE_KIND, LANE_MODE, as_of=t(20), by="mode")
    assert by_mode.select("mode", "vehicles_tracked").rows() == [("ocean_roro", 2)]
    with pytest.raises(ValueError, match="group by one of"):
        fvl_kpis(events, expected, dims, NODE_KIND, LANE_MODE, as_of=t(20), by="colour")
