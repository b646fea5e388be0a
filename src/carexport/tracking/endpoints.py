"""HTTP endpoints for tracking: post events, read a vehicle's status."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from carexport.api.deps import OrgDep, SessionDep
from carexport.api.schemas import ErrorOut, ProblemOut
from carexport.errors import NotFound
from carexport.tracking import repository
from carexport.tracking.feed import vehicle_feed
from carexport.tracking.ingest import ingest, raw_frame
from carexport.tracking.service import (
    Milestone,
    exceptions,
    learn_transit,
    vehicle_itinerary,
)

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
    plan_id: str | None
    eta: dt.datetime | None = Field(description="Expected delivery (median transit)")
    eta_p90: dt.datetime | None = Field(description="Delivery by then with 90% likelihood")
    due_date: dt.date | None
    days_late: int | None
    delay_hours: float | None
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


class MilestoneOut(BaseModel):
    code: str
    node: str | None
    planned_at: dt.datetime | None
    actual_at: dt.datetime | None


class VehicleDetailOut(VehicleStatusOut):
    next_milestone: MilestoneOut | None
    itinerary: list[MilestoneOut]


class VehiclePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[VehicleStatusOut]


@router.get("/vehicles", response_model=VehiclePage)
def list_vehicles(
    session: SessionDep,
    org_id: OrgDep,
    order: str | None = None,
    status: str | None = None,
    market: str | None = None,
    late: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,  # SQL takes a 64-bit int at most
) -> VehiclePage:
    """Vehicles with a status, filtered by order, status, market, lateness; paginated."""
    total, rows = repository.list_statuses(
        session,
        org_id,
        order_id=order,
        status=status,
        market=market,
        late=late,
        limit=limit,
        offset=offset,
    )
    return VehiclePage(
        total=total,
        limit=limit,
        offset=offset,
        items=[VehicleStatusOut.model_validate(r) for r in rows],
    )


@router.get(
    "/vehicles/{vin}",
    response_model=VehicleDetailOut,
    responses={404: {"model": ErrorOut, "description": "No event for this VIN yet"}},
)
async def get_vehicle(vin: str, request: Request, org_id: OrgDep) -> Response:
    """Status, location, last event, next expected milestone, ETA, days late, and the
    itinerary with planned against actual times."""
    # The API's hottest read, so two choices against the usual ones. It reads on a
    # connection of its own rather than the per-request unit of work (a generator
    # dependency, which FastAPI runs in the thread pool on entry and again on exit). And
    # it is async with blocking reads: two key lookups of a fraction of a millisecond
    # hold the event loop for less than a trip through the thread pool costs, and under
    # load the pool's threads fight for the GIL (measured: 1,100 requests/s instead of
    # 640, p99 45 ms instead of 108; bench/bench_vehicle_api.py).
    with request.app.state.read_engine.connect() as connection:
        found = vehicle_itinerary(connection, org_id, vin.upper())
    if found is None:
        raise NotFound(f"no status for VIN {vin!r}", hint="post its events to /events first")
    upcoming = found.next_milestone
    body = {
        **{k: _json_value(v) for k, v in found.status.items()},
        "next_milestone": None if upcoming is None else _milestone_json(upcoming),
        "itinerary": [_milestone_json(m) for m in found.itinerary],
    }
    # The answer is built here and sent as is: this is the API's hottest read, and
    # validating it again against the response model would cost more than the reads.
    return Response(json.dumps(body), media_type="application/json")


def _milestone_json(milestone: Milestone) -> dict[str, object]:
    return {
        "code": milestone.code,
        "node": milestone.node,
        "planned_at": _json_time(milestone.planned_at),
        "actual_at": _json_time(milestone.actual_at),
    }


def _json_time(value: dt.datetime | None) -> str | None:
    """As the response models write times: ISO 8601 in UTC with a Z."""
    if value is None:
        return None
    if value.tzinfo:  # PostgreSQL's are aware; SQLite's are naive UTC
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"


def _json_value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return _json_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class TransitModelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kind: str = Field(description="lane (departed to arrived) or delivery (arrival to delivery)")
    key: str = Field(description="The lane id, or the destination node")
    observations: int
    median_hours: float
    p90_hours: float
    learned_at: dt.datetime


@router.get("/transit", response_model=list[TransitModelOut])
def get_transit(session: SessionDep, org_id: OrgDep) -> list[TransitModelOut]:
    """What the ETA has learned: median and p90 hours per lane and per destination."""
    return [
        TransitModelOut.model_validate(r) for r in repository.transit_model_rows(session, org_id)
    ]


@router.post("/transit/learn", response_model=list[TransitModelOut])
def post_transit_learn(session: SessionDep, org_id: OrgDep) -> list[TransitModelOut]:
    """Learn again from everything completed so far and re-project the open ETAs."""
    learn_transit(session, org_id)
    return [
        TransitModelOut.model_validate(r) for r in repository.transit_model_rows(session, org_id)
    ]


class ExceptionOut(BaseModel):
    vin: str
    kind: str
    detail: str
    since: dt.datetime | None


# tracking.exceptions.KINDS as a type, so that an unknown kind is a 422 naming the allowed
# ones rather than an empty answer (a test keeps the two equal).
ExceptionKind = Literal["late", "hold", "damage", "sequence", "dwell", "overdue"]


@router.get("/exceptions", response_model=list[ExceptionOut])
def get_exceptions(
    session: SessionDep,
    org_id: OrgDep,
    kind: ExceptionKind | None = None,
    vin: str | None = None,
    # Bounded: a threshold of 1e308 overflowed the time arithmetic (a 500 schemathesis found).
    dwell_days: float = Query(7.0, ge=0, le=3650),
    overdue_hours: float = Query(24.0, ge=0, le=87_600),
    limit: int = Query(1000, ge=1, le=100_000),
    offset: int = Query(0, ge=0, le=2**31 - 1),  # SQL takes a 64-bit int at most
) -> list[ExceptionOut]:
    """Vehicles needing attention: late, on hold, damaged, out of sequence, dwelling, overdue."""
    found = exceptions(
        session, org_id, kind=kind, vin=vin, dwell_days=dwell_days, overdue_hours=overdue_hours
    )
    return [ExceptionOut(**row) for row in found.slice(offset, limit).iter_rows(named=True)]


class FeedEventOut(BaseModel):
    event_id: str = Field(description="The sender's id (dcsa:<eventID> for DCSA) or a hash")
    code: str = Field(examples=["DEPARTED"])
    node: str | None
    lane_id: str | None
    event_time: str = Field(description="When it happened, ISO 8601 UTC with a Z")
    reported_time: str | None
    source: str | None
    dcsa: dict[str, str] | None = Field(
        description="The DCSA T&T 2.2 event it is (eventType and its type code), or null"
    )


class FeedMilestoneOut(BaseModel):
    seq: int
    code: str
    node: str
    lane_id: str | None
    planned_at: str
    actual_at: str | None = Field(description="First reported, or null")


class VehicleFeedOut(BaseModel):
    vin: str
    status: str | None = Field(description="Null before the first event")
    location: str | None
    on_hold: bool | None
    damaged: bool | None
    plan_id: str | None
    due_date: str | None
    eta: str | None
    eta_p90: str | None
    days_late: int | None
    delivered_at: str | None
    events: list[FeedEventOut] = Field(description="As reported, in the order status uses")
    milestones: list[FeedMilestoneOut] = Field(description="The current plan's, in order")


@router.get(
    "/vehicles/{vin}/events",
    response_model=VehicleFeedOut,
    responses={404: {"model": ErrorOut, "description": "No event and no plan for this VIN"}},
)
def get_vehicle_events(vin: str, session: SessionDep, org_id: OrgDep) -> VehicleFeedOut:
    """The VIN's event feed (README "Event feeds (DCSA)"): status, every event as reported
    with its DCSA equivalent, and its plan's milestones planned against reported. Its
    events, each with the VIN, are records POST /events takes."""
    entry = vehicle_feed(session, org_id, vin)
    if entry is None:
        raise NotFound(f"no event and no plan for VIN {vin!r}", hint="check the VIN")
    return VehicleFeedOut.model_validate(entry)
