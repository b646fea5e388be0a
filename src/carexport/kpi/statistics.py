"""Official and reported statistics as series, and the seed article's figures recomputed
from them. Pure: reads a network snapshot's statistics, exchange rates, targets, nodes and
dealers.

A level and its growth are separate rows (unit units / cny_bn and yoy_pct /
yoy_change_units); the level a year before is derived from them, never stored twice.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from carexport.network.schemas import ExportStatistic, StatUnit
from carexport.network.snapshot import NetworkSnapshot

SEED_ARTICLE = "iChongqing, 25 Dec 2024 (S1)"
SEED_MONTH = dt.date(2024, 12, 1)  # published 25 Dec 2024: its dollar figures use that rate


def find(
    snapshot: NetworkSnapshot,
    scope: str,
    metric: str,
    unit: StatUnit,
    start: dt.date,
    end: dt.date,
    basis: str | None = None,
) -> ExportStatistic | None:
    for stat in snapshot.statistics:
        if (
            stat.scope == scope
            and stat.metric == metric
            and stat.unit == unit
            and stat.period_start == start
            and stat.period_end == end
            and (basis is None or stat.basis == basis)
        ):
            return stat
    return None


def yearly(
    snapshot: NetworkSnapshot, scope: str, metric: str, unit: StatUnit, basis: str | None = None
) -> list[ExportStatistic]:
    """Full-year rows of a series, oldest first."""
    return [
        s
        for s in snapshot.statistics
        if s.scope == scope
        and s.metric == metric
        and s.unit == unit
        and s.period_kind == "year"
        and (basis is None or s.basis == basis)
    ]


def level_a_year_before(level: float, yoy_pct: float) -> float:
    """The same period's level a year before, from a level and its growth in percent."""
    return level / (1 + yoy_pct / 100)


@dataclass(frozen=True)
class SeedFigure:
    """One figure of the seed article: what it says, and what the stored data gives."""

    key: str
    says: str  # the article's words for it
    value: float  # recomputed from the stored statistics
    shown: str  # the value written as the article writes it (same digits)
    how: str  # the arithmetic, with the stored figures
    source: str


def _fmt_millions(value: float) -> str:
    return f"{value / 1e6:.1f} million"


def seed_figures(snapshot: NetworkSnapshot) -> tuple[list[SeedFigure], list[str]]:
    """Every seed figure the data holds, recomputed; and what the data lacks to do so."""
    figures: list[SeedFigure] = []
    missing: list[str] = []
    q3 = (dt.date(2024, 1, 1), dt.date(2024, 9, 30))
    oct_ = (dt.date(2024, 1, 1), dt.date(2024, 10, 31))

    def stat(scope: str, metric: str, unit: StatUnit, span: tuple[dt.date, dt.date]) -> float:
        found = find(snapshot, scope, metric, unit, *span)
        if found is None:
            missing.append(f"{scope} {metric} ({unit.value}) {span[0]}..{span[1]}")
            return math.nan
        return found.value

    china = stat("CHINA", "export_units", StatUnit.UNITS, q3)
    more = stat("CHINA", "export_units", StatUnit.YOY_CHANGE_UNITS, q3)
    if not math.isnan(china):
        figures.append(
            SeedFigure(
                "china_exports_q1_q3_2024",
                "China's car exports reached 4.7 million units in the first three quarters",
                china,
                _fmt_millions(china),
                "stored: CHINA export_units Jan-Sep 2024, GACC (customs basis)",
                "S1;S2",
            )
        )
    if not (math.isnan(china) or math.isnan(more)):
        figures.append(
            SeedFigure(
                "china_exports_q1_q3_2023",
                "an increase of nearly 1 million compared to the same period last year",
                china - more,
                _fmt_millions(china - more),
                f"{china:,.0f} - {more:,.0f} (nearly 1 million) = Jan-Sep 2023",
                "D (S1;S2)",
            )
        )
    value = stat("CHONGQING", "export_value", StatUnit.CNY_BN, q3)
    growth = stat("CHONGQING", "export_value", StatUnit.YOY_PCT, q3)
    nev_growth = stat("CHONGQING", "nev_export_value", StatUnit.YOY_PCT, q3)
    rate = snapshot.cny_per_usd(SEED_MONTH)
    if rate is None:
        missing.append(f"the CNY-per-USD rate of {SEED_MONTH:%Y-%m} (the article's month)")
    if not math.isnan(value):
        figures.append(
            SeedFigure(
                "chongqing_export_value_cny",
                "the export value of made-in-Chongqing cars reached 31.7 billion yuan",
                value,
                f"{value:.1f} billion yuan",
                "stored: CHONGQING export_value Jan-Sep 2024",
                "S1;S2",
            )
        )
        if rate is not None:
            usd = value / rate[0]
            figures.append(
                SeedFigure(
                    "chongqing_export_value_usd",
                    "($4.34 billion)",
                    usd,
                    f"${usd:.2f} billion",
                    f"{value} bn CNY / {rate[0]:.2f} CNY per USD ({rate[1]:%Y-%m})",
                    "D (S1;S2; rate A)",
                )
            )
    if not math.isnan(growth):
        figures.append(
            SeedFigure(
                "chongqing_export_value_growth",
                "a 34 percent increase year-on-year",
                growth,
                f"{growth:.0f} percent",
                "stored: CHONGQING export_value Jan-Sep 2024, yoy_pct",
                "S1;S2",
            )
        )
        if not math.isnan(value):
            before = level_a_year_before(value, growth)
            figures.append(
                SeedFigure(
                    "chongqing_export_value_q1_q3_2023",
                    "(implied) export value in the first three quarters of 2023",
                    before,
                    f"{before:.1f} billion yuan",
                    f"{value} / (1 + {growth:g}%) = Jan-Sep 2023",
                    "D (S1;S2)",
                )
            )
    if not math.isnan(nev_growth):
        figures.append(
            SeedFigure(
                "chongqing_nev_export_growth",
                "new energy vehicle exports growing by 131.9 percent",
                nev_growth,
                f"{nev_growth:.1f} percent",
                "stored: CHONGQING nev_export_value Jan-Sep 2024, yoy_pct",
                "S1;S2",
            )
        )
    sales = stat("CHANGAN", "overseas_sales_units", StatUnit.UNITS, oct_)
    sales_growth = stat("CHANGAN", "overseas_sales_units", StatUnit.YOY_PCT, oct_)
    if not math.isnan(sales):
        figures.append(
            SeedFigure(
                "changan_overseas_sales",
                "Changan's own brand overseas sales reached 318,553 vehicles (first 10 months)",
                sales,
                f"{sales:,.0f} vehicles",
                "stored: CHANGAN overseas_sales_units Jan-Oct 2024",
                "A",
            )
        )
    if not math.isnan(sales_growth):
        figures.append(
            SeedFigure(
                "changan_overseas_sales_growth",
                "a 61.81 percent increase year-on-year",
                sales_growth,
                f"{sales_growth:.2f} percent",
                "stored: CHANGAN overseas_sales_units Jan-Oct 2024, yoy_pct",
                "A",
            )
        )
        if not math.isnan(sales):
            before = level_a_year_before(sales, sales_growth)
            low = level_a_year_before(sales, sales_growth + 0.005)
            high = level_a_year_before(sales, sales_growth - 0.005)
            figures.append(
                SeedFigure(
                    "changan_overseas_sales_2023",
                    "(implied) own-brand overseas sales in Jan-Oct 2023",
                    before,
                    f"{round(before):,} vehicles",
                    f"{sales:,.0f} / {1 + sales_growth / 100:.4f}; as 61.81% is rounded, "
                    f"{math.ceil(low):,} to {math.floor(high):,}",
                    "D (A)",
                )
            )
    apll = stat("CHANGAN_MINSHENG_APLL", "logistics_export_vehicles", StatUnit.UNITS, oct_)
    if not math.isnan(apll):
        figures.append(
            SeedFigure(
                "apll_export_vehicles",
                "logistic services for more than 280,000 vehicles from Chongqing (10 months)",
                apll,
                f"{apll:,.0f} vehicles",
                "stored: CHANGAN_MINSHENG_APLL logistics_export_vehicles Jan-Oct 2024",
                "A",
            )
        )
    figures.extend(_seed_targets(snapshot, missing))
    rayong = snapshot.nodes.get("TH_RAYONG")
    if rayong is not None and rayong.production_start is not None:
        start = rayong.production_start
        figures.append(
            SeedFigure(
                "rayong_production_start",
                "expected to start production in the first quarter of next year (2025)",
                float(start.year),
                f"{start.year}-Q{(start.month - 1) // 3 + 1}",
                f"stored: TH_RAYONG production_start {start}",
                ";".join(rayong.source),
            )
        )
    else:
        missing.append("TH_RAYONG production_start")
    showroom = [
        d
        for d in snapshot.dealers.values()
        if d.brand_id == "AVATR" and d.country == "TH" and d.opening_date == dt.date(2024, 11, 5)
    ]
    if showroom:
        figures.append(
            SeedFigure(
                "avatr_first_thai_showroom",
                "On November 5, Avatr's first showroom in Thailand opened",
                float(showroom[0].opening_date.day),
                f"{showroom[0].opening_date:%d %b %Y}",
                f"stored: dealer {showroom[0].id} opening_date",
                ";".join(showroom[0].source),
            )
        )
    return figures, missing


_SEED_TARGETS = (
    ("T_CQ_SHARE_NATIONAL_2027", "10 percent of China's total annual vehicle exports by 2027"),
    ("T_CHANGAN_OVERSEAS_SALES_2030", "sell over 1.2 million vehicles annually overseas by 2030"),
    ("T_AVATR_COUNTRIES_2024", "sales channels in 25 countries and regions by the end of 2024"),
    ("T_AVATR_COUNTRIES_2025", "cover 50 countries and regions next year"),
    ("T_AVATR_COUNTRIES_2027", "by 2027 ... 80 countries and regions"),
    ("T_AVATR_STORES_2027", "... with 280 overseas stores"),
)


def _seed_targets(snapshot: NetworkSnapshot, missing: list[str]) -> list[SeedFigure]:
    figures = []
    for target_id, says in _SEED_TARGETS:
        target = snapshot.targets.get(target_id)
        if target is None:
            missing.append(f"target {target_id}")
            continue
        shown = (
            f"{target.value / 1e6:.1f} million"
            if target.value >= 1e6
            else f"{target.value:,.0f}" + (" percent" if target.unit == "pct" else "")
        )
        figures.append(
            SeedFigure(
                target_id.lower(),
                says,
                target.value,
                f"{shown} by {target.deadline.year}",
                f"stored: target {target_id} ({target.metric}, {target.scope})",
                ";".join(target.source),
            )
        )
    return figures
