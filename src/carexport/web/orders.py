"""Orders: the order book (filters, paging, one order's detail). The upload of an order
file is web.orders_upload, shown on this page."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from carexport.api.deps import OrgDep, SessionDep
from carexport.errors import InvalidInput, NotFound, Problem
from carexport.network import service as network_service
from carexport.network.snapshot import NetworkSnapshot
from carexport.orders import service as orders_service
from carexport.web.render import page

router = APIRouter()

PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # per file
MAX_VINS_SHOWN = 1000


# -- The order book -------------------------------------------------------------------------


@dataclass(frozen=True)
class BookQuery:
    """The book's filters and position, as the address and the filter form carry them."""

    brand: str = ""
    country: str = ""
    status: str = ""
    ready_from: str = ""
    ready_to: str = ""
    q: str = ""
    after: str = ""  # the page starts after this order (by ready date, then order id)
    before: str = ""  # the page ends before this order
    last: bool = False  # the last page

    def url(self, **changes: Any) -> str:
        """The address of the book with these filters, at another place (no place: page 1)."""
        values = {**asdict(self), "after": "", "before": "", "last": False, **changes}
        params = {
            key: "1" if value is True else value
            for key, value in values.items()
            if value not in ("", False, None)
        }
        return "/ui/orders" + (f"?{urlencode(params)}" if params else "")

    @property
    def filtered(self) -> bool:
        return any((self.brand, self.country, self.status, self.ready_from, self.ready_to, self.q))

    def order_filter(self) -> orders_service.OrderFilter:
        ready_from, ready_to = (
            _date("ready_from", self.ready_from),
            _date("ready_to", self.ready_to),
        )
        if ready_from and ready_to and ready_from > ready_to:
            raise InvalidInput(
                "the ready-date range",
                [
                    Problem(
                        "request",
                        None,
                        "ready_to",
                        self.ready_to,
                        f"ends before it starts ({self.ready_from})",
                        "give a 'ready to' date on or after the 'ready from' date",
                    )
                ],
            )
        return orders_service.OrderFilter(
            brand_id=self.brand.upper() or None,
            destination_country=self.country.upper() or None,
            status=self.status or None,
            ready_from=ready_from,
            ready_to=ready_to,
            order_id_contains=self.q or None,
        )


def _date(name: str, text: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"the {name} filter",
            [Problem("request", None, name, text, "not a valid date", "use YYYY-MM-DD")],
        ) from None


def _names(snapshot: NetworkSnapshot) -> dict[str, dict[str, str]]:
    """Display names of brands, countries, models, variants and nodes by id."""
    return {
        "brands": {b.id: b.name for b in snapshot.brands.values()},
        "countries": {m.country: m.name for m in snapshot.markets.values()},
        "models": {m.id: m.name for m in snapshot.models.values()},
        "variants": {v.id: v.name for v in snapshot.variants.values()},
        "nodes": {n.id: n.name for n in snapshot.nodes.values()},
    }


def _book(session: Session, org_id: str, query: BookQuery) -> dict[str, Any]:
    """One page of the book by keyset (after/before an order id), so that page 2,000 costs
    what page 1 does."""
    if query.after and query.before:
        raise InvalidInput(
            "the order book's place",
            [
                Problem(
                    "request",
                    None,
                    "before",
                    query.before,
                    "give after or before, not both",
                    "use the book's Next and Previous links",
                )
            ],
        )
    found = orders_service.page_of_orders(
        session,
        org_id,
        query.order_filter(),
        limit=PAGE_SIZE,
        after=query.after or None,
        before=query.before or None,
        last=query.last,
    )
    if found is None:
        name = "after" if query.after else "before"
        raise InvalidInput(
            "the order book's place",
            [
                Problem(
                    "request",
                    None,
                    name,
                    getattr(query, name),
                    "no such order to page from",
                    "open the first page of the book (Clear filters, or the First link)",
                )
            ],
        )
    total, position, rows = found
    more_before, more_after = position > 0, position + len(rows) < total
    return {
        "query": query,
        "total": total,
        "rows": rows,
        "first": position + 1 if rows else 0,
        "last": position + len(rows),
        "first_url": query.url() if more_before else None,
        "previous_url": query.url(before=rows[0].order_id) if rows and more_before else None,
        "next_url": query.url(after=rows[-1].order_id) if rows and more_after else None,
        "last_url": query.url(last=True) if more_after else None,
        "past_end": total > 0 and not rows,
        "page_size": PAGE_SIZE,
    }


def _is_fragment(request: Request, target: str) -> bool:
    """An HTMX swap of one part of the page (not a history restore, which needs it all)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == target
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def full_page(
    request: Request,
    session: Session,
    org_id: str,
    query: BookQuery,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    has_network = network_service.has_network(session, org_id)
    names = _names(_network(session, org_id))
    return page(
        request,
        "orders.html",
        active="orders",
        title="Orders",
        org_id=org_id,
        status_code=status_code,
        has_network=has_network,
        names=names,
        brands=sorted(names["brands"].items(), key=lambda item: item[1]),
        countries=sorted(names["countries"].items(), key=lambda item: item[1]),
        statuses=sorted({orders_service.OPEN, *([query.status] if query.status else [])}),
        max_upload_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        max_upload_bytes=MAX_UPLOAD_BYTES,
        **_book(session, org_id, query),
        **extra,
    )


def _network(session: Session, org_id: str) -> NetworkSnapshot:
    """The organisation's network, or an empty one (names then fall back to ids)."""
    if network_service.has_network(session, org_id):
        return network_service.snapshot_of(session, org_id)
    return NetworkSnapshot.build()


Brand = Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9_. -]*$")]
Country = Annotated[str, Query(pattern=r"^([A-Za-z]{2})?$", description="ISO alpha-2")]
Status = Annotated[str, Query(max_length=16, pattern=r"^[A-Za-z_ -]*$")]
DateText = Annotated[str, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$", description="YYYY-MM-DD")]
OrderText = Annotated[str, Query(max_length=64, description="Part of an order id")]
Place = Annotated[str, Query(max_length=64, description="An order id of the book")]


@router.get("/ui/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    brand: Brand = "",
    country: Country = "",
    status: Status = "",
    ready_from: DateText = "",
    ready_to: DateText = "",
    q: OrderText = "",
    after: Place = "",
    before: Place = "",
    last: bool = False,
) -> HTMLResponse:
    """The order book, filtered and one page of it; the upload form above it."""
    query = BookQuery(brand, country, status, ready_from, ready_to, q.strip(), after, before, last)
    if _is_fragment(request, "book"):
        return page(
            request,
            "fragments/orders_table.html",
            active="orders",
            title="Orders",
            org_id=org_id,
            names=_names(_network(session, org_id)),
            **_book(session, org_id, query),
        )
    return full_page(request, session, org_id, query)


@router.get("/ui/orders/detail", response_class=HTMLResponse)
def order_detail(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    order_id: Annotated[str, Query(min_length=1, max_length=64)],
) -> HTMLResponse:
    """One order: what, how many, from where to where and whom, when, and its VINs."""
    order = orders_service.get_order(session, org_id, order_id)
    if order is None:
        raise NotFound(
            f"order {order_id!r} not found",
            hint="pick an order in the order book (the filters may hide it)",
        )
    vins = orders_service.vins_of(session, org_id, order_id)
    snapshot = _network(session, org_id)
    dealer = snapshot.dealers.get(order.dealer_id) if order.dealer_id else None
    detail: dict[str, Any] = {
        "order": order,
        "vins": vins[:MAX_VINS_SHOWN],
        "vin_count": len(vins),
        "dealer": dealer,
        "lead_days": (order.due_date - order.ready_date).days,
        "order_value_usd": order.unit_value_usd * order.quantity,
    }
    if _is_fragment(request, "order-detail"):
        return page(
            request,
            "fragments/orders_detail.html",
            active="orders",
            title=f"Order {order_id}",
            org_id=org_id,
            names=_names(snapshot),
            d=detail,
        )
    return full_page(request, session, org_id, BookQuery(q=order_id), detail=detail)
