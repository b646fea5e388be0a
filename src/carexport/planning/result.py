"""A plan as frames: every vehicle's path, its legs, the load of every departure, per-order
figures, and the cost parts. Optimal and greedy plans are costed here alike, vehicle by
vehicle, so their totals compare exactly.

Frames (dates are calendar dates; money in USD per the whole plan unless named per_vehicle):
- vehicles: order_id, vin, path, delivered_date, days_late, transport_usd, storage_usd,
  co2e_kg, co2_usd, lateness_usd, unserved_usd
- legs: order_id, vin, leg, lane_id, from_node, to_node, mode, depart_date, arrive_date
- load_lists: lane_id, from_node, to_node, mode, depart_date, vehicles, slots,
  capacity_slots, utilisation, shadow_price_usd_per_slot
- orders: order_id, vehicles, delivered, unserved, eta, due_date, days_late, cost_usd,
  co2e_kg, explanation
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from carexport.errors import Problem
from carexport.planning.expand import Expanded
from carexport.planning.itinerary import Itinerary

LEG_COLUMNS = (
    "order_id",
    "vin",
    "leg",
    "lane_id",
    "from_node",
    "to_node",
    "mode",
    "depart_date",
    "arrive_date",
)
COST_PARTS = ("transport_usd", "storage_usd", "lateness_usd", "co2_usd", "unserved_usd")


@dataclass(frozen=True)
class Path:
    start_node: int
    start_day: int
    nev: bool
    itinerary: Itinerary


@dataclass(frozen=True)
class PlanResult:
    """A plan, frozen: what plan() returns never changes after (dataclasses.replace
    makes a changed copy)."""

    method: str
    status: str
    objective_usd: float
    parts_usd: dict[str, float]
    lp_bound_usd: float | None
    gap: float | None
    co2e_kg: float
    vehicles_total: int
    on_time: int
    late: int
    unserved: int
    runtime_s: dict[str, float]
    model_size: dict[str, int] = field(default_factory=dict)
    vehicles: pl.DataFrame = field(default_factory=pl.DataFrame)
    legs: pl.DataFrame = field(default_factory=pl.DataFrame)
    load_lists: pl.DataFrame = field(default_factory=pl.DataFrame)
    orders: pl.DataFrame = field(default_factory=pl.DataFrame)
    warnings: list[Problem] = field(default_factory=list)  # from planning.check

    def summary(self) -> dict[str, object]:
        return {
            "method": self.method,
            "status": self.status,
            "objective_usd": round(self.objective_usd, 2),
            **{k: round(v, 2) for k, v in self.parts_usd.items()},
            "lp_bound_usd": None if self.lp_bound_usd is None else round(self.lp_bound_usd, 2),
            "gap": None if self.gap is None else round(self.gap, 6),
            "co2e_kg": round(self.co2e_kg, 1),
            "vehicles": {
                "total": self.vehicles_total,
                "on_time": self.on_time,
                "late": self.late,
                "unserved": self.unserved,
            },
            "runtime_s": {k: round(v, 3) for k, v in self.runtime_s.items()},
            "model": self.model_size,
            "warnings": [f"{w.field}: {w.message} ({w.hint})" for w in self.warnings],
        }


def path_figures(ex: Expanded, paths: list[Path]) -> pl.DataFrame:
    """Per path and per vehicle: delivery day, transport, storage and CO2e."""
    lanes, params = ex.lanes, ex.problem.parameters
    rows = []
    for index, path in enumerate(paths):
        legs = path.itinerary.legs
        transport = storage = co2 = 0.0
        node, ready = path.start_node, path.start_day
        for leg in legs:
            storage += (leg.depart_day - ready) * ex.storage_usd_per_day[node]
            transport += lanes.cost_usd[leg.lane] + (lanes.dg_usd[leg.lane] if path.nev else 0.0)
            co2 += lanes.co2e_kg[leg.lane]
            node = int(lanes.to_node[leg.lane])
            storage += ex.handling_days[node] * ex.storage_usd_per_day[node]
            ready = leg.arrive_day + int(ex.handling_days[node])
        rows.append(
            (
                index,
                path.itinerary.delivery_day,
                transport,
                storage,
                co2,
                co2 * params.co2_price_usd_per_t / 1000.0,
            )
        )
    return pl.DataFrame(
        rows,
        orient="row",
        schema={
            "path": pl.Int64,
            "delivery_day": pl.Int64,
            "transport_usd": pl.Float64,
            "storage_usd": pl.Float64,
            "co2e_kg": pl.Float64,
            "co2_usd": pl.Float64,
        },
    )


def evaluate(
    ex: Expanded,
    paths: list[Path],
    assignment: np.ndarray,
    *,
    method: str,
    status: str,
    lp_bound: float | None,
    runtime_s: dict[str, float],
    capacity_duals: dict[tuple[int, int], float] | None = None,
    model_size: dict[str, int] | None = None,
) -> PlanResult:
    """Cost a plan: assignment[i] is the path of ex.vehicles row i, or -1 (unserved)."""
    params = ex.problem.parameters
    start = params.start
    figures = path_figures(ex, paths)
    vehicles = ex.vehicles.with_columns(pl.Series("path", assignment, dtype=pl.Int64)).join(
        figures, on="path", how="left"
    )
    served = pl.col("path") >= 0
    late_days = (
        pl.when(served)
        .then(pl.col("delivery_day") - pl.col("due_day"))
        .otherwise(pl.lit(ex.horizon) - pl.col("due_day"))
        .clip(lower_bound=0)
    )
    vehicles = vehicles.with_columns(
        pl.when(served)
        .then(pl.lit(start) + pl.duration(days=pl.col("delivery_day")))
        .alias("delivered_date"),
        pl.when(served)
        .then((pl.col("delivery_day") - pl.col("due_day")).clip(lower_bound=0))
        .alias("days_late"),
        (late_days * pl.col("penalty")).alias("lateness_usd"),
        pl.when(served).then(0.0).otherwise(params.unserved_usd_per_vehicle).alias("unserved_usd"),
        *[pl.col(c).fill_null(0.0) for c in ("transport_usd", "storage_usd", "co2e_kg", "co2_usd")],
    )
    # Vehicles that could not even start inside the horizon are unserved too.
    outside = ex.outside_horizon.with_columns(
        pl.lit(-1, pl.Int64).alias("path"),
        pl.lit(None, pl.Date).alias("delivered_date"),
        pl.lit(None, pl.Int64).alias("days_late"),
        ((pl.lit(ex.horizon) - pl.col("due_day")).clip(lower_bound=0) * pl.col("penalty")).alias(
            "lateness_usd"
        ),
        pl.lit(params.unserved_usd_per_vehicle).alias("unserved_usd"),
        *[pl.lit(0.0).alias(c) for c in ("transport_usd", "storage_usd", "co2e_kg", "co2_usd")],
    )
    columns = [
        "order_id",
        "vin",
        "path",
        "delivered_date",
        "days_late",
        "transport_usd",
        "storage_usd",
        "co2e_kg",
        "co2_usd",
        "lateness_usd",
        "unserved_usd",
        "due_date",
        "start_node",
        "start_date",
    ]
    everything = pl.concat([vehicles.select(columns), outside.select(columns)])
    parts = {p: float(everything[p].sum()) for p in COST_PARTS}
    objective = sum(parts.values())
    gap = None if lp_bound is None or objective == 0 else (objective - lp_bound) / abs(objective)
    legs = legs_frame(ex, paths, everything)
    load = load_lists(ex, legs, capacity_duals or {})
    orders = orders_frame(everything)
    on_time = everything.filter(pl.col("days_late") == 0).height
    late = everything.filter(pl.col("days_late") > 0).height
    return PlanResult(
        method=method,
        status=status,
        objective_usd=objective,
        parts_usd=parts,
        lp_bound_usd=lp_bound,
        gap=gap,
        co2e_kg=float(everything["co2e_kg"].sum()),
        vehicles_total=everything.height,
        on_time=on_time,
        late=late,
        unserved=everything.filter(pl.col("path") < 0).height,
        runtime_s=runtime_s,
        model_size=model_size or {},
        vehicles=everything.drop("due_date"),
        legs=legs,
        load_lists=load,
        orders=orders,
    )


def legs_frame(ex: Expanded, paths: list[Path], vehicles: pl.DataFrame) -> pl.DataFrame:
    start, lanes = ex.problem.parameters.start, ex.lanes
    rows = [
        (index, number, leg.lane, leg.depart_day, leg.arrive_day)
        for index, path in enumerate(paths)
        for number, leg in enumerate(path.itinerary.legs, start=1)
    ]
    path_legs = pl.DataFrame(
        rows,
        orient="row",
        schema={
            "path": pl.Int64,
            "leg": pl.Int64,
            "lane": pl.Int64,
            "depart_day": pl.Int64,
            "arrive_day": pl.Int64,
        },
    )
    net = ex.problem.network
    lane_info = pl.DataFrame(
        {
            "lane": np.arange(len(lanes.ids), dtype=np.int64),
            "lane_id": lanes.ids,
            "from_node": [ex.node_ids[i] for i in lanes.from_node],
            "to_node": [ex.node_ids[i] for i in lanes.to_node],
            "mode": [net.lanes[i].mode.value for i in lanes.ids],
        }
    )
    return (
        vehicles.filter(pl.col("path") >= 0)
        .select("order_id", "vin", "path")
        .join(path_legs, on="path")
        .join(lane_info, on="lane")
        .with_columns(
            (pl.lit(start) + pl.duration(days=pl.col("depart_day"))).alias("depart_date"),
            (pl.lit(start) + pl.duration(days=pl.col("arrive_day"))).alias("arrive_date"),
        )
        .select(*LEG_COLUMNS, "lane", "depart_day")
        .sort("order_id", "vin", "leg")
    )


def load_lists(
    ex: Expanded, legs: pl.DataFrame, duals: dict[tuple[int, int], float]
) -> pl.DataFrame:
    slot = {v.id: v.slot_factor for v in ex.problem.network.variants.values()}
    vin_slots = (
        pl.concat(
            [
                ex.vehicles.select("vin", "variant_id"),
                ex.outside_horizon.select("vin", "variant_id"),
            ]
        )
        .with_columns(
            pl.col("variant_id")
            .replace_strict(slot, default=1.0, return_dtype=pl.Float64)
            .alias("slots")
        )
        .select("vin", "slots")
    )
    load = (
        legs.join(vin_slots, on="vin", how="left")
        .group_by("lane", "lane_id", "from_node", "to_node", "mode", "depart_day", "depart_date")
        .agg(pl.len().alias("vehicles"), pl.col("slots").sum().round(2).alias("slots"))
    )
    capacity = ex.lanes.capacity_slots
    load = load.with_columns(
        pl.col("lane")
        .map_elements(lambda i: float(capacity[i]), return_dtype=pl.Float64)
        .alias("capacity_slots")
    )
    load = load.with_columns(
        (pl.col("slots") / pl.col("capacity_slots")).round(4).alias("utilisation"),
        pl.struct("lane", "depart_day")
        .map_elements(
            lambda r: round(max(0.0, -duals.get((r["lane"], r["depart_day"]), 0.0)), 4),
            return_dtype=pl.Float64,
        )
        .alias("shadow_price_usd_per_slot"),
    )
    return load.sort("depart_date", "lane_id").select(
        "lane_id",
        "from_node",
        "to_node",
        "mode",
        "depart_date",
        "vehicles",
        "slots",
        "capacity_slots",
        "utilisation",
        "shadow_price_usd_per_slot",
    )


def orders_frame(vehicles: pl.DataFrame) -> pl.DataFrame:
    cost = sum((pl.col(c) for c in COST_PARTS), pl.lit(0.0))
    return (
        vehicles.group_by("order_id")
        .agg(
            pl.len().alias("vehicles"),
            (pl.col("path") >= 0).sum().alias("delivered"),
            (pl.col("path") < 0).sum().alias("unserved"),
            pl.col("delivered_date").max().alias("eta"),
            pl.col("due_date").first(),
            pl.col("days_late").max().fill_null(0).alias("days_late"),
            cost.sum().round(2).alias("cost_usd"),
            pl.col("co2e_kg").sum().round(1).alias("co2e_kg"),
        )
        .sort("order_id")
    )
