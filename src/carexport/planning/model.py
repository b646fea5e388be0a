"""The LP: a time-expanded multicommodity flow, built as one sparse matrix.

Per commodity k (vehicles of one market and NEV status):

* departure columns x[k, lane, day]: vehicles on a departure; cost = lane cost + DG
  surcharge (NEVs on DG legs) + CO2e x price + handling at the node reached;
* storage columns w[k, node, i]: vehicles waiting at a node from one time point to the
  next; cost = storage per day x days;
* bypass columns v[k, node, day]: vehicles not shipped in this plan (to the unserved node);
* delivery split z[k, class, day]: deliveries on a day counted against a lateness class
  (one class per penalty level);
* class chains: forward f (early vehicles wait for their due day, free) and backward b
  (late vehicles serve an earlier due day at penalty x days); unserved u[k, class] enters
  at the horizon's end at the unserved penalty and then pays lateness like any late car.

Rows: flow conservation at every node-time point, delivery day, unserved node and chain
point of each commodity; then the coupling rows: the capacity of every departure (in
slots, mean slot factor x vehicles) and the yard capacity of nodes that have one.

Time is compact: a node has points only on days something of that commodity departs
from it, arrives at it (after handling) or starts there. Departures that cannot be
reached, or cannot deliver before the horizon ends, are pruned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from carexport.planning.expand import Expanded, _shortest

# Column kinds (labels let a plan explain itself).
X, W, V, Z, F, B, U, ARRIVED = range(8)
KIND_NAMES = ("departure", "storage", "bypass", "delivery", "early", "late", "unserved", "arrived")
# Row kinds.
NODE, DELIVERY, UNSERVED_NODE, CHAIN, CAPACITY, YARD = range(6)


@dataclass
class Columns:
    kind: list[np.ndarray] = field(default_factory=list)
    commodity: list[np.ndarray] = field(default_factory=list)
    a: list[np.ndarray] = field(default_factory=list)  # lane / node / class
    day: list[np.ndarray] = field(default_factory=list)
    day2: list[np.ndarray] = field(default_factory=list)  # arrival / next point day
    cost: list[np.ndarray] = field(default_factory=list)
    count: int = 0

    def add(
        self, kind: int, k: int, a: np.ndarray, day: np.ndarray, day2: np.ndarray, cost: np.ndarray
    ) -> np.ndarray:
        n = len(a)
        self.kind.append(np.full(n, kind, dtype=np.int8))
        self.commodity.append(np.full(n, k, dtype=np.int32))
        self.a.append(np.asarray(a, dtype=np.int32))
        self.day.append(np.asarray(day, dtype=np.int32))
        self.day2.append(np.asarray(day2, dtype=np.int32))
        self.cost.append(np.asarray(cost, dtype=np.float64))
        first = self.count
        self.count += n
        return np.arange(first, first + n, dtype=np.int64)


@dataclass
class Entries:
    rows: list[np.ndarray] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    vals: list[np.ndarray] = field(default_factory=list)

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray | float) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        self.rows.append(rows)
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(np.broadcast_to(np.asarray(vals, dtype=np.float64), rows.shape).copy())


@dataclass(frozen=True)
class Model:
    """A built LP with labels on every column and row."""

    matrix: sp.csc_matrix
    cost: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_kind: np.ndarray
    col_commodity: np.ndarray
    col_a: np.ndarray
    col_day: np.ndarray
    col_day2: np.ndarray
    row_kind: np.ndarray
    row_a: np.ndarray  # capacity: lane; yard: node
    row_day: np.ndarray
    constant_usd: float  # lateness already incurred before the plan start
    build_s: float

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.matrix.shape[0]), int(self.matrix.shape[1])


def build(ex: Expanded) -> Model:
    started = time.perf_counter()
    params = ex.problem.parameters
    lanes, horizon = ex.lanes, ex.horizon
    co2_usd = lanes.co2e_kg * params.co2_price_usd_per_t / 1000.0
    arrival_handling = ex.handling_days[lanes.to_node]
    arrival_storage = arrival_handling * ex.storage_usd_per_day[lanes.to_node]
    cols, entries = Columns(), Entries()
    row_kind: list[np.ndarray] = []
    row_a: list[np.ndarray] = []
    row_day: list[np.ndarray] = []
    rhs: list[np.ndarray] = []
    n_rows = 0

    def new_rows(kind: int, a: np.ndarray, day: np.ndarray, b: np.ndarray) -> np.ndarray:
        nonlocal n_rows
        count = len(a)
        row_kind.append(np.full(count, kind, dtype=np.int8))
        row_a.append(np.asarray(a, dtype=np.int32))
        row_day.append(np.asarray(day, dtype=np.int32))
        rhs.append(np.asarray(b, dtype=np.float64))
        first = n_rows
        n_rows += count
        return np.arange(first, first + count, dtype=np.int64)

    # Departure columns of every commodity, collected for the capacity rows at the end.
    cap_cols: list[np.ndarray] = []
    cap_lane: list[np.ndarray] = []
    cap_day: list[np.ndarray] = []
    cap_coef: list[np.ndarray] = []
    yard_cols: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    constant = 0.0

    for com in ex.commodities:
        k = com.index
        usable = com.lanes
        # Earliest day a vehicle of k can be at each node, and the least days from each
        # node to a destination (transit + handling, no waiting): both bound the timing.
        forward: dict[int, list[tuple[int, float]]] = {}
        backward: dict[int, list[tuple[int, float]]] = {}
        for lane in usable:
            tail, head = int(lanes.from_node[lane]), int(lanes.to_node[lane])
            days = float(lanes.transit_days[lane] + ex.handling_days[head])
            forward.setdefault(tail, []).append((head, days))
            backward.setdefault(head, []).append((tail, days))
        first_day = min(d for _, d in com.supplies)
        last_day = max(d for _, d in com.supplies)
        origins = {n for n, _ in com.supplies}
        reach = _shortest(forward, origins)
        # The latest a vehicle of k may leave a node: from its last start day, the slowest
        # origin's shortest time to the node plus the allowed delay.
        slowest: dict[int, float] = {}
        for origin in origins:
            for node, days in _shortest(forward, {origin}).items():
                slowest[node] = max(slowest.get(node, 0.0), days)
        to_go = _shortest(backward, set(com.destinations))

        dep_lane, dep_day, dep_arrive = [], [], []
        for lane in usable:
            tail, head = int(lanes.from_node[lane]), int(lanes.to_node[lane])
            days = lanes.departures[lane]
            avail = days + lanes.transit_days[lane] + ex.handling_days[head]
            ok = (
                (days >= first_day + reach.get(tail, np.inf))
                & (days <= last_day + slowest.get(tail, 0.0) + params.max_delay_days)
                & (avail + to_go.get(head, np.inf) <= horizon)
            )
            dep_lane.append(np.full(int(ok.sum()), lane))
            dep_day.append(days[ok])
            dep_arrive.append(avail[ok])
        lane_arr = np.concatenate(dep_lane) if dep_lane else np.array([], dtype=np.int64)
        day_arr = np.concatenate(dep_day) if dep_day else np.array([], dtype=np.int64)
        avail_arr = np.concatenate(dep_arrive) if dep_arrive else np.array([], dtype=np.int64)
        cost = (
            lanes.cost_usd[lane_arr]
            + (lanes.dg_usd[lane_arr] if com.nev else 0.0)
            + co2_usd[lane_arr]
            + arrival_storage[lane_arr]
        )
        x = cols.add(X, k, lane_arr, day_arr, avail_arr, cost)
        cap_cols.append(x)
        cap_lane.append(lane_arr)
        cap_day.append(day_arr)
        cap_coef.append(np.full(len(x), com.slot_factor))

        # Node-time points: departures, arrivals (not at destinations), supplies.
        to_dest = np.isin(lanes.to_node[lane_arr], list(com.destinations))
        from_nodes = lanes.from_node[lane_arr]
        point_node = np.concatenate(
            [
                from_nodes,
                lanes.to_node[lane_arr][~to_dest],
                np.array([n for n, _ in com.supplies], dtype=np.int64),
            ]
        )
        point_day = np.concatenate(
            [day_arr, avail_arr[~to_dest], np.array([d for _, d in com.supplies], dtype=np.int64)]
        )
        points = np.unique(np.stack([point_node, point_day], axis=1), axis=0)
        node_rows = new_rows(
            NODE,
            points[:, 0],
            points[:, 1],
            np.array([com.supplies.get((int(n), int(d)), 0) for n, d in points], dtype=np.float64),
        )
        key = points[:, 0] * (horizon + 1) + points[:, 1]
        order = np.argsort(key)

        sorted_key = key[order]
        point_rows = node_rows[order]

        # Departures leave their point; non-destination arrivals enter theirs.
        entries.add(_point_rows(point_rows, sorted_key, horizon, from_nodes, day_arr), x, 1.0)
        entries.add(
            _point_rows(
                point_rows,
                sorted_key,
                horizon,
                lanes.to_node[lane_arr][~to_dest],
                avail_arr[~to_dest],
            ),
            x[~to_dest],
            -1.0,
        )

        # Storage between consecutive points of the same node.
        same = points[1:, 0] == points[:-1, 0]
        w_node = points[:-1, 0][same]
        w_from, w_to = points[:-1, 1][same], points[1:, 1][same]
        w = cols.add(W, k, w_node, w_from, w_to, ex.storage_usd_per_day[w_node] * (w_to - w_from))
        entries.add(node_rows[:-1][same], w, 1.0)
        entries.add(node_rows[1:][same], w, -1.0)
        yard = ex.yard_capacity[w_node] > 0
        if yard.any():
            yard_cols.append((w[yard], w_node[yard], w_from[yard], w_to[yard]))

        # Bypass at supply points: not shipped in this plan.
        unserved_row = new_rows(UNSERVED_NODE, np.array([k]), np.array([horizon]), np.zeros(1))
        supply_points = np.array(sorted(com.supplies), dtype=np.int64).reshape(-1, 2)
        v = cols.add(
            V,
            k,
            supply_points[:, 0],
            supply_points[:, 1],
            supply_points[:, 1],
            np.zeros(len(supply_points)),
        )
        entries.add(
            _point_rows(point_rows, sorted_key, horizon, supply_points[:, 0], supply_points[:, 1]),
            v,
            1.0,
        )
        entries.add(np.full(len(v), unserved_row[0]), v, -1.0)

        # Deliveries by day; vehicles that start at a destination are delivered there and then.
        at_destination = np.array(
            [(n, d) for n, d in sorted(com.supplies) if n in com.destinations], dtype=np.int64
        ).reshape(-1, 2)
        delivery_days = np.unique(np.concatenate([avail_arr[to_dest], at_destination[:, 1]]))
        delivery_rows = new_rows(
            DELIVERY, np.full(len(delivery_days), k), delivery_days, np.zeros(len(delivery_days))
        )
        entries.add(
            delivery_rows[np.searchsorted(delivery_days, avail_arr[to_dest])], x[to_dest], -1.0
        )
        if len(at_destination):
            arrived = cols.add(
                ARRIVED,
                k,
                at_destination[:, 0],
                at_destination[:, 1],
                at_destination[:, 1],
                np.zeros(len(at_destination)),
            )
            entries.add(
                _point_rows(
                    point_rows, sorted_key, horizon, at_destination[:, 0], at_destination[:, 1]
                ),
                arrived,
                1.0,
            )
            entries.add(
                delivery_rows[np.searchsorted(delivery_days, at_destination[:, 1])], arrived, -1.0
            )

        # One chain per lateness class.
        for class_index, (penalty, dues) in enumerate(sorted(com.classes.items())):
            due_days = np.array(sorted(dues), dtype=np.int64)
            clipped = np.clip(due_days, 0, horizon)
            constant += float(sum(penalty * (-d) * q for d, q in dues.items() if d < 0))
            chain = np.unique(np.concatenate([delivery_days, clipped, [horizon]]))
            demand = np.zeros(len(chain))
            np.add.at(
                demand,
                np.searchsorted(chain, clipped),
                np.array([dues[int(d)] for d in due_days], dtype=np.float64),
            )
            chain_rows = new_rows(CHAIN, np.full(len(chain), class_index), chain, -demand)
            z = cols.add(
                Z,
                k,
                np.full(len(delivery_days), class_index),
                delivery_days,
                delivery_days,
                np.zeros(len(delivery_days)),
            )
            entries.add(delivery_rows, z, 1.0)
            entries.add(chain_rows[np.searchsorted(chain, delivery_days)], z, -1.0)
            gaps = np.diff(chain).astype(np.float64)
            f = cols.add(
                F, k, np.full(len(gaps), class_index), chain[:-1], chain[1:], np.zeros(len(gaps))
            )
            entries.add(chain_rows[:-1], f, 1.0)
            entries.add(chain_rows[1:], f, -1.0)
            b = cols.add(
                B, k, np.full(len(gaps), class_index), chain[1:], chain[:-1], penalty * gaps
            )
            entries.add(chain_rows[1:], b, 1.0)
            entries.add(chain_rows[:-1], b, -1.0)
            u = cols.add(
                U,
                k,
                np.array([class_index]),
                np.array([horizon]),
                np.array([horizon]),
                np.array([params.unserved_usd_per_vehicle]),
            )
            entries.add(np.array([unserved_row[0]]), u, 1.0)
            entries.add(np.array([chain_rows[-1]]), u, -1.0)

    # Capacity of every departure used by any commodity.
    all_x = np.concatenate(cap_cols) if cap_cols else np.array([], dtype=np.int64)
    all_lane = np.concatenate(cap_lane) if cap_lane else np.array([], dtype=np.int64)
    all_day = np.concatenate(cap_day) if cap_day else np.array([], dtype=np.int64)
    departures, which = (
        np.unique(np.stack([all_lane, all_day], axis=1), axis=0, return_inverse=True)
        if len(all_x)
        else (np.zeros((0, 2), dtype=np.int64), np.array([], dtype=np.int64))
    )
    # Slots that fixed legs of a re-plan already hold (none in a fresh plan).
    held = (
        np.array([ex.reserved.get((int(a), int(d)), 0.0) for a, d in departures])
        if ex.reserved
        else np.zeros(len(departures))
    )
    capacity_rows = new_rows(
        CAPACITY,
        departures[:, 0],
        departures[:, 1],
        np.maximum(0.0, lanes.capacity_slots[departures[:, 0]] - held),
    )
    entries.add(
        capacity_rows[np.asarray(which).ravel()],
        all_x,
        np.concatenate(cap_coef) if cap_coef else np.array([]),
    )
    lower_for_capacity = len(capacity_rows)

    # Yard capacity: every storage column covering a day at a node with a yard limit.
    yard_rows = 0
    if yard_cols:
        w_all = np.concatenate([c[0] for c in yard_cols])
        node_all = np.concatenate([c[1] for c in yard_cols])
        start_all = np.concatenate([c[2] for c in yard_cols])
        end_all = np.concatenate([c[3] for c in yard_cols])
        lengths = end_all - start_all
        rep_w = np.repeat(w_all, lengths)
        rep_node = np.repeat(node_all, lengths)
        rep_day = np.repeat(start_all, lengths) + (
            np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        )
        slots, which_yard = np.unique(
            np.stack([rep_node, rep_day], axis=1), axis=0, return_inverse=True
        )
        rows = new_rows(YARD, slots[:, 0], slots[:, 1], ex.yard_capacity[slots[:, 0]])
        entries.add(rows[np.asarray(which_yard).ravel()], rep_w, 1.0)
        yard_rows = len(rows)

    kinds = np.concatenate(row_kind)
    b_all = np.concatenate(rhs)
    equality = (kinds != CAPACITY) & (kinds != YARD)
    row_lower = np.where(equality, b_all, -np.inf)
    row_upper = b_all.copy()
    del lower_for_capacity, yard_rows
    matrix = sp.csc_matrix(
        (
            np.concatenate(entries.vals),
            (np.concatenate(entries.rows), np.concatenate(entries.cols)),
        ),
        shape=(n_rows, cols.count),
    )
    return Model(
        matrix=matrix,
        cost=np.concatenate(cols.cost),
        row_lower=row_lower,
        row_upper=row_upper,
        col_kind=np.concatenate(cols.kind),
        col_commodity=np.concatenate(cols.commodity),
        col_a=np.concatenate(cols.a),
        col_day=np.concatenate(cols.day),
        col_day2=np.concatenate(cols.day2),
        row_kind=kinds,
        row_a=np.concatenate(row_a),
        row_day=np.concatenate(row_day),
        constant_usd=constant,
        build_s=time.perf_counter() - started,
    )


def _point_rows(
    point_rows: np.ndarray,
    sorted_key: np.ndarray,
    horizon: int,
    nodes: np.ndarray,
    days: np.ndarray,
) -> np.ndarray:
    """Rows of the node-time points (node, day); the points are sorted by node x day."""
    found: np.ndarray = point_rows[np.searchsorted(sorted_key, nodes * (horizon + 1) + days)]
    return found
