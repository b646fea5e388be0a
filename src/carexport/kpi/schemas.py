"""Response shapes of the KPI API (GET /kpi/...)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FvlKpiOut(BaseModel):
    """One group's finished-vehicle logistics KPIs (see kpi.fvl). Only the field the rows
    are grouped by is present: group ("all") when not grouped, else brand, market, month,
    lane or mode."""

    group: str | None = None
    brand: str | None = None
    market: str | None = None
    month: str | None = Field(None, description="Month of release, YYYY-MM")
    lane: str | None = Field(None, description="Lane of the departure from the port of exit")
    mode: str | None = Field(None, description="Mode of that lane")
    vehicles_tracked: int
    plant_evacuation_h: float | None = Field(description="Mean hours, RELEASED to GATE_OUT")
    time_to_port_d: float | None = Field(description="Mean days, GATE_OUT to the first hub")
    port_dwell_d: float | None = Field(description="Mean days at the port of exit")
    shipping_lead_time_d: float | None = Field(
        description="Mean days, port of exit to the last arrival before delivery"
    )
    dealer_delivery_d: float | None = Field(description="Mean days, last arrival to DELIVERED")
    lead_time_achievement_pct: float | None = Field(
        description="Delivered on or before the due date, % of those delivered"
    )
    damage_per_1000: float | None = Field(description="Damaged VINs per 1,000 tracked")
    reporting_completeness_pct: float | None = Field(
        description="Expected milestones due by as_of that were reported, %"
    )
    reporting_timeliness_pct: float | None = Field(
        description="Events reported within 24 h of happening, %"
    )
