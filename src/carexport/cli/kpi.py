"""carexport kpi: export and logistics KPIs."""

from __future__ import annotations

import typer
from rich.table import Table

from carexport.cli.render import console
from carexport.config import get_settings

app = typer.Typer(help="KPIs.", no_args_is_help=True)


@app.command("fvl")
def fvl_command(
    by: str = typer.Option("none", help="none, brand, market, month, lane or mode."),
    as_of: str | None = typer.Option(None, help="Judge completeness as of this date."),
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
) -> None:
    """Finished-vehicle logistics KPIs (ECG/Odette style) from the tracked events."""
    import datetime as dt

    from carexport.cli.context import session_scope
    from carexport.kpi.service import fvl

    with session_scope() as session:
        frame = fvl(
            session,
            org or get_settings().org_id,
            by=by,
            as_of=dt.datetime.combine(dt.date.fromisoformat(as_of), dt.time(), dt.UTC)
            if as_of
            else None,
        )
    table = Table(title="Finished-vehicle KPIs")
    for column in frame.columns:
        table.add_column(
            column,
            justify="left"
            if frame.schema[column] == frame.schema[frame.columns[0]] and column == frame.columns[0]
            else "right",
        )
    for row in frame.iter_rows():
        table.add_row(*["-" if v is None else str(v) for v in row])
    console.print(table)
