"""carexport users ... and carexport audit: who may sign in, their API tokens, the audit log.

Role and kind choices mirror access.permissions (tests/access keep them equal) without
importing it, so that `carexport --help` stays cheap.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from enum import StrEnum

import typer
from rich.table import Table

from carexport.cli.options import DATE_METAVAR, day_start, iso_date, number_option
from carexport.cli.render import console

app = typer.Typer(help="Users, their roles, passwords and API tokens.", no_args_is_help=True)


class RoleChoice(StrEnum):
    """access.permissions.Role"""

    ADMIN = "admin"
    PLANNER = "planner"
    OPERATOR = "operator"
    VIEWER = "viewer"


class KindChoice(StrEnum):
    """access.permissions.Kind"""

    CARMAKER = "carmaker"
    LOGISTICS_PARTNER = "logistics_partner"
    DEALER = "dealer"


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command("add")
def add(
    username: str = typer.Argument(..., help="Login name (unique across organisations)."),
    org: str = typer.Option(..., "--org", help="Organisation id (created if new)."),
    role: RoleChoice = typer.Option(RoleChoice.VIEWER, help="What the user may do."),
    kind: KindChoice = typer.Option(KindChoice.CARMAKER, help="Kind of a new organisation."),
    org_name: str | None = typer.Option(None, help="Display name of a new organisation."),
    password: bool = typer.Option(False, "--password", help="Ask for a web password."),
    password_stdin: bool = typer.Option(False, help="Read the web password from stdin."),
) -> None:
    """Add a user (and its organisation, if new). Give it a token with `users token`."""
    from carexport.access import service
    from carexport.access.permissions import Kind, Role
    from carexport.cli.context import session_scope

    secret = _read_password(password_stdin) if password or password_stdin else None
    with session_scope(writes=True) as session:
        service.add_user(
            session,
            org,
            username,
            Role(role.value),
            kind=Kind(kind.value),
            org_name=org_name,
            password=secret,
        )
        service.record(
            session,
            org,
            _actor(),
            "manage_users",
            f"user {username}",
            "ok",
            {"added": username, "role": role.value},
        )
    console.print(
        f"user {username} ({role.value}) of {org} added"
        + ("" if secret else "; no password: it signs in by API token only")
    )


@app.command("password")
def password_command(
    username: str = typer.Argument(...),
    password_stdin: bool = typer.Option(False, help="Read the password from stdin."),
) -> None:
    """Set a user's web password (ends nothing else: tokens stay valid)."""
    from carexport.access import service
    from carexport.cli.context import session_scope

    secret = _read_password(password_stdin)
    with session_scope(writes=True) as session:
        service.set_password(session, username, secret)
        org = _org_of(session, username)
        service.record(
            session,
            org,
            _actor(),
            "manage_users",
            f"user {username}",
            "ok",
            {"password_set": username},
        )
    console.print(f"password of {username} set")


def _org_of(session: object, username: str) -> str:
    from carexport.access import service

    rows = [r for r in service.users(session) if r.username == username]  # type: ignore[arg-type]
    return str(rows[0].org_id)


@app.command("token")
def token(
    username: str = typer.Argument(...),
    label: str = typer.Option("", help="What the token is for (shown by users list --tokens)."),
) -> None:
    """Create an API token: printed once, stored only as its hash."""
    from carexport.access import service
    from carexport.cli.context import session_scope

    with session_scope(writes=True) as session:
        secret = service.issue_token(session, username, label)
        service.record(
            session,
            _org_of(session, username),
            _actor(),
            "manage_users",
            f"user {username}",
            "ok",
            {"token": secret[4:12], "label": label},
        )
    console.print(
        "API token (shown only now; send it as 'Authorization: Bearer <token>'):", highlight=False
    )
    # Plain print: a script can capture the token as the last line of stdout.
    print(secret)


@app.command("revoke")
def revoke(
    username: str = typer.Argument(...),
    prefix: str | None = typer.Option(
        None, help="Revoke only the token starting with this (see users list --tokens)."
    ),
) -> None:
    """Revoke a user's API tokens (all of them unless --prefix)."""
    from carexport.access import service
    from carexport.cli.context import session_scope

    with session_scope(writes=True) as session:
        count = service.revoke_tokens(session, username, prefix)
        service.record(
            session,
            _org_of(session, username),
            _actor(),
            "manage_users",
            f"user {username}",
            "ok",
            {"revoked": count, "prefix": prefix},
        )
    console.print(f"{count} token(s) of {username} revoked")


@app.command("list")
def list_users(
    org: str | None = typer.Option(None, "--org", help="Only this organisation."),
    tokens: bool = typer.Option(False, "--tokens", help="List each live token too."),
) -> None:
    """Users with their organisation, role, password and live tokens."""
    from carexport.access import service
    from carexport.cli.context import session_scope

    with session_scope() as session:
        rows = service.users(session, org)
        table = Table(title="users")
        for column in ("organisation", "kind", "user", "role", "password", "tokens"):
            table.add_column(column)
        for r in rows:
            live = (
                ", ".join(
                    f"{t.prefix}… {t.label}".strip()
                    for t in service.live_tokens(session, r.username)
                )
                if tokens
                else str(r.tokens)
            )
            table.add_row(
                r.org_id, r.kind, r.username, r.role, "yes" if r.has_password else "no", live
            )
    console.print(table if rows else "no users yet: carexport users add NAME --org ORG")


def audit_command(
    org: str = typer.Option(..., "--org", help="Organisation whose log to show."),
    since: dt.date | None = typer.Option(
        None, help="Only entries from this day on.", parser=iso_date, metavar=DATE_METAVAR
    ),
    actor: str | None = typer.Option(None, help="Only this user (or cli:NAME)."),
    action: str | None = typer.Option(None, help="Only this action (e.g. import_orders)."),
    limit: int = number_option(100, help="At most this many, newest first.", low=1, high=100_000),
) -> None:
    """The audit log: who changed what, when, and how it ended."""
    from carexport.access import service
    from carexport.cli.context import session_scope

    with session_scope() as session:
        rows = service.audit_entries(
            session, org, since=day_start(since), actor=actor, action=action, limit=limit
        )
        table = Table(title=f"audit log of {org}")
        for column in ("at (UTC)", "who", "action", "what", "outcome"):
            table.add_column(column, overflow="fold")
        for r in rows:
            table.add_row(f"{r.at:%Y-%m-%d %H:%M:%S}", r.actor, r.action, r.target, r.outcome)
    console.print(table if rows else f"no audit entries for {org}")
