"""check(problem): what is wrong with a planning problem, before anything is built.

Errors make plan() refuse the problem with every one of them located (order, field, value,
fix); warnings go into the result. Vehicles are grouped by order, so a bad order of 400
cars is one problem, not 400.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl

from carexport.errors import Problem
from carexport.planning.problem import PlanningProblem

SOURCE = "plan"
MAX_LISTED = 50  # problems of one kind listed one by one; the rest are counted in one line


def check(problem: PlanningProblem) -> list[Problem]:
    params = problem.parameters
    problems: list[Problem] = []
    if params.horizon_days < 1:
        problems.append(
            Problem(
                SOURCE,
                None,
                "horizon_days",
                str(params.horizon_days),
                "the horizon must be at least one day",
                "e.g. --horizon 120",
            )
        )
    vehicles = problem.vehicles
    if vehicles.is_empty():
        problems.append(
            Problem(
                SOURCE,
                None,
                None,
                None,
                "there is no vehicle to plan",
                "import orders first (carexport orders import FILE)",
            )
        )
        return problems
    net = problem.network
    orders = vehicles.group_by("order_id", maintain_order=True).agg(
        pl.len().alias("vehicles"),
        pl.col("variant_id").first(),
        pl.col("start_node").first(),
        pl.col("destination_country").first(),
        pl.col("start_date").min(),
        pl.col("due_date").min(),
    )
    problems += _unknown(orders, "variant_id", set(net.variants), "a variant of variants.csv")
    problems += _unknown(orders, "start_node", set(net.nodes), "a node of nodes.csv")
    problems += _unknown(
        orders, "destination_country", set(net.markets), "a market country of markets.csv"
    )
    due_early = orders.filter(pl.col("due_date") < pl.col("start_date"))
    starts = {n.id: n.production_start for n in net.nodes.values() if n.production_start}
    early = orders.filter(
        pl.col("start_node").is_in(sorted(starts))
        & (pl.col("start_date") < pl.col("start_node").replace_strict(starts, default=None))
    )
    problems += _listed(
        early,
        "start_node",
        lambda r: (
            f"ready {r['start_date']} at {r['start_node']}, which starts production on "
            f"{starts[r['start_node']]}"
        ),
        "ship it from a plant already producing, or move the ready date",
    )
    # A warning, not an error: a car re-planned on its way may be past its due date.
    problems += _listed(
        due_early,
        "due_date",
        lambda r: f"due {r['due_date']} before it is ready ({r['start_date']}): late already",
        "correct the due date or the ready date of the order",
        severity="warning",
    )
    if params.horizon_days >= 1:
        problems += _horizon(problem, orders)
    return problems


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def _unknown(orders: pl.DataFrame, column: str, known: set[str], what: str) -> list[Problem]:
    bad = orders.filter(~pl.col(column).is_in(sorted(known)))
    return _listed(
        bad, column, lambda r: f"unknown {column.removesuffix('_id')} {r[column]}", f"use {what}"
    )


def _listed(
    bad: pl.DataFrame,
    field: str,
    describe: Callable[[dict[str, Any]], str],
    hint: str,
    severity: str = "error",
) -> list[Problem]:
    problems = [
        Problem(
            SOURCE,
            None,
            field,
            str(row[field]),
            f"order {row['order_id']} ({row['vehicles']} vehicle(s)): {describe(row)}",
            hint,
            severity,
        )
        for row in bad.head(MAX_LISTED).iter_rows(named=True)
    ]
    if bad.height > MAX_LISTED:
        problems.append(
            Problem(
                SOURCE,
                None,
                field,
                None,
                f"... and {bad.height - MAX_LISTED} more orders like these",
                hint,
                severity,
            )
        )
    return problems


def _horizon(problem: PlanningProblem, orders: pl.DataFrame) -> list[Problem]:
    """Vehicles the horizon cannot move: ready after it ends, due before it starts, or at a
    node with no departure inside it. All of them unmovable is an error (nothing to plan);
    some is a warning."""
    params = problem.parameters
    start, end = params.start, params.end
    problems: list[Problem] = []
    total = int(orders["vehicles"].sum())
    after = orders.filter(pl.col("start_date") >= pl.lit(end))
    overdue = orders.filter(pl.col("due_date") < pl.lit(start))
    departing = _nodes_with_departures(problem, start, end)
    stuck = orders.filter(
        (pl.col("start_date") < pl.lit(end)) & ~pl.col("start_node").is_in(sorted(departing))
    )
    for frame, field, what, hint in (
        (
            after,
            "ready_date",
            "ready on or after the horizon ends ({end})",
            "start later or lengthen the horizon (--start, --horizon)",
        ),
        (
            overdue,
            "due_date",
            "due before the plan starts ({start}): every car would be late from day one",
            "start the plan before the due dates (--start), or correct them",
        ),
        (
            stuck,
            "start_node",
            "no departure from its start node between {start} and {end}",
            "lengthen the horizon, or check the lanes' departures from that node",
        ),
    ):
        vehicles = int(frame["vehicles"].sum()) if frame.height else 0
        if not vehicles:
            continue
        text = what.format(start=start, end=end)
        severity = "error" if vehicles == total else "warning"
        problems.append(
            Problem(
                SOURCE,
                None,
                field,
                ", ".join(frame["order_id"].head(5).to_list())
                + (" ..." if frame.height > 5 else ""),
                f"{vehicles:,} of {total:,} vehicles ({frame.height:,} orders) are {text}"
                if field != "start_node"
                else f"{vehicles:,} of {total:,} vehicles ({frame.height:,} orders) have {text}",
                hint,
                severity,
            )
        )
    return problems


def _nodes_with_departures(problem: PlanningProblem, start: dt.date, end: dt.date) -> set[str]:
    return {
        lane.from_node
        for lane in problem.network.lanes.values()
        if lane.departures_between(start, end - dt.timedelta(days=1))
    }
