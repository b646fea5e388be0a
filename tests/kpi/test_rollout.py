"""Store rollout on a hand-made brand of five dealers, every figure worked out in comments,
and Avatr's end-2024 and end-2025 counts from the built-in dealers.csv counted by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from carexport.errors import NotFound
from carexport.kpi.rollout import counts_on, rollout, rollout_against_plan
from carexport.network.dataset import builtin_folder, read_dataset
from carexport.network.schemas import Brand, Dealer, Target
from carexport.network.snapshot import NetworkSnapshot

D = dt.date


def dealer(dealer_id: str, country: str, opening: dt.date, source: str = "U") -> Dealer:
    return Dealer(
        id=dealer_id,
        brand_id="ZEBRA",
        country=country,
        city="Somewhere",
        opening_date=opening,
        source=source,
    )


def target(target_id: str, metric: str, value: float, deadline: dt.date) -> Target:
    return Target(
        id=target_id,
        metric=metric,
        scope="ZEBRA",
        value=value,
        unit="count",
        deadline=deadline,
        source="T1",
    )


# ZEBRA opens TH on 15 Jan, AE on 31 Jan (a month's last day counts), a second TH store on
# 1 Feb, nothing in March, DE on 10 Apr. Months Jan..Apr 2025:
#   Jan: TH_1, AE_1      -> 2 stores, 2 countries, new AE, TH
#   Feb: + TH_2          -> 3 stores, 2 countries, new -
#   Mar: nothing opens   -> 3 stores, 2 countries, new -
#   Apr: + DE_1          -> 4 stores, 3 countries, new DE
# The other brand's dealer (OTHER_TH, Dec 2024) is never counted.
SNAPSHOT = NetworkSnapshot.build(
    brands=[Brand(id="ZEBRA", name="Zebra Motors"), Brand(id="OTHER", name="Other")],
    dealers=[
        dealer("Z_TH_1", "TH", D(2025, 1, 15), "S1"),
        dealer("Z_AE_1", "AE", D(2025, 1, 31)),
        dealer("Z_TH_2", "TH", D(2025, 2, 1), "S1;U"),
        dealer("Z_DE_1", "DE", D(2025, 4, 10)),
        Dealer(
            id="OTHER_TH",
            brand_id="OTHER",
            country="TH",
            city="Bangkok",
            opening_date=D(2024, 12, 1),
        ),
    ],
    targets=[
        target("T_Z_COUNTRIES_JAN", "countries_count", 2, D(2025, 1, 31)),  # 2 >= 2: met
        target("T_Z_STORES_MAR", "stores_count", 5, D(2025, 3, 31)),  # 3 < 5: not met
        target("T_Z_COUNTRIES_DEC", "countries_count", 4, D(2025, 12, 31)),  # judged on as_of
        target("T_Z_UNITS", "export_units", 100, D(2025, 12, 31)),  # not a rollout metric
    ],
)


def test_monthly_rollout_by_hand() -> None:
    frame = rollout(SNAPSHOT, "zebra")
    assert frame.columns == [
        "month",
        "stores_open",
        "countries",
        "new_countries",
        "unsourced_share",
    ]
    assert frame.select("month", "stores_open", "countries", "new_countries").rows() == [
        (D(2025, 1, 1), 2, 2, ["AE", "TH"]),
        (D(2025, 2, 1), 3, 2, []),
        (D(2025, 3, 1), 3, 2, []),
        (D(2025, 4, 1), 4, 3, ["DE"]),
    ]
    # Stores open whose date carries U: Jan AE_1 of 2; Feb AE_1, TH_2 of 3; Apr + DE_1 of 4.
    assert frame["unsourced_share"].to_list() == pytest.approx([1 / 2, 2 / 3, 2 / 3, 3 / 4])


def test_rollout_takes_the_brand_by_name_and_is_empty_without_dealers() -> None:
    assert rollout(SNAPSHOT, "Zebra Motors").height == 4
    lonely = NetworkSnapshot.build(brands=[Brand(id="ZEBRA", name="Zebra")])
    assert rollout(lonely, "ZEBRA").is_empty()
    with pytest.raises(NotFound, match="unknown brand 'ZEBU'"):
        rollout(SNAPSHOT, "ZEBU")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 1, 14), (0, 0)),  # the day before the first opening
        (D(2025, 1, 15), (1, 1)),  # the opening day counts
        (D(2025, 2, 1), (2, 3)),
        (D(2025, 4, 9), (2, 3)),
        (D(2030, 1, 1), (3, 4)),
    ],
)
def test_counts_on_a_day(day: dt.date, expected: tuple[int, int]) -> None:
    assert counts_on(SNAPSHOT, "ZEBRA", day) == expected


def test_rollout_against_plan_by_hand() -> None:
    frame = rollout_against_plan(SNAPSHOT, "ZEBRA", as_of=D(2025, 6, 30))
    assert frame.select(
        "target_id", "planned", "judged_on", "actual", "gap", "status", "dealers_counted"
    ).rows() == [
        ("T_Z_COUNTRIES_JAN", 2, D(2025, 1, 31), 2, 0, "met", 2),
        ("T_Z_STORES_MAR", 5, D(2025, 3, 31), 3, 2, "not met", 3),
        ("T_Z_COUNTRIES_DEC", 4, D(2025, 6, 30), 3, 1, "open", 4),
    ]
    assert frame["unsourced_share"].to_list() == pytest.approx([1 / 2, 2 / 3, 3 / 4])
    # Jan 31: TH_1 (S1) and AE_1 (U); by the as_of: + TH_2 (S1;U), DE_1 (U).
    assert frame["opening_sources"].to_list() == [
        "S1 1 (50%); U 1 (50%)",
        "S1 1 (33%); S1;U 1 (33%); U 1 (33%)",
        "U 2 (50%); S1 1 (25%); S1;U 1 (25%)",
    ]
    assert set(frame["target_source"]) == {"T1"}


def test_a_target_reached_before_its_deadline_is_met() -> None:
    frame = rollout_against_plan(SNAPSHOT, "ZEBRA", as_of=D(2025, 1, 20))
    # Judged on 20 Jan: only TH_1 is open, so 1 country and 1 store.
    assert frame.select("target_id", "actual", "status").rows() == [
        ("T_Z_COUNTRIES_JAN", 1, "open"),
        ("T_Z_STORES_MAR", 1, "open"),
        ("T_Z_COUNTRIES_DEC", 1, "open"),
    ]
    assert rollout_against_plan(SNAPSHOT, "ZEBRA", as_of=D(2025, 1, 31))["status"][0] == "met"


# --- the built-in dataset ------------------------------------------------------------

BUILTIN = read_dataset(builtin_folder()).snapshot()


def test_avatr_at_the_end_of_2024_and_2025_counted_by_hand() -> None:
    # In src/carexport/network/reference/chongqing:
    #   awk -F, '$2=="AVATR" && $5<="2024-12-31" {n++; c[$3]} END {print length(c), n}' \
    #     dealers.csv                                                       -> 23 25
    # 25 stores, two of them second stores (AE Abu Dhabi, SA Jeddah): 23 countries. With
    # "2025-12-31" the same line gives 36 49.
    assert counts_on(BUILTIN, "AVATR", D(2024, 12, 31)) == (23, 25)
    assert counts_on(BUILTIN, "Avatr", D(2025, 12, 31)) == (36, 49)
    months = rollout(BUILTIN, "AVATR")
    assert months["month"][0] == D(2024, 5, 1)  # Dubai, 2024-05-18
    end_2024 = months.filter(months["month"] == D(2024, 12, 1))
    assert end_2024.select("stores_open", "countries").row(0) == (25, 23)


def test_avatr_against_its_plan() -> None:
    # targets.csv: 25 countries by 2024-12-31, 50 by 2025-12-31, 80 and 280 stores by
    # 2027-12-31. Only D_AVATR_TH_01 (Bangkok) of the first 25 stores has a sourced
    # opening date (S1); the other 24 are U.
    frame = rollout_against_plan(BUILTIN, "AVATR", as_of=D(2026, 1, 15))
    assert frame.select("target_id", "planned", "actual", "gap", "status").rows() == [
        ("T_AVATR_COUNTRIES_2024", 25, 23, 2, "not met"),
        ("T_AVATR_COUNTRIES_2025", 50, 36, 14, "not met"),
        ("T_AVATR_COUNTRIES_2027", 80, 36, 44, "open"),
        ("T_AVATR_STORES_2027", 280, 49, 231, "open"),
    ]
    assert frame["opening_sources"][0] == "U 24 (96%); S1 1 (4%)"
    assert frame["unsourced_share"][0] == pytest.approx(24 / 25)
