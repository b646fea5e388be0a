"""Solve a built model and read back primal values and duals: by paths (column
generation, planning.colgen: the default) or whole (HiGHS on the arc LP as built).

The status is HiGHS's own model status; anything but Optimal is reported as such, never
passed off as a plan (a time-limited run is "Time limit reached", with no bound).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import polars as pl

from carexport.planning.model import Model

if TYPE_CHECKING:
    import highspy


@dataclass(frozen=True)
class SolveOptions:
    time_limit_s: float = 300.0
    threads: int = 1
    seed: int = 0
    method: str = "simplex"  # HiGHS 'solver' option on the whole LP: simplex, ipm, choose
    # paths: column generation (planning.colgen); arcs: HiGHS on the whole LP. Both reach
    # the same optimum; a warm start (solve's start) is for the whole LP.
    formulation: Literal["paths", "arcs"] = "paths"
    lp_file: str | None = None  # write the model here, every row and column named
    highs_options: tuple[tuple[str, bool | int | float | str], ...] = ()  # other HiGHS options


@dataclass(frozen=True)
class Solution:
    status: str
    optimal: bool
    objective_usd: float  # including the model's constant
    values: np.ndarray
    row_duals: np.ndarray
    solve_s: float
    # A lower bound on the LP's optimum (the optimum itself from HiGHS on the whole LP);
    # None when not solved to optimality.
    bound_usd: float | None = None


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:  # noqa: PTH123
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def highs_for(
    model: Model,
    *,
    col_names: list[str] | None = None,
    row_names: list[str] | None = None,
) -> highspy.Highs:
    """A quiet HiGHS holding the model whole (names only for writing it out)."""
    return _pass(new_highs(SolveOptions()), model, col_names=col_names, row_names=row_names)


def _pass(
    highs: highspy.Highs,
    model: Model,
    *,
    col_names: list[str] | None = None,
    row_names: list[str] | None = None,
) -> highspy.Highs:
    import highspy

    lp = highspy.HighsLp()
    n_rows, n_cols = model.shape
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.col_cost_ = model.cost
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.full(n_cols, highspy.kHighsInf)
    lp.row_lower_ = np.where(np.isfinite(model.row_lower), model.row_lower, -highspy.kHighsInf)
    lp.row_upper_ = np.where(np.isfinite(model.row_upper), model.row_upper, highspy.kHighsInf)
    lp.offset_ = model.constant_usd
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = model.matrix.indptr
    lp.a_matrix_.index_ = model.matrix.indices
    lp.a_matrix_.value_ = model.matrix.data
    if col_names is not None and row_names is not None:
        lp.col_names_ = col_names
        lp.row_names_ = row_names
    highs.passModel(lp)
    return highs


def new_highs(options: SolveOptions) -> highspy.Highs:
    """A quiet HiGHS with the options' time limit, threads, seed and other options."""
    import highspy

    with _quiet_stdout():  # HiGHS prints a banner when created, before options apply
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(options.time_limit_s))
    # Always set: HiGHS keeps one thread pool per process, and a run asking for another
    # thread count than the pool was made with fails at once ("Not Set").
    highs.setOptionValue("threads", int(options.threads))
    highs.setOptionValue("random_seed", int(options.seed))
    for name, value in options.highs_options:
        highs.setOptionValue(name, value)
    return highs


def solve(
    model: Model,
    options: SolveOptions,
    start: np.ndarray | None = None,
    *,
    known_legs: tuple[pl.DataFrame, pl.DataFrame, dt.date] | None = None,
) -> Solution:
    """Solve the LP, by paths unless the options say arcs or a start is given. Warm
    starts change the time to the optimum, not the optimum: start (one value per column)
    is a starting point for the simplex on the whole LP; known_legs (the expanded
    vehicles, a known plan's legs: vin, lane_id, depart_date, and the plan start) are
    paths to begin with by paths (planning.colgen.paths_of_legs)."""
    import highspy

    from carexport.planning.colgen import network_of, paths_of_legs, solve_by_paths

    started = time.perf_counter()
    if options.lp_file is not None:
        model.write_lp(Path(options.lp_file))
    if options.formulation == "paths" and start is None:
        net = network_of(model)
        found = None
        if net is not None:
            begin = None if known_legs is None else paths_of_legs(model, net, *known_legs)
            found = solve_by_paths(model, options, net, begin)
        if found is not None:
            return found
    highs = new_highs(options)
    highs.setOptionValue("solver", options.method)
    _pass(highs, model)
    n_rows, n_cols = model.shape
    if start is not None:
        point = highspy.HighsSolution()
        point.col_value = start
        point.value_valid = True
        highs.setSolution(point)
    highs.run()
    status = highs.getModelStatus()
    solution = highs.getSolution()
    optimal = status == highspy.HighsModelStatus.kOptimal
    values = np.asarray(solution.col_value) if solution.value_valid else np.zeros(n_cols)
    duals = np.asarray(solution.row_dual) if solution.dual_valid else np.zeros(n_rows)
    objective = float(highs.getInfo().objective_function_value)  # offset included
    return Solution(
        status=highs.modelStatusToString(status),
        optimal=optimal,
        objective_usd=objective,
        values=values,
        row_duals=duals,
        solve_s=time.perf_counter() - started,
        bound_usd=objective if optimal else None,
    )
