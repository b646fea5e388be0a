"""The network page: markets with their fastest and cheapest paths (the figures of
`carexport network show`), lanes, dealers and the store rollout; an organisation without a
network and bad parameters as pages, never a 500."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from html import escape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.kpi import service as kpi_service
from carexport.network import service as network_service
from carexport.network.dataset import builtin_folder
from carexport.network.service import load_dataset
from tests.clients import client_for

ORG = "acme"
HX = {"HX-Request": "true"}
AS_OF = dt.date(2025, 6, 1)


@pytest.fixture
def client(engine: Engine, database_url: str) -> Iterator[TestClient]:
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, builtin_folder())
    with client_for(database_url, ORG) as test_client:
        yield test_client


def _rows(html: str, table_id: str, attribute: str) -> list[str]:
    table = html[html.index(f'<table id="{table_id}"') :]
    return re.findall(rf'<tr {attribute}="([^"]+)"', table[: table.index("</table>")])


def test_without_a_network_the_page_says_how_to_load_one(database_url: str) -> None:
    with client_for(database_url, "nobody") as client:
        page = client.get("/ui/network")
        assert page.status_code == 200, page.text
        assert "has no network loaded" in page.text and "carexport network load" in page.text
        assert "echarts" not in page.text
        for path in ("/ui/network/markets", "/ui/network/lanes", "/ui/network/rollout"):
            fragment = client.get(path, headers=HX)
            assert fragment.status_code == 200 and "No network is loaded" in fragment.text


def test_markets_show_the_paths_network_show_gives(client: TestClient, engine: Engine) -> None:
    with unit_of_work(engine) as session:
        snapshot = network_service.snapshot_of(session, ORG)
    summary = network_service.summarise(snapshot, AS_OF)
    page = client.get("/ui/network", params={"as_of": AS_OF.isoformat()})
    assert page.status_code == 200, page.text
    html = page.text
    assert _rows(html, "markets-table", "data-market") == sorted(
        (m.country for m in summary.markets),
        key=lambda c: snapshot.markets[c].name,
    )
    for count, n in summary.counts.items():
        assert f'data-count="{count}">{n:,}<' in html
    for market in summary.markets:
        row = html[html.index(f'<tr data-market="{market.country}">') :]
        row = row[: row.index("</tr>")]
        if market.fastest is None or market.cheapest is None:
            assert "unreachable: " in row and (market.reason or "") in row
            continue
        assert f'data-field="fastest_days">{market.fastest.days:.1f}<' in row
        assert f'data-field="fastest_usd">{market.fastest.cost_usd:,.0f}<' in row
        assert f'data-field="cheapest_usd">{market.cheapest.cost_usd:,.0f}<' in row
        assert escape(network_service.describe_path(snapshot, market.fastest)) in row
    reachable = sum(1 for m in summary.markets if m.fastest is not None)
    assert f"{reachable} of {len(summary.markets)} markets reachable" in html
    assert f"between {AS_OF} and a year later" in html


def test_markets_by_region_and_in_order(client: TestClient, engine: Engine) -> None:
    with unit_of_work(engine) as session:
        snapshot = network_service.snapshot_of(session, ORG)
    summary = network_service.summarise(snapshot, AS_OF)
    europe = client.get(
        "/ui/network/markets",
        params={"region": "europe", "sort": "fastest", "as_of": AS_OF.isoformat()},
        headers=HX,
    )
    assert europe.status_code == 200 and "<html" not in europe.text
    shown = _rows(europe.text, "markets-table", "data-market")
    wanted = [m for m in summary.markets if m.region == "europe"]
    inf = float("inf")
    assert shown == [
        m.country
        for m in sorted(wanted, key=lambda m: (m.fastest.days if m.fastest else inf, m.name))
    ]
    cheapest = client.get("/ui/network/markets", params={"sort": "cheapest"}, headers=HX).text
    costs = [
        float(v.replace(",", ""))
        for v in re.findall(r'data-field="cheapest_usd">([0-9,.]+)<', cheapest)
    ]
    assert costs == sorted(costs) and len(costs) > 10
    oceania_fragment = client.get("/ui/network/markets", params={"region": "oceania"})
    assert "data-market=" in oceania_fragment.text
    # a form's empty fields mean the defaults (every region, today)
    blank = client.get("/ui/network/markets", params={"region": "", "as_of": ""}, headers=HX)
    assert blank.status_code == 200 and f"between {dt.date.today()} and" in blank.text


def test_lanes_of_a_mode(client: TestClient, engine: Engine) -> None:
    with unit_of_work(engine) as session:
        snapshot = network_service.snapshot_of(session, ORG)
    every = client.get("/ui/network/lanes", headers=HX).text
    assert _rows(every, "lanes-table", "data-lane") == [
        lane.id for lane in sorted(snapshot.lanes.values(), key=lambda ln: (ln.mode, ln.id))
    ]
    rail = client.get("/ui/network/lanes", params={"mode": "rail"}, headers=HX).text
    ids = _rows(rail, "lanes-table", "data-lane")
    assert ids == sorted(lane.id for lane in snapshot.lanes.values() if lane.mode == "rail")
    lane = snapshot.lanes[ids[0]]
    row = rail[rail.index(f'<tr data-lane="{lane.id}">') :]
    row = row[: row.index("</tr>")]
    assert f'data-field="transit_days">{lane.transit_days}' in row
    assert f'data-field="cost_usd">{lane.cost_usd_per_vehicle:,.0f}<' in row
    assert f'data-field="capacity_slots">{lane.capacity_slots:,}' in row
    assert lane.departures.split(":")[0] in row
    dated = [ln for ln in snapshot.lanes.values() if ln.valid_from or ln.valid_to]
    for lane in dated:
        row = every[every.index(f'<tr data-lane="{lane.id}">') :]
        assert "in service" in row[: row.index("</tr>")]
    # the page shows the same table, filtered by ?mode=
    page = client.get("/ui/network", params={"mode": "rail"}).text
    assert _rows(page, "lanes-table", "data-lane") == ids


def test_rollout_of_a_brand_against_its_plan(client: TestClient, engine: Engine) -> None:
    with unit_of_work(engine) as session:
        monthly, plan = kpi_service.rollout(session, ORG, "AVATR")
        snapshot = network_service.snapshot_of(session, ORG)
    body = client.get("/ui/network/rollout", params={"brand": "avatr"}, headers=HX).text
    assert "data-chart=" in body and 'id="rollout-plan"' in body
    assert _rows(body, "rollout-plan", "data-target") == plan["target_id"].to_list()
    for row in plan.iter_rows(named=True):
        html = body[body.index(f'<tr data-target="{row["target_id"]}">') :]
        html = html[: html.index("</tr>")]
        assert f'data-field="planned">{row["planned"]:,}<' in html
        assert f'data-field="actual">{row["actual"]:,}<' in html
        assert f">{row['status']}<" in html
    latest = monthly.row(-1, named=True)
    assert f"{latest['stores_open']:,} stores in {latest['countries']} countries" in body
    avatr_dealers = [d for d in snapshot.dealers.values() if d.brand_id == "AVATR"]
    assert f"{len(avatr_dealers)} dealers of Avatr" in body
    # the page picks the brand with the most dealers when none is asked for
    page = client.get("/ui/network").text
    counts: dict[str, int] = {}
    for d in snapshot.dealers.values():
        counts[d.brand_id] = counts.get(d.brand_id, 0) + 1
    busiest = max(counts, key=lambda b: (counts[b], b))
    assert f'<option value="{busiest}" selected>' in page
    # a brand without dealers says so
    without = sorted(set(snapshot.brands) - set(counts))
    if without:
        empty = client.get("/ui/network/rollout", params={"brand": without[0]}, headers=HX)
        assert empty.status_code == 200 and "has no dealer" in empty.text


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/ui/network", {"region": "atlantis"}, "region"),
        ("/ui/network", {"sort": "random"}, "sort"),
        ("/ui/network", {"mode": "teleport"}, "mode"),
        ("/ui/network", {"brand": "NOPE"}, "brand"),
        ("/ui/network", {"as_of": "2025-02-30"}, "as_of"),
        ("/ui/network/markets", {"region": "atlantis"}, "region"),
        ("/ui/network/markets", {"as_of": "tomorrow"}, "as_of"),
        ("/ui/network/lanes", {"mode": "teleport"}, "mode"),
        ("/ui/network/rollout", {"brand": "NOPE"}, "brand"),
    ],
)
def test_bad_values_are_pages_naming_the_field(
    client: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    response = client.get(path, params=params)
    assert 400 <= response.status_code < 500, response.text
    assert f"<td>{field}</td>" in response.text and "<html" in response.text
    fragment = client.get(path, params=params, headers=HX)
    assert 400 <= fragment.status_code < 500
    assert f"<td>{field}</td>" in fragment.text and "<html" not in fragment.text
