"""Fastest and cheapest paths through the network, ignoring capacity (the planner handles that).

A leg's time is the handling days at the node it leaves, the mean wait for a departure
(half the gap between departures, so a weekly lane waits 3 days on average and a daily
lane none), and its transit days; the last node's handling days are added at the end.
Its cost is the lane's cost per vehicle plus storage while handled at the node it leaves.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from carexport.network.schemas import Lane
from carexport.network.snapshot import NetworkSnapshot

Objective = Literal["days", "cost"]


@dataclass(frozen=True)
class Path:
    origin: str
    destination: str
    lane_ids: tuple[str, ...]
    days: float
    cost_usd: float
    co2e_kg: float


def mean_wait_days(lane: Lane) -> float:
    per_week = lane.schedule.departures_per_week()
    if per_week <= 0:
        return 0.0
    headway_days = 7.0 / per_week
    return max(headway_days - 1.0, 0.0) / 2.0


def active_lanes(
    snapshot: NetworkSnapshot, as_of: dt.date | None, *, nev: bool = False
) -> list[Lane]:
    """Lanes that depart at least once in the year from as_of (all lanes when None)."""
    lanes = []
    for lane in snapshot.lanes.values():
        if nev and not lane.nev_allowed:
            continue
        if as_of is not None and not lane.departures_between(as_of, as_of + dt.timedelta(days=365)):
            continue
        lanes.append(lane)
    return lanes


def best_paths(
    snapshot: NetworkSnapshot,
    origins: Iterable[str],
    objective: Objective,
    *,
    as_of: dt.date | None = None,
    nev: bool = False,
) -> dict[str, Path]:
    """The best path from any origin to every node it reaches, by days or by cost."""
    outgoing: dict[str, list[Lane]] = defaultdict(list)
    for lane in active_lanes(snapshot, as_of, nev=nev):
        outgoing[lane.from_node].append(lane)

    def leg(lane: Lane) -> tuple[float, float, float]:
        node = snapshot.nodes[lane.from_node]
        days = node.handling_days + mean_wait_days(lane) + lane.transit_days
        cost = lane.cost_usd_per_vehicle + node.handling_days * node.storage_cost_usd_per_day
        if nev and lane.nev_dangerous_goods:
            cost += lane.dg_handling_cost_usd or 0.0
        return days, cost, snapshot.lane_co2e_kg(lane) or 0.0

    # Heap entries: (primary, secondary, node, origin, lanes, days, cost, co2); the secondary
    # key and the node id make ties deterministic.
    heap: list[tuple[float, float, str, str, tuple[str, ...], float, float, float]] = []
    for origin in sorted(set(origins)):
        if origin in snapshot.nodes:
            heapq.heappush(heap, (0.0, 0.0, origin, origin, (), 0.0, 0.0, 0.0))
    settled: dict[str, Path] = {}
    while heap:
        _, _, node_id, origin, lanes, days, cost, co2 = heapq.heappop(heap)
        if node_id in settled:
            continue
        end = snapshot.nodes[node_id]
        settled[node_id] = Path(
            origin=origin,
            destination=node_id,
            lane_ids=lanes,
            days=days + end.handling_days,
            cost_usd=cost + end.handling_days * end.storage_cost_usd_per_day,
            co2e_kg=co2,
        )
        for lane in sorted(outgoing.get(node_id, ()), key=lambda ln: ln.id):
            if lane.to_node in settled or lane.to_node not in snapshot.nodes:
                continue
            leg_days, leg_cost, leg_co2 = leg(lane)
            new = (days + leg_days, cost + leg_cost, co2 + leg_co2)
            primary, secondary = (new[0], new[1]) if objective == "days" else (new[1], new[0])
            heapq.heappush(
                heap, (primary, secondary, lane.to_node, origin, (*lanes, lane.id), *new)
            )
    return settled


def best_path_to_market(
    snapshot: NetworkSnapshot, paths: dict[str, Path], country: str, objective: Objective
) -> Path | None:
    market = snapshot.markets[country]
    candidates = [paths[n] for n in market.destination_nodes if n in paths]
    if not candidates:
        return None
    if objective == "days":
        return min(candidates, key=lambda p: (p.days, p.cost_usd, p.destination))
    return min(candidates, key=lambda p: (p.cost_usd, p.days, p.destination))


def reachable(edges: Iterable[tuple[str, str]], starts: Iterable[str]) -> set[str]:
    """Nodes reachable from starts along directed edges (breadth first)."""
    adjacency: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        adjacency[a].append(b)
    seen = set(starts)
    queue = deque(seen)
    while queue:
        for nxt in adjacency[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def fastest_days_to_markets(
    snapshot: NetworkSnapshot, origin: str, *, nev: bool = False
) -> dict[str, float]:
    """Days of the fastest path from origin to each market it reaches (country -> days)."""
    paths = best_paths(snapshot, [origin], "days", nev=nev)
    result = {}
    for country, market in snapshot.markets.items():
        days = [paths[n].days for n in market.destination_nodes if n in paths]
        if days:
            result[country] = min(days)
    return result
