"""The plan page: run a plan from the form (in a background thread, polled until stored),
then its summary, the plan against greedy, departure fill with shadow prices, late and
unserved orders and the load lists as files, with the numbers the service returns;
empty states, bad form fields and bad query values as located 4xx answers."""

from __future__ import annotations

import html
import io
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.errors import InvalidInput, Problem
from carexport.network.dataset import builtin_folder
from carexport.network.service import load_dataset
from carexport.planning.run import plan as real_planner
from carexport.plans import service as plans_service
from carexport.web import plan as plan_page
from carexport.web import plan_jobs as plan_jobs_module
from carexport.web.plan_jobs import PHASES, plan_jobs
from tests.clients import client_for, make_user

ORG = "acme"
HX = {"HX-Request": "true"}
START = "2027-01-04"


def order(order_id: str, quantity: int, ready: str, due: str) -> dict[str, object]:
    """Cars by truck from Chongqing to Hanoi (daily trucks, about two days)."""
    return {
        "order_id": order_id,
        "brand": "CHANGAN",
        "model": "CS35_PLUS",
        "variant": "CS35_PLUS_14T_LHD",
        "quantity": quantity,
        "origin": "CN_CQ_CHANGAN",
        "destination_country": "VN",
        "ready_date": ready,
        "due_date": due,
    }


# On time; late (due the day it is ready, two days' drive away); unserved (ready after
# the 60-day horizon ends on 2027-03-05).
BOOK = [
    order("VN-ONTIME", 2, "2027-01-04", "2027-02-15"),
    order("VN-LATE", 1, "2027-01-04", "2027-01-04"),
    order("VN-AFTER", 1, "2027-03-20", "2027-04-30"),
]
FORM = {
    "start": START,
    "horizon_days": "60",
    "co2_price_usd_per_t": "25",
    "method": "optimal",
    "compare": "yes",
    "ready_bucket_days": "7",
}


@pytest.fixture
def engine_and_client(engine: Engine, database_url: str) -> Iterator[tuple[Engine, TestClient]]:
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, builtin_folder())
    with client_for(database_url, ORG) as client:
        yield engine, client
        # No run may outlive the app (and its engine).
        jobs = plan_jobs(client.app)  # type: ignore[arg-type]
        deadline = time.monotonic() + 60
        while jobs.running(ORG) and time.monotonic() < deadline:
            time.sleep(0.1)


@pytest.fixture
def client(engine_and_client: tuple[Engine, TestClient]) -> TestClient:
    return engine_and_client[1]


def import_book(client: TestClient, book: list[dict[str, object]] = BOOK) -> None:
    response = client.post("/orders", json={"orders": book})
    assert response.status_code == 200, response.text
    assert response.json()["committed"]


def start_run(client: TestClient, form: dict[str, str] = FORM) -> str:
    response = client.post("/ui/plan/run", data=form, headers=HX)
    assert response.status_code == 202, response.text
    assert "<html" not in response.text  # the run section only
    job_id = attr(response.text, "data-job")
    assert f'hx-get="/ui/plan/jobs/{job_id}"' in response.text
    assert 'hx-trigger="every 1s"' in response.text
    return job_id


def wait_for(client: TestClient, job_id: str, timeout_s: float = 90) -> str:
    """Poll the run as the page does until it is done or failed; its last fragment."""
    deadline = time.monotonic() + timeout_s
    phases = []
    while True:
        response = client.get(f"/ui/plan/jobs/{job_id}", headers=HX)
        assert response.status_code == 200, response.text
        phase = attr(response.text, "data-phase")
        phases.append(phase)
        if phase in ("done", "failed"):
            assert "every 1s" not in response.text  # polling stops
            assert phases[0] in PHASES or phases[0] in ("done", "failed")
            return response.text
        assert phase in PHASES and "every 1s" in response.text
        assert time.monotonic() < deadline, f"the run did not finish: {phases[-5:]}"
        time.sleep(0.1)


def attr(text: str, name: str) -> str:
    found = re.search(rf'{name}="([^"]*)"', text)
    assert found, f"no {name} in {text[:2000]}"
    return found.group(1)


def kpi(text: str, key: str) -> str:
    found = re.search(rf'data-kpi="{key}"[^>]*>(.*?)</', text, re.S)
    assert found, f"no data-kpi {key}"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def no_traceback(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text


def run_plan(client: TestClient, form: dict[str, str] = FORM) -> str:
    """Import the book, run a plan through the page; the stored plan's id."""
    import_book(client)
    done = wait_for(client, start_run(client, form))
    assert 'data-phase="done"' in done, done
    plan_id = attr(done, "data-plan")
    assert f'hx-get="/ui/plan/{plan_id}/result"' in done
    return plan_id


def test_empty_store_shows_empty_states_not_errors(client: TestClient, database_url: str) -> None:
    page = client.get("/ui/plan")
    assert page.status_code == 200
    assert 'data-empty="plan"' in page.text and 'data-empty="network"' not in page.text
    for name in ("start", "horizon_days", "co2_price_usd_per_t", "method", "ready_bucket_days"):
        assert f'<label for="plan-{name}">' in page.text and f'id="plan-{name}"' in page.text
    assert '<label class="check" for="plan-compare">' in page.text
    # An organisation without a network is told how to load one.
    nobody = {"Authorization": f"Bearer {make_user(database_url, 'nobody')[1]}"}
    other = client.get("/ui/plan", headers=nobody)
    assert other.status_code == 200
    assert 'data-empty="network"' in other.text and "carexport network load" in other.text


def test_a_run_without_orders_fails_with_its_message(client: TestClient) -> None:
    done = wait_for(client, start_run(client))
    assert 'data-phase="failed"' in done and 'role="alert"' in done
    assert "organisation &#39;acme&#39; has no orders" in done
    assert "Fix: import some" in done
    no_traceback(done)


def test_run_then_show_the_stored_plan(engine_and_client: tuple[Engine, TestClient]) -> None:
    engine, client = engine_and_client
    plan_id = run_plan(client)
    with unit_of_work(engine) as session:
        version = plans_service.plan_version(session, ORG, plan_id)
        assert version is not None
        summary = version.summary
        loads = plans_service.load_lists(session, ORG, plan_id)
        problems = plans_service.problem_orders(session, ORG, plan_id)
        first = loads.row(0, named=True)
        vins = plans_service.departure_vehicles(
            session, ORG, plan_id, first["lane_id"], first["depart_date"]
        )
    assert version.parameters["co2_price_usd_per_t"] == 25.0
    assert version.parameters["ready_bucket_days"] == 7
    assert summary["vehicles"] == {"total": 4, "on_time": 2, "late": 1, "unserved": 1}
    assert summary["baseline"]["method"] == "greedy"  # compared, and kept with the plan

    page = client.get("/ui/plan")  # the newest plan by default
    assert page.status_code == 200
    text = page.text
    assert attr(text, "data-plan") == plan_id
    assert kpi(text, "objective_usd") == f"{summary['objective_usd']:,.0f}"
    assert kpi(text, "lp_bound_usd") == f"{summary['lp_bound_usd']:,.0f}"
    assert kpi(text, "gap") == f"{summary['gap'] * 100:.2f}%"
    for key in ("total", "on_time", "late", "unserved"):
        assert kpi(text, f"vehicles_{key}") == f"{summary['vehicles'][key]:,}"
    assert kpi(text, "co2e_t") == f"{summary['co2e_kg'] / 1000:,.1f}"
    saved = summary["baseline"]["objective_usd"] - summary["objective_usd"]
    assert f"{abs(saved):,.0f} USD" in kpi(text, "saving")
    assert kpi(text, "departures").startswith(f"{loads.height:,} departures loaded")
    # The comparison table: each cost part of the plan and of greedy.
    table = text[text.index('id="plan-comparison"') :]
    table = table[: table.index("</table>")]
    assert "<caption>" in table and '<th scope="row">transport (USD)</th>' in table
    for value in (summary["transport_usd"], summary["baseline"]["transport_usd"]):
        assert f">{value:,.0f}<" in table
    # Departure fill: the fullest first, with fill and shadow price as stored.
    fullest = loads.sort(
        ["utilisation", "shadow_price_usd_per_slot"], descending=True, maintain_order=True
    ).row(0, named=True)
    row = text[text.index("<tr data-lane=") :]
    row = row[: row.index("</tr>")]
    assert f'data-lane="{fullest["lane_id"]}"' in row
    assert f"{fullest['utilisation'] * 100:.1f}%" in row
    assert f"{fullest['shadow_price_usd_per_slot']:,.2f}" in row
    # Late and unserved orders, each with the planner's explanation.
    assert sorted(p.order_id for p in problems) == ["VN-AFTER", "VN-LATE"]
    for problem in problems:
        assert f'data-order="{problem.order_id}"' in text
        assert problem.explanation in html.unescape(text)
    assert 'data-order="VN-ONTIME"' not in text
    assert f'href="/ui/plan/{plan_id}/load_lists.xlsx"' in text
    assert f'href="/ui/plan/{plan_id}/load_lists.csv"' in text

    # Downloads: the stored load lists, as CSV and XLSX; one departure's VINs.
    csv = client.get(f"/ui/plan/{plan_id}/load_lists.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert csv.text == loads.write_csv()
    xlsx = client.get(f"/ui/plan/{plan_id}/load_lists.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    sheet = pl.read_excel(io.BytesIO(xlsx.content), sheet_name="load lists")
    assert sheet.columns == loads.columns and sheet.height == loads.height
    assert sheet["vehicles"].to_list() == loads["vehicles"].to_list()
    listing = client.get(
        f"/ui/plan/{plan_id}/departure.csv",
        params={"lane_id": first["lane_id"], "depart_date": str(first["depart_date"])},
    )
    assert listing.status_code == 200 and listing.text == vins.write_csv()
    assert vins.height == first["vehicles"]


def test_fragments_and_a_chosen_plan(engine_and_client: tuple[Engine, TestClient]) -> None:
    engine, client = engine_and_client
    plan_id = run_plan(client)
    with unit_of_work(engine) as session:
        loads = plans_service.load_lists(session, ORG, plan_id)
    # The busiest departures, sorted and cut as asked.
    one = client.get(f"/ui/plan/{plan_id}/departures", params={"sort": "shadow", "limit": 1})
    assert one.status_code == 200 and "<html" not in one.text
    assert one.text.count("<tr data-lane=") == 1
    dearest = loads.sort("shadow_price_usd_per_slot", descending=True).row(0, named=True)
    assert f"{dearest['shadow_price_usd_per_slot']:,.2f}" in one.text
    by_date = client.get(f"/ui/plan/{plan_id}/departures", params={"sort": "date", "limit": 500})
    dates = re.findall(r'data-date="([^"]+)"', by_date.text)
    assert dates == sorted(dates) and len(dates) == loads.height
    # Late or unserved orders by kind.
    unserved = client.get(f"/ui/plan/{plan_id}/orders", params={"kind": "unserved"})
    assert unserved.status_code == 200
    assert re.findall(r'data-order="([^"]+)"', unserved.text) == ["VN-AFTER"]
    late = client.get(f"/ui/plan/{plan_id}/orders", params={"kind": "late"})
    assert re.findall(r'data-order="([^"]+)"', late.text) == ["VN-LATE"]
    beyond = client.get(f"/ui/plan/{plan_id}/orders", params={"offset": 50})
    assert beyond.status_code == 200 and "Back to the first" in beyond.text
    # The result fragment a finished run loads, and the page for a chosen plan.
    result = client.get(f"/ui/plan/{plan_id}/result", headers=HX)
    assert result.status_code == 200 and "<html" not in result.text
    assert attr(result.text, "data-plan") == plan_id
    chosen = client.get("/ui/plan", params={"plan_id": plan_id, "kind": "late", "sort": "date"})
    assert chosen.status_code == 200
    assert re.findall(r'data-order="([^"]+)"', chosen.text) == ["VN-LATE"]
    # The form starts from the shown plan's parameters.
    assert 'id="plan-co2_price_usd_per_t" name="co2_price_usd_per_t" value="25"' in chosen.text
    assert 'id="plan-ready_bucket_days" name="ready_bucket_days" value="7"' in chosen.text


def test_greedy_alone_has_no_bound_and_no_comparison(client: TestClient) -> None:
    plan_id = run_plan(client, {**FORM, "method": "greedy"})
    page = client.get("/ui/plan", params={"plan_id": plan_id})
    assert kpi(page.text, "lp_bound_usd") == "none: greedy plan"
    assert kpi(page.text, "gap") == "–"
    assert 'data-empty="baseline"' in page.text


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        ({"start": "2027-13-01"}, {"start"}),
        ({"start": ""}, {"start"}),
        ({"horizon_days": "-5"}, {"horizon_days"}),
        (
            {"horizon_days": "ten", "co2_price_usd_per_t": "-1"},
            {"horizon_days", "co2_price_usd_per_t"},
        ),
        ({"method": "fastest"}, {"method"}),
        ({"ready_bucket_days": "0"}, {"ready_bucket_days"}),
        ({"time_limit_s": "inf"}, {"time_limit_s"}),
    ],
)
def test_bad_form_fields_are_shown_beside_them(
    client: TestClient, form: dict[str, str], fields: set[str]
) -> None:
    import_book(client)
    response = client.post("/ui/plan/run", data={**FORM, **form}, headers=HX)
    assert response.status_code == 422
    assert set(re.findall(r'data-error-for="([^"]+)"', response.text)) == fields
    for name in fields:
        assert f'id="plan-{name}"' in response.text
        assert f'aria-describedby="plan-{name}-hint plan-{name}-error"' in response.text
        assert f'href="#plan-{name}"' in response.text  # in the summary above the form
    for name, value in form.items():  # what was sent is kept, to be corrected
        if name != "method":
            assert f'name="{name}" value="{html.escape(value)}"' in response.text
    assert "expected" in response.text  # each error says what would do
    first = next(name for name in plan_page.FORM_DEFAULTS if name in fields)
    assert response.text.count(" autofocus") == 1  # the first field to fix takes the focus
    assert re.search(rf'id="plan-{first}"[^>]* autofocus', response.text)
    assert plan_jobs(client.app).running(ORG) is None  # type: ignore[arg-type]


def test_without_htmx_the_run_answers_the_whole_page(client: TestClient) -> None:
    import_book(client)
    response = client.post("/ui/plan/run", data=FORM)
    assert response.status_code == 202 and "<html" in response.text
    wait_for(client, attr(response.text, "data-job"))
    bad = client.post("/ui/plan/run", data={**FORM, "start": "soon"})
    assert bad.status_code == 422 and "<html" in bad.text and 'data-error-for="start"' in bad.text


def blocking_planner(released: threading.Event) -> Callable[[Any], Any]:
    def planner(problem: Any) -> Any:
        assert released.wait(30)
        return real_planner(problem)

    return planner


def test_one_run_at_a_time_per_organisation(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_book(client)
    released = threading.Event()
    monkeypatch.setattr(plan_jobs_module, "run_planner", blocking_planner(released))
    first = start_run(client)
    deadline = time.monotonic() + 30
    while 'data-phase="solving"' not in client.get(f"/ui/plan/jobs/{first}").text:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    second = client.post("/ui/plan/run", data=FORM, headers=HX)
    assert second.status_code == 409
    assert 'data-notice="running"' in second.text
    assert "a plan is already running for organisation &#39;acme&#39;" in second.text
    assert attr(second.text, "data-job") == first  # the running one, still polled
    assert 'hx-trigger="every 1s"' in second.text
    # The page shows the running run too, e.g. after a reload.
    assert f'data-job="{first}"' in client.get("/ui/plan").text
    # Another organisation may plan meanwhile (and is told it has no orders).
    as_other = {"Authorization": f"Bearer {make_user(database_url, 'other')[1]}"}
    other = client.post("/ui/plan/run", data=FORM, headers={**HX, **as_other})
    assert other.status_code == 202
    assert client.get(f"/ui/plan/jobs/{first}", headers=as_other).status_code == 404
    released.set()
    assert 'data-phase="done"' in wait_for(client, first)
    second_run = start_run(client)  # and once done, a new run starts
    assert 'data-phase="done"' in wait_for(client, second_run)


def test_a_crash_in_the_planner_shows_its_message_not_a_traceback(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_book(client)

    def broken(problem: Any) -> Any:
        raise RuntimeError("the solver ran out of luck")

    monkeypatch.setattr(plan_jobs_module, "run_planner", broken)
    done = wait_for(client, start_run(client))
    assert 'data-phase="failed"' in done
    assert "internal error (RuntimeError: the solver ran out of luck)" in done
    assert "Nothing was stored" in done
    no_traceback(done)
    assert 'data-empty="plan"' in client.get("/ui/plan").text


def test_a_problem_the_planner_rejects_is_listed(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_book(client)
    problem = Problem(
        file="planning problem",
        row=None,
        field="due_date",
        value="2026-12-01",
        message="due before the vehicle is ready",
        hint="check the order's dates",
    )

    def rejecting(_: Any) -> Any:
        raise InvalidInput("planning problem", [problem])

    monkeypatch.setattr(plan_jobs_module, "run_planner", rejecting)
    done = wait_for(client, start_run(client))
    assert 'data-phase="failed"' in done and "planning problem: 1 error(s)" in done
    assert str(problem) in html.unescape(done)


@pytest.mark.parametrize(
    ("path", "status", "named"),
    [
        ("/ui/plan?plan_id=nope", 404, "plan &#39;nope&#39; not found"),
        ("/ui/plan?sort=bogus", 422, "sort"),
        ("/ui/plan?limit=0", 422, "limit"),
        ("/ui/plan?limit=lots", 422, "limit"),
        ("/ui/plan?offset=-1", 422, "offset"),
        ("/ui/plan?kind=early", 422, "kind"),
        ("/ui/plan/jobs/nope", 404, "plan run &#39;nope&#39; is not known"),
        ("/ui/plan/nope/result", 404, "plan &#39;nope&#39; not found"),
        ("/ui/plan/nope/departures", 404, "plan &#39;nope&#39; not found"),
        ("/ui/plan/nope/orders", 404, "plan &#39;nope&#39; not found"),
        ("/ui/plan/nope/load_lists.csv", 404, "plan &#39;nope&#39; not found"),
        ("/ui/plan/nope/load_lists.xlsx", 404, "plan &#39;nope&#39; not found"),
        ("/ui/plan/nope/departure.pdf?lane_id=L&depart_date=2027-01-01", 422, "fmt"),
        ("/ui/plan/nope/departure.csv?lane_id=L&depart_date=2027-13-01", 422, "depart_date"),
        ("/ui/plan/nope/departure.csv?depart_date=2027-01-01", 422, "lane_id"),
    ],
)
def test_bad_requests_are_located_4xx_pages(
    client: TestClient, path: str, status: int, named: str
) -> None:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert "<html" in response.text and named in response.text
    no_traceback(response.text)
    fragment = client.get(path, headers=HX)
    assert fragment.status_code == status and "<html" not in fragment.text


def test_an_unknown_departure_is_404(client: TestClient) -> None:
    plan_id = run_plan(client)
    response = client.get(
        f"/ui/plan/{plan_id}/departure.xlsx",
        params={"lane_id": "L_NOWHERE", "depart_date": "2027-01-05"},
    )
    assert response.status_code == 404 and "loads nothing on L_NOWHERE" in response.text


def test_storing_waits_its_turn_behind_another_writer(
    engine_and_client: tuple[Engine, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: another writer holds the database when the run comes to store its plan
    (taken once the planner is done, let go half a second later): the run waits, then
    stores, rather than failing at once."""
    engine, client = engine_and_client
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL writers wait for the rows' locks anyway")
    from tests.reliability.test_concurrency import WriteGate

    import_book(client)
    gate = WriteGate(engine)
    timers: list[threading.Timer] = []

    def planner_then_another_writer(problem: Any) -> Any:
        result = real_planner(problem)
        gate.hold()
        timers.append(threading.Timer(0.5, gate.release))
        timers[-1].start()
        return result

    monkeypatch.setattr(plan_jobs_module, "run_planner", planner_then_another_writer)
    form = {k: v for k, v in FORM.items() if k != "compare"}  # one planner run
    done = wait_for(client, start_run(client, form))
    for timer in timers:
        timer.join()
    assert len(timers) == 1
    assert 'data-phase="done"' in done, done
    with unit_of_work(engine) as session:
        assert plans_service.latest_version(session, ORG) is not None
