"""The model's constraint families: labelled blocks that cover the LP exactly once, rows
and columns named by what they stand for, and the named LP file HiGHS reads back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carexport.cli import app
from carexport.planning.expand import expand
from carexport.planning.model import (
    ARRIVED,
    CAPACITY,
    CHAIN,
    DELIVERY,
    FAMILIES,
    NODE,
    UNSERVED_NODE,
    YARD,
    B,
    F,
    U,
    V,
    W,
    X,
    Z,
    build,
)
from carexport.planning.problem import PlanningProblem
from carexport.planning.run import plan
from carexport.planning.solve import SolveOptions
from tests.planning.factory import car, dates, lane, market, network, node, params, vehicles

GOOD = Path(__file__).resolve().parents[1] / "data" / "orders" / "good"

# Which kinds each family holds (model.py's docstring).
KINDS = {
    "flow_conservation": ({NODE, DELIVERY}, {X, W, ARRIVED}),
    "departure_capacity": ({CAPACITY}, set()),
    "yard_capacity": ({YARD}, set()),
    "lateness_chain": ({CHAIN}, {Z, F, B}),
    "unserved": ({UNSERVED_NODE}, {V, U}),
}


def problem() -> PlanningProblem:
    # A -> B by L1, departing days 0 and 1, 2 slots each, 2 days; A stores at 10 USD a
    # day and has a yard of 5. Three cars ready day 0, due day 3: two leave on day 0, one
    # on day 1.
    a = node("A", storage=10).model_copy(update={"yard_capacity_vehicles": 5})
    net = network(
        [a, node("B", country="TH", kind="seaport")],
        [lane("L1", "A", "B", transit=2, capacity=2, departures=dates(0, 1))],
        [market("TH", "B")],
    )
    return PlanningProblem(net, vehicles([car(f"V{i}", due=3) for i in range(3)]), params())


def test_blocks_cover_every_row_and_column_once_with_their_kinds() -> None:
    model = build(expand(problem()))
    assert tuple(model.blocks) == FAMILIES
    rows = np.concatenate([b.rows for b in model.blocks.values()])
    cols = np.concatenate([b.cols for b in model.blocks.values()])
    n_rows, n_cols = model.shape
    assert np.array_equal(np.sort(rows), np.arange(n_rows))
    assert np.array_equal(np.sort(cols), np.arange(n_cols))
    for family, (row_kinds, col_kinds) in KINDS.items():
        block = model.blocks[family]
        assert set(model.row_kind[block.rows].tolist()) <= row_kinds, family
        assert set(model.col_kind[block.cols].tolist()) <= col_kinds, family
    assert len(model.blocks["yard_capacity"].rows) > 0  # the yard at A has rows


def test_rows_and_columns_are_named_by_lane_node_commodity_and_day() -> None:
    model = build(expand(problem()))
    capacity = [model.row_name(r) for r in model.blocks["departure_capacity"].rows]
    assert capacity == ["cap(L1,d0)", "cap(L1,d1)"]
    names = {model.column_name(c) for c in np.flatnonzero(model.col_kind == X)}
    # One commodity: market TH, not an NEV, ready bucket 0, slot factor 1. L1 from day 0
    # arrives day 2 and from day 1 day 3 (no handling at B).
    assert names == {"x(TH_ice_b0_s1,L1,d0,d2)", "x(TH_ice_b0_s1,L1,d1,d3)"}
    assert "node(TH_ice_b0_s1,A,d0)" in {model.row_name(r) for r in range(model.shape[0])}
    every = [model.row_name(r) for r in range(model.shape[0])]
    every += [model.column_name(c) for c in range(model.shape[1])]
    assert len(set(every)) == len(every)  # no two alike: an LP file needs unique names


def test_the_named_lp_file_is_the_same_lp(tmp_path: Path) -> None:
    lp_file = tmp_path / "plan.lp"
    result = plan(problem(), SolveOptions(lp_file=str(lp_file)))
    text = lp_file.read_text()
    assert "cap(L1,d0)" in text and "x(TH_ice_b0_s1,L1,d0,d2)" in text
    # Read back and solved by HiGHS on its own, the file gives the plan's LP bound: 2 cars
    # leave on day 0 and 1 on day 1 at 100 USD each, all arriving by day 3 (on time), the
    # third stored a day at A (10): 310.
    import highspy

    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.readModel(str(lp_file))
    highs.run()
    assert highs.getInfo().objective_function_value == pytest.approx(310.0)
    assert result.lp_bound_usd == pytest.approx(310.0)
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal


def test_plan_dump_lp_writes_the_file(tmp_path: Path) -> None:
    out, lp_file = tmp_path / "plan", tmp_path / "model.lp"
    args = ["plan", "--orders", str(GOOD / "orders.csv"), "--vehicles", str(GOOD / "vehicles.csv")]
    args += ["--start", "2027-03-01", "--horizon", "90", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--dump-lp", str(lp_file)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = lp_file.read_text()
    assert text.startswith("\\") or "minimize" in text.lower()
    assert "cap(L_" in text  # departures of the built-in network's lanes, by lane id
