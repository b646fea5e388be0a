"""The browser suite's world: a small but complete store (built-in network, a generated
order book, a stored plan, simulated events), `carexport serve` on it, and Chromium driven
by Playwright, with every request to any other host blocked and counted.

Chromium is Debian's (`apt-get install chromium`). Without it the browser tests skip,
unless CAREXPORT_REQUIRE_BROWSER=1 (set by CI), when they fail instead. Screenshots go
to CAREXPORT_ARTEFACTS (default tests/web/artefacts/).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ORG = "webtest"
# The browser signs in through the login page as this user (created with the world).
USERNAME = "webtest-admin"
PASSWORD = "correct horse battery staple"
VEHICLES_PER_YEAR = 12_000.0  # about 1,000 VINs in one month of orders
ARTEFACTS = Path(os.environ.get("CAREXPORT_ARTEFACTS") or Path(__file__).parent / "artefacts")
REQUIRE_BROWSER = os.environ.get("CAREXPORT_REQUIRE_BROWSER", "") not in ("", "0")
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class WebWorld:
    url: str  # the database
    org_id: str
    start: dt.date  # first ready date of the order book and the plan's start
    plan_id: str
    folder: Path
    order_ids: list[str]
    tracked_vins: list[str]  # VINs with at least one stored event


def build_world(folder: Path, *, vehicles_per_year: float = VEHICLES_PER_YEAR) -> WebWorld:
    """The demo's steps on a small scale (see carexport.cli.demo): network, one month of
    orders 50 days ago, a plan over 90 days, the events simulated up to two hours ago
    ingested in one batch, transit learned."""
    from carexport.access import service as access_service
    from carexport.access.permissions import Role
    from carexport.db.migrate import upgrade
    from carexport.db.session import make_engine, unit_of_work
    from carexport.network.dataset import builtin_folder
    from carexport.network.service import load_dataset, snapshot_of
    from carexport.orders.generate import generate, write_order_book
    from carexport.orders.service import ImportOptions, import_orders, read_files
    from carexport.planning.problem import PlanParameters
    from carexport.plans.service import plan_and_store
    from carexport.tracking.ingest import ingest, numbered
    from carexport.tracking.service import learn_transit, simulated_events

    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'web.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        access_service.add_user(session, ORG, USERNAME, Role.admin, password=PASSWORD)
        load_dataset(session, ORG, builtin_folder())
    with unit_of_work(engine) as session:
        snapshot = snapshot_of(session, ORG)
    start = dt.date.today() - dt.timedelta(days=50)
    book = generate(snapshot, months=1, start=start, seed=3, vehicles_per_year=vehicles_per_year)
    files = write_order_book(book, folder / "orders.csv", about="browser tests")
    orders, vehicles = read_files(files[0], files[1], ImportOptions())
    with unit_of_work(engine) as session:
        report = import_orders(
            session, ORG, snapshot, orders, vehicles, ImportOptions(), source=files[0].name
        )
    assert report.committed and not report.errors, report.errors[:3]
    with unit_of_work(engine) as session:
        plan_id, _ = plan_and_store(
            session, ORG, PlanParameters(start=start, horizon_days=90, time_limit_s=60)
        )
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(engine) as session:
        records = simulated_events(session, ORG, plan_id, until=now - dt.timedelta(hours=2), seed=3)
    with unit_of_work(engine) as session:
        ingest(session, ORG, numbered(records), source="simulator", now=now)
        learn_transit(session, ORG, now=now)
    engine.dispose()
    return WebWorld(
        url=url,
        org_id=ORG,
        start=start,
        plan_id=plan_id,
        folder=folder,
        order_ids=book.orders["order_id"].to_list(),
        tracked_vins=records["vin"].drop_nulls().unique().sort().to_list(),
    )


@pytest.fixture(scope="session")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> WebWorld:
    return build_world(tmp_path_factory.mktemp("web"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def carexport_command() -> list[str]:
    script = Path(sys.executable).with_name("carexport")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from carexport.cli import main; main()"]


@pytest.fixture(scope="session")
def server(web_world: WebWorld) -> Iterator[str]:
    """`carexport serve` on the world's database; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "CAREXPORT_DATABASE_URL": web_world.url,
        "CAREXPORT_ORG_ID": web_world.org_id,
    }
    log = (web_world.folder / "serve.log").open("wb")
    process = subprocess.Popen(
        [*carexport_command(), "serve", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    text = (web_world.folder / "serve.log").read_text(errors="replace")
                    pytest.fail(f"carexport serve did not start:\n{text[-3000:]}")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def status_of(base: str, path: str) -> int:
    try:
        with urllib.request.urlopen(base + path, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture(scope="session")
def require_page(server: str) -> Callable[[str], None]:
    """Skip a test whose page is not built yet (its route answers 404)."""

    def check(path: str) -> None:
        if status_of(server, path) == 404:
            pytest.skip(f"page {path} is not built yet: GET {path} answers 404")

    return check


def chromium_path() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


# One browser per test file, not per session: Playwright's sync API keeps its asyncio loop
# marked as running in this thread while it is started, so with a session-wide browser every
# later file on the same pytest-xdist worker that runs a loop of its own (tests/test_loadgen.py,
# anything through asyncio.run) failed with "Cannot run the event loop while another loop is
# running" - depending only on which files the worker happened to get.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        reason = "no chromium binary (apt-get install chromium) to drive with Playwright"
        if REQUIRE_BROWSER:
            pytest.fail(f"CAREXPORT_REQUIRE_BROWSER is set but there is {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="session")
def artefacts() -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS


# Chromium reports every 4xx/5xx answer as a console error; those are checked as responses
# instead (an expected 4xx, such as a rejected upload, is declared by the test).
FAILED_RESOURCE = re.compile(r"^Failed to load resource: the server responded with a status of")


@dataclass
class Tab:
    """One browser context and its page, with what went wrong in it."""

    page: Any
    base: str
    artefacts: Path
    viewport: dict[str, int]
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_responses: list[tuple[int, str]] = field(default_factory=list)
    allowed_statuses: set[int] = field(default_factory=set)
    reported: list[str] = field(default_factory=list)

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        return response

    def allow_status(self, *statuses: int) -> None:
        """Answers with these statuses are part of the test (e.g. 422 for a bad upload)."""
        self.allowed_statuses.update(statuses)

    def screenshot(self, name: str) -> Path:
        path = self.artefacts / f"{name}-{self.viewport['width']}x{self.viewport['height']}.png"
        self.page.wait_for_load_state("networkidle")  # no request (or indicator) in flight
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def problems(self) -> list[str]:
        found = [f"request to another host blocked: {url}" for url in self.blocked]
        found += [f"console error: {text}" for text in self.console_errors]
        found += [
            f"HTTP {status} for {url}"
            for status, url in self.failed_responses
            if status >= 500 or status not in self.allowed_statuses
        ]
        return found

    def assert_clean(self) -> None:
        problems = self.problems()
        self.reported = problems
        assert not problems, "\n".join(problems)

    def assert_clean_since_check(self) -> None:
        """At teardown: what went wrong after the test's own check (or without one)."""
        if self.problems() != self.reported:
            self.assert_clean()


def sign_in(
    tab: Tab, username: str = USERNAME, password: str = PASSWORD, *, open_page: bool = True
) -> Any:
    """Through the login page (opened, or the one shown already), as a user would."""
    if open_page:
        tab.goto("/ui/login")
    tab.page.fill("input[name=username]", username)
    tab.page.fill("input[name=password]", password)
    with tab.page.expect_navigation():
        tab.page.click("form.login button[type=submit]")
    tab.page.wait_for_load_state("networkidle")
    return tab.page


def open_tab(
    browser: Any, base: str, artefacts: Path, viewport: dict[str, int], *, signed_in: bool = True
) -> Tab:
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    own = urlsplit(base).netloc
    tab = Tab(page=None, base=base, artefacts=artefacts, viewport=viewport)

    def route(route: Any) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in ("data", "blob", "about") or parts.netloc == own:
            route.continue_()
        else:
            tab.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(20_000)

    def on_console(message: Any) -> None:
        if message.type == "error" and not FAILED_RESOURCE.match(message.text):
            tab.console_errors.append(message.text)

    def on_response(response: Any) -> None:
        if response.status >= 400:
            tab.failed_responses.append((response.status, response.url))

    page.on("console", on_console)
    page.on("pageerror", lambda error: tab.console_errors.append(f"page error: {error}"))
    page.on("response", on_response)
    tab.page = page
    if signed_in:
        sign_in(tab)
        assert tab.page.url.endswith("/ui/"), tab.page.url
    return tab


@pytest.fixture
def tab(browser: Any, server: str, artefacts: Path) -> Iterator[Tab]:
    """A fresh 1366x768 page on the test server. The test fails on any blocked request,
    console or page error, or unexpected error answer (checked again at teardown)."""
    opened = open_tab(browser, server, artefacts, DESKTOP)
    yield opened
    opened.page.context.close()
    opened.assert_clean_since_check()


@pytest.fixture
def anonymous_tab(browser: Any, server: str, artefacts: Path) -> Iterator[Tab]:
    """A page that has not signed in."""
    opened = open_tab(browser, server, artefacts, DESKTOP, signed_in=False)
    yield opened
    opened.page.context.close()
    opened.assert_clean_since_check()


@pytest.fixture
def phone_tab(browser: Any, server: str, artefacts: Path) -> Iterator[Tab]:
    opened = open_tab(browser, server, artefacts, PHONE)
    yield opened
    opened.page.context.close()
    opened.assert_clean_since_check()
