"""Weekly re-planning: what has departed stays as it is, the rest is planned again from
where each vehicle is, starting the solver from last week's plan.

A leg of the previous plan is fixed when its departure is before the re-plan start, or
when the vehicle's current status (from tracking) shows it has left on it or gone past
it: in transit from a node fixes the leg leaving that node; at a node (arrived,
discharged, loaded, cleared, on hold) fixes the legs up to the one arriving there; a
delivered vehicle keeps all its legs. Legs are fixed as a prefix: a vehicle cannot have
left on leg 3 without legs 1 and 2. A vehicle with fixed legs is planned again from the
node its last fixed leg reaches, on the day it is planned to be ready there (arrival
plus handling), or is done when that node delivers it. Its fixed legs keep their slots
on departures from the start on (the re-plan's `reserved`).

Pure: frames in, frames out (tested without a database); plans.service reads them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import polars as pl

from carexport.network.snapshot import NetworkSnapshot
from carexport.planning.problem import VEHICLE_COLUMNS
from carexport.planning.result import LEG_COLUMNS, PlanResult

# Statuses (tracking.events.STATUS_OF) at which a vehicle is at its `location`, not on a lane.
AT_NODE = (
    "at_plant",
    "left_plant",
    "at_node",
    "export_cleared",
    "loaded",
    "import_cleared",
    "on_hold",
    "reported",
)


@dataclass(frozen=True)
class Replan:
    vehicles: pl.DataFrame  # VEHICLE_COLUMNS: the vehicles to plan, from where they are
    fixed_legs: pl.DataFrame  # the previous plan's legs that stay (its LEG columns)
    reserved: pl.DataFrame  # lane_id, depart_date, slots: fixed legs from the start on
    warm_legs: pl.DataFrame  # vin, lane_id, depart_date: last plan's legs still to go
    done: pl.DataFrame  # order_id, vin, delivered_date, days_late, due_date: vehicles
    # their fixed legs deliver (or that are delivered already)
    starts: pl.DataFrame  # vin, start_node, start_date, slots: as in the order book
    fixed_count: pl.DataFrame  # vin, fixed: legs fixed per vehicle of the previous plan

    def summary(self) -> dict[str, int]:
        moved = self.fixed_count.filter(pl.col("fixed") > 0).height - self.done.height
        return {
            "fixed_legs": self.fixed_legs.height,
            "vehicles_done": self.done.height,
            "vehicles_replanned_en_route": moved,
            "vehicles_replanned": self.vehicles.height,
        }


def split(
    vehicles: pl.DataFrame,
    legs: pl.DataFrame,
    statuses: pl.DataFrame,
    start: dt.date,
    network: NetworkSnapshot,
) -> Replan:
    """vehicles: the order book's (VEHICLE_COLUMNS); legs: the previous plan's (order_id,
    vin, leg, lane_id, from_node, to_node, mode, depart_date, arrive_date); statuses: the
    vehicles' current status (vin, status, location, delivered_at; others ignored)."""
    status = statuses.select("vin", "status", "location", "delivered_at")
    numbered = legs.sort("vin", "leg").with_columns(
        pl.int_range(1, pl.len() + 1).over("vin").alias("_n"), pl.len().over("vin").alias("_legs")
    )
    with_status = numbered.join(status, on="vin", how="left")
    by_date = pl.when(pl.col("depart_date") < start).then(pl.col("_n")).otherwise(0)
    by_event = (
        pl.when(pl.col("delivered_at").is_not_null() | (pl.col("status") == "delivered"))
        .then(pl.col("_legs"))
        .when((pl.col("status") == "in_transit") & (pl.col("from_node") == pl.col("location")))
        .then(pl.col("_n"))
        .when(pl.col("status").is_in(AT_NODE) & (pl.col("to_node") == pl.col("location")))
        .then(pl.col("_n"))
        .otherwise(0)
    )
    fixed_count = with_status.group_by("vin").agg(
        pl.max_horizontal(by_date.max(), by_event.max()).alias("fixed")
    )
    fixed_legs = (
        numbered.join(fixed_count, on="vin")
        .filter(pl.col("_n") <= pl.col("fixed"))
        .drop("_n", "_legs", "fixed")
    )
    handling = {n.id: n.handling_days for n in network.nodes.values()}
    last_fixed = (
        fixed_legs.sort("vin", "leg")
        .group_by("vin")
        .agg(pl.col("to_node").last().alias("_at"), pl.col("arrive_date").last().alias("_arr"))
        .with_columns(
            (
                pl.col("_arr") + pl.duration(days=pl.col("_at").replace_strict(handling, default=0))
            ).alias("_ready")
        )
    )
    destinations = pl.DataFrame(
        [(m.country, n) for m in network.markets.values() for n in m.destination_nodes],
        orient="row",
        schema={"destination_country": pl.String, "_at": pl.String},
    ).with_columns(pl.lit(True).alias("_delivers"))
    delivered = status.filter(
        pl.col("delivered_at").is_not_null() | (pl.col("status") == "delivered")
    ).select("vin", pl.col("delivered_at").dt.date().alias("_delivered"))
    located = (
        vehicles.join(last_fixed, on="vin", how="left")
        .join(destinations, on=["destination_country", "_at"], how="left")
        .join(delivered, on="vin", how="left")
        .with_columns(
            (pl.col("_delivers").fill_null(False) | pl.col("_delivered").is_not_null()).alias(
                "_delivers"
            ),
            pl.coalesce("_delivered", "_ready").alias("_ready"),
        )
    )
    done = located.filter(pl.col("_delivers")).select(
        "order_id",
        "vin",
        pl.col("_ready").alias("delivered_date"),
        (pl.col("_ready") - pl.col("due_date"))
        .dt.total_days()
        .clip(lower_bound=0)
        .alias("days_late"),
        "due_date",
    )
    to_plan = located.filter(~pl.col("_delivers")).with_columns(
        pl.coalesce("_at", "start_node").alias("start_node"),
        pl.coalesce("_ready", "start_date").alias("start_date"),
    )
    slot = {v.id: v.slot_factor for v in network.variants.values()}
    reserved = (
        fixed_legs.filter(pl.col("depart_date") >= start)
        .join(vehicles.select("vin", "variant_id"), on="vin")
        .group_by("lane_id", "depart_date")
        .agg(
            pl.col("variant_id")
            .replace_strict(slot, default=1.0, return_dtype=pl.Float64)
            .sum()
            .alias("slots")
        )
        .sort("lane_id", "depart_date")
    )
    warm_legs = (
        numbered.join(fixed_count, on="vin")
        .filter(pl.col("_n") > pl.col("fixed"))
        .join(to_plan.select("vin"), on="vin")
        .select("vin", "lane_id", "depart_date")
    )
    return Replan(
        vehicles=to_plan.select([pl.col(c).cast(t) for c, t in VEHICLE_COLUMNS.items()]),
        fixed_legs=fixed_legs,
        reserved=reserved,
        warm_legs=warm_legs,
        done=done,
        starts=vehicles.select(
            "vin",
            "start_node",
            "start_date",
            pl.col("variant_id")
            .replace_strict(slot, default=1.0, return_dtype=pl.Float64)
            .alias("slots"),
        ),
        fixed_count=fixed_count,
    )


def merge(replan: Replan, result: PlanResult, network: NetworkSnapshot) -> PlanResult:
    """The whole plan: fixed legs, then the re-planned ones (numbered on after them), every
    vehicle from where it first started, load lists over both. Costs and the LP bound are
    the re-plan's: what is fixed is spent, and no decision of this plan."""
    offset = replan.fixed_count.select("vin", pl.col("fixed").alias("_offset"))
    new_legs = (
        result.legs.select(*LEG_COLUMNS)
        .join(offset, on="vin", how="left")
        .with_columns((pl.col("leg") + pl.col("_offset").fill_null(0)).alias("leg"))
        .drop("_offset")
    )
    legs = pl.concat([replan.fixed_legs.select(*LEG_COLUMNS), new_legs]).sort("vin", "leg")
    starts = replan.starts.drop("slots")
    planned = result.vehicles.drop("start_node", "start_date").join(starts, on="vin", how="left")
    done = replan.done.drop("due_date").join(starts, on="vin", how="left")
    late_done = replan.done.filter(pl.col("days_late") > 0).height
    return replace(
        result,
        legs=legs,
        vehicles=pl.concat([planned, done], how="diagonal_relaxed"),
        orders=_orders(result.orders, replan.done),
        load_lists=_load_lists(legs, result.load_lists, replan.starts, network),
        vehicles_total=result.vehicles_total + replan.done.height,
        on_time=result.on_time + replan.done.height - late_done,
        late=result.late + late_done,
    )


def _orders(planned: pl.DataFrame, done: pl.DataFrame) -> pl.DataFrame:
    """Per order: the re-planned vehicles' figures with the done ones counted in."""
    done_orders = done.group_by("order_id").agg(
        pl.len().alias("_done"),
        pl.col("delivered_date").max().alias("_eta"),
        pl.col("days_late").max().alias("_late"),
        pl.col("due_date").first().alias("_due"),
    )
    both = planned.join(done_orders, on="order_id", how="full", coalesce=True)
    done_count = pl.col("_done").fill_null(0)
    return both.select(
        "order_id",
        (pl.col("vehicles").fill_null(0) + done_count).alias("vehicles"),
        (pl.col("delivered").fill_null(0) + done_count).alias("delivered"),
        pl.col("unserved").fill_null(0),
        pl.max_horizontal("eta", "_eta").alias("eta"),
        pl.coalesce("due_date", "_due").alias("due_date"),
        pl.max_horizontal(pl.col("days_late").fill_null(0), pl.col("_late").fill_null(0)).alias(
            "days_late"
        ),
        pl.col("cost_usd").fill_null(0.0),
        pl.col("co2e_kg").fill_null(0.0),
        pl.col("explanation").fill_null(""),
    ).sort("order_id")


def _load_lists(
    legs: pl.DataFrame, planned: pl.DataFrame, starts: pl.DataFrame, network: NetworkSnapshot
) -> pl.DataFrame:
    """Every departure's load over the fixed and the re-planned legs; shadow prices are
    the re-plan's (a departure before the start has none)."""
    capacity = {lane.id: float(lane.capacity_slots) for lane in network.lanes.values()}
    prices = planned.select("lane_id", "depart_date", "shadow_price_usd_per_slot")
    return (
        legs.join(starts.select("vin", "slots"), on="vin", how="left")
        .group_by("lane_id", "from_node", "to_node", "mode", "depart_date")
        .agg(pl.len().alias("vehicles"), pl.col("slots").fill_null(1.0).sum().round(2))
        .with_columns(
            pl.col("lane_id")
            .replace_strict(capacity, default=None, return_dtype=pl.Float64)
            .alias("capacity_slots")
        )
        .with_columns((pl.col("slots") / pl.col("capacity_slots")).round(4).alias("utilisation"))
        .join(prices, on=["lane_id", "depart_date"], how="left")
        .with_columns(pl.col("shadow_price_usd_per_slot").fill_null(0.0))
        .select(*planned.columns)
        .sort("depart_date", "lane_id")
    )
