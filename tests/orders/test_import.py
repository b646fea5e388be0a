"""Importing orders into the database (SQLite, and PostgreSQL when configured): all or
nothing, idempotent, the same rows from every file format and backend, safe to kill."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from sqlalchemy import Engine, select

from carexport.db.migrate import upgrade
from carexport.db.session import make_engine, unit_of_work
from carexport.orders.generate import SYNTHETIC_NOTE, generate, write_order_book
from carexport.orders.service import ImportOptions, import_orders, read_files
from carexport.orders.tables import OrderRow, VehicleRow
from carexport.orders.vin import vin_problem, with_check_digit
from tests.orders.test_intake_rules import (
    BAD,
    GOOD,
    SNAPSHOT,
    E,
    assert_problems,
    run_import,
    table_counts,
)

ORG = "acme"
SHEETS = {"sheet": "orders", "vehicles_sheet": "vehicles"}
D = dt.date
# good/orders.csv as it must be stored, worked out by hand from the file and the built-in
# network: (order_id, brand, model, variant, quantity, origin, country, node, dealer, ready,
# due, unit value (the file's, else the variant's price), priority (the file's, else 3)).
EXPECTED_ORDERS = [
    ("PO-2027-0001", "CHANGAN", "CS35_PLUS", "CS35_PLUS_14T_LHD", 3, "CN_CQ_CHANGAN", "SA", None,
     None, D(2027, 3, 1), D(2027, 4, 30), 11500.0, 2),
    ("PO-2027-0002", "CHANGAN", "CS55_PLUS", "CS55_PLUS_15T_RHD", 2, "CN_CQ_CHANGAN", "TH",
     "TH_LCB", None, D(2027, 3, 2), D(2027, 4, 15), 14500.0, 3),
    ("PO-2027-0003", "DEEPAL", "DEEPAL_S07", "DEEPAL_S07_BEV_RHD", 2, "CN_CQ_CHANGAN", "AU", None,
     "D_DEEPAL_AU_01", D(2027, 3, 3), D(2027, 5, 15), 27000.0, 1),
    ("PO-2027-0004", "AVATR", "AVATR_11", "AVATR_11_BEV_LHD", 2, "CN_CQ_CHANGAN", "AE", None,
     None, D(2027, 3, 5), D(2027, 4, 20), 38000.0, 3),
    ("PO-2027-0005", "AITO", "AITO_M7", "AITO_M7_EREV_LHD", 2, "CN_CQ_SERES", "SA", None,
     "D_AITO_SA_01", D(2027, 3, 8), D(2027, 5, 10), 38000.0, 3),
    ("PO-2027-0006", "CHANGAN", "HUNTER", "HUNTER_20T_LHD", 1, "CN_CQ_CHANGAN", "MX", "MX_ZLO",
     None, D(2027, 3, 10), D(2027, 5, 1), 17000.0, 4),
    ("PO-2027-0007", "CHANGAN", "UNI_K", "UNI_K_IDD_LHD", 2, "CN_CQ_CHANGAN", "KZ", None, None,
     D(2027, 3, 12), D(2027, 4, 10), 26000.0, 3),
    ("PO-2027-0008", "CHANGAN", "CS75_PLUS", "CS75_PLUS_15T_RHD", 2, "TH_RAYONG", "AU", None,
     None, D(2027, 3, 15), D(2027, 5, 15), 17500.0, 1),
]  # fmt: skip
# Every column but the organisation and the import, in table order.
STORED = [c for c in OrderRow.__table__.columns if c.name not in ("org_id", "import_id")]


def good_vehicles() -> list[tuple[str, str, float | None]]:
    with (GOOD / "vehicles.csv").open(encoding="utf-8") as handle:
        return sorted(
            (r["VIN"], r["Order No"], float(r["SoC %"]) if r["SoC %"] else None)
            for r in csv.DictReader(handle)
        )


def stored(engine: Engine, org: str = ORG) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The organisation's orders (with status and hash) and vehicles, without import ids."""
    with unit_of_work(engine) as session:
        orders = session.execute(select(*STORED).where(OrderRow.org_id == org)).all()
        vehicles = session.execute(
            select(VehicleRow.vin, VehicleRow.order_id, VehicleRow.soc_pct).where(
                VehicleRow.org_id == org
            )
        ).all()
    return sorted(tuple(r) for r in orders), sorted(tuple(r) for r in vehicles)


def edited(name: str, folder: Path, old: str, new: str) -> Path:
    """A copy of good/<name> in folder with one piece of text replaced."""
    text_ = (GOOD / name).read_text(encoding="utf-8")
    assert text_.count(old) == 1, old
    (folder / name).write_text(text_.replace(old, new), encoding="utf-8")
    return folder / name


def test_good_csv_imports_and_a_second_import_changes_nothing(engine: Engine) -> None:
    first = run_import(engine, GOOD / "orders.csv", GOOD / "vehicles.csv")
    assert first.problems == []
    assert (first.orders_inserted, first.vehicles_inserted, first.committed) == (8, 16, True)
    assert first.changed and first.import_id is not None
    orders, vehicles = stored(engine)
    assert [o[:13] for o in orders] == EXPECTED_ORDERS
    assert {o[13] for o in orders} == {"open"}
    assert vehicles == good_vehicles()
    assert table_counts(engine) == (8, 16, 1)

    second = run_import(engine, GOOD / "orders.csv", GOOD / "vehicles.csv")
    assert second.problems == [] and second.committed
    assert (second.orders_inserted, second.orders_unchanged, second.vehicles_inserted) == (0, 8, 0)
    assert not second.changed and second.import_id is None
    assert table_counts(engine) == (8, 16, 1)  # no new rows, no order_import row
    assert stored(engine) == (orders, vehicles)


def test_csv_xlsx_and_json_of_the_same_book_store_the_same_rows(engine: Engine) -> None:
    run_import(engine, GOOD / "orders.csv", GOOD / "vehicles.csv", org="csv")
    run_import(engine, GOOD / "orders.xlsx", GOOD / "orders.xlsx", org="xlsx", **SHEETS)
    run_import(engine, GOOD / "orders.json", GOOD / "vehicles.json", org="json")
    from_csv = stored(engine, "csv")
    assert len(from_csv[0]) == 8 and len(from_csv[1]) == 16
    assert stored(engine, "xlsx") == from_csv
    assert stored(engine, "json") == from_csv


def test_sqlite_and_postgresql_store_the_same_rows(engine: Engine, tmp_path: Path) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("compares SQLite with the PostgreSQL engine of the postgresql run")
    lite = make_engine(f"sqlite:///{tmp_path / 'compare.db'}")
    try:
        upgrade(lite)
        for backend in (lite, engine):
            report = run_import(backend, GOOD / "orders.xlsx", GOOD / "orders.xlsx", **SHEETS)
            assert report.committed and report.problems == []
        assert stored(lite) == stored(engine)
        assert [o[:13] for o in stored(lite)[0]] == EXPECTED_ORDERS
    finally:
        lite.dispose()


def _changed_order_6(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """Order 6 now wants 2 pickups, due later, with two other VINs."""
    new_vins = [with_check_digit(f"LS5HU20L0VC00061{i}") for i in (1, 2)]
    orders = edited("orders.csv", tmp_path, ",1,CN_CQ_CHANGAN,,MX_ZLO,,2027-03-10,2027-05-01,",
                    ",2,CN_CQ_CHANGAN,,MX_ZLO,,2027-03-10,2027-05-20,")  # fmt: skip
    vehicles = edited("vehicles.csv", tmp_path, "LS5HU20L2VC000601,PO-2027-0006,\n",
                      "".join(f"{v},PO-2027-0006,\n" for v in new_vins))  # fmt: skip
    return orders, vehicles, new_vins


def test_changed_order_is_a_conflict_and_nothing_is_written(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, GOOD / "orders.csv", GOOD / "vehicles.csv")
    before = stored(engine)
    orders, vehicles, _ = _changed_order_6(tmp_path)
    report = run_import(engine, orders, vehicles)
    # Order 6 is on row 7; both its content and its VIN list differ from the stored ones.
    assert_problems(
        report.problems,
        [
            E("orders.csv", 7, "order_id", "already imported with different content", "PO-2027-0006"),
            E("orders.csv", 7, "order_id", "VIN list differs from the one already imported", "PO-2027-0006"),
        ],
    )  # fmt: skip
    assert not report.committed
    assert stored(engine) == before
    assert table_counts(engine) == (8, 16, 1)


def test_update_replaces_a_changed_order_and_its_vins(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, GOOD / "orders.csv", GOOD / "vehicles.csv")
    orders, vehicles, new_vins = _changed_order_6(tmp_path)
    report = run_import(engine, orders, vehicles, update=True)
    assert report.problems == [] and report.committed
    assert (report.orders_updated, report.orders_unchanged, report.orders_inserted) == (1, 7, 0)
    assert (report.vehicles_deleted, report.vehicles_inserted) == (1, 2)
    stored_orders, stored_vehicles = stored(engine)
    order_6 = next(o for o in stored_orders if o[0] == "PO-2027-0006")
    assert (order_6[4], order_6[10]) == (2, D(2027, 5, 20))
    assert sorted(v for v, o, _ in stored_vehicles if o == "PO-2027-0006") == sorted(new_vins)
    assert "LS5HU20L2VC000601" not in {v for v, _, _ in stored_vehicles}
    assert table_counts(engine) == (8, 17, 2)


def test_reimporting_the_same_file_after_a_price_change_is_a_no_op(engine: Engine) -> None:
    run_import(engine, GOOD / "orders.csv")
    variant = SNAPSHOT.variants["CS55_PLUS_15T_RHD"]  # order 2 gives no price of its own
    repriced = dataclasses.replace(
        SNAPSHOT,
        variants=MappingProxyType(
            {**SNAPSHOT.variants, variant.id: variant.model_copy(update={"unit_price_usd": 15000})}
        ),
    )
    report = run_import(engine, GOOD / "orders.csv", snapshot=repriced)
    assert report.problems == [] and not report.changed


def test_vin_of_another_stored_order_is_an_error(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, GOOD / "orders.csv", GOOD / "vehicles.csv")
    header, *_, order_6 = (GOOD / "orders.csv").read_text(encoding="utf-8").splitlines()[:7]
    orders = tmp_path / "orders.csv"
    orders.write_text(
        f"{header}\n{order_6.replace('PO-2027-0006', 'PO-2027-0009')}\n", encoding="utf-8"
    )
    vehicles = tmp_path / "vehicles.csv"
    # The first car of order PO-2027-0001, listed for the new order.
    vehicles.write_text("VIN,Order No\nLS5A24BE2VC000101,PO-2027-0009\n", encoding="utf-8")
    report = run_import(engine, orders, vehicles)
    expected = E(
        "vehicles.csv", 2, "vin", "already belongs to order PO-2027-0001", "LS5A24BE2VC000101"
    )
    assert_problems(report.problems, [expected])
    assert not report.committed
    assert table_counts(engine) == (8, 16, 1)


def test_an_import_after_a_rolled_back_one_works(engine: Engine) -> None:
    # Regression: temporary tables made by one import must roll back with it (SQLite ran
    # their CREATE outside the transaction until 40bb6a1: 'tmp_order_ids already exists').
    opts = ImportOptions()
    refused, _ = read_files(BAD / "unknown_brand.csv", None, opts)
    with unit_of_work(engine) as session:  # as the CLI and the API do with a refused import
        assert not import_orders(session, ORG, SNAPSHOT, refused, None, opts, source="x").committed
        session.rollback()
    report = run_import(engine, GOOD / "orders.csv", GOOD / "vehicles.csv")
    assert report.problems == [] and report.committed
    assert table_counts(engine) == (8, 16, 1)


def test_skip_invalid_writes_the_valid_orders_and_reports_the_rest(engine: Engine) -> None:
    report = run_import(engine, BAD / "unknown_brand.csv", skip_invalid=True)
    assert_problems(report.problems, [E("unknown_brand.csv", 2, "brand", "unknown brand")])
    assert report.committed
    assert (report.orders_inserted, report.orders_rejected) == (7, 1)
    assert [o[0] for o in stored(engine)[0]] == [f"PO-2027-000{i}" for i in range(2, 9)]

    # A bad VIN rejects its order and the order's other VINs: order 1 has 3 cars.
    report = run_import(
        engine, GOOD / "orders.csv", BAD / "vin_bad_check_digit.csv", org="vins", skip_invalid=True
    )
    assert_problems(report.problems, [E("vin_bad_check_digit.csv", 3, "vin", "check digit")])
    assert (report.orders_inserted, report.orders_rejected, report.vehicles_inserted) == (7, 1, 13)
    assert "PO-2027-0001" not in {v[1] for v in stored(engine, "vins")[1]}


def test_dry_run_writes_nothing(engine: Engine) -> None:
    report = run_import(engine, GOOD / "orders.csv", GOOD / "vehicles.csv", dry_run=True)
    assert report.problems == []
    assert (report.orders_inserted, report.vehicles_inserted, report.committed) == (8, 16, False)
    assert table_counts(engine) == (0, 0, 0)


def test_generated_book_imports_without_a_problem(engine: Engine, tmp_path: Path) -> None:
    book = generate(SNAPSHOT, months=3, start=D(2027, 1, 1), scale="chongqing")
    orders, vehicles = write_order_book(book, tmp_path / "book.csv", about="test")
    for path in (orders, vehicles):
        first_line = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first_line.startswith("# SYNTHETIC") and SYNTHETIC_NOTE in first_line
    report = run_import(engine, orders, vehicles)
    assert report.errors == [] and report.warnings == []
    assert report.orders_inserted == book.orders.height > 0
    assert report.vehicles_inserted == book.vehicles.height == book.orders["quantity"].sum()
    assert table_counts(engine) == (book.orders.height, book.vehicles.height, 1)
    assert [v for v in book.vehicles["vin"] if vin_problem(v) is not None] == []
    nev = {v.id for v in SNAPSHOT.variants.values() if v.powertrain.is_nev}
    value_usd = book.orders["quantity"] * book.orders["unit_value_usd"]
    nev_value_usd = value_usd.filter(book.orders["variant"].is_in(nev)).sum()
    assert nev_value_usd / value_usd.sum() == pytest.approx(book.nev_value_share_target, rel=0.02)
