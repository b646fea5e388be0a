"""Overview: exports by month (vehicles and value), NEV share, growth on last year, share
of China's exports, and every target with its trajectory."""

from __future__ import annotations

from typing import Any, Literal

import polars as pl
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from carexport.api.deps import OrgDep, SessionDep
from carexport.kpi import service as kpi_service
from carexport.web.render import page

router = APIRouter()


def monthly_chart(frame: pl.DataFrame) -> dict[str, Any]:
    """Bars of vehicles and a line of USD value per month (ECharts option)."""
    months = frame["period"].to_list()
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["vehicles", "value (USD m)"]},
        "grid": {"left": 56, "right": 64, "bottom": 40},
        "xAxis": {"type": "category", "data": months},
        "yAxis": [
            {"type": "value", "name": "vehicles"},
            {"type": "value", "name": "USD m", "splitLine": {"show": False}},
        ],
        "series": [
            {"name": "vehicles", "type": "bar", "data": frame["vehicles"].to_list()},
            {
                "name": "value (USD m)",
                "type": "line",
                "yAxisIndex": 1,
                "data": [round(v / 1e6, 2) for v in frame["value_usd"].to_list()],
            },
        ],
    }


def share_chart(frame: pl.DataFrame) -> dict[str, Any]:
    """NEV share and growth on last year per month, in percent."""
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["NEV share %", "YoY %"]},
        "grid": {"left": 56, "right": 24, "bottom": 40},
        "xAxis": {"type": "category", "data": frame["period"].to_list()},
        "yAxis": {"type": "value", "name": "%"},
        "series": [
            {
                "name": "NEV share %",
                "type": "line",
                "data": [None if v is None else round(v, 1) for v in frame["nev_share_pct"]],
            },
            {
                "name": "YoY %",
                "type": "line",
                "data": [None if v is None else round(v, 1) for v in frame["yoy_pct"]],
            },
        ],
    }


@router.get("/ui/", response_class=HTMLResponse)
def overview(
    request: Request,
    session: SessionDep,
    org_id: OrgDep,
    basis: Literal["customs", "planned"] = "customs",
) -> HTMLResponse:
    views = kpi_service.overview(session, org_id, basis=basis)
    monthly, yearly, statuses = views.monthly, views.yearly, views.targets
    latest = yearly.frame.tail(1).to_dicts()
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s.status] = counts.get(s.status, 0) + 1
    return page(
        request,
        "overview.html",
        active="overview",
        title="Exports against the targets",
        org_id=org_id,
        basis=basis,
        monthly=monthly,
        latest=latest[0] if latest else None,
        monthly_chart=monthly_chart(monthly.frame) if monthly.frame.height else None,
        share_chart=share_chart(monthly.frame) if monthly.frame.height else None,
        targets=statuses,
        status_counts=sorted(counts.items()),
        notes=monthly.notes,
    )
