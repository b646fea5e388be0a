"""Tracking: find a vehicle and see its itinerary planned against actual with its ETA; the
exceptions a control tower acts on, filtered by kind, market and lane and paged; the
finished-vehicle KPIs by month and by lane.

Exceptions and KPIs are computed over every tracked vehicle (seconds on the demo's 50k),
so the page loads them as fragments and keeps each per organisation while the tracking
data, the parameters and ten minutes hold (see ViewCache)."""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar, cast
from urllib.parse import urlencode

import polars as pl
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BeforeValidator, Field
from sqlalchemy.orm import Session

from carexport.api.deps import OrgDep, SessionDep
from carexport.errors import CarexportError, InvalidInput, NotFound, Problem
from carexport.kpi import service as kpi_service
from carexport.network import service as network_service
from carexport.network.snapshot import NetworkSnapshot
from carexport.orders import service as orders_service
from carexport.tracking import service as tracking_service
from carexport.tracking.exceptions import KINDS
from carexport.web.render import page

router = APIRouter()

PAGE_SIZE = 50
SEARCH_LIMIT = 20
CACHE_SECONDS = 600.0
# The statuses' counts and the network, read once for a page and the fragments it loads.
SHARED_SECONDS = 5.0
VIN_QUERY = re.compile(r"^[A-Z0-9#_-]{1,40}$")
# The KPIs of kpi.fvl a chart can show: column -> (label, unit).
FVL_KPIS: dict[str, tuple[str, str]] = {
    "lead_time_achievement_pct": ("Lead-time achievement", "%"),
    "shipping_lead_time_d": ("Shipping lead time", "days"),
    "time_to_port_d": ("Time to port", "days"),
    "port_dwell_d": ("Port dwell", "days"),
    "dealer_delivery_d": ("Dealer delivery", "days"),
    "plant_evacuation_h": ("Plant evacuation", "hours"),
    "damage_per_1000": ("Damage", "per 1,000 vehicles"),
    "reporting_completeness_pct": ("Reporting completeness", "%"),
    "reporting_timeliness_pct": ("Reporting timeliness", "%"),
}
KIND_LABELS = {
    "late": "late: ETA after the due date",
    "hold": "on hold",
    "damage": "damage reported",
    "sequence": "events out of order",
    "dwell": "dwelling at a node",
    "overdue": "milestone overdue",
}

T = TypeVar("T")


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    key: object = None
    value: object = None
    stored_at: float = -math.inf


class ViewCache:
    """Views derived from the whole tracking store, one per organisation and view, kept
    while their key (the tracking fingerprint and the parameters) holds and for at most
    CACHE_SECONDS (orders edited in place do not show in the fingerprint). A request that
    finds the view being computed waits for it instead of computing it again."""

    def __init__(self) -> None:
        self._slots: dict[tuple[str, str], _Slot] = {}
        self._guard = threading.Lock()

    def get(
        self,
        org_id: str,
        view: str,
        key: object,
        compute: Callable[[], T],
        *,
        seconds: float = CACHE_SECONDS,
    ) -> T:
        with self._guard:
            slot = self._slots.setdefault((org_id, view), _Slot())
        with slot.lock:
            fresh = time.monotonic() - slot.stored_at < seconds
            if slot.key != key or not fresh:
                slot.value, slot.key = compute(), key
                slot.stored_at = time.monotonic()
            return cast(T, slot.value)


_CACHE_GUARD = threading.Lock()


def view_cache(request: Request) -> ViewCache:
    """The app's cache of tracking views (made on first use)."""
    with _CACHE_GUARD:
        cache = getattr(request.app.state, "tracking_views", None)
        if cache is None:
            cache = request.app.state.tracking_views = ViewCache()
    return cast(ViewCache, cache)


# -- formatting -----------------------------------------------------------------------------


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def when(value: dt.datetime | dt.date | None) -> str:
    """2027-02-10 10:54 (UTC), a date as it is, or a dash."""
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        return f"{_utc(value):%Y-%m-%d %H:%M}"
    return value.isoformat()


def delay_text(hours: float | None) -> str:
    """+11 h, +2.5 d, -3 h (early), or a dash."""
    if hours is None or math.isnan(hours):
        return "–"
    sign = "+" if hours >= 0 else "−"
    size = abs(hours)
    return f"{sign}{size:.0f} h" if size < 48 else f"{sign}{size / 24:.1f} d"


def delay_class(hours: float | None) -> str:
    if hours is None or math.isnan(hours):
        return ""
    return "late" if hours > 24 else "ok"


def _clean(value: object) -> object:
    """NaN (a KPI of no vehicle: 0 / 0) as None, so that it is a dash and valid JSON."""
    return None if isinstance(value, float) and math.isnan(value) else value


# -- the as-of time --------------------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    at: dt.datetime
    chosen: bool
    note: str


def judged_at(as_of: dt.date | None, latest_event: dt.datetime | None) -> Judged:
    """When exceptions and KPIs are judged: the date chosen (00:00 UTC, as the CLI's
    --as-of), else now (to five minutes, so that views can be kept), except when the
    tracked events run more than a day past now (a simulated future, as the demo's): then
    the day after the latest event, so that the page shows what the data holds."""
    if as_of is not None:
        return Judged(dt.datetime.combine(as_of, dt.time(), dt.UTC), True, "")
    now = dt.datetime.now(dt.UTC)
    if latest_event is not None and latest_event > now + dt.timedelta(days=1):
        day = latest_event.date() + dt.timedelta(days=1)
        return Judged(
            dt.datetime.combine(day, dt.time(), dt.UTC),
            False,
            f"The tracked events run to {when(latest_event)} UTC, after today: "
            f"exceptions and KPIs are judged as of {day}, the day after the latest event.",
        )
    return Judged(
        now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0), False, ""
    )


# -- the page ---------------------------------------------------------------------------------


def _problem(what: str, field_name: str, value: str, message: str, hint: str) -> InvalidInput:
    return InvalidInput(what, [Problem("request", None, field_name, value[:80], message, hint)])


def _snapshot(request: Request, session: Session, org_id: str) -> NetworkSnapshot | None:
    """The organisation's network (None without one), shared for SHARED_SECONDS."""

    def read() -> NetworkSnapshot | None:
        if not network_service.has_network(session, org_id):
            return None
        return network_service.snapshot_of(session, org_id)

    return view_cache(request).get(org_id, "network", None, read, seconds=SHARED_SECONDS)


def _state(request: Request, session: Session, org_id: str) -> tracking_service.TrackingState:
    """Vehicles by status and the tracking fingerprint, shared for SHARED_SECONDS."""
    return view_cache(request).get(
        org_id,
        "state",
        None,
        lambda: tracking_service.tracking_state(session, org_id),
        seconds=SHARED_SECONDS,
    )


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    market: str | None = None
    lane: str | None = None
    dwell_days: float = 7.0
    overdue_hours: float = 24.0

    def query(self, **extra: object) -> str:
        params = {
            "kind": self.kind,
            "market": self.market,
            "lane": self.lane,
            "dwell_days": None if self.dwell_days == 7.0 else f"{self.dwell_days:g}",
            "overdue_hours": None if self.overdue_hours == 24.0 else f"{self.overdue_hours:g}",
            **extra,
        }
        return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def parse_filters(
    snapshot: NetworkSnapshot | None,
    kind: str | None,
    market: str | None,
    lane: str | None,
    dwell_days: float | None,
    overdue_hours: float | None,
) -> Filters:
    """The exception filters, checked: every bad value is named with what would fix it."""
    problems: list[Problem] = []
    kind = (kind or "").strip().lower() or None
    market = (market or "").strip().upper() or None
    lane = (lane or "").strip().upper() or None
    if kind is not None and kind not in KINDS:
        problems.append(
            Problem(
                "request",
                None,
                "kind",
                kind[:80],
                "unknown exception kind",
                "use one of " + ", ".join(KINDS),
            )
        )
    if market is not None and (
        not re.fullmatch(r"[A-Z]{2}", market)
        or (snapshot is not None and market not in snapshot.markets)
    ):
        problems.append(
            Problem(
                "request",
                None,
                "market",
                market[:80],
                "not a market of the network",
                "use a market's ISO country code, e.g. "
                + ", ".join(sorted(snapshot.markets)[:6] if snapshot else ["DE", "RU"]),
            )
        )
    if lane is not None and (snapshot is None or lane not in snapshot.lanes):
        problems.append(
            Problem(
                "request",
                None,
                "lane",
                lane[:80],
                "not a lane of the network",
                "pick a lane from the list (lane ids as in lanes.csv)",
            )
        )
    if problems:
        raise InvalidInput("the exception filters", problems)
    return Filters(
        kind,
        market,
        lane,
        7.0 if dwell_days is None else dwell_days,
        24.0 if overdue_hours is None else overdue_hours,
    )


# A form's empty field means the default, not a value that does not parse.
Blank = BeforeValidator(lambda v: None if isinstance(v, str) and not v.strip() else v)
AsOf = Annotated[dt.date | None, Blank, Query(description="Judge as of this date (00:00 UTC)")]
Dwell = Annotated[
    Annotated[float, Field(gt=0, le=365)] | None,
    Blank,
    Query(description="Days without movement at a node (default 7)"),
]
Overdue = Annotated[
    Annotated[float, Field(gt=0, le=2400)] | None,
    Blank,
    Query(description="Hours past a planned milestone (default 24)"),
]


@router.get("/ui/tracking", response_class=HTMLResponse)
def tracking(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    vin: str | None = None,
    as_of: AsOf = None,
    kind: str | None = None,
    market: str | None = None,
    lane: str | None = None,
    dwell_days: Dwell = None,
    overdue_hours: Overdue = None,
    kpi: str = "lead_time_achievement_pct",
) -> HTMLResponse:
    snapshot = _snapshot(request, session, org_id)
    filters = parse_filters(snapshot, kind, market, lane, dwell_days, overdue_hours)
    kpi = _kpi(kpi)
    state = _state(request, session, org_id)
    judged = judged_at(as_of, state.latest_event_at)
    vehicle: dict[str, Any] = {}
    status_code = 200
    if vin and vin.strip():
        try:
            vehicle = _vehicle_context(session, org_id, vin, snapshot)
        except CarexportError as error:  # shown where the answer would be, as a 4xx page
            status_code = error.status_code
            vehicle = {
                "error": error,
                "problems": error.problems if isinstance(error, InvalidInput) else [],
            }
    cards = {c.status: c for c in state.counts}
    as_of_param = as_of.isoformat() if as_of else None
    return page(
        request,
        "tracking.html",
        active="tracking",
        title="Tracking: where every vehicle is and what needs attention",
        status_code=status_code,
        org_id=org_id,
        state=state,
        cards=cards,
        late=sum(c.late for c in state.counts),
        on_hold=sum(c.on_hold for c in state.counts),
        damaged=sum(c.damaged for c in state.counts),
        has_network=snapshot is not None,
        markets=sorted(snapshot.markets.values(), key=lambda m: m.name) if snapshot else [],
        lanes=sorted(snapshot.lanes) if snapshot else [],
        kinds=[(k, KIND_LABELS[k]) for k in KINDS],
        kpis=FVL_KPIS,
        kpi=kpi,
        filters=filters,
        vin=(vin or "").strip(),
        as_of=as_of_param,
        judged=judged,
        judged_text=when(judged.at),
        exceptions_url="/ui/tracking/exceptions?" + filters.query(as_of=as_of_param),
        fvl_url="/ui/tracking/fvl?"
        + urlencode({"kpi": kpi, **({"as_of": as_of_param} if as_of_param else {})}),
        **vehicle,
    )


# -- one vehicle ----------------------------------------------------------------------------


def _vin_query(vin: str) -> str:
    wanted = vin.strip().upper().replace(" ", "")
    if not VIN_QUERY.fullmatch(wanted):
        raise _problem(
            "the VIN search",
            "vin",
            vin,
            "not a VIN or the start of one",
            "a VIN has 17 letters and digits (no I, O or Q); type it, or its first characters "
            "to list the tracked vehicles that start with them",
        )
    return wanted


def _vehicle_context(
    session: Session, org_id: str, vin: str, snapshot: NetworkSnapshot | None
) -> dict[str, Any]:
    """What the vehicle fragment shows: the vehicle of an exact VIN, else the list of
    those whose VIN starts with the query (a list even of one)."""
    wanted = _vin_query(vin)
    found = tracking_service.vehicle_itinerary(session.connection(), org_id, wanted)
    if found is not None:
        return {"detail": _detail(session, org_id, found, snapshot)}
    total, rows = tracking_service.find_vehicles(session, org_id, wanted, limit=SEARCH_LIMIT)
    if total == 0:
        raise NotFound(
            f"no tracked vehicle has a VIN starting with {wanted}",
            hint="check the VIN; a vehicle is tracked from its first event (POST /events "
            "or carexport events import)",
        )
    return {
        "matches": [
            {
                "vin": r.vin,
                "status": r.status,
                "location": r.location,
                "eta": when(r.eta),
                "days_late": r.days_late,
            }
            for r in rows
        ],
        "match_total": total,
        "prefix": wanted,
    }


def _detail(
    session: Session,
    org_id: str,
    found: tracking_service.VehicleItinerary,
    snapshot: NetworkSnapshot | None,
) -> dict[str, Any]:
    status = found.status
    nodes = snapshot.nodes if snapshot else {}
    lanes = snapshot.lanes if snapshot else {}
    dims = orders_service.vin_dimensions(session, org_id, [status["vin"]]).row(0, named=True)
    market: str | None = dims.get("market")
    known = snapshot.markets.get(market or "") if snapshot else None
    market_name = known.name if known else None
    milestones = []
    for seq, m in enumerate(found.itinerary, start=1):
        node = nodes.get(m.node or "")
        lane = lanes.get(m.lane_id or "")
        milestones.append(
            {
                "seq": seq,
                "code": m.code,
                "node": m.node,
                "node_name": node.name if node else None,
                "lane": m.lane_id,
                "mode": lane.mode.value if lane else None,
                "planned": when(m.planned_at),
                "actual": when(m.actual_at),
                "delay": delay_text(m.delay_hours),
                "delay_class": delay_class(m.delay_hours),
                "state": "done"
                if m.actual_at is not None
                else ("next" if m is found.next_milestone else "pending"),
            }
        )
    upcoming = found.next_milestone
    upcoming_node = nodes.get(upcoming.node or "") if upcoming else None
    location = nodes.get(status["location"] or "")
    return {
        "vin": status["vin"],
        "status": status["status"],
        "location": status["location"],
        "location_name": location.name if location else None,
        "last_code": status["last_code"],
        "last_event_time": when(status["last_event_time"]),
        "events": status["events"],
        "eta": when(status["eta"]),
        "eta_p90": when(status["eta_p90"]),
        "due_date": when(status["due_date"]),
        "days_late": status["days_late"],
        "delay": delay_text(status["delay_hours"]),
        "delay_class": delay_class(status["delay_hours"]),
        "delivered_at": when(status["delivered_at"]) if status["delivered_at"] else None,
        "on_hold": status["on_hold"],
        "damaged": status["damaged"],
        "sequence_violations": status["sequence_violations"],
        "plan_id": status["plan_id"],
        "brand": dims.get("brand"),
        "market": market,
        "market_name": market_name,
        "next": None
        if upcoming is None
        else {
            "code": upcoming.code,
            "node": upcoming.node,
            "node_name": upcoming_node.name if upcoming_node else None,
            "planned": when(upcoming.planned_at),
        },
        "milestones": milestones,
        "reported": [
            {"code": code, "node": node, "time": when(at)} for code, node, at in found.events
        ],
    }


@router.get("/ui/tracking/vehicle", response_class=HTMLResponse)
def vehicle_fragment(
    request: Request, session: SessionDep, org_id: OrgDep, vin: str = ""
) -> HTMLResponse:
    """One vehicle's itinerary, or the tracked vehicles whose VIN starts with vin."""
    if not vin.strip():
        return page(
            request, "fragments/tracking_vehicle.html", active="tracking", title="", prompt=True
        )
    context = _vehicle_context(session, org_id, vin, _snapshot(request, session, org_id))
    return page(request, "fragments/tracking_vehicle.html", active="tracking", title="", **context)


# -- exceptions -----------------------------------------------------------------------------


def _exceptions(
    request: Request,
    session: SessionDep,
    org_id: str,
    filters: Filters,
    as_of: dt.date | None,
) -> tuple[pl.DataFrame, Judged, tracking_service.TrackingState]:
    """Every exception (tracking.service.exceptions), kept; with its context (brand,
    market, lanes: tracking.service.in_context) when the market or lane filter needs it
    for every one, else without (the caller adds it to the rows it shows)."""
    state = _state(request, session, org_id)
    judged = judged_at(as_of, state.latest_event_at)
    key = (state.fingerprint, judged.at, filters.dwell_days, filters.overdue_hours)
    cache = view_cache(request)
    found = cache.get(
        org_id,
        "exceptions",
        key,
        lambda: tracking_service.exceptions(
            session,
            org_id,
            now=judged.at,
            dwell_days=filters.dwell_days,
            overdue_hours=filters.overdue_hours,
        ),
    )
    if filters.market or filters.lane:
        found = cache.get(
            org_id,
            "exceptions in context",
            key,
            lambda: tracking_service.in_context(session, org_id, found),
        )
    return found, judged, state


def filter_exceptions(frame: pl.DataFrame, filters: Filters) -> tuple[pl.DataFrame, dict[str, int]]:
    """The exceptions matching the filters, and how many of each kind match the market
    and lane filters (whatever the kind filter); frame has market and lanes when those
    filters are set."""
    if filters.market:
        frame = frame.filter(pl.col("market") == filters.market)
    if filters.lane:
        frame = frame.filter(pl.col("lanes").list.contains(filters.lane))
    by_kind = dict(frame.group_by("kind").len().iter_rows())
    if filters.kind:
        frame = frame.filter(pl.col("kind") == filters.kind)
    return frame, {k: int(by_kind.get(k, 0)) for k in KINDS}


def _shown(session: Session, org_id: str, rows: pl.DataFrame) -> pl.DataFrame:
    """rows with their context, read now if the cached exceptions do not carry it."""
    return rows if "lanes" in rows.columns else tracking_service.in_context(session, org_id, rows)


@router.get("/ui/tracking/exceptions", response_class=HTMLResponse)
def exceptions_fragment(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    kind: str | None = None,
    market: str | None = None,
    lane: str | None = None,
    as_of: AsOf = None,
    dwell_days: Dwell = None,
    overdue_hours: Overdue = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    part: str = "rows",
) -> HTMLResponse:
    """The exceptions that match, a page of them and the counts by kind; part=section
    gives the filter form with them (a chart's click on a lane loads that)."""
    snapshot = _snapshot(request, session, org_id)
    filters = parse_filters(snapshot, kind, market, lane, dwell_days, overdue_hours)
    frame, judged, state = _exceptions(request, session, org_id, filters, as_of)
    matching, by_kind = filter_exceptions(frame, filters)
    pages = max(1, math.ceil(matching.height / PAGE_SIZE))
    current = min(page_number, pages)
    rows = _shown(session, org_id, matching.slice((current - 1) * PAGE_SIZE, PAGE_SIZE))
    markets = snapshot.markets if snapshot else {}
    as_of_param = as_of.isoformat() if as_of else None
    return page(
        request,
        "fragments/tracking_exceptions.html",
        active="tracking",
        title="",
        section=part == "section",
        tracked=state.vehicles,
        total=frame.height,
        matching=matching.height,
        by_kind=by_kind,
        kinds=[(k, KIND_LABELS[k]) for k in KINDS],
        kind_labels=KIND_LABELS,
        filters=filters,
        judged_text=when(judged.at),
        rows=[
            {
                **r,
                "since": when(r["since"]),
                "market_name": markets[r["market"]].name if r["market"] in markets else None,
                "lanes": list(r["lanes"]),
            }
            for r in rows.iter_rows(named=True)
        ],
        first=(current - 1) * PAGE_SIZE + 1,
        last=(current - 1) * PAGE_SIZE + rows.height,
        page=current,
        pages=pages,
        as_of=as_of_param,
        markets=sorted(markets.values(), key=lambda m: m.name),
        lanes=sorted(snapshot.lanes) if snapshot else [],
        csv_url="/ui/tracking/exceptions.csv?" + filters.query(as_of=as_of_param),
    )


@router.get("/ui/tracking/exceptions.csv")
def exceptions_csv(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    kind: str | None = None,
    market: str | None = None,
    lane: str | None = None,
    as_of: AsOf = None,
    dwell_days: Dwell = None,
    overdue_hours: Overdue = None,
) -> Response:
    """Every exception that matches the filters, as CSV (lanes separated by ;)."""
    filters = parse_filters(
        _snapshot(request, session, org_id), kind, market, lane, dwell_days, overdue_hours
    )
    frame, judged, _ = _exceptions(request, session, org_id, filters, as_of)
    matching, _ = filter_exceptions(frame, filters)
    body = (
        _shown(session, org_id, matching).with_columns(pl.col("lanes").list.join(";")).write_csv()
    )
    name = f"exceptions-{judged.at:%Y%m%d}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- finished-vehicle KPIs ------------------------------------------------------------------


def _kpi(kpi: str) -> str:
    if kpi not in FVL_KPIS:
        raise _problem(
            "the KPI chart",
            "kpi",
            kpi,
            "not a KPI the charts show",
            "use one of " + ", ".join(FVL_KPIS),
        )
    return kpi


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in r.items()} for r in frame.iter_rows(named=True)]


def month_chart(rows: list[dict[str, Any]], kpi: str) -> dict[str, Any]:
    """Bars of a KPI per month of release, and a line of the vehicles tracked."""
    label, unit = FVL_KPIS[kpi]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [f"{label} ({unit})", "vehicles tracked"], "top": 0},
        "grid": {"left": 56, "right": 64, "bottom": 40, "top": 40},
        "xAxis": {"type": "category", "data": [r["month"] or "not released" for r in rows]},
        "yAxis": [
            {"type": "value", "name": unit},
            {"type": "value", "name": "vehicles", "splitLine": {"show": False}},
        ],
        "series": [
            {"name": f"{label} ({unit})", "type": "bar", "data": [r[kpi] for r in rows]},
            {
                "name": "vehicles tracked",
                "type": "line",
                "yAxisIndex": 1,
                "data": [r["vehicles_tracked"] for r in rows],
            },
        ],
    }


def lane_chart(rows: list[dict[str, Any]], kpi: str) -> dict[str, Any]:
    """Horizontal bars of a KPI per lane of the port-of-exit departure, best first; a
    bar's key is its lane, so a click lists that lane's exceptions."""
    label, unit = FVL_KPIS[kpi]
    shown = sorted(
        (r for r in rows if r["lane"] is not None and r[kpi] is not None),
        key=lambda r: r[kpi],
    )
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 8, "right": 32, "top": 28, "bottom": 24, "containLabel": True},
        "xAxis": {"type": "value", "name": unit, "nameLocation": "end"},
        "yAxis": {
            "type": "category",
            "data": [r["lane"] for r in shown],
            "axisLabel": {"width": 210, "overflow": "truncate", "fontSize": 11},
        },
        "series": [
            {
                "name": f"{label} ({unit})",
                "type": "bar",
                "data": [{"value": r[kpi], "key": r["lane"]} for r in shown],
            }
        ],
        "media": [
            {
                "query": {"maxWidth": 500},
                "option": {"yAxis": {"axisLabel": {"width": 110, "fontSize": 10}}},
            }
        ],
    }


@router.get("/ui/tracking/fvl", response_class=HTMLResponse)
def fvl_fragment(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    as_of: AsOf = None,
    kpi: str = "lead_time_achievement_pct",
) -> HTMLResponse:
    """The finished-vehicle KPIs: all vehicles, by month of release and by lane, with a
    chart of one KPI each way."""
    kpi = _kpi(kpi)
    state = _state(request, session, org_id)
    judged = judged_at(as_of, state.latest_event_at)
    context: dict[str, Any] = {"tracked": state.vehicles, "judged_text": when(judged.at)}
    if state.vehicles:
        views = view_cache(request).get(
            org_id,
            "fvl",
            (state.fingerprint, judged.at),
            lambda: kpi_service.fvl_views(
                session, org_id, ("none", "month", "lane"), as_of=judged.at
            ),
        )
        overall, months, lanes = (_rows(views[g]) for g in ("none", "month", "lane"))
        snapshot = _snapshot(request, session, org_id)
        known = snapshot.lanes if snapshot else {}
        for r in lanes:
            lane = known.get(r["lane"] or "")
            r["mode"] = lane.mode.value if lane else None
            r["route"] = f"{lane.from_node} → {lane.to_node}" if lane else None
        as_of_param = as_of.isoformat() if as_of else None
        context.update(
            overall=overall[0] if overall else None,
            months=months,
            lanes=lanes,
            month_chart=month_chart(months, kpi) if months else None,
            lane_chart=lane_chart(lanes, kpi) if any(r["lane"] for r in lanes) else None,
            lane_chart_height=max(240, 22 * sum(1 for r in lanes if r["lane"]) + 70),
            click_url="/ui/tracking/exceptions?"
            + urlencode({"part": "section", **({"as_of": as_of_param} if as_of_param else {})})
            + "&lane=",
        )
    return page(
        request,
        "fragments/tracking_fvl.html",
        active="tracking",
        title="",
        kpis=FVL_KPIS,
        kpi=kpi,
        kpi_label=FVL_KPIS[kpi],
        **context,
    )
