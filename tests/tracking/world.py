"""A small world for tracking tests: the built-in network and one order with two VINs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.network.dataset import builtin_folder
from carexport.network.repository import load_snapshot
from carexport.network.service import load_dataset
from carexport.orders.intake import ORDER_COLUMNS, VEHICLE_COLUMNS, read_records
from carexport.orders.service import ImportOptions, import_orders
from carexport.orders.vin import with_check_digit

ORG = "acme"
NOW = dt.datetime(2027, 1, 20, tzinfo=dt.UTC)
VIN_A = with_check_digit("LC9012008VC000001")
VIN_B = with_check_digit("LC9012008VC000002")

# One car to Vietnam by truck via Nanpeng, reported in local (+08:00) and UTC times.
JOURNEY: list[dict[str, Any]] = [
    {
        "vin": VIN_A,
        "code": "RELEASED",
        "node": "CN_CQ_CHANGAN",
        "event_time": "2027-01-04T08:00:00+08:00",
    },
    {
        "vin": VIN_A,
        "code": "GATE_OUT",
        "node": "CN_CQ_CHANGAN",
        "event_time": "2027-01-05T09:00:00+08:00",
        "event_id": "TMS-2",
    },
    {
        "vin": VIN_A,
        "code": "ARRIVED",
        "node": "CN_CQ_NANPENG",
        "event_time": "2027-01-05T12:00:00Z",
    },
    {
        "vin": VIN_A,
        "code": "DEPARTED",
        "node": "CN_CQ_NANPENG",
        "event_time": "2027-01-06T10:00:00Z",
    },
    {
        "vin": VIN_A,
        "code": "DELIVERED",
        "node": "VN_HANOI",
        "event_time": "2027-01-08T15:30:00+07:00",
    },
    {
        "vin": VIN_B,
        "code": "RELEASED",
        "node": "CN_CQ_CHANGAN",
        "event_time": "2027-01-04T08:00:00+08:00",
    },
    {
        "vin": VIN_B,
        "code": "HOLD",
        "node": "CN_CQ_CHANGAN",
        "event_time": "2027-01-04T09:00:00+08:00",
    },
]


def load_world(engine: Engine) -> Engine:
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, builtin_folder())
        snapshot = load_snapshot(session, ORG)
        order = {
            "order_id": "A1",
            "brand": "CHANGAN",
            "model": "CS35_PLUS",
            "variant": "CS35_PLUS_14T_LHD",
            "quantity": 2,
            "origin": "CN_CQ_CHANGAN",
            "destination_country": "VN",
            "ready_date": "2027-01-04",
            "due_date": "2027-02-01",
        }
        report = import_orders(
            session,
            ORG,
            snapshot,
            read_records("o", [order], ORDER_COLUMNS),
            read_records(
                "v",
                [{"vin": VIN_A, "order_id": "A1"}, {"vin": VIN_B, "order_id": "A1"}],
                VEHICLE_COLUMNS,
            ),
            ImportOptions(),
            source="test",
        )
        assert report.committed and not report.errors
    return engine
