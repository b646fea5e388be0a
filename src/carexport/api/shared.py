"""Sharing: a carmaker shows chosen orders (and so their vehicles) to its logistics
partner, read-only or to operate, and a dealer the vehicles bound for it.

The owner's side is /shares; the partner's is /shared/{owner_id}/..., which reads the
owner's rows only for orders an access_share row names (an order, or a dealer the order is
bound for). Anything else, including an organisation that shares nothing with the caller,
is 404: the answer never tells whether the order exists.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from carexport.access import service as access_service
from carexport.api.deps import PrincipalDep, SessionDep
from carexport.api.schemas import ErrorOut, ProblemOut
from carexport.errors import InvalidInput, NotFound, Problem
from carexport.orders import service as orders_service
from carexport.orders.schemas import OrderOut
from carexport.tracking import service as tracking_service
from carexport.tracking.endpoints import EventBatch, IngestOut
from carexport.tracking.ingest import ingest, raw_frame

router = APIRouter(tags=["sharing"])
NOT_SHARED: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "Not shared with you (or no such order)"}
}
Id = Annotated[str, Field(min_length=1, max_length=64)]


class ShareIn(BaseModel):
    partner_id: Id
    order_id: Id | None = None
    dealer_id: Id | None = None
    mode: Literal["read", "operate"] = "read"

    @model_validator(mode="after")
    def one_key(self) -> ShareIn:
        if (self.order_id is None) == (self.dealer_id is None):
            raise ValueError("give either order_id (one order) or dealer_id (a dealer's orders)")
        return self


class ShareOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    owner_id: str = Field(validation_alias="org_id")
    partner_id: str
    scope: str
    key: str
    mode: str
    created_at: dt.datetime
    created_by: str


class SharedOrderOut(OrderOut):
    mode: str
    vins: list[str]


@router.get("/shares", response_model=list[ShareOut])
def get_shares(session: SessionDep, principal: PrincipalDep) -> list[ShareOut]:
    """What this organisation shares, with whom."""
    return [ShareOut.model_validate(r) for r in access_service.shares_by(session, principal.org_id)]


@router.post("/shares", response_model=ShareOut, status_code=201, responses=NOT_SHARED)
def post_share(body: ShareIn, session: SessionDep, principal: PrincipalDep) -> ShareOut:
    """Share one order, or every order bound for a dealer, with another organisation."""
    if (
        body.order_id is not None
        and orders_service.get_order(session, principal.org_id, body.order_id) is None
    ):
        raise NotFound(f"no order {body.order_id!r}", hint="share an order of your book")
    scope, key = ("order", body.order_id) if body.order_id else ("dealer", body.dealer_id or "")
    access_service.share(session, principal, body.partner_id, scope=scope, key=key, mode=body.mode)
    found = [
        r
        for r in access_service.shares_by(session, principal.org_id)
        if (r.partner_id, r.scope, r.key) == (body.partner_id, scope, key)
    ]
    return ShareOut.model_validate(found[0])


@router.delete("/shares", status_code=204, responses=NOT_SHARED)
def delete_share(
    session: SessionDep,
    principal: PrincipalDep,
    partner_id: Annotated[str, Query(min_length=1, max_length=64)],
    order_id: Annotated[str | None, Query(max_length=64)] = None,
    dealer_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Stop sharing an order (or a dealer's orders) with the partner."""
    if (order_id is None) == (dealer_id is None):
        raise InvalidInput(
            "the share to end",
            [
                Problem(
                    file="request",
                    row=None,
                    field="order_id",
                    value=None,
                    message="give either order_id or dealer_id",
                    hint="e.g. ?partner_id=P&order_id=O",
                )
            ],
        )
    scope, key = ("order", order_id) if order_id else ("dealer", dealer_id or "")
    access_service.unshare(session, principal.org_id, partner_id, scope, key)
    return Response(status_code=204)


@router.get("/shared", response_model=list[ShareOut])
def get_shared(session: SessionDep, principal: PrincipalDep) -> list[ShareOut]:
    """What other organisations share with this one."""
    return [ShareOut.model_validate(r) for r in access_service.shares_to(session, principal.org_id)]


def _shared_order_ids(session: Any, partner_id: str, owner_id: str) -> dict[str, str]:
    """order_id -> mode of every order the owner shares with the partner."""
    shares = access_service.shares_to(session, partner_id, owner_id)
    dealers = {r.key for r in shares if r.scope == "dealer"}
    found: dict[str, str] = {}
    if dealers:
        lines = orders_service.order_lines(owner_id)
        for order_id, dealer_id in session.execute(
            select(lines.c.order_id, lines.c.dealer_id).where(lines.c.dealer_id.in_(dealers))
        ):
            found[order_id] = (
                access_service.shared_mode(session, partner_id, owner_id, order_id, dealer_id)
                or "read"
            )
    for r in shares:
        if r.scope == "order":
            found[r.key] = "operate" if "operate" in (r.mode, found.get(r.key)) else "read"
    return found


def _shared_order(session: Any, partner_id: str, owner_id: str, order_id: str) -> SharedOrderOut:
    order = orders_service.get_order(session, owner_id, order_id)
    mode = (
        None
        if order is None
        else access_service.shared_mode(session, partner_id, owner_id, order_id, order.dealer_id)
    )
    if order is None or mode is None:
        raise NotFound(
            f"no order {order_id!r} of {owner_id!r} is shared with you",
            hint="ask its owner to share it (POST /shares)",
        )
    vins = [vin for vin, _ in orders_service.vins_of(session, owner_id, order_id)]
    return SharedOrderOut.model_validate(
        {**OrderOut.model_validate(order).model_dump(), "mode": mode, "vins": vins}
    )


@router.get("/shared/{owner_id}/orders", response_model=list[SharedOrderOut])
def get_shared_orders(
    owner_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[SharedOrderOut]:
    """The owner's orders shared with this organisation (a dealer: those bound for it),
    with their VINs; an owner that shares nothing gives an empty list."""
    order_ids = sorted(_shared_order_ids(session, principal.org_id, owner_id))
    return [
        _shared_order(session, principal.org_id, owner_id, order_id)
        for order_id in order_ids[offset : offset + limit]
    ]


@router.get(
    "/shared/{owner_id}/orders/{order_id}", response_model=SharedOrderOut, responses=NOT_SHARED
)
def get_shared_order(
    owner_id: str, order_id: str, session: SessionDep, principal: PrincipalDep
) -> SharedOrderOut:
    return _shared_order(session, principal.org_id, owner_id, order_id)


def _order_of_vin(session: Any, owner_id: str, vin: str) -> str | None:
    vins = orders_service.ordered_vins(owner_id)
    return session.scalar(select(vins.c.order_id).where(vins.c.vin == vin))  # type: ignore[no-any-return]


@router.get("/shared/{owner_id}/vehicles/{vin}", responses=NOT_SHARED)
def get_shared_vehicle(
    owner_id: str, vin: str, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A shared order's VIN: its status, next milestone, itinerary and events."""
    vin = vin.upper()
    order_id = _order_of_vin(session, owner_id, vin)
    # One answer for "no such VIN" and "not shared": it must not name the VIN's order
    # (the isolation test caught a 404 that did).
    shared = order_id is not None and order_id in _shared_order_ids(
        session, principal.org_id, owner_id
    )
    found = (
        tracking_service.vehicle_itinerary(session.connection(), owner_id, vin) if shared else None
    )
    if found is None:
        raise NotFound(
            f"no tracked VIN {vin!r} of {owner_id!r} is shared with you",
            hint="a VIN is shared with its order; it shows once it has events",
        )
    return {
        "vin": vin,
        "order_id": order_id,
        "status": jsonable_encoder(found.status),
        "next_milestone": jsonable_encoder(found.next_milestone),
        "itinerary": jsonable_encoder(found.itinerary),
        "events": [
            {"code": code, "node": node, "event_time": at.isoformat()}
            for code, node, at in found.events
        ],
    }


@router.post("/shared/{owner_id}/events", response_model=IngestOut, responses=NOT_SHARED)
def post_shared_events(
    owner_id: str, batch: EventBatch, session: SessionDep, principal: PrincipalDep
) -> IngestOut:
    """A partner operating shared orders posts their vehicles' events into the owner's
    tracking; every VIN must be of an order shared to operate, or nothing is stored."""
    shared = _shared_order_ids(session, principal.org_id, owner_id)
    problems = []
    for row, event in enumerate(batch.events, start=1):
        vin = (event.vin or "").strip().upper()
        order_id = _order_of_vin(session, owner_id, vin) if vin else None
        if order_id is None or shared.get(order_id) != "operate":
            problems.append(
                Problem(
                    file="request",
                    row=row,
                    field="vin",
                    value=event.vin,
                    message="not a VIN of an order shared with you to operate",
                    hint="post only the vehicles of orders shared in mode operate",
                )
            )
    if problems:
        raise InvalidInput("the events", problems)
    report = ingest(
        session,
        owner_id,
        raw_frame([e.model_dump() for e in batch.events]),
        source=f"partner:{principal.org_id}",
    )
    return IngestOut(
        received=report.received,
        stored=report.stored,
        duplicates=report.duplicates,
        rejected=report.rejected,
        vins_updated=report.vins_updated,
        problems=[ProblemOut.of(p) for p in report.problems],
    )
