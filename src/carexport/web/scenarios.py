"""Scenarios page: the organisation's stored scenario runs and, for one, each scenario
against its baseline (cost, late, unserved, CO2e, lead time per market, critical
departures), with the comparison workbook."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from carexport.api.deps import OrgDep, SessionDep
from carexport.errors import NotFound
from carexport.scenarios import service as scenarios_service
from carexport.web.render import page

router = APIRouter()


def cost_chart(summary: dict[str, Any]) -> dict[str, Any]:
    """Cost change against the baseline per scenario: mean as a bar, p90 as a marker."""
    names = list(summary)
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["mean change (USD k)", "p90 change (USD k)"]},
        "grid": {"left": 72, "right": 24, "bottom": 90},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"rotate": 20}},
        "yAxis": {"type": "value", "name": "USD k"},
        "series": [
            {
                "name": "mean change (USD k)",
                "type": "bar",
                "data": [round(summary[n]["cost_usd"]["change"]["mean"] / 1000, 1) for n in names],
            },
            {
                "name": "p90 change (USD k)",
                "type": "scatter",
                "data": [round(summary[n]["cost_usd"]["change"]["p90"] / 1000, 1) for n in names],
            },
        ],
    }


@router.get("/ui/scenarios", response_class=HTMLResponse)
def scenarios_page(
    request: Request, session: SessionDep, org_id: OrgDep, run: str | None = None
) -> HTMLResponse:
    runs = scenarios_service.runs(session, org_id, limit=20)
    chosen = None
    if run is not None:
        chosen = scenarios_service.get_run(session, org_id, run)
        if chosen is None:
            raise NotFound(f"scenario run {run!r} not found", hint="pick a run from the list")
    elif runs:
        chosen = runs[0]
    summary: dict[str, Any] = chosen.summary.get("scenarios", {}) if chosen is not None else {}
    return page(
        request,
        "scenarios.html",
        active="scenarios",
        title="Scenarios against their baselines",
        org_id=org_id,
        runs=runs,
        chosen=chosen,
        rows=scenarios_service.comparison_rows(summary),
        leads=[r for r in scenarios_service.lead_rows(summary) if abs(r["change_days"]) >= 0.05],
        critical=scenarios_service.critical_rows(summary)[:60],
        summary=summary,
        chart=cost_chart(summary) if summary else None,
    )
