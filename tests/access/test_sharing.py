"""Sharing: a carmaker shows one order to its logistics partner (to operate: the partner
posts its vehicles' events) and a dealer's orders to the dealer (read-only); nothing
else of the carmaker is visible to either, and another organisation's ids are 404."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from carexport.access.permissions import Kind, Role
from carexport.db.session import unit_of_work
from carexport.network.dataset import builtin_folder
from carexport.network.service import load_dataset
from carexport.orders.vin import with_check_digit
from tests.clients import client_for, make_user

CARMAKER, PARTNER, DEALER = "changan-x", "lp-x", "dealer-x"
V1, V2, V3, V4 = (with_check_digit(f"LC9012008VC00088{i}") for i in range(1, 5))
STORE = "D_CHANGAN_SA_01"  # a Changan dealer in Riyadh in the built-in dealers.csv


def order(order_id: str, **more: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "brand": "CHANGAN",
        "model": "CS35_PLUS",
        "variant": "CS35_PLUS_14T_LHD",
        "quantity": 1,
        "origin": "CN_CQ_CHANGAN",
        "destination_country": "SA",
        "ready_date": "2025-01-04",
        "due_date": "2025-03-01",
        **more,
    }


def released(vin: str, hour: int = 8) -> dict[str, str]:
    return {
        "vin": vin,
        "code": "RELEASED",
        "node": "CN_CQ_CHANGAN",
        "event_time": f"2025-01-04T{hour:02d}:00:00Z",
    }


def test_partner_operates_a_shared_order_and_the_dealer_reads_its_own(
    database_url: str, engine: Engine
) -> None:
    with unit_of_work(engine) as session:
        load_dataset(session, CARMAKER, builtin_folder())
    make_user(database_url, PARTNER, Role.admin, kind=Kind.logistics_partner)
    make_user(database_url, DEALER, Role.viewer, kind=Kind.dealer)
    batch = {
        "orders": [order("O1", quantity=2), order("O2", dealer=STORE), order("O3")],
        "vehicles": [
            {"vin": V1, "order_id": "O1"},
            {"vin": V2, "order_id": "O1"},
            {"vin": V3, "order_id": "O2"},
            {"vin": V4, "order_id": "O3"},
        ],
    }
    with client_for(database_url, CARMAKER) as carmaker:
        imported = carmaker.post("/orders", json=batch)
        assert imported.status_code == 200, imported.text
        events = [released(V1), released(V3), released(V4)]
        assert carmaker.post("/events", json={"events": events}).json()["stored"] == 3
        share = carmaker.post(
            "/shares", json={"partner_id": PARTNER, "order_id": "O1", "mode": "operate"}
        )
        assert share.status_code == 201, share.text
        assert share.json()["created_by"].startswith("changan-x-admin-")
        assert (
            carmaker.post("/shares", json={"partner_id": DEALER, "dealer_id": STORE}).status_code
            == 201
        )
        # A store's orders go only to a dealer; an order must be the carmaker's own.
        wrong_kind = carmaker.post("/shares", json={"partner_id": PARTNER, "dealer_id": STORE})
        assert wrong_kind.status_code == 400 and "only a dealer" in wrong_kind.json()["error"]
        assert (
            carmaker.post("/shares", json={"partner_id": PARTNER, "order_id": "NOPE"}).status_code
            == 404
        )
        assert (
            carmaker.post("/shares", json={"partner_id": "nobody", "order_id": "O1"}).status_code
            == 404
        )
        assert carmaker.post("/shares", json={"partner_id": PARTNER}).status_code == 422
        assert len(carmaker.get("/shares").json()) == 2
    with client_for(database_url, CARMAKER, Role.planner) as planner:
        assert (
            planner.post("/shares", json={"partner_id": PARTNER, "order_id": "O3"}).status_code
            == 403
        )

    with client_for(database_url, PARTNER, Role.operator) as partner:
        assert [(s["owner_id"], s["key"], s["mode"]) for s in partner.get("/shared").json()] == [
            (CARMAKER, "O1", "operate")
        ]
        orders = partner.get(f"/shared/{CARMAKER}/orders").json()
        assert [(o["order_id"], o["mode"], o["vins"]) for o in orders] == [
            ("O1", "operate", [V1, V2])
        ]
        assert partner.get(f"/shared/{CARMAKER}/orders/O3").status_code == 404
        assert partner.get(f"/shared/{CARMAKER}/orders/O2").status_code == 404
        vehicle = partner.get(f"/shared/{CARMAKER}/vehicles/{V1}")
        assert vehicle.status_code == 200 and vehicle.json()["status"]["status"] == "at_plant"
        assert partner.get(f"/shared/{CARMAKER}/vehicles/{V4}").status_code == 404
        # Its own book and tracking hold nothing of the carmaker's.
        assert partner.get("/orders").json()["total"] == 0
        assert partner.get(f"/vehicles/{V1}").status_code == 404
        assert partner.get("/shared/someone-else/orders").json() == []
        # Operating: the shared order's VIN goes into the carmaker's tracking...
        stored = partner.post(f"/shared/{CARMAKER}/events", json={"events": [released(V2)]})
        assert stored.status_code == 200 and stored.json()["stored"] == 1, stored.text
        # ...and a batch with one VIN of an order not shared stores nothing, naming it.
        refused = partner.post(
            f"/shared/{CARMAKER}/events", json={"events": [released(V1, 9), released(V4, 9)]}
        )
        assert refused.status_code == 422
        assert [(p["row"], p["value"]) for p in refused.json()["problems"]] == [(2, V4)]
    with client_for(database_url, PARTNER, Role.viewer) as viewer:
        assert viewer.post(f"/shared/{CARMAKER}/events", json={"events": []}).status_code == 403

    with client_for(database_url, DEALER, Role.viewer) as dealer:
        orders = dealer.get(f"/shared/{CARMAKER}/orders").json()
        assert [(o["order_id"], o["dealer_id"], o["vins"]) for o in orders] == [("O2", STORE, [V3])]
        assert dealer.get(f"/shared/{CARMAKER}/vehicles/{V3}").status_code == 200
        assert dealer.get(f"/shared/{CARMAKER}/vehicles/{V1}").status_code == 404

    with client_for(database_url, CARMAKER) as carmaker:
        # The partner's event is the carmaker's now (4 stored in all), and V4 has one event.
        assert carmaker.get(f"/vehicles/{V2}").json()["status"] == "at_plant"
        assert carmaker.get(f"/vehicles/{V4}").json()["events"] == 1
        gone = carmaker.delete("/shares", params={"partner_id": PARTNER, "order_id": "O1"})
        assert gone.status_code == 204
    with client_for(database_url, PARTNER) as partner:
        assert partner.get(f"/shared/{CARMAKER}/orders/O1").status_code == 404
