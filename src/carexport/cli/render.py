"""How the CLI shows problems and errors: one table, every problem located."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from carexport.errors import CarexportError, InvalidInput, Problem

console = Console()
error_console = Console(stderr=True)


def problems_table(problems: Sequence[Problem], title: str | None = None) -> Table:
    table = Table(title=title, show_lines=False, expand=False)
    for column in ("severity", "file", "row", "field", "value", "problem", "fix"):
        table.add_column(column, overflow="fold")
    for p in problems:
        style = "red" if p.severity == "error" else "yellow"
        table.add_row(
            f"[{style}]{p.severity}[/]",
            p.file,
            "" if p.row is None else str(p.row),
            p.field or "",
            p.value or "",
            p.message,
            p.hint or "",
        )
    return table


def render_error(error: CarexportError) -> None:
    if isinstance(error, InvalidInput):
        error_console.print(problems_table(error.problems))
    error_console.print(f"[red]error:[/] {error.message}")
    if error.hint:
        error_console.print(f"[dim]fix:[/] {error.hint}")
