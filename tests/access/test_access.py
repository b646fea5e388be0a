"""Roles, tokens, web sessions, CSRF, limits and the audit log, through the HTTP app."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from carexport.access.permissions import PERMISSIONS, Action, Role
from carexport.access.tables import TokenRow, UserRow
from carexport.api.app import create_app
from carexport.config import Settings
from carexport.db.session import unit_of_work
from tests.clients import anonymous_client, client_for, make_user

ORG = "acme"
PASSWORD = "a long enough password"
EVENT = {"vin": "LC9012008VC0000X1", "code": "RELEASED", "node": "CN_CQ_CHANGAN"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_are_stored_hashed_and_revoked_tokens_refused(
    database_url: str, engine: Engine
) -> None:
    username, token = make_user(database_url, ORG, Role.viewer)
    with unit_of_work(engine) as session:
        stored = session.scalars(select(TokenRow).where(TokenRow.username == username)).one()
        user = session.scalars(select(UserRow).where(UserRow.username == username)).one()
    assert token.startswith("cxp_") and len(token) == 4 + 43  # 32 random bytes, base64url
    assert token not in stored.token_hash and len(stored.token_hash) == 64  # sha256 hex
    assert user.password_hash is None
    with anonymous_client(database_url) as client:
        assert client.get("/orders", headers=bearer(token)).status_code == 200
    from carexport.access import service

    with unit_of_work(engine) as session:
        assert service.revoke_tokens(session, username) == 1
    # A fresh app (another process, as after `carexport users revoke`): refused at once.
    with anonymous_client(database_url) as client:
        refused = client.get("/orders", headers=bearer(token))
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
        assert "sign in first" in refused.json()["error"]
        assert client.get("/orders", headers=bearer("cxp_" + "A" * 43)).status_code == 401
        assert client.get("/orders", headers={"Authorization": "Basic eDp5"}).status_code == 401


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        # Expected from the table in README.md (Access): who may import, ingest, audit.
        (Role.viewer, {"read"}),
        (Role.operator, {"read", "ingest"}),
        (Role.planner, {"read", "import"}),
        (Role.admin, {"read", "import", "ingest", "audit"}),
    ],
)
def test_each_role_may_do_what_the_table_says(
    database_url: str, role: Role, allowed: set[str]
) -> None:
    refused = 403
    with client_for(database_url, ORG, role) as client:
        answers = {
            "read": client.get("/orders").status_code,
            # An empty batch: 422 once past the access check, so nothing is stored.
            "import": client.post("/orders", json={"orders": []}).status_code,
            "ingest": client.post("/events", json={"events": []}).status_code,
            "audit": client.get("/audit").status_code,
        }
    assert {what for what, status in answers.items() if status != refused} == allowed, answers


def test_the_readme_table_is_the_code_table() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Roles and what they may do") :]
    section = section[: section.index("\n\n", section.index("| action |"))]  # the table
    rows = re.findall(r"^\| `(\w+)` \|(.+)\|\s*$", section, flags=re.M)
    header = re.search(r"^\| action \|(.+)\|\s*$", section, flags=re.M)
    assert header
    roles = [c.strip() for c in header.group(1).split("|")]
    table = {
        Role(role): {
            Action(action) for action, cells in rows if cells.split("|")[i].strip() == "yes"
        }
        for i, role in enumerate(roles)
    }
    assert table == {r: PERMISSIONS[r] - {Action.public} for r in Role}


@pytest.fixture
def browser(database_url: str) -> Iterator[TestClient]:
    """A client without a token that signs in through the login form, as a browser does."""
    make_user(database_url, ORG, Role.admin, password=PASSWORD, username="alice")
    with anonymous_client(database_url) as client:
        yield client


def login_form(client: TestClient, next_path: str = "/ui/") -> str:
    page = client.get(f"/ui/login?next={next_path}")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def sign_in(client: TestClient, password: str = PASSWORD, username: str = "alice") -> object:
    token = login_form(client)
    return client.post(
        "/ui/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/ui/"},
        follow_redirects=False,
    )


def test_pages_ask_for_a_sign_in_and_the_session_cookie_is_safe(browser: TestClient) -> None:
    away = browser.get("/ui/orders?brand=X", follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"] == "/ui/login?next=/ui/orders%3Fbrand%3DX"
    htmx = browser.get("/ui/orders", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/ui/login")
    answer = sign_in(browser)
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/"  # type: ignore[attr-defined]
    cookie = answer.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "carexport_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; over https the cookie is Secure
    page = browser.get("/ui/")
    assert page.status_code == 200 and "alice" in page.text
    # Only a path of this site after signing in, never another host.
    token = login_form(browser)
    elsewhere = browser.post(
        "/ui/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/ui/"


def test_secure_cookie_over_https(database_url: str) -> None:
    make_user(database_url, ORG, Role.viewer, password=PASSWORD, username="bob")
    app = create_app(Settings(database_url=database_url))
    with TestClient(app, base_url="https://testserver") as client:
        answer = sign_in(client, username="bob")
        assert "Secure" in answer.headers["set-cookie"]  # type: ignore[attr-defined]


def test_login_form_needs_its_token_and_failures_are_limited(database_url: str) -> None:
    make_user(database_url, ORG, Role.admin, password=PASSWORD, username="carol")
    settings = Settings(database_url=database_url, login_failures_allowed=3)
    with TestClient(create_app(settings)) as client:
        forged = client.post(
            "/ui/login", data={"username": "carol", "password": PASSWORD, "csrf_token": "x"}
        )
        assert forged.status_code == 403 and "expired" in forged.text
        for _ in range(3):
            wrong = sign_in(client, "wrong password!", "carol")
            assert wrong.status_code == 401  # type: ignore[attr-defined]
            assert "Wrong user name or password" in wrong.text  # type: ignore[attr-defined]
        # The right password, but after 3 failures: wait (429), with what to do.
        blocked = sign_in(client, PASSWORD, "carol")
        assert blocked.status_code == 429  # type: ignore[attr-defined]
        assert "wait 15 minutes" in blocked.text  # type: ignore[attr-defined]
        unknown = sign_in(client, PASSWORD, "nobody-here")
        assert unknown.status_code == 401  # type: ignore[attr-defined]


def test_session_writes_need_the_csrf_token(browser: TestClient) -> None:
    sign_in(browser)
    page = browser.get("/ui/").text
    csrf = re.search(r'data-csrf="([^"]+)"', page)
    assert csrf and f'hx-headers=\'{{"X-CSRF-Token": "{csrf.group(1)}"}}\'' in page
    form = {"start": "2027-01-04"}
    missing = browser.post("/ui/plan/run", data=form, headers={"HX-Request": "true"})
    assert missing.status_code == 403 and "security token" in missing.text
    wrong = browser.post("/ui/plan/run", data={**form, "csrf_token": "nope"})
    assert wrong.status_code == 403
    # With the token (header, as HTMX sends it; or the form field) the run is accepted:
    # 202, told that this organisation has no network.
    run = browser.post(
        "/ui/plan/run", data=form, headers={"HX-Request": "true", "X-CSRF-Token": csrf.group(1)}
    )
    assert run.status_code in (202, 400, 409), run.text[:500]
    # Signing out ends the session: the cookie is worthless afterwards.
    cookie = browser.cookies.get("carexport_session")
    out = browser.post("/ui/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert out.status_code == 303
    browser.cookies.set("carexport_session", cookie or "")
    assert browser.get("/ui/", follow_redirects=False).status_code == 303


def test_writes_are_audited_and_only_admins_read_the_log(database_url: str) -> None:
    with client_for(database_url, ORG, Role.operator) as operator:
        operator.post("/events", json={"events": [{**EVENT, "event_time": "2025-01-04T08:00Z"}]})
        operator.get("/orders")  # reads are not audited
    with client_for(database_url, ORG, Role.viewer) as viewer:
        assert viewer.get("/audit").status_code == 403
    with client_for(database_url, "someone-else") as other:
        assert other.get("/audit").json() == []
    with client_for(database_url, ORG) as admin:
        entries = admin.get("/audit").json()
    assert [(e["action"], e["target"], e["outcome"]) for e in entries] == [
        ("ingest_events", "POST /events", "ok")
    ]
    assert entries[0]["actor"].startswith("acme-operator-")


def test_body_limits_answer_413_with_the_setting(database_url: str) -> None:
    _, token = make_user(database_url, ORG)
    settings = Settings(database_url=database_url, max_upload_bytes=2000, max_json_bytes=1000)
    with TestClient(create_app(settings), headers=bearer(token)) as client:
        big = client.post("/events", json={"events": [EVENT] * 20})
        assert big.status_code == 413
        assert big.json()["error"] == "the request body is larger than the limit of 1,000 bytes"
        assert "CAREXPORT_MAX_JSON_BYTES" in big.json()["hint"]
        upload = client.post(
            "/ui/orders/upload",
            headers={"HX-Request": "true"},
            files={"file": ("orders.csv", b"x" * 3000)},
        )
        assert upload.status_code == 413 and "CAREXPORT_MAX_UPLOAD_BYTES" in upload.text

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"events": ['
            for _ in range(40):
                yield b'{"vin": "LC9012008VC0000X1", "code": "RELEASED"},'
            yield b"{}]}"

        chunked = client.post(
            "/events", content=chunks(), headers={"content-type": "application/json"}
        )
        assert chunked.status_code == 413
        assert client.post("/events", json={"events": [EVENT]}).status_code == 200
