"""carexport orders: import order books (CSV, XLSX, JSON) and generate synthetic ones."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from carexport.cli.options import (
    DATE_METAVAR,
    OrderScale,
    iso_date,
    number_option,
    output_file,
    seed_option,
)
from carexport.cli.render import console, problems_table
from carexport.config import get_settings

if TYPE_CHECKING:
    from carexport.orders.service import ImportReport

app = typer.Typer(help="Export orders: import and generate order books.", no_args_is_help=True)

MAX_PROBLEMS_SHOWN = 50


@app.command("import")
def import_command(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="Orders file: .csv, .xlsx or .json."
    ),
    vehicles: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="VIN list (vin, order_id, soc_pct); may be the same .xlsx as the orders.",
    ),
    sheet: str | None = typer.Option(None, help="Sheet of the orders (default: the first)."),
    vehicles_sheet: str | None = typer.Option(None, help="Sheet of the VIN list."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report; write nothing."),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Write every valid order; report the rest."
    ),
    update: bool = typer.Option(
        False,
        "--update",
        help="Replace orders (and VIN lists) already imported with other content.",
    ),
    allow_extra_columns: bool = typer.Option(
        False, "--allow-extra-columns", help="Ignore unknown columns instead of refusing them."
    ),
    report: Path | None = typer.Option(
        None,
        help="Write the problems to a .csv, .json or .xlsx file.",
        callback=output_file(".csv", ".json", ".xlsx"),
    ),
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
) -> None:
    """Check an order file row by row and import it: all of it, or nothing (by default)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from carexport.cli.context import session_scope
    from carexport.errors import CarexportError
    from carexport.network import service as network_service
    from carexport.orders.service import (
        ImportOptions,
        import_orders,
        read_files,
        write_problem_report,
    )

    org_id = org or get_settings().org_id
    options = ImportOptions(
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        update=update,
        sheet=sheet,
        vehicles_sheet=vehicles_sheet,
        allow_extra_columns=allow_extra_columns,
    )
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"reading {file.name}", total=None)
        orders_table, vehicles_table = read_files(file, vehicles, options)
        with session_scope(writes=not dry_run) as session:
            if not network_service.has_network(session, org_id):
                raise CarexportError(
                    f"organisation {org_id!r} has no network loaded",
                    hint="run: carexport network load",
                )
            snapshot = network_service.snapshot_of(session, org_id)
            result = import_orders(
                session,
                org_id,
                snapshot,
                orders_table,
                vehicles_table,
                options,
                source=file.name,
                sha256=hashlib.sha256(file.read_bytes()).hexdigest() if file.exists() else None,
                progress=lambda phase: progress.update(task, description=phase),
            )
            if not result.committed:
                session.rollback()
            elif result.vehicles_deleted:
                # VINs left orders: the export counts attribute exports to orders.
                from carexport.tracking.service import recount_exports

                recount_exports(session, org_id)
    print_import_report(result, dry_run=dry_run)
    if report is not None:
        write_problem_report(result, report)
        console.print(f"problems written to {report}")
    if result.errors and not (skip_invalid and result.committed):
        raise typer.Exit(1)


def print_import_report(result: ImportReport, *, dry_run: bool = False) -> None:
    problems = result.problems
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        title = f"Problems in {result.source}" + (
            f" (first {len(shown)} of {len(problems)})" if more else ""
        )
        console.print(problems_table(shown, title=title))
    table = Table(title=f"Import of {result.source}")
    table.add_column("")
    table.add_column("count", justify="right")
    verb = "would be " if dry_run or not result.committed else ""
    for label, value in (
        ("rows read", result.rows),
        (f"orders {verb}inserted", result.orders_inserted),
        (f"orders {verb}updated", result.orders_updated),
        ("orders unchanged", result.orders_unchanged),
        ("orders rejected", result.orders_rejected),
        (f"vehicles {verb}inserted", result.vehicles_inserted),
        ("errors", len(result.errors)),
        ("warnings", len(result.warnings)),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    if result.committed:
        note = "" if result.changed else " (no changes: everything was already imported)"
        console.print(f"[green]committed[/] import {result.import_id or '(nothing new)'}{note}")
    elif dry_run:
        console.print("dry run: nothing written")
    else:
        console.print(
            f"[red]nothing written[/]: {len(result.errors)} error(s); fix them, or "
            "pass --skip-invalid to import the valid orders"
        )


@app.command("generate")
def generate_command(
    out: Path = typer.Option(
        ...,
        help="orders.csv (writes orders_vehicles.csv too) or .xlsx",
        callback=output_file(".csv", ".xlsx"),
    ),
    months: int = number_option(3, help="Months of ready dates.", low=1, high=60),
    scale: OrderScale = typer.Option(
        OrderScale.CHONGQING, help="chongqing (477k/yr) or china (5.86M/yr)."
    ),
    seed: int = seed_option(0, "Random seed: the same seed gives the same book."),
    start: dt.date | None = typer.Option(
        None,
        help="First month (default: the month after today).",
        parser=iso_date,
        metavar=DATE_METAVAR,
    ),
    network: Path | None = typer.Option(
        None,
        exists=True,
        file_okay=False,
        help="Dataset folder to draw from (default: the built-in network).",
    ),
) -> None:
    """Write a realistic synthetic order book (orders and VINs); the file says it is synthetic."""
    from carexport.errors import InvalidInput
    from carexport.network.dataset import builtin_folder
    from carexport.network.service import check_dataset
    from carexport.orders.generate import generate, write_order_book

    dataset = check_dataset(network or builtin_folder())
    if dataset.errors:
        raise InvalidInput(f"network dataset {dataset.folder}", dataset.problems)
    first = start or _next_month(dt.date.today())
    book = generate(dataset.snapshot(), months=months, start=first, scale=scale.value, seed=seed)
    about = (
        f"scale={scale.value} months={months} start={first} seed={seed}; volumes from "
        "export_statistics.csv, brand and market mix assumed (see carexport.orders.generate)"
    )
    written = write_order_book(book, out, about=about)
    nev = (
        book.orders.join(dataset.snapshot_frame_variants(), on="variant", how="left")["nev"].mean()
        if False
        else None
    )
    console.print(
        f"{book.orders.height:,} orders, {book.vehicles.height:,} vehicles "
        f"({book.annual_units:,.0f} a year at scale {scale.value}) -> "
        + ", ".join(str(p) for p in written)
    )
    del nev


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
