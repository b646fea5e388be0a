"""The LP by paths (planning.colgen) against HiGHS on the whole LP (formulation arcs).

Both solve the model the planner builds, so they must agree on the optimum; the paths'
answer, given back on the model's columns, must satisfy every row of the model; and the
Lagrangian bound must not be above the whole LP's optimum. Random small instances (those
of test_properties) and a generated book on the built-in Chongqing network, with its
yards, lateness chains and a CO2 price.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given

from carexport.network.dataset import builtin_folder, read_dataset
from carexport.orders.generate import generate
from carexport.planning.colgen import network_of, paths_of_legs
from carexport.planning.expand import expand
from carexport.planning.model import YARD, Model, X, build
from carexport.planning.problem import PlanningProblem, PlanParameters, vehicles_from_orders
from carexport.planning.run import plan
from carexport.planning.solve import Solution, SolveOptions, solve
from tests.planning.factory import car, lane, market, network, node, params, vehicles
from tests.planning.test_properties import OPTIONS, PROPERTY_SETTINGS, instances

PATHS = SolveOptions(formulation="paths")
ARCS = SolveOptions(formulation="arcs")


def feasible(model: Model, solution: Solution) -> None:
    """Every row of the model holds at the solution's column values (to 1e-6 a vehicle)."""
    activity = model.matrix @ solution.values
    scale = 1e-6 * max(1.0, float(np.abs(model.row_upper[np.isfinite(model.row_upper)]).max()))
    assert (solution.values >= -1e-9).all()
    lower = np.where(np.isfinite(model.row_lower), model.row_lower, -np.inf)
    assert (activity >= lower - scale).all()
    assert (activity <= model.row_upper + scale).all()


def agree(model: Model) -> tuple[Solution, Solution]:
    by_paths, whole = solve(model, PATHS), solve(model, ARCS)
    assert by_paths.optimal and whole.optimal
    tolerance = 1e-6 * max(1.0, abs(whole.objective_usd))
    assert by_paths.objective_usd == pytest.approx(whole.objective_usd, abs=tolerance)
    assert by_paths.bound_usd is not None
    assert by_paths.bound_usd <= whole.objective_usd + tolerance
    # The objective recomputed from the columns handed back, not the master's word for it.
    recomputed = float(model.cost @ by_paths.values) + model.constant_usd
    assert recomputed == pytest.approx(whole.objective_usd, abs=tolerance)
    feasible(model, by_paths)
    return by_paths, whole


@PROPERTY_SETTINGS
@given(instances())
def test_paths_reach_the_whole_lps_optimum_on_random_instances(instance) -> None:
    net, cars = instance
    model = build(expand(PlanningProblem(net, vehicles(cars), params(**OPTIONS))))
    assert network_of(model) is not None  # every lane takes a day or more
    agree(model)


START = dt.date(2027, 1, 4)


def chongqing_problem() -> PlanningProblem:
    start = START
    snapshot = read_dataset(builtin_folder()).snapshot()
    book = generate(snapshot, months=3, start=start, seed=5, vehicles_per_year=8_000)
    orders = book.orders.rename({"variant": "variant_id", "origin": "origin_node"})
    frame = vehicles_from_orders(orders, book.vehicles)
    parameters = PlanParameters(start=start, horizon_days=120, co2_price_usd_per_t=60.0)
    return PlanningProblem(snapshot, frame, parameters)


def chongqing_model() -> Model:
    return build(expand(chongqing_problem()))


def test_paths_reach_the_whole_lps_optimum_on_a_chongqing_book() -> None:
    model = chongqing_model()
    assert (model.row_kind == YARD).any()  # yard capacity is in the case
    by_paths, _ = agree(model)
    # Something binds, so the master's capacity rows did work (else the case is trivial).
    assert (np.abs(by_paths.row_duals) > 1e-6).any()


def test_a_model_whose_arcs_do_not_move_forward_is_solved_whole() -> None:
    # Lanes take a day or more, so every arc ends later than it starts; were one not to
    # (here: every point's day read as 0), the backward pass could not price it, and the
    # whole LP is solved instead, to the same optimum.
    net = network(
        [node("A"), node("B"), node("C")],
        [lane("AB", "A", "B", cost=10), lane("BC", "B", "C", transit=2, cost=50)],
        [market("TH", "C")],
    )
    model = build(expand(PlanningProblem(net, vehicles([car("V1", due=10)]), params())))
    flat = replace(model, row_day=np.zeros_like(model.row_day))
    assert network_of(flat) is None
    solution = solve(flat, PATHS)
    assert solution.optimal
    assert solution.objective_usd == pytest.approx(60.0)


def test_a_known_plans_legs_start_the_paths_and_change_only_the_time() -> None:
    # The plan's own legs, mapped back onto the model's arcs, are paths from its supply
    # points; starting from them reaches the same optimum, and the legs of every vehicle
    # the plan delivers are mapped (none dropped as not offered).
    model = chongqing_model()
    problem_ = chongqing_problem()
    ex = expand(problem_)
    first = plan(problem_)
    net = network_of(model)
    arcs, number, owners = paths_of_legs(model, net, ex.vehicles, first.legs, START)
    delivered = first.legs.select("vin").unique().height
    routes = (
        first.legs.sort("vin", "leg")
        .group_by("vin")
        .agg("lane_id", "depart_date")
        .join(ex.vehicles.select("vin", "commodity", "start_index", "start_day"), on="vin")
        .drop("vin")
        .unique()
    )
    assert delivered > 0 and len(owners) == routes.height
    # One departure arc per leg of each distinct route, the waits between them besides.
    departures = int((model.col_kind[net.cols][arcs] == X).sum())
    assert departures == int(routes["lane_id"].list.len().sum())
    assert np.bincount(number).min() >= 1  # every path has arcs
    warm = solve(model, PATHS, known_legs=(ex.vehicles, first.legs, START))
    cold = solve(model, PATHS)
    assert warm.optimal
    assert warm.objective_usd == pytest.approx(cold.objective_usd, rel=1e-6)
    feasible(model, warm)


def test_a_stalled_pricing_falls_back_to_the_whole_lp(monkeypatch) -> None:
    # Wrong reduced costs (half the duals): the master stops improving, and rather than
    # loop to the time limit the whole LP is solved, to the optimum.
    from carexport.planning import colgen

    def halved(arc_cost, arc_others_t, duals):
        return arc_cost - 0.5 * (arc_others_t @ duals)

    monkeypatch.setattr(colgen, "reduced_arc_costs", halved)
    monkeypatch.setattr(colgen, "STALL", 3)
    model = chongqing_model()
    assert colgen.solve_by_paths(model, PATHS, network_of(model)) is None
    solution = solve(model, PATHS)
    assert solution.optimal
    whole = solve(model, ARCS)
    assert solution.objective_usd == pytest.approx(whole.objective_usd, rel=1e-9)


def test_a_master_stopped_after_paths_came_in_gives_its_last_solution(monkeypatch) -> None:
    # The second master solve stops at once (iteration limit): the paths just added have
    # no values yet; the answer is the first master's, on the model's columns, no bound.
    import highspy

    run = highspy.Highs.run
    calls = []

    def second_stops(self):
        calls.append(1)
        if len(calls) == 2:
            self.setOptionValue("simplex_iteration_limit", 0)
        return run(self)

    monkeypatch.setattr(highspy.Highs, "run", second_stops)
    model = chongqing_model()
    solution = solve(model, PATHS)
    assert len(calls) == 2
    assert not solution.optimal
    assert solution.status == "Iteration limit reached"
    assert solution.bound_usd is None
    feasible(model, solution)  # the first master's paths: every vehicle placed or unserved


def test_a_time_limit_gives_no_bound() -> None:
    net = network([node("A"), node("B")], [lane("AB", "A", "B")], [market("TH", "B")])
    model = build(expand(PlanningProblem(net, vehicles([car("V1")]), params())))
    solution = solve(model, replace(PATHS, time_limit_s=0.0))
    assert not solution.optimal
    assert solution.status == "Time limit reached"
    assert solution.bound_usd is None
