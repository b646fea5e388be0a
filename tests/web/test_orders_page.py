"""The Orders page (/ui/orders): the order book shows what orders.service returns (filters,
keyset pages, one order's detail), an upload is checked as a dry run and shown row by row,
then imported or dropped, and every bad request or file is a clear 4xx in the page."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.network.dataset import builtin_folder
from carexport.network.service import load_dataset, snapshot_of
from carexport.orders import service as orders_service
from carexport.orders.service import ImportOptions, OrderFilter, import_orders, read_files
from carexport.web import orders as orders_page
from carexport.web import orders_upload
from tests.clients import client_for, make_user

ORG = "acme"
DATA = Path(__file__).parents[1] / "data" / "orders"
GOOD = DATA / "good"
HTMX = {"HX-Request": "true"}
BOOK = {**HTMX, "HX-Target": "book"}
ORDER_HEADER = [
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


# -- Reading the page -----------------------------------------------------------------------


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                wanted = tag is None or child.tag == tag
                for key, value in attrs.items():
                    have = child.attrs.get(key.rstrip("_").replace("_", "-"))
                    if key.rstrip("_") == "class":
                        wanted = wanted and value in (have or "").split()
                    else:
                        wanted = wanted and have == value
                if wanted:
                    found.append(child)
                found.extend(child.all(tag, **attrs))
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag} {attrs}>"
        return found[0]


VOID = {"input", "br", "meta", "link", "img", "hr", "source", "col"}


class Tree(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.root = self.current = Node("root", {}, None)
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def tree(html: str) -> Node:
    return Tree(html).root


def problem_rows(html: str) -> list[list[str]]:
    """severity, file, row, column, value, problem, fix of each problem shown."""
    table = tree(html).one("table", class_="problems")
    return [[td.text() for td in tr.all("td")] for tr in table.one("tbody").all("tr")]


def counts(html: str) -> dict[str, int]:
    return {
        node.attrs["data-count"]: int(node.text().replace(",", ""))
        for node in tree(html).all("td")
        if "data-count" in node.attrs
    }


def shown_orders(html: str) -> list[str]:
    return [node.attrs["data-order"] for node in tree(html).all("tr") if "data-order" in node.attrs]


def link(html: str, rel: str) -> str | None:
    found = [a.attrs["href"] for a in tree(html).all("a") if a.attrs.get("rel") == rel]
    return found[0] if found else None


def token_of(html: str) -> str:
    match = re.search(r"/ui/orders/upload/([A-Za-z0-9_-]{32})/commit", html)
    assert match, "no commit form in the report"
    return match.group(1)


def error_fields(html: str) -> list[str]:
    """The field column of the error fragment's problem table."""
    return [row[3] for row in problem_rows(html)]


# -- The world ------------------------------------------------------------------------------


def make_client(database_url: str, uploads: Path) -> TestClient:
    client = client_for(database_url, ORG)
    client.app.state.order_upload_dir = uploads  # type: ignore[attr-defined]
    return client


@pytest.fixture
def client(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """The built-in network and no orders."""
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, builtin_folder())
    with make_client(database_url, tmp_path / "uploads") as test_client:
        yield test_client


def import_file(engine: Engine, orders: Path, vehicles: Path | None = None) -> None:
    orders_table, vehicles_table = read_files(orders, vehicles, ImportOptions())
    with unit_of_work(engine) as session:
        report = import_orders(
            session,
            ORG,
            snapshot_of(session, ORG),
            orders_table,
            vehicles_table,
            ImportOptions(),
            source=orders.name,
        )
        assert report.committed and not report.errors, report.errors


def book_csv(path: Path, count: int, *, prefix: str = "P") -> Path:
    """count valid orders (Changan Hunter to Mexico), ten of them on each ready date, so
    that pages split days and the order id breaks the ties."""
    start = dt.date(2027, 3, 1)
    pl.DataFrame(
        {
            "order_id": [f"{prefix}-{i:04d}" for i in range(count)],
            "brand": "CHANGAN",
            "model": "HUNTER",
            "variant": "HUNTER_20T_LHD",
            "quantity": [1 + i % 7 for i in range(count)],
            "origin": "CN_CQ_CHANGAN",
            "destination_country": "MX",
            "ready_date": [start + dt.timedelta(days=(count - i) // 10) for i in range(count)],
            "due_date": [start + dt.timedelta(days=90) for _ in range(count)],
        }
    ).write_csv(path)
    return path


def service_page(engine: Engine, **filters: Any) -> tuple[int, list[str]]:
    with unit_of_work(engine) as session:
        found = orders_service.page_of_orders(
            session, ORG, OrderFilter(**filters), limit=orders_page.PAGE_SIZE
        )
    assert found is not None
    total, _, rows = found
    return total, [r.order_id for r in rows]


def xlsx(rows: list[list[object]], header: list[str] = ORDER_HEADER) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
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
    return buffer.getvalue()


def upload(client: TestClient, name: str, content: bytes, **form: str) -> Any:
    return client.post(
        "/ui/orders/upload", headers=HTMX, files={"file": (name, content)}, data=form
    )


READY = dt.date(2027, 3, 10)
DUE = dt.date(2027, 6, 10)
HUNTER = ["CHANGAN", "HUNTER", "HUNTER_20T_LHD"]


# -- The order book -------------------------------------------------------------------------


def test_page_with_a_network_and_no_orders_is_an_empty_state(client: TestClient) -> None:
    response = client.get("/ui/orders")
    assert response.status_code == 200
    page = tree(response.text)
    assert "No orders yet" in page.one("div", id="book").text()
    assert page.all("table", id="orders-table") == []
    # The choices come from the network; every control has a label.
    brand = page.one("select", name="brand")
    assert {o.attrs["value"] for o in brand.all("option")} >= {"", "CHANGAN", "AVATR", "AITO"}
    form = page.one("form", id="upload-form")
    assert form.attrs["hx-encoding"] == "multipart/form-data"
    for control in page.all("input") + page.all("select"):
        if control.attrs.get("type") not in ("hidden",) and control.tag != "option":
            assert control.parent is not None and control.parent.tag == "label", control.attrs
    assert "No network is loaded" not in response.text


def test_page_without_a_network_says_what_to_load(database_url: str, tmp_path: Path) -> None:
    with make_client(database_url, tmp_path / "uploads") as bare:
        response = bare.get("/ui/orders")
        assert response.status_code == 200
        assert "No network is loaded" in response.text and "carexport network load" in response.text
        assert "No orders yet" in response.text
        checked = upload(bare, "orders.csv", (GOOD / "orders.csv").read_bytes())
        assert checked.status_code == 400
        assert "no network loaded" in checked.text and "carexport network load" in checked.text
        assert list((tmp_path / "uploads").iterdir()) == []  # the upload is not kept


def test_book_shows_the_services_orders_and_counts(client: TestClient, engine: Engine) -> None:
    import_file(engine, GOOD / "orders.csv", GOOD / "vehicles.csv")
    for params, filters in [
        ({}, {}),
        ({"brand": "changan"}, {"brand_id": "CHANGAN"}),
        ({"country": "sa"}, {"destination_country": "SA"}),
        ({"q": "0003"}, {"order_id_contains": "0003"}),
        ({"q": "po-2027"}, {"order_id_contains": "po-2027"}),
        (
            {"ready_from": "2027-03-03", "ready_to": "2027-03-08"},
            {"ready_from": dt.date(2027, 3, 3), "ready_to": dt.date(2027, 3, 8)},
        ),
        ({"status": "open", "brand": "AITO"}, {"status": "open", "brand_id": "AITO"}),
    ]:
        total, ids = service_page(engine, **filters)
        assert total > 0, params
        full = client.get("/ui/orders", params=params)
        fragment = client.get("/ui/orders", params=params, headers=BOOK)
        assert full.status_code == fragment.status_code == 200
        assert "<html" in full.text and "<html" not in fragment.text
        for response in (full, fragment):
            assert shown_orders(response.text) == ids, params
            summary = tree(response.text).one(id="book-summary")
            assert summary.attrs["data-total"] == str(total)
            assert summary.text().startswith(f"{total:,} order")
    # Names from the network: Saudi Arabia for SA, Changan for CHANGAN.
    row = tree(client.get("/ui/orders", params={"q": "PO-2027-0001"}).text).one(
        "tr", data_order="PO-2027-0001"
    )
    assert [td.text() for td in row.all("td")][:5] == [
        "PO-2027-0001",
        "Changan",
        "CS35_PLUS_14T_LHD",
        "3",
        "Saudi Arabia",
    ]
    none = client.get("/ui/orders", params={"q": "no-such-order"}, headers=BOOK)
    assert none.status_code == 200 and "No order matches these filters" in none.text
    # The filter form swaps the book and pushes its address.
    form = tree(client.get("/ui/orders").text).one("form", id="order-filters")
    assert form.attrs["hx-target"] == "#book" and form.attrs["hx-push-url"] == "true"
    assert "change" in form.attrs["hx-trigger"]


def test_pages_walk_the_whole_book_in_order(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    import_file(engine, book_csv(tmp_path / "book.csv", 123))
    with unit_of_work(engine) as session:
        every = [
            r["order_id"]
            for r in sorted(
                orders_service.all_orders(session, ORG).iter_rows(named=True),
                key=lambda r: (r["ready_date"], r["order_id"]),
            )
        ]
    pages, url = [], "/ui/orders"
    while url:
        response = client.get(url, headers=BOOK)
        assert response.status_code == 200
        pages.append(shown_orders(response.text))
        summary = tree(response.text).one(id="book-summary").text()
        first = sum(len(p) for p in pages[:-1]) + 1
        assert f"showing {first:,}–{first + len(pages[-1]) - 1:,}" in summary
        url = (link(response.text, "next") or "").replace("&amp;", "&")
    assert [len(p) for p in pages] == [50, 50, 23]
    assert [o for p in pages for o in p] == every
    # Last, then back: the same pages by keyset from the other end.
    last = client.get("/ui/orders", params={"last": "1"}, headers=BOOK)
    assert shown_orders(last.text) == every[-50:] and link(last.text, "next") is None
    assert "showing 74–123" in last.text
    back = client.get(link(last.text, "prev") or "", headers=BOOK)
    assert shown_orders(back.text) == every[23:73] and "showing 24–73" in back.text
    assert shown_orders(client.get("/ui/orders", params={"before": every[50]}).text) == every[:50]
    # A filter carries over to the next page; a place past the end is said so.
    filtered = client.get("/ui/orders", params={"q": "P-00"}, headers=BOOK)
    assert "q=P-00" in (link(filtered.text, "next") or "")
    end = client.get("/ui/orders", params={"after": every[-1]}, headers=BOOK)
    assert end.status_code == 200 and "past the last one" in end.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"ready_from": "2025-13-01"}, "ready_from"),
        ({"ready_to": "1 March"}, "ready_to"),
        ({"ready_from": "2027-05-01", "ready_to": "2027-04-01"}, "ready_to"),
        ({"country": "XYZ"}, "country"),
        ({"brand": "<script>"}, "brand"),
        ({"q": "x" * 65}, "q"),
        ({"after": "NO-SUCH-ORDER"}, "after"),
        ({"before": "NO-SUCH-ORDER"}, "before"),
        ({"after": "A", "before": "B"}, "before"),
        ({"last": "maybe"}, "last"),
    ],
)
def test_bad_query_values_are_4xx_pages_naming_the_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    for headers in ({}, BOOK):
        response = client.get("/ui/orders", params=params, headers=headers)
        assert response.status_code == 422, response.text
        assert field in error_fields(response.text)
        assert ("<html" in response.text) == (not headers)


def test_order_detail_shows_its_vins_dealer_and_dates(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    import_file(engine, GOOD / "orders.csv", GOOD / "vehicles.csv")
    with unit_of_work(engine) as session:
        order = orders_service.get_order(session, ORG, "PO-2027-0003")
        vins = orders_service.vins_of(session, ORG, "PO-2027-0003")
    assert order is not None and vins
    url = "/ui/orders/detail?order_id=PO-2027-0003"
    # The book links each order to its detail fragment.
    book = client.get("/ui/orders", params={"q": "PO-2027-0003"}).text
    anchor = tree(book).one("tr", data_order="PO-2027-0003").one("a")
    assert anchor.attrs["hx-get"] == url and anchor.attrs["hx-target"] == "#order-detail"
    fragment = client.get(url, headers={**HTMX, "HX-Target": "order-detail"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    detail = tree(fragment.text).one("article", data_detail="PO-2027-0003")
    shown_vins = [td.text() for tr in detail.one("tbody").all("tr") for td in tr.all("td")[:1]]
    assert shown_vins == [vin for vin, _ in vins]
    assert detail.one("dd", data_field="dealer").text().startswith(str(order.dealer_id))
    assert detail.one("dd", data_field="due_date").text().startswith(str(order.due_date))
    assert detail.one("dd", data_field="ready_date").text() == str(order.ready_date)
    assert detail.one("dd", data_field="quantity").text() == f"{order.quantity} vehicles"
    # Without HTMX: the whole page, with the detail beside the book.
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.text
    assert tree(page.text).one("aside", id="order-detail").all("article")
    # An order without a VIN list says so.
    import_file(engine, one_order(tmp_path))
    bare = client.get("/ui/orders/detail?order_id=NOVIN-1", headers=HTMX).text
    assert 'data-vins="0"' in bare and "No VIN list yet" in bare
    missing = client.get("/ui/orders/detail?order_id=NOPE", headers=HTMX)
    assert missing.status_code == 404 and "not found" in missing.text
    assert client.get("/ui/orders/detail").status_code == 422


def one_order(folder: Path) -> Path:
    """NOVIN-1: two Hunters to Mexico, without a VIN list."""
    path = folder / "one.csv"
    pl.DataFrame(
        [["NOVIN-1", *HUNTER, 2, "CN_CQ_CHANGAN", "MX", READY, DUE]],
        schema=ORDER_HEADER,
        orient="row",
    ).write_csv(path)
    return path


# -- Uploads --------------------------------------------------------------------------------


def test_a_commit_waits_its_turn_behind_another_writer(client: TestClient, engine: Engine) -> None:
    """SQLite: the commit reads before it writes, so without taking its turn from the
    start it failed at once while another writer held the database."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL writers wait for the rows' locks anyway")
    from tests.reliability.test_concurrency import WriteGate

    response = client.post(
        "/ui/orders/upload",
        headers=HTMX,
        files={
            "file": ("orders.csv", (GOOD / "orders.csv").read_bytes()),
            "vehicles": ("vehicles.csv", (GOOD / "vehicles.csv").read_bytes()),
        },
    )
    token = token_of(response.text)
    gate = WriteGate(engine)
    gate.hold()
    timer = threading.Timer(0.5, gate.release)
    timer.start()
    try:
        started = time.perf_counter()
        committed = client.post(f"/ui/orders/upload/{token}/commit", headers=HTMX)
        waited = time.perf_counter() - started
    finally:
        timer.join()
    assert committed.status_code == 200, committed.text
    assert counts(committed.text)["orders_inserted"] == 8
    assert waited >= 0.4  # it waited for the other writer rather than failing or skipping
    assert service_page(engine)[0] == 8


def test_a_commit_refused_as_busy_says_when_to_try_again(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """Another writer holds the database beyond the busy timeout: the commit answers the
    "database busy" page (503) with Retry-After, as the API's 503 does, with no traceback
    and nothing imported; once the other writer is done the same upload commits."""
    from carexport.config import Settings
    from carexport.errors import DatabaseBusy
    from tests.reliability.test_concurrency import held_too_long

    with unit_of_work(engine) as session:
        load_dataset(session, ORG, builtin_folder())
    settings = Settings(database_url=database_url, busy_timeout_s=0.3)
    with client_for(database_url, ORG, settings=settings) as client:
        client.app.state.order_upload_dir = tmp_path / "uploads"  # type: ignore[attr-defined]
        checked = client.post(
            "/ui/orders/upload",
            headers=HTMX,
            files={
                "file": ("orders.csv", (GOOD / "orders.csv").read_bytes()),
                "vehicles": ("vehicles.csv", (GOOD / "vehicles.csv").read_bytes()),
            },
        )
        upload_token = token_of(checked.text)
        commit = f"/ui/orders/upload/{upload_token}/commit"
        with held_too_long(engine):
            fragment = client.post(commit, headers=HTMX)
            whole = client.post(commit)  # without HTMX: the whole error page
        for refused in (fragment, whole):
            assert refused.status_code == 503, refused.text
            assert refused.headers["Retry-After"] == str(DatabaseBusy.retry_after_s) == "5"
            assert "the database is busy" in refused.text and "nothing was written" in refused.text
            assert "Traceback" not in refused.text and "locked" not in refused.text
        assert "<html" not in fragment.text and "<html" in whole.text
        assert service_page(engine)[0] == 0
        committed = client.post(commit, headers=HTMX)
        assert committed.status_code == 200, committed.text
        assert "Retry-After" not in committed.headers
        assert counts(committed.text)["orders_inserted"] == 8


def test_good_upload_is_a_dry_run_then_commits_once(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    response = client.post(
        "/ui/orders/upload",
        headers=HTMX,
        files={
            "file": ("orders.csv", (GOOD / "orders.csv").read_bytes()),
            "vehicles": ("vehicles.csv", (GOOD / "vehicles.csv").read_bytes()),
        },
    )
    assert response.status_code == 200, response.text
    assert counts(response.text) == {
        "rows": 8,
        "orders_inserted": 8,
        "orders_updated": 0,
        "orders_unchanged": 0,
        "orders_rejected": 0,
        "vehicles_inserted": 16,
        "errors": 0,
        "warnings": 0,
    }
    assert "nothing is written yet" in response.text
    assert service_page(engine)[0] == 0  # a dry run writes nothing
    token = token_of(response.text)
    folder = tmp_path / "uploads" / token
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["org_id"] == ORG and set(meta["files"]) == {"orders", "vehicles"}
    assert (folder / "orders" / "orders.csv").read_bytes() == (GOOD / "orders.csv").read_bytes()
    commit_button = tree(response.text).one("form", hx_post=f"/ui/orders/upload/{token}/commit")
    assert "disabled" not in commit_button.all("button")[0].attrs

    committed = client.post(f"/ui/orders/upload/{token}/commit", headers=HTMX)
    assert committed.status_code == 200, committed.text
    assert "Imported" in committed.text and committed.headers["HX-Trigger"] == "orders-changed"
    assert counts(committed.text)["orders_inserted"] == 8
    assert service_page(engine)[0] == 8
    with unit_of_work(engine) as session:
        assert len(orders_service.vins_of(session, ORG, "PO-2027-0001")) == 3
    # The files are gone, the report stays for its download; a second click changes nothing.
    assert not (folder / "orders").exists() and (folder / "report.json").exists()
    again = client.post(f"/ui/orders/upload/{token}/commit", headers=HTMX)
    assert again.status_code == 200 and counts(again.text)["orders_inserted"] == 8
    assert service_page(engine)[0] == 8
    # The same file once more: everything unchanged, nothing to import.
    repeat = upload(client, "orders.csv", (GOOD / "orders.csv").read_bytes())
    assert counts(repeat.text)["orders_unchanged"] == 8
    assert "nothing to import" in repeat.text
    # Without HTMX the upload answers with the whole page.
    page = client.post(
        "/ui/orders/upload", files={"file": ("orders.csv", (GOOD / "orders.csv").read_bytes())}
    )
    assert page.status_code == 200 and "<html" in page.text and "Dry run of orders.csv" in page.text


def test_bad_excel_shows_every_problem_row_by_row_and_can_skip_them(
    client: TestClient, engine: Engine
) -> None:
    content = xlsx(
        [
            ["BAD-1", "CHANGAN", "HUNTER", "HUNTER_99X_LHD", 5, "CN_CQ_CHANGAN", "MX", READY, DUE],
            ["BAD-2", *HUNTER, 5, "CN_CQ_CHANGAN", "MX", "2026-13-01", DUE],
            [
                "BAD-3",
                "CHANGAN",
                "CS35_PLUS",
                "CS35_PLUS_14T_RHD",
                5,
                "CN_CQ_CHANGAN",
                "MX",
                READY,
                DUE,
            ],
            ["OK-4", *HUNTER, 3, "CN_CQ_CHANGAN", "MX", READY, DUE],
        ]
    )
    response = upload(client, "bad-orders.xlsx", content)
    assert response.status_code == 422
    rows = problem_rows(response.text)
    assert [r[:5] for r in rows] == [
        ["error", "bad-orders.xlsx", "2", "variant", "HUNTER_99X_LHD"],
        ["error", "bad-orders.xlsx", "3", "ready_date", "2026-13-01"],
        ["error", "bad-orders.xlsx", "4", "variant", "CS35_PLUS_14T_RHD"],
    ]
    assert "unknown variant" in rows[0][5] and "not a valid date" in rows[1][5]
    assert all(r[6] for r in rows), "every problem says what would fix it"
    shown = counts(response.text)
    assert (shown["rows"], shown["orders_rejected"], shown["errors"]) == (4, 3, 3)
    token = token_of(response.text)
    button = tree(response.text).one("form", hx_post=f"/ui/orders/upload/{token}/commit")
    assert "disabled" in button.all("button")[0].attrs
    assert "Skip invalid rows" in response.text and "Cannot import yet" in response.text

    # Committing anyway writes nothing and says why.
    rejected = client.post(f"/ui/orders/upload/{token}/commit", headers=HTMX)
    assert rejected.status_code == 422 and "Nothing was written" in rejected.text
    assert service_page(engine)[0] == 0

    # The report downloads with every problem, in CSV and Excel.
    as_csv = client.get(f"/ui/orders/upload/{token}/report.csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert "bad-orders-report.csv" in as_csv.headers["content-disposition"]
    frame = pl.read_csv(io.BytesIO(as_csv.content), infer_schema=False)
    assert frame.columns == ["severity", "file", "row", "field", "value", "problem", "fix"]
    assert frame.select("row", "field", "value").rows() == [tuple(r[2:5]) for r in rows]
    as_xlsx = client.get(f"/ui/orders/upload/{token}/report.xlsx")
    assert as_xlsx.status_code == 200 and as_xlsx.content[:2] == b"PK"
    sheet = pl.read_excel(io.BytesIO(as_xlsx.content), sheet_name="problems")
    assert sheet["value"].to_list() == [r[4] for r in rows]
    assert client.get(f"/ui/orders/upload/{token}/report.pdf").status_code == 422

    # Ticking "skip invalid rows" checks again; the import then writes the valid order.
    skipping = client.post(
        f"/ui/orders/upload/{token}/check", headers=HTMX, data={"skip_invalid": "true"}
    )
    assert (
        "disabled"
        not in tree(skipping.text)
        .one("form", hx_post=f"/ui/orders/upload/{token}/commit")
        .all("button")[0]
        .attrs
    )
    committed = client.post(
        f"/ui/orders/upload/{token}/commit", headers=HTMX, data={"skip_invalid": "true"}
    )
    assert committed.status_code == 200 and "Imported" in committed.text
    assert service_page(engine) == (1, ["OK-4"])


def test_update_existing_orders_replaces_them(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    import_file(engine, one_order(tmp_path))
    changed = xlsx([["NOVIN-1", *HUNTER, 4, "CN_CQ_CHANGAN", "MX", READY, DUE]])
    response = upload(client, "changed.xlsx", changed)
    assert response.status_code == 422
    assert "different content" in problem_rows(response.text)[0][5]
    token = token_of(response.text)
    updating = client.post(f"/ui/orders/upload/{token}/check", headers=HTMX, data={"update": "on"})
    assert updating.status_code == 200 and counts(updating.text)["orders_updated"] == 1
    done = client.post(f"/ui/orders/upload/{token}/commit", headers=HTMX, data={"update": "true"})
    assert done.status_code == 200 and "1 updated" in tree(done.text).one(role="status").text()
    with unit_of_work(engine) as session:
        order = orders_service.get_order(session, ORG, "NOVIN-1")
    assert order is not None and order.quantity == 4


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        ("orders.pdf", b"%PDF-1.7 ...", 400, "is not a spreadsheet (.pdf)"),
        ("orders", b"order_id\n", 400, "is not a spreadsheet (no file extension)"),
        ("orders.csv", b"", 400, "is empty (0 bytes)"),
        ("orders.xlsx", b"order_id,brand\nA,CHANGAN\n", 400, "is not an Excel workbook"),
        ("orders.csv", b"PK\x03\x04 zipped", 400, "is not a CSV text file"),
        ("orders.csv", b"\xff\xfeo\x00r\x00", 400, "is not a CSV text file"),
        ("orders.xlsx", b"PK\x03\x04 not really a zip", 422, "cannot open as an Excel workbook"),
        ("orders.csv", b"Order No;Qty\nA;1\n", 422, "unknown column"),
        ("orders.csv", b"order_id,brand,colour\n", 422, "required column is missing"),
        ("orders.csv", "order_id\nPO-1\xe9\n".encode("latin-1"), 422, "not UTF-8"),
    ],
)
def test_bad_uploads_are_clear_messages_never_500(
    client: TestClient,
    tmp_path: Path,
    name: str,
    content: bytes,
    status: int,
    message: str,
) -> None:
    response = upload(client, name, content)
    assert response.status_code == status, response.text
    assert message in response.text
    assert "<html" not in response.text  # a fragment for the page's result box
    if status == 400:
        assert "Fix:" in response.text
        assert list((tmp_path / "uploads").iterdir()) == []  # nothing kept
    else:
        assert "Cannot import yet" in response.text


def test_too_big_and_missing_files(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(orders_upload, "MAX_UPLOAD_BYTES", 1000)
    big = b"order_id,brand\n" + b"X,CHANGAN\n" * 200
    response = upload(client, "book.csv", big)
    assert response.status_code == 413 and "larger than" in response.text
    assert "split the order book" in response.text
    assert list((tmp_path / "uploads").iterdir()) == []
    # A body declared far over the limit is refused before it is read.
    declared = client.post(
        "/ui/orders/upload",
        headers={**HTMX, "Content-Length": "1000000000"},
        content=b"x",
    )
    assert declared.status_code == 413
    vins_too_big = client.post(
        "/ui/orders/upload",
        headers=HTMX,
        files={
            "file": ("orders.csv", (GOOD / "orders.csv").read_bytes()),
            "vehicles": ("vins.csv", big),
        },
    )
    assert vins_too_big.status_code == 413 and "vins.csv" in vins_too_big.text
    no_file = client.post("/ui/orders/upload", headers=HTMX, data={"skip_invalid": "true"})
    assert no_file.status_code == 400 and "no order file was chosen" in no_file.text
    empty_name = client.post("/ui/orders/upload", headers=HTMX, files={"file": ("", b"")})
    assert empty_name.status_code == 400
    not_a_form = client.post("/ui/orders/upload", headers=HTMX, content=b"\x00\x01")
    assert not_a_form.status_code == 400


def test_tokens_are_checked_kept_for_one_org_and_expire(
    client: TestClient, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = upload(client, "orders.csv", (GOOD / "orders.csv").read_bytes())
    token = token_of(response.text)
    folder = tmp_path / "uploads" / token
    assert folder.is_dir()
    # A token that is not one, and one that is not there, never touch the disk.
    assert client.post("/ui/orders/upload/..%2F..%2Fetc/commit", headers=HTMX).status_code in (
        404,
        422,
    )
    assert client.post("/ui/orders/upload/short/commit", headers=HTMX).status_code == 422
    unknown = client.post(f"/ui/orders/upload/{'A' * 32}/commit", headers=HTMX)
    assert unknown.status_code == 404 and "upload the file again" in unknown.text
    # Another organisation's user does not see the upload.
    other = {"Authorization": f"Bearer {make_user(database_url, 'someone-else')[1]}"}
    refused = client.post(f"/ui/orders/upload/{token}/commit", headers={**HTMX, **other})
    assert refused.status_code == 404 and folder.exists()
    assert client.get(f"/ui/orders/upload/{token}/report.csv", headers=other).status_code == 404
    # A staged file changed on the server is refused, not imported.
    (folder / "orders" / "orders.csv").write_bytes(b"order_id\nEVIL\n")
    tampered = client.post(f"/ui/orders/upload/{token}/commit", headers=HTMX)
    assert tampered.status_code == 400 and "has changed since it was checked" in tampered.text
    # After an hour the upload is gone, and the next upload sweeps old ones away.
    later = time.time() + orders_upload.UPLOAD_TTL_S + 5
    monkeypatch.setattr(orders_upload.time, "time", lambda: later)
    expired = client.post(f"/ui/orders/upload/{token}/commit", headers=HTMX)
    assert expired.status_code == 404 and not folder.exists()
    stale = tmp_path / "uploads" / ("B" * 32)
    stale.mkdir()
    (stale / "meta.json").write_text(json.dumps({"created": later - 7200}))
    keep = tmp_path / "uploads" / "not-a-token"
    keep.mkdir()
    upload(client, "orders.csv", (GOOD / "orders.csv").read_bytes())
    assert not stale.exists() and keep.exists()


def test_cancel_drops_the_upload(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    response = upload(client, "orders.csv", (GOOD / "orders.csv").read_bytes())
    token = token_of(response.text)
    cancelled = client.post(f"/ui/orders/upload/{token}/cancel", headers=HTMX)
    assert cancelled.status_code == 200 and "nothing was written" in cancelled.text
    assert not (tmp_path / "uploads" / token).exists()
    assert service_page(engine)[0] == 0
    assert client.post(f"/ui/orders/upload/{token}/commit", headers=HTMX).status_code == 404
    # Cancelling twice is harmless.
    assert client.post(f"/ui/orders/upload/{token}/cancel", headers=HTMX).status_code == 200


def test_an_import_running_and_a_reader_failing_are_4xx(
    client: TestClient, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = token_of(upload(client, "orders.csv", (GOOD / "orders.csv").read_bytes()).text)
    lock = tmp_path / "uploads" / token / "committing"
    lock.touch()
    busy = client.post(f"/ui/orders/upload/{token}/commit", headers=HTMX)
    assert busy.status_code == 409 and "being imported already" in busy.text
    assert service_page(engine)[0] == 0
    lock.unlink()
    assert client.post(f"/ui/orders/upload/{token}/commit", headers=HTMX).status_code == 200
    assert not lock.exists()

    def broken(*_args: object) -> None:
        raise ValueError("a cell the reader did not expect")

    monkeypatch.setattr(orders_service, "read_files", broken)
    failed = upload(client, "orders.csv", (GOOD / "orders.csv").read_bytes())
    assert failed.status_code == 422 and "could not be read" in failed.text
    assert "save it again" in failed.text
