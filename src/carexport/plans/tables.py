"""Stored plans: one version per planning run, with every VIN's legs, per-order figures and
the load list of every departure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from carexport.db.base import Base, OrgOwned

ID = String(64)


class PlanVersionRow(OrgOwned, Base):
    __tablename__ = "plan_version"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[dt.date] = mapped_column(Date)
    horizon_days: Mapped[int] = mapped_column(Integer)
    objective_usd: Mapped[float] = mapped_column(Float)
    lp_bound_usd: Mapped[float | None] = mapped_column(Float)
    gap: Mapped[float | None] = mapped_column(Float)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class PlanLegRow(OrgOwned, Base):
    __tablename__ = "plan_leg"
    __table_args__ = (
        Index("ix_plan_leg_org_id_plan_id_order_id", "org_id", "plan_id", "order_id"),
    )
    plan_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vin: Mapped[str] = mapped_column(ID, primary_key=True)
    leg: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ID)
    lane_id: Mapped[str] = mapped_column(ID)
    from_node: Mapped[str] = mapped_column(ID)
    to_node: Mapped[str] = mapped_column(ID)
    mode: Mapped[str] = mapped_column(String(32))
    depart_date: Mapped[dt.date] = mapped_column(Date)
    arrive_date: Mapped[dt.date] = mapped_column(Date)


class PlanOrderRow(OrgOwned, Base):
    __tablename__ = "plan_order"
    plan_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(ID, primary_key=True)
    vehicles: Mapped[int] = mapped_column(Integer)
    delivered: Mapped[int] = mapped_column(Integer)
    unserved: Mapped[int] = mapped_column(Integer)
    eta: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    days_late: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[float] = mapped_column(Float)
    co2e_kg: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)


class PlanLoadRow(OrgOwned, Base):
    __tablename__ = "plan_load"
    plan_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    lane_id: Mapped[str] = mapped_column(ID, primary_key=True)
    depart_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    from_node: Mapped[str] = mapped_column(ID)
    to_node: Mapped[str] = mapped_column(ID)
    mode: Mapped[str] = mapped_column(String(32))
    vehicles: Mapped[int] = mapped_column(Integer)
    slots: Mapped[float] = mapped_column(Float)
    capacity_slots: Mapped[float] = mapped_column(Float)
    utilisation: Mapped[float] = mapped_column(Float)
    shadow_price_usd_per_slot: Mapped[float] = mapped_column(Float)
