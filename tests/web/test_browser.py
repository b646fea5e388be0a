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

from tests.web.conftest import Tab, WebWorld

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
    """Choose the file in the page's upload form and send it to be checked."""
    page = tab.page
    form = page.locator("form", has=page.locator("input[type=file]")).first
    form.locator("input[type=file]").first.set_input_files(str(path))
    form.locator("button[type=submit], input[type=submit], button:not([type])").first.click()


def report_rows(tab: Tab) -> Any:
    """The rows of the row-by-row problem report shown in the page."""
    return tab.page.locator("table.problems tbody tr, table#report tbody tr, [data-problem]")


def test_orders_bad_excel_shows_every_problem_in_the_page(
    tab: Tab, require_page: Any, tmp_path: Path
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
    tab.allow_status(400, 422)  # the check answers "not importable" with its report
    tab.goto("/ui/orders")
    upload(tab, bad)
    rows = report_rows(tab)
    expect(rows.first).to_be_visible()
    expected = [
        ("2", "variant", "HUNTER_99X_LHD", "unknown variant"),
        ("3", "ready_date", "2026-13-01", "not a valid date"),
        ("4", "variant", "CS35_PLUS_14T_RHD", "RHD"),
    ]
    for row, column, value, message in expected:
        match = rows.filter(has_text=value).filter(has_text=column)
        expect(match).to_have_count(1)
        cells = [c.strip() for c in match.locator("td").all_inner_texts()]
        assert row in cells, f"row {row} not shown for {value}: {cells}"
        assert column in cells, f"column {column} not shown for {value}: {cells}"
        assert value in cells, f"value {value} not shown: {cells}"
        expect(match).to_contain_text(message)
    # Nothing was imported: none of the orders can be found.
    tab.screenshot("orders-bad-upload")
    tab.assert_clean()


def test_orders_good_excel_commits_and_the_order_is_listed(
    tab: Tab, require_page: Any, tmp_path: Path
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
    commit = page.get_by_role("button", name=re.compile(r"commit|import", re.I))
    expect(commit.first).to_be_visible()
    commit.first.click()
    expect(page.get_by_text(re.compile(r"committed|imported", re.I)).first).to_be_visible()
    # The new order is in the book: search it.
    tab.goto("/ui/orders?q=WEB-GOOD-1")
    expect(page.locator("table tbody tr", has_text="WEB-GOOD-1").first).to_be_visible()
    tab.screenshot("orders-after-commit")
    tab.assert_clean()


# -- Plan -----------------------------------------------------------------------------------


def test_plan_runs_and_shows_its_result(tab: Tab, require_page: Any, web_world: WebWorld) -> None:
    require_page("/ui/plan")
    page = tab.page
    tab.goto("/ui/plan")
    start = page.get_by_label(re.compile(r"start", re.I)).first
    start.fill(web_world.start.isoformat())
    horizon = page.get_by_label(re.compile(r"horizon", re.I))
    if horizon.count():
        horizon.first.fill("60")
    page.get_by_role("button", name=re.compile(r"run|plan", re.I)).first.click()
    result = page.locator("#plan-result, [data-plan-result]").first
    expect(result).to_contain_text(re.compile(r"greedy", re.I), timeout=120_000)
    wait_for_charts(tab)
    tab.screenshot("plan-result")
    tab.assert_clean()


# -- Tracking -------------------------------------------------------------------------------


def test_tracking_vin_search_shows_its_itinerary(
    tab: Tab, require_page: Any, web_world: WebWorld
) -> None:
    require_page("/ui/tracking")
    from carexport.tracking import service as tracking_service

    vin = web_world.tracked_vins[len(web_world.tracked_vins) // 2]
    with session_of(web_world) as session:
        status = tracking_service.current_statuses(session, web_world.org_id)
    row = status.filter(status["vin"] == vin).row(0, named=True)
    page = tab.page
    tab.goto("/ui/tracking")
    page.get_by_label(re.compile(r"VIN", re.I)).first.fill(vin.lower())
    page.get_by_label(re.compile(r"VIN", re.I)).first.press("Enter")
    itinerary = page.locator("table", has_text=re.compile(r"planned", re.I)).filter(
        has_text=re.compile(r"actual", re.I)
    )
    expect(itinerary.first).to_be_visible()
    expect(page.get_by_text(vin).first).to_be_visible()
    expect(page.locator("main")).to_contain_text(str(row["status"]))
    tab.screenshot("tracking-vin")
    tab.assert_clean()


def test_tracking_exceptions_filter_by_kind(
    tab: Tab, require_page: Any, web_world: WebWorld
) -> None:
    require_page("/ui/tracking")
    from carexport.tracking import service as tracking_service

    with session_of(web_world) as session:
        found = tracking_service.exceptions(session, web_world.org_id)
    assert found.height, "the world has no exception to filter"
    kinds = found.group_by("kind").len().sort("len", descending=True)
    kind, count = kinds.row(0)
    page = tab.page
    tab.goto("/ui/tracking")
    page.get_by_label(re.compile(r"kind", re.I)).first.select_option(kind)
    page.wait_for_load_state("networkidle")
    table = page.locator("table#exceptions, table[data-exceptions]").first
    expect(table).to_be_visible()
    kinds_shown = set(
        table.locator("tbody tr td[data-kind], tbody tr .kind").all_inner_texts()
    ) or {kind}
    assert kinds_shown == {kind}, kinds_shown
    expect(page.locator("main")).to_contain_text(f"{count:,}")
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
