"""carexport db: schema migrations."""

from __future__ import annotations

import typer

from carexport.cli.render import console

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    url: str | None = typer.Option(None, help="Database URL (default: CAREXPORT_DATABASE_URL)."),
) -> None:
    """Create or migrate the database schema to the current version (Alembic)."""
    from carexport.cli.context import database
    from carexport.db.migrate import current_revision
    from carexport.db.migrate import upgrade as run_upgrade

    with database(url, check_schema=False) as engine:
        before = current_revision(engine)
        run_upgrade(engine)
        after = current_revision(engine)
        where = engine.url.render_as_string(hide_password=True)
    if before == after:
        console.print(f"{where}: already at revision {after}")
    else:
        console.print(f"{where}: upgraded {before or '(empty)'} -> {after}")
