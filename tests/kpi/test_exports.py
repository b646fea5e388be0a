"""The export KPIs from a store, on both backends, against the same figures computed
independently here with plain Python loops over the orders and the events sent."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import defaultdict

import pytest
from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.errors import CarexportError
from carexport.kpi.exports import parse_by
from carexport.kpi.service import exports
from carexport.network.dataset import builtin_folder, read_dataset
from carexport.network.service import load_dataset
from carexport.orders.generate import generate
from carexport.orders.service import ImportOptions, import_orders
from carexport.tracking.ingest import ingest, numbered, raw_frame

ORG = "acme"
NOW = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def book() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    snapshot = read_dataset(builtin_folder()).snapshot()
    generated = generate(
        snapshot, months=2, start=dt.date(2023, 11, 1), vehicles_per_year=900, seed=5
    )
    orders = generated.orders.to_dicts()
    vehicles = generated.vehicles.to_dicts()
    return orders, vehicles


def _clearances(vehicles: list[dict[str, object]]) -> dict[str, dt.datetime]:
    """Two thirds of the VINs cleared, spread over Dec 2023 .. Feb 2025 (same each run)."""
    rng = random.Random(11)
    cleared = {}
    for v in vehicles:
        if rng.random() < 2 / 3:
            day = dt.datetime(2023, 12, 1, 6, tzinfo=dt.UTC) + dt.timedelta(days=rng.randrange(450))
            cleared[str(v["vin"])] = day
    return cleared


@pytest.fixture
def store(engine: Engine, book: tuple[list[dict[str, object]], list[dict[str, object]]]) -> Engine:
    from carexport.network.repository import load_snapshot
    from carexport.orders.intake import ORDER_COLUMNS, VEHICLE_COLUMNS, read_records

    orders, vehicles = book
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, builtin_folder())
        snapshot = load_snapshot(session, ORG)
        as_text = [{k: str(v) for k, v in o.items()} for o in orders]
        report = import_orders(
            session,
            ORG,
            snapshot,
            read_records("orders", as_text, ORDER_COLUMNS),
            read_records("vehicles", vehicles, VEHICLE_COLUMNS),
            ImportOptions(),
            source="test",
        )
        assert report.committed and not report.errors, report.errors[:3]
    events = [
        {
            "vin": vin,
            "code": "EXPORT_CLEARED",
            "node": "CN_QINZHOU",
            "event_time": at.isoformat(),
            "event_id": f"C-{vin}",
        }
        for vin, at in _clearances(vehicles).items()
    ]
    # A second clearance later (a re-export) does not count the car twice.
    first = events[0]
    events.append({**first, "event_time": "2025-02-20T00:00:00+00:00", "event_id": "again"})
    with unit_of_work(engine) as session:
        result = ingest(session, ORG, numbered(raw_frame(events)), source="test", now=NOW)
        assert result.rejected == 0, result.problems[:3]
    return engine


def _expected(
    book: tuple[list[dict[str, object]], list[dict[str, object]]],
) -> dict[tuple[int, str], list[float]]:
    """(year, brand) -> [vehicles, value_usd, value_cny, nev vehicles], by hand."""
    orders, vehicles = book
    snapshot = read_dataset(builtin_folder()).snapshot()
    rates = {}
    with (builtin_folder() / "exchange_rates.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rates[row["month"][:7]] = float(row["cny_per_usd"])
    by_order = {o["order_id"]: o for o in orders}
    totals: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0])
    cleared = _clearances(vehicles)
    for v in vehicles:
        at = cleared.get(str(v["vin"]))
        if at is None:
            continue
        order = by_order[v["order_id"]]
        price = float(order["unit_value_usd"])  # type: ignore[arg-type]
        entry = totals[at.year, str(order["brand"])]
        entry[0] += 1
        entry[1] += price
        entry[2] += price * rates[f"{at:%Y-%m}"]
        entry[3] += snapshot.variants[str(order["variant"])].powertrain.is_nev
    return totals


def test_exports_by_year_and_brand_match_a_hand_count(
    store: Engine, book: tuple[list[dict[str, object]], list[dict[str, object]]]
) -> None:
    expected = _expected(book)
    with unit_of_work(store) as session:
        view = exports(session, ORG, basis="customs", by=("brand",), period="year")
    got = {(int(r["period"]), r["brand"]): r for r in view.frame.iter_rows(named=True)}
    assert set(got) == set(expected)
    for key, (vehicles, usd, cny, nev) in expected.items():
        row = got[key]
        assert row["vehicles"] == vehicles
        assert row["value_usd"] == pytest.approx(usd)
        assert row["value_cny"] == pytest.approx(cny)
        assert row["nev_share_pct"] == pytest.approx(100 * nev / vehicles)
    for (year, brand), row in got.items():
        before = expected.get((year - 1, brand))
        if before:
            assert row["yoy_pct"] == pytest.approx(100 * (row["vehicles"] / before[0] - 1))
        else:
            assert row["yoy_pct"] is None


def test_share_of_china_uses_the_customs_count_for_customs_clearances(
    store: Engine, book: tuple[list[dict[str, object]], list[dict[str, object]]]
) -> None:
    expected = _expected(book)
    cleared_2024 = sum(v[0] for (year, _), v in expected.items() if year == 2024)
    with unit_of_work(store) as session:
        view = exports(session, ORG, basis="customs", period="year")
    row = view.frame.filter(view.frame["period"] == "2024").row(0, named=True)
    assert row["vehicles"] == cleared_2024
    assert row["national_units"] == 6_410_000 and row["national_basis"] == "GACC"
    assert row["share_basis"] == "customs/GACC"
    assert row["share_of_national_pct"] == pytest.approx(100 * cleared_2024 / 6_410_000)
    # 2025 has only the manufacturers' count: used, and labelled as mixed.
    row = view.frame.filter(view.frame["period"] == "2025").row(0, named=True)
    assert row["share_basis"] == "customs/CAAM (mixed bases)"


def test_year_to_date_compares_the_same_months(store: Engine) -> None:
    with unit_of_work(store) as session:
        month = exports(session, ORG, basis="customs", period="month").frame
        ytd = exports(
            session, ORG, basis="customs", period="ytd", through=dt.date(2025, 2, 28)
        ).frame
    jan_feb = {
        year: sum(
            r["vehicles"]
            for r in month.iter_rows(named=True)
            if r["period"] in (f"{year}-01", f"{year}-02")
        )
        for year in (2024, 2025)
    }
    rows = {r["period"]: r for r in ytd.iter_rows(named=True)}
    assert rows["2025 Jan-Feb"]["vehicles"] == jan_feb[2025]
    assert rows["2025 Jan-Feb"]["vehicles_year_before"] == jan_feb[2024]


def test_planned_basis_without_a_plan_is_empty_and_says_so(store: Engine) -> None:
    with unit_of_work(store) as session:
        view = exports(session, ORG, basis="planned", period="year")
    assert view.frame.is_empty()
    assert any("planned basis" in n for n in view.notes)


@pytest.mark.parametrize(
    ("text", "fix"),
    [("bogus", "comma list"), ("brand,brand", "each once")],
)
def test_bad_dimensions_are_clear_errors(text: str, fix: str) -> None:
    with pytest.raises(CarexportError) as error:
        parse_by(text)
    assert fix in (error.value.hint or "")


def test_bad_basis_and_period_are_clear_errors(store: Engine) -> None:
    with unit_of_work(store) as session:
        with pytest.raises(CarexportError, match="export basis"):
            exports(session, ORG, basis="shipped")
        with pytest.raises(CarexportError, match="period"):
            exports(session, ORG, period="week")


def test_reconciliation_of_the_store_with_comtrade_by_hand(
    store: Engine, book: tuple[list[dict[str, object]], list[dict[str, object]]]
) -> None:
    """The store's 2024 clearances per partner against the test Comtrade file's 8703 rows
    (level total): carexport's count by hand here, the official one read with csv."""
    from pathlib import Path

    from carexport.kpi.comtrade import read_comtrade
    from carexport.kpi.service import reconcile_with

    path = Path(__file__).parents[1] / "data" / "comtrade" / "china_exports_8703_2024.csv"
    iso2 = {"RUS": "RU", "MEX": "MX", "ARE": "AE", "SAU": "SA", "THA": "TH", "KAZ": "KZ"}
    iso2 |= {"GBR": "GB", "DEU": "DE"}
    official = {}
    with path.open(encoding="cp1252") as handle:
        for row in csv.DictReader(handle):
            export = row["flowCode"] == "X" and row["freqCode"] == "A"
            if export and row["cmdCode"] == "8703" and row["partnerISO"] in iso2:
                official[iso2[row["partnerISO"]]] = int(row["qty"])
    orders, vehicles = book
    country = {o["order_id"]: o["destination_country"] for o in orders}
    ours: dict[str, int] = defaultdict(int)
    for v in vehicles:
        at = _clearances(vehicles).get(str(v["vin"]))
        if at is not None and at.year == 2024:
            ours[str(country[v["order_id"]])] += 1
    with unit_of_work(store) as session:
        frame = reconcile_with(session, ORG, read_comtrade(path), level="total")
    rows = {
        r["partner_country"]: r
        for r in frame.iter_rows(named=True)
        if r["period_start"] == dt.date(2024, 1, 1) and r["period_end"] == dt.date(2024, 12, 31)
    }
    for partner, count in official.items():
        row = rows[partner]
        assert row["official_vehicles"] == count
        assert row["carexport_vehicles"] == ours.get(partner, 0)
        assert row["difference_vehicles"] == ours.get(partner, 0) - count
        assert row["difference_pct"] == pytest.approx(100 * (ours.get(partner, 0) - count) / count)
    total = rows["all partners"]
    # RU 1,020,000 + MX 445,000 + AE 280,000 + SA 265,000 + TH 160,000 + KZ 110,000
    # + GB 190,000 = 2,470,000 (World and the DEU import row left out)
    assert total["official_vehicles"] == sum(official.values()) == 2_470_000


def _counts(engine: Engine) -> list[tuple[str, str, str, int]]:
    from sqlalchemy import select

    from carexport.tracking.tables import ExportCountRow as C

    with engine.connect() as connection:
        rows = connection.execute(
            select(C.basis, C.month, C.order_id, C.vehicles)
            .where(C.org_id == ORG)
            .order_by(C.basis, C.month, C.order_id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_counts_kept_at_ingest_and_planning_equal_a_recount(
    store: Engine, book: tuple[list[dict[str, object]], list[dict[str, object]]]
) -> None:
    from carexport.tracking import repository
    from carexport.tracking.milestones import pack
    from carexport.tracking.service import recount_exports

    _orders, vehicles = book
    vin = str(vehicles[0]["vin"])
    order_of = {str(v["vin"]): str(v["order_id"]) for v in vehicles}
    with unit_of_work(store) as session:
        # An earlier clearance moves the car into an earlier month; a later one does not.
        early = {"vin": vin, "code": "EXPORT_CLEARED", "node": "CN_QINZHOU"}
        ingest(
            session,
            ORG,
            numbered(raw_frame([{**early, "event_time": "2023-11-15T00:00:00Z"}])),
            source="test",
            now=NOW,
        )
        # Plans for three VINs: two export in March 2025, one never leaves China.
        import polars as pl

        planned = [str(v["vin"]) for v in vehicles[1:4]]
        at = dt.datetime(2025, 3, 10, tzinfo=dt.UTC)
        milestones = pl.DataFrame(
            {
                "vin": planned[:2] + planned[2:],
                "seq": [1, 1, 1],
                "code": ["EXPORT_CLEARED", "EXPORT_CLEARED", "RELEASED"],
                "node": ["CN_QINZHOU"] * 3,
                "lane_id": [None, None, None],
                "planned_at": [at, at, at],
            },
            schema_overrides={"lane_id": pl.String, "planned_at": pl.Datetime("us", "UTC")},
        )
        plans = pack(milestones).with_columns(
            pl.lit("p1").alias("plan_id"), pl.lit(None, pl.Date).alias("due_date")
        )
        repository.store_vehicle_plans(session, ORG, plans)
        # Re-planned a month later: the counts move, they do not add up.
        later = milestones.with_columns(pl.col("planned_at") + dt.timedelta(days=31))
        repository.store_vehicle_plans(
            session,
            ORG,
            pack(later).with_columns(
                pl.lit("p2").alias("plan_id"), pl.lit(None, pl.Date).alias("due_date")
            ),
        )
    kept = _counts(store)
    customs_of_vin = [c for c in kept if c[0] == "customs" and c[1] == "2023-11"]
    assert (customs_of_vin[0][2], customs_of_vin[0][3]) == (order_of[vin], 1)
    planned_rows = [c for c in kept if c[0] == "planned"]
    by_order: dict[str, int] = defaultdict(int)
    for p in planned[:2]:
        by_order[order_of[p]] += 1
    assert planned_rows == [("planned", "2025-04", o, n) for o, n in sorted(by_order.items())]
    with unit_of_work(store) as session:
        recount_exports(session, ORG)
    assert _counts(store) == kept
    total = sum(n for b, _, _, n in kept if b == "customs")
    assert total == len(_clearances(vehicles))  # one count per cleared car
