"""Rendering pages: one template environment, number filters, and errors as pages."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from carexport.errors import CarexportError, DatabaseBusy, InvalidInput, Problem
from carexport.kpi.numbers import compact

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
PAGES = (
    ("overview", "/ui/", "Overview"),
    ("map", "/ui/map", "Map"),
    ("orders", "/ui/orders", "Orders"),
    ("plan", "/ui/plan", "Plan"),
    ("tracking", "/ui/tracking", "Tracking"),
    ("network", "/ui/network", "Network"),
    ("scenarios", "/ui/scenarios", "Scenarios"),
)


def _chart_json(option: dict[str, Any]) -> str:
    """An ECharts option for a data-chart attribute (dates as ISO text)."""

    def default(value: object) -> str:
        if isinstance(value, dt.date):
            return value.isoformat()
        raise TypeError(f"cannot put {type(value).__name__} in a chart")

    return json.dumps(option, default=default, separators=(",", ":"))


TEMPLATES.env.filters["compact"] = lambda v, unit="": compact(v, unit, missing="–")
TEMPLATES.env.filters["pct"] = lambda v: compact(v, "%", missing="–")
TEMPLATES.env.filters["chart"] = _chart_json
TEMPLATES.env.globals["PAGES"] = PAGES


def page(
    request: Request,
    template: str,
    *,
    active: str,
    title: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A full page, or (for an HTMX request naming a fragment) the template alone.

    Every page knows who is signed in (for the header) and, for a web session, the CSRF
    token that base.html sends with every HTMX request and adds to every POST form."""
    principal = getattr(request.state, "principal", None)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "active": active,
            "title": title,
            "principal": principal,
            "csrf_token": principal.csrf_token if principal is not None else None,
            **context,
        },
        status_code=status_code,
        headers=headers,
    )


def error_page(request: Request, error: CarexportError) -> HTMLResponse:
    """A carexport error as a page (or, for HTMX, as the fragment that replaces a target)."""
    problems = error.problems if isinstance(error, InvalidInput) else []
    template = "fragments/error.html" if request.headers.get("HX-Request") else "error.html"
    # A write refused as busy says when to try again, as the API's 503 does.
    headers = {"Retry-After": str(error.retry_after_s)} if isinstance(error, DatabaseBusy) else None
    return page(
        request,
        template,
        active="",
        title="Something needs fixing",
        status_code=error.status_code,
        headers=headers,
        error=error,
        problems=problems,
    )


def validation_page(request: Request, error: RequestValidationError) -> HTMLResponse:
    """A request whose parameters do not parse (e.g. a date of 2025-13-01), as a page that
    names each parameter, the value sent and what it should be."""
    problems = [
        Problem(
            file="request",
            row=None,
            field=".".join(str(part) for part in item.get("loc", ())[1:]) or None,
            value=None if item.get("input") is None else str(item.get("input"))[:80],
            message=str(item.get("msg", "invalid")),
            hint="correct the value in the form or the address and try again",
        )
        for item in error.errors()
    ]
    return error_page(request, InvalidInput("the request", problems))
