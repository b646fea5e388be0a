"""carexport events: import milestone events (CSV or JSON lines)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from carexport.cli.render import console, problems_table
from carexport.config import get_settings

app = typer.Typer(help="VIN milestone events.", no_args_is_help=True)


@app.command("import")
def import_events(
    file: Path = typer.Argument(..., help="Events: .csv with a header, or .jsonl."),
    source: str | None = typer.Option(None, help="Who sent them (default: the file name)."),
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
) -> None:
    """Store new events (re-sent ones are ignored), reject bad ones with a reason, update status."""
    from carexport.cli.context import session_scope
    from carexport.tracking.service import ingest, read_event_file

    raw = read_event_file(file)
    with session_scope() as session:
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


def exceptions_command(
    kind: str | None = typer.Option(None, help="late, hold, damage, sequence, dwell or overdue."),
    vin: str | None = typer.Option(None, help="Only this VIN."),
    dwell_days: float = typer.Option(7.0, help="Days without movement at a node that count."),
    overdue_hours: float = typer.Option(24.0, help="Hours past a planned milestone that count."),
    limit: int = typer.Option(50, help="Rows shown."),
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
) -> None:
    """The vehicles that need attention now, and why."""
    from carexport.cli.context import session_scope
    from carexport.tracking.service import exceptions

    with session_scope() as session:
        found = exceptions(
            session,
            org or get_settings().org_id,
            kind=kind,
            vin=vin,
            dwell_days=dwell_days,
            overdue_hours=overdue_hours,
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
