"""All SQL for tracking: known VINs, stored event ids, events of VINs, status upserts."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import polars as pl
from sqlalchemy import delete, func, select, union
from sqlalchemy.orm import Session

from carexport.db.bulk import insert_frame, rows_for_keys, temporary_table
from carexport.orders.tables import OrderRow, VehicleRow
from carexport.plans.tables import PlanLegRow, PlanVersionRow
from carexport.tracking.events import EVENT_SCHEMA
from carexport.tracking.tables import (
    EtaRevisionRow,
    EventRow,
    ExpectedMilestoneRow,
    VehicleStatusRow,
)


def known_vins(session: Session, org_id: str) -> pl.Series:
    """VINs of orders, and the numbered slots of planned orders without a VIN list."""
    query = union(
        select(VehicleRow.vin).where(VehicleRow.org_id == org_id),
        select(PlanLegRow.vin).where(PlanLegRow.org_id == org_id),
    )
    return pl.Series("vin", [r[0] for r in session.execute(query)], dtype=pl.String)


def stored_event_ids(session: Session, org_id: str, event_ids: list[str]) -> set[str]:
    rows = rows_for_keys(session, EventRow, "event_id", event_ids, [EventRow.event_id], org_id)
    return {r[0] for r in rows}


def events_of(session: Session, org_id: str, vins: list[str]) -> pl.DataFrame:
    rows = rows_for_keys(
        session, EventRow, "vin", vins, [getattr(EventRow, c) for c in EVENT_SCHEMA], org_id
    )
    return _events_frame(rows)


def _events_frame(rows: list[Any]) -> pl.DataFrame:
    # Datetimes come back aware (PostgreSQL, in its session zone) or naive UTC (SQLite).
    naive = [tuple(_naive_utc(v) if isinstance(v, dt.datetime) else v for v in r) for r in rows]
    frame = pl.DataFrame(
        naive,
        orient="row",
        schema={
            c: (pl.Datetime("us") if isinstance(t, pl.Datetime) else t)
            for c, t in EVENT_SCHEMA.items()
        },
    )
    return frame.with_columns(_utc("event_time"), _utc("reported_time"))


def insert_events(session: Session, org_id: str, events: pl.DataFrame) -> int:
    return insert_frame(
        session,
        EventRow.__tablename__,
        events.select(pl.lit(org_id).alias("org_id"), *EVENT_SCHEMA),
    )


def replace_statuses(session: Session, org_id: str, statuses: pl.DataFrame) -> None:
    keys = statuses.select("vin")
    with temporary_table(session, "tmp_status_vins", keys) as wanted:
        session.execute(
            delete(VehicleStatusRow).where(
                VehicleStatusRow.org_id == org_id, VehicleStatusRow.vin.in_(select(wanted.c.vin))
            )
        )
    insert_frame(
        session,
        VehicleStatusRow.__tablename__,
        statuses.select(pl.lit(org_id).alias("org_id"), pl.all()),
    )


def status_of(session: Session, org_id: str, vin: str) -> VehicleStatusRow | None:
    return session.get(VehicleStatusRow, (org_id, vin))


def latest_expected(session: Session, org_id: str, vins: list[str]) -> pl.DataFrame:
    """Each VIN's expected milestones from the newest plan version that has it."""
    return latest_expected_with_seq(session, org_id, vins).drop("seq")


def latest_expected_with_seq(session: Session, org_id: str, vins: list[str]) -> pl.DataFrame:
    """vin, plan_id, seq, code, node, planned_at of each VIN's newest plan version."""
    keys = pl.DataFrame({"vin": vins}, schema={"vin": pl.String})
    with temporary_table(session, "tmp_expected_vins", keys) as wanted:
        rows = session.execute(
            select(
                ExpectedMilestoneRow.vin,
                ExpectedMilestoneRow.plan_id,
                ExpectedMilestoneRow.seq,
                ExpectedMilestoneRow.code,
                ExpectedMilestoneRow.node,
                ExpectedMilestoneRow.planned_at,
                PlanVersionRow.created_at,
            )
            .join(wanted, wanted.c.vin == ExpectedMilestoneRow.vin)
            .join(
                PlanVersionRow,
                (PlanVersionRow.org_id == ExpectedMilestoneRow.org_id)
                & (PlanVersionRow.id == ExpectedMilestoneRow.plan_id),
            )
            .where(ExpectedMilestoneRow.org_id == org_id)
        ).all()
    frame = pl.DataFrame(
        [
            (v, p, q, c, n, _naive_utc(at), _naive_utc(created))
            for v, p, q, c, n, at, created in rows
        ],
        orient="row",
        schema={
            "vin": pl.String,
            "plan_id": pl.String,
            "seq": pl.Int64,
            "code": pl.String,
            "node": pl.String,
            "planned_at": pl.Datetime("us"),
            "_created": pl.Datetime("us"),
        },
    )
    newest = frame.group_by("vin").agg(pl.col("_created").max())
    frame = frame.join(newest, on=["vin", "_created"]).drop("_created")
    return frame.with_columns(_utc("planned_at")).sort("vin", "seq")


def due_dates(session: Session, org_id: str, vins: list[str]) -> pl.DataFrame:
    """Due date of each VIN's order (a VIN list entry, or a numbered slot ORDER#0001)."""
    return vin_dimensions(session, org_id, vins).select("vin", "due_date")


def vin_dimensions(session: Session, org_id: str, vins: list[str]) -> pl.DataFrame:
    """vin, brand, market, due_date of each VIN's order."""
    keys = (
        pl.DataFrame({"vin": vins}, schema={"vin": pl.String})
        .unique()
        .with_columns(pl.col("vin").str.split("#").list.first().alias("_slot_order"))
    )
    with temporary_table(session, "tmp_dim_vins", keys.select("vin")) as wanted:
        listed = session.execute(
            select(VehicleRow.vin, VehicleRow.order_id)
            .join(wanted, wanted.c.vin == VehicleRow.vin)
            .where(VehicleRow.org_id == org_id)
        ).all()
    owner = keys.join(
        pl.DataFrame(
            [tuple(r) for r in listed],
            orient="row",
            schema={"vin": pl.String, "order_id": pl.String},
        ),
        on="vin",
        how="left",
    ).with_columns(pl.coalesce("order_id", "_slot_order").alias("order_id"))
    orders = owner["order_id"].drop_nulls().unique().to_list()
    rows: list[tuple[object, ...]] = []
    if orders:
        wanted_orders = pl.DataFrame({"order_id": orders}, schema={"order_id": pl.String})
        with temporary_table(session, "tmp_dim_orders", wanted_orders) as table:
            rows = [
                tuple(r)
                for r in session.execute(
                    select(
                        OrderRow.order_id,
                        OrderRow.brand_id,
                        OrderRow.destination_country,
                        OrderRow.due_date,
                    )
                    .join(table, table.c.order_id == OrderRow.order_id)
                    .where(OrderRow.org_id == org_id)
                ).all()
            ]
    order_frame = pl.DataFrame(
        rows,
        orient="row",
        schema={
            "order_id": pl.String,
            "brand": pl.String,
            "market": pl.String,
            "due_date": pl.Date,
        },
    )
    return owner.join(order_frame, on="order_id", how="left").select(
        "vin", "brand", "market", "due_date"
    )


def insert_eta_revisions(session: Session, org_id: str, revisions: pl.DataFrame) -> None:
    insert_frame(
        session,
        EtaRevisionRow.__tablename__,
        revisions.select(
            pl.lit(org_id).alias("org_id"),
            pl.Series("id", [str(uuid.uuid4()) for _ in range(revisions.height)], pl.String),
            pl.all(),
        ),
    )


def _utc(column: str) -> pl.Expr:
    return pl.col(column).dt.replace_time_zone("UTC")


def current_etas(session: Session, org_id: str, vins: list[str]) -> pl.DataFrame:
    rows = rows_for_keys(
        session, VehicleStatusRow, "vin", vins, [VehicleStatusRow.vin, VehicleStatusRow.eta], org_id
    )
    frame = pl.DataFrame(
        [(v, _naive_utc(e) if e else None) for v, e in rows],
        orient="row",
        schema={"vin": pl.String, "previous_eta": pl.Datetime("us")},
    )
    return frame.with_columns(_utc("previous_eta"))


STATUS_SCHEMA: dict[str, pl.DataType] = {
    "vin": pl.String(),
    "status": pl.String(),
    "location": pl.String(),
    "last_event_id": pl.String(),
    "last_code": pl.String(),
    "last_event_time": pl.Datetime("us"),
    "events": pl.Int64(),
    "delivered_at": pl.Datetime("us"),
    "on_hold": pl.Boolean(),
    "damaged": pl.Boolean(),
    "sequence_violations": pl.Int64(),
    "plan_id": pl.String(),
    "delay_hours": pl.Float64(),
    "eta": pl.Datetime("us"),
    "due_date": pl.Date(),
    "days_late": pl.Int64(),
}


def all_statuses(session: Session, org_id: str, vin: str | None = None) -> pl.DataFrame:
    columns = [getattr(VehicleStatusRow, c) for c in STATUS_SCHEMA]
    query = select(*columns).where(VehicleStatusRow.org_id == org_id)
    if vin:
        query = query.where(VehicleStatusRow.vin == vin)
    rows = [tuple(r) for r in session.execute(query).all()]
    # Datetimes come back aware (PostgreSQL) or naive UTC (SQLite): make them naive first.
    rows = [tuple(_naive_utc(v) if isinstance(v, dt.datetime) else v for v in r) for r in rows]
    frame = pl.DataFrame(rows, orient="row", schema=STATUS_SCHEMA)
    return frame.with_columns(_utc("last_event_time"), _utc("delivered_at"), _utc("eta"))


def reported_milestones(session: Session, org_id: str) -> pl.DataFrame:
    rows = session.execute(
        select(EventRow.vin, EventRow.code, EventRow.node).where(EventRow.org_id == org_id)
    ).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        orient="row",
        schema={"vin": pl.String, "code": pl.String, "node": pl.String},
    )


def planned_vins(session: Session, org_id: str) -> list[str]:
    return [
        r[0]
        for r in session.execute(
            select(ExpectedMilestoneRow.vin).where(ExpectedMilestoneRow.org_id == org_id).distinct()
        )
    ]


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def milestone_history(session: Session, org_id: str, vin: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A VIN's expected milestones (newest plan) and its reported events, oldest first."""
    expected = latest_expected_with_seq(session, org_id, [vin])
    events = events_of(session, org_id, [vin]).sort("event_time", "event_id")
    return expected, events


def list_statuses(
    session: Session,
    org_id: str,
    *,
    order_id: str | None,
    status: str | None,
    market: str | None,
    late: bool | None,
    limit: int,
    offset: int,
) -> tuple[int, list[VehicleStatusRow]]:
    query = select(VehicleStatusRow).where(VehicleStatusRow.org_id == org_id)
    if status:
        query = query.where(VehicleStatusRow.status == status)
    if late is not None:
        query = query.where(
            (VehicleStatusRow.days_late > 0)
            if late
            else ((VehicleStatusRow.days_late == 0) | VehicleStatusRow.days_late.is_(None))
        )
    if order_id or market:
        owners = (
            select(VehicleRow.vin)
            .join(
                OrderRow,
                (OrderRow.org_id == VehicleRow.org_id) & (OrderRow.order_id == VehicleRow.order_id),
            )
            .where(VehicleRow.org_id == org_id)
        )
        if order_id:
            owners = owners.where(OrderRow.order_id == order_id)
        if market:
            owners = owners.where(OrderRow.destination_country == market.upper())
        query = query.where(VehicleStatusRow.vin.in_(owners))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(VehicleStatusRow.vin).limit(limit).offset(offset))
    return total, list(rows)


def expected_of_plan(session: Session, org_id: str, plan_id: str) -> pl.DataFrame:
    rows = session.execute(
        select(
            ExpectedMilestoneRow.vin,
            ExpectedMilestoneRow.seq,
            ExpectedMilestoneRow.code,
            ExpectedMilestoneRow.node,
            ExpectedMilestoneRow.lane_id,
            ExpectedMilestoneRow.planned_at,
        ).where(ExpectedMilestoneRow.org_id == org_id, ExpectedMilestoneRow.plan_id == plan_id)
    ).all()
    frame = pl.DataFrame(
        [(v, s, c, n, lane, _naive_utc(at)) for v, s, c, n, lane, at in rows],
        orient="row",
        schema={
            "vin": pl.String,
            "seq": pl.Int64,
            "code": pl.String,
            "node": pl.String,
            "lane_id": pl.String,
            "planned_at": pl.Datetime("us"),
        },
    )
    return frame.with_columns(_utc("planned_at"))


def all_events(session: Session, org_id: str) -> pl.DataFrame:
    columns = [getattr(EventRow, c) for c in EVENT_SCHEMA]
    return _events_frame(
        list(session.execute(select(*columns).where(EventRow.org_id == org_id)).all())
    )
