"""HTTP endpoints for plans: plan the stored orders, read a plan version back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from carexport.api.deps import OrgDep, SessionDep
from carexport.api.schemas import ErrorOut
from carexport.db.session import unit_of_work
from carexport.errors import NotFound
from carexport.memory import release_freed_memory
from carexport.planning.problem import PlanParameters
from carexport.planning.run import plan
from carexport.plans import repository
from carexport.plans.schemas import PlanLegOut, PlanLoadOut, PlanOrderOut, PlanOut, PlanRequest
from carexport.plans.service import problem_from_db, store_plan

router = APIRouter(prefix="/plans", tags=["plans"])


@router.post(
    "",
    response_model=PlanOut,
    status_code=201,
    responses={400: {"model": ErrorOut, "description": "No network or no orders"}},
)
def post_plan(request: PlanRequest, http: Request, org_id: OrgDep) -> PlanOut:
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
    # Read, plan outside any transaction, then store, as the dashboard's plan runs do: a
    # request that writes holds SQLite's write lock from its start (api.deps), so with
    # SessionDep every ingest waited out the whole solve, and failed after busy_timeout
    # (bench/bench_soak.py).
    engine = http.app.state.engine
    with unit_of_work(engine) as session:
        problem = problem_from_db(session, org_id, params)
    result = plan(problem)
    try:
        with unit_of_work(engine, writes=True) as session:
            plan_id = store_plan(session, org_id, result, params, problem.network)
            session.flush()
            return get_plan(plan_id, session, org_id)
    finally:
        # The solve's buffers are freed by now; glibc would keep them in this thread's
        # arena, and the server's RSS would grow with every plan run (carexport.memory).
        del problem, result
        release_freed_memory()


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
