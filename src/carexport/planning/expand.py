"""From a problem to what the model is built on: days, departures, commodities, corridors.

Days are integers counted from the plan start. A vehicle arriving at a node on day a is
handled there and can leave on day a + handling_days (at the destination: is delivered
then). Commodities group vehicles that the routing cannot tell apart: same market, NEV
status (which decides the lanes they may use and the dangerous-goods surcharge) and slot
factor (capacity is counted exactly), starting within the same bucket of days. Mixing
slot factors in one commodity was measured worse: with the mean the LP is no bound; with
the smallest the whole-vehicle plan overflows (gap 5.6% against 0.3% on a quarter).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import polars as pl

from carexport.network.schemas import Lane
from carexport.planning.problem import PlanningProblem

INF = float("inf")


@dataclass(frozen=True)
class LaneData:
    """Lanes as parallel arrays (index = lane number), with their departure days."""

    ids: list[str]
    from_node: np.ndarray  # node index
    to_node: np.ndarray
    transit_days: np.ndarray
    capacity_slots: np.ndarray
    cost_usd: np.ndarray  # per vehicle, without DG surcharge
    co2e_kg: np.ndarray
    dg_usd: np.ndarray  # surcharge per NEV where NEVs travel as dangerous goods
    nev_allowed: np.ndarray
    departures: list[np.ndarray]  # sorted departure days within the horizon


@dataclass(frozen=True)
class Commodity:
    index: int
    market: str
    nev: bool
    slot_factor: float  # shared by all its vehicles
    vehicles: int
    destinations: frozenset[int]  # node indices
    lanes: np.ndarray  # usable lane numbers (corridor-pruned)
    supplies: dict[tuple[int, int], int]  # (node, day) -> vehicles
    classes: dict[float, dict[int, int]]  # penalty -> due day -> vehicles


@dataclass(frozen=True)
class Expanded:
    problem: PlanningProblem
    node_ids: list[str]
    node_index: dict[str, int]
    handling_days: np.ndarray
    storage_usd_per_day: np.ndarray
    yard_capacity: np.ndarray  # 0 = unlimited
    lanes: LaneData
    horizon: int
    commodities: list[Commodity]
    vehicles: pl.DataFrame  # the problem's vehicles with day numbers and commodity index
    outside_horizon: pl.DataFrame  # vehicles that cannot start within the horizon
    reserved: dict[tuple[int, int], float]  # (lane, day) -> slots held by fixed legs

    def residual(self) -> dict[tuple[int, int], float]:
        """Slots left on each departure before this plan loads any (missing: all of them),
        for the first-fit searches (greedy, repair)."""
        capacity = self.lanes.capacity_slots
        return {
            (lane, day): max(0.0, float(capacity[lane]) - slots)
            for (lane, day), slots in self.reserved.items()
        }


def expand(problem: PlanningProblem) -> Expanded:
    net, params = problem.network, problem.parameters
    node_ids = sorted(net.nodes)
    node_index = {n: i for i, n in enumerate(node_ids)}
    nodes = [net.nodes[n] for n in node_ids]
    horizon = params.horizon_days
    lane_list: list[Lane] = [
        net.lanes[i]
        for i in sorted(net.lanes)
        if net.lanes[i].from_node in node_index and net.lanes[i].to_node in node_index
    ]
    departures = []
    for lane in lane_list:
        days = [(d - params.start).days for d in lane.departures_between(params.start, params.end)]
        departures.append(np.array(days, dtype=np.int64))
    lanes = LaneData(
        ids=[lane.id for lane in lane_list],
        from_node=np.array([node_index[ln.from_node] for ln in lane_list], dtype=np.int64),
        to_node=np.array([node_index[ln.to_node] for ln in lane_list], dtype=np.int64),
        transit_days=np.array([ln.transit_days for ln in lane_list], dtype=np.int64),
        capacity_slots=np.array([ln.capacity_slots for ln in lane_list], dtype=np.float64),
        cost_usd=np.array([ln.cost_usd_per_vehicle for ln in lane_list], dtype=np.float64),
        co2e_kg=np.array([net.lane_co2e_kg(ln) or 0.0 for ln in lane_list], dtype=np.float64),
        dg_usd=np.array(
            [
                (ln.dg_handling_cost_usd or 0.0) if ln.nev_dangerous_goods else 0.0
                for ln in lane_list
            ],
            dtype=np.float64,
        ),
        nev_allowed=np.array([ln.nev_allowed for ln in lane_list], dtype=np.bool_),
        departures=departures,
    )
    handling = np.array([n.handling_days for n in nodes], dtype=np.int64)
    storage = np.array([n.storage_cost_usd_per_day for n in nodes], dtype=np.float64)
    yard = np.array([n.yard_capacity_vehicles or 0 for n in nodes], dtype=np.float64)

    slot = {v.id: v.slot_factor for v in net.variants.values()}
    nev = {v.id: v.powertrain.is_nev for v in net.variants.values()}
    vehicles = problem.vehicles.with_columns(
        pl.col("variant_id")
        .replace_strict(slot, default=1.0, return_dtype=pl.Float64)
        .alias("slot_factor"),
        pl.col("variant_id")
        .replace_strict(nev, default=False, return_dtype=pl.Boolean)
        .alias("nev"),
        ((pl.col("start_date") - pl.lit(params.start)).dt.total_days().clip(lower_bound=0)).alias(
            "start_day"
        ),
        (pl.col("due_date") - pl.lit(params.start)).dt.total_days().alias("due_day"),
        pl.col("priority")
        .replace_strict(
            {p: params.penalty(p) for p in range(1, 6)},
            default=params.penalty(3),
            return_dtype=pl.Float64,
        )
        .alias("penalty"),
        pl.col("start_node")
        .replace_strict(node_index, default=-1, return_dtype=pl.Int64)
        .alias("start_index"),
    )
    inside = (
        (pl.col("start_day") < horizon)
        & (pl.col("start_index") >= 0)
        & pl.col("destination_country").is_in(list(net.markets))
    )
    outside = vehicles.filter(~inside)
    vehicles = vehicles.filter(inside)

    # Vehicles starting in the same bucket of days share a commodity; the bucket bounds how
    # far the LP can re-match deliveries to due dates across start days (see model.py).
    bucket = max(1, params.ready_bucket_days)
    vehicles = vehicles.with_columns((pl.col("start_day") // bucket).alias("ready_bucket"))
    key_columns = ["destination_country", "nev", "ready_bucket", "slot_factor"]
    keys_frame = (
        vehicles.select(key_columns)
        .unique()
        .sort(key_columns)
        .with_row_index("commodity")
        .with_columns(pl.col("commodity").cast(pl.Int64))
    )
    vehicles = vehicles.join(keys_frame, on=key_columns, how="left")
    commodity_of = {(m, n, b, s): int(i) for i, m, n, b, s in keys_frame.rows()}
    commodities = []
    for (market, is_nev, _, _), k in commodity_of.items():
        group = vehicles.filter(pl.col("commodity") == k)
        destinations = frozenset(
            node_index[n] for n in net.markets[market].destination_nodes if n in node_index
        )
        supplies = {
            (int(n), int(d)): int(c)
            for n, d, c in group.group_by("start_index", "start_day").len().rows()
        }
        classes: dict[float, dict[int, int]] = defaultdict(dict)
        for penalty, due, count in group.group_by("penalty", "due_day").len().rows():
            classes[float(penalty)][int(due)] = int(count)
        usable = _corridor(
            lanes,
            handling,
            destinations,
            {n for n, _ in supplies},
            is_nev,
            params.corridor_slack,
            params.corridor_slack_days,
            _lane_costs(lanes, handling, storage, params.co2_price_usd_per_t, bool(is_nev)),
        )
        commodities.append(
            Commodity(
                index=k,
                market=market,
                nev=bool(is_nev),
                slot_factor=float(group.select(pl.col("slot_factor").min()).item() or 1.0),
                vehicles=group.height,
                destinations=destinations,
                lanes=usable,
                supplies=supplies,
                classes=dict(classes),
            )
        )
    return Expanded(
        problem,
        node_ids,
        node_index,
        handling,
        storage,
        yard,
        lanes,
        horizon,
        commodities,
        vehicles,
        outside,
        _reserved(problem, lanes),
    )


def _reserved(problem: PlanningProblem, lanes: LaneData) -> dict[tuple[int, int], float]:
    if problem.reserved is None or problem.reserved.is_empty():
        return {}
    index = {lane_id: i for i, lane_id in enumerate(lanes.ids)}
    start = problem.parameters.start
    held = (
        problem.reserved.with_columns(
            (pl.col("depart_date") - pl.lit(start)).dt.total_days().alias("day")
        )
        .filter(pl.col("day") >= 0, pl.col("lane_id").is_in(list(index)))
        .group_by("lane_id", "day")
        .agg(pl.col("slots").sum())
    )
    return {(index[lane_id], int(day)): float(slots) for lane_id, day, slots in held.rows()}


def mean_wait(departure_days: np.ndarray) -> float:
    """Mean days a vehicle waits for a departure, arriving at a random day: (headway - 1)
    / 2, the headway being the mean gap between the departures in the horizon. It is
    network.paths.mean_wait_days (what the order checks use) for daily, weekly and every-N
    schedules, but read off the departures in the horizon, so dates of service and `dates:`
    schedules count (paths gives a `dates:` lane no wait). One departure: no wait."""
    count = len(departure_days)
    if count < 2:
        return 0.0
    headway = float(departure_days[-1] - departure_days[0]) / (count - 1)
    return max(0.0, (headway - 1.0) / 2.0)


def lane_days(lanes: LaneData, handling: np.ndarray, lane: int) -> float:
    """Days a lane takes, as pruning counts them: mean wait for a departure, transit, and
    handling at the node it reaches. The node it leaves is not handled again (a vehicle
    there is ready: handled on arrival, or at its start ready by definition); the order
    checks (network.paths) also count the start node's handling days, so their fastest
    path is that much longer (tests/planning/test_time_models.py)."""
    return (
        mean_wait(lanes.departures[lane])
        + float(lanes.transit_days[lane])
        + float(handling[lanes.to_node[lane]])
    )


def _shortest(edges: dict[int, list[tuple[int, float]]], sources: set[int]) -> dict[int, float]:
    dist = {s: 0.0 for s in sources}
    heap = [(0.0, s) for s in sources]
    heapq.heapify(heap)
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist.get(u, INF):
            continue
        for v, w in edges.get(u, ()):
            if d + w < dist.get(v, INF):
                dist[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return dist


def _lane_costs(
    lanes: LaneData, handling: np.ndarray, storage: np.ndarray, co2_price: float, nev: bool
) -> np.ndarray:
    """Each lane's cost per vehicle as the model charges it, time aside: the lane's price,
    the dangerous-goods surcharge for an NEV, the CO2 price on its emissions, and storage
    while waiting for a departure (mean wait) and while handled at the far end."""
    waits = np.array([mean_wait(d) for d in lanes.departures], dtype=float)
    costs: np.ndarray = (
        lanes.cost_usd
        + (lanes.dg_usd if nev else 0.0)
        + co2_price * lanes.co2e_kg / 1000.0
        + storage[lanes.from_node] * waits
        + storage[lanes.to_node] * handling[lanes.to_node]
    )
    return costs


def _corridor(
    lanes: LaneData,
    handling: np.ndarray,
    destinations: frozenset[int],
    origins: set[int],
    nev: bool,
    slack: float,
    slack_days: int,
    costs: np.ndarray,
) -> np.ndarray:
    """Lanes on some path from an origin to a destination at most slack x (that origin's
    fastest) + slack_days long, and the lanes of each origin's cheapest path at `costs`
    (costed as the model does: so a slow, cheap route a CO2 price favours is never cut);
    lanes leaving a destination are not used (the vehicle is delivered)."""
    forward: dict[int, list[tuple[int, float]]] = defaultdict(list)
    backward: dict[int, list[tuple[int, float]]] = defaultdict(list)
    candidates = []
    for lane in range(len(lanes.ids)):
        if (nev and not lanes.nev_allowed[lane]) or len(lanes.departures[lane]) == 0:
            continue
        if int(lanes.from_node[lane]) in destinations:
            continue
        days = lane_days(lanes, handling, lane)
        forward[int(lanes.from_node[lane])].append((int(lanes.to_node[lane]), days))
        backward[int(lanes.to_node[lane])].append((int(lanes.from_node[lane]), days))
        candidates.append((lane, days))
    lane_cost = {lane: float(costs[lane]) for lane, _ in candidates}
    cost_forward: dict[int, list[tuple[int, float]]] = defaultdict(list)
    cost_backward: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for lane, cost in lane_cost.items():
        cost_forward[int(lanes.from_node[lane])].append((int(lanes.to_node[lane]), cost))
        cost_backward[int(lanes.to_node[lane])].append((int(lanes.from_node[lane]), cost))
    to_go = _shortest(backward, set(destinations))
    cheap_to_go = _shortest(cost_backward, set(destinations))
    keep: set[int] = set()
    # Each origin's own corridor: measured from the nearest origin alone, a commodity that
    # starts at a plant near its market (Rayong for Thailand) and one far away (Chongqing)
    # would have every path of the far one's vehicles cut.
    for origin in sorted(origins):
        reach = _shortest(forward, {origin})
        fastest = min((reach[d] for d in destinations if d in reach), default=INF)
        if fastest == INF:
            continue
        limit = fastest * slack + slack_days
        keep |= {
            lane
            for lane, days in candidates
            if reach.get(int(lanes.from_node[lane]), INF)
            + days
            + to_go.get(int(lanes.to_node[lane]), INF)
            <= limit
        }
        # The cheapest path stays too, however slow: pruning must not cut the optimum's route.
        cheap_reach = _shortest(cost_forward, {origin})
        cheapest = min((cheap_reach[d] for d in destinations if d in cheap_reach), default=INF)
        keep |= {
            lane
            for lane, cost in lane_cost.items()
            if cheap_reach.get(int(lanes.from_node[lane]), INF)
            + cost
            + cheap_to_go.get(int(lanes.to_node[lane]), INF)
            <= cheapest + 1e-6
        }
    return np.array(sorted(keep), dtype=np.int64)
