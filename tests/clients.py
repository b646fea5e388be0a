"""One way for tests to reach the HTTP app as an organisation's user.

Every API and page test builds its client here, so that how a request proves who it acts
for (today the X-Org-Id header / the configured organisation) is decided in one place.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from carexport.api.app import create_app
from carexport.config import Settings


def client_for(database_url: str, org_id: str) -> TestClient:
    """A test client of a fresh app on database_url that acts for org_id."""
    return TestClient(create_app(Settings(database_url=database_url, org_id=org_id)))
