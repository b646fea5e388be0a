"""carexport db: schema migrations."""

from __future__ import annotations

import typer

from carexport.cli.render import console

app = typer.Typer(help="Database schema.", no_args_is_help=True)


def database_url(value: str | None) -> str | None:
    """Callback of --url: a SQLite or PostgreSQL URL, else a usage error saying the form."""
    if value is None:
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    forms = "sqlite:///FILE.db or postgresql://USER:PASSWORD@HOST/DATABASE"
    try:
        backend = make_url(value).get_backend_name()
    except ArgumentError:
        raise typer.BadParameter(f"{value!r} is not a database URL: write {forms}") from None
    if backend not in ("sqlite", "postgresql", "postgres"):
        raise typer.BadParameter(
            f"{backend!r} is not a database carexport stores in: write {forms}"
        )
    return value


@app.command("upgrade")
def upgrade(
    url: str | None = typer.Option(
        None, help="Database URL (default: CAREXPORT_DATABASE_URL).", callback=database_url
    ),
) -> None:
    """Create or migrate the database schema to the current version (Alembic)."""
    from carexport.cli.context import database, say_waiting
    from carexport.db.migrate import current_revision, head_revision
    from carexport.db.migrate import upgrade as run_upgrade

    with database(url, check_schema=False) as engine:
        before = current_revision(engine)
        # Migrating writes, so it waits for other writers' turns: not when there is nothing
        # to migrate.
        if before != head_revision():
            run_upgrade(engine, on_wait=say_waiting)
        after = current_revision(engine)
        where = engine.url.render_as_string(hide_password=True)
    if before == after:
        console.print(f"{where}: already at revision {after}")
    else:
        console.print(f"{where}: upgraded {before or '(empty)'} -> {after}")
