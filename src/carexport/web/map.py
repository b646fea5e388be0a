"""Map: the network on a world map (nodes by kind, lanes by mode with their weekly slots),
the current plan's flows as line widths, markets coloured by volume, and a lane's
departures with their fill on a click."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import pycountry
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from carexport.api.deps import OrgDep, SessionDep
from carexport.errors import NotFound
from carexport.network import service as network_service
from carexport.network.schemas import Lane, Mode, Node, NodeKind, Schedule
from carexport.network.snapshot import NetworkSnapshot
from carexport.orders import service as orders_service
from carexport.plans import service as plans_service
from carexport.plans.service import PlanVersionInfo
from carexport.web.render import page

router = APIRouter()

# label, ECharts symbol, colour, size in px
NODE_STYLE: dict[NodeKind, tuple[str, str, str, int]] = {
    NodeKind.PLANT: ("plants", "pin", "#b42318", 18),
    NodeKind.RAIL_TERMINAL: ("rail terminals", "triangle", "#7a4b1e", 10),
    NodeKind.RIVER_PORT: ("river ports", "diamond", "#0f766e", 11),
    NodeKind.SEAPORT: ("seaports", "circle", "#1f4e9c", 7),
    NodeKind.BORDER_CROSSING: ("border crossings", "rect", "#6b7280", 7),
    NodeKind.ROAD_HUB: ("road hubs", "roundRect", "#be185d", 9),
    NodeKind.OVERSEAS_HUB: ("overseas hubs", "emptyCircle", "#111827", 10),
    NodeKind.DEALER: ("dealers", "arrow", "#9a6700", 8),
    NodeKind.WATERWAY_LOCK: ("waterway locks", "rect", "#0e7490", 6),
}
# label, colour
MODE_STYLE: dict[Mode, tuple[str, str]] = {
    Mode.RAIL: ("rail (car wagons)", "#8c510a"),
    Mode.RAIL_CONTAINER: ("rail container", "#e66101"),
    Mode.RIVER_RORO: ("river ro-ro", "#1b9e77"),
    Mode.OCEAN_RORO: ("ocean ro-ro", "#2166ac"),
    Mode.OCEAN_CONTAINER: ("ocean container", "#7b3294"),
    Mode.ROAD_TRUCK: ("road truck", "#d01c8b"),
    Mode.SELF_DRIVE: ("self-drive", "#4d9221"),
}
SEA_MODES = {Mode.OCEAN_RORO, Mode.OCEAN_CONTAINER}
# Natural Earth short names of world.json that pycountry's names do not give.
WORLD_NAMES = {
    "AG": "Antigua and Barb.",
    "AX": "Åland",
    "BA": "Bosnia and Herz.",
    "BL": "St-Barthélemy",
    "BN": "Brunei",
    "CD": "Dem. Rep. Congo",
    "CF": "Central African Rep.",
    "CK": "Cook Is.",
    "DO": "Dominican Rep.",
    "EH": "W. Sahara",
    "FK": "Falkland Is.",
    "FM": "Micronesia",
    "FO": "Faeroe Is.",
    "GQ": "Eq. Guinea",
    "GS": "S. Geo. and the Is.",
    "HM": "Heard I. and McDonald Is.",
    "IO": "Br. Indian Ocean Ter.",
    "KN": "St. Kitts and Nevis",
    "KY": "Cayman Is.",
    "MF": "St-Martin",
    "MH": "Marshall Is.",
    "MP": "N. Mariana Is.",
    "PF": "Fr. Polynesia",
    "PM": "St. Pierre and Miquelon",
    "PS": "Palestine",
    "RU": "Russia",
    "SB": "Solomon Is.",
    "SH": "Saint Helena",
    "SS": "S. Sudan",
    "ST": "São Tomé and Principe",
    "SZ": "eSwatini",
    "TC": "Turks and Caicos Is.",
    "TF": "Fr. S. Antarctic Lands",
    "TR": "Turkey",
    "US": "United States of America",
    "VC": "St. Vin. and Gren.",
    "VG": "British Virgin Is.",
    "VI": "U.S. Virgin Is.",
    "XK": "Kosovo",
}
LOAD_COMMAND = "carexport network load"
PLAN_COMMAND = "carexport plan --from-db --start YYYY-MM-DD --out plan-out"
Colour = Literal["ordered", "planned"]


def world_name(country: str) -> str:
    """The name of an ISO alpha-2 country in world.json (Natural Earth short form)."""
    code = country.upper()
    if code in WORLD_NAMES:
        return WORLD_NAMES[code]
    record = pycountry.countries.get(alpha_2=code)
    if record is None:
        return code
    return str(getattr(record, "common_name", None) or record.name)


def country_label(country: str) -> str:
    record = pycountry.countries.get(alpha_2=country)
    name = getattr(record, "common_name", None) or getattr(record, "name", None)
    return f"{name} ({country})" if name else country


def number(value: float) -> str:
    """1,234 for whole numbers, 0.5 for fractions (a lane every 14 days runs 0.5 a week)."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class LaneView:
    """A lane as the map and its table show it, with the current plan's load on it."""

    lane: Lane
    from_name: str
    to_name: str
    departures_per_week: float
    slots_per_week: float
    horizon_departures: int  # scheduled in the plan's horizon (0 without a plan)
    planned_vehicles: int | None  # None without a plan
    planned_slots: float

    @property
    def fill_pct(self) -> float | None:
        """Planned slots over the capacity of every departure in the plan's horizon."""
        capacity = self.horizon_departures * self.lane.capacity_slots
        if self.planned_vehicles is None or capacity <= 0:
            return None
        return 100.0 * self.planned_slots / capacity


@dataclass(frozen=True)
class MarketView:
    country: str
    name: str
    world_name: str
    ordered: int
    planned: int | None


def lane_views(
    snapshot: NetworkSnapshot, plan: PlanVersionInfo | None, flows: dict[str, tuple[int, float]]
) -> list[LaneView]:
    """Every lane by mode, origin and destination, with its weekly departures and slots."""
    views = []
    for lane in snapshot.lanes.values():
        per_week = lane.schedule.departures_per_week()
        in_horizon = _departures_in(lane.departures, plan.start_date, plan.end_date) if plan else 0
        vehicles, slots = flows.get(lane.id, (0, 0.0))
        views.append(
            LaneView(
                lane=lane,
                from_name=_node_name(snapshot, lane.from_node),
                to_name=_node_name(snapshot, lane.to_node),
                departures_per_week=per_week,
                slots_per_week=per_week * lane.capacity_slots,
                horizon_departures=in_horizon,
                planned_vehicles=vehicles if plan else None,
                planned_slots=slots,
            )
        )
    modes = list(Mode)
    return sorted(views, key=lambda v: (modes.index(v.lane.mode), v.from_name, v.to_name))


@lru_cache(maxsize=4096)
def _departures_in(departures: str, first: dt.date, last: dt.date) -> int:
    """How many times a schedule departs from first to last (both included)."""
    return len(Schedule.parse(departures).departures_between(first, last))


def market_views(
    snapshot: NetworkSnapshot, ordered: dict[str, int], planned: dict[str, int] | None
) -> list[MarketView]:
    """Every market, and any other destination ordered to, with its vehicles."""
    countries = set(snapshot.markets) | set(ordered) | set(planned or {})
    views = [
        MarketView(
            country=c,
            name=snapshot.markets[c].name if c in snapshot.markets else country_label(c),
            world_name=world_name(c),
            ordered=ordered.get(c, 0),
            planned=None if planned is None else planned.get(c, 0),
        )
        for c in countries
    ]
    return sorted(views, key=lambda m: (-m.ordered, m.country))


def _node_name(snapshot: NetworkSnapshot, node_id: str) -> str:
    node = snapshot.nodes.get(node_id)
    return node.name if node is not None else node_id


def _unwrap(points: list[tuple[float, float]]) -> list[list[list[float]]]:
    """Split a line whose longitudes run past +-180 into pieces drawn on the world map."""
    pieces: list[list[list[float]]] = [[]]
    for (lon_a, lat_a), (lon_b, lat_b) in itertools.pairwise(points):
        if not pieces[-1]:
            pieces[-1].append([_wrap(lon_a), lat_a])
        edge = next((e for e in (180.0, -180.0) if min(lon_a, lon_b) < e < max(lon_a, lon_b)), None)
        if edge is not None:
            lat_edge = lat_a + (lat_b - lat_a) * (edge - lon_a) / (lon_b - lon_a)
            pieces[-1].append([edge, round(lat_edge, 3)])
            pieces.append([[-edge, round(lat_edge, 3)]])
        pieces[-1].append([_wrap(lon_b), lat_b])
    return pieces


def _wrap(lon: float) -> float:
    return round((lon + 180.0) % 360.0 - 180.0 if abs(lon) > 180 else lon, 3)


def lane_points(
    snapshot: NetworkSnapshot, lane: Lane, bend: float
) -> list[list[list[float]]] | None:
    """The lane as pieces of polyline in lon/lat: through its via nodes over land, as an arc
    at sea (the shorter way round the globe; not the sea route itself). None when a node of
    it is not in the network."""
    ids = [lane.from_node, *lane.via_nodes, lane.to_node]
    nodes = [snapshot.nodes.get(i) for i in ids]
    if any(n is None for n in nodes):
        nodes = [snapshot.nodes.get(lane.from_node), snapshot.nodes.get(lane.to_node)]
        if any(n is None for n in nodes):
            return None
    points = tuple((n.lon, n.lat) for n in nodes if n is not None)
    return _polyline(points, lane.mode in SEA_MODES, bend)


@lru_cache(maxsize=4096)
def _polyline(
    points: tuple[tuple[float, float], ...], sea: bool, bend: float
) -> list[list[list[float]]]:
    if not sea or len(points) != 2:
        return [[[lon, lat] for lon, lat in points]]
    (lon_a, lat_a), (lon_b, lat_b) = points
    if lon_b - lon_a > 180:
        lon_b -= 360
    elif lon_b - lon_a < -180:
        lon_b += 360
    d_lon, d_lat = lon_b - lon_a, lat_b - lat_a
    # The perpendicular that points south (or east on a north-south lane): sea lanes from
    # China run south of Asia, round the capes, and out into the Pacific.
    perp_lon, perp_lat = -d_lat, d_lon
    if perp_lat > 0 or (perp_lat == 0 and perp_lon < 0):
        perp_lon, perp_lat = -perp_lon, -perp_lat
    mid_lon = (lon_a + lon_b) / 2 + bend * perp_lon
    mid_lat = (lat_a + lat_b) / 2 + bend * perp_lat
    steps = 24
    arc = []
    for i in range(steps + 1):
        t = i / steps
        lon = (1 - t) ** 2 * lon_a + 2 * (1 - t) * t * mid_lon + t**2 * lon_b
        lat = (1 - t) ** 2 * lat_a + 2 * (1 - t) * t * mid_lat + t**2 * lat_b
        arc.append((lon, max(-85.0, min(85.0, lat))))
    return _unwrap(arc)


def _bends(lanes: list[LaneView]) -> dict[str, float]:
    """How far each sea lane's arc bends: round the Cape wider than through Suez, and
    lanes between the same two ports apart from each other."""
    by_pair: dict[tuple[str, str], int] = defaultdict(int)
    bends = {}
    for view in sorted(lanes, key=lambda v: v.lane.id):
        lane = view.lane
        base = {"cape": 0.42, "panama": 0.22}.get((lane.route or "").lower(), 0.14)
        pair = (lane.from_node, lane.to_node)
        bends[lane.id] = base + 0.08 * by_pair[pair]
        by_pair[pair] += 1
    return bends


def _tip(*lines: str) -> dict[str, str]:
    """A tooltip of ready-made lines (ECharts shows a formatter without {} as it is)."""
    return {"formatter": "<br>".join(lines)}


def map_chart(
    snapshot: NetworkSnapshot,
    lanes: list[LaneView],
    markets: list[MarketView],
    *,
    modes: list[Mode],
    show_flows: bool,
    colour: Colour,
) -> dict[str, Any]:
    """The ECharts option: countries coloured by volume, one lines series per mode (width
    by planned vehicles when flows are shown), one scatter series per node kind."""
    esc = html.escape
    series: list[dict[str, Any]] = []
    volume = [(m, m.ordered if colour == "ordered" else (m.planned or 0)) for m in markets]
    top = max((v for _, v in volume), default=0)
    series.append(
        {
            "type": "map",
            "name": "markets",
            "geoIndex": 0,
            "tooltip": {"formatter": "{b}"},
            "data": [
                {
                    "name": m.world_name,
                    "value": v,
                    "tooltip": _tip(
                        f"<b>{esc(m.name)}</b> ({m.country})",
                        f"ordered: {m.ordered:,} vehicles",
                        "in the plan: "
                        + ("no plan" if m.planned is None else f"{m.planned:,} vehicles"),
                    ),
                }
                for m, v in volume
            ],
        }
    )
    most = max((v.planned_vehicles or 0 for v in lanes), default=0)
    bends = _bends(lanes)
    legend: list[str] = []
    for mode in modes:
        label, colour_hex = MODE_STYLE[mode]
        data = []
        for view in (v for v in lanes if v.lane.mode == mode):
            pieces = lane_points(snapshot, view.lane, bends[view.lane.id])
            if pieces is None:
                continue
            vehicles = view.planned_vehicles
            style: dict[str, Any]
            if show_flows and vehicles:
                style = {"width": round(1.5 + 9 * math.sqrt(vehicles / most), 2), "opacity": 0.85}
            elif show_flows and vehicles is not None:
                style = {"width": 1, "opacity": 0.45, "type": "dashed"}
            else:
                style = {"width": 1.6, "opacity": 0.8}
            lane = view.lane
            tip = _tip(
                f"<b>{esc(lane.id)}</b>",
                f"{esc(view.from_name)} → {esc(view.to_name)}",
                f"{esc(label)}{' · ' + esc(lane.route) if lane.route else ''}"
                f" · {lane.transit_days} days",
                f"{esc(lane.departures)}: {number(view.departures_per_week)} departures/week"
                f" × {lane.capacity_slots:,} slots = {number(round(view.slots_per_week))}"
                " slots/week",
                "no plan stored"
                if vehicles is None
                else f"plan: {vehicles:,} vehicles"
                + (f", fill {view.fill_pct:.0f}%" if view.fill_pct is not None else ""),
                "<i>click for its departures</i>",
            )
            for piece in pieces:
                data.append({"coords": piece, "key": lane.id, "lineStyle": style, "tooltip": tip})
        legend.append(label)
        series.append(
            {
                "type": "lines",
                "name": label,
                "coordinateSystem": "geo",
                "polyline": True,
                "lineStyle": {"color": colour_hex, "cap": "round", "join": "round"},
                "emphasis": {"focus": "none", "lineStyle": {"opacity": 1}},
                "zlevel": 1,
                "data": data,
            }
        )
    kinds = sorted({n.kind for n in snapshot.nodes.values()}, key=list(NodeKind).index)
    for kind in kinds:
        label, symbol, colour_hex, size = NODE_STYLE[kind]
        legend.append(label)
        series.append(
            {
                "type": "scatter",
                "name": label,
                "coordinateSystem": "geo",
                "symbol": symbol,
                "symbolSize": size,
                "itemStyle": {"color": colour_hex, "borderColor": "#fff", "borderWidth": 0.8},
                "zlevel": 2,
                "data": [_node_item(n) for n in snapshot.nodes.values() if n.kind == kind],
            }
        )
    base = {
        "tooltip": {"trigger": "item", "confine": True},
        "legend": {
            "zlevel": 3,
            "top": 4,
            "left": 8,
            "right": 8,
            "data": legend,
            "textStyle": {"fontSize": 11},
            "itemWidth": 18,
            "itemHeight": 10,
        },
        "visualMap": {
            "type": "continuous",
            "seriesIndex": 0,
            "min": 0,
            "max": max(top, 1),
            "text": ["vehicles " + ("ordered" if colour == "ordered" else "in the plan"), ""],
            "left": 8,
            "bottom": 8,
            "itemWidth": 10,
            "itemHeight": 80,
            "calculable": True,
            "inRange": {"color": ["#e8f1fa", "#9ecae1", "#3182bd", "#08306b"]},
            "textStyle": {"fontSize": 11},
        },
        "geo": {
            "map": "world",
            "roam": True,
            # The world without Antarctica; zoom and pan from there.
            "boundingCoords": [[-180, 78], [180, -56]],
            "top": 60,
            "bottom": 4,
            "left": 4,
            "right": 4,
            "scaleLimit": {"min": 0.8, "max": 60},
            "itemStyle": {"areaColor": "#f2f4f7", "borderColor": "#b8c2cc", "borderWidth": 0.5},
            "emphasis": {"label": {"show": False}, "itemStyle": {"areaColor": "#dfe7ef"}},
            "select": {"disabled": True},
            "regions": [{"name": "Antarctica", "itemStyle": {"opacity": 0}, "silent": True}],
        },
        "series": series,
    }
    # On a phone: the legend scrolls on one line and the map opens on Asia.
    phone = {
        "legend": {"type": "scroll", "data": legend, "backgroundColor": "#fff"},
        "geo": {"top": 34, "zoom": 2.2, "center": [85, 25]},
        "visualMap": {"itemHeight": 50},
    }
    return {"baseOption": base, "media": [{"query": {"maxWidth": 600}, "option": phone}]}


def _node_item(node: Node) -> dict[str, Any]:
    esc = html.escape
    label = NODE_STYLE[node.kind][0].removesuffix("s")
    return {
        "name": node.name,
        "value": [node.lon, node.lat],
        "tooltip": _tip(
            f"<b>{esc(node.name)}</b>",
            f"{esc(node.id)} · {esc(label)} · {esc(country_label(node.country))}",
        ),
    }


@dataclass(frozen=True)
class MapFilters:
    modes: list[Mode]
    show_flows: bool
    colour: Colour

    def query(self) -> str:
        pairs = [("filtered", "1"), *(("mode", m.value) for m in self.modes)]
        if self.show_flows:
            pairs.append(("flows", "on"))
        pairs.append(("colour", self.colour))
        return urlencode(pairs)


ModeQuery = Annotated[
    list[Mode] | None, Query(description="Lane modes to draw (all when the form is not sent)")
]
FlowsQuery = Annotated[Literal["on"] | None, Query(description="on: plan flows as line widths")]
FilteredQuery = Annotated[bool, Query(description="The filter form was sent")]
ColourQuery = Annotated[Colour, Query(description="What colours the markets")]


def _filters(
    mode: list[Mode] | None, flows: str | None, filtered: bool, colour: Colour
) -> MapFilters:
    modes = sorted(set(mode or ()), key=list(Mode).index) if (mode or filtered) else list(Mode)
    return MapFilters(modes=modes, show_flows=flows == "on" or not filtered, colour=colour)


def _view(session: Session, org_id: str, filters: MapFilters) -> dict[str, Any]:
    """Everything the map and its tables show; has_network False when there is no network."""
    if not network_service.has_network(session, org_id):
        return {"has_network": False, "filters": filters, "all_modes": MODE_STYLE}
    snapshot = network_service.snapshot_of(session, org_id)
    plan = plans_service.latest_version(session, org_id)
    flows: dict[str, tuple[int, float]] = {}
    planned: dict[str, int] | None = None
    if plan is not None:
        frame = plans_service.lane_flows(session, org_id, plan.id)
        flows = {r["lane_id"]: (r["vehicles"], r["slots"]) for r in frame.iter_rows(named=True)}
        planned = plans_service.served_by_country(session, org_id, plan.id)
    ordered = orders_service.vehicles_by_destination(session, org_id)
    lanes = lane_views(snapshot, plan, flows)
    markets = market_views(snapshot, ordered, planned)
    shown = [v for v in lanes if v.lane.mode in filters.modes]
    counts: dict[str, int] = defaultdict(int)
    for view in lanes:
        counts[view.lane.mode.value] += 1
    return {
        "has_network": True,
        "snapshot": snapshot,
        "filters": filters,
        "all_modes": MODE_STYLE,
        "mode_counts": counts,
        "plan": plan,
        "lanes": shown,
        "markets": markets,
        "nodes": len(snapshot.nodes),
        "slots_per_week": sum(v.slots_per_week for v in shown),
        "plan_vehicles": sum(planned.values()) if planned is not None else None,
        "ordered_vehicles": sum(ordered.values()),
        "chart": map_chart(
            snapshot,
            lanes,
            markets,
            modes=filters.modes,
            show_flows=filters.show_flows and plan is not None,
            colour=filters.colour,
        ),
        "number": number,
    }


@router.get("/ui/map", response_class=HTMLResponse)
def map_page(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    mode: ModeQuery = None,
    flows: FlowsQuery = None,
    filtered: FilteredQuery = False,
    colour: ColourQuery = "ordered",
    lane: Annotated[str | None, Query(description="Show this lane's departures")] = None,
) -> HTMLResponse:
    filters = _filters(mode, flows, filtered, colour)
    context = _view(session, org_id, filters)
    if lane and context["has_network"]:
        context["detail"] = _lane_detail(session, org_id, lane, context["snapshot"])
    return page(request, "map.html", active="map", title="Network map", org_id=org_id, **context)


@router.get("/ui/map/view", response_class=HTMLResponse)
def map_view(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    mode: ModeQuery = None,
    flows: FlowsQuery = None,
    filtered: FilteredQuery = False,
    colour: ColourQuery = "ordered",
) -> HTMLResponse:
    """The map, its figures and the lane table for the filters (what the form swaps in)."""
    filters = _filters(mode, flows, filtered, colour)
    response = page(
        request,
        "fragments/map_swap.html",
        active="map",
        title="Network map",
        org_id=org_id,
        **_view(session, org_id, filters),
    )
    response.headers["HX-Push-Url"] = f"/ui/map?{filters.query()}"
    return response


@dataclass(frozen=True)
class Departure:
    depart_date: dt.date
    capacity_slots: float
    vehicles: int
    slots: float
    shadow_price_usd_per_slot: float

    @property
    def fill_pct(self) -> float:
        return 100.0 * self.slots / self.capacity_slots if self.capacity_slots else 0.0


def _lane_detail(
    session: Session, org_id: str, lane_id: str, snapshot: NetworkSnapshot | None = None
) -> dict[str, Any]:
    snapshot = snapshot or network_service.snapshot_of(session, org_id)
    lane = snapshot.lanes.get(lane_id)
    if lane is None:
        raise NotFound(
            f"lane {lane_id!r} is not in organisation {org_id!r}'s network",
            hint="pick a lane on the map or in the table of lanes under it",
        )
    plan = plans_service.latest_version(session, org_id)
    departures: list[Departure] = []
    if plan is not None:
        loads = {
            r["depart_date"]: r
            for r in plans_service.lane_loads(session, org_id, plan.id, lane.id).iter_rows(
                named=True
            )
        }
        dates = set(lane.schedule.departures_between(plan.start_date, plan.end_date))
        for day in sorted(dates | set(loads)):
            row = loads.get(day)
            departures.append(
                Departure(
                    depart_date=day,
                    capacity_slots=row["capacity_slots"] if row else float(lane.capacity_slots),
                    vehicles=row["vehicles"] if row else 0,
                    slots=row["slots"] if row else 0.0,
                    shadow_price_usd_per_slot=row["shadow_price_usd_per_slot"] if row else 0.0,
                )
            )
    return {
        "lane": lane,
        "mode_label": MODE_STYLE[lane.mode][0],
        "from_name": _node_name(snapshot, lane.from_node),
        "to_name": _node_name(snapshot, lane.to_node),
        "via_names": [_node_name(snapshot, n) for n in lane.via_nodes],
        "per_week": lane.schedule.departures_per_week(),
        "plan": plan,
        "departures": departures,
        "vehicles": sum(d.vehicles for d in departures),
        "slots": sum(d.slots for d in departures),
        "capacity": sum(d.capacity_slots for d in departures),
        "plan_command": PLAN_COMMAND,
        "number": number,
    }


@router.get("/ui/map/lane", response_class=HTMLResponse)
def lane_departures(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    key: Annotated[str, Query(min_length=1, max_length=64, description="The lane's id")],
) -> HTMLResponse:
    """A lane's departures in the current plan's horizon with capacity, vehicles and fill."""
    if not network_service.has_network(session, org_id):
        raise NotFound(
            f"organisation {org_id!r} has no network loaded", hint=f"run: {LOAD_COMMAND}"
        )
    return page(
        request,
        "fragments/map_lane.html",
        active="map",
        title="Lane departures",
        org_id=org_id,
        detail=_lane_detail(session, org_id, key),
    )
