"""carexport users ... and carexport audit: the token printed once works on the API, and
bad values are usage errors (exit 2) or located errors, never tracebacks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from carexport.cli import app
from carexport.config import get_settings
from carexport.errors import CarexportError, InvalidInput
from tests.clients import anonymous_client

runner = CliRunner()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("CAREXPORT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield runner
    get_settings.cache_clear()


def run(*args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=stdin)


def test_add_token_list_revoke_and_audit(cli: object, database_url: str) -> None:
    added = run(
        "users",
        "add",
        "ana",
        "--org",
        "acme",
        "--role",
        "planner",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert added.exit_code == 0, added.output
    issued = run("users", "token", "ana", "--label", "ERP")
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip().splitlines()[-1]
    assert token.startswith("cxp_")
    with anonymous_client(database_url) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/orders", headers=headers).json()["total"] == 0
        assert client.get("/audit", headers=headers).status_code == 403  # a planner
    listed = run("users", "list", "--tokens")
    assert listed.exit_code == 0
    assert "ana" in listed.output and "planner" in listed.output
    assert token[4:12] in listed.output and "ERP" in listed.output
    revoked = run("users", "revoke", "ana")
    assert revoked.exit_code == 0 and "1 token(s) of ana revoked" in revoked.output
    with anonymous_client(database_url) as client:
        assert client.get("/orders", headers=headers).status_code == 401
    audit = run("audit", "--org", "acme")
    assert audit.exit_code == 0, audit.output
    assert audit.output.count("manage_users") == 3  # added, token, revoked
    assert "user ana" in audit.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["users", "add", "x1", "--org", "acme", "--role", "boss"], "boss"),
        (["users", "add", "x1", "--org", "acme", "--kind", "shop"], "shop"),
        (["audit", "--org", "acme", "--since", "15/02/2027"], "YYYY-MM-DD"),
        (["audit", "--org", "acme", "--limit", "-5"], "-5 is out of range"),
        (["users", "add", "x1"], "--org"),
    ],
)
def test_bad_values_are_usage_errors(cli: object, args: list[str], named: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert named in result.output
    assert "Traceback" not in result.output


def test_bad_names_and_unknown_users_are_located_errors(cli: object) -> None:
    bad = run("users", "add", "Bad Name", "--org", "acme")
    assert isinstance(bad.exception, InvalidInput)
    assert bad.exception.problems[0].field == "username"
    assert bad.exception.problems[0].value == "Bad Name"
    short = run("users", "add", "bob", "--org", "acme", "--password-stdin", stdin="short\n")
    assert isinstance(short.exception, InvalidInput) and "12" in str(short.exception.problems[0])
    unknown = run("users", "token", "nobody")
    assert isinstance(unknown.exception, CarexportError)
    assert unknown.exception.message == "no user 'nobody'"
    run("users", "add", "carl", "--org", "acme")
    twice = run("users", "add", "carl", "--org", "other")
    assert (
        isinstance(twice.exception, CarexportError) and "exists already" in twice.exception.message
    )
