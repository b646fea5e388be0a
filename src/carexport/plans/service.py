"""Plan the organisation's orders from the database and store the plan as a new version."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import polars as pl
from sqlalchemy.orm import Session

from carexport.errors import CarexportError
from carexport.network import service as network_service
from carexport.network.snapshot import NetworkSnapshot
from carexport.orders import service as orders_service
from carexport.planning.problem import PlanningProblem, PlanParameters, vehicles_from_orders
from carexport.planning.result import PlanResult
from carexport.planning.run import plan
from carexport.plans import repository
from carexport.plans.tables import PlanVersionRow
from carexport.tracking.milestones import expected_milestones, pack
from carexport.tracking.service import refresh_etas, store_plan_milestones


def problem_from_db(session: Session, org_id: str, params: PlanParameters) -> PlanningProblem:
    if not network_service.has_network(session, org_id):
        raise CarexportError(
            f"organisation {org_id!r} has no network loaded", hint="run: carexport network load"
        )
    orders = orders_service.all_orders(session, org_id)
    if orders.is_empty():
        raise CarexportError(
            f"organisation {org_id!r} has no orders",
            hint="import some: carexport orders import FILE",
        )
    snapshot = network_service.snapshot_of(session, org_id)
    vins = orders_service.all_vehicles(session, org_id)
    return PlanningProblem(snapshot, vehicles_from_orders(orders, vins), params)


def store_plan(
    session: Session,
    org_id: str,
    result: PlanResult,
    params: PlanParameters,
    network: NetworkSnapshot,
) -> str:
    """Store a plan version with its legs, order figures, load lists, and every VIN's
    expected milestones (for tracking). The plan becomes the current plan of every VIN it
    serves, and those already tracked get their ETAs re-projected on it."""
    plan_id = str(uuid.uuid4())
    parameters = {
        k: (v.isoformat() if isinstance(v, dt.date) else v)
        for k, v in dataclasses.asdict(params).items()
    }
    version = PlanVersionRow(
        org_id=org_id,
        id=plan_id,
        created_at=dt.datetime.now(dt.UTC),
        method=result.method,
        status=result.status,
        start_date=params.start,
        horizon_days=params.horizon_days,
        objective_usd=result.objective_usd,
        lp_bound_usd=result.lp_bound_usd,
        gap=result.gap,
        parameters=parameters,
        summary=result.summary(),
    )
    repository.store(session, version, result.legs, result.orders, result.load_lists)
    milestones = expected_milestones(
        result.legs, result.vehicles, {n.id: n.country for n in network.nodes.values()}
    )
    due = result.vehicles.join(result.orders.select("order_id", "due_date"), on="order_id")
    current = pack(milestones).join(due.select("vin", "due_date"), on="vin", how="left")
    store_plan_milestones(
        session, org_id, plan_id, milestones, current.with_columns(pl.lit(plan_id).alias("plan_id"))
    )
    refresh_etas(
        session,
        org_id,
        now=version.created_at,
        basis=f"plan {plan_id}",
        vins=current["vin"].to_list(),
        replanned=True,
    )
    return plan_id


def plan_and_store(session: Session, org_id: str, params: PlanParameters) -> tuple[str, PlanResult]:
    problem = problem_from_db(session, org_id, params)
    result = plan(problem)
    return store_plan(session, org_id, result, params, problem.network), result
