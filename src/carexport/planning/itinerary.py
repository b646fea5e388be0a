"""Earliest-arrival itineraries on the real schedules, optionally within residual capacity.

Used by the greedy baseline (first fit in due-date order), by the repair of the optimal
plan's rounding, and by the explanations (the fastest route a vehicle could have had).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from carexport.planning.expand import Expanded


@dataclass(frozen=True)
class Leg:
    lane: int
    depart_day: int
    arrive_day: int  # day it reaches the next node (before handling there)


@dataclass(frozen=True)
class Itinerary:
    legs: tuple[Leg, ...]
    delivery_day: int  # arrival at the destination plus its handling


class Router:
    """Earliest-arrival search over an Expanded network's lanes and departure days."""

    def __init__(self, ex: Expanded) -> None:
        self.ex = ex
        self.outgoing: dict[int, list[int]] = defaultdict(list)
        for lane in range(len(ex.lanes.ids)):
            if len(ex.lanes.departures[lane]):
                self.outgoing[int(ex.lanes.from_node[lane])].append(lane)

    def earliest(
        self,
        start_node: int,
        start_day: int,
        destinations: frozenset[int],
        *,
        nev: bool,
        slots: float = 1.0,
        residual: dict[tuple[int, int], float] | None = None,
        allowed: set[int] | None = None,
    ) -> Itinerary | None:
        """The itinerary that delivers first (ties: fewer legs), or None within the horizon.

        With residual, a departure is usable only if it has at least `slots` left
        (missing keys mean the lane's full capacity).
        """
        ex, lanes = self.ex, self.ex.lanes
        if start_node in destinations:
            return Itinerary((), start_day)
        best: dict[int, int] = {start_node: start_day}
        back: dict[int, Leg] = {}
        heap = [(start_day, 0, start_node)]
        while heap:
            day, hops, node = heapq.heappop(heap)
            if day > best.get(node, 1 << 30):
                continue
            if node in destinations:
                legs = []
                while node != start_node:
                    leg = back[node]
                    legs.append(leg)
                    node = int(lanes.from_node[leg.lane])
                return Itinerary(tuple(reversed(legs)), day)
            for lane in self.outgoing.get(node, ()):
                if (nev and not lanes.nev_allowed[lane]) or (
                    allowed is not None and lane not in allowed
                ):
                    continue
                days = lanes.departures[lane]
                index = int(np.searchsorted(days, day))
                capacity = lanes.capacity_slots[lane]
                while index < len(days):
                    depart = int(days[index])
                    left = capacity if residual is None else residual.get((lane, depart), capacity)
                    if left + 1e-9 >= slots:
                        break
                    index += 1
                else:
                    continue
                to = int(lanes.to_node[lane])
                arrive = depart + int(lanes.transit_days[lane])
                ready = arrive + int(ex.handling_days[to])
                if ready > ex.horizon:
                    continue
                if ready < best.get(to, 1 << 30):
                    best[to] = ready
                    back[to] = Leg(lane, depart, arrive)
                    heapq.heappush(heap, (ready, hops + 1, to))
        return None


def take(
    residual: dict[tuple[int, int], float], capacity: np.ndarray, itinerary: Itinerary, slots: float
) -> None:
    for leg in itinerary.legs:
        key = (leg.lane, leg.depart_day)
        residual[key] = residual.get(key, float(capacity[leg.lane])) - slots


def room(
    residual: dict[tuple[int, int], float], capacity: np.ndarray, itinerary: Itinerary, slots: float
) -> int:
    """How many vehicles of `slots` each still fit on every leg of an itinerary."""
    if not itinerary.legs:
        return 1 << 30
    return min(
        int((residual.get((leg.lane, leg.depart_day), float(capacity[leg.lane])) + 1e-9) // slots)
        for leg in itinerary.legs
    )
