"""Response shapes of the KPI API (GET /kpi/...)."""

from __future__ import annotations

import datetime as dt

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


class ExportRowOut(BaseModel):
    """Exports of one period (and group): see kpi.exports.EXPORTS_SCHEMA_DOC."""

    period: str = Field(description="2024, 2024-Q3, 2024-09 or 2024 Jan-Sep")
    period_start: dt.date
    period_end: dt.date
    group: dict[str, str | bool | None] = Field(
        default_factory=dict, description="The values of the --by dimensions"
    )
    vehicles: int
    value_usd: float
    value_cny: float | None
    nev_vehicles: int
    nev_share_pct: float | None
    nev_value_share_pct: float | None
    vehicles_year_before: int | None
    yoy_pct: float | None = Field(description="Vehicles against the same period a year before")
    value_yoy_pct: float | None
    national_units: float | None = Field(description="China's exports over the same period")
    national_basis: str | None = Field(description="GACC (customs) or CAAM (manufacturers)")
    share_of_national_pct: float | None
    share_basis: str | None = Field(description="e.g. customs/GACC, or a mixed-bases label")


class ExportsOut(BaseModel):
    basis: str = Field(description="customs (EXPORT_CLEARED reported) or planned (in a plan)")
    period: str
    by: list[str]
    rows: list[ExportRowOut]
    notes: list[str]


class ObservationOut(BaseModel):
    end: dt.date
    value: float
    label: str
    basis: str
    derived: bool


class TargetOut(BaseModel):
    id: str
    metric: str
    scope: str
    value: float
    unit: str
    deadline: dt.date
    baseline: ObservationOut | None
    actual: ObservationOut | None
    required_cagr_pct: float | None
    achieved_cagr_pct: float | None
    achieved_from: str
    projected: dt.date | None
    status: str = Field(description="met, missed, on track, off track, cannot project, no data")
    missing: str
    note: str


class SeedFigureOut(BaseModel):
    key: str
    says: str
    value: float
    shown: str
    how: str
    source: str


class SeedOut(BaseModel):
    figures: list[SeedFigureOut]
    missing: list[str]


class RolloutMonthOut(BaseModel):
    month: dt.date
    stores_open: int
    countries: int
    new_countries: list[str]
    unsourced_share: float | None


class RolloutTargetOut(BaseModel):
    target_id: str
    metric: str
    deadline: dt.date
    planned: int
    judged_on: dt.date
    actual: int
    gap: int
    status: str
    opening_sources: str


class RolloutOut(BaseModel):
    brand: str
    months: list[RolloutMonthOut]
    plan: list[RolloutTargetOut]


class ReconciliationRowOut(BaseModel):
    period_start: dt.date
    period_end: dt.date
    partner_country: str
    hs_group: str
    official_vehicles: int | None
    carexport_vehicles: int | None
    difference_vehicles: int | None
    difference_pct: float | None
    official_value_usd: float | None
    carexport_value_usd: float | None
    difference_value_usd: float | None
    difference_value_pct: float | None
