"""The KPI API: the same views as the CLI as JSON, and bad requests as clear 4xx answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.network.dataset import builtin_folder
from carexport.network.service import load_dataset
from tests.clients import client_for

COMTRADE = Path(__file__).parents[1] / "data" / "comtrade"


@pytest.fixture
def client(engine: Engine, database_url: str) -> Iterator[TestClient]:
    with unit_of_work(engine) as session:
        load_dataset(session, "acme", builtin_folder())
    with client_for(database_url, "acme") as test_client:
        yield test_client


def test_seed_and_targets(client: TestClient) -> None:
    seed = client.get("/kpi/seed").json()
    shown = {f["key"]: f["shown"] for f in seed["figures"]}
    assert shown["chongqing_export_value_usd"] == "$4.34 billion" and seed["missing"] == []
    targets = client.get("/kpi/targets", params={"as_of": "2025-06-01"}).json()
    assert len(targets) == 12
    share = next(t for t in targets if t["id"] == "T_CQ_SHARE_NATIONAL_2027")
    assert share["status"] == "on track" and share["baseline"]["label"] == "2023"
    assert all(t["status"] != "no data" or t["missing"] for t in targets)


def test_exports_of_an_empty_store_say_so(client: TestClient) -> None:
    body = client.get("/kpi/exports", params={"by": "brand,market", "period": "ytd"}).json()
    assert body["rows"] == [] and body["by"] == ["brand", "market"]
    assert any("no vehicle" in n for n in body["notes"])


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"by": "bogus"}, 400),
        ({"by": "brand,brand"}, 400),
        ({"period": "week"}, 422),
        ({"basis": "shipped"}, 422),
        ({"through": "2025-13-01"}, 422),
    ],
)
def test_bad_export_requests(client: TestClient, params: dict[str, str], status: int) -> None:
    response = client.get("/kpi/exports", params=params)
    assert response.status_code == status, response.text
    body = response.json()
    assert body.get("hint") or body.get("detail")


def test_rollout_of_avatr_and_of_an_unknown_brand(client: TestClient) -> None:
    body = client.get("/kpi/rollout", params={"brand": "avatr", "as_of": "2026-01-15"}).json()
    end_2024 = next(m for m in body["months"] if m["month"] == "2024-12-01")
    assert (end_2024["countries"], end_2024["stores_open"]) == (23, 25)
    assert {p["status"] for p in body["plan"]} == {"not met", "open"}
    response = client.get("/kpi/rollout", params={"brand": "NOPE"})
    assert response.status_code == 404 and response.json()["hint"]


def test_reconcile_upload(client: TestClient) -> None:
    good = COMTRADE / "china_exports_8703_2024.csv"
    with good.open("rb") as handle:
        response = client.post("/kpi/reconcile", files={"file": (good.name, handle)})
    assert response.status_code == 200, response.text
    rows = response.json()
    assert rows and all(r["carexport_vehicles"] in (0, None) for r in rows)
    bad = COMTRADE / "china_exports_8703_bad.csv"
    with bad.open("rb") as handle:
        response = client.post("/kpi/reconcile", files={"file": (bad.name, handle)})
    assert response.status_code in (400, 422), response.text
    problems = response.json()["problems"]
    assert problems and all(p["row"] and p["field"] for p in problems)


@pytest.mark.parametrize(
    "params",
    [{"kind": "bogus"}, {"offset": "-5"}, {"limit": "0"}, {"dwell_days": "-1"}],
)
def test_bad_exception_queries_are_422(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/exceptions", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == next(iter(params))


def test_the_api_exception_kinds_are_tracking_kinds() -> None:
    from typing import get_args

    from carexport.tracking.endpoints import ExceptionKind
    from carexport.tracking.exceptions import KINDS

    assert get_args(ExceptionKind) == KINDS
