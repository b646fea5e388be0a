"""The seed article's figures, recomputed from the built-in statistics, to the digit the
article gives. The expected strings are the article's own words (../shared/seed/); the
derived ones were worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from carexport.kpi.statistics import level_a_year_before, seed_figures
from carexport.network.dataset import builtin_folder, read_dataset
from carexport.network.snapshot import NetworkSnapshot


@pytest.fixture(scope="module")
def snapshot() -> NetworkSnapshot:
    return read_dataset(builtin_folder()).snapshot()


@pytest.fixture(scope="module")
def shown(snapshot: NetworkSnapshot) -> dict[str, str]:
    figures, missing = seed_figures(snapshot)
    assert missing == []
    return {f.key: f.shown for f in figures}


@pytest.mark.parametrize(
    ("key", "article"),
    [
        # "China's car exports reached 4.7 million units" (first three quarters of 2024)
        ("china_exports_q1_q3_2024", "4.7 million"),
        # "an increase of nearly 1 million": 4.7 - 1.0 = 3.7 million in Jan-Sep 2023
        ("china_exports_q1_q3_2023", "3.7 million"),
        # "31.7 billion yuan ($4.34 billion)": 31.7 / 7.30 = 4.3425 -> 4.34
        ("chongqing_export_value_cny", "31.7 billion yuan"),
        ("chongqing_export_value_usd", "$4.34 billion"),
        # "a 34 percent increase": 31.7 / 1.34 = 23.657 -> 23.7 billion a year before
        ("chongqing_export_value_growth", "34 percent"),
        ("chongqing_export_value_q1_q3_2023", "23.7 billion yuan"),
        ("chongqing_nev_export_growth", "131.9 percent"),
        # "318,553 vehicles, a 61.81 percent increase": 318,553 / 1.6181 = 196,868.55,
        # which rounds to 196,869 (the 196,868 truncates it)
        ("changan_overseas_sales", "318,553 vehicles"),
        ("changan_overseas_sales_growth", "61.81 percent"),
        ("changan_overseas_sales_2023", "196,869 vehicles"),
        ("apll_export_vehicles", "280,000 vehicles"),
        ("t_cq_share_national_2027", "10 percent by 2027"),
        ("t_changan_overseas_sales_2030", "1.2 million by 2030"),
        ("t_avatr_countries_2024", "25 by 2024"),
        ("t_avatr_countries_2025", "50 by 2025"),
        ("t_avatr_countries_2027", "80 by 2027"),
        ("t_avatr_stores_2027", "280 by 2027"),
        ("rayong_production_start", "2025-Q1"),
        ("avatr_first_thai_showroom", "05 Nov 2024"),
    ],
)
def test_seed_figure_to_the_digit(shown: dict[str, str], key: str, article: str) -> None:
    assert shown[key] == article


def test_the_year_before_is_the_level_over_one_plus_growth() -> None:
    assert level_a_year_before(318_553, 61.81) == pytest.approx(196_868.55, abs=0.01)
    assert level_a_year_before(31.7, 34) == pytest.approx(23.6567, abs=1e-4)


def test_dollar_figure_uses_the_publication_month_rate(snapshot: NetworkSnapshot) -> None:
    rate = snapshot.cny_per_usd(dt.date(2024, 12, 25))
    assert rate == (7.30, dt.date(2024, 12, 1))
    # Carried forward after the table, never back before it.
    assert snapshot.cny_per_usd(dt.date(2031, 5, 1)) == (7.05, dt.date(2025, 12, 1))
    assert snapshot.cny_per_usd(dt.date(2019, 1, 1)) is None


def test_missing_statistics_are_named_not_guessed(snapshot: NetworkSnapshot) -> None:
    bare = NetworkSnapshot.build(nodes=snapshot.nodes.values(), targets=snapshot.targets.values())
    figures, missing = seed_figures(bare)
    assert {f.key for f in figures} >= {"rayong_production_start", "t_avatr_stores_2027"}
    assert any("CHONGQING export_value" in m for m in missing)
    assert any("CNY-per-USD" in m for m in missing)
