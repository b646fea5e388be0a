"""Isolation: every route of the app, walked as another organisation's admin and as nobody,
against the data of a first organisation: nothing of the first is shown, nothing written.

The walk is over app.routes (the OpenAPI schema's routes and the pages, which the schema
leaves out), so a route added tomorrow is walked too; and it fails when a route has no
access rule in access.permissions (such a route answers 403 to everyone until it has one).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from carexport.access.permissions import Action, rule_for
from carexport.access.tables import AuditRow
from carexport.db import models_registry
from carexport.db.base import Base
from carexport.db.session import unit_of_work
from carexport.network.dataset import builtin_folder
from carexport.network.service import load_dataset
from carexport.orders.vin import with_check_digit
from tests.clients import anonymous_client, client_for

OWNER = "org-alpha-7f3"  # a marker: the second organisation must never see this text
OTHER = "org-beta"
VINS = [with_check_digit("LC9012008VC00077" + str(i)) for i in (1, 2)]
ORDER_ID = "ALPHA-ORDER-1"
BATCH = {
    "orders": [
        {
            "order_id": ORDER_ID,
            "brand": "CHANGAN",
            "model": "CS35_PLUS",
            "variant": "CS35_PLUS_14T_LHD",
            "quantity": 2,
            "origin": "CN_CQ_CHANGAN",
            "destination_country": "VN",
            "ready_date": "2025-01-04",
            "due_date": "2025-02-15",
        }
    ],
    "vehicles": [{"vin": v, "order_id": ORDER_ID} for v in VINS],
}
UPLOAD = (
    "order_id,brand,model,variant,quantity,origin,destination_country,ready_date,due_date\n"
    "ALPHA-STAGED-1,CHANGAN,CS35_PLUS,CS35_PLUS_14T_LHD,1,CN_CQ_CHANGAN,VN,2025-01-04,2025-02-15\n"
)


def app_routes(client: TestClient) -> list[tuple[str, Any]]:
    """(method, route) of every FastAPI route, included routers' routes as served."""
    return [
        (method, route)
        for route in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        if isinstance(route.original_route, APIRoute)
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]


def owner_world(database_url: str, engine: Engine) -> tuple[TestClient, dict[str, str]]:
    """The first organisation: network, an order with two VINs, a plan, an event, learned
    transit, a staged upload; returns its client and the ids a URL could name."""
    with unit_of_work(engine) as session:
        load_dataset(session, OWNER, builtin_folder())
    owner = client_for(database_url, OWNER)
    owner.__enter__()
    assert owner.post("/orders", json=BATCH).status_code == 200
    plan = owner.post("/plans", json={"start": "2025-01-04", "horizon_days": 60})
    assert plan.status_code == 201, plan.text
    event = {"vin": VINS[0], "code": "RELEASED", "node": "CN_CQ_CHANGAN"}
    sent = owner.post("/events", json={"events": [{**event, "event_time": "2025-01-04T08:00:00Z"}]})
    assert sent.json()["stored"] == 1, sent.text
    assert owner.post("/transit/learn").status_code == 200
    staged = owner.post(
        "/ui/orders/upload",
        headers={"HX-Request": "true"},
        files={"file": ("orders.csv", UPLOAD.encode())},
    )
    token = re.search(r"/ui/orders/upload/([A-Za-z0-9_-]{32})/commit", staged.text)
    assert token, staged.text[:2000]
    return owner, {"plan_id": plan.json()["id"], "token": token.group(1)}


def markers(ids: dict[str, str]) -> list[str]:
    return [OWNER, ORDER_ID, "ALPHA-STAGED-1", *VINS, ids["plan_id"], ids["token"]]


def fill(route: Any, ids: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The route's URL with the first organisation's ids in its path and query."""
    values = {
        "order_id": ORDER_ID,
        "order": ORDER_ID,
        "plan_id": ids["plan_id"],
        "plan": ids["plan_id"],
        "job_id": ids["plan_id"],
        "vin": VINS[0],
        "owner_id": OWNER,
        "token": ids["token"],
        "kind": "csv",
        "fmt": "csv",
    }
    path = route.path
    for name in re.findall(r"{(\w+)(?::\w+)?}", path):
        path = re.sub("{" + name + r"(?::\w+)?}", values.get(name, ORDER_ID), path)
    query = {p.name: values[p.name] for p in route.dependant.query_params if p.name in values}
    return path, query


def send(client: TestClient, method: str, route: Any, ids: dict[str, str]) -> Any:
    path, query = fill(route, ids)
    if method == "GET":
        return client.get(path, params=query, follow_redirects=False)
    if method == "DELETE":
        return client.delete(path, params=query, follow_redirects=False)
    if route.path.startswith("/ui"):
        return client.post(path, params=query, data={}, follow_redirects=False)
    return client.post(path, params=query, json={}, follow_redirects=False)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows of every table, and the first organisation's audit entries (the second's own
    refused attempts are audited, as they should be)."""
    models_registry.import_all()
    with engine.connect() as connection:
        counts = {
            table.name: connection.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
            if table.name != AuditRow.__tablename__
        }
        counts["owner audit"] = (
            connection.scalar(select(func.count()).where(AuditRow.org_id == OWNER)) or 0
        )
    return counts


def test_every_route_has_an_access_rule(database_url: str) -> None:
    with anonymous_client(database_url) as client:
        routes = app_routes(client)
        missing = [f"{m} {r.path}" for m, r in routes if rule_for(m, r.path) is None]
        # authorize finds the rule by the route's own path: an include-time prefix would
        # make it differ from the path served.
        prefixed = [r.path for _, r in routes if r.path != r.original_route.path]
    assert len(routes) > 40
    assert missing == [], "add these to ROUTE_RULES in carexport/access/permissions.py"
    assert prefixed == []


def test_another_organisation_and_nobody_see_nothing_and_write_nothing(
    database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    owner, ids = owner_world(database_url, engine)
    secrets = markers(ids)
    routes = app_routes(owner)
    # The check can fail: as the owner, the same walk shows the owner's data.
    seen_by_owner = [
        f"{m} {r.path}"
        for m, r in routes
        if m == "GET" and any(s in send(owner, m, r, ids).text for s in secrets[1:])
    ]
    assert len(seen_by_owner) >= 5, seen_by_owner
    leaks: list[str] = []
    server_errors: list[str] = []
    let_in: list[str] = []
    with client_for(database_url, OTHER) as other, anonymous_client(database_url) as nobody:
        before = row_counts(engine)  # with the other organisation's user made
        for method, route in routes:
            action = rule_for(method, route.path)
            path, query = fill(route, ids)
            for who, client in (("other", other), ("nobody", nobody)):
                answer = send(client, method, route, ids)
                where = f"{who}: {method} {route.path} -> {answer.status_code}"
                if answer.status_code >= 500:
                    server_errors.append(where)
                sent = path + " " + " ".join(query.values())
                shown = [s for s in secrets if s in answer.text and s not in sent]
                if shown:
                    leaks.append(f"{where} shows {shown}")
                if who == "nobody" and action is not Action.public:
                    refused = answer.status_code == 401 or (
                        answer.status_code == 303
                        and answer.headers["location"].startswith("/ui/login")
                    )
                    if not refused:
                        let_in.append(where)
        # A page's plan run for the other organisation runs in the background: let it end.
        from carexport.web.plan_jobs import plan_jobs

        jobs = plan_jobs(other.app)  # type: ignore[arg-type]
        deadline = time.monotonic() + 60
        while jobs.running(OTHER) and time.monotonic() < deadline:
            time.sleep(0.1)
    owner.__exit__(None, None, None)
    after = row_counts(engine)
    with capsys.disabled():
        print(
            f"\nisolation: {len(routes)} routes x 2 callers walked; leaks {len(leaks)}, "
            f"server errors {len(server_errors)}, unauthenticated let in {len(let_in)}, "
            f"tables whose row count changed {sum(before[t] != after[t] for t in before)}"
        )
    assert leaks == []
    assert server_errors == []
    assert let_in == []
    assert after == before
