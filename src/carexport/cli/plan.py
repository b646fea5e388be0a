"""carexport plan: plan every vehicle of an order book on the network, and write the plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from carexport.cli.options import (
    DATE_METAVAR,
    PlanMethod,
    iso_date,
    number_option,
    output_file,
    output_folder,
)
from carexport.cli.render import console
from carexport.config import get_settings

if TYPE_CHECKING:
    from carexport.planning.problem import PlanningProblem, PlanParameters
    from carexport.planning.result import PlanResult
    from carexport.plans.service import Replanning


def plan_command(
    orders: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="Order file (.csv, .xlsx, .json)."
    ),
    vehicles: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="VIN list for the order file."
    ),
    from_db: bool = typer.Option(
        False,
        "--from-db",
        help="Plan the orders in the database; with a stored plan, re-plan it: what has "
        "departed (before --start, or by the tracked events) stays, the rest is re-planned.",
    ),
    fresh: bool = typer.Option(
        False, "--fresh", help="With --from-db: plan every vehicle afresh from its plant."
    ),
    warm_start: bool = typer.Option(
        True,
        "--warm-start/--cold-start",
        help="When re-planning: start the solver from the previous plan's legs still to go, "
        "or from nothing (the same optimum; warm measured 2.5x faster, see the README).",
    ),
    network: Path | None = typer.Option(
        None,
        exists=True,
        file_okay=False,
        help="Network dataset folder (default: built-in; with --from-db: the database's).",
    ),
    start: dt.date = typer.Option(
        ..., help="First day of the plan.", parser=iso_date, metavar=DATE_METAVAR
    ),
    horizon: int = number_option(120, help="Days planned.", low=1, high=730),
    co2_price: float = number_option(
        0.0, help="Price of CO2e in USD per tonne.", low=0, kind=float
    ),
    lateness: float = number_option(
        50.0, help="Lateness penalty, USD per vehicle-day (priority 3).", low=0, kind=float
    ),
    method: PlanMethod = typer.Option(
        PlanMethod.OPTIMAL, help="optimal (LP) or greedy (first fit)."
    ),
    compare: bool = typer.Option(False, "--compare", help="Also run the greedy baseline."),
    time_limit: float = number_option(
        300.0, help="Solver time limit in seconds.", low=0, above=True, high=3600, kind=float
    ),
    out: Path = typer.Option(
        ...,
        help="Folder for plan.json, legs.csv, load_lists.csv, orders.csv (created if missing).",
        callback=output_folder,
    ),
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
    dump_lp: Path | None = typer.Option(
        None,
        "--dump-lp",
        help="Also write the LP (CPLEX LP format) to this file, every row and column named "
        "by what it stands for: cap(LANE,dDAY), x(COMMODITY,LANE,dDAY,dARRIVAL), ...",
        callback=output_file(),
    ),
) -> None:
    """Plan every vehicle: which departure of which lane, at least cost, explained."""
    if from_db == (orders is not None):
        raise typer.BadParameter(
            "give either --orders FILE or --from-db, e.g. carexport plan --orders book.csv "
            "--start 2027-01-01 --out plan/",
            param_hint="'--orders' / '--from-db'",
        )
    from carexport.planning.problem import PlanningProblem, PlanParameters
    from carexport.planning.run import plan
    from carexport.planning.solve import SolveOptions
    from carexport.plans.files import write_plan

    params = PlanParameters(
        start=start,
        horizon_days=horizon,
        co2_price_usd_per_t=co2_price,
        lateness_usd_per_vehicle_day=lateness,
        time_limit_s=time_limit,
        method="greedy" if method is PlanMethod.GREEDY else "optimal",
    )
    options = SolveOptions(
        time_limit_s=time_limit, lp_file=None if dump_lp is None else str(dump_lp)
    )
    org_id = org or get_settings().org_id
    replanning = _replanning(org_id, params) if from_db and not fresh else None
    if replanning is not None:
        problem = replanning.problem
    elif from_db:
        problem = _from_db(org_id, params)
    else:
        snapshot, vehicle_frame = _from_files(orders, vehicles, network)  # type: ignore[arg-type]
        problem = PlanningProblem(snapshot, vehicle_frame, params)
    label = "re-planning" if replanning is not None else "planning"
    with console.status(f"{label} {problem.vehicles.height:,} vehicles ({method.value})"):
        if replanning is not None:
            from carexport.plans.service import replan

            result = replan(replanning, options, warm_start=warm_start)
        else:
            result = plan(problem, options)
    baseline = None
    if compare and method is PlanMethod.OPTIMAL:
        from dataclasses import replace

        with console.status("planning the greedy baseline"):
            baseline = plan(replace(problem, parameters=replace(params, method="greedy")))
    extra: dict[str, object] = {"baseline": baseline.summary()} if baseline else {}
    if replanning is not None:
        extra["replan"] = {
            "previous_plan_id": replanning.previous_plan_id,
            **replanning.split.summary(),
        }
    if from_db:
        from carexport.cli.context import session_scope
        from carexport.plans.service import record_baseline, store_plan, store_replan

        with session_scope(writes=True) as session:
            plan_id = (
                store_replan(session, org_id, result, params, replanning)
                if replanning is not None
                else store_plan(session, org_id, result, params, problem.network)
            )
            if baseline is not None:  # so the dashboard shows the plan against it
                record_baseline(session, org_id, plan_id, baseline)
            extra["plan_id"] = plan_id
    written = write_plan(result, out, extra=extra)
    print_plan_summary(result, baseline)
    if replanning is not None:
        done = replanning.split.summary()
        console.print(
            f"re-planned from plan {replanning.previous_plan_id}: {done['fixed_legs']:,} legs "
            f"fixed (departed), {done['vehicles_done']:,} vehicles done on them, "
            f"{done['vehicles_replanned_en_route']:,} re-planned from where they are, "
            f"{done['vehicles_replanned']:,} re-planned in all"
        )
    if from_db:
        console.print(f"stored as plan version {extra['plan_id']}")
    if dump_lp is not None and method is PlanMethod.OPTIMAL:
        written.append(dump_lp)
    console.print("wrote " + ", ".join(str(p) for p in written))


def _from_files(orders: Path, vehicles: Path | None, network: Path | None):  # type: ignore[no-untyped-def]
    from carexport.errors import InvalidInput
    from carexport.network.dataset import builtin_folder
    from carexport.network.service import check_dataset
    from carexport.orders.rules import check_orders, check_vehicles
    from carexport.orders.service import ImportOptions, read_files
    from carexport.planning.problem import vehicles_from_orders

    dataset = check_dataset(network or builtin_folder())
    if dataset.errors:
        raise InvalidInput(f"network dataset {dataset.folder}", dataset.problems)
    snapshot = dataset.snapshot()
    orders_table, vehicles_table = read_files(orders, vehicles, ImportOptions())
    checked = check_orders(orders_table, snapshot)
    if vehicles_table is not None:
        checked = check_vehicles(vehicles_table, checked)
    if checked.errors:
        raise InvalidInput(f"order file {orders}", checked.problems)
    return snapshot, vehicles_from_orders(
        checked.orders, checked.vehicles if vehicles_table is not None else None
    )


def _from_db(org_id: str, params: PlanParameters) -> PlanningProblem:
    from carexport.cli.context import session_scope
    from carexport.plans.service import problem_from_db

    with session_scope() as session:
        return problem_from_db(session, org_id, params)


def _replanning(org_id: str, params: PlanParameters) -> Replanning | None:
    from carexport.cli.context import session_scope
    from carexport.plans.service import replanning

    with session_scope() as session:
        return replanning(session, org_id, params)


def print_plan_summary(result: PlanResult, baseline: PlanResult | None = None) -> None:
    table = Table(title="Plan")
    table.add_column("")
    table.add_column(result.method, justify="right")
    if baseline is not None:
        table.add_column(baseline.method, justify="right")
        table.add_column("difference", justify="right")

    def other(value: float) -> float | None:
        return value if baseline is not None else None

    b = baseline or result
    rows: list[tuple[str, float, float | None, str]] = [
        ("objective USD", result.objective_usd, other(b.objective_usd), ",.0f"),
        *[
            (f"  {k.removesuffix('_usd')} USD", v, other(b.parts_usd[k]), ",.0f")
            for k, v in result.parts_usd.items()
        ],
        ("CO2e t", result.co2e_kg / 1000, other(b.co2e_kg / 1000), ",.0f"),
        ("vehicles", result.vehicles_total, other(b.vehicles_total), ",.0f"),
        ("  on time", result.on_time, other(b.on_time), ",.0f"),
        ("  late", result.late, other(b.late), ",.0f"),
        ("  unserved", result.unserved, other(b.unserved), ",.0f"),
        (
            "runtime s",
            result.runtime_s.get("total", 0.0),
            other(b.runtime_s.get("total", 0.0)),
            ",.1f",
        ),
    ]
    for label, mine, theirs, fmt in rows:
        cells = [label, format(mine, fmt)]
        if baseline is not None and theirs is not None:
            cells += [format(theirs, fmt), format(mine - theirs, "+" + fmt)]
        table.add_row(*cells)
    console.print(table)
    if result.lp_bound_usd is not None:
        console.print(
            f"status {result.status}; LP bound {result.lp_bound_usd:,.0f} USD; "
            f"integer plan {result.gap:.2%} above it"
        )
    else:
        console.print(f"status {result.status}")
