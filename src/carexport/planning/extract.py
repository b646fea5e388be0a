"""From LP flows to whole vehicles on paths.

1. Decompose each commodity's flow into time-specific paths, starting at its supply
   points (a vehicle's start node and day), so a path only carries vehicles that are
   there and ready.
2. Whole vehicles: at each supply point, the point's vehicles are split over its paths by
   largest remainder, and matched earliest delivery to earliest due date (ties: higher
   lateness penalty first).
3. Repair: vehicles whose departure would overflow (real slot factors, rounding) are moved
   to the earliest itinerary with room left; vehicles with none stay unserved.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import polars as pl

from carexport.planning.expand import Expanded
from carexport.planning.itinerary import Itinerary, Leg, Router, room, take
from carexport.planning.model import ARRIVED, CAPACITY, Model, V, W, X
from carexport.planning.result import Path
from carexport.planning.solve import Solution

EPS = 1e-6


def capacity_duals(model: Model, solution: Solution) -> dict[tuple[int, int], float]:
    rows = np.flatnonzero(model.row_kind == CAPACITY)
    return {
        (int(model.row_a[r]), int(model.row_day[r])): float(solution.row_duals[r])
        for r in rows
        if abs(solution.row_duals[r]) > EPS
    }


def decompose(
    ex: Expanded, model: Model, solution: Solution
) -> dict[tuple[int, int, int], list[tuple[float, Itinerary | None]]]:
    """Per supply point (commodity, node, day): paths with their (fractional) vehicles.

    A path of None means the vehicles stay unserved (the LP's bypass)."""
    lanes = ex.lanes
    values = solution.values
    used = np.flatnonzero(values > EPS)
    # Outgoing arcs per (commodity, node, day): [remaining flow, kind, lane, day2, column].
    arcs: dict[tuple[int, int, int], list[list[float]]] = defaultdict(list)
    for col in used:
        kind, k = int(model.col_kind[col]), int(model.col_commodity[col])
        if kind == X:
            lane = int(model.col_a[col])
            arcs[(k, int(lanes.from_node[lane]), int(model.col_day[col]))].append(
                [values[col], X, lane, int(model.col_day2[col])]
            )
        elif kind == W:
            arcs[(k, int(model.col_a[col]), int(model.col_day[col]))].append(
                [values[col], W, -1, int(model.col_day2[col])]
            )
        elif kind in (V, ARRIVED):
            arcs[(k, int(model.col_a[col]), int(model.col_day[col]))].append(
                [values[col], kind, -1, int(model.col_day[col])]
            )
    result: dict[tuple[int, int, int], list[tuple[float, Itinerary | None]]] = {}
    for com in ex.commodities:
        for (node, day), supply in sorted(com.supplies.items(), key=lambda s: (s[0][1], s[0][0])):
            remaining = float(supply)
            paths: list[tuple[float, Itinerary | None]] = []
            while remaining > EPS:
                here, when, legs, amount, trail = node, day, [], remaining, []
                bypass = arrived = False
                while True:
                    options = [a for a in arcs.get((com.index, here, when), ()) if a[0] > EPS]
                    if not options:
                        break
                    arc = max(options, key=lambda a: (a[0], -a[1]))
                    trail.append(arc)
                    amount = min(amount, arc[0])
                    if arc[1] == V:
                        bypass = True
                        break
                    if arc[1] == ARRIVED:
                        arrived = True
                        break
                    if arc[1] == W:
                        when = int(arc[3])
                        continue
                    lane = int(arc[2])
                    to = int(lanes.to_node[lane])
                    legs.append(Leg(lane, when, when + int(lanes.transit_days[lane])))
                    if to in com.destinations:
                        break
                    here, when = to, int(arc[3])
                if not trail:
                    # Numerical dust: treat the rest as unserved rather than loop.
                    paths.append((remaining, None))
                    break
                for arc in trail:
                    arc[0] -= amount
                remaining -= amount
                if arrived:
                    paths.append((amount, Itinerary((), when)))
                elif (
                    bypass or not legs or int(lanes.to_node[legs[-1].lane]) not in com.destinations
                ):
                    paths.append((amount, None))
                else:
                    delivery = legs[-1].arrive_day + int(
                        ex.handling_days[int(lanes.to_node[legs[-1].lane])]
                    )
                    paths.append((amount, Itinerary(tuple(legs), delivery)))
            result[(com.index, node, day)] = paths
    return result


def assign(
    ex: Expanded,
    flows: dict[tuple[int, int, int], list[tuple[float, Itinerary | None]]],
) -> tuple[list[Path], np.ndarray]:
    """Whole vehicles onto the decomposed paths, then repair overflowing departures.

    Within a commodity and start node a vehicle may take any path unit whose first
    departure is on or after its own start day (flow out of one start day may wait and
    leave later). Vehicles are placed latest-ready first (they have the fewest units to
    choose from, so everyone keeps a unit), then by higher lateness penalty and earlier
    due date, each on the unit that delivers latest while still on time, else on the
    earliest-delivering one.
    """
    vehicles = ex.vehicles.with_row_index("_i").select(
        "_i",
        "commodity",
        "start_index",
        "start_day",
        "due_day",
        "penalty",
        "slot_factor",
        "nev",
        "order_id",
        "vin",
    )
    assignment = np.full(vehicles.height, -1, dtype=np.int64)
    paths: list[Path] = []
    path_of: dict[tuple[int, int, bool, Itinerary], int] = {}
    units: dict[tuple[int, int], list[tuple[int, int, Itinerary]]] = defaultdict(list)
    for (k, node, day), options in flows.items():
        supply = ex.commodities[k].supplies[(node, day)]
        for (_, itinerary), count in zip(
            options, _largest_remainder([amount for amount, _ in options], supply), strict=True
        ):
            if itinerary is not None and count > 0:
                first = itinerary.legs[0].depart_day if itinerary.legs else day
                units[(k, node)].extend([(first, itinerary.delivery_day, itinerary)] * count)
    start_day = vehicles["start_day"].to_numpy()
    due_day = vehicles["due_day"].to_numpy()
    penalty = vehicles["penalty"].to_numpy()
    nev_of = vehicles["nev"].to_numpy()
    slot = vehicles["slot_factor"].to_numpy()
    horizon = ex.horizon
    queue: list[tuple[int, int]] = []
    for k, node, rows in (
        vehicles.group_by("commodity", "start_index", maintain_order=True)
        .agg(pl.col("_i"))
        .sort("commodity", "start_index")
        .iter_rows()
    ):
        rows_arr = np.array(rows, dtype=np.int64)
        # Latest-ready first; then the higher penalty, then the earlier due date.
        rows_arr = rows_arr[
            np.lexsort((due_day[rows_arr], -penalty[rows_arr], -start_day[rows_arr]))
        ]
        pool = sorted(units.get((k, node), []), key=lambda u: -u[0])
        counts = np.zeros(horizon + 2, dtype=np.int64)
        buckets: dict[int, list[Itinerary]] = defaultdict(list)
        next_unit = 0
        for row in rows_arr:
            ready = start_day[row]
            while next_unit < len(pool) and pool[next_unit][0] >= ready:
                _, delivery, itinerary = pool[next_unit]
                counts[delivery] += 1
                buckets[delivery].append(itinerary)
                next_unit += 1
            on_time = np.flatnonzero(counts[: max(0, min(due_day[row], horizon)) + 1])
            available = on_time if len(on_time) else np.flatnonzero(counts)
            if not len(available):
                continue
            day = int(available[-1] if len(on_time) else available[0])
            counts[day] -= 1
            itinerary = buckets[day].pop()
            key = (node, int(ready), bool(nev_of[row]), itinerary)
            if key not in path_of:
                path_of[key] = len(paths)
                paths.append(Path(node, int(ready), bool(nev_of[row]), itinerary))
            queue.append((int(row), path_of[key]))
    # Fill departures in order of first departure; overflow goes to repair.
    capacity = ex.lanes.capacity_slots
    residual = ex.residual()
    # Smaller vehicles first on each departure, so a big one, not two small ones, overflows.
    queue.sort(
        key=lambda item: (
            paths[item[1]].itinerary.legs[0].depart_day if paths[item[1]].itinerary.legs else -1,
            slot[item[0]],
            item[1],
        )
    )
    for row, path in queue:
        itinerary = paths[path].itinerary
        if room(residual, capacity, itinerary, slot[row]) >= 1:
            take(residual, capacity, itinerary, slot[row])
            assignment[row] = path
    _repair(
        ex, vehicles, np.flatnonzero(assignment < 0).tolist(), residual, paths, path_of, assignment
    )
    return paths, assignment


def _largest_remainder(amounts: list[float], total: int) -> list[int]:
    if not amounts:
        return []
    raw = np.array(amounts, dtype=np.float64)
    raw = raw * (total / raw.sum()) if raw.sum() > 0 else np.full(len(raw), total / len(raw))
    counts = np.floor(raw + 1e-9).astype(np.int64)
    short = total - int(counts.sum())
    if short > 0:
        for j in np.argsort(-(raw - counts), kind="stable")[:short]:
            counts[j] += 1
    return [int(c) for c in counts]


def _repair(
    ex: Expanded,
    vehicles: pl.DataFrame,
    rows: list[int],
    residual: dict[tuple[int, int], float],
    paths: list[Path],
    path_of: dict[tuple[int, int, bool, Itinerary], int],
    assignment: np.ndarray,
) -> None:
    """Place the vehicles left over on the earliest itineraries that still have room."""
    if not rows:
        return
    router = Router(ex)
    destinations = {c.index: c.destinations for c in ex.commodities}
    left = vehicles.with_row_index("_row").filter(pl.col("_row").is_in(rows))
    groups = (
        left.group_by(
            "start_index", "start_day", "commodity", "nev", "slot_factor", maintain_order=True
        )
        .agg(pl.col("_row"), pl.col("due_day").min())
        .sort("due_day", "start_day", "start_index", "commodity", "nev", "slot_factor")
    )
    for node, day, k, nev, slots, members, _ in groups.iter_rows():
        waiting = list(members)
        while waiting:
            itinerary = router.earliest(
                node, day, destinations[k], nev=nev, slots=slots, residual=residual
            )
            if itinerary is None:
                break
            fits = min(room(residual, ex.lanes.capacity_slots, itinerary, slots), len(waiting))
            key = (node, day, bool(nev), itinerary)
            if key not in path_of:
                path_of[key] = len(paths)
                paths.append(Path(node, day, bool(nev), itinerary))
            for row in waiting[:fits]:
                take(residual, ex.lanes.capacity_slots, itinerary, slots)
                assignment[row] = path_of[key]
            waiting = waiting[fits:]
