"""Plan: run the planner on the stored orders with its parameters (in a background thread
whose phase the page polls, web.plan_jobs), and read a stored plan back: its summary, the plan against
greedy, departure fill with shadow prices, late and unserved orders, and its load lists."""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from carexport.api.deps import OrgDep, SessionDep
from carexport.errors import NotFound
from carexport.network import service as network_service
from carexport.planning.problem import PlanParameters
from carexport.planning.result import COST_PARTS
from carexport.plans import service as plans_service
from carexport.plans.schemas import PlanRequest
from carexport.web.plan_jobs import PHASES, PlanAlreadyRunning, plan_jobs
from carexport.web.render import page

router = APIRouter()
LOG = logging.getLogger("carexport")

# ---------------------------------------------------------------------------------------
# The run form: checked at the edge, each problem shown beside its field.

FORM_DEFAULTS = {
    "start": "",
    "horizon_days": "120",
    "co2_price_usd_per_t": "0",
    "method": "optimal",
    "compare": "yes",
    "ready_bucket_days": "30",
    "lateness_usd_per_vehicle_day": "50",
    "unserved_usd_per_vehicle": "20000",
    "time_limit_s": "300",
}
FIELD_LABELS = {
    "start": "Start date",
    "horizon_days": "Horizon (days)",
    "co2_price_usd_per_t": "CO2 price (USD/t)",
    "method": "Method",
    "ready_bucket_days": "Ready-bucket days",
    "lateness_usd_per_vehicle_day": "Lateness (USD/vehicle-day)",
    "unserved_usd_per_vehicle": "Unserved (USD/vehicle)",
    "time_limit_s": "Solver time limit (s)",
}
FIELD_HINTS = {
    "start": "a date as YYYY-MM-DD, e.g. 2027-01-04",
    "horizon_days": "whole days from 1 to 730",
    "co2_price_usd_per_t": "USD per tonne of CO2e, 0 or more",
    "method": "optimal or greedy",
    "ready_bucket_days": "whole days from 1 to 365",
    "lateness_usd_per_vehicle_day": "USD per vehicle and day late, 0 or more",
    "unserved_usd_per_vehicle": "USD per vehicle not delivered, 0 or more",
    "time_limit_s": "seconds, more than 0 and at most 3600",
}
NUMBER_FIELDS = (
    "co2_price_usd_per_t",
    "lateness_usd_per_vehicle_day",
    "unserved_usd_per_vehicle",
    "time_limit_s",
)


def form_defaults(version: Any | None) -> dict[str, str]:
    """The form's starting values: those of the plan shown, else today and the defaults."""
    values = dict(FORM_DEFAULTS, start=dt.date.today().isoformat())
    if version is not None:
        stored = version.parameters
        for name in FORM_DEFAULTS:
            if name in stored and name != "compare":
                values[name] = _plain(stored[name])
    return values


def _plain(value: object) -> str:
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


def parse_form(
    form: Mapping[str, str],
) -> tuple[PlanParameters | None, bool, dict[str, str], dict[str, str]]:
    """(parameters or None, compare, the values as sent, field -> error)."""
    values = {name: str(form.get(name, "")).strip() for name in FORM_DEFAULTS}
    values["compare"] = "yes" if values["compare"] in ("yes", "on", "true", "1") else ""
    errors: dict[str, str] = {}
    if not values["start"]:
        errors["start"] = "The first day of the plan is required"
    given = {
        name: value
        for name, value in values.items()
        if value and name not in ("compare", "ready_bucket_days")
    }
    try:
        request = PlanRequest.model_validate(given)
    except ValidationError as error:
        request = None
        for item in error.errors():
            name = str(item["loc"][0]) if item.get("loc") else "start"
            errors.setdefault(name, str(item["msg"]))
    for name in NUMBER_FIELDS:
        if request is not None and not math.isfinite(getattr(request, name)):
            errors[name] = "Input should be a finite number"
    bucket = values["ready_bucket_days"] or FORM_DEFAULTS["ready_bucket_days"]
    try:
        ready_bucket_days = int(bucket)
        if not 1 <= ready_bucket_days <= 365:
            errors["ready_bucket_days"] = "Input should be between 1 and 365"
    except ValueError:
        errors["ready_bucket_days"] = "Input should be a valid integer"
    if errors or request is None:
        # In the form's order, so that the first one is the first to fix.
        order = [n for n in FORM_DEFAULTS if n in errors] + [
            n for n in errors if n not in FORM_DEFAULTS
        ]
        located = {
            name: f"{errors[name]} (expected {FIELD_HINTS[name]})"
            if name in FIELD_HINTS
            else errors[name]
            for name in order
        }
        return None, False, values, located
    params = PlanParameters(
        start=request.start,
        horizon_days=request.horizon_days,
        co2_price_usd_per_t=request.co2_price_usd_per_t,
        lateness_usd_per_vehicle_day=request.lateness_usd_per_vehicle_day,
        unserved_usd_per_vehicle=request.unserved_usd_per_vehicle,
        time_limit_s=request.time_limit_s,
        ready_bucket_days=ready_bucket_days,
        method=request.method,
    )
    return params, values["compare"] == "yes", values, errors


# ---------------------------------------------------------------------------------------
# A stored plan as the page shows it.

COST_LABELS = {
    "transport_usd": "transport",
    "storage_usd": "storage",
    "lateness_usd": "lateness",
    "co2_usd": "CO2 price",
    "unserved_usd": "unserved",
}
FILL_BANDS = (
    ("under 50%", 0.0, 0.5),
    ("50-80%", 0.5, 0.8),
    ("80-95%", 0.8, 0.95),
    ("95-99.5%", 0.95, 0.995),
    ("full (99.5%+)", 0.995, math.inf),
)
DepartureSort = Literal["fill", "shadow", "vehicles", "date"]
OrderKind = Literal["all", "late", "unserved"]
ORDERS_PER_PAGE = 50


def comparison(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Cost parts and outcomes of the plan beside its greedy baseline (when stored):
    label, plan, greedy, greedy - plan, and whether the figure is money."""
    baseline = summary.get("baseline")
    rows: list[dict[str, Any]] = []

    def add(label: str, mine: float | None, theirs: float | None, money: bool) -> None:
        rows.append(
            {
                "label": label,
                "plan": mine,
                "greedy": theirs,
                "difference": None if mine is None or theirs is None else theirs - mine,
                "money": money,
            }
        )

    for part in COST_PARTS:
        add(
            COST_LABELS[part] + " (USD)",
            summary.get(part),
            baseline.get(part) if baseline else None,
            True,
        )
    add(
        "total cost (USD)",
        summary.get("objective_usd"),
        baseline.get("objective_usd") if baseline else None,
        True,
    )
    for key in ("late", "unserved"):
        add(
            f"vehicles {key}",
            summary.get("vehicles", {}).get(key),
            baseline.get("vehicles", {}).get(key) if baseline else None,
            False,
        )
    add(
        "CO2e (t)",
        _tonnes(summary.get("co2e_kg")),
        _tonnes(baseline.get("co2e_kg")) if baseline else None,
        False,
    )
    return rows


def _tonnes(kg: float | None) -> float | None:
    return None if kg is None else round(kg / 1000.0, 1)


def cost_chart(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Bars of each cost part for the plan and (when stored) its greedy baseline."""
    baseline = summary.get("baseline")
    series = [(f"this plan ({summary.get('method', 'optimal')})", summary)]
    if baseline:
        series.append(("greedy", baseline))
    largest = max((abs(float(s.get(p) or 0.0)) for _, s in series for p in COST_PARTS), default=0.0)
    scale, unit = (
        (1e6, "USD m") if largest >= 1e6 else (1e3, "USD k") if largest >= 1e3 else (1, "USD")
    )
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [name for name, _ in series]},
        "grid": {"left": 64, "right": 16, "bottom": 40, "top": 40},
        "xAxis": {"type": "category", "data": [COST_LABELS[p] for p in COST_PARTS]},
        "yAxis": {"type": "value", "name": unit},
        "series": [
            {
                "name": name,
                "type": "bar",
                "data": [round(float(s.get(p) or 0.0) / scale, 3) for p in COST_PARTS],
            }
            for name, s in series
        ],
    }


def fill_bands(loads: pl.DataFrame) -> list[tuple[str, int]]:
    return [
        (
            label,
            loads.filter((pl.col("utilisation") >= low) & (pl.col("utilisation") < high)).height,
        )
        for label, low, high in FILL_BANDS
    ]


def fill_chart(bands: list[tuple[str, int]]) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 56, "right": 16, "bottom": 40, "top": 32},
        "xAxis": {"type": "category", "data": [label for label, _ in bands], "name": "fill"},
        "yAxis": {"type": "value", "name": "departures"},
        "series": [{"name": "departures", "type": "bar", "data": [n for _, n in bands]}],
    }


def busiest(loads: pl.DataFrame, sort: DepartureSort, limit: int) -> pl.DataFrame:
    """The departures to look at first: fullest (then dearest), dearest slot (then fullest),
    most vehicles, or by date."""
    keys = {
        "fill": (["utilisation", "shadow_price_usd_per_slot", "depart_date"], [True, True, False]),
        "shadow": (
            ["shadow_price_usd_per_slot", "utilisation", "depart_date"],
            [True, True, False],
        ),
        "vehicles": (["vehicles", "utilisation", "depart_date"], [True, True, False]),
        "date": (["depart_date"], [False]),
    }
    by, descending = keys[sort]
    return loads.sort([*by, "lane_id"], descending=[*descending, False]).head(limit)


def problem_rows(
    session: Session, org_id: str, plan_id: str, kind: OrderKind, offset: int
) -> dict[str, Any]:
    """One page of late and unserved orders (unserved first, then the latest), and counts."""
    rows = plans_service.problem_orders(session, org_id, plan_id)
    counts = {
        "all": len(rows),
        "late": sum(1 for r in rows if r.days_late > 0),
        "unserved": sum(1 for r in rows if r.unserved > 0),
    }
    chosen = [
        r
        for r in rows
        if kind == "all"
        or (kind == "late" and r.days_late > 0)
        or (kind == "unserved" and r.unserved > 0)
    ]
    chosen.sort(key=lambda r: (-r.unserved, -r.days_late, r.order_id))
    return {
        "orders": chosen[offset : offset + ORDERS_PER_PAGE],
        "orders_total": len(chosen),
        "order_counts": counts,
        "kind": kind,
        "offset": offset,
        "per_page": ORDERS_PER_PAGE,
    }


def result_context(
    session: Session,
    org_id: str,
    version: Any | None,
    versions: list[Any],
    *,
    sort: DepartureSort = "fill",
    limit: int = 25,
    kind: OrderKind = "all",
    offset: int = 0,
) -> dict[str, Any]:
    if version is None:
        return {"version": None, "versions": versions}
    summary = version.summary
    loads = plans_service.load_lists(session, org_id, version.id)
    bands = fill_bands(loads)
    return {
        "version": version,
        "versions": versions,
        "summary": summary,
        "vehicles": summary.get("vehicles", {}),
        "baseline": summary.get("baseline"),
        "comparison": comparison(summary),
        "cost_chart": cost_chart(summary),
        "departures": busiest(loads, sort, limit).to_dicts(),
        "departures_total": loads.height,
        "departures_full": bands[-1][1],
        "departures_priced": loads.filter(pl.col("shadow_price_usd_per_slot") > 0).height,
        "fill_chart": fill_chart(bands) if loads.height else None,
        "sort": sort,
        "limit": limit,
        **problem_rows(session, org_id, version.id, kind, offset),
    }


def _version(session: Session, org_id: str, plan_id: str) -> Any:
    version = plans_service.plan_version(session, org_id, plan_id)
    if version is None:
        raise NotFound(
            f"plan {plan_id!r} not found for organisation {org_id!r}",
            hint="pick a stored plan on the Plan page, or run one",
        )
    return version


# ---------------------------------------------------------------------------------------
# Routes.

Limit = Annotated[int, Query(ge=1, le=2000, description="Departures shown")]
Offset = Annotated[int, Query(ge=0, description="First late or unserved order shown")]


def _shown_version(session: Session, org_id: str, plan_id: str | None) -> tuple[Any, list[Any]]:
    """The plan to show (the one asked for, else the newest) and the newest versions."""
    versions = plans_service.plan_versions(session, org_id)
    if plan_id:
        return _version(session, org_id, plan_id), versions
    return (versions[0] if versions else None), versions


@router.get("/ui/plan", response_class=HTMLResponse)
def plan_page(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    plan_id: Annotated[str | None, Query(max_length=64)] = None,
    sort: DepartureSort = "fill",
    limit: Limit = 25,
    kind: OrderKind = "all",
    offset: Offset = 0,
) -> HTMLResponse:
    version, versions = _shown_version(session, org_id, plan_id)
    return page(
        request,
        "plan.html",
        active="plan",
        title="Shipment plan",
        org_id=org_id,
        has_network=network_service.has_network(session, org_id),
        values=form_defaults(version),
        errors={},
        labels=FIELD_LABELS,
        job=plan_jobs(request.app).running(org_id),
        notice=None,
        phase_text=PHASES,
        **result_context(
            session,
            org_id,
            version,
            versions,
            sort=sort,
            limit=limit,
            kind=kind,
            offset=offset,
        ),
    )


FormText = Annotated[str, Form()]


@router.post("/ui/plan/run", response_class=HTMLResponse)
def run_plan(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    start: FormText = "",
    horizon_days: FormText = "",
    co2_price_usd_per_t: FormText = "",
    method: FormText = "",
    compare: FormText = "",
    ready_bucket_days: FormText = "",
    lateness_usd_per_vehicle_day: FormText = "",
    unserved_usd_per_vehicle: FormText = "",
    time_limit_s: FormText = "",
) -> HTMLResponse:
    """Check the form and start a plan run; answers the run section (form and progress):
    202 started, 422 with each field's problem beside it, 409 when one is running."""
    params, compare_greedy, values, errors = parse_form(
        {
            "start": start,
            "horizon_days": horizon_days,
            "co2_price_usd_per_t": co2_price_usd_per_t,
            "method": method,
            "compare": compare,
            "ready_bucket_days": ready_bucket_days,
            "lateness_usd_per_vehicle_day": lateness_usd_per_vehicle_day,
            "unserved_usd_per_vehicle": unserved_usd_per_vehicle,
            "time_limit_s": time_limit_s,
        }
    )
    jobs = plan_jobs(request.app)
    notice: PlanAlreadyRunning | None = None
    if params is None:
        job, status = jobs.running(org_id), 422
    else:
        versions = plans_service.plan_versions(session, org_id, limit=1)
        last = versions[0].summary.get("runtime_s", {}).get("total") if versions else None
        try:
            job = jobs.start(request.app.state.engine, org_id, params, compare_greedy, last)
            status = 202
        except PlanAlreadyRunning as running:
            job, notice, status = running.job, running, 409
    context: dict[str, Any] = {
        "org_id": org_id,
        "values": values,
        "errors": errors,
        "labels": FIELD_LABELS,
        "job": job,
        "notice": notice,
        "phase_text": PHASES,
        "has_network": True,
    }
    if request.headers.get("HX-Request"):
        return page(
            request,
            "fragments/plan_run.html",
            active="plan",
            title="Run a plan",
            status_code=status,
            **context,
        )
    # Without HTMX: the whole page, with the run section as answered.
    version, versions = _shown_version(session, org_id, None)
    context["has_network"] = network_service.has_network(session, org_id)
    context.update(result_context(session, org_id, version, versions))
    return page(
        request, "plan.html", active="plan", title="Shipment plan", status_code=status, **context
    )


@router.get("/ui/plan/jobs/{job_id}", response_class=HTMLResponse)
def job_status(request: Request, job_id: str, org_id: OrgDep) -> HTMLResponse:
    """A plan run's progress (polled every second while it runs), then its outcome."""
    job = plan_jobs(request.app).get(org_id, job_id)
    if job is None:
        raise NotFound(
            f"plan run {job_id!r} is not known",
            hint="the server may have restarted since it began; the stored plans are below, "
            "run it again if it is not among them",
        )
    return page(
        request,
        "fragments/plan_job.html",
        active="plan",
        title="Plan run",
        org_id=org_id,
        job=job,
        notice=None,
        phase_text=PHASES,
    )


@router.get("/ui/plan/{plan_id}/result", response_class=HTMLResponse)
def plan_result(
    request: Request, plan_id: str, session: SessionDep, org_id: OrgDep
) -> HTMLResponse:
    return page(
        request,
        "fragments/plan_result.html",
        active="plan",
        title="Plan",
        org_id=org_id,
        **result_context(
            session,
            org_id,
            _version(session, org_id, plan_id),
            plans_service.plan_versions(session, org_id),
        ),
    )


@router.get("/ui/plan/{plan_id}/departures", response_class=HTMLResponse)
def plan_departures(
    request: Request,
    plan_id: str,
    session: SessionDep,
    org_id: OrgDep,
    sort: DepartureSort = "fill",
    limit: Limit = 25,
) -> HTMLResponse:
    version = _version(session, org_id, plan_id)
    loads = plans_service.load_lists(session, org_id, plan_id)
    return page(
        request,
        "fragments/plan_departures.html",
        active="plan",
        title="Departure fill",
        org_id=org_id,
        version=version,
        departures=busiest(loads, sort, limit).to_dicts(),
        departures_total=loads.height,
        sort=sort,
        limit=limit,
    )


@router.get("/ui/plan/{plan_id}/orders", response_class=HTMLResponse)
def plan_orders(
    request: Request,
    plan_id: str,
    session: SessionDep,
    org_id: OrgDep,
    kind: OrderKind = "all",
    offset: Offset = 0,
) -> HTMLResponse:
    version = _version(session, org_id, plan_id)
    return page(
        request,
        "fragments/plan_orders.html",
        active="plan",
        title="Late and unserved orders",
        org_id=org_id,
        version=version,
        **problem_rows(session, org_id, plan_id, kind, offset),
    )


def _file_name(version: Any, what: str, suffix: str) -> str:
    return f"carexport-plan-{version.start_date}-{version.id[:8]}-{what}.{suffix}"


def _download(frame: pl.DataFrame, name: str, fmt: Literal["csv", "xlsx"], sheet: str) -> Response:
    if fmt == "csv":
        return Response(
            frame.write_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    buffer = io.BytesIO()
    formats = {"utilisation": "0.0%"} if "utilisation" in frame.columns else {}
    frame.write_excel(
        buffer,
        worksheet=sheet,
        autofit=True,
        freeze_panes=(1, 0),
        column_formats=formats,  # type: ignore[arg-type]
        dtype_formats={pl.Date: "yyyy-mm-dd"},
    )
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _load_lists(
    session: Session, org_id: str, plan_id: str, fmt: Literal["csv", "xlsx"]
) -> Response:
    version = _version(session, org_id, plan_id)
    frame = plans_service.load_lists(session, org_id, plan_id)
    return _download(frame, _file_name(version, "load_lists", fmt), fmt, "load lists")


@router.get("/ui/plan/{plan_id}/load_lists.csv")
def load_lists_csv(plan_id: str, session: SessionDep, org_id: OrgDep) -> Response:
    """Every loaded departure of the plan, as the planner's load_lists.csv."""
    return _load_lists(session, org_id, plan_id, "csv")


@router.get("/ui/plan/{plan_id}/load_lists.xlsx")
def load_lists_xlsx(plan_id: str, session: SessionDep, org_id: OrgDep) -> Response:
    """Every loaded departure of the plan, as an Excel sheet."""
    return _load_lists(session, org_id, plan_id, "xlsx")


@router.get("/ui/plan/{plan_id}/departure.{fmt}")
def departure_list(
    plan_id: str,
    fmt: Literal["csv", "xlsx"],
    session: SessionDep,
    org_id: OrgDep,
    lane_id: Annotated[str, Query(min_length=1, max_length=64)],
    depart_date: dt.date,
) -> Response:
    """The VINs the plan loads on one departure (its load list for the carrier)."""
    version = _version(session, org_id, plan_id)
    frame = plans_service.departure_vehicles(session, org_id, plan_id, lane_id, depart_date)
    if frame.is_empty():
        raise NotFound(
            f"plan {plan_id[:8]} loads nothing on {lane_id} departing {depart_date}",
            hint="pick a departure from the plan's departure table",
        )
    name = _file_name(version, f"{lane_id}-{depart_date}", fmt)
    return _download(frame, name, fmt, "load list")
