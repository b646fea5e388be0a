"""The LP: a time-expanded multicommodity flow, built as one sparse matrix from its
constraint families (planning.families), with a label on every row and column.

Per commodity k (vehicles of one market, NEV status, slot factor and ready bucket):
departure columns x[k, lane, day]; storage w[k, node, i] between a node's time points;
the unserved bypass v[k, node, day]; deliveries z[k, class, day] split over lateness
classes; chain links forward f (early vehicles wait for their due day, free) and
backward b (late vehicles serve an earlier due day at penalty x days); unserved entries
u[k, class] at the horizon's end. Rows: flow conservation at every node-time point and
delivery day, the unserved node, the chain points; then the coupling rows: the capacity
of every departure (in slots) and the yard capacity of nodes that have one.

Time is compact: a node has points only on days something of that commodity departs
from it, arrives at it (after handling) or starts there. Departures that cannot be
reached, or cannot deliver before the horizon ends, are not offered.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import scipy.sparse as sp

from carexport.planning import families as fam
from carexport.planning.expand import Expanded
from carexport.planning.families import (
    ARRIVED,
    CAPACITY,
    CHAIN,
    DELIVERY,
    KIND_NAMES,
    NODE,
    ROW_NAMES,
    UNSERVED_NODE,
    YARD,
    B,
    Block,
    F,
    U,
    V,
    W,
    X,
    Z,
)

# The kinds stay importable from here (model.X, model.CAPACITY, ...).
__all__ = [
    "ARRIVED",
    "CAPACITY",
    "CHAIN",
    "DELIVERY",
    "FAMILIES",
    "KIND_NAMES",
    "NODE",
    "ROW_NAMES",
    "UNSERVED_NODE",
    "YARD",
    "B",
    "Block",
    "F",
    "Model",
    "U",
    "V",
    "W",
    "X",
    "Z",
    "build",
    "commodity_names",
]

FAMILIES = (
    "flow_conservation",
    "departure_capacity",
    "yard_capacity",
    "lateness_chain",
    "unserved",
)
# Short names in an LP file, by column and row kind.
_COLUMN_TAG = ("x", "w", "v", "z", "f", "b", "u", "a")
_ROW_TAG = ("node", "deliver", "unserved", "chain", "cap", "yard")


@dataclass(frozen=True)
class Model:
    """A built LP with labels on every column and row, and its family blocks."""

    matrix: sp.csc_matrix
    cost: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_kind: np.ndarray
    col_commodity: np.ndarray
    col_a: np.ndarray  # departure: lane; storage, bypass, arrived: node; chain: class
    col_day: np.ndarray
    col_day2: np.ndarray  # arrival / next point day
    row_kind: np.ndarray
    row_commodity: np.ndarray  # -1 for the coupling rows (capacity, yard)
    row_a: np.ndarray  # node: node; capacity: lane; yard: node; chain: class
    row_day: np.ndarray
    constant_usd: float  # lateness already incurred before the plan start
    build_s: float
    blocks: dict[str, Block]
    lane_ids: tuple[str, ...]
    node_ids: tuple[str, ...]
    commodity_names: tuple[str, ...]

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.matrix.shape[0]), int(self.matrix.shape[1])

    def column_name(self, col: int) -> str:
        """e.g. x(TH_ice_b0_s1,L_CQ_QINZHOU_RAIL,d12,d15): what the column stands for."""
        kind = int(self.col_kind[col])
        return (
            f"{_COLUMN_TAG[kind]}({self.commodity_names[int(self.col_commodity[col])]},"
            f"{self._a_name(kind, int(self.col_a[col]), column=True)},"
            f"d{int(self.col_day[col])},d{int(self.col_day2[col])})"
        )

    def row_name(self, row: int) -> str:
        """e.g. cap(L_CQ_QINZHOU_RAIL,d12) or node(TH_ice_b0_s1,CN_CQ_CHANGAN,d3)."""
        kind = int(self.row_kind[row])
        a = self._a_name(kind, int(self.row_a[row]), column=False)
        day = f"d{int(self.row_day[row])}"
        if kind in (CAPACITY, YARD):
            return f"{_ROW_TAG[kind]}({a},{day})"
        return f"{_ROW_TAG[kind]}({self.commodity_names[int(self.row_commodity[row])]},{a},{day})"

    def _a_name(self, kind: int, a: int, *, column: bool) -> str:
        if column:
            if kind == X:
                return self.lane_ids[a]
            return f"class{a}" if kind in (Z, F, B, U) else self.node_ids[a]
        if kind == CAPACITY:
            return self.lane_ids[a]
        if kind in (NODE, YARD):
            return self.node_ids[a]
        return f"class{a}" if kind == CHAIN else "all"

    def write_lp(self, path: Path) -> None:
        """The model as a CPLEX LP file with every row and column named (HiGHS writes it),
        to read or to hand to another solver."""
        from carexport.planning.solve import highs_for

        n_rows, n_cols = self.shape
        highs = highs_for(
            self,
            col_names=[self.column_name(j) for j in range(n_cols)],
            row_names=[self.row_name(i) for i in range(n_rows)],
        )
        highs.writeModel(str(path))


def commodity_names(ex: Expanded) -> tuple[str, ...]:
    """Each commodity by what makes it one: market, NEV or not, ready bucket, slot factor
    (TH_nev_b1_s1p5: NEVs to Thailand ready in the second bucket, 1.5 slots each)."""
    bucket = dict(ex.vehicles.group_by("commodity").agg(pl.col("ready_bucket").first()).iter_rows())
    return tuple(
        f"{c.market}_{'nev' if c.nev else 'ice'}_b{int(bucket.get(c.index, 0))}_s"
        + f"{c.slot_factor:g}".replace(".", "p")
        for c in ex.commodities
    )


def build(ex: Expanded) -> Model:
    started = time.perf_counter()
    b = fam.Builder(ex)
    blocks: dict[str, list[Block]] = {f: [] for f in FAMILIES}
    for com in ex.commodities:
        flow, offered, points = fam.departures(b, com)
        blocks["flow_conservation"].append(flow)
        blocks["flow_conservation"].append(fam.storage(b, com, points))
        bypass, unserved_row = fam.unserved(b, com, points)
        blocks["unserved"].append(bypass)
        delivered, delivery_days = fam.deliveries(b, com, offered, points)
        blocks["flow_conservation"].append(delivered)
        chain, entries = fam.lateness_chain(b, com, delivered.rows, delivery_days, unserved_row)
        blocks["lateness_chain"].append(chain)
        blocks["unserved"].append(entries)
    blocks["departure_capacity"].append(fam.departure_capacity(b))
    blocks["yard_capacity"].append(fam.yard_capacity(b))

    rows, cols, entries_ = b.row_parts, b.col_parts, b.entry_parts
    kinds = np.concatenate(rows["kind"])
    rhs = np.concatenate(rows["rhs"])
    equality = (kinds != CAPACITY) & (kinds != YARD)
    matrix = sp.csc_matrix(
        (
            np.concatenate(entries_["val"]),
            (np.concatenate(entries_["row"]), np.concatenate(entries_["col"])),
        ),
        shape=(b.n_rows, b.n_cols),
    )
    return Model(
        matrix=matrix,
        cost=np.concatenate(cols["cost"]),
        row_lower=np.where(equality, rhs, -np.inf),
        row_upper=rhs.copy(),
        col_kind=np.concatenate(cols["kind"]),
        col_commodity=np.concatenate(cols["commodity"]),
        col_a=np.concatenate(cols["a"]),
        col_day=np.concatenate(cols["day"]),
        col_day2=np.concatenate(cols["day2"]),
        row_kind=kinds,
        row_commodity=np.concatenate(rows["commodity"]),
        row_a=np.concatenate(rows["a"]),
        row_day=np.concatenate(rows["day"]),
        constant_usd=b.constant_usd,
        build_s=time.perf_counter() - started,
        blocks={f: Block.join(f, parts) for f, parts in blocks.items()},
        lane_ids=tuple(ex.lanes.ids),
        node_ids=tuple(ex.node_ids),
        commodity_names=commodity_names(ex),
    )
