"""HTTP shapes of scenario runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from carexport.api.schemas import UtcDateTime


class ScenarioOut(BaseModel):
    name: str
    title: str
    description: str
    source: str = Field(description="Where the disruption's size comes from, or the assumption")


class ScenarioRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: UtcDateTime
    scenarios: list[str]
    samples: int
    seed: int
    executor: str
    start_date: dt.date
    horizon_days: int


class ScenarioRunDetailOut(ScenarioRunOut):
    summary: dict[str, Any] = Field(
        description="Per scenario: cost_usd, late, unserved, co2e_kg and lead_days_by_market as "
        "baseline/scenario/change, each mean/p50/p90 over samples; critical_departures with "
        "binding_share and slot_value_usd"
    )
    specs: str = Field(description="The scenario YAML as run")


class ScenarioSampleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    scenario: str
    sample: int
    cost_usd: float
    vehicles: int
    late: int
    unserved: int
    co2e_kg: float
    lead_days_by_market: dict[str, float]
