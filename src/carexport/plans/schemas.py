"""API shapes for plans."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from carexport.api.schemas import UtcDateTime


class PlanRequest(BaseModel):
    start: dt.date
    horizon_days: int = Field(120, ge=1, le=730)
    co2_price_usd_per_t: float = Field(0.0, ge=0)
    lateness_usd_per_vehicle_day: float = Field(50.0, ge=0)
    unserved_usd_per_vehicle: float = Field(20_000.0, ge=0)
    method: Literal["optimal", "greedy"] = "optimal"
    time_limit_s: float = Field(300.0, gt=0, le=3600)


class PlanOrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    order_id: str
    vehicles: int
    delivered: int
    unserved: int
    eta: dt.date | None
    due_date: dt.date
    days_late: int
    cost_usd: float
    co2e_kg: float
    explanation: str


class PlanLoadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    lane_id: str
    from_node: str
    to_node: str
    mode: str
    depart_date: dt.date
    vehicles: int
    slots: float
    capacity_slots: float
    utilisation: float
    shadow_price_usd_per_slot: float


class PlanLegOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    order_id: str
    vin: str
    leg: int
    lane_id: str
    from_node: str
    to_node: str
    mode: str
    depart_date: dt.date
    arrive_date: dt.date


class PlanOut(BaseModel):
    id: str
    created_at: UtcDateTime
    summary: dict[str, Any]
    explanations: list[PlanOrderOut]
    load_lists: list[PlanLoadOut]
    legs_total: int
    legs: list[PlanLegOut]
