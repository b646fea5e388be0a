"""carexport network: check, load and show the export network and its markets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from carexport.cli.options import DATE_METAVAR, iso_date
from carexport.cli.render import console, problems_table
from carexport.config import get_settings

if TYPE_CHECKING:
    from carexport.network.service import SyncCounts
    from carexport.network.snapshot import NetworkSnapshot

app = typer.Typer(help="The export network: nodes, lanes, markets, vehicles.", no_args_is_help=True)

DatasetDir = typer.Argument(
    None,
    exists=True,
    file_okay=False,
    help="Dataset folder (one CSV per entity). Default: the built-in Chongqing network.",
)


def _folder(folder: Path | None) -> Path:
    from carexport.network.dataset import builtin_folder

    return folder if folder is not None else builtin_folder()


@app.command("validate")
def validate(folder: Path | None = DatasetDir) -> None:
    """Check a dataset folder and report every problem (exit code 1 on any error)."""
    from carexport.network.service import check_dataset

    path = _folder(folder)
    dataset = check_dataset(path)
    errors, warnings = len(dataset.errors), len(dataset.problems) - len(dataset.errors)
    if dataset.problems:
        console.print(problems_table(dataset.problems, title=f"Problems in {path}"))
    rows = sum(len(v) for v in dataset.records.values())
    verdict = "[red]invalid[/]" if errors else "[green]valid[/]"
    console.print(
        f"{path}: {verdict}: {rows} rows in {len(dataset.records)} files, "
        f"{errors} error(s), {warnings} warning(s)"
    )
    if errors:
        raise typer.Exit(1)


@app.command("load")
def load(
    folder: Path | None = DatasetDir,
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
) -> None:
    """Make a dataset the organisation's network: inserts, updates and deletes in one go.

    Loading the same dataset twice changes nothing. Any error refuses the whole load.
    """
    from carexport.cli.context import session_scope
    from carexport.network.service import load_dataset

    org_id = org or get_settings().org_id
    path = _folder(folder)
    with session_scope(writes=True) as session:
        counts = load_dataset(session, org_id, path)
    print_load_counts(counts, f"Loaded {path} for {org_id}")


def print_load_counts(counts: dict[str, SyncCounts], title: str) -> None:
    table = Table(title=title)
    for column in ("file", "inserted", "updated", "deleted", "unchanged"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for name, c in counts.items():
        table.add_row(name, str(c.inserted), str(c.updated), str(c.deleted), str(c.unchanged))
    console.print(table)
    if not any(c.changed for c in counts.values()):
        console.print("no changes: the database already held this dataset")


@app.command("show")
def show(
    dataset: Path | None = typer.Option(
        None,
        "--dataset",
        exists=True,
        file_okay=False,
        help="Show a dataset folder instead of the network in the database.",
    ),
    as_of: dt.date | None = typer.Option(
        None,
        help="Date from which lanes must depart to count. Default: today.",
        parser=iso_date,
        metavar=DATE_METAVAR,
    ),
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
) -> None:
    """Counts, lanes by mode, and every market's fastest and cheapest path from Chongqing."""
    from carexport.cli.context import session_scope
    from carexport.errors import CarexportError, InvalidInput
    from carexport.network.service import check_dataset, has_network, snapshot_of

    if dataset is not None:
        checked = check_dataset(dataset)
        if checked.errors:
            raise InvalidInput(f"network dataset {dataset}", checked.problems)
        snapshot = checked.snapshot()
    else:
        org_id = org or get_settings().org_id
        with session_scope() as session:
            if not has_network(session, org_id):
                raise CarexportError(
                    f"organisation {org_id!r} has no network loaded",
                    hint="run: carexport network load (or pass --dataset DIR)",
                )
            snapshot = snapshot_of(session, org_id)
    day = as_of or dt.date.today()
    print_summary(snapshot, day)


def print_summary(snapshot: NetworkSnapshot, as_of: dt.date) -> None:
    from carexport.network.service import describe_path, summarise

    summary = summarise(snapshot, as_of)
    counts = ", ".join(f"{v} {k}" for k, v in summary.counts.items())
    kinds = ", ".join(f"{v} {k}" for k, v in summary.nodes_by_kind.items())
    console.print(f"[bold]Network[/]: {counts}")
    console.print(f"Nodes by kind: {kinds}")
    for route, setting in sorted(snapshot.routes.items()):
        if not setting.open:
            lanes = sum(1 for ln in snapshot.closed_lanes.values() if ln.route == route)
            since = f" since {setting.since}" if setting.since else ""
            console.print(
                f"[bold]Route {route} closed{since}[/] ({lanes} lanes not planned; routes.csv): "
                f"{setting.note or ''}"
            )
    modes = Table(title="Lanes by mode")
    for column in ("mode", "lanes", "departures/week", "slots/week"):
        modes.add_column(column, justify="left" if column == "mode" else "right")
    for mode in summary.modes:
        modes.add_row(
            mode.mode,
            str(mode.lanes),
            f"{mode.departures_per_week:g}",
            f"{mode.slots_per_week:,.0f}",
        )
    console.print(modes)

    table = Table(
        title=f"Markets from {', '.join(summary.origins)} (lanes departing on or after {as_of}; "
        "days include handling and the mean wait for a departure)",
    )
    for column in (
        "market",
        "region",
        "drive",
        "fastest d",
        "USD",
        "kgCO2e",
        "cheapest d",
        "USD ",
        "kgCO2e ",
        "fastest route / reason",
    ):
        table.add_column(
            column,
            justify="left"
            if column in {"market", "region", "drive", "fastest route / reason"}
            else "right",
            overflow="fold",
        )
    for m in summary.markets:
        label = f"{m.country} {m.name}"
        if m.fastest is None or m.cheapest is None:
            table.add_row(
                label,
                m.region,
                m.drive_side,
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                f"[yellow]unreachable: {m.reason}[/]",
            )
            continue
        f, c = m.fastest, m.cheapest
        table.add_row(
            label,
            m.region,
            m.drive_side,
            f"{f.days:.1f}",
            f"{f.cost_usd:,.0f}",
            f"{f.co2e_kg:,.0f}",
            f"{c.days:.1f}",
            f"{c.cost_usd:,.0f}",
            f"{c.co2e_kg:,.0f}",
            describe_path(snapshot, f),
        )
    console.print(table)
    reached = sum(1 for m in summary.markets if m.fastest is not None)
    console.print(f"{reached} of {len(summary.markets)} markets reachable")
