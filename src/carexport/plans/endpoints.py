"""HTTP endpoints for plans: plan the stored orders, read a plan version back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from carexport.api.deps import OrgDep, SessionDep
from carexport.api.schemas import ErrorOut
from carexport.errors import NotFound
from carexport.planning.problem import PlanParameters
from carexport.plans import repository
from carexport.plans.schemas import PlanLegOut, PlanLoadOut, PlanOrderOut, PlanOut, PlanRequest
from carexport.plans.service import plan_and_store

router = APIRouter(prefix="/plans", tags=["plans"])


@router.post(
    "",
    response_model=PlanOut,
    status_code=201,
    responses={400: {"model": ErrorOut, "description": "No network or no orders"}},
)
def post_plan(request: PlanRequest, session: SessionDep, org_id: OrgDep) -> PlanOut:
    """Plan every stored order of the organisation and store the plan as a new version."""
    params = PlanParameters(
        start=request.start,
        horizon_days=request.horizon_days,
        co2_price_usd_per_t=request.co2_price_usd_per_t,
        lateness_usd_per_vehicle_day=request.lateness_usd_per_vehicle_day,
        unserved_usd_per_vehicle=request.unserved_usd_per_vehicle,
        method=request.method,
        time_limit_s=request.time_limit_s,
    )
    plan_id, _ = plan_and_store(session, org_id, params)
    session.flush()
    return get_plan(plan_id, session, org_id)


@router.get(
    "/{plan_id}",
    response_model=PlanOut,
    responses={404: {"model": ErrorOut, "description": "No such plan"}},
)
def get_plan(
    plan_id: str,
    session: SessionDep,
    org_id: OrgDep,
    order_id: Annotated[str | None, Query(description="Only this order's legs")] = None,
    limit: Annotated[int, Query(ge=0, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,  # SQL takes a 64-bit int at most
) -> PlanOut:
    """A plan version: summary, why orders are late or unserved, load lists, VIN legs (paged)."""
    version = repository.get_version(session, org_id, plan_id)
    if version is None:
        raise NotFound(f"plan {plan_id!r} not found", hint="create one with POST /plans")
    total, legs = repository.legs(
        session, org_id, plan_id, order_id=order_id, limit=limit, offset=offset
    )
    return PlanOut(
        id=version.id,
        created_at=version.created_at,
        summary=version.summary,
        explanations=[
            PlanOrderOut.model_validate(r)
            for r in repository.problem_orders(session, org_id, plan_id)
        ],
        load_lists=[
            PlanLoadOut.model_validate(r) for r in repository.loads(session, org_id, plan_id)
        ],
        legs_total=total,
        legs=[PlanLegOut.model_validate(r) for r in legs],
    )
