"""Warm starts on the whole LP (formulation "arcs"): a known plan (the previous week's)
as a starting point for HiGHS, so the simplex starts near the optimum instead of from a
slack basis. (By paths, the default, a known plan's legs become the first columns
instead: planning.colgen.paths_of_legs; a quarter re-planned a week on solved in 9.9 s
warm against 30.0 s cold that way.)

Only the departure columns are set (vehicles per commodity, lane and departure day); the
rest start at zero. HiGHS accepts an incomplete or even infeasible point through
setSolution and builds its starting basis from it: measured on a 40k-vehicle book, the
LP took 21.8 s cold, 2.2 s from its own optimum's departure columns alone and 1.8 s from
those perturbed by 20% (tmp experiment, HiGHS 1.16). The optimum, and so the LP bound,
does not depend on the start. But the starts a planner has are not that close: the
greedy plan (75% dearer than the optimum) took HiGHS 63.0 s on the Chongqing quarter
against 26.7 s cold, and is not offered; last week's plan, re-planned a week on, took
6.1 s against 6.3 s cold at 40k vehicles and 58.7 s against 27.9 s at 120k (primal
simplex from it: over 600 s).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from carexport.planning.expand import Expanded
from carexport.planning.model import Model, X


def from_legs(ex: Expanded, model: Model, legs: pl.DataFrame) -> np.ndarray:
    """Column values from a plan's legs (vin, lane_id, depart_date), as stored: the legs of
    the problem's vehicles that the model still offers them."""
    lane_index = pl.DataFrame(
        {"lane_id": ex.lanes.ids, "lane": np.arange(len(ex.lanes.ids), dtype=np.int64)}
    )
    start = ex.problem.parameters.start
    used = (
        legs.select("vin", "lane_id", "depart_date")
        .join(ex.vehicles.select("vin", "commodity"), on="vin")
        .join(lane_index, on="lane_id")
        .with_columns((pl.col("depart_date") - pl.lit(start)).dt.total_days().alias("day"))
        .group_by("commodity", "lane", "day")
        .agg(pl.len().alias("vehicles"))
    )
    return departure_values(ex, model, used)


def departure_values(ex: Expanded, model: Model, used: pl.DataFrame) -> np.ndarray:
    """Column values from vehicles per (commodity, lane, day); departures the model does
    not offer that commodity (pruned, out of reach, before the start) are left out."""
    horizon = ex.horizon + 1
    lanes = len(ex.lanes.ids)
    values = np.zeros(model.shape[1])
    if used.is_empty():
        return values
    x = np.flatnonzero(model.col_kind == X)
    if not len(x):
        return values
    x_key = (model.col_commodity[x].astype(np.int64) * lanes + model.col_a[x]) * horizon + (
        model.col_day[x]
    )
    order = np.argsort(x_key)
    sorted_key = x_key[order]
    day = used["day"].to_numpy()
    key = (used["commodity"].to_numpy() * lanes + used["lane"].to_numpy()) * horizon + day
    found = np.minimum(np.searchsorted(sorted_key, key), len(sorted_key) - 1)
    hit = (day >= 0) & (sorted_key[found] == key)
    values[x[order[found[hit]]]] = used["vehicles"].to_numpy()[hit]
    return values
