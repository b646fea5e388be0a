"""Stored scenario runs: one row per run (its comparison as JSON) and one per scenario and
sample (the figures the percentiles are taken from)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from carexport.db.base import Base, OrgOwned


class ScenarioRunRow(OrgOwned, Base):
    __tablename__ = "scenario_run"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    scenarios: Mapped[list[str]] = mapped_column(JSON)
    samples: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    executor: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[dt.date] = mapped_column(Date)
    horizon_days: Mapped[int] = mapped_column(Integer)
    specs: Mapped[str] = mapped_column(Text)  # the YAML as run, so a run can be repeated
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class ScenarioSampleRow(OrgOwned, Base):
    __tablename__ = "scenario_sample"
    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    scenario: Mapped[str] = mapped_column(String(64), primary_key=True)
    sample: Mapped[int] = mapped_column(Integer, primary_key=True)
    cost_usd: Mapped[float] = mapped_column(Float)
    vehicles: Mapped[int] = mapped_column(Integer)
    late: Mapped[int] = mapped_column(Integer)
    unserved: Mapped[int] = mapped_column(Integer)
    co2e_kg: Mapped[float] = mapped_column(Float)
    lead_days_by_market: Mapped[dict[str, Any]] = mapped_column(JSON)
