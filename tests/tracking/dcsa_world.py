"""A world for the DCSA tests: the built-in network, one order of two cars from Chongqing
to Saudi Arabia, and a stored plan (over Shanghai Haitong to Jeddah, checked below)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.network.dataset import builtin_folder
from carexport.network.repository import load_snapshot
from carexport.network.service import load_dataset
from carexport.orders.intake import ORDER_COLUMNS, VEHICLE_COLUMNS, read_records
from carexport.orders.service import ImportOptions, import_orders
from carexport.orders.vin import with_check_digit
from carexport.planning.problem import PlanParameters
from carexport.plans.service import plan_and_store

ORG = "acme"
DATA = Path(__file__).parent.parent / "data" / "dcsa"
NOW = dt.datetime(2025, 8, 1, tzinfo=dt.UTC)  # after every event of the files
# The VINs the files name (their check digits computed by with_check_digit).
VIN_A = with_check_digit("LC9012008VC000011")
VIN_B = with_check_digit("LC9012008VC000012")
assert (VIN_A, VIN_B) == ("LC9012007VC000011", "LC9012009VC000012")


def load_voyage(engine: Engine) -> str:
    """Load the world; returns the plan id."""
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, builtin_folder())
        order = {
            "order_id": "S1",
            "brand": "CHANGAN",
            "model": "CS35_PLUS",
            "variant": "CS35_PLUS_14T_LHD",
            "quantity": 2,
            "origin": "CN_CQ_CHANGAN",
            "destination_country": "SA",
            "ready_date": "2025-06-04",
            "due_date": "2025-08-15",
        }
        vins = [{"vin": vin, "order_id": "S1"} for vin in (VIN_A, VIN_B)]
        report = import_orders(
            session,
            ORG,
            load_snapshot(session, ORG),
            read_records("o", [order], ORDER_COLUMNS),
            read_records("v", vins, VEHICLE_COLUMNS),
            ImportOptions(),
            source="test",
        )
        assert report.committed and not report.errors
    with unit_of_work(engine) as session:
        plan_id, _ = plan_and_store(
            session, ORG, PlanParameters(start=dt.date(2025, 6, 4), horizon_days=90)
        )
    return plan_id
