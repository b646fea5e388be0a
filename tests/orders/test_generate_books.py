"""Synthetic order books match the statistics they claim: a 2024 Chongqing book's export value
and NEV share of value against the official figures (S10/S5/S6), its yearly volume, and no
car from a plant before it started production (Rayong: 2025-01-01)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from carexport.errors import CarexportError
from carexport.network.dataset import builtin_folder
from carexport.network.service import check_dataset
from carexport.orders.generate import OrderBook, cny_per_usd, generate

FOLDER = builtin_folder()
SNAPSHOT = check_dataset(FOLDER).snapshot()
# The official 2024 figures (export_statistics.csv, S10/S5/S6), written out so a changed
# statistic fails here instead of moving the target.
EXPORT_VALUE_2024_CNY = 43.12e9
NEV_EXPORT_VALUE_2024_CNY = 8.21e9
EXPORT_UNITS_2024 = 477_000
NEV_POWERTRAINS = ("BEV", "PHEV", "EREV")  # China's NEV category, not plain hybrids


@pytest.fixture(scope="module")
def book_2024() -> OrderBook:
    return generate(SNAPSHOT, months=12, start=dt.date(2024, 1, 1), scale="chongqing", seed=5)


@pytest.fixture(scope="module")
def book_2025() -> OrderBook:
    return generate(SNAPSHOT, months=3, start=dt.date(2025, 1, 1), scale="chongqing", seed=5)


def _valued(orders: pl.DataFrame) -> pl.DataFrame:
    """Each order's value in CNY at its ready month's rate, straight from the CSV files."""
    rates = pl.read_csv(FOLDER / "exchange_rates.csv", try_parse_dates=True).select(
        pl.col("month").cast(pl.Date), "cny_per_usd"
    )
    variants = pl.read_csv(FOLDER / "variants.csv").select(
        pl.col("id").alias("variant"),
        pl.col("powertrain").is_in(NEV_POWERTRAINS).alias("nev"),
        pl.col("unit_price_usd").cast(pl.Float64).alias("list_price_usd"),
    )
    return (
        orders.with_columns(pl.col("ready_date").dt.truncate("1mo").alias("month"))
        .join(rates, on="month", how="left", validate="m:1")
        .join(variants, on="variant", how="left", validate="m:1")
        .with_columns(
            (pl.col("quantity") * pl.col("unit_value_usd") * pl.col("cny_per_usd")).alias(
                "value_cny"
            )
        )
    )


def test_a_2024_book_has_the_official_export_value_and_nev_share(book_2024: OrderBook) -> None:
    valued = _valued(book_2024.orders)
    assert valued["cny_per_usd"].null_count() == 0 and valued["nev"].null_count() == 0
    value_cny = valued["value_cny"].sum()
    nev_share = valued.filter("nev")["value_cny"].sum() / value_cny
    assert value_cny == pytest.approx(EXPORT_VALUE_2024_CNY, rel=0.02)
    assert nev_share == pytest.approx(NEV_EXPORT_VALUE_2024_CNY / EXPORT_VALUE_2024_CNY, rel=0.02)


def test_unit_values_are_list_prices_scaled_by_one_factor(book_2024: OrderBook) -> None:
    """Customs values are below list prices; the variants keep their price differences."""
    ratio = _valued(book_2024.orders).select(
        (pl.col("unit_value_usd") / pl.col("list_price_usd")).alias("ratio")
    )["ratio"]
    assert ratio.max() < 1
    assert ratio.max() / ratio.min() < 1.05 / 0.95 * 1.002  # the +-5% noise, 10 USD rounding


def test_a_book_keeps_the_yearly_volume(book_2024: OrderBook) -> None:
    units = book_2024.orders["quantity"].sum()
    assert units == pytest.approx(EXPORT_UNITS_2024, rel=0.01)
    assert book_2024.vehicles.height == units
    by_month = book_2024.orders.group_by(pl.col("ready_date").dt.month()).agg(
        pl.col("quantity").sum()
    )
    assert by_month.height == 12
    assert by_month["quantity"].min() == pytest.approx(EXPORT_UNITS_2024 / 12, rel=0.01)


def test_no_car_ships_from_rayong_before_it_started_production(
    book_2024: OrderBook, book_2025: OrderBook
) -> None:
    assert SNAPSHOT.nodes["TH_RAYONG"].production_start == dt.date(2025, 1, 1)
    assert book_2024.orders.filter(pl.col("origin") == "TH_RAYONG").height == 0
    rayong_2025 = book_2025.orders.filter(pl.col("origin") == "TH_RAYONG")
    assert rayong_2025.height > 0
    assert rayong_2025["ready_date"].min() >= dt.date(2025, 1, 1)


def test_a_book_across_the_start_of_production_ships_from_rayong_only_from_then() -> None:
    book = generate(SNAPSHOT, months=2, start=dt.date(2024, 12, 1), scale="chongqing", seed=2)
    rayong = book.orders.filter(pl.col("origin") == "TH_RAYONG")
    assert rayong.height > 0 and rayong["ready_date"].min() >= dt.date(2025, 1, 1)


def test_the_exchange_rate_of_a_month_past_the_table_is_its_last() -> None:
    first, last = min(SNAPSHOT.exchange_rates), max(SNAPSHOT.exchange_rates)
    assert cny_per_usd(SNAPSHOT, dt.date(2024, 7, 19)) == 7.27
    assert cny_per_usd(SNAPSHOT, dt.date(last.year + 1, 3, 1)) == (
        SNAPSHOT.exchange_rates[last].cny_per_usd
    )
    with pytest.raises(CarexportError, match="no CNY/USD rate"):
        cny_per_usd(SNAPSHOT, dt.date(first.year - 1, 12, 31))  # rates are never carried back
