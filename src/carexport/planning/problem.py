"""The planning problem: a frozen value holding the network, the vehicles to move and the
parameters. The planner never mutates it; the same problem always gives the same plan.

Vehicles come as a frame, one row per vehicle (or per group of identical vehicles, with a
count), with these columns:

| column | type | meaning |
|---|---|---|
| order_id | str | the export order |
| vin | str | the VIN, or a numbered slot "ORDER#0001" where the order has no VIN list |
| variant_id | str | decides the slot factor and whether the car is an NEV |
| start_node | str | where it is: its plant, or any node for a vehicle already on its way |
| start_date | date | when it can leave start_node (its ready date at the plant) |
| destination_country | str | the market; arrival at any of its destination nodes delivers it |
| due_date | date | lateness is charged per day after this at the destination |
| priority | int | 1 (most urgent) to 5; scales the lateness penalty |

A re-plan also gives `reserved` (lane_id, depart_date, slots): slots of departures that
vehicles outside the problem already hold (their legs are fixed), so the plan leaves them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import polars as pl

from carexport.network.snapshot import NetworkSnapshot

VEHICLE_COLUMNS = {
    "order_id": pl.String,
    "vin": pl.String,
    "variant_id": pl.String,
    "start_node": pl.String,
    "start_date": pl.Date,
    "destination_country": pl.String,
    "due_date": pl.Date,
    "priority": pl.Int64,
}

# Lateness penalty multipliers by priority: an urgent order's late day costs three times
# a normal one's.
PRIORITY_WEIGHT = MappingProxyType({1: 3.0, 2: 1.5, 3: 1.0, 4: 0.75, 5: 0.5})


@dataclass(frozen=True)
class PlanParameters:
    start: dt.date
    horizon_days: int = 120
    co2_price_usd_per_t: float = 0.0
    lateness_usd_per_vehicle_day: float = 50.0
    unserved_usd_per_vehicle: float = 20_000.0
    time_limit_s: float = 300.0
    mip_gap: float = 0.005
    threads: int = 1
    seed: int = 0
    corridor_slack: float = 1.6
    """Lanes are kept for a market only on paths at most this many times slower (in days)
    than its fastest path, plus corridor_slack_days; slower detours are pruned."""
    corridor_slack_days: int = 20
    max_delay_days: int = 45
    """A vehicle may leave a node at most this many days after it could first be there
    (its start day plus the shortest transit); later departures are not offered, so a
    vehicle that cannot go within that delay is left unserved rather than queued."""
    ready_bucket_days: int = 30
    """Vehicles of one market, NEV status and slot factor that start within the same bucket
    of days form one commodity. Smaller buckets tighten the LP bound (less re-matching of
    deliveries to due dates across start days) and grow the model; 1 = exact by start day.
    Measured on a Chongqing quarter: gap 0.26% at 7 days, 0.31% at 14 and 30."""
    method: Literal["optimal", "greedy"] = "optimal"

    def penalty(self, priority: int) -> float:
        return self.lateness_usd_per_vehicle_day * PRIORITY_WEIGHT.get(priority, 1.0)

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.horizon_days)


@dataclass(frozen=True)
class PlanningProblem:
    network: NetworkSnapshot
    vehicles: pl.DataFrame
    parameters: PlanParameters
    name: str = "plan"
    notes: tuple[str, ...] = field(default_factory=tuple)
    reserved: pl.DataFrame | None = None

    def __post_init__(self) -> None:
        missing = [c for c in VEHICLE_COLUMNS if c not in self.vehicles.columns]
        if missing:
            raise ValueError(f"vehicles frame lacks columns {missing}")


def vehicles_from_orders(orders: pl.DataFrame, vins: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per vehicle from orders (order_id, variant_id, quantity, origin_node,
    destination_country, ready_date, due_date, priority) and an optional VIN list
    (vin, order_id). Orders without VINs get numbered slots ORDER#0001, ORDER#0002, ..."""
    slots = (
        orders.select(
            "order_id",
            "variant_id",
            pl.col("origin_node").alias("start_node"),
            pl.col("ready_date").alias("start_date"),
            "destination_country",
            "due_date",
            "priority",
            pl.int_ranges(0, pl.col("quantity")).alias("_slot"),
        )
        .explode("_slot")
        .with_columns(
            pl.col("_slot").rank("ordinal").over("order_id").cast(pl.Int64).alias("_slot")
        )
    )
    if vins is not None and not vins.is_empty():
        numbered = (
            vins.select("order_id", "vin")
            .sort("order_id", "vin")
            .with_columns(
                pl.col("vin").rank("ordinal").over("order_id").cast(pl.Int64).alias("_slot")
            )
        )
        slots = slots.join(numbered, on=["order_id", "_slot"], how="left")
    else:
        slots = slots.with_columns(pl.lit(None, pl.String).alias("vin"))
    slots = slots.with_columns(
        pl.coalesce(
            pl.col("vin"),
            pl.col("order_id") + pl.lit("#") + pl.col("_slot").cast(pl.String).str.zfill(4),
        ).alias("vin")
    )
    return slots.select([pl.col(c).cast(t) for c, t in VEHICLE_COLUMNS.items()])
