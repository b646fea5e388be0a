"""The carexport command line. Commands live one module per domain; heavy imports stay inside."""

from __future__ import annotations

import sys

import typer

from carexport.cli import db as db_commands
from carexport.cli import demo as demo_command
from carexport.cli import events as events_commands
from carexport.cli import kpi as kpi_commands
from carexport.cli import network as network_commands
from carexport.cli import orders as orders_commands
from carexport.cli import plan as plan_command
from carexport.cli import scenarios as scenarios_commands
from carexport.cli import serve as serve_command
from carexport.cli import users as users_commands
from carexport.cli.render import console, render_error
from carexport.errors import CarexportError

app = typer.Typer(
    help="carexport: plan and run vehicle exports (network, orders, shipments, tracking, KPIs).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_commands.app, name="db")
app.add_typer(network_commands.app, name="network")
app.add_typer(orders_commands.app, name="orders")
app.add_typer(events_commands.app, name="events")
app.add_typer(kpi_commands.app, name="kpi")
app.add_typer(scenarios_commands.app, name="scenarios")
app.add_typer(users_commands.app, name="users")
app.command("demo")(demo_command.demo)
app.command("serve")(serve_command.serve)
app.command("plan")(plan_command.plan_command)
app.command("exceptions")(events_commands.exceptions_command)
app.command("audit")(users_commands.audit_command)


def main() -> None:
    try:
        app()
    except CarexportError as error:
        render_error(error)
        sys.exit(error.exit_code)


__all__ = ["app", "console", "main"]
