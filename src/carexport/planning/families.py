"""The LP's constraint families, one small builder each (as PyPSA and linopy do).

Every builder adds its columns and rows to a shared `Builder` and returns the labelled
`Block` it made: the family's name and the indices of its rows and columns, whose labels
(kind, commodity, lane / node / class, day) name each one (model.Model.column_name,
row_name). Per commodity, in this order: departures and node-time points (flow
conservation), storage between points, the unserved bypass, deliveries (flow
conservation at the destination), the lateness chains (with each class's unserved
entry); then, across commodities, departure capacity and yard capacity. The order is
the order of the matrix, kept from the single builder this replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from carexport.planning.expand import Commodity, Expanded, _shortest

# Column kinds.
X, W, V, Z, F, B, U, ARRIVED = range(8)
KIND_NAMES = ("departure", "storage", "bypass", "delivery", "early", "late", "unserved", "arrived")
# Row kinds.
NODE, DELIVERY, UNSERVED_NODE, CHAIN, CAPACITY, YARD = range(6)
ROW_NAMES = ("node", "delivery", "unserved_node", "chain", "capacity", "yard")


@dataclass(frozen=True)
class Block:
    """One constraint family's rows and columns in the built matrix."""

    family: str
    rows: np.ndarray
    cols: np.ndarray

    @staticmethod
    def join(family: str, blocks: list[Block]) -> Block:
        empty = np.array([], dtype=np.int64)
        return Block(
            family,
            np.concatenate([b.rows for b in blocks]) if blocks else empty,
            np.concatenate([b.cols for b in blocks]) if blocks else empty,
        )


@dataclass
class Builder:
    """Columns, rows and matrix entries as they are added, with their labels."""

    ex: Expanded
    col_parts: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {k: [] for k in ("kind", "commodity", "a", "day", "day2", "cost")}
    )
    row_parts: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {k: [] for k in ("kind", "commodity", "a", "day", "rhs")}
    )
    entry_parts: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {k: [] for k in ("row", "col", "val")}
    )
    n_cols: int = 0
    n_rows: int = 0
    constant_usd: float = 0.0  # lateness already incurred before the plan start
    # Departure columns of every commodity, for the capacity rows at the end.
    cap_cols: list[np.ndarray] = field(default_factory=list)
    cap_lane: list[np.ndarray] = field(default_factory=list)
    cap_day: list[np.ndarray] = field(default_factory=list)
    cap_coef: list[np.ndarray] = field(default_factory=list)
    # Storage columns at nodes with a yard limit: (columns, node, from day, to day).
    yard_cols: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list
    )

    def cols(
        self,
        kind: int,
        k: int,
        a: np.ndarray,
        day: np.ndarray,
        day2: np.ndarray,
        cost: np.ndarray,
    ) -> np.ndarray:
        n = len(a)
        parts = self.col_parts
        parts["kind"].append(np.full(n, kind, dtype=np.int8))
        parts["commodity"].append(np.full(n, k, dtype=np.int32))
        parts["a"].append(np.asarray(a, dtype=np.int32))
        parts["day"].append(np.asarray(day, dtype=np.int32))
        parts["day2"].append(np.asarray(day2, dtype=np.int32))
        parts["cost"].append(np.asarray(cost, dtype=np.float64))
        first = self.n_cols
        self.n_cols += n
        return np.arange(first, first + n, dtype=np.int64)

    def rows(
        self, kind: int, k: int, a: np.ndarray, day: np.ndarray, rhs: np.ndarray
    ) -> np.ndarray:
        n = len(a)
        parts = self.row_parts
        parts["kind"].append(np.full(n, kind, dtype=np.int8))
        parts["commodity"].append(np.full(n, k, dtype=np.int32))
        parts["a"].append(np.asarray(a, dtype=np.int32))
        parts["day"].append(np.asarray(day, dtype=np.int32))
        parts["rhs"].append(np.asarray(rhs, dtype=np.float64))
        first = self.n_rows
        self.n_rows += n
        return np.arange(first, first + n, dtype=np.int64)

    def entries(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray | float) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        self.entry_parts["row"].append(rows)
        self.entry_parts["col"].append(np.asarray(cols, dtype=np.int64))
        self.entry_parts["val"].append(
            np.broadcast_to(np.asarray(vals, dtype=np.float64), rows.shape).copy()
        )


@dataclass(frozen=True)
class Points:
    """A commodity's node-time points, sorted by node x day, with their rows."""

    nodes: np.ndarray
    days: np.ndarray
    rows: np.ndarray
    sorted_key: np.ndarray
    sorted_rows: np.ndarray
    horizon: int

    def row_of(self, nodes: np.ndarray, days: np.ndarray) -> np.ndarray:
        found: np.ndarray = self.sorted_rows[
            np.searchsorted(self.sorted_key, nodes * (self.horizon + 1) + days)
        ]
        return found


@dataclass(frozen=True)
class Departures:
    cols: np.ndarray
    lane: np.ndarray
    day: np.ndarray
    available: np.ndarray  # day the vehicle can go on (arrival + handling)
    to_destination: np.ndarray  # bool


def departures(b: Builder, com: Commodity) -> tuple[Block, Departures, Points]:
    """Flow conservation, part 1: the commodity's departure columns x[k, lane, day] (lane
    cost + DG surcharge for NEVs + CO2e x price + storage while handled where it arrives)
    and its node-time points' rows (supply on the right-hand side); departures that
    cannot be reached, or cannot deliver before the horizon ends, are not offered."""
    ex, k = b.ex, com.index
    lanes, horizon, params = ex.lanes, ex.horizon, ex.problem.parameters
    lane_arr, day_arr, avail_arr = _offered(ex, com)
    co2_usd = lanes.co2e_kg * params.co2_price_usd_per_t / 1000.0
    arrival_storage = ex.handling_days[lanes.to_node] * ex.storage_usd_per_day[lanes.to_node]
    cost = (
        lanes.cost_usd[lane_arr]
        + (lanes.dg_usd[lane_arr] if com.nev else 0.0)
        + co2_usd[lane_arr]
        + arrival_storage[lane_arr]
    )
    x = b.cols(X, k, lane_arr, day_arr, avail_arr, cost)
    b.cap_cols.append(x)
    b.cap_lane.append(lane_arr)
    b.cap_day.append(day_arr)
    b.cap_coef.append(np.full(len(x), com.slot_factor))

    # Node-time points: departures, arrivals (not at destinations), supplies.
    to_dest = np.isin(lanes.to_node[lane_arr], list(com.destinations))
    from_nodes = lanes.from_node[lane_arr]
    supply_nodes = np.array([n for n, _ in com.supplies], dtype=np.int64)
    supply_days = np.array([d for _, d in com.supplies], dtype=np.int64)
    point_node = np.concatenate([from_nodes, lanes.to_node[lane_arr][~to_dest], supply_nodes])
    point_day = np.concatenate([day_arr, avail_arr[~to_dest], supply_days])
    unique = np.unique(np.stack([point_node, point_day], axis=1), axis=0)
    supply = np.array([com.supplies.get((int(n), int(d)), 0) for n, d in unique], dtype=float)
    rows = b.rows(NODE, k, unique[:, 0], unique[:, 1], supply)
    key = unique[:, 0] * (horizon + 1) + unique[:, 1]
    order = np.argsort(key)
    points = Points(unique[:, 0], unique[:, 1], rows, key[order], rows[order], horizon)
    # Departures leave their point; non-destination arrivals enter theirs.
    b.entries(points.row_of(from_nodes, day_arr), x, 1.0)
    b.entries(
        points.row_of(lanes.to_node[lane_arr][~to_dest], avail_arr[~to_dest]), x[~to_dest], -1.0
    )
    offered = Departures(x, lane_arr, day_arr, avail_arr, to_dest)
    return Block("flow_conservation", rows, x), offered, points


def storage(b: Builder, com: Commodity, points: Points) -> Block:
    """Flow conservation, part 2: storage w[k, node, i] from one point of a node to the
    next, at storage per day x days; those at a yard with a limit are kept for it."""
    ex = b.ex
    same = points.nodes[1:] == points.nodes[:-1]
    node = points.nodes[:-1][same]
    start, end = points.days[:-1][same], points.days[1:][same]
    w = b.cols(W, com.index, node, start, end, ex.storage_usd_per_day[node] * (end - start))
    b.entries(points.rows[:-1][same], w, 1.0)
    b.entries(points.rows[1:][same], w, -1.0)
    yard = ex.yard_capacity[node] > 0
    if yard.any():
        b.yard_cols.append((w[yard], node[yard], start[yard], end[yard]))
    return Block("flow_conservation", np.array([], dtype=np.int64), w)


def unserved(b: Builder, com: Commodity, points: Points) -> tuple[Block, int]:
    """The unserved bypass: v[k, node, day] takes vehicles at their supply point to the
    commodity's unserved node (its row, returned too), not shipped in this plan."""
    k, horizon = com.index, b.ex.horizon
    row = b.rows(UNSERVED_NODE, k, np.array([k]), np.array([horizon]), np.zeros(1))
    supply = np.array(sorted(com.supplies), dtype=np.int64).reshape(-1, 2)
    v = b.cols(V, k, supply[:, 0], supply[:, 1], supply[:, 1], np.zeros(len(supply)))
    b.entries(points.row_of(supply[:, 0], supply[:, 1]), v, 1.0)
    b.entries(np.full(len(v), row[0]), v, -1.0)
    return Block("unserved", row, v), int(row[0])


def deliveries(
    b: Builder, com: Commodity, offered: Departures, points: Points
) -> tuple[Block, np.ndarray]:
    """Flow conservation at the destination: a delivery row per day something arrives
    (after handling); vehicles that start at a destination are delivered then and there
    (arrived columns). Returns the block and the delivery days."""
    k = com.index
    at_destination = np.array(
        [(n, d) for n, d in sorted(com.supplies) if n in com.destinations], dtype=np.int64
    ).reshape(-1, 2)
    arriving = offered.available[offered.to_destination]
    days = np.unique(np.concatenate([arriving, at_destination[:, 1]]))
    rows = b.rows(DELIVERY, k, np.full(len(days), k), days, np.zeros(len(days)))
    b.entries(rows[np.searchsorted(days, arriving)], offered.cols[offered.to_destination], -1.0)
    cols = np.array([], dtype=np.int64)
    if len(at_destination):
        cols = b.cols(
            ARRIVED,
            k,
            at_destination[:, 0],
            at_destination[:, 1],
            at_destination[:, 1],
            np.zeros(len(at_destination)),
        )
        b.entries(points.row_of(at_destination[:, 0], at_destination[:, 1]), cols, 1.0)
        b.entries(rows[np.searchsorted(days, at_destination[:, 1])], cols, -1.0)
    return Block("flow_conservation", rows, cols), days


def lateness_chain(
    b: Builder,
    com: Commodity,
    delivery_rows: np.ndarray,
    delivery_days: np.ndarray,
    unserved_row: int,
) -> tuple[Block, Block]:
    """One chain per lateness class: deliveries z[k, class, day] counted against the class's
    due days; early vehicles wait forward for their due day (f, free), late ones serve an
    earlier due day backward (b, penalty x days). Each class's unserved u[k, class] enters
    at the horizon's end at the unserved penalty, then pays lateness like any late car.
    Returns the chain block and the unserved entries (of the unserved family)."""
    k, horizon = com.index, b.ex.horizon
    unserved_usd = b.ex.problem.parameters.unserved_usd_per_vehicle
    chain_rows, chain_cols, u_cols = [], [], []
    for class_index, (penalty, dues) in enumerate(sorted(com.classes.items())):
        due_days = np.array(sorted(dues), dtype=np.int64)
        clipped = np.clip(due_days, 0, horizon)
        b.constant_usd += float(sum(penalty * (-d) * q for d, q in dues.items() if d < 0))
        chain = np.unique(np.concatenate([delivery_days, clipped, [horizon]]))
        demand = np.zeros(len(chain))
        np.add.at(
            demand,
            np.searchsorted(chain, clipped),
            np.array([dues[int(d)] for d in due_days], dtype=np.float64),
        )
        rows = b.rows(CHAIN, k, np.full(len(chain), class_index), chain, -demand)
        classes = np.full(len(delivery_days), class_index)
        z = b.cols(Z, k, classes, delivery_days, delivery_days, np.zeros(len(delivery_days)))
        b.entries(delivery_rows, z, 1.0)
        b.entries(rows[np.searchsorted(chain, delivery_days)], z, -1.0)
        gaps = np.diff(chain).astype(np.float64)
        links = np.full(len(gaps), class_index)
        f = b.cols(F, k, links, chain[:-1], chain[1:], np.zeros(len(gaps)))
        b.entries(rows[:-1], f, 1.0)
        b.entries(rows[1:], f, -1.0)
        late = b.cols(B, k, links, chain[1:], chain[:-1], penalty * gaps)
        b.entries(rows[1:], late, 1.0)
        b.entries(rows[:-1], late, -1.0)
        u = b.cols(
            U,
            k,
            np.array([class_index]),
            np.array([horizon]),
            np.array([horizon]),
            np.array([unserved_usd]),
        )
        b.entries(np.array([unserved_row]), u, 1.0)
        b.entries(np.array([rows[-1]]), u, -1.0)
        chain_rows.append(rows)
        chain_cols.extend([z, f, late])
        u_cols.append(u)
    empty = np.array([], dtype=np.int64)
    chain_block = Block(
        "lateness_chain",
        np.concatenate(chain_rows) if chain_rows else empty,
        np.concatenate(chain_cols) if chain_cols else empty,
    )
    return chain_block, Block("unserved", empty, np.concatenate(u_cols) if u_cols else empty)


def departure_capacity(b: Builder) -> Block:
    """The capacity of every departure any commodity may use, in slots (each commodity's
    slot factor x vehicles), less what fixed legs of a re-plan already hold."""
    ex = b.ex
    all_x = _cat(b.cap_cols)
    all_lane, all_day = _cat(b.cap_lane), _cat(b.cap_day)
    if len(all_x):
        departures, which = np.unique(
            np.stack([all_lane, all_day], axis=1), axis=0, return_inverse=True
        )
    else:
        departures, which = np.zeros((0, 2), dtype=np.int64), np.array([], dtype=np.int64)
    held = (
        np.array([ex.reserved.get((int(a), int(d)), 0.0) for a, d in departures])
        if ex.reserved
        else np.zeros(len(departures))
    )
    rows = b.rows(
        CAPACITY,
        -1,
        departures[:, 0],
        departures[:, 1],
        np.maximum(0.0, ex.lanes.capacity_slots[departures[:, 0]] - held),
    )
    coef = np.concatenate(b.cap_coef) if b.cap_coef else np.array([])
    b.entries(rows[np.asarray(which).ravel()], all_x, coef)
    return Block("departure_capacity", rows, np.array([], dtype=np.int64))


def yard_capacity(b: Builder) -> Block:
    """Yard capacity: at a node with a limit, every storage column covering a day counts
    against that day's row."""
    if not b.yard_cols:
        return Block("yard_capacity", np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    w_all = np.concatenate([c[0] for c in b.yard_cols])
    node_all = np.concatenate([c[1] for c in b.yard_cols])
    start_all = np.concatenate([c[2] for c in b.yard_cols])
    lengths = np.concatenate([c[3] for c in b.yard_cols]) - start_all
    rep_w = np.repeat(w_all, lengths)
    rep_node = np.repeat(node_all, lengths)
    rep_day = np.repeat(start_all, lengths) + (
        np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    slots, which = np.unique(np.stack([rep_node, rep_day], axis=1), axis=0, return_inverse=True)
    rows = b.rows(YARD, -1, slots[:, 0], slots[:, 1], b.ex.yard_capacity[slots[:, 0]])
    b.entries(rows[np.asarray(which).ravel()], rep_w, 1.0)
    return Block("yard_capacity", rows, np.array([], dtype=np.int64))


def _offered(ex: Expanded, com: Commodity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The departures offered to a commodity: lane, day and the day it can go on."""
    lanes, horizon, params = ex.lanes, ex.horizon, ex.problem.parameters
    # Earliest day a vehicle of k can be at each node, and the least days from each node
    # to a destination (transit + handling, no waiting): both bound the timing.
    forward: dict[int, list[tuple[int, float]]] = {}
    backward: dict[int, list[tuple[int, float]]] = {}
    for lane in com.lanes:
        tail, head = int(lanes.from_node[lane]), int(lanes.to_node[lane])
        days = float(lanes.transit_days[lane] + ex.handling_days[head])
        forward.setdefault(tail, []).append((head, days))
        backward.setdefault(head, []).append((tail, days))
    first_day = min(d for _, d in com.supplies)
    last_day = max(d for _, d in com.supplies)
    origins = {n for n, _ in com.supplies}
    reach = _shortest(forward, origins)
    # The latest a vehicle may leave a node: from its last start day, the slowest
    # origin's shortest time to the node plus the allowed delay.
    slowest: dict[int, float] = {}
    for origin in origins:
        for node, days in _shortest(forward, {origin}).items():
            slowest[node] = max(slowest.get(node, 0.0), days)
    to_go = _shortest(backward, set(com.destinations))
    dep_lane, dep_day, dep_avail = [], [], []
    for lane in com.lanes:
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
        dep_avail.append(avail[ok])
    return _cat(dep_lane), _cat(dep_day), _cat(dep_avail)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.array([], dtype=np.int64)
