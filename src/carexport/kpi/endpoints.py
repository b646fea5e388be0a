"""HTTP endpoints for the KPIs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Query, UploadFile

from carexport.api.deps import OrgDep, SessionDep
from carexport.api.schemas import ErrorOut
from carexport.errors import CarexportError
from carexport.kpi import service
from carexport.kpi.comtrade import read_comtrade
from carexport.kpi.exports import DIMENSIONS, parse_by
from carexport.kpi.fvl import GROUPS
from carexport.kpi.schemas import (
    ExportRowOut,
    ExportsOut,
    FvlKpiOut,
    ObservationOut,
    ReconciliationRowOut,
    RolloutMonthOut,
    RolloutOut,
    RolloutTargetOut,
    SeedFigureOut,
    SeedOut,
    TargetOut,
)
from carexport.kpi.targets import Observation

router = APIRouter(tags=["kpi"])


# exclude_unset: a row carries only the field it is grouped by, not the other five as null.
@router.get("/kpi/fvl", response_model=list[FvlKpiOut], response_model_exclude_unset=True)
def get_fvl(
    session: SessionDep, org_id: OrgDep, by: str = "none", as_of: dt.date | None = None
) -> list[dict[str, object]]:
    """Finished-vehicle logistics KPIs, optionally by brand, market, month, lane or mode."""
    if by not in GROUPS:
        raise CarexportError(f"cannot group by {by!r}", hint="use " + ", ".join(GROUPS))
    when = dt.datetime.combine(as_of, dt.time(), dt.UTC) if as_of else None
    return service.fvl(session, org_id, by=by, as_of=when).to_dicts()


Basis = Literal["customs", "planned"]
Period = Literal["month", "quarter", "year", "ytd"]


@router.get("/kpi/exports", response_model=ExportsOut)
def get_exports(
    session: SessionDep,
    org_id: OrgDep,
    basis: Basis = "customs",
    by: str = Query("none", description="none or a comma list of " + ", ".join(DIMENSIONS)),
    period: Period = "year",
    through: dt.date | None = Query(None, description="ytd: months up to this date's month"),
) -> ExportsOut:
    """Exports in vehicles and value by period and dimensions, with growth, NEV share and
    share of China's exports on a stated basis."""
    dimensions = parse_by(by)
    view = service.exports(
        session, org_id, basis=basis, by=dimensions, period=period, through=through
    )
    rows = [
        ExportRowOut(group={d: row.pop(d) for d in dimensions}, **row)
        for row in view.frame.to_dicts()
    ]
    return ExportsOut(
        basis=basis, period=period, by=list(dimensions), rows=rows, notes=list(view.notes)
    )


def _observation(observation: Observation | None) -> ObservationOut | None:
    return None if observation is None else ObservationOut(**dataclasses.asdict(observation))


@router.get("/kpi/targets", response_model=list[TargetOut])
def get_targets(
    session: SessionDep, org_id: OrgDep, as_of: dt.date | None = None
) -> list[TargetOut]:
    """Every target with baseline, latest actual, required and achieved yearly growth,
    projected date and status, or what data it lacks."""
    return [
        TargetOut(
            **s.target.model_dump(include={"id", "metric", "scope", "value", "unit", "deadline"}),
            baseline=_observation(s.baseline),
            actual=_observation(s.actual),
            required_cagr_pct=s.required_cagr_pct,
            achieved_cagr_pct=s.achieved_cagr_pct,
            achieved_from=s.achieved_from,
            projected=s.projected,
            status=s.status,
            missing=s.missing,
            note=s.note,
        )
        for s in service.targets(session, org_id, as_of=as_of)
    ]


@router.get("/kpi/seed", response_model=SeedOut)
def get_seed(session: SessionDep, org_id: OrgDep) -> SeedOut:
    """The seed article's figures recomputed from the stored statistics."""
    figures, missing = service.seed(session, org_id)
    return SeedOut(
        figures=[SeedFigureOut(**dataclasses.asdict(f)) for f in figures], missing=missing
    )


@router.get(
    "/kpi/rollout",
    response_model=RolloutOut,
    responses={404: {"model": ErrorOut, "description": "Unknown brand"}},
)
def get_rollout(
    session: SessionDep, org_id: OrgDep, brand: str = "AVATR", as_of: dt.date | None = None
) -> RolloutOut:
    """Countries entered and stores open by month, and the brand's plan against them."""
    months, plan = service.rollout(session, org_id, brand, as_of=as_of)
    return RolloutOut(
        brand=brand.upper(),
        months=[RolloutMonthOut(**m) for m in months.to_dicts()],
        plan=[RolloutTargetOut(**p) for p in plan.to_dicts()],
    )


@router.post("/kpi/reconcile", response_model=list[ReconciliationRowOut])
def post_reconcile(
    file: UploadFile,
    session: SessionDep,
    org_id: OrgDep,
    basis: Basis = "customs",
    level: Literal["group", "total"] = "group",
    skip_invalid: bool = False,
) -> list[ReconciliationRowOut]:
    """carexport's exported vehicles against an uploaded UN Comtrade CSV (HS 8703), by
    partner country, period and HS group, with the difference and its share."""
    with tempfile.TemporaryDirectory(prefix="carexport-comtrade-") as folder:
        path = Path(folder) / (Path(file.filename or "comtrade.csv").name or "comtrade.csv")
        with path.open("wb") as handle:
            while chunk := file.file.read(1 << 20):
                handle.write(chunk)
        official = read_comtrade(path, skip_invalid=skip_invalid)
    frame = service.reconcile_with(session, org_id, official, basis=basis, level=level)
    return [ReconciliationRowOut(**row) for row in frame.to_dicts()]
