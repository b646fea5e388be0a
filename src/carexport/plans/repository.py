"""All SQL for plans: store a version whole, read it back."""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session

from carexport.db.bulk import insert_frame
from carexport.plans.tables import PlanLegRow, PlanLoadRow, PlanOrderRow, PlanVersionRow


def store(
    session: Session,
    version: PlanVersionRow,
    legs: pl.DataFrame,
    orders: pl.DataFrame,
    loads: pl.DataFrame,
) -> None:
    session.add(version)
    session.flush()
    tag = [pl.lit(version.org_id).alias("org_id"), pl.lit(version.id).alias("plan_id")]
    insert_frame(
        session,
        PlanLegRow.__tablename__,
        legs.select(
            *tag,
            "vin",
            "leg",
            "order_id",
            "lane_id",
            "from_node",
            "to_node",
            "mode",
            "depart_date",
            "arrive_date",
        ),
    )
    insert_frame(
        session,
        PlanOrderRow.__tablename__,
        orders.select(
            *tag,
            "order_id",
            "vehicles",
            "delivered",
            "unserved",
            "eta",
            "due_date",
            "days_late",
            "cost_usd",
            "co2e_kg",
            "explanation",
        ),
    )
    insert_frame(
        session,
        PlanLoadRow.__tablename__,
        loads.select(
            *tag,
            "lane_id",
            "depart_date",
            "from_node",
            "to_node",
            "mode",
            "vehicles",
            "slots",
            "capacity_slots",
            "utilisation",
            "shadow_price_usd_per_slot",
        ),
    )


def get_version(session: Session, org_id: str, plan_id: str) -> PlanVersionRow | None:
    return session.get(PlanVersionRow, (org_id, plan_id))


def problem_orders(session: Session, org_id: str, plan_id: str) -> list[PlanOrderRow]:
    return list(
        session.scalars(
            select(PlanOrderRow)
            .where(
                PlanOrderRow.org_id == org_id,
                PlanOrderRow.plan_id == plan_id,
                (PlanOrderRow.days_late > 0) | (PlanOrderRow.unserved > 0),
            )
            .order_by(PlanOrderRow.order_id)
        )
    )


def loads(session: Session, org_id: str, plan_id: str) -> list[PlanLoadRow]:
    return list(
        session.scalars(
            select(PlanLoadRow)
            .where(PlanLoadRow.org_id == org_id, PlanLoadRow.plan_id == plan_id)
            .order_by(PlanLoadRow.depart_date, PlanLoadRow.lane_id)
        )
    )


def legs(
    session: Session, org_id: str, plan_id: str, *, order_id: str | None, limit: int, offset: int
) -> tuple[int, list[PlanLegRow]]:
    query = select(PlanLegRow).where(PlanLegRow.org_id == org_id, PlanLegRow.plan_id == plan_id)
    if order_id:
        query = query.where(PlanLegRow.order_id == order_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(PlanLegRow.vin, PlanLegRow.leg).limit(limit).offset(offset)
    )
    return total, list(rows)


def latest_version(session: Session, org_id: str) -> PlanVersionRow | None:
    return session.scalars(
        select(PlanVersionRow)
        .where(PlanVersionRow.org_id == org_id)
        .order_by(PlanVersionRow.created_at.desc(), PlanVersionRow.id)
        .limit(1)
    ).first()


def lane_flows(session: Session, org_id: str, plan_id: str) -> pl.DataFrame:
    rows = session.execute(
        select(
            PlanLoadRow.lane_id,
            func.count(),
            func.sum(PlanLoadRow.vehicles),
            func.sum(PlanLoadRow.slots),
            func.sum(PlanLoadRow.capacity_slots),
        )
        .where(PlanLoadRow.org_id == org_id, PlanLoadRow.plan_id == plan_id)
        .group_by(PlanLoadRow.lane_id)
        .order_by(PlanLoadRow.lane_id)
    ).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        orient="row",
        schema={
            "lane_id": pl.String,
            "departures": pl.Int64,
            "vehicles": pl.Int64,
            "slots": pl.Float64,
            "capacity_slots": pl.Float64,
        },
    )


def lane_loads(session: Session, org_id: str, plan_id: str, lane_id: str) -> list[PlanLoadRow]:
    return list(
        session.scalars(
            select(PlanLoadRow)
            .where(
                PlanLoadRow.org_id == org_id,
                PlanLoadRow.plan_id == plan_id,
                PlanLoadRow.lane_id == lane_id,
            )
            .order_by(PlanLoadRow.depart_date)
        )
    )


def served_by_country(
    session: Session, org_id: str, plan_id: str, lines: Subquery
) -> dict[str, int]:
    served = PlanOrderRow.vehicles - PlanOrderRow.unserved
    rows = session.execute(
        select(lines.c.destination_country, func.sum(served))
        .join(lines, lines.c.order_id == PlanOrderRow.order_id)
        .where(PlanOrderRow.org_id == org_id, PlanOrderRow.plan_id == plan_id)
        .group_by(lines.c.destination_country)
    ).all()
    return {country: int(total or 0) for country, total in rows}


def recent_versions(session: Session, org_id: str, limit: int) -> list[PlanVersionRow]:
    return list(
        session.scalars(
            select(PlanVersionRow)
            .where(PlanVersionRow.org_id == org_id)
            .order_by(PlanVersionRow.created_at.desc(), PlanVersionRow.id)
            .limit(limit)
        )
    )


def departure_legs(
    session: Session, org_id: str, plan_id: str, lane_id: str, depart_date: dt.date
) -> list[PlanLegRow]:
    return list(
        session.scalars(
            select(PlanLegRow)
            .where(
                PlanLegRow.org_id == org_id,
                PlanLegRow.plan_id == plan_id,
                PlanLegRow.lane_id == lane_id,
                PlanLegRow.depart_date == depart_date,
            )
            .order_by(PlanLegRow.order_id, PlanLegRow.vin)
        )
    )


LEG_SCHEMA = {
    "order_id": pl.String,
    "vin": pl.String,
    "leg": pl.Int64,
    "lane_id": pl.String,
    "from_node": pl.String,
    "to_node": pl.String,
    "mode": pl.String,
    "depart_date": pl.Date,
    "arrive_date": pl.Date,
}


def all_legs(session: Session, org_id: str, plan_id: str) -> pl.DataFrame:
    """Every leg of a plan as a frame (LEG_SCHEMA), by VIN and leg: one select, no ORM
    objects (a plan of a quarter has some 400k legs)."""
    rows = session.execute(
        select(*(getattr(PlanLegRow, c) for c in LEG_SCHEMA))
        .where(PlanLegRow.org_id == org_id, PlanLegRow.plan_id == plan_id)
        .order_by(PlanLegRow.vin, PlanLegRow.leg)
    ).all()
    return pl.DataFrame([tuple(r) for r in rows], orient="row", schema=LEG_SCHEMA)
