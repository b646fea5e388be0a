"""carexport's exported vehicles against official statistics (a UN Comtrade file read by
carexport.kpi.comtrade), by partner country, period and HS group (pure: frames in, out).

The official file is taken as complete for every period and HS group it holds: a partner
it does not list there exported nothing (0), and a partner carexport did not ship to shows
carexport 0. Periods and groups the official file does not hold are left out, so that a
file with only the 8703 heading is compared at 8703 ('all') and never reads as 0 electric
cars; and a group holding only some of its subheadings (870323 alone for combustion) is
compared with them alone, so take all of 8703's subheadings, or the heading only. A sum
over rows of which one is null (quantity not in units, value unknown) is null:
a partial figure would show a difference that is not there.
"""

from __future__ import annotations

import polars as pl

from carexport.errors import CarexportError
from carexport.kpi.comtrade import HS_GROUPS, hs_group, powertrain_group

# carexport's exports by month, the input of roll_up_months.
STORE_MONTHS_SCHEMA = pl.Schema(
    {
        "month": pl.Date(),  # the first day of the month (any day of it is taken as the month)
        "partner_country": pl.String(),  # ISO 3166-1 alpha-2 of the destination
        "powertrain": pl.String(),  # BEV, PHEV, EREV, HEV or ICE
        "vehicles": pl.Int64(),  # vehicles exported
        "value_usd": pl.Float64(),  # their export value, USD
    }
)
# carexport's exports per official period, the store input of reconcile.
STORE_SCHEMA = pl.Schema(
    {
        "period_start": pl.Date(),
        "period_end": pl.Date(),
        "partner_country": pl.String(),
        "powertrain": pl.String(),
        "vehicles": pl.Int64(),
        "value_usd": pl.Float64(),
    }
)
# What reconcile returns: one row per period, HS group and partner, then the period's
# and group's total over partners (partner_country ALL_PARTNERS).
RECONCILIATION_SCHEMA = pl.Schema(
    {
        "period_start": pl.Date(),
        "period_end": pl.Date(),
        "partner_country": pl.String(),  # ISO alpha-2, or ALL_PARTNERS
        "hs_group": pl.String(),  # electric, plug-in hybrid, hybrid, combustion, all
        "official_vehicles": pl.Int64(),
        "carexport_vehicles": pl.Int64(),
        "difference_vehicles": pl.Int64(),  # carexport - official
        "difference_pct": pl.Float64(),  # difference_vehicles / official x 100; null if 0 or null
        "official_value_usd": pl.Float64(),
        "carexport_value_usd": pl.Float64(),
        "difference_value_usd": pl.Float64(),  # carexport - official
        "difference_value_pct": pl.Float64(),  # difference_value_usd / official x 100
    }
)
ALL_PARTNERS = "all partners"
# group: electric, plug-in hybrid, hybrid and combustion where the official file has
# subheadings, and all (8703); total: only all.
LEVELS = ("group", "total")

_PERIOD = ["period_start", "period_end"]
_KEYS = [*_PERIOD, "partner_country", "hs_group"]
_OFFICIAL_COLUMNS = [*_PERIOD, "partner_country", "hs_code", "vehicles", "value_usd"]
_SUBGROUPS = [g for g in HS_GROUPS if g != "all"]


def roll_up_months(store_months: pl.DataFrame, official: pl.DataFrame) -> pl.DataFrame:
    """carexport's monthly exports (STORE_MONTHS_SCHEMA) summed into each period of the
    official frame (its period_start and period_end), as STORE_SCHEMA. A month counts in
    every period that contains it (March 2024 in both 2024 and March 2024); months in no
    period are left out."""
    _require(store_months, list(STORE_MONTHS_SCHEMA), "carexport's monthly exports")
    _require(official, _PERIOD, "the official figures")
    periods = official.select(pl.col(c).cast(pl.Date) for c in _PERIOD).unique()
    months = store_months.select(
        pl.col("month").cast(pl.Date).dt.month_start(),
        _country(pl.col("partner_country")),
        pl.col("powertrain").str.strip_chars().str.to_uppercase(),
        pl.col("vehicles").cast(pl.Int64),
        pl.col("value_usd").cast(pl.Float64),
    )
    inside = (pl.col("month") >= pl.col("period_start")) & (
        pl.col("month").dt.month_end() <= pl.col("period_end")
    )
    return (
        months.join(periods, how="cross")
        .filter(inside)
        .group_by([*_PERIOD, "partner_country", "powertrain"])
        .agg(_sum("vehicles"), _sum("value_usd"))
        .sort([*_PERIOD, "partner_country", "powertrain"])
        .select(STORE_SCHEMA.keys())
        .cast(STORE_SCHEMA)
    )


def reconcile(store: pl.DataFrame, official: pl.DataFrame, *, level: str = "group") -> pl.DataFrame:
    """carexport's exports (STORE_SCHEMA, on the official periods: see roll_up_months)
    against the official ones (carexport.kpi.comtrade.COMTRADE_SCHEMA), as
    RECONCILIATION_SCHEMA.

    Powertrains fall in HS groups (BEV electric, PHEV and EREV plug-in hybrid, HEV hybrid,
    ICE combustion; see carexport.kpi.comtrade). A group is compared in the periods where
    the official frame has one of its subheadings. 'all' is every car: officially the 8703
    rows where the period has any, else the sum of the subheadings if all four groups are
    there, else not compared. The partner total sums the partners in the official frame
    (its World row, left out by read_comtrade, also counts partners not listed).
    """
    if level not in LEVELS:
        raise CarexportError(f"unknown level {level!r}", hint=f"use one of {', '.join(LEVELS)}")
    _require(store, list(STORE_SCHEMA), "carexport's exports")
    _require(official, _OFFICIAL_COLUMNS, "the official figures")

    official = official.select(
        *(pl.col(c).cast(pl.Date) for c in _PERIOD),
        _country(pl.col("partner_country")),
        pl.col("hs_code").cast(pl.String).str.strip_chars(),
        pl.col("vehicles").cast(pl.Int64),
        pl.col("value_usd").cast(pl.Float64),
    )
    groups = {code: hs_group(code) for code in official["hs_code"].unique().to_list()}
    official = official.with_columns(
        pl.col("hs_code").replace_strict(groups, return_dtype=pl.String).alias("hs_group")
    )
    by_group = _totals(official.filter(pl.col("hs_group") != "all"), _KEYS)
    heading = _totals(official.filter(pl.col("hs_group") == "all"), _KEYS)
    complete = (
        by_group.group_by(_PERIOD)
        .agg(pl.col("hs_group").n_unique().alias("_groups"))
        .filter(pl.col("_groups") == len(_SUBGROUPS))
        .join(heading.select(_PERIOD).unique(), on=_PERIOD, how="anti")
    )
    from_subheadings = _totals(
        by_group.join(complete, on=_PERIOD, how="semi"), [*_PERIOD, "partner_country"]
    ).with_columns(pl.lit("all").alias("hs_group"))
    official_all = pl.concat([heading, from_subheadings.select(heading.columns)])
    compared = official_all if level == "total" else pl.concat([by_group, official_all])

    store = store.select(
        *(pl.col(c).cast(pl.Date) for c in _PERIOD),
        _country(pl.col("partner_country")),
        pl.col("powertrain").cast(pl.String),
        pl.col("vehicles").cast(pl.Int64),
        pl.col("value_usd").cast(pl.Float64),
    )
    store_groups = {p: powertrain_group(p) for p in store["powertrain"].unique().to_list()}
    store = store.with_columns(
        pl.col("powertrain").replace_strict(store_groups, return_dtype=pl.String).alias("hs_group")
    )
    carexport = pl.concat(
        [
            _totals(store, _KEYS),
            _totals(store, [*_PERIOD, "partner_country"])
            .with_columns(pl.lit("all").alias("hs_group"))
            .select(*_KEYS, "vehicles", "value_usd"),
        ]
    ).join(compared.select(*_PERIOD, "hs_group").unique(), on=[*_PERIOD, "hs_group"], how="semi")

    joined = (
        compared.rename({"vehicles": "official_vehicles", "value_usd": "official_value_usd"})
        .with_columns(pl.lit(True).alias("_official"))
        .join(
            carexport.rename(
                {"vehicles": "carexport_vehicles", "value_usd": "carexport_value_usd"}
            ).with_columns(pl.lit(True).alias("_carexport")),
            on=_KEYS,
            how="full",
            coalesce=True,
        )
    )
    side = {
        "official_vehicles": "_official",
        "official_value_usd": "_official",
        "carexport_vehicles": "_carexport",
        "carexport_value_usd": "_carexport",
    }
    figures = list(side)
    # Absent on one side is 0 there; present with a null figure stays null.
    partners = joined.with_columns(
        pl.when(pl.col(present).is_null()).then(0).otherwise(pl.col(c)).alias(c)
        for c, present in side.items()
    ).select(*_KEYS, *figures)
    totals = (
        partners.group_by([*_PERIOD, "hs_group"])
        .agg(*(_sum(c) for c in figures))
        .with_columns(pl.lit(ALL_PARTNERS).alias("partner_country"))
        .select(partners.columns)
    )
    order = {group: index for index, group in enumerate(HS_GROUPS)}
    return (
        pl.concat([partners, totals])
        .cast(pl.Schema({c: RECONCILIATION_SCHEMA[c] for c in figures}))
        .with_columns(
            (pl.col("carexport_vehicles") - pl.col("official_vehicles")).alias(
                "difference_vehicles"
            ),
            (pl.col("carexport_value_usd") - pl.col("official_value_usd")).alias(
                "difference_value_usd"
            ),
        )
        .with_columns(
            _percent("difference_vehicles", "official_vehicles").alias("difference_pct"),
            _percent("difference_value_usd", "official_value_usd").alias("difference_value_pct"),
        )
        .sort(
            *_PERIOD,
            pl.col("hs_group").replace_strict(order, return_dtype=pl.Int64),
            pl.col("partner_country") == ALL_PARTNERS,
            "partner_country",
        )
        .select(RECONCILIATION_SCHEMA.keys())
        .cast(RECONCILIATION_SCHEMA)
    )


def _totals(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return (
        frame.group_by(keys)
        .agg(_sum("vehicles"), _sum("value_usd"))
        .select(*keys, "vehicles", "value_usd")
    )


def _sum(column: str) -> pl.Expr:
    """The sum, null if any of the summed figures is null."""
    return (
        pl.when(pl.col(column).null_count() > 0)
        .then(None)
        .otherwise(pl.col(column).sum())
        .alias(column)
    )


def _percent(difference: str, official: str) -> pl.Expr:
    return (
        pl.when(pl.col(official).is_null() | (pl.col(official) == 0))
        .then(None)
        .otherwise(pl.col(difference).cast(pl.Float64) / pl.col(official) * 100)
    )


def _country(column: pl.Expr) -> pl.Expr:
    return column.cast(pl.String).str.strip_chars().str.to_uppercase().alias("partner_country")


def _require(frame: pl.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CarexportError(
            f"{what} lack column(s) {', '.join(missing)}",
            hint=f"give {what} the columns {', '.join(columns)}",
        )
