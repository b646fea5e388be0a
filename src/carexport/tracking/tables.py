"""Tracking tables: expected milestones (from a plan), events as reported, rejected events,
and the current status of every VIN, kept up to date in the same transaction as events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from carexport.db.base import Base, OrgOwned

ID = String(64)


class ExpectedMilestoneRow(OrgOwned, Base):
    __tablename__ = "expected_milestone"
    __table_args__ = (Index("ix_expected_milestone_org_id_vin", "org_id", "vin"),)
    plan_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vin: Mapped[str] = mapped_column(ID, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24))
    node: Mapped[str] = mapped_column(ID)
    lane_id: Mapped[str | None] = mapped_column(ID)
    planned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class VehiclePlanRow(OrgOwned, Base):
    """Each VIN's current plan (the newest plan version that has it), one row per VIN.

    The expected milestones are packed into one text (see tracking.milestones.pack) so
    that ingest reads one row per VIN instead of a dozen: reading rows back through the
    database driver, not computing, is what bounds ingest speed.
    """

    __tablename__ = "vehicle_plan"
    __table_args__ = (
        Index("ix_vehicle_plan_org_id_awaiting_first_at", "org_id", "awaiting_first_at"),
    )
    vin: Mapped[str] = mapped_column(ID, primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(36))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    milestones: Mapped[str] = mapped_column(Text)
    # The planned EXPORT_CLEARED of the milestones, kept apart so that export KPIs on the
    # planned basis read one column instead of unpacking every plan.
    planned_export_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The first milestone's planned time while no event of the VIN has been stored (its
    # first event clears it): an untracked VIN's overdue first milestone is then a range
    # of an index, as a tracked one's is on vehicle_status.next_planned_at.
    awaiting_first_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class EventRow(OrgOwned, Base):
    """A milestone event as reported. event_id is the sender's id, or a hash of the content;
    an event is identified by VIN and id.

    Keyed (and on SQLite clustered, WITHOUT ROWID) by VIN first: a VIN's events sit
    together, so reading one vehicle's history is one range, and a batch sorted by VIN
    writes each page once.
    """

    __tablename__ = "tracking_event"
    __table_args__ = ({"sqlite_with_rowid": False},)
    vin: Mapped[str] = mapped_column(ID, primary_key=True)
    event_id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(24))
    node: Mapped[str | None] = mapped_column(ID)
    lane_id: Mapped[str | None] = mapped_column(ID)
    event_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reported_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str | None] = mapped_column(String(64))


class RejectedEventRow(OrgOwned, Base):
    __tablename__ = "rejected_event"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str | None] = mapped_column(String(64))
    row: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class VehicleStatusRow(OrgOwned, Base):
    """The current state of a VIN, derived from its events ordered by event time."""

    __tablename__ = "vehicle_status"
    __table_args__ = (
        Index("ix_vehicle_status_org_id_next_planned_at", "org_id", "next_planned_at"),
        # Each status's latest event is the end of a range of this index, and the VINs
        # standing still at a node since before a time are a range of it.
        Index(
            "ix_vehicle_status_org_id_status_last_event_time",
            "org_id",
            "status",
            "last_event_time",
        ),
        Index("ix_vehicle_status_org_id_flagged", "org_id", "flagged"),
    )
    vin: Mapped[str] = mapped_column(ID, primary_key=True)
    status: Mapped[str] = mapped_column(String(24))
    location: Mapped[str | None] = mapped_column(ID)
    last_event_id: Mapped[str] = mapped_column(ID)
    last_code: Mapped[str] = mapped_column(String(24))
    last_event_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    events: Mapped[int] = mapped_column(Integer)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    on_hold: Mapped[bool] = mapped_column(Boolean)
    damaged: Mapped[bool] = mapped_column(Boolean)
    sequence_violations: Mapped[int] = mapped_column(Integer)
    plan_id: Mapped[str | None] = mapped_column(String(36))
    # The latest reported milestone that the plan expects: what the ETA projects from.
    matched_seq: Mapped[int | None] = mapped_column(Integer)
    matched_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delay_hours: Mapped[float | None] = mapped_column(Float)
    eta: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    eta_p90: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    days_late: Mapped[int | None] = mapped_column(Integer)
    # The first EXPORT_CLEARED reported: when the car was exported on the customs basis.
    export_cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The milestone the plan expects next (seq matched_seq + 1) and when; null once
    # delivered or when nothing more is expected. Indexed: overdue ones are a range.
    next_seq: Mapped[int | None] = mapped_column(Integer)
    next_planned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Late, on hold (not delivered), damaged or out of sequence: an exception whatever the
    # time (tracking.status_store.FLAGGED). Indexed: the few percent flagged are a range.
    flagged: Mapped[bool] = mapped_column(Boolean, server_default=false())


class EtaRevisionRow(OrgOwned, Base):
    """Every ETA a VIN was given, so ETA accuracy can be audited afterwards. basis says
    why it changed: the event id it followed, or 'plan <id>' / 'transit model <time>'."""

    __tablename__ = "eta_revision"
    __table_args__ = ({"sqlite_with_rowid": False},)
    vin: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    revised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    basis: Mapped[str] = mapped_column(String(80))
    eta: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    eta_p90: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delay_hours: Mapped[float | None] = mapped_column(Float)


class TransitModelRow(OrgOwned, Base):
    """What the ETA has learned: per lane (kind 'lane'), transit from departed to arrived;
    per destination node (kind 'delivery'), arrival to delivery (import clearance and the
    last mile). Median and 90th percentile of the completed ones."""

    __tablename__ = "transit_model"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(ID, primary_key=True)
    observations: Mapped[int] = mapped_column(Integer)
    median_hours: Mapped[float] = mapped_column(Float)
    p90_hours: Mapped[float] = mapped_column(Float)
    learned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ExportCountRow(OrgOwned, Base):
    """Vehicles exported per month and order, on each basis (customs: the first
    EXPORT_CLEARED reported; planned: the EXPORT_CLEARED of the current plan). Kept in step
    with the statuses and plans it counts, in the same transaction, so that the export KPIs
    read a few thousand rows instead of joining a million VINs to their orders."""

    __tablename__ = "export_count"
    basis: Mapped[str] = mapped_column(String(8), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM, UTC
    order_id: Mapped[str] = mapped_column(ID, primary_key=True)
    vehicles: Mapped[int] = mapped_column(Integer)


class VehicleFvlRow(OrgOwned, Base):
    """Each planned or tracked VIN's finished-vehicle facts (tracking.facts), kept by
    ingest and plan storage in the same transaction as the events and plans they come
    from, so that the FVL KPIs aggregate one row per VIN instead of reading every event.

    seen_mask has bit seq set for each milestone of the current plan (plan_id) reported;
    expected_count / seen_count / first_planned_at / last_planned_at let a VIN whose plan
    is all due (or not due at all) by the judging time be counted without reading its
    milestones."""

    __tablename__ = "vehicle_fvl"
    __table_args__ = (Index("ix_vehicle_fvl_org_id_last_planned_at", "org_id", "last_planned_at"),)
    vin: Mapped[str] = mapped_column(ID, primary_key=True)
    brand: Mapped[str | None] = mapped_column(ID)
    market: Mapped[str | None] = mapped_column(String(2))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    release_month: Mapped[str | None] = mapped_column(String(7))
    plant_evacuation_h: Mapped[float | None] = mapped_column(Float)
    time_to_port_d: Mapped[float | None] = mapped_column(Float)
    port_dwell_d: Mapped[float | None] = mapped_column(Float)
    shipping_lead_time_d: Mapped[float | None] = mapped_column(Float)
    dealer_delivery_d: Mapped[float | None] = mapped_column(Float)
    exit_lane: Mapped[str | None] = mapped_column(ID)
    exit_mode: Mapped[str | None] = mapped_column(String(32))
    delivered_day: Mapped[dt.date | None] = mapped_column(Date)
    tracked: Mapped[bool] = mapped_column(Boolean)
    damaged: Mapped[bool] = mapped_column(Boolean)
    reported: Mapped[int] = mapped_column(Integer)
    timely: Mapped[int] = mapped_column(Integer)
    plan_id: Mapped[str | None] = mapped_column(String(36))
    seen_mask: Mapped[int] = mapped_column(BigInteger)
    expected_count: Mapped[int] = mapped_column(Integer)
    seen_count: Mapped[int] = mapped_column(Integer)
    first_planned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_planned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The plan's milestones, planned time and whether reported (tracking.facts.seen_mask):
    # what the VIN adds to vehicle_fvl_due, so that a replaced row can take it away again.
    planned_seen: Mapped[str | None] = mapped_column(Text)


class VehicleFvlSumRow(OrgOwned, Base):
    """The FVL facts (vehicle_fvl) summed per grouping of the FVL KPIs (none, brand,
    market, month, lane, mode) and group value ("" for none or a missing fact), moved by
    the delta of every write of vehicle_fvl in the same transaction
    (tracking.fvl_store): the KPIs add up a few thousand kept rows instead of
    aggregating one row per VIN."""

    __tablename__ = "vehicle_fvl_sum"
    grouping: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[str] = mapped_column(ID, primary_key=True)
    tracked: Mapped[int] = mapped_column(BigInteger)
    plant_evacuation_h_sum: Mapped[float] = mapped_column(Float)
    time_to_port_d_sum: Mapped[float] = mapped_column(Float)
    port_dwell_d_sum: Mapped[float] = mapped_column(Float)
    shipping_lead_time_d_sum: Mapped[float] = mapped_column(Float)
    dealer_delivery_d_sum: Mapped[float] = mapped_column(Float)
    plant_evacuation_h_n: Mapped[int] = mapped_column(BigInteger)
    time_to_port_d_n: Mapped[int] = mapped_column(BigInteger)
    port_dwell_d_n: Mapped[int] = mapped_column(BigInteger)
    shipping_lead_time_d_n: Mapped[int] = mapped_column(BigInteger)
    dealer_delivery_d_n: Mapped[int] = mapped_column(BigInteger)
    on_time: Mapped[int] = mapped_column(BigInteger)
    delivered: Mapped[int] = mapped_column(BigInteger)
    damaged: Mapped[int] = mapped_column(BigInteger)
    reported: Mapped[int] = mapped_column(BigInteger)
    timely: Mapped[int] = mapped_column(BigInteger)
    vins: Mapped[int] = mapped_column(BigInteger)


class VehicleFvlDueRow(OrgOwned, Base):
    """The current plans' milestones per FVL grouping, group value and planned time
    (seconds since 1970 UTC), and how many of them were reported: reporting completeness
    as of any time is a sum over a range of it. Kept with vehicle_fvl_sum."""

    __tablename__ = "vehicle_fvl_due"
    grouping: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[str] = mapped_column(ID, primary_key=True)
    planned_s: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    expected: Mapped[int] = mapped_column(BigInteger)
    seen: Mapped[int] = mapped_column(BigInteger)


class VehicleStatusSumRow(OrgOwned, Base):
    """The statuses (vehicle_status) counted per status, moved by the delta of every write
    of them in the same transaction (tracking.status_store): the Tracking page's counts
    without reading a million statuses. writes only grows (rows written in all), so the
    counts change whenever a status is written: what caches of tracking views key on."""

    __tablename__ = "vehicle_status_sum"
    status: Mapped[str] = mapped_column(String(24), primary_key=True)
    vehicles: Mapped[int] = mapped_column(BigInteger)
    events: Mapped[int] = mapped_column(BigInteger)
    late: Mapped[int] = mapped_column(BigInteger)
    on_hold: Mapped[int] = mapped_column(BigInteger)
    damaged: Mapped[int] = mapped_column(BigInteger)
    delay_hours: Mapped[float] = mapped_column(Float)
    writes: Mapped[int] = mapped_column(BigInteger)
