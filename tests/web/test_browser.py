"""The dashboard in Chromium: every page opens without a console error or a request to
another host, shows what the services compute, and its forms work (upload, commit, plan,
VIN search, exception filters, lane departures). Screenshots of every page are saved as
artefacts (see conftest.py)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD, USERNAME, Tab, WebWorld, sign_in

PAGES = [
    ("/ui/", "overview"),
    ("/ui/map", "map"),
    ("/ui/orders", "orders"),
    ("/ui/plan", "plan"),
    ("/ui/tracking", "tracking"),
    ("/ui/network", "network"),
]


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def wait_for_charts(tab: Tab) -> int:
    """Every [data-chart] drawn by app.js (data-drawn="true") with a canvas inside."""
    charts = tab.page.locator("[data-chart]")
    count = int(charts.count())
    for i in range(count):
        chart = charts.nth(i)
        expect(chart).to_have_attribute("data-drawn", "true")
        expect(chart.locator("canvas").first).to_be_attached()
    return count


def session_of(world: WebWorld) -> Any:
    from carexport.db.session import make_engine, unit_of_work

    class Reader:
        def __enter__(self) -> Any:
            self.engine = make_engine(world.url)
            self.unit = unit_of_work(self.engine)
            return self.unit.__enter__()

        def __exit__(self, *exc: object) -> None:
            self.unit.__exit__(*exc)
            self.engine.dispose()

    return Reader()


# -- every page ---------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "name"), PAGES, ids=[name for _, name in PAGES])
def test_page_opens_clean(tab: Tab, require_page: Any, path: str, name: str) -> None:
    require_page(path)
    response = tab.goto(path)
    assert response is not None and response.status == 200
    page = tab.page
    expect(page).to_have_title(re.compile(r"· carexport$"))
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator(f'nav a[href="{path}"]')).to_have_attribute("aria-current", "page")
    wait_for_charts(tab)
    # Every control has a name a screen reader can say (label, aria-label or title).
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                         && !e.getAttribute('aria-labelledby') && !e.title)
            .map(e => e.outerHTML.slice(0, 120))"""
    )
    assert not unnamed, f"controls without a label on {path}: {unnamed}"
    tab.screenshot(name)
    tab.assert_clean()


def test_requests_to_other_hosts_are_blocked_and_counted(tab: Tab) -> None:
    """The guard itself: a page asking another host gets nothing, and the test sees it."""
    tab.goto("/ui/")
    outcome = tab.page.evaluate(
        "() => fetch('https://cdn.example.org/lib.js').then(() => 'fetched', () => 'blocked')"
    )
    assert outcome == "blocked"
    assert tab.blocked == ["https://cdn.example.org/lib.js"]
    assert any("blocked" in p for p in tab.problems())
    # Chromium also logs the refused request as a console error; both are the test's own.
    tab.blocked.clear()
    tab.console_errors[:] = [e for e in tab.console_errors if "ERR_BLOCKED_BY_CLIENT" not in e]
    tab.assert_clean()


def test_sign_in_csrf_and_sign_out(anonymous_tab: Tab) -> None:
    """A page asks for a sign-in and comes back to it; a wrong password is told; the
    session cookie is HttpOnly and SameSite=Lax; a form post without the page's CSRF token
    is refused; signing out ends the session."""
    tab = anonymous_tab
    tab.goto("/ui/orders")
    assert "/ui/login?next=/ui/orders" in tab.page.url
    tab.allow_status(401)
    sign_in(tab, USERNAME, "not the password", open_page=False)
    expect(tab.page.get_by_role("alert")).to_contain_text("Wrong user name or password")
    sign_in(tab, USERNAME, PASSWORD, open_page=False)
    assert tab.page.url.endswith("/ui/orders")
    cookie = next(c for c in tab.page.context.cookies() if c["name"] == "carexport_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    token = tab.page.get_attribute("body", "data-csrf")
    assert (
        token and tab.page.get_attribute("body", "hx-headers") == f'{{"X-CSRF-Token": "{token}"}}'
    )
    # The same browser (same cookie) posting without the token, as another site would.
    tab.allow_status(403)
    forged = tab.page.request.post(tab.base + "/ui/plan/run", form={"start": "2027-01-04"})
    assert forged.status == 403 and "security token" in forged.text()
    with tab.page.expect_navigation():
        tab.page.click("form.logout button[type=submit]")
    assert "/ui/login" in tab.page.url
    tab.goto("/ui/orders")
    assert "/ui/login" in tab.page.url
    tab.assert_clean()


def test_overview_on_a_phone(phone_tab: Tab) -> None:
    phone_tab.goto("/ui/")
    wait_for_charts(phone_tab)
    # Nothing wider than the screen but the tables' own scroll boxes.
    overflow = phone_tab.page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"the overview is {overflow}px wider than a 390px phone"
    phone_tab.screenshot("overview")
    phone_tab.assert_clean()


# -- Overview -------------------------------------------------------------------------------


def test_overview_numbers_are_the_services(tab: Tab, web_world: WebWorld) -> None:
    from carexport.kpi import service as kpi_service

    with session_of(web_world) as session:
        yearly = {
            basis: kpi_service.exports(session, web_world.org_id, basis=basis, period="year")
            for basis in ("customs", "planned")
        }
        monthly = kpi_service.exports(session, web_world.org_id, basis="customs", period="month")
        statuses = kpi_service.targets(session, web_world.org_id)
    assert yearly["customs"].frame.height, "the world has no customs-basis export"

    tab.goto("/ui/")
    page = tab.page
    latest = yearly["customs"].frame.tail(1).row(0, named=True)
    expect(page.locator('[data-kpi="vehicles"]')).to_have_text(f"{latest['vehicles']:,}")
    expect(page.locator(".card", has=page.locator('[data-kpi="vehicles"]'))).to_contain_text(
        str(latest["period"])
    )
    assert wait_for_charts(tab) >= 2
    rows = page.locator("#targets tbody tr[data-target]")
    expect(rows).to_have_count(len(statuses))
    shown = set(rows.evaluate_all("rows => rows.map(r => r.dataset.target)"))
    assert shown == {s.target.id for s in statuses}
    for status in statuses:
        row = page.locator(f'#targets tr[data-target="{status.target.id}"]')
        expect(row.locator(".status")).to_have_text(status.status)
    month_rows = page.locator("details table tbody tr")
    expect(month_rows).to_have_count(monthly.frame.height)

    # The other definition of "exported", chosen in the page.
    page.get_by_label("Exported means").select_option("planned")
    page.wait_for_url(re.compile(r"basis=planned"))
    planned = yearly["planned"].frame.tail(1).row(0, named=True)
    expect(page.locator('[data-kpi="vehicles"]')).to_have_text(f"{planned['vehicles']:,}")
    tab.assert_clean()


# -- Orders ---------------------------------------------------------------------------------


def write_orders_xlsx(path: Path, rows: list[list[object]]) -> Path:
    import xlsxwriter

    header = [
        "order_id",
        "brand",
        "model",
        "variant",
        "quantity",
        "origin",
        "destination_country",
        "ready_date",
        "due_date",
    ]
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("orders")
    date_cell = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_cell)
            else:
                sheet.write(r, c, value)
    workbook.close()
    return path


def upload(tab: Tab, path: Path) -> None:
    """Choose the file in the page's upload form and have it checked (a dry run)."""
    page = tab.page
    form = page.locator("#upload-form")
    form.get_by_label(re.compile(r"^Order file")).set_input_files(str(path))
    form.get_by_role("button", name=re.compile(r"check", re.I)).click()
    expect(page.locator("#upload-report")).to_be_visible()


def order_in_store(world: WebWorld, order_id: str) -> bool:
    from carexport.orders import service as orders_service

    with session_of(world) as session:
        return orders_service.get_order(session, world.org_id, order_id) is not None


def test_orders_bad_excel_shows_every_problem_in_the_page(
    tab: Tab, require_page: Any, web_world: WebWorld, tmp_path: Path
) -> None:
    require_page("/ui/orders")
    ready = dt.date.today() + dt.timedelta(days=10)
    due = ready + dt.timedelta(days=80)
    bad = write_orders_xlsx(
        tmp_path / "bad-orders.xlsx",
        [
            # row 2: a variant the model does not have
            ["BAD-1", "CHANGAN", "HUNTER", "HUNTER_99X_LHD", 5, "CN_CQ_CHANGAN", "MX", ready, due],
            # row 3: month 13
            [
                "BAD-2",
                "CHANGAN",
                "HUNTER",
                "HUNTER_20T_LHD",
                5,
                "CN_CQ_CHANGAN",
                "MX",
                "2026-13-01",
                due,
            ],
            # row 4: a right-hand-drive car for Mexico, which drives on the right
            [
                "BAD-3",
                "CHANGAN",
                "CS35_PLUS",
                "CS35_PLUS_14T_RHD",
                5,
                "CN_CQ_CHANGAN",
                "MX",
                ready,
                due,
            ],
        ],
    )
    tab.allow_status(400, 422)  # a file that cannot be imported may be answered as such
    page = tab.page
    tab.goto("/ui/orders")
    upload(tab, bad)
    rows = page.locator("#report tbody tr")
    expect(rows).to_have_count(3)
    expected = [
        ("2", "variant", "HUNTER_99X_LHD", "unknown variant"),
        ("3", "ready_date", "2026-13-01", "not a valid date"),
        ("4", "variant", "CS35_PLUS_14T_RHD", "RHD"),
    ]
    headers = [h.strip() for h in page.locator("#report thead th").all_inner_texts()]
    for row, column, value, message in expected:
        match = rows.filter(has_text=value)
        expect(match).to_have_count(1)
        cells = dict(
            zip(headers, (c.strip() for c in match.locator("td").all_inner_texts()), strict=True)
        )
        assert cells["file"] == "bad-orders.xlsx", cells
        assert cells["row"] == row, cells
        assert cells["column"] == column, cells
        assert cells["value"] == value, cells
        assert message in cells["problem"], cells
        assert cells["fix"], cells
    expect(page.locator('#report-counts [data-count="errors"]')).to_have_text("3")
    # The import cannot be committed, and nothing was written.
    expect(page.get_by_role("button", name=re.compile(r"^Import"))).to_be_disabled()
    assert not any(order_in_store(web_world, f"BAD-{i}") for i in (1, 2, 3))
    # The report downloads with every problem.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="download CSV").click()
    report = Path(download_info.value.path()).read_text(encoding="utf-8")
    for _, _, value, _ in expected:
        assert value in report, report
    tab.screenshot("orders-bad-upload")
    tab.assert_clean()


def test_orders_good_excel_commits_and_the_order_is_listed(
    tab: Tab, require_page: Any, web_world: WebWorld, tmp_path: Path
) -> None:
    require_page("/ui/orders")
    ready = dt.date.today() + dt.timedelta(days=10)
    due = ready + dt.timedelta(days=90)
    good = write_orders_xlsx(
        tmp_path / "good-orders.xlsx",
        [
            [
                "WEB-GOOD-1",
                "CHANGAN",
                "HUNTER",
                "HUNTER_20T_LHD",
                7,
                "CN_CQ_CHANGAN",
                "MX",
                ready,
                due,
            ]
        ],
    )
    page = tab.page
    tab.goto("/ui/orders")
    upload(tab, good)
    expect(page.locator("#upload-report")).to_have_attribute("data-state", "checked")
    expect(page.locator('#report-counts [data-count="orders_inserted"]')).to_have_text("1")
    assert not order_in_store(web_world, "WEB-GOOD-1")  # a dry run writes nothing
    page.get_by_role("button", name="Import 1 order").click()
    expect(page.locator("#upload-report")).to_have_attribute("data-state", "committed")
    expect(page.locator("#upload-report")).to_contain_text("Imported")
    assert order_in_store(web_world, "WEB-GOOD-1")
    # The new order is in the book: filter on its id.
    tab.goto("/ui/orders")
    search = page.get_by_label("Order id contains")
    search.fill("WEB-GOOD")
    search.press("Enter")
    row = page.locator("table tbody tr", has_text="WEB-GOOD-1")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Mexico")
    expect(row).to_contain_text("7")
    tab.screenshot("orders-after-commit")
    tab.assert_clean()


# -- Tracking -------------------------------------------------------------------------------


def test_tracking_vin_search_shows_its_itinerary(
    tab: Tab, require_page: Any, web_world: WebWorld
) -> None:
    require_page("/ui/tracking")
    import polars as pl

    from carexport.tracking import service as tracking_service

    with session_of(web_world) as session:
        status = tracking_service.current_statuses(session, web_world.org_id)
        events, expected = tracking_service.tracked_history(session, web_world.org_id)
    # A vehicle in transit: some milestones reported, the arrival and what follows not yet.
    planned = expected.group_by("vin").len().rename({"len": "planned"})
    candidates = (
        status.filter(status["status"] == "in_transit")
        .join(planned, on="vin")
        .filter(pl.col("vin").is_in(events["vin"].unique().to_list()))
        .sort("vin")
    )
    assert candidates.height, "no vehicle in transit in the world"
    vin, vehicle_status, milestones = candidates.select("vin", "status", "planned").row(
        candidates.height // 2
    )
    page = tab.page
    tab.goto("/ui/tracking")
    search = page.get_by_label(re.compile(r"^VIN"))
    search.fill(vin)
    search.press("Enter")
    detail = page.locator("#vehicle-detail")
    expect(detail.locator("#vehicle-h")).to_contain_text(vin)
    expect(detail.locator('[data-field="status"]')).to_have_text(vehicle_status)
    expect(detail.locator('[data-field="eta_p90"]')).not_to_be_empty()
    itinerary = detail.locator("#itinerary tbody tr")
    expect(itinerary).to_have_count(milestones)
    actual = [
        t.strip() for t in detail.locator("#itinerary tbody tr td:nth-child(6)").all_inner_texts()
    ]
    assert any(a != "not yet" for a in actual) and "not yet" in actual, actual
    tab.screenshot("tracking-vin")

    # The first characters of a VIN list the vehicles that start with them.
    search.fill(vin[:12])
    search.press("Enter")
    expect(page.locator("#vin-matches tbody tr", has_text=vin)).to_have_count(1)
    tab.assert_clean()


def test_tracking_exceptions_filter_by_kind(
    tab: Tab, require_page: Any, web_world: WebWorld
) -> None:
    require_page("/ui/tracking")
    from carexport.tracking import service as tracking_service

    as_of = dt.date.today()
    with session_of(web_world) as session:
        found = tracking_service.exceptions(
            session, web_world.org_id, now=dt.datetime.combine(as_of, dt.time(), dt.UTC)
        )
    assert found.height, "the world has no exception to filter"
    counts = dict(found.group_by("kind").len().iter_rows())
    kind = max(sorted(counts), key=lambda k: counts[k])
    page = tab.page
    tab.goto(f"/ui/tracking?as_of={as_of.isoformat()}")
    results = page.locator("#exception-results")
    expect(results.locator("#exceptions")).to_be_visible()
    expect(results.locator("#exceptions caption")).to_contain_text(f"{found.height:,}")
    page.locator("#exception-filters").get_by_label(re.compile(r"^Kind")).select_option(kind)
    caption = results.locator("#exceptions caption")
    expect(caption).to_contain_text(f"{counts[kind]:,}")
    expect(results.locator("#exceptions tbody tr")).to_have_count(min(counts[kind], 50))
    shown = set(results.locator("#exceptions tbody td[data-kind]").all_inner_texts())
    assert shown == {kind}, shown
    for other, n in counts.items():
        chip = results.locator(".chips li", has_text=re.compile(rf"^{other} "))
        expect(chip.locator("strong")).to_have_text(f"{n:,}")
    tab.screenshot("tracking-exceptions")
    tab.assert_clean()


# -- Map ------------------------------------------------------------------------------------


def busiest_lane(world: WebWorld) -> tuple[str, int, Any]:
    """The lane carrying most vehicles in the current plan, its vehicles, and its loaded
    departures (plans.service.lane_loads)."""
    from carexport.plans import service as plans_service

    with session_of(world) as session:
        plan = plans_service.latest_version(session, world.org_id)
        assert plan is not None
        flows = plans_service.lane_flows(session, world.org_id, plan.id)
        lane_id, vehicles = (
            flows.sort(["vehicles", "lane_id"], descending=[True, False])
            .select("lane_id", "vehicles")
            .row(0)
        )
        loads = plans_service.lane_loads(session, world.org_id, plan.id, lane_id)
    return str(lane_id), int(vehicles), loads


def assert_lane_detail(tab: Tab, lane_id: str, loads: Any) -> None:
    page = tab.page
    detail = page.locator("#lane-detail")
    expect(detail.locator("#lane-title")).to_have_text(lane_id)
    table = detail.locator("#lane-departures")
    expect(table).to_be_visible()
    loaded = loads.filter(loads["vehicles"] > 0)
    assert loaded.height
    for day, vehicles in loaded.select("depart_date", "vehicles").iter_rows():
        row = table.locator(f'tbody tr[data-date="{day.isoformat()}"]')
        expect(row.locator('[data-col="vehicles"]')).to_have_text(f"{vehicles:,}")
    expect(detail.locator("#lane-totals")).to_contain_text(f"{int(loaded['vehicles'].sum()):,}")


def test_map_lane_table_link_shows_its_departures(
    tab: Tab, require_page: Any, web_world: WebWorld
) -> None:
    require_page("/ui/map")
    from carexport.network import service as network_service

    with session_of(web_world) as session:
        lanes = network_service.snapshot_of(session, web_world.org_id).lanes
    lane_id, vehicles, loads = busiest_lane(web_world)
    page = tab.page
    tab.goto("/ui/map")
    wait_for_charts(tab)
    expect(page.locator("#lanes tbody tr[data-lane]")).to_have_count(len(lanes))
    row = page.locator(f'#lanes tbody tr[data-lane="{lane_id}"]')
    expect(row.locator('[data-col="planned_vehicles"]')).to_have_text(f"{vehicles:,}")
    row.get_by_role("link", name=lane_id).click()
    assert_lane_detail(tab, lane_id, loads)
    tab.screenshot("map-lane")
    tab.assert_clean()


def test_map_click_on_a_lane_shows_its_departures(
    tab: Tab, require_page: Any, web_world: WebWorld
) -> None:
    require_page("/ui/map")
    from carexport.plans import service as plans_service

    with session_of(web_world) as session:
        plan = plans_service.latest_version(session, web_world.org_id)
        assert plan is not None
        flows = plans_service.lane_flows(session, web_world.org_id, plan.id)
    loaded = flows.filter(flows["vehicles"] > 0)["lane_id"].to_list()
    page = tab.page
    tab.goto("/ui/map")
    wait_for_charts(tab)
    # The loaded lane drawn longest on the screen, and the middle of its longest segment.
    point = page.evaluate(
        """(loaded) => {
            const element = document.getElementById('network-map');
            const chart = echarts.getInstanceByDom(element);
            const box = element.getBoundingClientRect();
            let best = null;
            for (const series of chart.getOption().series) {
                if (series.type !== 'lines') continue;
                for (const item of series.data) {
                    if (!loaded.includes(item.key)) continue;
                    if (item.lineStyle && item.lineStyle.curveness) continue;
                    const pixels = item.coords.map(c => chart.convertToPixel({geoIndex: 0}, c));
                    for (let i = 0; i + 1 < pixels.length; i++) {
                        const [a, b] = [pixels[i], pixels[i + 1]];
                        const length = Math.hypot(b[0] - a[0], b[1] - a[1]);
                        const x = (a[0] + b[0]) / 2, y = (a[1] + b[1]) / 2;
                        if (x < 0 || y < 0 || x > box.width || y > box.height) continue;
                        if (!best || length > best.length)
                            best = {lane: item.key, length, x: box.left + x, y: box.top + y};
                    }
                }
            }
            return best;
        }""",
        loaded,
    )
    assert point is not None, "no loaded lane is drawn on the map"
    page.mouse.click(point["x"], point["y"])
    title = page.locator("#lane-detail #lane-title")
    expect(title).to_have_text(re.compile(r"^L_"))
    # Where lanes overlap, the click may pick a neighbour: the detail is checked for the
    # lane shown, against the service.
    shown = title.inner_text().strip()
    assert shown in flows["lane_id"].to_list(), shown
    with session_of(web_world) as session:
        loads = plans_service.lane_loads(session, web_world.org_id, plan.id, shown)
    assert_lane_detail(tab, shown, loads)
    tab.screenshot("map-lane-click")
    tab.assert_clean()


# -- Network --------------------------------------------------------------------------------


def test_network_markets_and_lanes_are_the_services(
    tab: Tab, require_page: Any, web_world: WebWorld
) -> None:
    require_page("/ui/network")
    from carexport.network import service as network_service

    with session_of(web_world) as session:
        snapshot = network_service.snapshot_of(session, web_world.org_id)
    summary = network_service.summarise(snapshot, dt.date.today())
    page = tab.page
    tab.goto("/ui/network")
    rows = page.locator("#markets-table tbody tr[data-market]")
    expect(rows).to_have_count(len(summary.markets))
    reachable = [m for m in summary.markets if m.fastest and m.cheapest]
    assert reachable
    for market in reachable:
        assert market.fastest and market.cheapest
        row = page.locator(f'#markets-table tr[data-market="{market.country}"]')
        expect(row.locator('[data-field="fastest_days"]')).to_have_text(
            f"{market.fastest.days:.1f}"
        )
        expect(row.locator('[data-field="fastest_usd"]')).to_have_text(
            f"{market.fastest.cost_usd:,.0f}"
        )
        expect(row.locator('[data-field="cheapest_usd"]')).to_have_text(
            f"{market.cheapest.cost_usd:,.0f}"
        )
    expect(page.locator("#lanes-table caption")).to_contain_text(
        f"{len(snapshot.lanes)} of {len(snapshot.lanes)} lanes"
    )
    tab.assert_clean()


# -- Plan (last: it stores a new current plan, which the other pages then show) -------------


def test_plan_runs_and_shows_its_result(tab: Tab, require_page: Any, web_world: WebWorld) -> None:
    require_page("/ui/plan")
    from carexport.plans import service as plans_service

    with session_of(web_world) as session:
        before = plans_service.latest_version(session, web_world.org_id)
    page = tab.page
    tab.goto("/ui/plan")
    form = page.get_by_role("form", name="Plan parameters")
    form.get_by_label("Start date").fill(web_world.start.isoformat())
    form.get_by_label("Horizon (days)").fill("60")
    form.get_by_label("Compare with greedy").check()
    form.get_by_role("button", name="Run plan").click()
    # The run shows its progress, then the stored plan.
    job = page.locator("#plan-job")
    expect(job).to_be_attached()
    expect(job).to_have_attribute("data-phase", "done", timeout=120_000)
    plan_id = job.get_attribute("data-plan")
    assert plan_id
    with session_of(web_world) as session:
        latest = plans_service.latest_version(session, web_world.org_id)
    assert latest is not None and latest.id == plan_id
    assert before is None or before.id != plan_id
    assert latest.start_date == web_world.start and latest.horizon_days == 60
    result = page.locator(f'#plan-result [data-plan="{plan_id}"]')
    expect(result).to_be_visible()
    expect(result.locator('[data-kpi="saving"]')).to_contain_text("greedy baseline")
    expect(result.locator("#plan-comparison")).to_be_visible()
    assert wait_for_charts(tab) >= 1
    flows = None
    with session_of(web_world) as session:
        flows = plans_service.lane_flows(session, web_world.org_id, plan_id)
    expect(result.locator('[data-kpi="departures"]')).to_contain_text(
        f"{int(flows['departures'].sum()):,} departures loaded"
    )
    # The load lists download as CSV, one row per loaded departure.
    with page.expect_download() as download_info:
        result.get_by_role("link", name="Load lists (CSV)").click()
    lines = Path(download_info.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("lane_id,"), lines[0]
    assert len(lines) - 1 == int(flows["departures"].sum())
    tab.screenshot("plan-result")
    tab.assert_clean()
