"""Fastest and cheapest paths on the tiny dataset, every number worked out by hand.

Nodes (handling days, storage USD/day): CN_P1 (1, 10), CN_P2 (1, 10), CN_RAIL (1, 5),
CN_RIVER (1, 5), CN_SEA (2, 10), TH_SEA (1, 20), AE_SEA (2, 10), DE_SEA (3, 10).
CO2 factors, g per vehicle-km: road_truck 100, rail 20, river_roro 10, ocean_roro 5.

Mean wait = (7 / departures per week - 1) / 2: daily 0, weekly:MON,THU (3.5 - 1) / 2 = 1.25,
one weekday 3, every:14 (14 - 1) / 2 = 6.5, dates: 0.

Each leg: days = handling at the node left + wait + transit; USD = lane cost + handling x
storage at the node left; kg = km x factor / 1000 (or as given).
  L01 P1->RAIL    road  20 km,   daily,     1 d, $50   -> 1+0+1     =  2    d, 50+10   =   60, 2 kg
  L02 P2->RIVER   road  30 km,   daily,     1 d, $30   -> 1+0+1     =  2    d, 30+10   =   40, 3 kg
  L03 P1->SEA     road  1700 km, daily,     3 d, $400  -> 1+0+3     =  4    d, 400+10  =  410, 170 kg
  L04 RAIL->TH    rail  2800 km, MON,THU,   6 d, $900  -> 1+1.25+6  =  8.25 d, 900+5   =  905, 56 kg
  L05 RIVER->SEA  river 2400 km, MON,      10 d, $100  -> 1+3+10    = 14    d, 100+5   =  105, 24 kg
  L06 SEA->TH     ocean 3000 km, FRI,       8 d, $300  -> 2+3+8     = 13    d, 300+20  =  320, 15 kg
  L07 SEA->AE     ocean 10000 km, every 14, 20 d, $500 -> 2+6.5+20  = 28.5  d, 500+20  =  520, 50 kg
  L08 SEA->DE     ocean 20000 km, WED,     35 d, $700  -> 2+3+35    = 40    d, 700+20  =  720, 100 kg
  L09 RAIL->DE    rail  dates in 2024,     18 d, $1500 -> 1+0+18    = 19    d, 1500+5  = 1505, 250 kg
                                                          (given; 11000 km x 20 / 1000 would be 220)
The ocean lanes carry NEVs as dangerous goods (+$40) and L04 takes no NEVs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from carexport.network.dataset import read_dataset
from carexport.network.paths import Path as NetPath
from carexport.network.paths import active_lanes, best_path_to_market, best_paths, mean_wait_days
from carexport.network.schemas import Schedule, ScheduleError
from carexport.network.snapshot import NetworkSnapshot

TINY = Path(__file__).resolve().parents[1] / "data" / "networks" / "tiny"
PLANTS = ["CN_P1", "CN_P2"]
D = dt.date


@pytest.fixture(scope="module")
def snap() -> NetworkSnapshot:
    return read_dataset(TINY).snapshot()


def to_market(snap: NetworkSnapshot, country: str, objective: str, **kw: object) -> NetPath:
    paths = best_paths(snap, PLANTS, objective, **kw)  # type: ignore[arg-type]
    path = best_path_to_market(snap, paths, country, objective)  # type: ignore[arg-type]
    assert path is not None
    return path


# (country, objective) -> (origin, lanes, days, USD, kg CO2e), as_of=None (all lanes).
EXPECTED = {
    # L01+L04: 2+8.25 = 10.25, +1 handling at TH_SEA = 11.25 d; 60+905 = 965, +1x20 = 985;
    # 2+56 = 58 kg. Via the sea (L03+L06) would be 4+13+1 = 18 d.
    ("TH", "days"): ("CN_P1", ("L01", "L04"), 11.25, 985.0, 58.0),
    # L02+L05+L06: 2+14+13 = 29, +1 = 30 d; 40+105+320 = 465, +20 = 485; 3+24+15 = 42 kg.
    ("TH", "cost"): ("CN_P2", ("L02", "L05", "L06"), 30.0, 485.0, 42.0),
    # L03+L07: 4+28.5 = 32.5, +2 = 34.5 d; 410+520 = 930, +2x10 = 950; 170+50 = 220 kg.
    ("AE", "days"): ("CN_P1", ("L03", "L07"), 34.5, 950.0, 220.0),
    # L02+L05+L07: 16+28.5 = 44.5, +2 = 46.5 d; 145+520 = 665, +20 = 685; 3+24+50 = 77 kg.
    ("AE", "cost"): ("CN_P2", ("L02", "L05", "L07"), 46.5, 685.0, 77.0),
    # L01+L09: 2+19 = 21, +3 = 24 d; 60+1505 = 1565, +3x10 = 1595; 2+250 = 252 kg.
    ("DE", "days"): ("CN_P1", ("L01", "L09"), 24.0, 1595.0, 252.0),
    # L02+L05+L08: 16+40 = 56, +3 = 59 d; 145+720 = 865, +30 = 895; 3+24+100 = 127 kg.
    ("DE", "cost"): ("CN_P2", ("L02", "L05", "L08"), 59.0, 895.0, 127.0),
}


@pytest.mark.parametrize(("country", "objective"), list(EXPECTED))
def test_best_path_to_each_market(snap: NetworkSnapshot, country: str, objective: str) -> None:
    origin, lanes, days, cost, co2 = EXPECTED[(country, objective)]
    path = to_market(snap, country, objective)
    assert (path.origin, path.destination, path.lane_ids) == (origin, f"{country}_SEA", lanes)
    assert path.days == pytest.approx(days)
    assert path.cost_usd == pytest.approx(cost)
    assert path.co2e_kg == pytest.approx(co2)


def test_fastest_and_cheapest_differ_for_every_market(snap: NetworkSnapshot) -> None:
    for country in ("TH", "AE", "DE"):
        fast, cheap = to_market(snap, country, "days"), to_market(snap, country, "cost")
        assert fast.lane_ids != cheap.lane_ids
        assert fast.days < cheap.days and cheap.cost_usd < fast.cost_usd


def test_intermediate_nodes_and_origins(snap: NetworkSnapshot) -> None:
    fast = best_paths(snap, PLANTS, "days")
    # An origin costs only its own handling: 1 d, 1x10 USD.
    assert (fast["CN_P1"].days, fast["CN_P1"].cost_usd, fast["CN_P1"].lane_ids) == (1, 10, ())
    # CN_SEA fastest by road L03: 4 + 2 handling = 6 d, 410 + 2x10 = 430 USD.
    assert (fast["CN_SEA"].lane_ids, fast["CN_SEA"].days, fast["CN_SEA"].cost_usd) == (
        ("L03",),
        6,
        430,
    )
    # The lock is only a via node: no lane arrives there.
    assert "CN_TGD" not in fast
    # From CN_P2 alone CN_RAIL cannot be reached.
    assert "CN_RAIL" not in best_paths(snap, ["CN_P2"], "days")
    assert best_paths(snap, ["NOWHERE"], "days") == {}


def test_past_dates_lane_drops_out_with_as_of(snap: NetworkSnapshot) -> None:
    as_of = D(2025, 6, 1)  # L09 ran on 2024-03-01 and 2024-04-01 only
    assert "L09" not in {ln.id for ln in active_lanes(snap, as_of)}
    assert len(active_lanes(snap, None)) == 9
    fast = to_market(snap, "DE", "days", as_of=as_of)
    # Now L03+L08: 4+40 = 44, +3 = 47 d; 410+720 = 1130, +30 = 1160; 170+100 = 270 kg.
    assert fast.lane_ids == ("L03", "L08")
    assert (fast.days, fast.cost_usd, fast.co2e_kg) == pytest.approx((47, 1160, 270))
    # The cheapest path never used L09.
    assert to_market(snap, "DE", "cost", as_of=as_of).lane_ids == ("L02", "L05", "L08")
    # Before the demonstration trains, L09 is live again: the year from 2024-02-01 holds them.
    assert to_market(snap, "DE", "days", as_of=D(2024, 2, 1)).lane_ids == ("L01", "L09")
    # The year window is inclusive: 2023-03-02 + 365 days = 2024-03-01.
    assert "L09" in {ln.id for ln in active_lanes(snap, D(2023, 3, 2))}
    assert "L09" not in {ln.id for ln in active_lanes(snap, D(2024, 4, 2))}


def test_nev_paths_skip_no_nev_lanes_and_pay_dangerous_goods(snap: NetworkSnapshot) -> None:
    assert "L04" not in {ln.id for ln in active_lanes(snap, None, nev=True)}
    fast = to_market(snap, "TH", "days", nev=True)
    # L03+L06: 4+13 = 17, +1 = 18 d; 410+320+40 DG = 770, +20 = 790; 170+15 = 185 kg.
    assert fast.lane_ids == ("L03", "L06")
    assert (fast.days, fast.cost_usd, fast.co2e_kg) == pytest.approx((18, 790, 185))
    # Cheapest TH path with the DG surcharge: 485 + 40 = 525.
    cheap = to_market(snap, "TH", "cost", nev=True)
    assert (cheap.lane_ids, cheap.cost_usd) == (("L02", "L05", "L06"), pytest.approx(525))


def test_lane_co2e_given_or_from_factor(snap: NetworkSnapshot) -> None:
    assert snap.lane_co2e_kg(snap.lanes["L09"]) == 250  # given, not 11000 x 20 / 1000
    assert snap.lane_co2e_kg(snap.lanes["L07"]) == pytest.approx(50)  # 10000 x 5 / 1000


@pytest.mark.parametrize(
    ("lane_id", "wait"),
    [("L01", 0.0), ("L04", 1.25), ("L05", 3.0), ("L07", 6.5), ("L09", 0.0)],
)
def test_mean_wait(snap: NetworkSnapshot, lane_id: str, wait: float) -> None:
    assert mean_wait_days(snap.lanes[lane_id]) == pytest.approx(wait)


# --- Schedule ---------------------------------------------------------------------------
# January 2025: Mon 6, Tue 7, Wed 8, Thu 9, Fri 10, Sat 11, Sun 12; Mon 13, Thu 16, Mon 20.


def test_daily() -> None:
    s = Schedule.parse(" Daily ")
    assert (s.kind, str(s), s.departures_per_week()) == ("daily", "daily", 7.0)
    assert s.departures_between(D(2025, 1, 6), D(2025, 1, 8)) == [D(2025, 1, d) for d in (6, 7, 8)]
    assert s.departures_between(D(2025, 1, 8), D(2025, 1, 6)) == []


def test_weekly_on_known_weekdays() -> None:
    s = Schedule.parse("weekly:thu, MON,MON")
    assert (s.weekdays, str(s), s.departures_per_week()) == ((0, 3), "weekly:MON,THU", 2.0)
    assert s.departures_between(D(2025, 1, 6), D(2025, 1, 19)) == [
        D(2025, 1, 6),  # Monday
        D(2025, 1, 9),  # Thursday
        D(2025, 1, 13),
        D(2025, 1, 16),
    ]
    assert Schedule.parse("weekly:SUN").departures_between(D(2025, 1, 6), D(2025, 1, 12)) == [
        D(2025, 1, 12)
    ]


def test_every_n_days_from_anchor() -> None:
    s = Schedule.parse("every:14:2025-01-06")
    assert (s.every_days, s.anchor, str(s)) == (14, D(2025, 1, 6), "every:14:2025-01-06")
    assert s.departures_per_week() == pytest.approx(0.5)
    assert s.departures_between(D(2025, 1, 1), D(2025, 2, 5)) == [
        D(2025, 1, 6),
        D(2025, 1, 20),
        D(2025, 2, 3),
    ]
    # Also before the anchor: 2025-01-06 - 14 days = 2024-12-23.
    assert s.departures_between(D(2024, 12, 20), D(2024, 12, 31)) == [D(2024, 12, 23)]


def test_dates() -> None:
    s = Schedule.parse("dates:2025-04-12; 2025-03-01;2025-03-01")
    assert (s.dates, str(s)) == ((D(2025, 3, 1), D(2025, 4, 12)), "dates:2025-03-01;2025-04-12")
    assert s.departures_per_week() == 0.0
    assert s.departures_between(D(2025, 3, 1), D(2025, 4, 11)) == [D(2025, 3, 1)]
    assert s.departures_between(D(2025, 4, 13), D(2026, 1, 1)) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("weekly:", "names no weekday"),
        ("weekly:MON,FUN", "unknown weekday 'FUN'"),
        ("every:0:2025-01-06", "every 0 days never runs"),
        ("every:-7:2025-01-06", "never runs"),
        ("every:14", "write every:N:YYYY-MM-DD"),
        ("every:two:2025-01-06", "write every:N:YYYY-MM-DD"),
        ("dates:", "lists no date"),
        ("dates:2025-02-30", "YYYY-MM-DD"),
        ("daily:MON", "departures must be daily"),
        ("twice a week", "departures must be daily"),
        ("", "departures must be daily"),
    ],
)
def test_schedule_errors(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        Schedule.parse(text)
