"""Tiny networks and vehicle frames for the planner's tests.

Days are written as integers counted from START (a Monday), so hand computations read
directly off the schedules: day 0 = 2027-01-04 (MON), day 4 = FRI, day 7 = the next MON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import replace

import polars as pl

from carexport.network.schemas import Lane, Market, Mode, Node, NodeKind, Powertrain, Variant
from carexport.network.snapshot import NetworkSnapshot
from carexport.planning.problem import VEHICLE_COLUMNS, PlanningProblem, PlanParameters
from carexport.planning.result import PlanResult
from carexport.planning.run import plan

START = dt.date(2027, 1, 4)  # a Monday

# Variants by id: (powertrain, slot factor).
VARIANTS = {
    "ICE": (Powertrain.ICE, 1.0),
    "NEV": (Powertrain.BEV, 1.0),
    "SUV": (Powertrain.ICE, 1.5),
    "NEV_SUV": (Powertrain.BEV, 1.5),
    "MINI": (Powertrain.ICE, 0.5),
    "BIG": (Powertrain.ICE, 2.0),
}


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def dates(*days: int) -> str:
    """A `dates:` schedule departing on the given plan days."""
    return "dates:" + ";".join(day(d).isoformat() for d in days)


def node(
    id: str, *, country: str = "CN", handling: int = 0, storage: float = 0.0, kind: str = "plant"
) -> Node:
    return Node(
        id=id,
        name=id,
        country=country,
        kind=NodeKind(kind),
        lat=0.0,
        lon=0.0,
        handling_days=handling,
        storage_cost_usd_per_day=storage,
    )


def lane(
    id: str,
    from_node: str,
    to_node: str,
    *,
    transit: int = 1,
    cost: float = 100.0,
    capacity: int = 100,
    departures: str = "daily",
    co2: float = 0.0,
    mode: str = "rail",
    nev_allowed: bool = True,
    dg_usd: float | None = None,
) -> Lane:
    """A lane; dg_usd set means NEVs travel on it as dangerous goods at that surcharge."""
    return Lane(
        id=id,
        from_node=from_node,
        to_node=to_node,
        mode=Mode(mode),
        distance_km=100.0,
        transit_days=transit,
        departures=departures,
        capacity_slots=capacity,
        cost_usd_per_vehicle=cost,
        co2e_kg_per_vehicle=co2,
        nev_allowed=nev_allowed,
        nev_dangerous_goods=dg_usd is not None,
        dg_handling_cost_usd=dg_usd,
    )


def market(country: str, *destinations: str) -> Market:
    return Market(
        country=country,
        name=country,
        region="southeast_asia",
        homologation="TEST",
        destination_nodes=destinations,
        currency="USD",
    )


def network(
    nodes: Iterable[Node], lanes: Iterable[Lane], markets: Iterable[Market]
) -> NetworkSnapshot:
    variants = [
        Variant(
            id=v,
            model_id="M",
            name=v,
            powertrain=p,
            drive_side="LHD",
            slot_factor=s,
            unit_price_usd=20_000,
        )
        for v, (p, s) in VARIANTS.items()
    ]
    return NetworkSnapshot.build(nodes=nodes, lanes=lanes, markets=markets, variants=variants)


def car(
    vin: str,
    *,
    variant: str = "ICE",
    start: str = "A",
    ready: int = 0,
    to: str = "TH",
    due: int = 100,
    priority: int = 3,
    order: str | None = None,
) -> dict[str, object]:
    """One vehicle row; `ready` and `due` are plan days."""
    return {
        "order_id": order or f"O_{vin}",
        "vin": vin,
        "variant_id": variant,
        "start_node": start,
        "start_date": day(ready),
        "destination_country": to,
        "due_date": day(due),
        "priority": priority,
    }


def vehicles(rows: Sequence[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=VEHICLE_COLUMNS)


def params(**overrides: object) -> PlanParameters:
    base = PlanParameters(start=START, horizon_days=30, ready_bucket_days=1)
    return replace(base, **overrides)  # type: ignore[arg-type]


def run(net: NetworkSnapshot, rows: Sequence[dict[str, object]], **overrides: object) -> PlanResult:
    return plan(PlanningProblem(net, vehicles(rows), params(**overrides)))


def legs_by_vin(result: PlanResult) -> dict[str, list[tuple[str, int]]]:
    """VIN -> [(lane_id, departure plan day), ...] in leg order; unserved VINs map to []."""
    out: dict[str, list[tuple[str, int]]] = {v: [] for v in result.vehicles["vin"]}
    for row in result.legs.sort("vin", "leg").iter_rows(named=True):
        out[row["vin"]].append((row["lane_id"], (row["depart_date"] - START).days))
    return out


def expected_parts(
    transport: float = 0.0,
    storage: float = 0.0,
    lateness: float = 0.0,
    co2: float = 0.0,
    unserved: float = 0.0,
) -> dict[str, float]:
    return {
        "transport_usd": transport,
        "storage_usd": storage,
        "lateness_usd": lateness,
        "co2_usd": co2,
        "unserved_usd": unserved,
    }
