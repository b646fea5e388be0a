"""Scenario services: the inputs of a run from the database, a run on an executor, its
storage and reading back, and the comparison workbook."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from carexport.errors import CarexportError
from carexport.planning.problem import PlanParameters
from carexport.plans import service as plans_service
from carexport.scenarios import repository
from carexport.scenarios.executors import Done, Executor
from carexport.scenarios.runner import Inputs, compare, jobs_for, raise_errors
from carexport.scenarios.spec import ScenarioSpec
from carexport.scenarios.tables import ScenarioRunRow, ScenarioSampleRow
from carexport.tracking import service as tracking_service


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    specs: tuple[ScenarioSpec, ...]
    results: list[dict[str, Any]]
    summary: dict[str, Any]
    executor: str
    seconds: float


def inputs_from_db(session: Session, org_id: str, params: PlanParameters) -> Inputs:
    """The stored network and order book, and the lanes' learned transits."""
    from carexport.scenarios.runner import inputs_of

    problem = plans_service.problem_from_db(session, org_id, params)
    if problem.vehicles.is_empty():
        raise CarexportError(
            "there are no orders to plan",
            hint="import an order book first: carexport orders import",
        )
    learned = tracking_service.learned_lane_transits(session, org_id)
    return inputs_of(problem.network, problem.vehicles, params, learned)


def run(
    specs: Sequence[ScenarioSpec],
    inputs: Inputs,
    executor: Executor,
    *,
    samples: int | None = None,
    seed: int | None = None,
    on_done: Done | None = None,
) -> RunOutcome:
    import time

    started = time.perf_counter()
    jobs = jobs_for(specs, samples, seed)
    results = executor.run(inputs, jobs, on_done)
    raise_errors(results)
    return RunOutcome(
        tuple(specs), results, compare(specs, results), executor.name, time.perf_counter() - started
    )


def store_run(
    session: Session,
    org_id: str,
    outcome: RunOutcome,
    params: PlanParameters,
    specs_text: str,
    seed: int | None,
) -> str:
    """Keep a run and its per-sample figures (one transaction: the caller's)."""
    run_id = str(uuid.uuid4())
    samples = {r["sample"] for r in outcome.results}
    repository.insert_run(
        session,
        {
            "org_id": org_id,
            "id": run_id,
            "created_at": dt.datetime.now(dt.UTC),
            "scenarios": [s.name for s in outcome.specs],
            "samples": len(samples),
            "seed": seed if seed is not None else outcome.specs[0].stochastic.seed,
            "executor": outcome.executor,
            "start_date": params.start,
            "horizon_days": params.horizon_days,
            "specs": specs_text,
            "summary": {"scenarios": outcome.summary, "seconds": round(outcome.seconds, 2)},
        },
        [
            {
                "org_id": org_id,
                "run_id": run_id,
                "scenario": r["scenario"][:64],
                "sample": r["sample"],
                "cost_usd": r["cost_usd"],
                "vehicles": r["vehicles"],
                "late": r["late"],
                "unserved": r["unserved"],
                "co2e_kg": r["co2e_kg"],
                "lead_days_by_market": r["lead_days_by_market"],
            }
            for r in outcome.results
        ],
    )
    return run_id


def runs(session: Session, org_id: str, limit: int = 20) -> list[ScenarioRunRow]:
    return repository.runs(session, org_id, limit)


def get_run(session: Session, org_id: str, run_id: str) -> ScenarioRunRow | None:
    return repository.run(session, org_id, run_id)


def run_samples(session: Session, org_id: str, run_id: str) -> list[ScenarioSampleRow]:
    return repository.samples(session, org_id, run_id)


def comparison_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per scenario and figure: baseline, scenario and change as mean, p50, p90."""
    rows = []
    for name, entry in summary.items():
        for metric in ("cost_usd", "late", "unserved", "co2e_kg"):
            m = entry[metric]
            rows.append(
                {
                    "scenario": name,
                    "figure": metric,
                    "baseline_mean": m["baseline"]["mean"],
                    "scenario_mean": m["scenario"]["mean"],
                    "scenario_p50": m["scenario"]["p50"],
                    "scenario_p90": m["scenario"]["p90"],
                    "change_mean": m["change"]["mean"],
                    "change_p50": m["change"]["p50"],
                    "change_p90": m["change"]["p90"],
                }
            )
    return rows


def lead_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, entry in summary.items():
        for market, lead in entry["lead_days_by_market"].items():
            if lead is None:
                continue
            rows.append(
                {
                    "scenario": name,
                    "market": market,
                    "baseline_days": lead["baseline"]["mean"],
                    "scenario_days": lead["scenario"]["mean"],
                    "scenario_p90_days": lead["scenario"]["p90"],
                    "change_days": lead["change"]["mean"],
                    "change_p90_days": lead["change"]["p90"],
                }
            )
    return rows


def critical_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"scenario": name, **departure}
        for name, entry in summary.items()
        for departure in entry["critical_departures"]
    ]


def comparison_workbook(summary: dict[str, Any], samples: Sequence[dict[str, Any]]) -> bytes:
    """The comparison as XLSX: figures, lead times per market, critical departures, samples."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    number = book.add_format({"num_format": "#,##0.00"})
    sheets = {
        "comparison": comparison_rows(summary),
        "lead times": lead_rows(summary),
        "critical departures": critical_rows(summary),
        "samples": [
            {k: v for k, v in s.items() if k not in ("lead_days_by_market", "binding", "parts_usd")}
            for s in samples
        ],
    }
    for title, rows in sheets.items():
        sheet = book.add_worksheet(title)
        columns = list(rows[0]) if rows else ["(none)"]
        for c, name in enumerate(columns):
            sheet.write(0, c, name, bold)
            sheet.set_column(c, c, max(12, len(name) + 2))
        for r, row in enumerate(rows, start=1):
            for c, name in enumerate(columns):
                value = row.get(name)
                if isinstance(value, float):
                    sheet.write_number(r, c, value, number)
                else:
                    sheet.write(r, c, value)
        sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()
