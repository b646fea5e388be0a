"""The LP by paths: column generation on the built model (planning.model), same optimum.

The model's node-time point rows and arc columns (departures, storage, the bypass,
arrivals at a destination) are one network per commodity; every other row (deliveries,
lateness chains, the unserved node, departure and yard capacity) couples them. Here:

* master: those other rows, with the chain and unserved columns as they are, one row per
  supply point (its vehicles = the flow on its paths), and path columns: a supply point's
  arcs to a delivery, or its bypass;
* pricing: every arc's reduced cost at the master's duals (one sparse product), then the
  cheapest path on from every node-time point in one backward pass over the days (every
  arc ends later than it starts), all commodities at once; a supply point's path joins
  the master while its reduced cost is negative;
* bound: the master's objective plus each supply point's vehicles times its least reduced
  cost (a Lagrangian bound, valid at every iteration); it stops when the two meet.

The answer is given back on the model's columns and rows (arc flows = the sum of the
paths over them; the node rows' duals = the pricing's costs to go), so integerizing,
assignment and explanations read it as they read HiGHS's answer on the whole LP.

Measured (bench/bench_planner.py, a 2-core machine): 10k vehicles 0.2 s against 3.6 s
for HiGHS on the whole LP; a Chongqing quarter (120k, where a quarter of the departures
bind) 24.6-30 s against 26.7-40.5 s: the master's simplex is nearly all of it.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp

from carexport.planning.model import ARRIVED, NODE, Model, V, W, X
from carexport.planning.solve import Solution, SolveOptions, new_highs

# A path joins the master when its reduced cost is below -TOLERANCE (USD per vehicle).
TOLERANCE = 1e-6
# The bound and the objective meet when they differ by this share of the objective.
GAP = 1e-7
# Dual simplex re-solves the master while this many columns or more come in; fewer, primal
# (measured on a quarter: primal throughout 171 s, dual throughout 54 s, switching 30 s).
DUAL_FROM = 500
# With right duals every iteration improves the master or ends; this many iterations
# without an improvement means the pricing and the master disagree (numerically), and the
# whole LP is solved instead of looping to the time limit.
STALL = 50


@dataclass(frozen=True)
class Network:
    """The model's arc columns over its node-time point rows (points numbered in the
    order of their rows): tail = the point an arc leaves (+1), head = the one it enters
    (-1), or -1 for an arc that leaves the points (a delivery, the bypass)."""

    cols: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    by_day: tuple[np.ndarray, ...]  # arcs by the day of their tail, the latest first
    point_rows: np.ndarray
    other_rows: np.ndarray


def network_of(model: Model) -> Network | None:
    """The model's networks, or None when an arc does not move forward in time (the
    backward pass needs that; then the whole LP is solved instead)."""
    matrix = model.matrix
    point_rows = np.flatnonzero(model.row_kind == NODE)
    other_rows = np.flatnonzero(model.row_kind != NODE)
    point_of = np.full(matrix.shape[0], -1)
    point_of[point_rows] = np.arange(len(point_rows))
    cols = np.flatnonzero(np.isin(model.col_kind, [X, W, V, ARRIVED]))
    entries = matrix[:, cols].tocoo()
    at_point = point_of[entries.row] >= 0
    tail = np.full(len(cols), -1)
    head = np.full(len(cols), -1)
    leaves, enters = at_point & (entries.data > 0), at_point & (entries.data < 0)
    tail[entries.col[leaves]] = point_of[entries.row[leaves]]
    head[entries.col[enters]] = point_of[entries.row[enters]]
    day = model.row_day[point_rows]
    inner = head >= 0
    if (tail < 0).any() or (day[head[inner]] <= day[tail[inner]]).any():
        return None
    order = np.argsort(-day[tail], kind="stable")
    _, first = np.unique(-day[tail][order], return_index=True)
    bounds = [*first.tolist(), len(order)]
    by_day = tuple(order[bounds[i] : bounds[i + 1]] for i in range(len(first)))
    return Network(cols, tail, head, by_day, point_rows, other_rows)


def cheapest(net: Network, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From every point: the least cost (weights) to leave the points, and the arc that
    starts that path."""
    points = len(net.point_rows)
    to_go = np.full(points, np.inf)
    best = np.full(points, -1)
    for part in net.by_day:
        head = net.head[part]
        cost = weight[part] + np.where(head >= 0, to_go[np.maximum(head, 0)], 0.0)
        tail = net.tail[part]
        np.minimum.at(to_go, tail, cost)
        hit = cost <= to_go[tail]
        best[tail[hit]] = part[hit]
    return to_go, best


def paths(net: Network, first: np.ndarray, best: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(arc, path number) of each path: its first arc, then the best arc on from each point."""
    number = np.arange(len(first))
    arc_parts, path_parts = [first], [number]
    here = net.head[first]
    going = here >= 0
    here, number = here[going], number[going]
    while len(here):
        arc = best[here]
        arc_parts.append(arc)
        path_parts.append(number)
        here = net.head[arc]
        going = here >= 0
        here, number = here[going], number[going]
    return np.concatenate(arc_parts), np.concatenate(path_parts)


def reduced_arc_costs(
    arc_cost: np.ndarray, arc_others_t: sp.csr_matrix, duals: np.ndarray
) -> np.ndarray:
    """Each arc's reduced cost at the duals of the rows other than the points'."""
    reduced: np.ndarray = arc_cost - arc_others_t @ duals
    return reduced


def paths_of_legs(
    model: Model, net: Network, vehicles: pl.DataFrame, legs: pl.DataFrame, start: dt.date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A known plan's paths as the model's arcs, to start from: (arc, path number) and each
    path's supply point. vehicles: the expanded vehicles (vin, commodity, start_index,
    start_day); legs: vin, lane_id, depart_date. A vehicle whose legs the model does not
    offer as one path to a delivery (pruned, out of reach, not delivering) is left out:
    pricing finds it a path."""
    kind, commodity = model.col_kind[net.cols], model.col_commodity[net.cols]
    lane_number = {lane: i for i, lane in enumerate(model.lane_ids)}
    departure = {
        (int(commodity[i]), int(model.col_a[net.cols[i]]), int(model.col_day[net.cols[i]])): i
        for i in np.flatnonzero(kind == X)
    }
    waits = np.flatnonzero(kind == W)
    wait_from = dict(zip(net.tail[waits].tolist(), waits.tolist(), strict=True))
    rows = net.point_rows
    point = {
        (int(k), int(n), int(d)): i
        for i, (k, n, d) in enumerate(
            zip(model.row_commodity[rows], model.row_a[rows], model.row_day[rows], strict=True)
        )
    }
    point_day = model.row_day[rows]
    routes = (
        legs.with_columns((pl.col("depart_date") - pl.lit(start)).dt.total_days().alias("day"))
        .sort("vin", "day")
        .group_by("vin", maintain_order=True)
        .agg("lane_id", "day")
        .join(vehicles.select("vin", "commodity", "start_index", "start_day"), on="vin")
        .group_by("commodity", "start_index", "start_day", "lane_id", "day")
        .len()
    )
    arc_parts: list[list[int]] = []
    owners: list[int] = []
    for k, node, day, lane_ids, days, _ in routes.iter_rows():
        here = point.get((k, node, day))
        owner, arcs = here, []
        for lane_id, leave in zip(lane_ids, days, strict=True):
            while here is not None and point_day[here] < leave and here in wait_from:
                arcs.append(wait_from[here])
                head = int(net.head[arcs[-1]])
                here = head if head >= 0 else None
            arc = departure.get((k, lane_number.get(lane_id, -1), int(leave)))
            if here is None or point_day[here] != leave or arc is None or net.tail[arc] != here:
                arcs = []
                break
            arcs.append(arc)
            head = int(net.head[arc])
            here = head if head >= 0 else None
        if arcs and here is None and owner is not None and model.row_lower[rows[owner]] > 0:
            arc_parts.append(arcs)
            owners.append(owner)
    if not owners:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    number = np.repeat(np.arange(len(owners)), [len(a) for a in arc_parts])
    return np.concatenate([np.asarray(a) for a in arc_parts]), number, np.asarray(owners)


def solve_by_paths(
    model: Model,
    options: SolveOptions,
    net: Network,
    start: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> Solution | None:
    """The model's LP by column generation (see the module); the answer on its columns.
    start: paths to begin with besides the cheapest (paths_of_legs). None when it stalls
    (STALL): the caller solves the whole LP then."""
    import highspy

    started = time.perf_counter()
    inf = highspy.kHighsInf
    matrix, cost = model.matrix, model.cost
    on_others = matrix[net.other_rows, :].tocsc()
    arc_others = on_others[:, net.cols].tocsc()
    arc_others_t = arc_others.T.tocsr()
    arc_cost = cost[net.cols]
    bypass = model.col_kind[net.cols] == V
    supplied = np.flatnonzero(model.row_lower[net.point_rows] > 0)
    supply = model.row_lower[net.point_rows][supplied]
    supply_row = np.full(len(net.point_rows), -1)
    supply_row[supplied] = np.arange(len(supplied))
    n_others, n_supply = len(net.other_rows), len(supplied)
    n_arcs = len(net.cols)

    fixed = np.setdiff1d(np.arange(matrix.shape[1]), net.cols)
    fixed_matrix = sp.vstack([on_others[:, fixed], sp.csc_matrix((n_supply, len(fixed)))]).tocsc()
    lower, upper = model.row_lower[net.other_rows], model.row_upper[net.other_rows]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(fixed), n_others + n_supply
    lp.col_cost_ = cost[fixed]
    lp.col_lower_ = np.zeros(len(fixed))
    lp.col_upper_ = np.full(len(fixed), inf)
    lp.row_lower_ = np.concatenate([np.where(np.isfinite(lower), lower, -inf), supply])
    lp.row_upper_ = np.concatenate([np.where(np.isfinite(upper), upper, inf), supply])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = fixed_matrix.indptr
    lp.a_matrix_.index_ = fixed_matrix.indices
    lp.a_matrix_.value_ = fixed_matrix.data
    lp.offset_ = model.constant_usd
    highs = new_highs(options)
    highs.setOptionValue("presolve", "off")  # each re-solve starts from the last basis
    highs.passModel(lp)

    incidences: list[sp.csc_matrix] = []

    def add(first: np.ndarray, owners: np.ndarray, best: np.ndarray) -> None:
        add_paths(*paths(net, first, best), owners)

    def add_paths(arc: np.ndarray, path: np.ndarray, owners: np.ndarray) -> None:
        count = len(owners)
        incidence = sp.csc_matrix((np.ones(len(arc)), (arc, path)), shape=(n_arcs, count))
        own = sp.csc_matrix(
            (np.ones(count), (supply_row[owners], np.arange(count))), shape=(n_supply, count)
        )
        columns = sp.vstack([arc_others @ incidence, own]).tocsc()
        columns.sum_duplicates()
        highs.addCols(
            count,
            np.asarray(incidence.T @ arc_cost).ravel(),
            np.zeros(count),
            np.full(count, inf),
            columns.nnz,
            columns.indptr[:-1].astype(np.int32),
            columns.indices.astype(np.int32),
            columns.data,
        )
        incidences.append(incidence)

    # Start: from every supply point its cheapest path that delivers, and its bypass (so
    # the master is feasible whatever the capacities).
    _, best = cheapest(net, np.where(bypass, np.inf, arc_cost))
    add(best[supplied], supplied, best)
    bypasses = np.flatnonzero(bypass)
    add(bypasses, net.tail[bypasses], best)
    if start is not None and len(start[2]):
        add_paths(*start)

    added, status, objective, bound = n_supply, "Optimal", 0.0, -np.inf
    duals = np.zeros(n_others + n_supply)
    to_go = np.zeros(len(net.point_rows))
    values = np.zeros(0)
    best_objective, stalled = np.inf, 0
    while True:
        left = options.time_limit_s - (time.perf_counter() - started)
        if left <= 0:
            status = "Time limit reached"
            break
        highs.setOptionValue("time_limit", float(left))
        highs.setOptionValue("simplex_strategy", 1 if added >= DUAL_FROM else 4)
        highs.run()
        master = highs.getModelStatus()
        if master != highspy.HighsModelStatus.kOptimal:
            status = highs.modelStatusToString(master)
            break
        solution = highs.getSolution()
        objective = float(highs.getInfo().objective_function_value)
        values = np.asarray(solution.col_value)
        duals = np.asarray(solution.row_dual)
        if objective < best_objective - 1e-9 * max(1.0, abs(best_objective)):
            best_objective, stalled = objective, 0
        else:
            stalled += 1
            if stalled >= STALL:
                return None
        to_go, best = cheapest(net, reduced_arc_costs(arc_cost, arc_others_t, duals[:n_others]))
        reduced = to_go[supplied] - duals[n_others:]
        bound = max(bound, objective + float(np.sum(supply * np.minimum(0.0, reduced))))
        pricing = reduced < -TOLERANCE
        if not pricing.any() or objective - bound <= GAP * max(1.0, abs(objective)):
            break
        owners = supplied[pricing]
        add(best[owners], owners, best)
        added = len(owners)

    n_rows, n_cols = model.shape
    full_values = np.zeros(n_cols)
    row_duals = np.zeros(n_rows)
    if len(values):
        full_values[fixed] = values[: len(fixed)]
        # Paths added after the last master solution carry nothing in it.
        all_paths = sp.hstack(incidences).tocsr()
        path_flow = np.zeros(all_paths.shape[1])
        path_flow[: len(values) - len(fixed)] = values[len(fixed) :]
        full_values[net.cols] = all_paths @ path_flow
        row_duals[net.other_rows] = duals[:n_others]
        row_duals[net.point_rows] = np.where(np.isfinite(to_go), to_go, 0.0)
    optimal = status == "Optimal"
    return Solution(
        status=status,
        optimal=optimal,
        objective_usd=objective,
        values=full_values,
        row_duals=row_duals,
        solve_s=time.perf_counter() - started,
        bound_usd=bound if optimal else None,
    )
