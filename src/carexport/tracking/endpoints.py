"""HTTP endpoints for tracking: post events, read a vehicle's status."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from carexport.api.deps import OrgDep, SessionDep
from carexport.api.schemas import ErrorOut, ProblemOut
from carexport.errors import NotFound
from carexport.tracking import repository
from carexport.tracking.service import exceptions, ingest, raw_frame

router = APIRouter(tags=["tracking"])


class EventIn(BaseModel):
    event_id: str | None = Field(None, description="The sender's id; else the content's hash")
    vin: str | None = None
    code: str | None = Field(None, examples=["DEPARTED"])
    node: str | None = Field(None, examples=["CN_CQ_YUZUI"])
    lane_id: str | None = None
    event_time: str | None = Field(None, examples=["2027-01-05T09:00:00+08:00"])
    reported_time: str | None = None
    source: str | None = None


class EventBatch(BaseModel):
    events: list[EventIn]


class IngestOut(BaseModel):
    received: int
    stored: int
    duplicates: int
    rejected: int
    vins_updated: int
    problems: list[ProblemOut]


class VehicleStatusOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    vin: str
    status: str
    location: str | None
    last_event_id: str
    last_code: str
    last_event_time: dt.datetime
    events: int
    delivered_at: dt.datetime | None
    on_hold: bool
    damaged: bool
    sequence_violations: int


@router.post("/events", response_model=IngestOut)
def post_events(batch: EventBatch, session: SessionDep, org_id: OrgDep) -> IngestOut:
    """Store a batch of events: new ones commit together, bad ones are kept with a reason."""
    report = ingest(
        session, org_id, raw_frame([e.model_dump() for e in batch.events]), source="api"
    )
    return IngestOut(
        received=report.received,
        stored=report.stored,
        duplicates=report.duplicates,
        rejected=report.rejected,
        vins_updated=report.vins_updated,
        problems=[ProblemOut.of(p) for p in report.problems],
    )


@router.get(
    "/vehicles/{vin}",
    response_model=VehicleStatusOut,
    responses={404: {"model": ErrorOut, "description": "No event for this VIN yet"}},
)
def get_vehicle(vin: str, session: SessionDep, org_id: OrgDep) -> VehicleStatusOut:
    row = repository.status_of(session, org_id, vin.upper())
    if row is None:
        raise NotFound(f"no status for VIN {vin!r}", hint="post its events to /events first")
    return VehicleStatusOut.model_validate(row)


class ExceptionOut(BaseModel):
    vin: str
    kind: str
    detail: str
    since: dt.datetime | None


@router.get("/exceptions", response_model=list[ExceptionOut])
def get_exceptions(
    session: SessionDep,
    org_id: OrgDep,
    kind: str | None = None,
    vin: str | None = None,
    dwell_days: float = 7.0,
    overdue_hours: float = 24.0,
    limit: int = 1000,
    offset: int = 0,
) -> list[ExceptionOut]:
    """Vehicles needing attention: late, on hold, damaged, out of sequence, dwelling, overdue."""
    found = exceptions(
        session, org_id, kind=kind, vin=vin, dwell_days=dwell_days, overdue_hours=overdue_hours
    )
    return [ExceptionOut(**row) for row in found.slice(offset, limit).iter_rows(named=True)]
