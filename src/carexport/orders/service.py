"""Order import: check a file against the network and the database, then write it whole.

The caller owns the transaction. By default any error means nothing is written; with
skip_invalid every valid order (with its vehicles) is written and the rest reported.
Re-importing the same content is a no-op; different content under a known order_id is a
conflict unless update is asked for.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import Subquery
from sqlalchemy.orm import Session

from carexport.errors import Problem
from carexport.network.snapshot import NetworkSnapshot
from carexport.orders import repository
from carexport.orders.intake import ORDER_COLUMNS, ROW, VEHICLE_COLUMNS, RawTable, read_table
from carexport.orders.repository import OrderFilter as OrderFilter  # the listing's filter
from carexport.orders.rules import ORDER_FIELDS, Checked, check_orders, check_vehicles, content_hash
from carexport.orders.tables import OrderImportRow, OrderRow

OPEN = "open"
Progress = Callable[[str], None]


@dataclass
class ImportReport:
    source: str
    rows: int = 0
    orders_inserted: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    orders_rejected: int = 0
    vehicles_inserted: int = 0
    vehicles_deleted: int = 0
    committed: bool = False
    import_id: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def changed(self) -> bool:
        return bool(
            self.orders_inserted
            or self.orders_updated
            or self.vehicles_inserted
            or self.vehicles_deleted
        )


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    skip_invalid: bool = False
    update: bool = False
    sheet: str | None = None
    vehicles_sheet: str | None = None
    allow_extra_columns: bool = False


def read_files(
    orders_path: Path, vehicles_path: Path | None, options: ImportOptions
) -> tuple[RawTable, RawTable | None]:
    orders = read_table(
        orders_path,
        ORDER_COLUMNS,
        sheet=options.sheet,
        allow_extra_columns=options.allow_extra_columns,
        table="orders",
    )
    vehicles = None
    if vehicles_path is not None:
        vehicles = read_table(
            vehicles_path,
            VEHICLE_COLUMNS,
            sheet=options.vehicles_sheet,
            allow_extra_columns=options.allow_extra_columns,
            table="vehicles",
        )
    return orders, vehicles


def import_orders(
    session: Session,
    org_id: str,
    snapshot: NetworkSnapshot,
    orders: RawTable,
    vehicles: RawTable | None,
    options: ImportOptions,
    *,
    source: str,
    sha256: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    step = progress or (lambda _phase: None)
    step("checking rows")
    checked = check_orders(orders, snapshot)
    if vehicles is not None:
        checked = check_vehicles(vehicles, checked)
    report = ImportReport(source=source, rows=orders.frame.height)
    if checked.orders.is_empty():
        report.problems = checked.problems
        return report

    step("comparing with the database")
    orders_frame = checked.orders.with_columns(content_hash(checked.orders))
    plan = _compare_with_database(session, org_id, checked, orders_frame, options)
    report.problems = checked.problems
    bad = checked.bad_orders
    report.orders_rejected = (
        orders_frame.filter(pl.col("order_id").is_in(list(bad)))
        .select(pl.col("order_id").n_unique())
        .item()
        if bad
        else 0
    )
    _count(report, plan, bad)  # what would be written; the real counts replace it below
    if options.dry_run or (report.errors and not options.skip_invalid):
        return report

    step("writing")
    import_id = str(uuid.uuid4())
    new, changed, vehicles_new, replace = (
        plan.new.filter(~pl.col("order_id").is_in(list(bad))),
        plan.changed.filter(~pl.col("order_id").is_in(list(bad))),
        plan.vehicles_new.filter(~pl.col("order_id").is_in(list(bad))),
        [o for o in plan.replace_vehicles_of if o not in bad],
    )
    stored = [*ORDER_FIELDS, "content_hash"]
    order_rows = new.select(
        pl.lit(org_id).alias("org_id"),
        *stored,
        pl.lit(OPEN).alias("status"),
        pl.lit(import_id).alias("import_id"),
    )
    report.orders_inserted = repository.insert_orders(session, order_rows)
    report.orders_updated = repository.update_orders(
        session,
        org_id,
        changed.select(
            pl.lit(org_id).alias("org_id"), *stored, pl.lit(import_id).alias("import_id")
        ),
    )
    report.orders_unchanged = plan.unchanged.filter(~pl.col("order_id").is_in(list(bad))).height
    report.vehicles_deleted = repository.delete_vehicles_of(session, org_id, replace)
    report.vehicles_inserted = repository.insert_vehicles(
        session,
        vehicles_new.select(
            pl.lit(org_id).alias("org_id"),
            "vin",
            "order_id",
            "soc_pct",
        ),
    )
    report.committed = True
    if not report.changed:
        return report  # a repeated import leaves no trace at all
    report.import_id = import_id
    repository.record_import(
        session,
        OrderImportRow(
            org_id=org_id,
            id=import_id,
            source=source,
            sha256=sha256,
            imported_at=dt.datetime.now(dt.UTC),
            rows=report.rows,
            orders_inserted=report.orders_inserted,
            orders_updated=report.orders_updated,
            orders_unchanged=report.orders_unchanged,
            orders_rejected=report.orders_rejected,
            vehicles_inserted=report.vehicles_inserted,
            vehicles_deleted=report.vehicles_deleted,
        ),
    )
    return report


@dataclass
class _Plan:
    new: pl.DataFrame
    changed: pl.DataFrame
    unchanged: pl.DataFrame
    vehicles_new: pl.DataFrame
    replace_vehicles_of: list[str]


def _count(report: ImportReport, plan: _Plan, bad: set[str]) -> None:
    keep = ~pl.col("order_id").is_in(list(bad))
    report.orders_inserted = plan.new.filter(keep).height
    report.orders_updated = plan.changed.filter(keep).height
    report.orders_unchanged = plan.unchanged.filter(keep).height
    report.vehicles_inserted = plan.vehicles_new.filter(keep).height


def _compare_with_database(
    session: Session, org_id: str, checked: Checked, orders: pl.DataFrame, options: ImportOptions
) -> _Plan:
    """Split the file's orders into new, changed and unchanged; find VIN conflicts."""
    problems, bad, file = checked.problems, checked.bad_orders, checked.file
    ids = orders["order_id"].drop_nulls().unique().to_list()
    known = repository.existing_orders(session, org_id, ids)
    orders = orders.join(known, on="order_id", how="left")
    differs = pl.col("db_hash").is_not_null() & (pl.col("db_hash") != pl.col("content_hash"))
    conflicts = orders.filter(differs)
    if not options.update:
        for row, order_id in conflicts.select(ROW, "order_id").iter_rows():
            problems.append(
                Problem(
                    file,
                    row,
                    "order_id",
                    order_id,
                    "order already imported with different content",
                    "pass --update to replace it, or give the new order its own order_id",
                )
            )
            bad.add(order_id)
    else:
        for row, order_id, status in (
            conflicts.filter(pl.col("db_status") != OPEN)
            .select(ROW, "order_id", "db_status")
            .iter_rows()
        ):
            problems.append(
                Problem(
                    file,
                    row,
                    "order_id",
                    order_id,
                    f"order is {status} and can no longer change",
                    "create a new order for the change",
                )
            )
            bad.add(order_id)
    new = orders.filter(pl.col("db_hash").is_null())
    changed = orders.filter(differs) if options.update else orders.clear()
    unchanged = orders.filter(pl.col("db_hash") == pl.col("content_hash"))

    vehicles = checked.vehicles
    if vehicles.is_empty():
        return _Plan(
            new,
            changed,
            unchanged,
            pl.DataFrame(
                schema={
                    ROW: pl.Int64,
                    "vin": pl.String,
                    "order_id": pl.String,
                    "soc_pct": pl.Float64,
                }
            ),
            [],
        )
    vehicle_file = checked.vehicles_file or "vehicles"
    # A VIN already stored under another order is a conflict whatever the mode.
    # The first import of an organisation has nothing to clash with: skip the look-up.
    owners = (
        repository.vehicles_by_vin(session, org_id, vehicles["vin"].unique().to_list())
        if repository.has_vehicles(session, org_id)
        else pl.DataFrame(schema={"vin": pl.String, "db_order": pl.String})
    )
    clash = vehicles.join(owners, on="vin", how="inner").filter(
        pl.col("db_order") != pl.col("order_id")
    )
    for row, vin, order_id, owner in clash.select(ROW, "vin", "order_id", "db_order").iter_rows():
        problems.append(
            Problem(
                vehicle_file,
                row,
                "vin",
                vin,
                f"VIN already belongs to order {owner}",
                "a car is in one order: correct the VIN or the order_id",
            )
        )
        bad.add(order_id)
    # Orders already stored: compare their VIN lists with the file's.
    stored_ids = orders.filter(pl.col("db_hash").is_not_null())["order_id"].to_list()
    stored = repository.vehicles_of_orders(session, org_id, stored_ids)
    file_sets = vehicles.group_by("order_id").agg(pl.col("vin").sort().alias("file_vins"))
    db_sets = (
        stored.group_by("db_order")
        .agg(pl.col("vin").sort().alias("db_vins"))
        .rename({"db_order": "order_id"})
    )
    compared = file_sets.join(db_sets, on="order_id", how="left")
    replace: list[str] = []
    fresh: list[str] = []
    order_rows = dict(orders.select("order_id", ROW).iter_rows())
    changed_ids = set(changed["order_id"].to_list())
    for order_id, file_vins, db_vins in compared.iter_rows():
        if not db_vins:
            fresh.append(order_id)
        elif list(db_vins) == list(file_vins):
            continue
        elif options.update or order_id in changed_ids:
            replace.append(order_id)
            fresh.append(order_id)
        else:
            problems.append(
                Problem(
                    file,
                    order_rows.get(order_id),
                    "order_id",
                    order_id,
                    "order's VIN list differs from the one already imported",
                    "pass --update to replace the VIN list",
                )
            )
            bad.add(order_id)
    vehicles_new = vehicles.filter(pl.col("order_id").is_in(fresh))
    return _Plan(new, changed, unchanged, vehicles_new, replace)


def all_orders(session: Session, org_id: str) -> pl.DataFrame:
    """Every order of the organisation, one row each with the order table's columns."""
    return repository.all_orders(session, org_id)


def all_vehicles(session: Session, org_id: str) -> pl.DataFrame:
    """vin, order_id of every VIN of the organisation's VIN lists."""
    return repository.all_vehicles(session, org_id)


def vin_dimensions(session: Session, org_id: str, vins: list[str]) -> pl.DataFrame:
    """vin, brand, market, due_date of each VIN's order (a listed VIN, or a numbered slot
    ORDER#0001 of an order without a VIN list)."""
    return repository.vin_dimensions(session, org_id, vins)


def ordered_vins(
    org_id: str, *, order_id: str | None = None, market: str | None = None
) -> Subquery:
    """The subquery of the organisation's listed VINs (vin, order_id), of one order and
    one destination country if given."""
    return repository.ordered_vins_query(org_id, order_id=order_id, market=market)


def order_lines(org_id: str) -> Subquery:
    """The subquery of every order's brand, variant, origin, destination country, dealer
    and unit value (see orders.repository.order_lines_query)."""
    return repository.order_lines_query(org_id)


def vehicles_by_destination(session: Session, org_id: str) -> dict[str, int]:
    """Vehicles ordered (order quantities summed) per destination country."""
    return repository.vehicles_by_destination(session, org_id)


def page_of_orders(
    session: Session,
    org_id: str,
    filters: OrderFilter,
    *,
    limit: int,
    after: str | None = None,
    before: str | None = None,
    last: bool = False,
) -> tuple[int, int, list[OrderRow]] | None:
    """One page of the filtered orders, oldest ready date first (then order_id): the first
    page, the one after or before the order with that id, or the last. Returns how many
    match, how many come before the page and the page; None when the order named by
    after/before does not exist."""
    keys: dict[str, repository.BookKey | None] = {"after": None, "before": None}
    for name, order_id in (("after", after), ("before", before)):
        if order_id is not None:
            row = repository.get_order(session, org_id, order_id)
            if row is None:
                return None
            keys[name] = (row.ready_date, row.order_id)
    return repository.page_orders(
        session, org_id, filters, limit=limit, after=keys["after"], before=keys["before"], last=last
    )


def get_order(session: Session, org_id: str, order_id: str) -> OrderRow | None:
    return repository.get_order(session, org_id, order_id)


def vins_of(session: Session, org_id: str, order_id: str) -> list[tuple[str, float | None]]:
    """(vin, soc_pct) of the order's VIN list, by VIN."""
    return repository.vins_of(session, org_id, order_id)


PROBLEM_REPORT_COLUMNS = {
    "severity": pl.String,
    "file": pl.String,
    "row": pl.Int64,
    "field": pl.String,
    "value": pl.String,
    "problem": pl.String,
    "fix": pl.String,
}


def problem_frame(problems: Sequence[Problem]) -> pl.DataFrame:
    """One row per problem: severity, file, row, field, value, problem, fix."""
    return pl.DataFrame(
        [(p.severity, p.file, p.row, p.field, p.value, p.message, p.hint) for p in problems],
        schema=PROBLEM_REPORT_COLUMNS,
        orient="row",
    )


def problem_report_bytes(problems: Sequence[Problem], kind: str) -> bytes:
    """The problems as a csv, json or xlsx file's content."""
    import io

    frame = problem_frame(problems)
    buffer = io.BytesIO()
    if kind == "json":
        frame.write_json(buffer)
    elif kind == "xlsx":
        frame.write_excel(buffer, worksheet="problems", autofit=True, freeze_panes=(1, 0))
    else:
        frame.write_csv(buffer)
    return buffer.getvalue()


def write_problem_report(report: ImportReport, path: Path) -> None:
    """The report's problems to a .csv, .json or .xlsx file (by its suffix; CSV otherwise)."""
    path.write_bytes(problem_report_bytes(report.problems, path.suffix.lower().lstrip(".")))
