"""The map page: the network on a world map, lanes with their weekly slots, the current
plan's flows and a lane's departures; empty states and bad parameters as pages."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib.resources import files

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.network.dataset import builtin_folder
from carexport.network.service import load_dataset, snapshot_of
from carexport.network.snapshot import NetworkSnapshot
from carexport.plans import service as plans_service
from carexport.web.map import lane_points, world_name
from tests.clients import client_for

ORG = "acme"
ORDER = {
    "order_id": "VN-1",
    "brand": "CHANGAN",
    "model": "CS35_PLUS",
    "variant": "CS35_PLUS_14T_LHD",
    "quantity": 2,
    "origin": "CN_CQ_CHANGAN",
    "destination_country": "VN",
    "ready_date": "2027-01-04",
    "due_date": "2027-02-15",
}


class Cells(HTMLParser):
    """The cells marked data-col of every row marked with `row_attr`, by row key."""

    def __init__(self, row_attr: str) -> None:
        super().__init__()
        self.row_attr = row_attr
        self.rows: dict[str, dict[str, str]] = {}
        self._row: str | None = None
        self._col: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and found.get(self.row_attr):
            self._row = found[self.row_attr]
            self.rows[self._row or ""] = {}
        elif tag == "td" and self._row is not None and found.get("data-col"):
            self._col = found["data-col"]
            self.rows[self._row][self._col or ""] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._col = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._col is not None:
            self.rows[self._row][self._col] += data.strip()


def cells(text: str, row_attr: str) -> dict[str, dict[str, str]]:
    parser = Cells(row_attr)
    parser.feed(text)
    return parser.rows


def chart(text: str) -> dict:  # type: ignore[type-arg]
    found = re.search(r"data-chart='([^']*)'", text)
    assert found, "no chart on the page"
    option = json.loads(html.unescape(found.group(1)))
    return option["baseOption"]  # type: ignore[no-any-return]


def kpi(text: str, name: str) -> str:
    found = re.search(rf'data-kpi="{name}">([^<]*)<', text)
    assert found, name
    return found.group(1)


@pytest.fixture
def app_for(database_url: str):  # type: ignore[no-untyped-def]
    def make() -> TestClient:
        return client_for(database_url, ORG)

    return make


@pytest.fixture
def client(engine: Engine, app_for) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, builtin_folder())
    with app_for() as test_client:
        yield test_client


@pytest.fixture
def snapshot(engine: Engine, client: TestClient) -> NetworkSnapshot:
    with unit_of_work(engine) as session:
        return snapshot_of(session, ORG)


@pytest.fixture
def planned(client: TestClient) -> str:
    assert client.post("/orders", json={"orders": [ORDER]}).status_code == 200
    created = client.post("/plans", json={"start": "2027-01-04", "horizon_days": 60})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_no_network_is_an_empty_state(engine: Engine, app_for) -> None:  # type: ignore[no-untyped-def]
    with app_for() as empty:
        page = empty.get("/ui/map")
        assert page.status_code == 200
        assert "has no network loaded" in page.text and "carexport network load" in page.text
        assert "data-chart" not in page.text
        view = empty.get("/ui/map/view", params={"filtered": "1", "mode": "rail"})
        assert view.status_code == 200 and "carexport network load" in view.text
        lane = empty.get("/ui/map/lane", params={"key": "L_TJC_DUISBURG_RAIL"})
        assert lane.status_code == 404 and "carexport network load" in lane.text


def test_network_without_plan_or_orders(client: TestClient, snapshot: NetworkSnapshot) -> None:
    page = client.get("/ui/map")
    assert page.status_code == 200
    assert 'id="no-plan"' in page.text and 'id="no-orders"' in page.text
    assert kpi(page.text, "nodes") == f"{len(snapshot.nodes):,}"
    assert kpi(page.text, "lanes") == str(len(snapshot.lanes))
    rows = cells(page.text, "data-lane")
    assert set(rows) == set(snapshot.lanes)
    for lane_id, row in rows.items():
        lane = snapshot.lanes[lane_id]
        per_week = lane.schedule.departures_per_week()
        assert float(row["departures_per_week"]) == pytest.approx(per_week, abs=0.005)
        assert int(row["slots_per_week"].replace(",", "")) == round(per_week * lane.capacity_slots)
        assert row["planned_vehicles"] == "–"
    total = sum(
        ln.schedule.departures_per_week() * ln.capacity_slots for ln in snapshot.lanes.values()
    )
    assert kpi(page.text, "slots_per_week") == f"{round(total):,}"

    option = chart(page.text)
    assert option["geo"]["map"] == "world" and option["geo"]["roam"] is True
    lines = [s for s in option["series"] if s["type"] == "lines"]
    assert {item["key"] for s in lines for item in s["data"]} == set(snapshot.lanes)
    points = [s for s in option["series"] if s["type"] == "scatter"]
    assert sum(len(s["data"]) for s in points) == len(snapshot.nodes)
    assert len(points) == len({n.kind for n in snapshot.nodes.values()})
    markets = option["series"][0]
    assert markets["type"] == "map" and option["visualMap"]["seriesIndex"] == 0
    assert {d["name"] for d in markets["data"]} >= {"Thailand", "Russia", "United Kingdom"}
    assert all(d["value"] == 0 for d in markets["data"])

    lane = client.get("/ui/map/lane", params={"key": "L_TJC_DUISBURG_RAIL"})
    assert lane.status_code == 200 and "<html" not in lane.text
    assert 'id="lane-empty"' in lane.text and "carexport plan --from-db" in lane.text


def test_plan_flows_and_lane_departures(
    engine: Engine, client: TestClient, snapshot: NetworkSnapshot, planned: str
) -> None:
    with unit_of_work(engine) as session:
        flows = plans_service.lane_flows(session, ORG, planned)
        version = plans_service.latest_version(session, ORG)
    assert version is not None and version.id == planned
    assert flows["vehicles"].sum() > 0
    page = client.get("/ui/map")
    assert page.status_code == 200 and 'id="no-plan"' not in page.text
    assert kpi(page.text, "planned") == "2" and kpi(page.text, "ordered") == "2"
    rows = cells(page.text, "data-lane")
    by_lane = dict(zip(flows["lane_id"], flows["vehicles"], strict=True))
    for lane_id, row in rows.items():
        assert int(row["planned_vehicles"]) == by_lane.get(lane_id, 0)
    markets = cells(page.text, "data-market")
    assert set(markets) >= set(snapshot.markets)

    option = chart(page.text)
    vietnam = next(d for d in option["series"][0]["data"] if d["name"] == "Vietnam")
    assert vietnam["value"] == 2 and "ordered: 2 vehicles" in vietnam["tooltip"]["formatter"]
    widths = {
        item["key"]: item["lineStyle"]["width"]
        for s in option["series"]
        if s["type"] == "lines"
        for item in s["data"]
    }
    used = {lane_id for lane_id, vehicles in by_lane.items() if vehicles}
    assert all(widths[lane_id] > 1.5 for lane_id in used)
    assert all(widths[lane_id] == 1 for lane_id in set(widths) - used)

    lane_id = next(iter(sorted(used)))
    lane = snapshot.lanes[lane_id]
    detail = client.get("/ui/map/lane", params={"key": lane_id})
    assert detail.status_code == 200
    departures = cells(detail.text, "data-date")
    scheduled = lane.schedule.departures_between(version.start_date, version.end_date)
    assert set(departures) >= {d.isoformat() for d in scheduled}
    assert sum(int(r["vehicles"]) for r in departures.values()) == by_lane[lane_id]
    with unit_of_work(engine) as session:
        loads = plans_service.lane_loads(session, ORG, planned, lane_id)
    for load in loads.iter_rows(named=True):
        row = departures[load["depart_date"].isoformat()]
        assert int(row["vehicles"]) == load["vehicles"]
        assert row["fill"] == f"{100 * load['slots'] / load['capacity_slots']:.1f}%"
    # Without JavaScript the same table comes with the page.
    page = client.get("/ui/map", params={"lane": lane_id})
    assert 'id="lane-departures"' in page.text and cells(page.text, "data-date") == departures


def test_filters(client: TestClient, snapshot: NetworkSnapshot) -> None:
    view = client.get("/ui/map/view", params={"filtered": "1", "mode": ["rail", "self_drive"]})
    assert view.status_code == 200
    assert (
        view.headers["HX-Push-Url"] == "/ui/map?filtered=1&mode=rail&mode=self_drive&colour=ordered"
    )
    assert view.text.count('hx-swap-oob="true"') == 2
    rows = cells(view.text, "data-lane")
    wanted = {i for i, ln in snapshot.lanes.items() if ln.mode.value in ("rail", "self_drive")}
    assert set(rows) == wanted
    option = chart(view.text)
    assert [s["name"] for s in option["series"] if s["type"] == "lines"] == [
        "rail (car wagons)",
        "self-drive",
    ]
    nothing = client.get("/ui/map", params={"filtered": "1", "colour": "planned"})
    assert 'id="no-modes"' in nothing.text and cells(nothing.text, "data-lane") == {}


@pytest.mark.parametrize(
    ("path", "params", "status", "named"),
    [
        ("/ui/map", {"mode": "boat"}, 422, "mode"),
        ("/ui/map", {"colour": "red"}, 422, "colour"),
        ("/ui/map", {"flows": "maybe"}, 422, "flows"),
        ("/ui/map", {"filtered": "perhaps"}, 422, "filtered"),
        ("/ui/map/view", {"mode": "rail", "colour": "x"}, 422, "colour"),
        ("/ui/map/lane", {}, 422, "key"),
        ("/ui/map/lane", {"key": "L_NOWHERE"}, 404, "L_NOWHERE"),
        ("/ui/map", {"lane": "L_NOWHERE"}, 404, "L_NOWHERE"),
    ],
)
def test_bad_parameters_are_pages_naming_them(
    client: TestClient, path: str, params: dict[str, str], status: int, named: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status
    assert "text/html" in response.headers["content-type"]
    assert named in response.text and "<html" in response.text
    fragment = client.get(path, params=params, headers={"HX-Request": "true"})
    assert fragment.status_code == status and "<html" not in fragment.text
    assert 'role="alert"' in fragment.text


def test_every_country_has_its_shape_on_the_world_map(snapshot: NetworkSnapshot) -> None:
    world = json.loads(files("xlsx2echarts").joinpath("static/geo/world.json").read_text())
    names = {f["properties"]["name"] for f in world["features"]}
    countries = set(snapshot.markets) | {n.country for n in snapshot.nodes.values()}
    assert {c: world_name(c) for c in countries if world_name(c) not in names} == {}
    assert world_name("ru") == "Russia" and world_name("CD") == "Dem. Rep. Congo"


def test_sea_lanes_cross_the_pacific_the_short_way(snapshot: NetworkSnapshot) -> None:
    pieces = lane_points(snapshot, snapshot.lanes["L_HAITONG_LZC_RORO"], 0.14)
    assert pieces is not None and len(pieces) == 2
    assert pieces[0][-1][0] == 180 and pieces[1][0][0] == -180
    assert pieces[0][-1][1] == pieces[1][0][1]
    assert all(-180 <= lon <= 180 for piece in pieces for lon, _ in piece)
    rail = lane_points(snapshot, snapshot.lanes["L_TJC_DUISBURG_RAIL"], 0.14)
    lane = snapshot.lanes["L_TJC_DUISBURG_RAIL"]
    assert rail is not None and len(rail) == 1 and len(rail[0]) == len(lane.via_nodes) + 2
