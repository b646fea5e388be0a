"""The baseline a spreadsheet planner would use: orders in due-date order, each vehicle on
the earliest-arriving itinerary that still has room (first fit)."""

from __future__ import annotations

import numpy as np
import polars as pl

from carexport.planning.expand import Expanded
from carexport.planning.itinerary import Itinerary, Router, room, take
from carexport.planning.result import Path


def greedy(ex: Expanded) -> tuple[list[Path], np.ndarray]:
    router = Router(ex)
    capacity = ex.lanes.capacity_slots
    destinations = {c.index: c.destinations for c in ex.commodities}
    residual = ex.residual()
    paths: list[Path] = []
    path_of: dict[tuple[int, int, bool, Itinerary], int] = {}
    assignment = np.full(ex.vehicles.height, -1, dtype=np.int64)
    # Vehicles of one order that start together are placed together, as a planner would.
    groups = (
        ex.vehicles.with_row_index("_i")
        .group_by(
            "order_id",
            "start_index",
            "start_day",
            "commodity",
            "nev",
            "slot_factor",
            maintain_order=True,
        )
        .agg(pl.col("_i"), pl.col("due_day").min())
        .sort("due_day", "order_id", "start_day", "start_index", "commodity", "slot_factor")
    )
    for _, node, day, k, nev, slots, rows, _ in groups.iter_rows():
        left = list(rows)
        while left:
            itinerary = router.earliest(
                node, day, destinations[k], nev=nev, slots=slots, residual=residual
            )
            if itinerary is None:
                break
            fits = min(room(residual, capacity, itinerary, slots), len(left))
            key = (node, day, bool(nev), itinerary)
            if key not in path_of:
                path_of[key] = len(paths)
                paths.append(Path(node, day, bool(nev), itinerary))
            for row in left[:fits]:
                take(residual, capacity, itinerary, slots)
                assignment[row] = path_of[key]
            left = left[fits:]
    return paths, assignment
