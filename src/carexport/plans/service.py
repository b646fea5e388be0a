"""Plan the organisation's orders from the database and store the plan as a new version."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid

import polars as pl
from sqlalchemy.orm import Session

from carexport.errors import CarexportError, NotFound
from carexport.network import service as network_service
from carexport.network.snapshot import NetworkSnapshot
from carexport.orders import service as orders_service
from carexport.planning.problem import PlanningProblem, PlanParameters, vehicles_from_orders
from carexport.planning.result import PlanResult
from carexport.planning.run import plan
from carexport.planning.solve import SolveOptions
from carexport.plans import repository
from carexport.plans.replan import Replan, merge, split
from carexport.plans.tables import PlanOrderRow, PlanVersionRow
from carexport.tracking import service as tracking_service
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
    tracking_service.lock_tracking_writes(session, org_id)
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
    """A fresh plan of every vehicle from its plant, stored as a new version."""
    problem = problem_from_db(session, org_id, params)
    result = plan(problem)
    return store_plan(session, org_id, result, params, problem.network), result


@dataclasses.dataclass(frozen=True)
class Replanning:
    """A re-plan read from the database: the problem of what is still to plan (vehicles
    where they are, departures' slots held by fixed legs reserved), and the split."""

    problem: PlanningProblem
    split: Replan
    previous_plan_id: str


def replanning(session: Session, org_id: str, params: PlanParameters) -> Replanning | None:
    """The re-plan from params.start of the organisation's current plan (None if it has
    none): fixed what has departed by then or by the vehicles' tracked statuses."""
    previous = repository.latest_version(session, org_id)
    if previous is None:
        return None
    problem = problem_from_db(session, org_id, params)
    found = split(
        problem.vehicles,
        repository.all_legs(session, org_id, previous.id),
        tracking_service.current_statuses(session, org_id),
        params.start,
        problem.network,
    )
    return Replanning(
        dataclasses.replace(problem, vehicles=found.vehicles, reserved=found.reserved),
        found,
        previous.id,
    )


def replan(
    replanning: Replanning, options: SolveOptions | None = None, *, warm_start: bool = True
) -> PlanResult:
    """Plan what is still to plan and merge it with the fixed legs into one whole plan
    (plans.replan.merge). warm_start: start the solver from the previous plan's legs still
    to go (by paths: they are the first columns). On by default, as measured
    (bench_planner, the quarter a week on): 13.4 s against 33.7 s cold; the optimum is
    the same."""
    started = time.perf_counter()
    previous = replanning.split.warm_legs if warm_start else None
    result = plan(replanning.problem, options, previous_legs=previous)
    merged = merge(replanning.split, result, replanning.problem.network)
    total = time.perf_counter() - started
    return dataclasses.replace(merged, runtime_s={**result.runtime_s, "total": total})


def replan_and_store(
    session: Session, org_id: str, params: PlanParameters
) -> tuple[str, PlanResult, Replanning]:
    """Re-plan the current plan (plans.replan) and store the whole plan as a new version;
    without a current plan there is nothing to re-plan (NotFound)."""
    found = replanning(session, org_id, params)
    if found is None:
        raise NotFound(
            f"organisation {org_id!r} has no stored plan to re-plan",
            hint="make one first: carexport plan --from-db --fresh --start DATE --out DIR",
        )
    result = replan(found)
    return store_replan(session, org_id, result, params, found), result, found


def store_replan(
    session: Session, org_id: str, result: PlanResult, params: PlanParameters, found: Replanning
) -> str:
    """Store a merged re-plan; its summary says what was fixed and what it re-planned."""
    plan_id = store_plan(session, org_id, result, params, found.problem.network)
    version = repository.get_version(session, org_id, plan_id)
    if version is not None:
        version.summary = {
            **version.summary,
            "replan": {"previous_plan_id": found.previous_plan_id, **found.split.summary()},
        }
    return plan_id


@dataclasses.dataclass(frozen=True)
class PlanVersionInfo:
    """What a stored plan version is: when it was made, how, and the days it covers."""

    id: str
    created_at: dt.datetime
    method: str
    status: str
    start_date: dt.date
    horizon_days: int

    @property
    def end_date(self) -> dt.date:
        """The last day of the plan's horizon."""
        return self.start_date + dt.timedelta(days=self.horizon_days - 1)


def latest_version(session: Session, org_id: str) -> PlanVersionInfo | None:
    """The organisation's current plan: the version stored last (None before any)."""
    row = repository.latest_version(session, org_id)
    if row is None:
        return None
    return PlanVersionInfo(
        row.id, row.created_at, row.method, row.status, row.start_date, row.horizon_days
    )


def lane_flows(session: Session, org_id: str, plan_id: str) -> pl.DataFrame:
    """Each lane's planned load over the plan: lane_id, departures (loaded ones), vehicles,
    slots and capacity_slots summed over its load lists (which are the plan's legs counted
    per departure)."""
    return repository.lane_flows(session, org_id, plan_id)


def lane_loads(session: Session, org_id: str, plan_id: str, lane_id: str) -> pl.DataFrame:
    """One lane's loaded departures in a plan: depart_date, vehicles, slots, capacity_slots,
    utilisation (slots / capacity) and shadow_price_usd_per_slot, by date."""
    columns = ["vehicles", "slots", "capacity_slots", "utilisation", "shadow_price_usd_per_slot"]
    return pl.DataFrame(
        [
            (r.depart_date, *(getattr(r, c) for c in columns))
            for r in repository.lane_loads(session, org_id, plan_id, lane_id)
        ],
        orient="row",
        schema={
            "depart_date": pl.Date,
            "vehicles": pl.Int64,
            **{c: pl.Float64 for c in columns[1:]},
        },
    )


def served_by_country(session: Session, org_id: str, plan_id: str) -> dict[str, int]:
    """Vehicles a plan carries (ordered less unserved) per destination country."""
    return repository.served_by_country(
        session, org_id, plan_id, orders_service.order_lines(org_id)
    )


LOAD_LIST_COLUMNS = {
    "lane_id": pl.String,
    "from_node": pl.String,
    "to_node": pl.String,
    "mode": pl.String,
    "depart_date": pl.Date,
    "vehicles": pl.Int64,
    "slots": pl.Float64,
    "capacity_slots": pl.Float64,
    "utilisation": pl.Float64,
    "shadow_price_usd_per_slot": pl.Float64,
}
DEPARTURE_VIN_COLUMNS = {
    "lane_id": pl.String,
    "depart_date": pl.Date,
    "order_id": pl.String,
    "vin": pl.String,
    "leg": pl.Int64,
    "from_node": pl.String,
    "to_node": pl.String,
    "mode": pl.String,
    "arrive_date": pl.Date,
}


def plan_versions(session: Session, org_id: str, limit: int = 20) -> list[PlanVersionRow]:
    """The organisation's stored plan versions, newest first."""
    return repository.recent_versions(session, org_id, limit)


def plan_version(session: Session, org_id: str, plan_id: str) -> PlanVersionRow | None:
    """One stored plan version with its parameters and summary (None if there is none)."""
    return repository.get_version(session, org_id, plan_id)


def load_lists(session: Session, org_id: str, plan_id: str) -> pl.DataFrame:
    """Every loaded departure of a plan, by date and lane, with the columns of the planner's
    load_lists.csv (LOAD_LIST_COLUMNS; utilisation = slots / capacity_slots)."""
    return pl.DataFrame(
        [
            tuple(getattr(r, c) for c in LOAD_LIST_COLUMNS)
            for r in repository.loads(session, org_id, plan_id)
        ],
        orient="row",
        schema=LOAD_LIST_COLUMNS,
    )


def problem_orders(session: Session, org_id: str, plan_id: str) -> list[PlanOrderRow]:
    """The plan's late or unserved orders with the planner's explanation, by order id."""
    return repository.problem_orders(session, org_id, plan_id)


def departure_vehicles(
    session: Session, org_id: str, plan_id: str, lane_id: str, depart_date: dt.date
) -> pl.DataFrame:
    """The VINs a plan loads on one departure (DEPARTURE_VIN_COLUMNS), by order and VIN."""
    return pl.DataFrame(
        [
            tuple(getattr(r, c) for c in DEPARTURE_VIN_COLUMNS)
            for r in repository.departure_legs(session, org_id, plan_id, lane_id, depart_date)
        ],
        orient="row",
        schema=DEPARTURE_VIN_COLUMNS,
    )


def record_baseline(session: Session, org_id: str, plan_id: str, baseline: PlanResult) -> None:
    """Keep the greedy baseline's summary in a stored plan's summary (key "baseline", as in
    the plan.json the CLI writes), so the plan can be shown against it later."""
    version = repository.get_version(session, org_id, plan_id)
    if version is None:
        raise NotFound(f"plan {plan_id!r} not found")
    version.summary = {**version.summary, "baseline": baseline.summary()}
