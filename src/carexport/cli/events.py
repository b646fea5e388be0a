"""carexport events: import milestone events (CSV, JSON lines, DCSA Track & Trace), export
the event feed, simulate, learn; and carexport exceptions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.table import Table

from carexport.cli.options import (
    DATE_METAVAR,
    ExceptionKind,
    day_start,
    iso_date,
    number_option,
    output_file,
    seed_option,
)
from carexport.cli.render import console, problems_table
from carexport.config import get_settings

app = typer.Typer(help="VIN milestone events.", no_args_is_help=True)


@app.command("import")
def import_events(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="Events: .csv with a header, or .jsonl."
    ),
    source: str | None = typer.Option(None, help="Who sent them (default: the file name)."),
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
) -> None:
    """Store new events (re-sent ones are ignored), reject bad ones with a reason, update status."""
    from carexport.cli.context import session_scope
    from carexport.tracking.ingest import ingest, read_event_file

    raw = read_event_file(file)
    with session_scope(writes=True) as session:
        report = ingest(session, org or get_settings().org_id, raw, source=source or file.name)
    if report.problems:
        console.print(problems_table(report.problems[:50], title=f"Rejected events in {file.name}"))
    table = Table(title=f"Events from {file.name}")
    table.add_column("")
    table.add_column("count", justify="right")
    for label, value in (
        ("received", report.received),
        ("stored", report.stored),
        ("already stored", report.duplicates),
        ("rejected", report.rejected),
        ("VINs updated", report.vins_updated),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)


@app.command("import-dcsa")
def import_dcsa_command(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="DCSA Track & Trace 2.2 events: a JSON array (as GET /v2/events answers).",
    ),
    links: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="CSV reference,vin: equipment, booking or bill of lading numbers and their VINs.",
    ),
    locations: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="CSV unlocode,facility_code,node: places the built-in table does not have.",
    ),
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
) -> None:
    """Import DCSA transport and equipment events as milestones: all of the file or nothing."""
    from carexport.cli.context import session_scope
    from carexport.errors import InvalidInput
    from carexport.tracking.dcsa import import_dcsa
    from carexport.tracking.dcsa_inputs import read_links, read_locations

    try:
        link_table = read_links(_text(links), links.name) if links else None
        places = read_locations(_text(locations), locations.name) if locations else None
        with session_scope(writes=True) as session:
            report = import_dcsa(
                session,
                org or get_settings().org_id,
                file.read_bytes(),
                file=file.name,
                links=link_table,
                locations=places,
            )
    except InvalidInput as error:
        console.print(problems_table(error.problems[:100], title=f"Problems in {file.name}"))
        console.print(f"[red]error:[/] {error.message}; nothing stored")
        raise typer.Exit(1) from None
    if report.warnings:
        console.print(problems_table(report.warnings[:50], title=f"Skipped in {file.name}"))
    table = Table(title=f"DCSA events from {file.name}")
    table.add_column("")
    table.add_column("count", justify="right")
    for label, value in (
        ("DCSA events", report.events),
        ("skipped (no milestone)", report.skipped),
        ("milestone events (one per VIN)", report.milestones),
        ("VINs", report.vins),
        ("stored", report.ingest.stored),
        ("already stored", report.ingest.duplicates),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)


def _text(path: Path) -> str:
    """A small text file (links, locations) as text; not UTF-8 is a located problem."""
    from carexport.errors import InvalidInput, Problem

    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        problem = Problem(
            path.name, None, None, None, f"not UTF-8 ({error.reason})", "save as UTF-8 CSV"
        )
        raise InvalidInput(f"file {path.name}", [problem]) from None


@app.command("export")
def export_command(
    vins: list[str] | None = typer.Argument(None, help="VINs (default: every tracked VIN)."),
    order: str | None = typer.Option(None, help="The VINs of this order instead."),
    out: Path | None = typer.Option(
        None, help="Write here (default: standard output).", callback=output_file()
    ),
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
) -> None:
    """Each VIN's events and milestones as the JSON feed of GET /vehicles/{vin}/events."""
    import datetime as dt
    import sys

    from carexport.cli.context import session_scope
    from carexport.cli.render import error_console
    from carexport.errors import CarexportError
    from carexport.orders import service as orders_service
    from carexport.tracking.feed import feed_document, feed_vins, without_history

    org_id = org or get_settings().org_id
    with session_scope() as session:
        if order:
            wanted = [vin for vin, _ in orders_service.vins_of(session, org_id, order)]
            if not wanted:
                raise CarexportError(f"order {order!r} has no VINs", hint="check the order id")
        elif vins:
            wanted = sorted({vin.strip().upper() for vin in vins})
            missing = without_history(session, org_id, wanted)
            if missing:
                raise CarexportError(
                    f"no event and no plan for VIN(s) {', '.join(missing)}", hint="check the VINs"
                )
        else:
            wanted = feed_vins(session, org_id)
        pieces = feed_document(session, org_id, wanted, now=dt.datetime.now(dt.UTC))
        if out is None:
            sys.stdout.writelines(pieces)
        else:
            with out.open("w", encoding="utf-8") as handle:
                handle.writelines(pieces)
    (console if out else error_console).print(
        f"feed of {len(wanted):,} VIN(s)" + (f" written to {out}" if out else "")
    )


def exceptions_command(
    kind: ExceptionKind | None = typer.Option(None, help="Only this kind of exception."),
    vin: str | None = typer.Option(None, help="Only this VIN."),
    dwell_days: float = number_option(
        7.0, help="Days without movement at a node that count.", low=0, high=3650, kind=float
    ),
    overdue_hours: float = number_option(
        24.0, help="Hours past a planned milestone that count.", low=0, high=87_600, kind=float
    ),
    limit: int = number_option(50, help="Rows shown.", low=1, high=100_000),
    as_of: dt.date | None = typer.Option(
        None,
        help="Judge as of this date (default: now), e.g. after a simulation.",
        parser=iso_date,
        metavar=DATE_METAVAR,
    ),
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
) -> None:
    """The vehicles that need attention now, and why."""
    from carexport.cli.context import session_scope
    from carexport.tracking.service import exceptions

    with session_scope() as session:
        found = exceptions(
            session,
            org or get_settings().org_id,
            kind=kind.value if kind else None,
            vin=vin,
            dwell_days=dwell_days,
            overdue_hours=overdue_hours,
            now=day_start(as_of),
        )
    table = Table(title=f"Exceptions ({found.height:,}; first {min(limit, found.height)} shown)")
    for column in ("kind", "vin", "detail", "since"):
        table.add_column(column)
    for kind_, vin_, detail, since in (
        found.select("kind", "vin", "detail", "since").head(limit).iter_rows()
    ):
        table.add_row(kind_, vin_, detail, str(since))
    console.print(table)
    counts = found.group_by("kind").len().sort("kind")
    console.print(", ".join(f"{k}: {n:,}" for k, n in counts.iter_rows()) or "no exceptions")


@app.command("simulate")
def simulate_command(
    plan: str = typer.Option(..., help="Plan version id (see carexport plan --from-db)."),
    until: dt.date = typer.Option(
        ...,
        help="Simulate events that happened by this date.",
        parser=iso_date,
        metavar=DATE_METAVAR,
    ),
    seed: int = seed_option(0, "Random seed: the same seed gives the same events."),
    batch: int = number_option(
        20_000, help="Events per ingest batch (one transaction each).", low=1
    ),
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
) -> None:
    """Simulate realistic events for a stored plan and ingest them in shuffled batches."""
    from carexport.cli.context import session_scope
    from carexport.tracking.ingest import ingest, numbered
    from carexport.tracking.service import simulated_events

    org_id = org or get_settings().org_id
    end = dt.datetime.combine(until, dt.time(), dt.UTC)
    with session_scope() as session:
        records = simulated_events(session, org_id, plan, until=end, seed=seed)
    totals = [0, 0, 0, 0]
    for start in range(0, records.height, batch):
        with session_scope(writes=True) as session:
            report = ingest(
                session,
                org_id,
                numbered(records.slice(start, batch), first_row=start + 1),
                source="simulator",
                now=end,
            )
        for i, value in enumerate(
            (report.stored, report.duplicates, report.rejected, report.vins_updated)
        ):
            totals[i] += value
    console.print(
        f"simulated {records.height:,} event reports up to {until}: stored {totals[0]:,}, "
        f"duplicates {totals[1]:,}, rejected {totals[2]:,}"
    )


@app.command("learn")
def learn_command(
    as_of: dt.date | None = typer.Option(
        None,
        help="Stamp the model with this date (default: now).",
        parser=iso_date,
        metavar=DATE_METAVAR,
    ),
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
) -> None:
    """Learn lane transits and destination deliveries (median, p90); re-project open ETAs."""
    from carexport.cli.context import session_scope
    from carexport.tracking.service import learn_transit

    when = day_start(as_of)
    with session_scope(writes=True) as session:
        stats, changed = learn_transit(session, org or get_settings().org_id, now=when)
    table = Table(title=f"Learned durations ({stats.height} lanes and destinations)")
    for column in ("kind", "lane or destination", "observed", "median days", "p90 days"):
        table.add_column(
            column, justify="left" if column in ("kind", "lane or destination") else "right"
        )
    for kind, key, n, median, p90 in stats.select(
        "kind", "key", "observations", "median_hours", "p90_hours"
    ).iter_rows():
        table.add_row(kind, key, f"{n:,}", f"{median / 24:.2f}", f"{p90 / 24:.2f}")
    console.print(table)
    console.print(f"ETAs re-projected: {changed:,} changed")
