"""Scale a network's capacities to carry a given demand: what a 1M-vehicle case needs.

The built-in network is sized for Chongqing's exports (about 120k vehicles a quarter);
a China-sized order book (5.9M a year is about 1.5M a quarter) would leave most cars
unserved on it and measure nothing but the unserved penalty. `capacity_factor` says how
much larger the network must be for a problem's demand, and `scaled` multiplies every
departure's slots and every yard's capacity by it; departures, costs and times stay.

The factor comes from cuts of the network: every start node's outgoing lanes and every
market's incoming lanes (into its destination nodes) can carry, over the horizon, their
departures' slots; the demand across a cut is the slots of the vehicles starting there
(or bound there). The largest demand / capacity over these cuts is the network's peak
utilisation; a network below 1 can at least pass its demand through every cut. The
factor is that times a headroom (never below 1): slots before a car is ready or too late
to arrive within the horizon are of no use, so a cut needs spare capacity. The built-in
network has a headroom of 1 / 0.66 = 1.5 for the Chongqing quarter it is sized for (its
peak cut, Russia, at 0.66 on bench_planner's 120k book) and leaves 3.7% of that quarter
unserved; the default headroom, 2, gives a scaled network a little more room than that.
"""

from __future__ import annotations

import dataclasses
import math
from types import MappingProxyType

import numpy as np
import polars as pl

from carexport.network.snapshot import NetworkSnapshot
from carexport.planning.expand import expand
from carexport.planning.problem import PlanningProblem


@dataclasses.dataclass(frozen=True)
class CapacityFactor:
    factor: float
    peak_cut: str  # the start node or market whose cut set it
    peak_utilisation: float  # that cut's demand / capacity over the horizon, unscaled


def capacity_factor(problem: PlanningProblem, headroom: float = 2.0) -> CapacityFactor:
    ex = expand(problem)
    lanes = ex.lanes
    capacity = np.array([len(d) for d in lanes.departures], dtype=np.float64) * (
        lanes.capacity_slots
    )
    cuts: list[tuple[float, str]] = []
    starts = ex.vehicles.group_by("start_index").agg(pl.col("slot_factor").sum())
    for node, slots in starts.iter_rows():
        cuts.append((_ratio(slots, capacity[lanes.from_node == node].sum()), ex.node_ids[node]))
    markets = ex.vehicles.group_by("destination_country").agg(pl.col("slot_factor").sum())
    for market, slots in markets.iter_rows():
        destinations = [
            ex.node_index[n]
            for n in problem.network.markets[market].destination_nodes
            if n in ex.node_index
        ]
        into = np.isin(lanes.to_node, destinations) & ~np.isin(lanes.from_node, destinations)
        cuts.append((_ratio(slots, capacity[into].sum()), market))
    peak, where = max(cuts, default=(0.0, ""))
    return CapacityFactor(max(1.0, headroom * peak), where, peak)


def _ratio(demand: float, capacity: float) -> float:
    # A cut with demand and no capacity at all cannot be scaled open; check() reports it.
    return float(demand) / capacity if capacity > 0 else 0.0


def scaled(network: NetworkSnapshot, factor: float) -> NetworkSnapshot:
    """The network with every lane's slots per departure and every yard's capacity
    multiplied by factor (rounded up: a departure keeps whole slots)."""
    if not factor > 0:
        raise ValueError(f"capacity factor must be positive, got {factor}")
    lanes = {
        lane_id: lane.model_copy(update={"capacity_slots": math.ceil(lane.capacity_slots * factor)})
        for lane_id, lane in network.lanes.items()
    }
    nodes = {
        node_id: (
            node
            if node.yard_capacity_vehicles is None
            else node.model_copy(
                update={"yard_capacity_vehicles": math.ceil(node.yard_capacity_vehicles * factor)}
            )
        )
        for node_id, node in network.nodes.items()
    }
    return dataclasses.replace(
        network, lanes=MappingProxyType(lanes), nodes=MappingProxyType(nodes)
    )
