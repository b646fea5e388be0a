"""carexport scenarios: run disruption scenarios against the order book, compare, store."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from carexport.cli.options import DATE_METAVAR, iso_date, number_option, output_file, seed_option
from carexport.cli.render import console
from carexport.config import get_settings

app = typer.Typer(help="Disruption scenarios: perturb, re-plan, compare.", no_args_is_help=True)


class ExecutorName(StrEnum):
    """scenarios.executors.executor_for"""

    LOCAL = "local"
    RAY = "ray"


@app.command("list")
def list_command() -> None:
    """The built-in scenarios, with the source or assumption of each."""
    from carexport.scenarios.spec import load

    specs, _ = load("all")
    table = Table(title="Built-in scenarios (carexport scenarios run NAME)")
    for column in ("name", "title", "source or assumption"):
        table.add_column(column, overflow="fold")
    for spec in specs:
        table.add_row(spec.name, spec.title, spec.source.strip())
    console.print(table)


def scenario_name(value: str) -> str:
    """Callback of SCENARIO: all, a built-in name or a YAML file that exists."""
    from carexport.scenarios.spec import LIBRARY, builtin_names

    builtin = LIBRARY / f"{value.replace('-', '_')}.yaml"
    if value == "all" or builtin.is_file() or Path(value).is_file():
        return value
    raise typer.BadParameter(
        f"{value!r} is neither a scenario file nor a built-in scenario: give a YAML file "
        f"or one of: all, {', '.join(builtin_names())}"
    )


@app.command("run")
def run_command(
    scenario: str = typer.Argument(
        ..., help="A YAML file, a built-in name, or all.", callback=scenario_name
    ),
    samples: int | None = number_option(
        None, help="Samples per scenario (default: the spec's).", low=1, high=10_000
    ),
    seed: int | None = seed_option(None, "Seed of the transit draws (default: the spec's)."),
    executor: ExecutorName = typer.Option(ExecutorName.LOCAL, help="Where the plans run."),
    address: str | None = typer.Option(
        None,
        help="With --executor ray: auto or HOST:PORT of a running cluster (default: a local one).",
    ),
    workers: int | None = number_option(
        None, help="Local worker processes (default: CPUs).", low=1, high=256
    ),
    start: dt.date | None = typer.Option(
        None, help="First day of the plans (default: today).", parser=iso_date, metavar=DATE_METAVAR
    ),
    horizon: int = number_option(120, help="Days planned.", low=1, high=730),
    orders: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="An order file on the built-in network instead of the database (not stored).",
    ),
    xlsx: Path | None = typer.Option(
        None, help="Write the comparison workbook here (.xlsx).", callback=output_file(".xlsx")
    ),
    org: str | None = typer.Option(None, help="Organisation id (default: CAREXPORT_ORG_ID)."),
) -> None:
    """Run scenarios: each sample re-plans the perturbed network and order book, beside its
    baseline; prints the comparison and stores the run (with the database's orders)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from carexport.planning.problem import PlanParameters
    from carexport.scenarios import service
    from carexport.scenarios.executors import executor_for
    from carexport.scenarios.runner import Job, inputs_of
    from carexport.scenarios.spec import load

    specs, text = load(scenario)
    params = PlanParameters(start=start or dt.date.today(), horizon_days=horizon)
    org_id = org or get_settings().org_id
    if orders is not None:
        from carexport.cli.plan import _from_files

        snapshot, vehicles = _from_files(orders, None, None)
        inputs = inputs_of(snapshot, vehicles, params)
    else:
        from carexport.cli.context import session_scope

        with session_scope() as session:
            inputs = service.inputs_from_db(session, org_id, params)
    runner = executor_for(executor.value, address, workers)
    console.print(
        f"{len(specs)} scenario(s), {inputs.vehicles.height:,} vehicles, plans from {params.start} "
        f"over {horizon} days, on {runner.name}"
    )
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks = {
            spec.name: progress.add_task(spec.name, total=2 * (samples or spec.stochastic.samples))
            for spec in specs
        }

        def done(job: Job, _: dict[str, Any]) -> None:
            progress.advance(tasks[job.scenario.removeprefix("baseline:")])

        outcome = service.run(specs, inputs, runner, samples=samples, seed=seed, on_done=done)
    print_comparison(outcome.summary)
    console.print(f"{len(outcome.results)} plans in {outcome.seconds:.1f} s on {outcome.executor}")
    if orders is None:
        from carexport.cli.context import session_scope

        with session_scope(writes=True) as session:
            run_id = service.store_run(session, org_id, outcome, params, text, seed)
        console.print(f"stored as scenario run {run_id} (GET /scenarios/runs/{run_id})")
    if xlsx is not None:
        xlsx.write_bytes(service.comparison_workbook(outcome.summary, outcome.results))
        console.print(f"comparison workbook: {xlsx}")


def print_comparison(summary: dict[str, Any]) -> None:
    from carexport.kpi.numbers import compact

    table = Table(title="Scenarios against their baselines (mean over samples; p90 of the change)")
    for column in (
        "scenario",
        "cost USD",
        "Δ cost",
        "Δ p90",
        "late Δ",
        "unserved Δ",
        "CO2e t Δ",
        "lead days Δ (markets)",
    ):
        table.add_column(
            column, justify="left" if column.startswith(("scenario", "lead")) else "right"
        )
    for name, entry in summary.items():
        moved = sorted(
            (
                (market, lead["change"]["mean"])
                for market, lead in entry["lead_days_by_market"].items()
                if lead is not None and abs(lead["change"]["mean"]) >= 0.05
            ),
            key=lambda kv: -abs(kv[1]),
        )
        table.add_row(
            name,
            compact(entry["cost_usd"]["scenario"]["mean"]),
            f"{entry['cost_usd']['change']['mean']:+,.0f}",
            f"{entry['cost_usd']['change']['p90']:+,.0f}",
            f"{entry['late']['change']['mean']:+,.1f}",
            f"{entry['unserved']['change']['mean']:+,.1f}",
            f"{entry['co2e_kg']['change']['mean'] / 1000:+,.1f}",
            ", ".join(f"{m} {d:+.1f}" for m, d in moved[:8]) or "none",
        )
    console.print(table)
    for name, entry in summary.items():
        critical = entry["critical_departures"][:5]
        if critical:
            console.print(
                f"[bold]{name}[/bold] critical departures: "
                + "; ".join(
                    f"{c['lane_id']} {c['depart_date']} (binding {c['binding_share']:.0%}, "
                    f"one more slot {c['slot_value_usd']:,.0f} USD)"
                    for c in critical
                )
            )
