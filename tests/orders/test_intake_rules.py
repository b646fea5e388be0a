"""Reading order files and checking their rows: one bad file per check, and the VIN rules.

Every expected problem below is written by hand from the defect planted in the bad file
(see tests/data/orders/bad/README.md): file, row as a spreadsheet shows it (header = row 1,
CSV comment lines count), field, a piece of the message and, where it matters, the value.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any, NamedTuple
from unittest.mock import ANY

import pytest
from sqlalchemy import Engine, func, select

from carexport.db.session import unit_of_work
from carexport.errors import Problem
from carexport.network.dataset import builtin_folder, read_dataset
from carexport.network.snapshot import NetworkSnapshot
from carexport.orders import vin
from carexport.orders.rules import Checked, check_orders, check_vehicles
from carexport.orders.service import ImportOptions, ImportReport, import_orders, read_files
from carexport.orders.tables import OrderImportRow, OrderRow, VehicleRow

DATA = Path(__file__).resolve().parents[1] / "data" / "orders"
GOOD = DATA / "good"
BAD = DATA / "bad"
SNAPSHOT = read_dataset(builtin_folder()).snapshot()


class E(NamedTuple):
    file: str
    row: int | None
    field: str | None
    message: str
    value: Any = ANY
    severity: str = "error"
    hint: str = ""  # a piece of the hint, when it carries the point


class Case(NamedTuple):
    orders: Path
    vehicles: Path | None
    expected: list[E]
    sheet: str | None = None


NOT_UTF8 = "not UTF-8 text (byte 0xe9 on line 5)"
WHOLE = "quantity must be a whole number of vehicles, at least 1"
RHD_TO_SA = "a RHD car cannot go to SA, which registers LHD cars"
LHD_TO_AU = "a LHD car cannot go to AU, which registers RHD cars"
NOT_FOR_BR = "variant CS35_PLUS_14T_LHD is not homologated for BR"
# nev_late_warning: the exact numbers depend on lanes.csv; test_nev_lateness_is_exact works
# them out. Here: the Avatr 11 BEV of row 5 is ready 2027-03-05 and due the next day.
LATE = "the fastest NEV-allowed path takes"
# LS5A24BE?VC000102: L3 S2 5 A1 2 4 B2 E5 | V5 C3 0 0 0 1 0 2, weights 8 7 6 5 4 3 2 10 | 9 8
# 7 6 5 4 3 2: 24+14+30+5+8+12+4+50 + 45+24+0+0+0+4+0+4 = 224 = 20 * 11 + 4, check digit 4.
CHECK_DIGIT = "check digit (position 9) is 7 but the other characters give 4"
COUNT = "order PO-2027-0001 is for 3 vehicles but the vehicle list has 2 VINs for it"

# Orders file bad/<file> (no vehicle file) -> its problems: (row, field, message, value, ...).
ORDER_CASES: dict[str, list[tuple[Any, ...]]] = {
    "missing_column.csv": [(1, "due_date", "required column is missing", None)],
    "unknown_column.csv": [(1, "Remarks", "unknown column", "Remarks")],
    "empty_file.csv": [(None, None, "file is empty", None)],
    "header_only.csv": [(None, None, "no orders in the file", None)],
    "not_utf8.csv": [(5, None, NOT_UTF8, None)],
    "bad_quantity.csv": [
        (2, "quantity", WHOLE, "0"),
        (3, "quantity", WHOLE, "-3"),
        (7, "quantity", WHOLE, "2.5"),
    ],
    "bad_date.csv": [(4, "ready_date", "not a valid date", "2025-13-01")],
    "due_before_ready.csv": [(7, "due_date", "before the ready date 2027-03-10", "2027-03-05")],
    "unknown_brand.csv": [(2, "brand", "unknown brand", "Changon")],
    "unknown_model.csv": [(8, "model", "unknown model for brand CHANGAN", "UNI-X")],
    "unknown_variant.csv": [
        (5, "variant", "unknown variant for model AVATR_11", "AVATR_11_BEV_XL")
    ],
    "origin_not_plant.csv": [(3, "origin", "origin is not a plant", "CN_SH_HAITONG")],
    "destination_not_market.csv": [(2, "destination_country", "not a market", "JP")],
    "rhd_to_right_traffic.csv": [(2, "variant", RHD_TO_SA, "CS35_PLUS_14T_RHD")],
    "lhd_to_left_traffic.csv": [(9, "variant", LHD_TO_AU, "CS75_PLUS_20T_LHD")],
    "not_homologated.csv": [(2, "variant", NOT_FOR_BR, "CS35_PLUS_14T_LHD")],
    "nev_late_warning.csv": [(5, "due_date", LATE, "2027-03-06", "warning")],
    "duplicate_order_id.csv": [(8, "order_id", "repeated: first on row 6", "PO-2027-0003")],
    "merged_header.xlsx": [(1, "column J", "header cell is empty", None)],
    "wrong_sheet.xlsx": [(None, None, "no sheet named 'orders'", None, "error", "Bestellungen")],
    "broken_json.json": [(None, None, "not valid JSON", None)],
}
# Vehicle file bad/<file>, imported with good/orders.csv -> its problems.
VEHICLE_CASES: dict[str, list[tuple[Any, ...]]] = {
    "vin_bad_check_digit.csv": [(3, "vin", CHECK_DIGIT, "LS5A24BE7VC000102")],
    "vin_bad_length.csv": [(7, "vin", "has 17 characters, this one has 16", "LDPS07BR5VC00030")],
    "vin_forbidden_letter.csv": [(11, "vin", "never use I, O or Q (found O)", "LM8M7ERL8VSO00501")],
    "vin_duplicate_in_file.csv": [(6, "vin", "VIN repeated: first on row 5", "LS5A25RH9VC000201")],
    "vin_count_mismatch.csv": [("orders.csv", 2, "quantity", COUNT, "3")],  # the order's row
    "vehicle_unknown_order.csv": [(18, "order_id", "not in the orders file", "PO-2027-0099")],
}


def _case(file: str, problems: list[tuple[Any, ...]], *, vehicles: bool) -> Case:
    expected = [E(*p) if p[0] == "orders.csv" else E(file, *p) for p in problems]
    if vehicles:
        return Case(GOOD / "orders.csv", BAD / file, expected)
    return Case(BAD / file, None, expected, "orders" if file == "wrong_sheet.xlsx" else None)


CASES: dict[str, Case] = {
    **{Path(f).stem: _case(f, p, vehicles=False) for f, p in ORDER_CASES.items()},
    **{Path(f).stem: _case(f, p, vehicles=True) for f, p in VEHICLE_CASES.items()},
}


def check(orders: Path, vehicles: Path | None = None, **options: Any) -> Checked:
    """read_files + check_orders (+ check_vehicles), as the import runs them."""
    orders_table, vehicles_table = read_files(orders, vehicles, ImportOptions(**options))
    checked = check_orders(orders_table, SNAPSHOT)
    return checked if vehicles_table is None else check_vehicles(vehicles_table, checked)


def assert_problems(problems: list[Problem], expected: list[E]) -> None:
    """Every expected problem is found once, and there is no other problem."""
    remaining = list(problems)
    for e in expected:
        hit = next(
            (
                p
                for p in remaining
                if (p.file, p.row, p.field, p.severity) == (e.file, e.row, e.field, e.severity)
                and e.message in p.message
                and e.value == p.value
                and e.hint in (p.hint or "")
            ),
            None,
        )
        assert hit is not None, f"missing {e}; problems left: {remaining}"
        remaining.remove(hit)
    assert not remaining, f"unexpected problems: {remaining}"


def table_counts(engine: Engine) -> tuple[int, int, int]:
    """Rows in export_order, order_vehicle and order_import, every organisation."""
    with unit_of_work(engine) as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(t)) or 0
            for t in (OrderRow, VehicleRow, OrderImportRow)
        )


def run_import(
    engine: Engine,
    orders: Path,
    vehicles: Path | None = None,
    *,
    org: str = "acme",
    snapshot: NetworkSnapshot = SNAPSHOT,
    **options: Any,
) -> ImportReport:
    """One import in one transaction, like the CLI (without its rollback on errors)."""
    opts = ImportOptions(**options)
    orders_table, vehicles_table = read_files(orders, vehicles, opts)
    with unit_of_work(engine) as session:
        return import_orders(
            session, org, snapshot, orders_table, vehicles_table, opts, source=orders.name
        )


def test_every_bad_file_has_a_case_and_a_readme_row() -> None:
    files = {p.name for p in BAD.iterdir() if p.name != "README.md"}
    assert files == set(ORDER_CASES) | set(VEHICLE_CASES)
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    for case in [*CASES, "variant_ambiguous"]:
        assert f"\n| {case} |" in readme, case


@pytest.mark.parametrize(
    ("orders", "vehicles", "sheets"),
    [
        ("orders.csv", "vehicles.csv", {}),
        ("orders.xlsx", "orders.xlsx", {"sheet": "orders", "vehicles_sheet": "vehicles"}),
        ("orders.json", "vehicles.json", {}),
    ],
)
def test_good_files_have_no_problems(orders: str, vehicles: str, sheets: dict[str, str]) -> None:
    checked = check(GOOD / orders, GOOD / vehicles, **sheets)
    assert checked.problems == []
    assert (checked.orders.height, checked.vehicles.height) == (8, 16)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_case_reports_exactly_its_problems(case: str) -> None:
    c = CASES[case]
    checked = check(c.orders, c.vehicles, sheet=c.sheet)
    assert_problems(checked.problems, c.expected)


def fastest_nev_days(origin: str, country: str) -> float:
    """Worked out from the built-in CSV files, not by carexport.network.paths: a leg takes the
    handling days of the node it leaves, the mean wait for a departure ((7 / departures a
    week - 1) / 2, at least 0) and its transit days; the last node's handling comes on top."""

    def rows(name: str) -> list[dict[str, str]]:
        with (builtin_folder() / name).open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    handling = {r["id"]: float(r["handling_days"] or 0) for r in rows("nodes.csv")}
    legs = []
    for lane in rows("lanes.csv"):
        kind, _, rest = lane["departures"].partition(":")
        per_week = {"daily": 7.0, "weekly": len(rest.split(",")), "dates": 0.0}.get(kind)
        per_week = 7.0 / int(rest.split(":")[0]) if per_week is None else per_week  # every:N
        wait = max(7.0 / per_week - 1.0, 0.0) / 2.0 if per_week else 0.0
        if lane["nev_allowed"].strip().lower() != "false":
            leg = handling[lane["from_node"]] + wait + float(lane["transit_days"])
            legs.append((lane["from_node"], lane["to_node"], leg))
    best = {origin: 0.0}
    for _ in handling:  # Bellman-Ford: relax every leg once per node
        for start, end, leg in legs:
            if start in best and best[start] + leg < best.get(end, math.inf):
                best[end] = best[start] + leg
    market = next(m for m in rows("markets.csv") if m["country"] == country)
    return min(best[n] + handling[n] for n in market["destination_nodes"].split(";") if n in best)


def test_nev_lateness_is_exact() -> None:
    days = fastest_nev_days("CN_CQ_CHANGAN", "AE")  # 27.7 in the data of 2025-11
    arrival = dt.date(2027, 3, 5) + dt.timedelta(days=math.ceil(days))
    late = (arrival - dt.date(2027, 3, 6)).days
    message = f"takes {days:.1f} days and would arrive on {arrival}, {late} day(s) late"
    case = CASES["nev_late_warning"]
    assert_problems(check(case.orders).problems, [case.expected[0]._replace(message=message)])


@pytest.mark.parametrize("case", list(CASES))
def test_bad_import_reports_its_problems_and_writes_nothing(engine: Engine, case: str) -> None:
    c = CASES[case]
    run_import(engine, GOOD / "orders.csv", GOOD / "vehicles.csv", org="other")
    before = table_counts(engine)
    report = run_import(engine, c.orders, c.vehicles, sheet=c.sheet)
    assert_problems(report.problems, c.expected)
    if case == "nev_late_warning":  # a warning does not stop the import
        assert report.committed and report.orders_inserted == 8
        assert table_counts(engine) == (before[0] + 8, before[1], before[2] + 1)
        return
    assert not report.committed
    assert table_counts(engine) == before


def test_unknown_column_is_a_warning_when_extra_columns_are_allowed() -> None:
    checked = check(BAD / "unknown_column.csv", allow_extra_columns=True)
    expected = E("unknown_column.csv", 1, "Remarks", "unknown column", "Remarks", "warning")
    assert_problems(checked.problems, [expected])
    assert checked.orders.height == 8


def _good_csv_with(tmp_path: Path, line: int, old: str, new: str) -> Path:
    """good/orders.csv with one change on one line (1-based, as an editor shows it)."""
    lines = (GOOD / "orders.csv").read_text(encoding="utf-8").splitlines()
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new)
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("form", ["csv", "json"])
def test_blank_looking_cells_count_as_empty(tmp_path: Path, form: str) -> None:
    # Order 2 (no dealer, price or priority): a space or "" in those cells.
    path = _good_csv_with(
        tmp_path, 3, "TH_LCB,,2027-03-02,2027-04-15,,", "TH_LCB, ,2027-03-02,2027-04-15, , "
    )
    if form == "json":
        data = json.loads((GOOD / "orders.json").read_text(encoding="utf-8"))
        data["orders"][1].update({"Dealer": "", "Prio": "", "Unit Price (USD)": ""})
        path = tmp_path / "orders.json"
        path.write_text(json.dumps(data), encoding="utf-8")
    assert check(path).problems == []


def test_json_without_a_required_field_is_reported_on_no_row(tmp_path: Path) -> None:
    data = json.loads((GOOD / "orders.json").read_text(encoding="utf-8"))
    for order in data["orders"]:
        del order["Due Date"]
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    expected = E("orders.json", None, "due_date", "required column is missing", None)
    assert_problems(check(path).problems, [expected])


def test_row_with_an_extra_cell_is_located(tmp_path: Path) -> None:
    path = _good_csv_with(tmp_path, 5, ",38000,3", ",38000,3,urgent")  # order 4, line 5
    problems = check(path).problems
    assert [(p.file, p.row) for p in problems] == [("orders.csv", 5)]


def test_repeated_order_id_does_not_double_count_its_vins(tmp_path: Path) -> None:
    # Order 5 (line 6) mistyped with order 4's id; order 4 has 2 VINs for its 2 cars.
    path = _good_csv_with(tmp_path, 6, "PO-2027-0005", "PO-2027-0004")
    checked = check(path, GOOD / "vehicles.csv")
    order_5_vins = "order is not in the orders file"  # rows 11 and 12 of vehicles.csv
    expected = [
        E("orders.csv", 6, "order_id", "order_id repeated: first on row 5", "PO-2027-0004"),
        E("vehicles.csv", 11, "order_id", order_5_vins, "PO-2027-0005"),
        E("vehicles.csv", 12, "order_id", order_5_vins, "PO-2027-0005"),
    ]
    assert_problems(checked.problems, expected)


# --- VINs -------------------------------------------------------------------------------

# Known-valid VINs: a published North American example and the all-ones VIN. By hand:
# 1M8GDM9A?KP042788: 1*8 + M4*7 + 8*6 + G7*5 + D4*4 + M4*3 + 9*2 + A1*10 + K2*9 + P7*8 + 0*7
# + 4*6 + 2*5 + 7*4 + 8*3 + 8*2 = 351 = 31 * 11 + 10 -> 'X'.
# 11111111111111111: the weights without position 9 sum to 89 = 8 * 11 + 1 -> '1'.
# LS5A24BE4VC000102: see CHECK_DIGIT above, 224 = 20 * 11 + 4 -> '4'.
KNOWN_VALID = ["1M8GDM9AXKP042788", "11111111111111111", "LS5A24BE4VC000102"]


@pytest.mark.parametrize("good", KNOWN_VALID)
def test_known_vins_are_valid(good: str) -> None:
    assert vin.vin_problem(good) is None
    assert vin.check_digit(good) == good[8]
    assert vin.with_check_digit(good[:8] + "0" + good[9:]) == good


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("1M8GDM9A1KP042788", "check digit (position 9) is 1 but the other characters give X"),
        ("1M8GDM9AXKP04278", "a VIN has 17 characters, this one has 16"),
        ("1M8GDM9AXKP0427888", "a VIN has 17 characters, this one has 18"),
        ("1M8GDM9AXKPO42788", "VINs never use I, O or Q (found O)"),
        ("1M8GDM9AXKQ042788", "VINs never use I, O or Q (found Q)"),
        ("1M8GDM9AXK-042788", "characters not allowed in a VIN: -"),
    ],
)
def test_vin_problems_name_the_defect(bad: str, message: str) -> None:
    assert message in (vin.vin_problem(bad) or "")


def test_invalid_mask_agrees_with_vin_problem() -> None:
    # check digit, length, O, non-ASCII (17 characters), lower case (callers upper-case), empty
    bad = ["1M8GDM9A1KP042788", "1M8GDM9AXKP04278", "1M8GDM9AXKPO42788", "1M8GDM9AXKP04278\u00e9"]
    vins = [*KNOWN_VALID, *bad, "1m8gdm9axkp042788", ""]
    mask = vin.invalid_mask(vins)
    assert mask.tolist() == [False, False, False, True, True, True, True, True, True]
    assert [vin.vin_problem(v) is not None for v in vins] == mask.tolist()
    assert vin.invalid_mask([]).tolist() == []


def test_with_check_digits_matches_one_at_a_time() -> None:
    raw = ["LS5A24BE0VC000102", "1M8GDM9A0KP042788", "LM8M7ERL0VS000502", "MS5C75RH0VR000801"]
    assert vin.with_check_digits(raw) == [vin.with_check_digit(r) for r in raw]
    assert vin.with_check_digits(raw)[1] == "1M8GDM9AXKP042788"
    assert not vin.invalid_mask(vin.with_check_digits(raw)).any()
    with pytest.raises(ValueError, match="without I, O, Q"):
        vin.with_check_digits(["LS5A24BE0VC0O0102"])


# --- a dealer not yet open on the due date ----------------------------------------------

# Order 4 (line 5) sent as an Avatr 07 (EU_WVTA) to Avatr's third German store, which
# dealers.csv opens on 2027-06-05; ready 2027-03-05 as before.
TO_HAMBURG = "AVATR_07,AVATR_07_BEV_LHD,,,2,cn_cq_changan,,,D_AVATR_DE_03,2027-03-05,"


def _order_to_hamburg(tmp_path: Path, due: str) -> Path:
    old = "AVATR_11,AVATR_11_BEV_LHD,,,2,cn_cq_changan,ae,,,2027-03-05,2027-04-20"
    return _good_csv_with(tmp_path, 5, old, TO_HAMBURG + due)


def test_order_to_a_dealer_not_yet_open_is_a_warning(tmp_path: Path) -> None:
    checked = check(_order_to_hamburg(tmp_path, "2027-06-04"))
    message = "dealer D_AVATR_DE_03 opens on 2027-06-05, after the due date 2027-06-04"
    expected = E("orders.csv", 5, "dealer", message, "D_AVATR_DE_03", "warning", "move the due")
    assert_problems(checked.problems, [expected])
    assert checked.orders.height == 8 and not checked.bad_orders


def test_order_due_on_the_dealers_opening_day_is_fine(tmp_path: Path) -> None:
    assert check(_order_to_hamburg(tmp_path, "2027-06-05")).problems == []


def test_dealer_not_yet_open_does_not_stop_the_import(engine: Engine, tmp_path: Path) -> None:
    report = run_import(engine, _order_to_hamburg(tmp_path, "2027-05-31"))
    assert [(p.row, p.field, p.severity) for p in report.problems] == [(5, "dealer", "warning")]
    assert report.committed and report.orders_inserted == 8
