"""Export KPIs from the export cube (kpi.repository): units and value by any dimension and
period, growth on the same period a year before, NEV share, share of national exports.

Pure: a cube frame and a network snapshot in, a frame out. Values: the order's unit value
in USD per vehicle; CNY at the month's CNY-per-USD rate (network exchange_rates.csv;
months after the table use its latest rate, and the result says so).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from carexport.errors import CarexportError
from carexport.network.schemas import Basis, StatUnit
from carexport.network.snapshot import NetworkSnapshot

DIMENSIONS = ("brand", "group", "market", "region", "powertrain", "nev", "origin")
PERIODS = ("month", "quarter", "year", "ytd")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Which official count a carexport count is compared with: customs clearances with the
# customs count (GACC); a plan is nearest to what manufacturers report (CAAM).
NATIONAL_BASIS = {"customs": (Basis.GACC, Basis.CAAM), "planned": (Basis.CAAM, Basis.GACC)}

EXPORTS_SCHEMA_DOC = """\
period (label), period_start, period_end, <dimensions>, vehicles, value_usd, value_cny,
nev_vehicles, nev_share_pct (of vehicles), nev_value_share_pct, vehicles_year_before,
yoy_pct (vehicles), value_yoy_pct (CNY), national_units, national_basis,
share_of_national_pct, share_basis (e.g. 'customs/GACC', or 'customs/CAAM (mixed bases)')"""


@dataclass(frozen=True)
class ExportView:
    frame: pl.DataFrame
    basis: str
    period: str
    by: tuple[str, ...]
    notes: tuple[str, ...]


def parse_by(text: str) -> tuple[str, ...]:
    """'brand,market' -> ('brand', 'market'); '' or 'none' -> ()."""
    parts = tuple(p.strip().lower() for p in text.split(",") if p.strip())
    if parts in ((), ("none",)):
        return ()
    unknown = [p for p in parts if p not in DIMENSIONS]
    if unknown:
        raise CarexportError(
            f"cannot group exports by {unknown[0]!r}",
            hint=f"use none or a comma list of {', '.join(DIMENSIONS)}",
        )
    if len(set(parts)) != len(parts):
        raise CarexportError(f"--by names a dimension twice: {text!r}", hint="name each once")
    return parts


def export_view(
    cube: pl.DataFrame,
    snapshot: NetworkSnapshot,
    *,
    basis: str,
    by: tuple[str, ...] = (),
    period: str = "year",
    through: dt.date | None = None,
) -> ExportView:
    """Exports by period and dimensions (columns: EXPORTS_SCHEMA_DOC). ytd periods run from
    January to the month of `through` (default: the latest month with exports) each year."""
    if period not in PERIODS:
        raise CarexportError(f"unknown period {period!r}", hint=f"use one of {', '.join(PERIODS)}")
    notes: list[str] = []
    monthly = _monthly(cube, snapshot, notes)
    if monthly.is_empty():
        notes.append(f"no vehicle is exported on the {basis} basis in the store yet")
    latest = monthly["month"].max() if monthly.height else None
    last_month = through or (latest if isinstance(latest, dt.date) else None)
    periods = _with_period(monthly, period, last_month)
    keys = ["year", "sub", *by]
    totals = periods.group_by(keys).agg(
        pl.col("vehicles").sum(),
        pl.col("value_usd").sum(),
        pl.col("value_cny").sum(),
        pl.col("vehicles").filter(pl.col("nev")).sum().alias("nev_vehicles"),
        pl.col("value_cny").filter(pl.col("nev")).sum().alias("_nev_value_cny"),
    )
    before = totals.select(
        (pl.col("year") + 1).alias("year"),
        "sub",
        *by,
        pl.col("vehicles").alias("vehicles_year_before"),
        pl.col("value_cny").alias("_value_cny_before"),
    )
    result = totals.join(before, on=keys, how="left", nulls_equal=True).with_columns(
        (100 * pl.col("nev_vehicles") / pl.col("vehicles")).alias("nev_share_pct"),
        (100 * pl.col("_nev_value_cny") / pl.col("value_cny")).alias("nev_value_share_pct"),
        (100 * (pl.col("vehicles") / pl.col("vehicles_year_before") - 1)).alias("yoy_pct"),
        (100 * (pl.col("value_cny") / pl.col("_value_cny_before") - 1)).alias("value_yoy_pct"),
    )
    result = _with_labels(result, period, last_month)
    result = _with_national_share(result, snapshot, basis, notes)
    columns = [
        "period",
        "period_start",
        "period_end",
        *by,
        "vehicles",
        "value_usd",
        "value_cny",
        "nev_vehicles",
        "nev_share_pct",
        "nev_value_share_pct",
        "vehicles_year_before",
        "yoy_pct",
        "value_yoy_pct",
        "national_units",
        "national_basis",
        "share_of_national_pct",
        "share_basis",
    ]
    frame = result.select(columns).sort("period_start", *by)
    return ExportView(frame, basis, period, by, tuple(notes))


def _monthly(cube: pl.DataFrame, snapshot: NetworkSnapshot, notes: list[str]) -> pl.DataFrame:
    """The cube with its month as a date, the dimensions resolved and the value in CNY."""
    variants = snapshot.variants
    powertrain = {v: variants[v].powertrain.value for v in variants}
    nev = {v: variants[v].powertrain.is_nev for v in variants}
    region = {c: m.region.value for c, m in snapshot.markets.items()}
    group = {b: (brand.group or brand.id) for b, brand in snapshot.brands.items()}
    monthly = cube.with_columns(
        pl.col("month").str.to_date("%Y-%m"),
    ).with_columns(
        pl.col("brand").replace_strict(group, default=pl.col("brand")).alias("group"),
        pl.col("country").alias("market"),
        pl.col("country").replace_strict(region, default="unknown").alias("region"),
        pl.col("variant").replace_strict(powertrain, default="unknown").alias("powertrain"),
        pl.col("variant").replace_strict(nev, default=False, return_dtype=pl.Boolean).alias("nev"),
    )
    rates: dict[dt.date, float] = {}
    carried: dict[dt.date, dt.date] = {}
    for month in monthly["month"].unique().to_list():
        found = snapshot.cny_per_usd(month)
        if found is None:
            raise CarexportError(
                f"no CNY-per-USD rate for {month:%Y-%m} or any month before it",
                hint="add the month to exchange_rates.csv and load the network again",
            )
        rates[month], used = found
        if used != month:
            carried[month] = used
    if carried:
        first, last = min(carried), max(carried)
        notes.append(
            f"CNY values of {first:%Y-%m}..{last:%Y-%m} use the latest rate in the table "
            f"({max(carried.values()):%Y-%m}); add those months to exchange_rates.csv"
        )
    return monthly.with_columns(
        (
            pl.col("value_usd")
            * pl.col("month").replace_strict(rates, default=None, return_dtype=pl.Float64)
        ).alias("value_cny")
    )


def _with_period(monthly: pl.DataFrame, period: str, last: dt.date | None) -> pl.DataFrame:
    """year and sub (the period within the year: month, quarter, 0 for year, M for ytd)."""
    year = pl.col("month").dt.year().cast(pl.Int32).alias("year")
    month = pl.col("month").dt.month().cast(pl.Int32)
    if period == "month":
        return monthly.with_columns(year, month.alias("sub"))
    if period == "quarter":
        return monthly.with_columns(year, ((month - 1) // 3 + 1).alias("sub"))
    if period == "year":
        return monthly.with_columns(year, pl.lit(0, pl.Int32).alias("sub"))
    through = last.month if last else 12
    return monthly.filter(month <= through).with_columns(
        year, pl.lit(through, pl.Int32).alias("sub")
    )


def _with_labels(frame: pl.DataFrame, period: str, last: dt.date | None) -> pl.DataFrame:
    rows = frame.select("year", "sub").unique().iter_rows()
    spans = {(y, s): _span(period, y, s) for y, s in rows}
    lookup = pl.DataFrame(
        {
            "year": [k[0] for k in spans],
            "sub": [k[1] for k in spans],
            "period": [v[0] for v in spans.values()],
            "period_start": [v[1] for v in spans.values()],
            "period_end": [v[2] for v in spans.values()],
        },
        schema={
            "year": pl.Int32,
            "sub": pl.Int32,
            "period": pl.String,
            "period_start": pl.Date,
            "period_end": pl.Date,
        },
    )
    return frame.join(lookup, on=["year", "sub"], how="left")


def _span(period: str, year: int, sub: int) -> tuple[str, dt.date, dt.date]:
    if period == "month":
        return f"{year}-{sub:02d}", dt.date(year, sub, 1), _month_end(year, sub)
    if period == "quarter":
        return f"{year}-Q{sub}", dt.date(year, 3 * sub - 2, 1), _month_end(year, 3 * sub)
    if period == "year":
        return str(year), dt.date(year, 1, 1), dt.date(year, 12, 31)
    return f"{year} Jan-{MONTH_NAMES[sub - 1]}", dt.date(year, 1, 1), _month_end(year, sub)


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _with_national_share(
    frame: pl.DataFrame, snapshot: NetworkSnapshot, basis: str, notes: list[str]
) -> pl.DataFrame:
    """China's exports over the same span, on the nearest official basis, and the share."""
    preferred = NATIONAL_BASIS.get(basis, (Basis.GACC, Basis.CAAM))
    national: dict[tuple[dt.date, dt.date], tuple[float, str]] = {}
    for stat in snapshot.statistics:
        if stat.scope != "CHINA" or stat.metric != "export_units" or stat.unit != StatUnit.UNITS:
            continue
        span = (stat.period_start, stat.period_end)
        rank = preferred.index(stat.basis) if stat.basis in preferred else len(preferred)
        if span not in national or rank < preferred.index(Basis(national[span][1])):
            national[span] = (stat.value, stat.basis.value)
    starts, ends, units, bases, labels = [], [], [], [], []
    for (start, end), (value, official) in national.items():
        starts.append(start)
        ends.append(end)
        units.append(value)
        bases.append(official)
        mixed = official != preferred[0].value
        labels.append(f"{basis}/{official}" + (" (mixed bases)" if mixed else ""))
    lookup = pl.DataFrame(
        {
            "period_start": starts,
            "period_end": ends,
            "national_units": units,
            "national_basis": bases,
            "share_basis": labels,
        },
        schema={
            "period_start": pl.Date,
            "period_end": pl.Date,
            "national_units": pl.Float64,
            "national_basis": pl.String,
            "share_basis": pl.String,
        },
    )
    joined = frame.join(lookup, on=["period_start", "period_end"], how="left")
    if joined["national_units"].is_not_null().any() and basis == "planned":
        notes.append("share of national on the planned basis compares a plan with counts made")
    return joined.with_columns(
        (100 * pl.col("vehicles") / pl.col("national_units")).alias("share_of_national_pct")
    )
