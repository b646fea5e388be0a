"""One way for tests to reach the HTTP app as an organisation's user.

Every API and page test builds its client here: client_for creates (through the access
service, as `carexport users add` and `users token` do) a user of org_id with a fresh API
token and returns a TestClient that sends it on every request.
"""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

from carexport.access import service as access_service
from carexport.access.permissions import Kind, Role
from carexport.api.app import create_app
from carexport.config import Settings
from carexport.db.session import make_engine, unit_of_work


def make_user(
    database_url: str,
    org_id: str,
    role: Role = Role.admin,
    *,
    kind: Kind = Kind.carmaker,
    password: str | None = None,
    username: str | None = None,
) -> tuple[str, str]:
    """A new user of org_id (created if new) and an API token of it: (username, token)."""
    # A login name from the organisation's id, made of the characters names allow.
    stem = re.sub(r"[^a-z0-9._-]+", "-", org_id.lower()).strip("-._")[:40] or "org"
    username = username or f"{stem}-{role}-{uuid.uuid4().hex[:8]}"
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            access_service.add_user(session, org_id, username, role, kind=kind, password=password)
            token = access_service.issue_token(session, username, "tests")
    finally:
        engine.dispose()
    return username, token


def client_for(
    database_url: str,
    org_id: str,
    role: Role = Role.admin,
    settings: Settings | None = None,
) -> TestClient:
    """A test client of a fresh app on database_url that acts as a new user of org_id
    (an admin unless role says otherwise)."""
    _, token = make_user(database_url, org_id, role)
    settings = settings or Settings(database_url=database_url)
    return TestClient(create_app(settings), headers={"Authorization": f"Bearer {token}"})


def anonymous_client(database_url: str) -> TestClient:
    """A client that sends no credentials."""
    return TestClient(create_app(Settings(database_url=database_url)))
