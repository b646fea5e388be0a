"""plan(problem): check, expand, build, solve, integerize, assign, explain; timed by phase."""

from __future__ import annotations

import time
from dataclasses import replace

import polars as pl

from carexport.errors import InvalidInput
from carexport.planning.check import check, errors
from carexport.planning.expand import expand
from carexport.planning.explain import explain
from carexport.planning.extract import assign, capacity_duals, decompose
from carexport.planning.greedy import greedy
from carexport.planning.model import build
from carexport.planning.problem import PlanningProblem
from carexport.planning.result import PlanResult, evaluate
from carexport.planning.solve import SolveOptions, solve
from carexport.planning.warm import from_legs


def plan(
    problem: PlanningProblem,
    options: SolveOptions | None = None,
    *,
    previous_legs: pl.DataFrame | None = None,
) -> PlanResult:
    """The plan of a problem; InvalidInput with every located problem if check() finds
    errors (nothing is built then), its warnings in the result otherwise.

    options are the solver's (time limit, threads, seed, method); without them they
    come from the problem's parameters, as before. previous_legs (vin, lane_id,
    depart_date), a known plan's legs such as last week's, are the solver's starting
    point; they change how fast the optimum is found, not which."""
    params = problem.parameters
    if options is None:
        options = SolveOptions(
            time_limit_s=params.time_limit_s, threads=params.threads, seed=params.seed
        )
    times: dict[str, float] = {}
    started = time.perf_counter()
    found = check(problem)
    if errors(found):
        raise InvalidInput("planning problem", found)
    times["check"] = time.perf_counter() - started
    ex = expand(problem)
    times["expand"] = time.perf_counter() - started
    if params.method == "greedy":
        t = time.perf_counter()
        paths, assignment = greedy(ex)
        times["assign"] = time.perf_counter() - t
        result = evaluate(
            ex,
            paths,
            assignment,
            method="greedy",
            status="Heuristic",
            lp_bound=None,
            runtime_s=times,
        )
    else:
        model = build(ex)
        times["build"] = model.build_s
        start, known = None, None
        if previous_legs is not None and options.formulation == "paths":
            known = (ex.vehicles, previous_legs, params.start)
        elif previous_legs is not None:
            t = time.perf_counter()
            start = from_legs(ex, model, previous_legs)
            times["warm_start"] = time.perf_counter() - t
        solution = solve(model, options, start, known_legs=known)
        times["solve"] = solution.solve_s
        t = time.perf_counter()
        flows = decompose(ex, model, solution)
        times["integerize"] = time.perf_counter() - t
        t = time.perf_counter()
        paths, assignment = assign(ex, flows)
        times["assign"] = time.perf_counter() - t
        rows, cols = model.shape
        result = evaluate(
            ex,
            paths,
            assignment,
            method="optimal",
            status=solution.status,
            lp_bound=solution.bound_usd,
            runtime_s=times,
            capacity_duals=capacity_duals(model, solution),
            model_size={
                "rows": rows,
                "columns": cols,
                "nonzeros": int(model.matrix.nnz),
                "commodities": len(ex.commodities),
            },
        )
    t = time.perf_counter()
    orders = explain(ex, result)
    times["explain"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - started
    return replace(result, warnings=found, orders=orders)
