"""The tracking page: VIN search with the itinerary planned against actual, exceptions
filtered and paged, the FVL KPIs; empty stores and bad parameters as pages, never a 500."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.kpi import service as kpi_service
from carexport.network.dataset import builtin_folder
from carexport.network.service import load_dataset
from carexport.planning.problem import PlanParameters
from carexport.plans.service import plan_and_store
from carexport.tracking import service as tracking_service
from carexport.tracking.ingest import ingest, raw_frame
from carexport.web.tracking import delay_text, when
from tests.clients import client_for
from tests.tracking.world import JOURNEY, ORG, VIN_A, VIN_B, load_world

AS_OF = dt.date(2027, 2, 20)
JUDGED = dt.datetime(2027, 2, 20, tzinfo=dt.UTC)
HX = {"HX-Request": "true"}


def _client(database_url: str, org_id: str = ORG) -> TestClient:
    return client_for(database_url, org_id)


@pytest.fixture
def empty(engine: Engine, database_url: str) -> Iterator[TestClient]:
    """A store with the built-in network and nothing else."""
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, builtin_folder())
    with _client(database_url) as client:
        yield client


@pytest.fixture
def tracked(engine: Engine, database_url: str) -> Iterator[TestClient]:
    """One planned order of two VINs to Vietnam: A delivered, B held and damaged."""
    load_world(engine)
    with unit_of_work(engine) as session:
        plan_and_store(session, ORG, PlanParameters(start=dt.date(2027, 1, 4), horizon_days=60))
    damage = {**JOURNEY[-1], "code": "DAMAGE_REPORTED", "event_time": "2027-01-04T10:00:00+08:00"}
    with unit_of_work(engine) as session:
        ingest(session, ORG, raw_frame([*JOURNEY, damage]), source="test", now=JUDGED)
    with _client(database_url) as client:
        yield client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_empty_store_shows_empty_states(empty: TestClient) -> None:
    page = empty.get("/ui/tracking")
    assert page.status_code == 200, page.text
    assert "No vehicle is tracked yet" in page.text
    assert 'aria-current="page"' in page.text and "Tracking" in page.text
    rows = empty.get("/ui/tracking/exceptions", headers=HX)
    assert rows.status_code == 200 and "no vehicle is tracked yet" in rows.text
    fvl = empty.get("/ui/tracking/fvl", headers=HX)
    assert fvl.status_code == 200 and "No finished-vehicle KPI yet" in fvl.text
    prompt = empty.get("/ui/tracking/vehicle?vin=", headers=HX)
    assert prompt.status_code == 200 and "Type a VIN" in prompt.text
    missing = empty.get("/ui/tracking/vehicle", params={"vin": VIN_A}, headers=HX)
    assert missing.status_code == 404 and "no tracked vehicle" in missing.text
    assert 'role="alert"' in missing.text and "<html" not in missing.text
    assert empty.get("/ui/tracking/exceptions.csv").text.startswith("vin,kind,detail,since")


def test_an_organisation_without_a_network(engine: Engine, database_url: str) -> None:
    with _client(database_url, "nobody") as client:
        page = client.get("/ui/tracking")
        assert page.status_code == 200 and "has no network loaded" in page.text
        assert client.get("/ui/tracking/exceptions").status_code == 200
        assert client.get("/ui/tracking/fvl").status_code == 200
        bad = client.get("/ui/tracking/exceptions", params={"lane": "L_ANY"})
        assert bad.status_code == 422 and "lane" in bad.text


def test_vin_search_shows_the_itinerary_planned_against_actual(
    tracked: TestClient, engine: Engine
) -> None:
    with engine.connect() as connection:
        found = tracking_service.vehicle_itinerary(connection, ORG, VIN_A)
    assert found is not None and found.itinerary
    page = tracked.get("/ui/tracking", params={"vin": VIN_A.lower()})
    assert page.status_code == 200, page.text
    table = page.text[page.text.index('<table id="itinerary"') :]
    table = table[: table.index("</table>")]
    rows = table.split("<tr class=")[1:]
    assert len(rows) == len(found.itinerary)
    for row, milestone in zip(rows, found.itinerary, strict=True):
        cells = _text(row)
        assert milestone.code in cells and when(milestone.planned_at) in cells
        if milestone.actual_at is None:
            assert "not yet" in cells
        else:
            assert when(milestone.actual_at) in cells
            assert delay_text(milestone.delay_hours) in cells
    status = found.status
    assert f'data-field="status">{status["status"]}<' in page.text
    assert f'data-field="due_date">{status["due_date"]}<' in page.text
    text = _text(page.text)
    assert "planned" in table and "actual" in table
    assert "Vietnam" in text and "CHANGAN" in text
    # the same through the fragment, as the search box asks for it
    fragment = tracked.get("/ui/tracking/vehicle", params={"vin": VIN_A}, headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="itinerary"' in fragment.text


def test_a_vin_prefix_lists_the_matches(tracked: TestClient) -> None:
    prefix = VIN_A[:8]
    assert VIN_B.startswith(prefix)
    listed = tracked.get("/ui/tracking/vehicle", params={"vin": prefix.lower()}, headers=HX)
    assert listed.status_code == 200
    assert 'id="vin-matches"' in listed.text
    assert VIN_A in listed.text and VIN_B in listed.text
    assert f"2 tracked vehicles have a VIN starting with {prefix}" in _text(listed.text)
    # a prefix only one vehicle has is a list of one, a link to its itinerary
    unique = next(VIN_B[:n] for n in range(1, 18) if not VIN_A.startswith(VIN_B[:n]))
    one = tracked.get("/ui/tracking/vehicle", params={"vin": unique}, headers=HX).text
    assert 'id="vin-matches"' in one and VIN_B in one and VIN_A not in one
    assert "1 tracked vehicle has a VIN starting with" in _text(one)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/ui/tracking", {"vin": "LC9*01"}, "vin"),
        ("/ui/tracking/vehicle", {"vin": "not a vin!"}, "vin"),
        ("/ui/tracking", {"as_of": "2027-13-01"}, "as_of"),
        ("/ui/tracking/exceptions", {"kind": "stolen"}, "kind"),
        ("/ui/tracking/exceptions", {"market": "XX"}, "market"),
        ("/ui/tracking/exceptions", {"lane": "L_NOWHERE"}, "lane"),
        ("/ui/tracking/exceptions", {"page": "0"}, "page"),
        ("/ui/tracking/exceptions", {"dwell_days": "-1"}, "dwell_days"),
        ("/ui/tracking/exceptions.csv", {"kind": "stolen"}, "kind"),
        ("/ui/tracking/fvl", {"kpi": "speed"}, "kpi"),
        ("/ui/tracking", {"kpi": "speed"}, "kpi"),
    ],
)
def test_bad_values_are_pages_naming_the_field(
    tracked: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    response = tracked.get(path, params=params)
    assert 400 <= response.status_code < 500, response.text
    assert f"<td>{field}</td>" in response.text, response.text
    assert "<html" in response.text  # a whole page when asked for as a page
    if path != "/ui/tracking":  # a fragment's problems replace its target, not the page
        fragment = tracked.get(path, params=params, headers=HX)
        assert 400 <= fragment.status_code < 500 and "<html" not in fragment.text


def test_exceptions_counts_filters_and_pages(tracked: TestClient, engine: Engine) -> None:
    with unit_of_work(engine) as session:
        expected = tracking_service.exceptions(session, ORG, now=JUDGED)
        in_context = tracking_service.exceptions_in_context(session, ORG, now=JUDGED)
    assert expected.height and in_context.height == expected.height
    assert set(in_context["market"]) == {"VN"}
    counts = dict(expected.group_by("kind").len().iter_rows())
    assert {"hold", "damage"} <= set(counts)
    body = tracked.get("/ui/tracking/exceptions", params={"as_of": AS_OF.isoformat()}).text
    for kind, n in counts.items():
        assert re.search(rf"{kind} <strong>{n:,}</strong>", body), kind
    assert f"{expected.height:,} exception" in _text(body)
    assert body.count("data-kind=") == min(expected.height, 50)
    held = tracked.get("/ui/tracking/exceptions", params={"as_of": AS_OF, "kind": "hold"}).text
    shown = re.findall(r'data-kind="([a-z]+)"', held)
    assert shown == ["hold"] * counts["hold"]
    assert VIN_B in held
    # market and lane filters: VN is every exception's market; no car goes to Germany
    vietnam = tracked.get("/ui/tracking/exceptions", params={"as_of": AS_OF, "market": "vn"})
    assert vietnam.text.count("data-kind=") == min(expected.height, 50)
    germany = tracked.get("/ui/tracking/exceptions", params={"as_of": AS_OF, "market": "DE"})
    assert germany.status_code == 200 and "No exception matches in market DE" in germany.text
    lane = in_context.filter(in_context["vin"] == VIN_B)["lanes"][0][0]
    on_lane = tracked.get("/ui/tracking/exceptions", params={"as_of": AS_OF, "lane": lane}).text
    vins = set(re.findall(r'hx-get="/ui/tracking/vehicle\?vin=([A-Z0-9]+)"', on_lane))
    with_lane = in_context.filter(in_context["lanes"].list.contains(lane))
    assert vins == set(with_lane["vin"]) and VIN_B in vins
    # a page past the last shows the last; part=section brings the filter form along
    past = tracked.get("/ui/tracking/exceptions", params={"as_of": AS_OF, "page": 99})
    assert past.status_code == 200 and past.text.count("data-kind=") == min(expected.height, 50)
    section = tracked.get(
        "/ui/tracking/exceptions", params={"as_of": AS_OF, "lane": lane, "part": "section"}
    ).text
    assert 'id="exception-filters"' in section and f'value="{lane}" selected' in section
    csv = tracked.get("/ui/tracking/exceptions.csv", params={"as_of": AS_OF, "kind": "damage"})
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    lines = csv.text.strip().splitlines()
    assert lines[0] == "vin,kind,detail,since,brand,market,lanes"
    assert len(lines) == 1 + counts["damage"]


def test_the_page_judges_a_simulated_future_at_its_end(tracked: TestClient) -> None:
    # The events are in 2027: while that is ahead, the page judges without as_of on the
    # day after the latest one (VIN_A's delivery, 2027-01-08 08:30 UTC).
    page = tracked.get("/ui/tracking")
    assert page.status_code == 200
    if dt.datetime.now(dt.UTC) < dt.datetime(2027, 1, 7, tzinfo=dt.UTC):
        assert "after today" in page.text and "judged at 2027-01-09 00:00" in page.text
    chosen = tracked.get("/ui/tracking", params={"as_of": AS_OF.isoformat()}).text
    assert "judged at 2027-02-20 00:00 UTC (chosen)" in chosen
    assert f"/ui/tracking/exceptions?as_of={AS_OF}" in chosen


def test_fvl_kpis_equal_the_service(tracked: TestClient, engine: Engine) -> None:
    with unit_of_work(engine) as session:
        alone = kpi_service.fvl(session, ORG, as_of=JUDGED)
        months = kpi_service.fvl(session, ORG, by="month", as_of=JUDGED)
        views = kpi_service.fvl_views(session, ORG, ("none", "month"), as_of=JUDGED)
    assert views["none"].equals(alone) and views["month"].equals(months)  # NaN equals NaN
    overall = alone.row(0, named=True)
    body = tracked.get("/ui/tracking/fvl", params={"as_of": AS_OF}, headers=HX).text
    assert overall["vehicles_tracked"] == 2
    for key in ("lead_time_achievement_pct", "reporting_completeness_pct"):
        value = overall[key]
        shown = "–" if value is None or value != value else f"{value:.1f}%"
        assert f'data-kpi="{key}">{shown}<' in body, key
    days = overall["shipping_lead_time_d"]
    assert f'data-kpi="shipping_lead_time_d">{"–" if days is None else f"{days:,}"}<' in body
    assert 'id="fvl-month"' in body and "data-chart=" in body and "NaN" not in body
    other = tracked.get("/ui/tracking/fvl", params={"as_of": AS_OF, "kpi": "port_dwell_d"})
    assert other.status_code == 200 and "Port dwell by month" in other.text


def test_the_vehicle_api_answers_as_before(tracked: TestClient, engine: Engine) -> None:
    body = tracked.get(f"/vehicles/{VIN_A}").json()
    with engine.connect() as connection:
        found = tracking_service.vehicle_itinerary(connection, ORG, VIN_A)
    assert found is not None
    assert [m["code"] for m in body["itinerary"]] == [m.code for m in found.itinerary]
    assert set(body["itinerary"][0]) == {"code", "node", "planned_at", "actual_at"}
    assert body["itinerary"][0]["actual_at"].endswith("Z")
    assert body["status"] == "delivered" and body["next_milestone"] is None


def test_empty_form_fields_mean_the_defaults(tracked: TestClient) -> None:
    blank = {"as_of": "", "dwell_days": "", "overdue_hours": "", "kind": "", "market": ""}
    for path in ("/ui/tracking", "/ui/tracking/exceptions", "/ui/tracking/exceptions.csv"):
        response = tracked.get(path, params=blank)
        assert response.status_code == 200, (path, response.text)
    assert tracked.get("/ui/tracking/fvl", params={"as_of": ""}).status_code == 200
    bad = tracked.get("/ui/tracking/exceptions", params={"overdue_hours": "soon"})
    assert bad.status_code == 422 and "<td>overdue_hours</td>" in bad.text


def test_kept_views_follow_new_events(
    tracked: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import carexport.web.tracking as page

    monkeypatch.setattr(page, "SHARED_SECONDS", 0.0)
    params = {"as_of": AS_OF.isoformat(), "kind": "damage"}
    before = tracked.get("/ui/tracking/exceptions", params=params).text
    assert VIN_A not in before
    damage = {"vin": VIN_A, "code": "DAMAGE_REPORTED", "node": "VN_HANOI"}
    damage["event_time"] = "2027-01-09T10:00:00+07:00"
    with unit_of_work(engine) as session:
        ingest(session, ORG, raw_frame([damage]), source="test", now=JUDGED)
    after = tracked.get("/ui/tracking/exceptions", params=params).text
    assert VIN_A in after
    assert after.count('data-kind="damage"') == before.count('data-kind="damage"') + 1
