"""summarise() on the tiny dataset: counts, lanes by mode, each market's paths and reasons.

The per-lane figures are in the docstring of test_paths.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from carexport.network.dataset import read_dataset, snapshot_from_records
from carexport.network.service import ModeSummary, describe_path, summarise
from carexport.network.snapshot import NetworkSnapshot

NETWORKS = Path(__file__).resolve().parents[1] / "data" / "networks"
TINY = NETWORKS / "tiny"
AS_OF = dt.date(2025, 6, 1)  # after L09's demonstration trains of March and April 2024


@pytest.fixture(scope="module")
def snap() -> NetworkSnapshot:
    return read_dataset(TINY).snapshot()


def test_counts_and_nodes_by_kind(snap: NetworkSnapshot) -> None:
    summary = summarise(snap, AS_OF)
    assert summary.counts == {
        "nodes": 9,
        "lanes": 9,
        "markets": 3,
        "brands": 2,
        "models": 2,
        "variants": 4,
        "dealers": 2,
        "targets": 1,
    }
    assert summary.nodes_by_kind == {
        "plant": 2,
        "rail_terminal": 1,
        "river_port": 1,
        "seaport": 4,
        "waterway_lock": 1,
    }
    assert summary.origins == ["CN_P1", "CN_P2"]


def test_lanes_by_mode(snap: NetworkSnapshot) -> None:
    # Departures per week and slots per week (departures x capacity_slots), by hand:
    #   ocean_roro: L06 weekly:FRI 1 x 2000 + L07 every:14 0.5 x 3000 + L08 weekly:WED 1 x 4000
    #               = 2.5 departures, 2000 + 1500 + 4000 = 7500 slots
    #   rail:       L04 weekly:MON,THU 2 x 200 + L09 dates 0 x 80 = 2 departures, 400 slots
    #   river_roro: L05 weekly:MON 1 x 300 = 1 departure, 300 slots
    #   road_truck: L01, L02, L03 daily: 21 departures, 7 x (60 + 60 + 40) = 1120 slots
    assert summarise(snap, AS_OF).modes == [
        ModeSummary("ocean_roro", 3, 2.5, 7500.0),
        ModeSummary("rail", 2, 2.0, 400.0),
        ModeSummary("river_roro", 1, 1.0, 300.0),
        ModeSummary("road_truck", 3, 21.0, 1120.0),
    ]


def test_every_market_reachable(snap: NetworkSnapshot) -> None:
    markets = {m.country: m for m in summarise(snap, AS_OF).markets}
    assert list(markets) == ["AE", "DE", "TH"]  # sorted by country
    assert {c: (m.name, m.region, m.drive_side) for c, m in markets.items()} == {
        "AE": ("United Arab Emirates", "middle_east", "LHD"),
        "DE": ("Germany", "europe", "LHD"),
        "TH": ("Thailand", "southeast_asia", "RHD"),
    }
    for m in markets.values():
        assert m.fastest is not None and m.cheapest is not None and m.reason is None
    th, de = markets["TH"], markets["DE"]
    assert th.fastest is not None and th.cheapest is not None
    # TH fastest L01+L04: 11.25 d, 985 USD; cheapest L02+L05+L06: 30 d, 485 USD.
    assert (th.fastest.lane_ids, th.fastest.days, th.fastest.cost_usd) == (
        ("L01", "L04"),
        pytest.approx(11.25),
        pytest.approx(985),
    )
    assert (th.cheapest.lane_ids, th.cheapest.days, th.cheapest.cost_usd) == (
        ("L02", "L05", "L06"),
        pytest.approx(30),
        pytest.approx(485),
    )
    # As of 2025-06-01 the 2024 rail lane L09 is gone: DE fastest is L03+L08, 47 d, 1160 USD.
    assert de.fastest is not None
    assert (de.fastest.lane_ids, de.fastest.days, de.fastest.cost_usd) == (
        ("L03", "L08"),
        pytest.approx(47),
        pytest.approx(1160),
    )
    assert describe_path(snap, th.fastest) == (
        "CN_P1 > road_truck > CN_RAIL > rail/China-Laos railway > TH_SEA"
    )


def test_summary_before_the_demonstration_trains_uses_them(snap: NetworkSnapshot) -> None:
    de = next(m for m in summarise(snap, dt.date(2024, 2, 1)).markets if m.country == "DE")
    assert de.fastest is not None and de.fastest.lane_ids == ("L01", "L09")  # 24 d by hand


def test_market_no_lane_reaches_has_a_reason() -> None:
    # The bad case points AE at CN_TGD, a lock no lane arrives at; its rows all still parse.
    snap = read_dataset(NETWORKS / "bad" / "market_unreachable").snapshot()
    markets = {m.country: m for m in summarise(snap, AS_OF).markets}
    ae = markets["AE"]
    assert ae.fastest is None and ae.cheapest is None
    assert ae.reason == "no chain of lanes from a plant in CN reaches CN_TGD"
    assert markets["TH"].reason is None and markets["DE"].reason is None


def test_market_reached_only_by_past_lanes_has_a_reason() -> None:
    # Tiny without L08: only the 2024 demonstration trains (L09) reach DE_SEA.
    dataset = read_dataset(TINY)
    records = {name: dataset.items(name) for name in dataset.records}
    records["lanes.csv"] = [ln for ln in records["lanes.csv"] if ln.id != "L08"]
    snap = snapshot_from_records(records)
    de = next(m for m in summarise(snap, AS_OF).markets if m.country == "DE")
    assert de.fastest is None
    assert de.reason == "only lanes without a departure between 2025-06-01 and 2026-06-01 reach it"


def test_origin_country_without_plants_reaches_nothing(snap: NetworkSnapshot) -> None:
    summary = summarise(snap, AS_OF, origin_country="TH")
    assert summary.origins == []
    assert [m.reason for m in summary.markets] == [
        "no chain of lanes from a plant in TH reaches AE_SEA",
        "no chain of lanes from a plant in TH reaches DE_SEA",
        "no chain of lanes from a plant in TH reaches TH_SEA",
    ]
