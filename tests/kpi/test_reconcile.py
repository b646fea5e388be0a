"""Comtrade reading and reconciliation with official statistics: the handwritten Comtrade
files in tests/data/comtrade (invented figures), and a reconciliation worked out by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from carexport.errors import CarexportError, InvalidInput
from carexport.kpi.comtrade import (
    COMTRADE_SCHEMA,
    hs_group,
    hs_subheading,
    load_comtrade,
    powertrain_group,
    read_comtrade,
)
from carexport.kpi.reconcile import (
    ALL_PARTNERS,
    RECONCILIATION_SCHEMA,
    STORE_SCHEMA,
    reconcile,
    roll_up_months,
)
from carexport.network.schemas import Powertrain

DATA = Path(__file__).parent.parent / "data" / "comtrade"
GOOD = DATA / "china_exports_8703_2024.csv"
BAD = DATA / "china_exports_8703_bad.csv"
YEAR = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
MARCH = (dt.date(2024, 3, 1), dt.date(2024, 3, 31))


# --- reading -------------------------------------------------------------------------


def test_reads_the_exports_of_8703_to_countries() -> None:
    report = load_comtrade(GOOD)
    frame = report.frame
    assert frame.schema == COMTRADE_SCHEMA
    # 21 data rows: 3 World rows and 1 import row left out, 17 kept.
    assert report.rows_read == 21
    assert frame.height == 17
    assert report.skipped == {"not an export": 1, "aggregate partner": 3}
    assert report.aggregates == {"W00": 3}
    assert report.reporter == "CHN"
    assert report.problems == []
    assert set(frame["partner_country"]) == {"RU", "MX", "AE", "SA", "TH", "KZ", "GB"}
    assert set(frame["hs_code"]) == {"8703", "870380", "870360", "870340", "870323"}
    russia = frame.filter(
        (pl.col("partner_country") == "RU")
        & (pl.col("hs_code") == "870380")
        & (pl.col("period_start") == YEAR[0])
    )
    assert russia.row(0, named=True) == {
        "period_start": YEAR[0],
        "period_end": YEAR[1],
        "partner_country": "RU",
        "hs_code": "870380",
        "hs_group": "electric",
        "vehicles": 58_000,
        "value_usd": 1_160_000_000.0,
    }


def test_annual_and_monthly_periods() -> None:
    frame = read_comtrade(GOOD)
    periods = frame.group_by("period_start", "period_end").len().sort("period_start").rows()
    assert periods == [(*YEAR, 15), (*MARCH, 2)]
    march = frame.filter(pl.col("period_start") == MARCH[0]).sort("partner_country")
    assert march.select("partner_country", "hs_code", "vehicles").rows() == [
        ("RU", "8703", 82_000),
        ("TH", "870380", 6_800),
    ]


def test_the_world_row_is_left_out() -> None:
    frame = read_comtrade(GOOD)
    assert frame["partner_country"].null_count() == 0
    # Annual 8703 over the partners listed: 1,020,000 + 445,000 + 280,000 + 265,000
    # + 160,000 + 110,000 + 190,000 = 2,470,000, not the World's 5,860,000.
    annual = frame.filter((pl.col("hs_code") == "8703") & (pl.col("period_start") == YEAR[0]))
    assert annual["vehicles"].sum() == 2_470_000
    assert 5_860_000 not in frame["vehicles"].to_list()


def test_every_bad_row_is_reported_with_row_field_and_value() -> None:
    with pytest.raises(InvalidInput) as raised:
        read_comtrade(BAD)
    assert str(raised.value) == "Comtrade file china_exports_8703_bad.csv: 7 error(s)"
    found = [(p.file, p.row, p.field, p.value) for p in raised.value.problems]
    assert found == [
        ("china_exports_8703_bad.csv", 3, "qty", "21 000"),
        ("china_exports_8703_bad.csv", 4, "primaryValue", "n/a"),
        ("china_exports_8703_bad.csv", 5, "partnerISO", "XYZ"),
        ("china_exports_8703_bad.csv", 6, "period", "202413"),
        ("china_exports_8703_bad.csv", 7, "period", "202405"),
        ("china_exports_8703_bad.csv", 8, "cmdCode", "870380"),
        ("china_exports_8703_bad.csv", 10, "primaryValue", "-5"),
    ]
    assert all(p.hint for p in raised.value.problems)
    assert "row 2" in raised.value.problems[5].message  # the duplicate names the first row
    assert "month 13" in raised.value.problems[3].message


def test_skip_invalid_keeps_the_good_rows_and_reports_the_rest() -> None:
    report = load_comtrade(BAD, skip_invalid=True)
    # Row 2 is the only good row; row 9 (World) is left out as an aggregate, not an error.
    assert report.frame.select("partner_country", "hs_code", "vehicles").rows() == [
        ("RU", "870380", 58_000)
    ]
    assert report.skipped == {"aggregate partner": 1, "invalid": 7}
    assert len(report.problems) == 7


def test_a_file_that_is_not_comtrade_is_one_error_naming_the_missing_columns(
    tmp_path: Path,
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order_id,destination_country,quantity\nO1,RU,10\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        read_comtrade(path)
    [problem] = raised.value.problems
    assert problem.row == 1
    for column in ("flowCode", "partnerISO or partnerCode", "cmdCode", "period or refPeriodId"):
        assert column in problem.message


def test_other_spellings_separators_encodings_units_and_breakdowns(tmp_path: Path) -> None:
    # Lower-case names, tabs, Windows-1252 text, an extra column, no partnerISO (the data
    # API leaves it out unless asked): partnerCode 842 is Comtrade's USA (ISO's is 840),
    # 899 is Areas, nes. Quantities in kg are not vehicles. The motCode 2100 row is a
    # breakdown of the total row above it.
    header = "freqcode\tperiod\tflowcode\tpartnercode\tpartnerdesc\tcmdcode\tqtyunitcode\tqty\tfobvalue\tmotcode\tnote"
    lines = [
        "A\t2023\tX\t842\tUSA\t870380\t5\t1500\t45000000\t0\tcaf\xe9",
        "A\t2023\tX\t842\tUSA\t870380\t5\t900\t27000000\t2100\t",
        "A\t2023\tX\t899\tAreas, nes\t870380\t5\t10\t300000\t0\t",
        "M\t202311\tX\t643\tRussian Federation\t870323\t8\t1650000\t16000000\t0\t",
    ]
    path = tmp_path / "TradeData.csv"
    path.write_bytes("\n".join([header, *lines]).encode("cp1252"))
    report = load_comtrade(path)
    assert report.skipped == {"breakdown": 1, "aggregate partner": 1}
    assert report.aggregates == {"899": 1}
    assert report.frame.rows() == [
        (dt.date(2023, 1, 1), dt.date(2023, 12, 31), "US", "870380", "electric", 1500, 45e6),
        (dt.date(2023, 11, 1), dt.date(2023, 11, 30), "RU", "870323", "combustion", None, 16e6),
    ]


def test_hs_codes_before_2017_are_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text(
        "classificationCode,period,flowCode,partnerISO,cmdCode,qtyUnitAbbr,qty,primaryValue\n"
        "H4,2016,X,RUS,870390,u,100,2000000\n",
        encoding="utf-8",
    )
    report = load_comtrade(path)
    assert report.frame.height == 1
    [warning] = report.problems
    assert (warning.severity, warning.field, warning.value) == (
        "warning",
        "classificationCode",
        "H4",
    )


# --- powertrains and HS codes ----------------------------------------------------------


def test_every_powertrain_has_a_subheading_and_a_group() -> None:
    assert {p.value: hs_subheading(p.value) for p in Powertrain} == {
        "BEV": "870380",
        "PHEV": "870360",
        "EREV": "870360",
        "HEV": "870340",
        "ICE": "8703",
    }
    assert {p.value: powertrain_group(p.value) for p in Powertrain} == {
        "BEV": "electric",
        "PHEV": "plug-in hybrid",
        "EREV": "plug-in hybrid",
        "HEV": "hybrid",
        "ICE": "combustion",
    }
    # A powertrain's subheading is in the group it is compared in (ICE: the heading).
    for p in Powertrain:
        code = hs_subheading(p.value)
        assert code == "8703" or hs_group(code) == powertrain_group(p.value)
    with pytest.raises(CarexportError):
        hs_subheading("FCEV")


def test_hs_groups() -> None:
    assert [hs_group(c) for c in ("8703", "870380", "870370", "870350", "870321", "870390")] == [
        "all",
        "electric",
        "plug-in hybrid",
        "hybrid",
        "combustion",
        "combustion",
    ]


# --- reconciliation, worked out by hand -------------------------------------------------


def official_frame(rows: list[tuple[str, str, int | None, float]]) -> pl.DataFrame:
    """Annual 2024 official rows (partner, hs_code, vehicles, value_usd)."""
    return pl.DataFrame(
        [(*YEAR, partner, code, hs_group(code), n, v) for partner, code, n, v in rows],
        schema=COMTRADE_SCHEMA,
        orient="row",
    )


OFFICIAL = official_frame(
    [
        ("RU", "8703", 1_200, 30_000_000.0),
        ("RU", "870380", 400, 12_000_000.0),
        ("RU", "870360", 300, 9_000_000.0),
        ("RU", "870340", 100, 2_000_000.0),
        ("RU", "870323", 400, 7_000_000.0),
        ("MX", "8703", 500, 10_000_000.0),
        ("MX", "870380", 200, 5_000_000.0),
    ]
)


def months(rows: list[tuple[dt.date, str, str, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema=["month", "partner_country", "powertrain", "vehicles", "value_usd"],
        orient="row",
    )


STORE_MONTHS = months(
    [
        (dt.date(2024, 1, 1), "RU", "BEV", 250, 7_500_000.0),
        (dt.date(2024, 6, 1), "RU", "BEV", 160, 4_800_000.0),
        (dt.date(2024, 3, 1), "RU", "PHEV", 200, 6_000_000.0),
        (dt.date(2024, 5, 1), "ru", "EREV", 80, 2_640_000.0),
        (dt.date(2024, 2, 1), "RU", "ICE", 460, 7_360_000.0),
        (dt.date(2024, 4, 1), "MX", "BEV", 200, 5_200_000.0),
        (dt.date(2024, 8, 1), "SA", "BEV", 30, 900_000.0),
        (dt.date(2025, 1, 1), "RU", "BEV", 99, 1.0),  # outside every official period
    ]
)


def test_months_roll_up_to_the_official_periods() -> None:
    store = roll_up_months(STORE_MONTHS, OFFICIAL)
    assert store.schema == STORE_SCHEMA
    # RU BEV: 250 + 160 = 410 and 7.5M + 4.8M = 12.3M; January 2025 is in no period.
    assert store.rows() == [
        (*YEAR, "MX", "BEV", 200, 5_200_000.0),
        (*YEAR, "RU", "BEV", 410, 12_300_000.0),
        (*YEAR, "RU", "EREV", 80, 2_640_000.0),
        (*YEAR, "RU", "ICE", 460, 7_360_000.0),
        (*YEAR, "RU", "PHEV", 200, 6_000_000.0),
        (*YEAR, "SA", "BEV", 30, 900_000.0),
    ]


def test_a_month_counts_in_every_period_that_holds_it() -> None:
    official = read_comtrade(GOOD)  # annual 2024 and March 2024
    store = roll_up_months(
        months(
            [
                (dt.date(2024, 3, 1), "TH", "BEV", 50, 1.0),
                (dt.date(2024, 3, 15), "TH", "BEV", 5, 1.0),
                (dt.date(2024, 7, 1), "TH", "BEV", 7, 1.0),
            ]
        ),
        official,
    )
    assert store.select("period_start", "vehicles").rows() == [(YEAR[0], 62), (MARCH[0], 55)]


def pick(result: pl.DataFrame, partner: str, group: str) -> tuple[object, ...]:
    row = result.filter((pl.col("partner_country") == partner) & (pl.col("hs_group") == group)).row(
        0, named=True
    )
    return (
        row["official_vehicles"],
        row["carexport_vehicles"],
        row["difference_vehicles"],
        None if row["difference_pct"] is None else round(row["difference_pct"], 2),
        row["official_value_usd"],
        row["carexport_value_usd"],
        row["difference_value_usd"],
        None if row["difference_value_pct"] is None else round(row["difference_value_pct"], 2),
    )


def test_reconciliation_by_group_checked_by_hand() -> None:
    result = reconcile(roll_up_months(STORE_MONTHS, OFFICIAL), OFFICIAL)
    assert result.schema == RECONCILIATION_SCHEMA
    assert set(result.select("period_start", "period_end").rows()) == {YEAR}
    # Electric: MX, RU, SA (carexport only) and the total; plug-in hybrid, hybrid and
    # combustion: RU (MX has no such official rows and no such cars) and the total; all:
    # MX, RU, SA and the total.
    assert result.select("hs_group", "partner_country").rows() == [
        ("electric", "MX"),
        ("electric", "RU"),
        ("electric", "SA"),
        ("electric", ALL_PARTNERS),
        ("plug-in hybrid", "RU"),
        ("plug-in hybrid", ALL_PARTNERS),
        ("hybrid", "RU"),
        ("hybrid", ALL_PARTNERS),
        ("combustion", "RU"),
        ("combustion", ALL_PARTNERS),
        ("all", "MX"),
        ("all", "RU"),
        ("all", "SA"),
        ("all", ALL_PARTNERS),
    ]
    # RU all: carexport 410 BEV + 280 plug-in + 460 ICE = 1,150 against 1,200: -50, -50 /
    # 1,200 = -4.17%; value 12.3M + 8.64M + 7.36M = 28.3M against 30M: -1.7M, -5.67%.
    assert pick(result, "RU", "all") == (
        1_200, 1_150, -50, -4.17, 30_000_000.0, 28_300_000.0, -1_700_000.0, -5.67
    )  # fmt: skip
    # RU electric: 410 against 400: +10, +2.5%; 12.3M against 12M: +0.3M, +2.5%.
    assert pick(result, "RU", "electric") == (
        400, 410, 10, 2.5, 12_000_000.0, 12_300_000.0, 300_000.0, 2.5
    )  # fmt: skip
    # RU plug-in hybrid: PHEV 200 + EREV 80 = 280 against 300: -20, -6.67%;
    # 6M + 2.64M = 8.64M against 9M: -0.36M, -4%.
    assert pick(result, "RU", "plug-in hybrid") == (
        300, 280, -20, -6.67, 9_000_000.0, 8_640_000.0, -360_000.0, -4.0
    )  # fmt: skip
    # RU hybrid: no HEV shipped, 100 official: -100, -100%.
    assert pick(result, "RU", "hybrid") == (
        100, 0, -100, -100.0, 2_000_000.0, 0.0, -2_000_000.0, -100.0
    )  # fmt: skip
    # RU combustion: 460 against 400 (870323 only): +60, +15%; 7.36M against 7M: +0.36M,
    # 0.36 / 7 = +5.14%.
    assert pick(result, "RU", "combustion") == (
        400, 460, 60, 15.0, 7_000_000.0, 7_360_000.0, 360_000.0, 5.14
    )  # fmt: skip
    # MX electric: 200 against 200: 0, 0%; 5.2M against 5M: +0.2M, +4%.
    assert pick(result, "MX", "electric") == (
        200, 200, 0, 0.0, 5_000_000.0, 5_200_000.0, 200_000.0, 4.0
    )  # fmt: skip
    # MX all: 200 against 500: -300, -60%; 5.2M against 10M: -4.8M, -48%.
    assert pick(result, "MX", "all") == (
        500, 200, -300, -60.0, 10_000_000.0, 5_200_000.0, -4_800_000.0, -48.0
    )  # fmt: skip
    # SA is only in carexport: official 0, no percentage.
    assert pick(result, "SA", "electric") == (0, 30, 30, None, 0.0, 900_000.0, 900_000.0, None)
    # Totals. Electric: official 400 + 200 = 600, carexport 410 + 200 + 30 = 640: +40,
    # 40 / 600 = +6.67%; value 12M + 5M = 17M against 12.3M + 5.2M + 0.9M = 18.4M: +1.4M,
    # 1.4 / 17 = +8.24%.
    assert pick(result, ALL_PARTNERS, "electric") == (
        600, 640, 40, 6.67, 17_000_000.0, 18_400_000.0, 1_400_000.0, 8.24
    )  # fmt: skip
    # All: official 1,200 + 500 = 1,700, carexport 1,150 + 200 + 30 = 1,380: -320,
    # 320 / 1,700 = -18.82%; value 40M against 28.3M + 5.2M + 0.9M = 34.4M: -5.6M, -14%.
    assert pick(result, ALL_PARTNERS, "all") == (
        1_700, 1_380, -320, -18.82, 40_000_000.0, 34_400_000.0, -5_600_000.0, -14.0
    )  # fmt: skip


def test_reconciliation_at_8703_only() -> None:
    result = reconcile(roll_up_months(STORE_MONTHS, OFFICIAL), OFFICIAL, level="total")
    assert result.select("partner_country", "hs_group", "difference_vehicles").rows() == [
        ("MX", "all", -300),
        ("RU", "all", -50),
        ("SA", "all", 30),
        (ALL_PARTNERS, "all", -320),
    ]
    with pytest.raises(CarexportError):
        reconcile(roll_up_months(STORE_MONTHS, OFFICIAL), OFFICIAL, level="hs")


def test_groups_are_compared_only_where_the_official_file_has_them() -> None:
    store = roll_up_months(STORE_MONTHS, OFFICIAL)
    # Only the heading: everything is compared at 8703.
    heading_only = reconcile(store, OFFICIAL.filter(pl.col("hs_code") == "8703"))
    assert set(heading_only["hs_group"]) == {"all"}
    # Only 870380: electric, and no 'all' (the other cars are not in the file).
    electric_only = reconcile(store, OFFICIAL.filter(pl.col("hs_code") == "870380"))
    assert set(electric_only["hs_group"]) == {"electric"}
    # Every group's subheadings and no heading: 'all' is their sum, for RU 400 + 300 +
    # 100 + 400 = 1,200 official against 1,150.
    subheadings = reconcile(store, OFFICIAL.filter(pl.col("hs_code") != "8703"))
    assert pick(subheadings, "RU", "all")[:4] == (1_200, 1_150, -50, -4.17)


def test_an_unknown_figure_is_never_summed_as_zero() -> None:
    # RU's electric quantity is not in units (null): RU's and the total's differences are
    # unknown, while the values still compare.
    official = official_frame(
        [("RU", "870380", None, 12_000_000.0), ("MX", "870380", 200, 5_000_000.0)]
    )
    result = reconcile(roll_up_months(STORE_MONTHS, official), official)
    assert pick(result, "RU", "electric")[:4] == (None, 410, None, None)
    assert pick(result, ALL_PARTNERS, "electric")[:4] == (None, 640, None, None)
    assert pick(result, ALL_PARTNERS, "electric")[4:] == (
        17_000_000.0, 18_400_000.0, 1_400_000.0, 8.24
    )  # fmt: skip


def test_reconciliation_of_the_comtrade_file() -> None:
    official = read_comtrade(GOOD)
    store = roll_up_months(
        months(
            [
                (dt.date(2024, 3, 1), "RU", "BEV", 1_450, 29_000_000.0),
                (dt.date(2024, 3, 1), "RU", "ICE", 78_000, 1_250_000_000.0),
                (dt.date(2024, 9, 1), "GB", "BEV", 103_000, 2_100_000_000.0),
            ]
        ),
        official,
    )
    result = reconcile(store, official)
    # March, all: RU 1,450 + 78,000 = 79,450 against 82,000: -2,550, -3.11%.
    march = result.filter(pl.col("period_start") == MARCH[0])
    assert pick(march, "RU", "all")[:4] == (82_000, 79_450, -2_550, -3.11)
    # March, electric: the file has TH's 6,800 only, so RU's 1,450 BEVs stand against 0.
    assert pick(march, "RU", "electric")[:4] == (0, 1_450, 1_450, None)
    # 2024, GB electric: 103,000 against 105,000: -2,000, -1.90%; value 2.1bn against
    # 2.205bn: -105M, -4.76%.
    year = result.filter(pl.col("period_start") == YEAR[0])
    assert pick(year, "GB", "electric") == (
        105_000, 103_000, -2_000, -1.9, 2_205_000_000.0, 2_100_000_000.0, -105_000_000.0, -4.76
    )  # fmt: skip
    # 2024, all partners, all: 2,470,000 official (the partners listed, not the World's
    # 5,860,000) against 79,450 + 103,000 = 182,450.
    assert pick(year, ALL_PARTNERS, "all")[:3] == (2_470_000, 182_450, -2_287_550)


def test_unknown_powertrain_and_missing_columns_are_errors() -> None:
    store = roll_up_months(STORE_MONTHS, OFFICIAL)
    with pytest.raises(CarexportError, match="powertrain"):
        reconcile(store.with_columns(pl.lit("FCEV").alias("powertrain")), OFFICIAL)
    with pytest.raises(CarexportError, match="value_usd"):
        reconcile(store.drop("value_usd"), OFFICIAL)


def test_more_than_one_reporter_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text(
        "reporterISO,period,flowCode,partnerISO,cmdCode,qtyUnitCode,qty,primaryValue\n"
        "CHN,2024,X,RUS,8703,5,10,100000\n"
        "DEU,2024,X,RUS,8703,5,20,900000\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as raised:
        read_comtrade(path, skip_invalid=True)
    [problem] = raised.value.problems
    assert (problem.field, problem.value) == ("reporterISO", "CHN, DEU")
