"""Network: every market with its fastest and cheapest path from the plants (as `carexport
network show` gives them), the lanes, the dealers and a brand's store rollout against its
plan."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BeforeValidator
from sqlalchemy.orm import Session

from carexport.api.deps import OrgDep, SessionDep
from carexport.errors import InvalidInput, Problem
from carexport.kpi import service as kpi_service
from carexport.network import service as network_service
from carexport.network.paths import Path as NetworkPath
from carexport.network.schemas import Mode, Region
from carexport.network.snapshot import NetworkSnapshot
from carexport.web.render import page

router = APIRouter()

# Markets table orders: key -> (label, sort key of a market row; unreachable ones last).
SORTS = {
    "name": "market name",
    "region": "region, then name",
    "fastest": "fastest days",
    "cheapest": "cheapest USD",
    "co2": "kg CO2e of the fastest path",
}
# A form's empty field means the default (today), not a date that does not parse.
Blank = BeforeValidator(lambda v: None if isinstance(v, str) and not v.strip() else v)
AsOf = Annotated[
    dt.date | None,
    Blank,
    Query(description="Count lanes departing in the year from this date"),
]


def _problem(what: str, field: str, value: str, message: str, hint: str) -> InvalidInput:
    return InvalidInput(what, [Problem("request", None, field, value[:80], message, hint)])


def _snapshot(session: Session, org_id: str) -> NetworkSnapshot | None:
    if not network_service.has_network(session, org_id):
        return None
    return network_service.snapshot_of(session, org_id)


def _region(region: str | None) -> str | None:
    wanted = (region or "").strip().lower() or None
    if wanted is not None and wanted not in {r.value for r in Region}:
        raise _problem(
            "the markets filter",
            "region",
            wanted,
            "not a region",
            "use one of " + ", ".join(r.value for r in Region),
        )
    return wanted


def _sort(sort: str) -> str:
    if sort not in SORTS:
        raise _problem(
            "the markets order", "sort", sort, "not an order", "use one of " + ", ".join(SORTS)
        )
    return sort


def _mode(mode: str | None) -> str | None:
    wanted = (mode or "").strip().lower() or None
    if wanted is not None and wanted not in {m.value for m in Mode}:
        raise _problem(
            "the lanes filter",
            "mode",
            wanted,
            "not a mode",
            "use one of " + ", ".join(m.value for m in Mode),
        )
    return wanted


def _brands_with_dealers(snapshot: NetworkSnapshot) -> list[str]:
    return sorted({d.brand_id for d in snapshot.dealers.values()})


def _brand(snapshot: NetworkSnapshot, brand: str | None) -> str | None:
    """The brand asked for (id or name, any case), else the one with the most dealers."""
    with_dealers = _brands_with_dealers(snapshot)
    if not (brand or "").strip():
        if not with_dealers:
            return None
        counts = {b: 0 for b in with_dealers}
        for d in snapshot.dealers.values():
            counts[d.brand_id] += 1
        return max(with_dealers, key=lambda b: (counts[b], b))
    wanted = (brand or "").strip().upper()
    for b in snapshot.brands.values():
        if wanted in (b.id.upper(), b.name.upper()):
            return b.id
    raise _problem(
        "the rollout",
        "brand",
        brand or "",
        "not a brand of the network",
        "use one of " + ", ".join(sorted(snapshot.brands)),
    )


# -- markets ----------------------------------------------------------------------------------


def _path(snapshot: NetworkSnapshot, path: NetworkPath | None) -> dict[str, Any] | None:
    if path is None:
        return None
    return {
        "days": path.days,
        "cost_usd": path.cost_usd,
        "co2e_kg": path.co2e_kg,
        "route": network_service.describe_path(snapshot, path),
        "lanes": len(path.lane_ids),
        "destination": path.destination,
    }


def market_rows(snapshot: NetworkSnapshot, as_of: dt.date) -> tuple[list[dict[str, Any]], Any]:
    """Every market with its fastest and cheapest path (network.service.summarise, so the
    same figures as `carexport network show`), and the summary itself."""
    summary = network_service.summarise(snapshot, as_of)
    rows = []
    for m in summary.markets:
        fastest = _path(snapshot, m.fastest)
        cheapest = _path(snapshot, m.cheapest)
        rows.append(
            {
                "country": m.country,
                "name": m.name,
                "region": m.region,
                "drive_side": m.drive_side,
                "fastest": fastest,
                "cheapest": cheapest,
                "same_path": bool(fastest and cheapest and fastest["route"] == cheapest["route"]),
                "reason": m.reason,
            }
        )
    return rows, summary


def sort_markets(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Markets in the order asked for; those without a path last (by name)."""
    inf = float("inf")

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        fastest, cheapest = r["fastest"], r["cheapest"]
        if sort == "fastest":
            return (fastest["days"] if fastest else inf, r["name"])
        if sort == "cheapest":
            return (cheapest["cost_usd"] if cheapest else inf, r["name"])
        if sort == "co2":
            return (fastest["co2e_kg"] if fastest else inf, r["name"])
        if sort == "region":
            return (r["region"], r["name"])
        return (r["name"],)

    return sorted(rows, key=key)


def _markets_context(
    snapshot: NetworkSnapshot, as_of: dt.date, region: str | None, sort: str
) -> dict[str, Any]:
    rows, summary = market_rows(snapshot, as_of)
    shown = sort_markets([r for r in rows if region is None or r["region"] == region], sort)
    return {
        "markets": shown,
        "market_total": len(rows),
        "reachable": sum(1 for r in rows if r["fastest"] is not None),
        "shown_reachable": sum(1 for r in shown if r["fastest"] is not None),
        "regions": sorted({r["region"] for r in rows}),
        "region": region,
        "sort": sort,
        "sorts": SORTS,
        "origins": summary.origins,
        "summary": summary,
        "as_of": as_of,
    }


# -- lanes ------------------------------------------------------------------------------------


def lane_rows(snapshot: NetworkSnapshot, mode: str | None) -> list[dict[str, Any]]:
    """The lanes (of one mode), by mode then id, with what a planner checks."""
    rows = []
    for lane in sorted(snapshot.lanes.values(), key=lambda ln: (ln.mode.value, ln.id)):
        if mode is not None and lane.mode.value != mode:
            continue
        origin, destination = snapshot.nodes.get(lane.from_node), snapshot.nodes.get(lane.to_node)
        per_week = lane.schedule.departures_per_week()
        rows.append(
            {
                "id": lane.id,
                "mode": lane.mode.value,
                "route": lane.route,
                "from": lane.from_node,
                "from_name": origin.name if origin else None,
                "to": lane.to_node,
                "to_name": destination.name if destination else None,
                "via": list(lane.via_nodes),
                "distance_km": lane.distance_km,
                "transit_days": lane.transit_days,
                "transit_range": _transit_range(
                    lane.transit_days, lane.transit_days_min, lane.transit_days_max
                ),
                "departures": lane.departures,
                "in_service": None
                if lane.valid_from is None and lane.valid_to is None
                else f"in service {lane.valid_from or '…'} to {lane.valid_to or '…'}",
                "per_week": per_week,
                "capacity_slots": lane.capacity_slots,
                "slots_per_week": per_week * lane.capacity_slots,
                "cost_usd": lane.cost_usd_per_vehicle,
                "co2e_kg": snapshot.lane_co2e_kg(lane),
                "co2_given": lane.co2e_kg_per_vehicle is not None,
                "carrier": lane.carrier,
                "nev": "no"
                if not lane.nev_allowed
                else ("as dangerous goods" if lane.nev_dangerous_goods else "yes"),
                "sources": _sources(snapshot, lane.source),
            }
        )
    return rows


def _transit_range(typical: int, low: int | None, high: int | None) -> str | None:
    """ "23–29" when the lane gives a range other than its typical days, else None."""
    low, high = low or typical, high or typical
    return None if low == high == typical else f"{low}–{high}"


def _sources(snapshot: NetworkSnapshot, keys: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        {"key": key, "title": snapshot.sources[key].title if key in snapshot.sources else ""}
        for key in keys
    ]


# -- dealers and rollout ----------------------------------------------------------------------


def _month(day: dt.date) -> str:
    return day.strftime("%Y-%m")


def rollout_chart(
    months: list[dict[str, Any]], plan: list[dict[str, Any]], brand: str, today: dt.date
) -> dict[str, Any]:
    """Stepped lines of stores open and countries entered by month, carried on to the
    latest target deadline (no store opens after the last one listed), the targets as
    points at their deadlines, and a line at today."""
    values = {_month(m["month"]): (m["stores_open"], m["countries"]) for m in months}
    deadlines = [p["deadline"].replace(day=1) for p in plan]
    first = min([months[0]["month"], *deadlines])
    last = max([months[-1]["month"], *deadlines])
    labels: list[str] = []
    stores: list[int] = []
    countries: list[int] = []
    current = first
    while current <= last:
        label = _month(current)
        carried = values.get(label, (stores[-1], countries[-1]) if stores else (0, 0))
        labels.append(label)
        stores.append(carried[0])
        countries.append(carried[1])
        current = (current + dt.timedelta(days=32)).replace(day=1)

    def targets(metric: str) -> list[list[object]]:
        return [[_month(p["deadline"]), p["planned"]] for p in plan if p["metric"] == metric]

    stores_line: dict[str, Any] = {
        "name": "stores open",
        "type": "line",
        "step": "end",
        "showSymbol": False,
        "data": stores,
    }
    if labels[0] <= _month(today) <= labels[-1]:
        stores_line["markLine"] = {
            "symbol": "none",
            "label": {"formatter": "today"},
            "lineStyle": {"type": "dashed", "color": "#5b6775"},
            "data": [{"xAxis": _month(today)}],
        }
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 24, "top": 40, "bottom": 40},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "name": brand, "minInterval": 1},
        "series": [
            stores_line,
            {
                "name": "countries",
                "type": "line",
                "step": "end",
                "showSymbol": False,
                "data": countries,
            },
            {
                "name": "store target",
                "type": "scatter",
                "symbol": "diamond",
                "symbolSize": 12,
                "data": targets("stores_count"),
            },
            {
                "name": "country target",
                "type": "scatter",
                "symbol": "triangle",
                "symbolSize": 12,
                "data": targets("countries_count"),
            },
        ],
    }


def _rollout_context(
    session: Session, org_id: str, snapshot: NetworkSnapshot, brand: str | None
) -> dict[str, Any]:
    brand_id = _brand(snapshot, brand)
    context: dict[str, Any] = {
        "brand": brand_id,
        "brands": sorted(snapshot.brands.values(), key=lambda b: b.name),
        "brands_with_dealers": set(_brands_with_dealers(snapshot)),
        "market_by_country": snapshot.markets,
    }
    if brand_id is None:
        return context
    monthly, plan = kpi_service.rollout(session, org_id, brand_id)
    months = monthly.to_dicts()
    targets = plan.to_dicts()
    dealers = sorted(
        (d for d in snapshot.dealers.values() if d.brand_id == brand_id),
        key=lambda d: (d.opening_date, d.id),
    )
    context.update(
        months=months,
        plan=targets,
        chart=rollout_chart(months, targets, snapshot.brands[brand_id].name, dt.date.today())
        if months
        else None,
        latest=months[-1] if months else None,
        dealers=[
            {
                "id": d.id,
                "country": d.country,
                "city": d.city,
                "opening_date": d.opening_date,
                "sources": _sources(snapshot, d.source),
            }
            for d in dealers
        ],
        brand_name=snapshot.brands[brand_id].name,
    )
    return context


# -- routes -----------------------------------------------------------------------------------


@router.get("/ui/network", response_class=HTMLResponse)
def network(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    as_of: AsOf = None,
    region: str | None = None,
    sort: str = "name",
    mode: str | None = None,
    brand: str | None = None,
) -> HTMLResponse:
    region, sort, mode = _region(region), _sort(sort), _mode(mode)
    snapshot = _snapshot(session, org_id)
    day = as_of or dt.date.today()
    context: dict[str, Any] = {"has_network": snapshot is not None, "as_of_param": as_of}
    if snapshot is not None:
        context.update(_markets_context(snapshot, day, region, sort))
        context.update(
            lanes=lane_rows(snapshot, mode),
            lane_total=len(snapshot.lanes),
            mode=mode,
            modes=sorted({lane.mode.value for lane in snapshot.lanes.values()}),
        )
        context.update(_rollout_context(session, org_id, snapshot, brand))
    return page(
        request,
        "network.html",
        active="network",
        title="Network: markets, paths, lanes and stores",
        org_id=org_id,
        **context,
    )


def _fragment(request: Request, template: str, **context: Any) -> HTMLResponse:
    return page(request, template, active="network", title="", **context)


@router.get("/ui/network/markets", response_class=HTMLResponse)
def markets_fragment(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    as_of: AsOf = None,
    region: str | None = None,
    sort: str = "name",
) -> HTMLResponse:
    """The markets table, of one region and in the order asked for."""
    region, sort = _region(region), _sort(sort)
    snapshot = _snapshot(session, org_id)
    if snapshot is None:
        return _fragment(request, "fragments/network_markets.html", has_network=False)
    context = _markets_context(snapshot, as_of or dt.date.today(), region, sort)
    return _fragment(request, "fragments/network_markets.html", has_network=True, **context)


@router.get("/ui/network/lanes", response_class=HTMLResponse)
def lanes_fragment(
    request: Request, session: SessionDep, org_id: OrgDep, mode: str | None = None
) -> HTMLResponse:
    """The lanes table, of one mode."""
    mode = _mode(mode)
    snapshot = _snapshot(session, org_id)
    if snapshot is None:
        return _fragment(request, "fragments/network_lanes.html", has_network=False)
    return _fragment(
        request,
        "fragments/network_lanes.html",
        has_network=True,
        lanes=lane_rows(snapshot, mode),
        lane_total=len(snapshot.lanes),
        mode=mode,
    )


@router.get("/ui/network/rollout", response_class=HTMLResponse)
def rollout_fragment(
    request: Request, session: SessionDep, org_id: OrgDep, brand: str | None = None
) -> HTMLResponse:
    """A brand's stores and countries by month, its plan, and its dealers."""
    snapshot = _snapshot(session, org_id)
    if snapshot is None:
        return _fragment(request, "fragments/network_rollout.html", has_network=False)
    context = _rollout_context(session, org_id, snapshot, brand)
    return _fragment(request, "fragments/network_rollout.html", has_network=True, **context)
