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
