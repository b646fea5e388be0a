"""All SQL for tracking: known VINs, stored event ids, events of VINs, status upserts."""

from __future__ import annotations

import polars as pl
from sqlalchemy import delete, select, union
from sqlalchemy.orm import Session

from carexport.db.bulk import insert_frame, temporary_table
from carexport.orders.tables import VehicleRow
from carexport.plans.tables import PlanLegRow
from carexport.tracking.events import EVENT_SCHEMA
from carexport.tracking.tables import EventRow, VehicleStatusRow


def known_vins(session: Session, org_id: str) -> pl.Series:
    """VINs of orders, and the numbered slots of planned orders without a VIN list."""
    query = union(
        select(VehicleRow.vin).where(VehicleRow.org_id == org_id),
        select(PlanLegRow.vin).where(PlanLegRow.org_id == org_id),
    )
    return pl.Series("vin", [r[0] for r in session.execute(query)], dtype=pl.String)


def stored_event_ids(session: Session, org_id: str, event_ids: list[str]) -> set[str]:
    keys = pl.DataFrame({"event_id": event_ids}, schema={"event_id": pl.String})
    with temporary_table(session, "tmp_event_ids", keys) as wanted:
        rows = session.execute(
            select(EventRow.event_id)
            .join(wanted, wanted.c.event_id == EventRow.event_id)
            .where(EventRow.org_id == org_id)
        )
        return {r[0] for r in rows}


def events_of(session: Session, org_id: str, vins: list[str]) -> pl.DataFrame:
    keys = pl.DataFrame({"vin": vins}, schema={"vin": pl.String})
    columns = [getattr(EventRow, c) for c in EVENT_SCHEMA]
    with temporary_table(session, "tmp_vins", keys) as wanted:
        rows = session.execute(
            select(*columns)
            .join(wanted, wanted.c.vin == EventRow.vin)
            .where(EventRow.org_id == org_id)
        ).all()
    frame = pl.DataFrame(
        [tuple(r) for r in rows],
        orient="row",
        schema={
            c: (pl.Datetime("us") if isinstance(t, pl.Datetime) else t)
            for c, t in EVENT_SCHEMA.items()
        },
    )
    # SQLite hands back naive datetimes (stored as UTC): mark them UTC again.
    return frame.with_columns(
        [
            (
                pl.col(c).dt.replace_time_zone("UTC")
                if frame.schema[c] == pl.Datetime("us")
                else pl.col(c).dt.convert_time_zone("UTC")
            )
            for c in ("event_time", "reported_time")
        ]
    )


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
