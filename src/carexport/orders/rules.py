"""The checks an export order must pass, vectorised over whole files.

Input: RawTables of text cells (see intake.py) and a NetworkSnapshot. Output: typed
frames of the rows that passed and one Problem per failure, located by file, row and
column. Checks that need an earlier field resolved (a model needs its brand) only run
where that field resolved, so one typo is reported once, not as a cascade.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import polars as pl

from carexport.errors import Problem
from carexport.network.paths import fastest_days_to_markets
from carexport.network.schemas import NodeKind
from carexport.network.snapshot import NetworkSnapshot
from carexport.orders import vin as vin_rules
from carexport.orders.intake import ROW, RawTable

DEFAULT_PRIORITY = 3
_DATE = r"^\d{4}-\d{2}-\d{2}([ T]00:00(:00(\.0+)?)?)?$"

ORDER_FIELDS = (
    "order_id",
    "brand_id",
    "model_id",
    "variant_id",
    "quantity",
    "origin_node",
    "destination_country",
    "destination_node",
    "dealer_id",
    "ready_date",
    "due_date",
    "unit_value_usd",
    "priority",
)


@dataclass
class Checked:
    """Typed rows plus every problem; `bad_orders` are the order ids with an error."""

    file: str
    orders: pl.DataFrame
    vehicles: pl.DataFrame
    problems: list[Problem] = field(default_factory=list)
    bad_orders: set[str] = field(default_factory=set)
    vehicles_file: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class _Reporter:
    """Turns failing rows of a frame into Problems and remembers which orders failed."""

    def __init__(self, file: str, problems: list[Problem], bad: set[str]) -> None:
        self.file, self.problems, self.bad = file, problems, bad

    def report(
        self,
        frame: pl.DataFrame,
        failing: pl.Expr,
        column: str,
        message: str | pl.Expr,
        hint: str,
        *,
        value: str | None = None,
        severity: str = "error",
        order_column: str = "order_id",
    ) -> None:
        text = message if isinstance(message, pl.Expr) else pl.lit(message)
        shown = pl.col(value or column) if (value or column) in frame.columns else pl.lit(None)
        failed = frame.filter(failing).select(
            pl.col(ROW),
            shown.cast(pl.String).alias("_value"),
            text.alias("_message"),
            pl.col(order_column).alias("_order")
            if order_column in frame.columns
            else pl.lit(None, pl.String).alias("_order"),
        )
        for row, cell, msg, order in failed.iter_rows():
            self.problems.append(Problem(self.file, row, column, cell, msg, hint, severity))
            if severity == "error" and order is not None:
                self.bad.add(order)


def _lookup(mapping: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"_key": list(mapping), "_id": list(mapping.values())},
        schema={"_key": pl.String, "_id": pl.String},
    )


def check_orders(table: RawTable, snapshot: NetworkSnapshot) -> Checked:
    problems: list[Problem] = list(table.problems)
    bad: set[str] = set()
    r = _Reporter(table.file, problems, bad)
    f = table.frame
    if not table.ok or f.is_empty():
        if table.ok and f.is_empty():
            problems.append(
                Problem(
                    table.file,
                    None,
                    None,
                    None,
                    "no orders in the file",
                    hint="add one order per row below the header",
                )
            )
        return Checked(table.file, f.clear(), pl.DataFrame(), problems, bad)

    # --- order_id: present, short enough, unique in the file -----------------------------
    r.report(
        f, pl.col("order_id").is_null(), "order_id", "order_id is empty", "give every order an id"
    )
    r.report(
        f,
        pl.col("order_id").str.len_chars() > 64,
        "order_id",
        "order_id is longer than 64 characters",
        "shorten the id",
    )
    f = _report_repeats(
        r,
        f,
        "order_id",
        "order_id repeated",
        "give each order one row (sum the quantities) or use distinct ids",
    )

    # --- numbers and dates ----------------------------------------------------------------
    f = f.with_columns(
        pl.col("quantity").str.replace(r"\.0+$", "").cast(pl.Int64, strict=False).alias("_qty"),
        _parse_date("ready_date").alias("_ready"),
        _parse_date("due_date").alias("_due"),
        pl.col("unit_value_usd")
        .str.replace_all(",", "")
        .cast(pl.Float64, strict=False)
        .alias("_value"),
        pl.col("priority").str.replace(r"\.0+$", "").cast(pl.Int64, strict=False).alias("_prio"),
    )
    r.report(
        f,
        pl.col("quantity").is_null(),
        "quantity",
        "quantity is empty",
        "give the number of vehicles",
    )
    r.report(
        f,
        pl.col("quantity").is_not_null() & (pl.col("_qty").is_null() | (pl.col("_qty") < 1)),
        "quantity",
        "quantity must be a whole number of vehicles, at least 1",
        "write e.g. 40",
    )
    for column, parsed in (("ready_date", "_ready"), ("due_date", "_due")):
        r.report(f, pl.col(column).is_null(), column, f"{column} is empty", "write YYYY-MM-DD")
        r.report(
            f,
            pl.col(column).is_not_null() & pl.col(parsed).is_null(),
            column,
            "not a valid date",
            "write YYYY-MM-DD (e.g. 2025-03-01) or use an Excel date cell",
        )
    r.report(
        f,
        pl.col("_due") < pl.col("_ready"),
        "due_date",
        pl.format("due date is before the ready date {}", pl.col("ready_date")),
        "the due date must be on or after the ready date",
    )
    r.report(
        f,
        pl.col("unit_value_usd").is_not_null()
        & (pl.col("_value").is_null() | (pl.col("_value") < 0)),
        "unit_value_usd",
        "not a non-negative number",
        "write the value in USD, e.g. 23500",
    )
    r.report(
        f,
        pl.col("priority").is_not_null()
        & (pl.col("_prio").is_null() | ~pl.col("_prio").is_between(1, 5)),
        "priority",
        "priority must be a whole number from 1 (most urgent) to 5",
        "write 1, 2, 3, 4 or 5 (3 when in doubt)",
    )

    # --- brand, model, variant ------------------------------------------------------------
    brands = {b.id.lower(): b.id for b in snapshot.brands.values()}
    brands.update({b.name.lower(): b.id for b in snapshot.brands.values()})
    f = f.join(
        _lookup(brands).rename({"_id": "brand_id"}),
        left_on=pl.col("brand").str.to_lowercase(),
        right_on="_key",
        how="left",
    )
    r.report(
        f,
        pl.col("brand").is_not_null() & pl.col("brand_id").is_null(),
        "brand",
        "unknown brand",
        "use one of " + ", ".join(sorted(snapshot.brands)),
    )

    models = pl.DataFrame(
        [
            (m.brand_id, key.lower(), m.id)
            for m in snapshot.models.values()
            for key in (m.id, m.name)
        ],
        schema={"brand_id": pl.String, "_mkey": pl.String, "model_id": pl.String},
        orient="row",
    ).unique()
    f = f.with_columns(pl.col("model").str.to_lowercase().alias("_mkey")).join(
        models, on=["brand_id", "_mkey"], how="left"
    )
    r.report(
        f,
        pl.col("brand_id").is_not_null()
        & pl.col("model").is_not_null()
        & pl.col("model_id").is_null(),
        "model",
        pl.format("unknown model for brand {}", pl.col("brand_id")),
        "use a model id or name from vehicle_models.csv of that brand",
    )

    f = _resolve_variant(f, snapshot, r)

    # --- origin and destination -------------------------------------------------------------
    plants = [n.id for n in snapshot.nodes.values() if n.kind == NodeKind.PLANT]
    f = f.with_columns(pl.col("origin").str.to_uppercase().alias("_origin"))
    f = f.with_columns(
        pl.when(pl.col("_origin").is_in(plants)).then(pl.col("_origin")).alias("origin_node")
    )
    r.report(
        f,
        pl.col("origin").is_not_null() & pl.col("origin_node").is_null(),
        "origin",
        "origin is not a plant",
        "use a plant id: " + ", ".join(sorted(plants)),
    )
    f = _resolve_destination(f, snapshot, r)
    _check_dealer_open(f, snapshot, r)

    # --- market rules: drive side, homologation, a path that arrives in time ----------------
    market_side = {c: snapshot.drive_side(c).value for c in snapshot.markets}
    variant_side = {v.id: v.drive_side.value for v in snapshot.variants.values()}
    f = f.with_columns(
        pl.col("destination_country").replace_strict(market_side, default=None).alias("_mside"),
        pl.col("variant_id").replace_strict(variant_side, default=None).alias("_vside"),
    )
    r.report(
        f,
        pl.col("_mside").is_not_null()
        & pl.col("_vside").is_not_null()
        & (pl.col("_mside") != pl.col("_vside")),
        "variant",
        pl.format(
            "a {} car cannot go to {}, which registers {} cars",
            pl.col("_vside"),
            pl.col("destination_country"),
            pl.col("_mside"),
        ),
        "order the variant with the other drive side",
        value="variant_id",
    )
    homologated = pl.DataFrame(
        [(v.id, c) for v in snapshot.variants.values() for c in snapshot.variant_markets(v)],
        schema={"variant_id": pl.String, "destination_country": pl.String},
        orient="row",
    ).with_columns(pl.lit(True).alias("_homologated"))
    f = f.join(homologated, on=["variant_id", "destination_country"], how="left")
    r.report(
        f,
        pl.col("variant_id").is_not_null()
        & pl.col("destination_country").is_not_null()
        & (pl.col("_mside") == pl.col("_vside"))
        & pl.col("_homologated").is_null(),
        "variant",
        pl.format(
            "variant {} is not homologated for {}",
            pl.col("variant_id"),
            pl.col("destination_country"),
        ),
        "choose a variant approved for that market (see variants.csv homologations)",
        value="variant_id",
    )
    f = _check_paths(f, snapshot, r)

    # --- typed result ---------------------------------------------------------------------
    prices = {v.id: v.unit_price_usd for v in snapshot.variants.values()}
    typed = f.select(
        pl.col(ROW),
        pl.col("order_id"),
        pl.col("brand_id"),
        pl.col("model_id"),
        pl.col("variant_id"),
        pl.col("_qty").alias("quantity"),
        pl.col("origin_node"),
        pl.col("destination_country"),
        pl.col("destination_node"),
        pl.col("dealer_id"),
        pl.col("_ready").alias("ready_date"),
        pl.col("_due").alias("due_date"),
        pl.coalesce(
            pl.col("_value"),
            pl.col("variant_id").replace_strict(prices, default=None, return_dtype=pl.Float64),
        ).alias("unit_value_usd"),
        pl.col("_value").alias("unit_value_given"),
        pl.col("_prio").fill_null(DEFAULT_PRIORITY).alias("priority"),
        pl.col("_nev").alias("nev"),
    ).sort(ROW)
    return Checked(table.file, typed, pl.DataFrame(), problems, bad)


def _report_repeats(
    r: _Reporter, f: pl.DataFrame, column: str, message: str, hint: str
) -> pl.DataFrame:
    """Report every row whose value in column already stood on an earlier row."""
    first = f.group_by(column).agg(pl.col(ROW).min().alias("_first"))
    f = f.join(first, on=column, how="left")
    r.report(
        f,
        pl.col(column).is_not_null() & (pl.col(ROW) != pl.col("_first")),
        column,
        pl.format(message + ": first on row {}", pl.col("_first")),
        hint,
    )
    return f.drop("_first")


def _parse_date(column: str) -> pl.Expr:
    text = pl.col(column)
    return pl.when(text.str.contains(_DATE)).then(
        text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    )


def _resolve_variant(f: pl.DataFrame, snapshot: NetworkSnapshot, r: _Reporter) -> pl.DataFrame:
    rows = [
        (v.model_id, key.lower(), v.id, v.drive_side.value, v.powertrain.value, v.powertrain.is_nev)
        for v in snapshot.variants.values()
        for key in (v.id, v.name)
    ]
    variants = pl.DataFrame(
        rows,
        orient="row",
        schema={
            "model_id": pl.String,
            "_vkey": pl.String,
            "_vid": pl.String,
            "_side": pl.String,
            "_pt": pl.String,
            "_is_nev": pl.Boolean,
        },
    ).unique()
    f = f.with_columns(
        pl.col("variant").str.to_lowercase().alias("_vkey"),
        pl.col("drive_side").str.to_uppercase().alias("_want_side"),
        pl.col("powertrain").str.to_uppercase().alias("_want_pt"),
    )
    named = f.join(
        variants.select("model_id", "_vkey", "_vid"), on=["model_id", "_vkey"], how="left"
    ).rename({"_vid": "_named"})
    r.report(
        named,
        pl.col("model_id").is_not_null()
        & pl.col("variant").is_not_null()
        & pl.col("_named").is_null(),
        "variant",
        pl.format("unknown variant for model {}", pl.col("model_id")),
        "use a variant id or name from variants.csv of that model",
    )
    # Without a variant, drive side + powertrain must pick exactly one variant of the model.
    by_spec = (
        variants.select("model_id", "_vid", "_side", "_pt")
        .unique()
        .group_by("model_id", "_side", "_pt")
        .agg(pl.col("_vid").sort().alias("_choices"))
    )
    f = named.join(
        by_spec,
        left_on=["model_id", "_want_side", "_want_pt"],
        right_on=["model_id", "_side", "_pt"],
        how="left",
    )
    unnamed = pl.col("model_id").is_not_null() & pl.col("variant").is_null()
    r.report(
        f,
        unnamed & (pl.col("drive_side").is_null() | pl.col("powertrain").is_null()),
        "variant",
        "no variant, and drive_side and powertrain do not both say which",
        "give a variant id, or drive_side (LHD/RHD) and powertrain (BEV, PHEV, EREV, HEV, ICE)",
    )
    r.report(
        f,
        unnamed
        & pl.col("drive_side").is_not_null()
        & pl.col("powertrain").is_not_null()
        & pl.col("_choices").is_null(),
        "variant",
        pl.format(
            "model {} has no {} {} variant",
            pl.col("model_id"),
            pl.col("_want_side"),
            pl.col("_want_pt"),
        ),
        "check drive_side and powertrain, or give a variant id",
    )
    r.report(
        f,
        unnamed & (pl.col("_choices").list.len() > 1),
        "variant",
        pl.format(
            "drive_side and powertrain fit several variants: {}", pl.col("_choices").list.join(", ")
        ),
        "give the variant id",
    )
    f = f.with_columns(
        pl.when(pl.col("variant").is_not_null())
        .then(pl.col("_named"))
        .when(pl.col("_choices").list.len() == 1)
        .then(pl.col("_choices").list.first())
        .alias("variant_id")
    )
    nev = {v.id: v.powertrain.is_nev for v in snapshot.variants.values()}
    return f.with_columns(
        pl.col("variant_id")
        .replace_strict(nev, default=None, return_dtype=pl.Boolean)
        .alias("_nev")
    )


def _resolve_destination(f: pl.DataFrame, snapshot: NetworkSnapshot, r: _Reporter) -> pl.DataFrame:
    node_market = {n: c for c, m in snapshot.markets.items() for n in m.destination_nodes}
    dealer_country = {d.id.upper(): d.country for d in snapshot.dealers.values()}
    dealer_brand = {d.id.upper(): d.brand_id for d in snapshot.dealers.values()}
    f = f.with_columns(
        pl.col("destination_country").str.to_uppercase().alias("_country"),
        pl.col("destination_node").str.to_uppercase().alias("_node"),
        pl.col("dealer").str.to_uppercase().alias("_dealer"),
    ).with_columns(
        pl.col("_node").replace_strict(node_market, default=None).alias("_node_country"),
        pl.col("_dealer").replace_strict(dealer_country, default=None).alias("_dealer_country"),
        pl.col("_dealer").replace_strict(dealer_brand, default=None).alias("_dealer_brand"),
    )
    r.report(
        f,
        pl.col("_country").is_null() & pl.col("_node").is_null() & pl.col("_dealer").is_null(),
        "destination_country",
        "no destination",
        "give destination_country (a market), destination_node or dealer",
    )
    markets = sorted(snapshot.markets)
    r.report(
        f,
        pl.col("_country").is_not_null() & ~pl.col("_country").is_in(markets),
        "destination_country",
        "not a market",
        "use a market country code: " + ", ".join(markets),
    )
    r.report(
        f,
        pl.col("_node").is_not_null() & pl.col("_node_country").is_null(),
        "destination_node",
        "not a destination node of any market",
        "use a node listed in markets.csv destination_nodes",
    )
    r.report(
        f,
        pl.col("_dealer").is_not_null() & pl.col("_dealer_country").is_null(),
        "dealer",
        "unknown dealer",
        "use a dealer id from dealers.csv",
    )
    r.report(
        f,
        pl.col("_dealer_brand").is_not_null()
        & pl.col("brand_id").is_not_null()
        & (pl.col("_dealer_brand") != pl.col("brand_id")),
        "dealer",
        pl.format("dealer sells {}, not {}", pl.col("_dealer_brand"), pl.col("brand_id")),
        "deliver to a dealer of the order's brand",
    )
    resolved = pl.coalesce(
        pl.when(pl.col("_country").is_in(markets)).then(pl.col("_country")),
        pl.col("_node_country"),
        pl.col("_dealer_country"),
    )
    f = f.with_columns(
        resolved.alias("destination_country"),
        pl.col("_node").alias("destination_node"),
        pl.when(pl.col("_dealer_country").is_not_null()).then(pl.col("_dealer")).alias("dealer_id"),
    )
    for column, other in (("destination_node", "_node_country"), ("dealer", "_dealer_country")):
        r.report(
            f,
            pl.col(other).is_not_null() & (pl.col(other) != pl.col("destination_country")),
            column,
            pl.format(
                "is in {}, but the order goes to {}", pl.col(other), pl.col("destination_country")
            ),
            "make destination_country, destination_node and dealer agree",
        )
    return f


def _check_dealer_open(f: pl.DataFrame, snapshot: NetworkSnapshot, r: _Reporter) -> None:
    """A warning, not an error: opening dates are mostly estimates, and the car can wait."""
    opening = {d.id.upper(): d.opening_date for d in snapshot.dealers.values()}
    opens = pl.col("dealer_id").replace_strict(opening, default=None, return_dtype=pl.Date)
    r.report(
        f.with_columns(opens.alias("_dealer_opens")),
        pl.col("_dealer_opens") > pl.col("_due"),
        "dealer",
        pl.format(
            "dealer {} opens on {}, after the due date {}",
            pl.col("dealer_id"),
            pl.col("_dealer_opens"),
            pl.col("_due"),
        ),
        "deliver to a dealer open by the due date or to the destination port, or move the "
        "due date to the opening",
        severity="warning",
    )


def _check_paths(f: pl.DataFrame, snapshot: NetworkSnapshot, r: _Reporter) -> pl.DataFrame:
    """Every order needs a path; an NEV order one on NEV-allowed lanes, in time (else a warning)."""
    combos = (
        f.filter(
            pl.col("origin_node").is_not_null()
            & pl.col("destination_country").is_not_null()
            & pl.col("_nev").is_not_null()
        )
        .select("origin_node", "destination_country", "_nev")
        .unique()
        .rows()
    )
    cache: dict[tuple[str, bool], dict[str, float]] = {}
    for origin, _, nev in combos:
        if (origin, bool(nev)) not in cache:
            cache[(origin, bool(nev))] = fastest_days_to_markets(snapshot, origin, nev=bool(nev))
    fastest = [
        (origin, country, nev, cache[(origin, bool(nev))].get(country))
        for origin, country, nev in combos
    ]
    table = pl.DataFrame(
        fastest,
        orient="row",
        schema={
            "origin_node": pl.String,
            "destination_country": pl.String,
            "_nev": pl.Boolean,
            "_days": pl.Float64,
        },
    )
    f = f.join(table, on=["origin_node", "destination_country", "_nev"], how="left")
    known = (
        pl.col("origin_node").is_not_null()
        & pl.col("destination_country").is_not_null()
        & pl.col("_nev").is_not_null()
    )
    r.report(
        f,
        known & pl.col("_days").is_null(),
        "destination_country",
        pl.when(pl.col("_nev"))
        .then(
            pl.format(
                "no path on which NEVs are allowed leads from {} to {}",
                pl.col("origin_node"),
                pl.col("destination_country"),
            )
        )
        .otherwise(
            pl.format(
                "no path leads from {} to {}", pl.col("origin_node"), pl.col("destination_country")
            )
        ),
        "ship from another plant or add lanes to the network",
    )
    f = f.with_columns(
        (pl.col("_ready") + pl.duration(days=pl.col("_days").ceil().cast(pl.Int64))).alias(
            "_earliest"
        )
    )
    late = (pl.col("_earliest") - pl.col("_due")).dt.total_days()
    r.report(
        f,
        known & pl.col("_nev") & (late > 0),
        "due_date",
        pl.format(
            "the fastest NEV-allowed path takes {} days and would arrive on {}, {} day(s) late",
            pl.col("_days").round(1),
            pl.col("_earliest"),
            late,
        ),
        "move the due date or the ready date, or accept a late delivery",
        severity="warning",
    )
    return f


def content_hash(orders: pl.DataFrame) -> pl.Series:
    """A stable hash of each order's content (not of its row or import), for idempotency.

    The unit value is hashed as the file gave it: a blank one filled from the variant's
    list price must not turn an unchanged file into a conflict when that price changes.
    """
    fields = [c if c != "unit_value_usd" else "unit_value_given" for c in ORDER_FIELDS]
    text = orders.select(
        pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in fields], separator="|")
    )
    return pl.Series(
        "content_hash", [hashlib.sha1(t.encode()).hexdigest() for t in text.to_series().to_list()]
    )


def check_vehicles(table: RawTable, orders: Checked) -> Checked:
    """VIN rules, duplicates in the file, and one VIN per vehicle of each listed order."""
    problems = orders.problems
    problems.extend(table.problems)
    orders.vehicles_file = table.file
    r = _Reporter(table.file, problems, orders.bad_orders)
    f = table.frame
    if not table.ok or f.is_empty():
        if table.ok:
            problems.append(
                Problem(
                    table.file,
                    None,
                    None,
                    None,
                    "no vehicles in the file",
                    hint="add one VIN per row, or leave out the vehicle file",
                )
            )
        orders.vehicles = pl.DataFrame()
        return orders
    f = f.with_columns(pl.col("vin").str.to_uppercase().str.replace_all(r"\s", ""))
    r.report(f, pl.col("vin").is_null(), "vin", "VIN is empty", "give the 17-character VIN")
    vins = f["vin"].fill_null("").to_list()
    mask = vin_rules.invalid_mask(vins)
    if mask.any():
        bad_rows = f.filter(pl.Series(mask) & pl.col("vin").is_not_null())
        for row, vin, order in bad_rows.select(ROW, "vin", "order_id").iter_rows():
            problems.append(
                Problem(
                    table.file,
                    row,
                    "vin",
                    vin,
                    vin_rules.vin_problem(vin) or "",
                    "correct the VIN from the vehicle's plate or the plant's list",
                )
            )
            if order is not None:
                orders.bad_orders.add(order)
    f = _report_repeats(
        r, f, "vin", "VIN repeated", "a car is listed once; remove the repeated row"
    )
    f = f.with_columns(
        pl.col("soc_pct").str.replace(r"%$", "").cast(pl.Float64, strict=False).alias("_soc")
    )
    r.report(
        f,
        pl.col("soc_pct").is_not_null()
        & (pl.col("_soc").is_null() | ~pl.col("_soc").is_between(0, 100)),
        "soc_pct",
        "state of charge must be a number from 0 to 100",
        "write e.g. 30",
    )
    if "nev" not in orders.orders.columns:
        # The orders file could not be checked (a missing column, an unreadable file):
        # its problems say so, and the VINs cannot be matched to its orders.
        orders.vehicles = pl.DataFrame()
        return orders
    known_orders = orders.orders.select(
        "order_id", "quantity", pl.col(ROW).alias("_order_row"), "nev"
    ).unique("order_id", keep="first", maintain_order=True)
    f = f.join(known_orders, on="order_id", how="left")
    r.report(
        f,
        pl.col("order_id").is_null(),
        "order_id",
        "order_id is empty",
        "name the order the VIN belongs to",
    )
    r.report(
        f,
        pl.col("order_id").is_not_null() & pl.col("_order_row").is_null(),
        "order_id",
        "order is not in the orders file",
        "add the order or correct the order_id",
    )
    counts = (
        f.filter(pl.col("_order_row").is_not_null())
        .group_by("order_id")
        .agg(pl.len().alias("_vins"), pl.col("quantity").first(), pl.col("_order_row").first())
    )
    # A count mismatch is the order's problem: report it on the order's row.
    for order_id, vins_listed, quantity, order_row in (
        counts.filter(pl.col("_vins") != pl.col("quantity"))
        .select("order_id", "_vins", "quantity", "_order_row")
        .iter_rows()
    ):
        problems.append(
            Problem(
                orders.file,
                order_row,
                "quantity",
                str(quantity),
                f"order {order_id} is for {quantity} vehicles but the vehicle list has "
                f"{vins_listed} VINs for it",
                "list one VIN per vehicle, or correct the quantity",
            )
        )
        orders.bad_orders.add(order_id)
    orders.vehicles = f.filter(pl.col("vin").is_not_null()).select(
        ROW, "vin", "order_id", pl.col("_soc").alias("soc_pct")
    )
    return orders
