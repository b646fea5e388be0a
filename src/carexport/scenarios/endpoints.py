"""HTTP endpoints for scenarios: the built-in library and stored runs (run them with
`carexport scenarios run`: a batch of plans is a job, not a request)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from carexport.api.deps import OrgDep, SessionDep
from carexport.api.schemas import ErrorOut
from carexport.errors import NotFound
from carexport.scenarios import service
from carexport.scenarios.schemas import (
    ScenarioOut,
    ScenarioRunDetailOut,
    ScenarioRunOut,
    ScenarioSampleOut,
)
from carexport.scenarios.spec import load
from carexport.scenarios.tables import ScenarioRunRow

router = APIRouter(prefix="/scenarios", tags=["scenarios"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such scenario run"}
}


@router.get("/library", response_model=list[ScenarioOut])
def get_library() -> list[ScenarioOut]:
    """The built-in scenarios with their sources or stated assumptions."""
    specs, _ = load("all")
    return [
        ScenarioOut(
            name=s.name, title=s.title, description=s.description.strip(), source=s.source.strip()
        )
        for s in specs
    ]


@router.get("/runs", response_model=list[ScenarioRunOut])
def get_runs(
    session: SessionDep, org_id: OrgDep, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[ScenarioRunOut]:
    """The organisation's scenario runs, newest first."""
    return [ScenarioRunOut.model_validate(r) for r in service.runs(session, org_id, limit)]


def _run(session: SessionDep, org_id: str, run_id: str) -> ScenarioRunRow:
    row = service.get_run(session, org_id, run_id)
    if row is None:
        raise NotFound(
            f"scenario run {run_id!r} not found", hint="list them with GET /scenarios/runs"
        )
    return row


@router.get("/runs/{run_id}", response_model=ScenarioRunDetailOut, responses=NOT_FOUND)
def get_run(run_id: str, session: SessionDep, org_id: OrgDep) -> ScenarioRunDetailOut:
    """A run's comparison of each scenario against its baseline."""
    row = _run(session, org_id, run_id)
    detail = ScenarioRunOut.model_validate(row).model_dump()
    return ScenarioRunDetailOut(**detail, summary=row.summary.get("scenarios", {}), specs=row.specs)


@router.get("/runs/{run_id}/samples", response_model=list[ScenarioSampleOut], responses=NOT_FOUND)
def get_samples(run_id: str, session: SessionDep, org_id: OrgDep) -> list[ScenarioSampleOut]:
    """Every plan of a run: scenario (baseline:NAME for a baseline), sample and its figures."""
    _run(session, org_id, run_id)
    return [
        ScenarioSampleOut.model_validate(s) for s in service.run_samples(session, org_id, run_id)
    ]


@router.get(
    "/runs/{run_id}/comparison.xlsx",
    response_class=Response,
    responses={**NOT_FOUND, 200: {"content": {XLSX: {}}, "description": "The comparison workbook"}},
)
def get_workbook(run_id: str, session: SessionDep, org_id: OrgDep) -> Response:
    """The comparison workbook: figures, lead times per market, critical departures, samples."""
    row = _run(session, org_id, run_id)
    samples = [
        {
            "scenario": s.scenario,
            "sample": s.sample,
            "cost_usd": s.cost_usd,
            "vehicles": s.vehicles,
            "late": s.late,
            "unserved": s.unserved,
            "co2e_kg": s.co2e_kg,
        }
        for s in service.run_samples(session, org_id, run_id)
    ]
    body = service.comparison_workbook(row.summary.get("scenarios", {}), samples)
    return Response(
        body,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="scenarios-{run_id}.xlsx"'},
    )
