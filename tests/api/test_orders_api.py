"""The orders API: same checks and atomicity as a file import, listing, detail, OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from carexport.db.session import unit_of_work
from carexport.network.dataset import builtin_folder
from carexport.network.service import load_dataset
from carexport.orders.tables import OrderRow, VehicleRow
from carexport.orders.vin import with_check_digit
from tests.clients import client_for


def order(order_id: str, **changes: Any) -> dict[str, Any]:
    base = {
        "order_id": order_id,
        "brand": "CHANGAN",
        "model": "CS35_PLUS",
        "variant": "CS35_PLUS_14T_LHD",
        "quantity": 2,
        "origin": "CN_CQ_CHANGAN",
        "destination_country": "SA",
        "ready_date": "2027-01-04",
        "due_date": "2027-03-01",
    }
    return {**base, **changes}


VIN_A = with_check_digit("LC9012008VC000001")
VIN_B = with_check_digit("LC9012008VC000002")


@pytest.fixture
def client(engine: Engine, database_url: str) -> Iterator[TestClient]:
    with unit_of_work(engine) as session:
        load_dataset(session, "acme", builtin_folder())
    with client_for(database_url, "acme") as test_client:
        yield test_client


def counts(engine: Engine) -> tuple[int, int]:
    with unit_of_work(engine) as session:
        orders = session.scalar(select(func.count()).select_from(OrderRow))
        vehicles = session.scalar(select(func.count()).select_from(VehicleRow))
    return orders or 0, vehicles or 0


def test_batch_with_one_bad_order_writes_nothing(client: TestClient, engine: Engine) -> None:
    response = client.post("/orders", json={"orders": [order("A1"), order("A2", quantity=0)]})
    assert response.status_code == 422
    body = response.json()
    assert body["committed"] is False
    assert [(p["file"], p["row"], p["field"], p["value"]) for p in body["problems"]] == [
        ("orders", 2, "quantity", "0")
    ]
    assert counts(engine) == (0, 0)


def test_batch_imports_then_repeats_as_a_no_op(client: TestClient, engine: Engine) -> None:
    batch = {
        "orders": [order("A1")],
        "vehicles": [
            {"vin": VIN_A, "order_id": "A1"},
            {"vin": VIN_B, "order_id": "A1", "soc_pct": 40},
        ],
    }
    first = client.post("/orders", json=batch)
    assert first.status_code == 200, first.json()
    assert (first.json()["orders_inserted"], first.json()["vehicles_inserted"]) == (1, 2)
    second = client.post("/orders", json=batch)
    assert second.status_code == 200
    assert (second.json()["orders_unchanged"], second.json()["import_id"]) == (1, None)
    assert counts(engine) == (1, 2)
    detail = client.get("/orders/A1").json()
    assert detail["vehicles"] == [{"vin": VIN_A, "soc_pct": None}, {"vin": VIN_B, "soc_pct": 40.0}]
    assert detail["unit_value_usd"] == 11500.0  # the variant's export price in variants.csv


def test_conflict_needs_update(client: TestClient) -> None:
    assert client.post("/orders", json={"orders": [order("A1")]}).status_code == 200
    changed = {"orders": [order("A1", quantity=5)]}
    refused = client.post("/orders", json=changed)
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["message"] == (
        "order already imported with different content"
    )
    updated = client.post("/orders", params={"update": True}, json=changed)
    assert updated.json()["orders_updated"] == 1
    assert client.get("/orders/A1").json()["quantity"] == 5


def test_skip_invalid_and_dry_run(client: TestClient, engine: Engine) -> None:
    batch = {"orders": [order("A1"), order("A2", brand="NOPE")]}
    dry = client.post("/orders", params={"dry_run": True}, json=batch)
    assert dry.status_code == 200 and counts(engine) == (0, 0)
    skipped = client.post("/orders", params={"skip_invalid": True}, json=batch)
    assert skipped.status_code == 200
    assert (skipped.json()["orders_inserted"], skipped.json()["orders_rejected"]) == (1, 1)
    assert counts(engine) == (1, 0)


def test_file_upload(client: TestClient, tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    path.write_text(
        "Order No,Brand,Model,Variant,Qty,Plant,Market,Ready Date,Due Date\n"
        "F1,Changan,CS35 Plus,CS35_PLUS_14T_LHD,3,CN_CQ_CHANGAN,SA,2027-01-04,2027-03-01\n",
        encoding="utf-8",
    )
    with path.open("rb") as handle:
        response = client.post("/orders/import", files={"file": ("book.csv", handle)})
    assert response.status_code == 200, response.json()
    assert response.json()["orders_inserted"] == 1
    assert client.get("/orders/F1").json()["quantity"] == 3


def test_list_filters_and_pages(client: TestClient) -> None:
    batch = {
        "orders": [
            order("A1"),
            order("A2", destination_country="AE", ready_date="2027-02-01"),
            order(
                "A3",
                brand="AVATR",
                model="AVATR_11",
                variant="AVATR_11_BEV_LHD",
                destination_country="AE",
                ready_date="2027-01-10",
            ),
        ]
    }
    assert client.post("/orders", json=batch).status_code == 200
    page = client.get("/orders", params={"market": "ae"}).json()
    assert (page["total"], [o["order_id"] for o in page["items"]]) == (2, ["A3", "A2"])
    assert client.get("/orders", params={"brand": "avatr"}).json()["total"] == 1
    window = client.get("/orders", params={"ready_from": "2027-01-05", "ready_to": "2027-01-31"})
    assert [o["order_id"] for o in window.json()["items"]] == ["A3"]
    second = client.get("/orders", params={"limit": 1, "offset": 1}).json()
    assert (second["total"], [o["order_id"] for o in second["items"]]) == (3, ["A3"])


def test_unknown_order_is_404(client: TestClient) -> None:
    response = client.get("/orders/NOPE")
    assert response.status_code == 404
    assert response.json()["error"] == "order 'NOPE' not found"


def test_openapi_documents_every_route(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/orders", "/orders/import", "/orders/{order_id}", "/health"} <= set(schema["paths"])
    post = schema["paths"]["/orders"]["post"]
    assert {"200", "422"} <= set(post["responses"])
    assert "OrderIn" in schema["components"]["schemas"]


def test_an_empty_batch_is_one_clear_problem(client: TestClient) -> None:
    response = client.post("/orders", json={"orders": []})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) == 1 and detail[0]["loc"] == ["body", "orders"]
    assert "at least 1" in detail[0]["msg"]


def test_vins_of_an_order_batch_without_columns_are_not_a_server_error(
    client: TestClient, engine: Engine
) -> None:
    # schemathesis found it: VINs beside orders that lack every column were a 500.
    batch = {"orders": [{}], "vehicles": [{"vin": "LC9012008TC000001", "order_id": "X"}]}
    response = client.post("/orders", json=batch)
    assert response.status_code == 422
    missing = {p["field"] for p in response.json()["problems"]}
    assert {"order_id", "brand", "quantity", "due_date"} <= missing
    assert counts(engine) == (0, 0)


def test_a_validation_error_is_the_shape_the_schema_documents(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    answer = schema["paths"]["/orders"]["post"]["responses"]["422"]["content"]
    refs = {s["$ref"].rsplit("/", 1)[1] for s in answer["application/json"]["schema"]["anyOf"]}
    assert refs == {"ImportReportOut", "RequestInvalidOut"}
    response = client.post("/orders", json={"orders": "not a list"})
    assert response.status_code == 422
    assert {"loc", "msg", "type"} <= set(response.json()["detail"][0])


def test_a_corrupt_workbook_is_named_without_a_server_path(client: TestClient) -> None:
    files = {"file": ("orders.xlsx", b"PK\x03\x04 not really a workbook", "application/zip")}
    response = client.post("/orders/import", files=files)
    assert response.status_code in (400, 422), response.text
    text = response.text
    assert "orders.xlsx" in text
    assert "/tmp" not in text and "carexport-upload" not in text
