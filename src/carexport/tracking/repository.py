"""All SQL for tracking: what a batch's VINs are, events of VINs, status and plan upserts,
ETA revisions, and the transit histogram the ETA learns from."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import (
    Subquery,
    bindparam,
    delete,
    false,
    func,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from carexport.db.bulk import (
    frame_for_keys,
    insert_frame,
    read_frame,
    temporary_table,
    upsert_frame,
)
from carexport.orders import service as orders_service
from carexport.tracking.eta import MODEL_SCHEMA
from carexport.tracking.events import EVENT_SCHEMA
from carexport.tracking.exceptions import DWELL_STATUSES
from carexport.tracking.milestones import PACKED_SCHEMA
from carexport.tracking.tables import (
    EtaRevisionRow,
    EventRow,
    ExpectedMilestoneRow,
    ExportCountRow,
    TransitModelRow,
    VehiclePlanRow,
    VehicleStatusRow,
)


def vin_context(session: Session, org_id: str, vins: pl.DataFrame) -> pl.DataFrame:
    """What ingest needs to know of each VIN of a batch, in one read: whether it is known
    (an ordered VIN, or a planned one), its current plan (packed), how many events it has,
    its ETAs, its order and when it was export-cleared. Columns: vin, known, plan_id,
    due_date, milestones, events, previous_eta, previous_eta_p90, order_id,
    previous_export_at."""
    plan, status, listed = VehiclePlanRow, VehicleStatusRow, orders_service.ordered_vins(org_id)
    with temporary_table(session, "tmp_ingest_vins", vins.select("vin")) as wanted:
        query = (
            select(
                wanted.c.vin,
                listed.c.vin.is_not(None) | plan.vin.is_not(None),
                plan.plan_id,
                plan.due_date,
                plan.milestones,
                status.events,
                status.eta,
                status.eta_p90,
                listed.c.order_id,
                status.export_cleared_at,
            )
            .select_from(wanted)
            .outerjoin(plan, (plan.org_id == org_id) & (plan.vin == wanted.c.vin))
            .outerjoin(status, (status.org_id == org_id) & (status.vin == wanted.c.vin))
            .outerjoin(listed, listed.c.vin == wanted.c.vin)
        )
        return read_frame(
            session,
            query,
            {
                "vin": pl.String(),
                "known": pl.Boolean(),
                "plan_id": pl.String(),
                "due_date": pl.Date(),
                "milestones": pl.String(),
                "events": pl.Int64(),
                "previous_eta": pl.Datetime("us", "UTC"),
                "previous_eta_p90": pl.Datetime("us", "UTC"),
                "order_id": pl.String(),
                "previous_export_at": pl.Datetime("us", "UTC"),
            },
        )


def events_of(session: Session, org_id: str, vins: list[str]) -> pl.DataFrame:
    return frame_for_keys(session, EventRow, "vin", vins, EVENT_SCHEMA, org_id)


def insert_events(session: Session, org_id: str, events: pl.DataFrame) -> int:
    return insert_frame(
        session,
        EventRow.__tablename__,
        events.select(pl.lit(org_id).alias("org_id"), *EVENT_SCHEMA),
    )


def insert_expected_milestones(
    session: Session, org_id: str, plan_id: str, milestones: pl.DataFrame
) -> None:
    """milestones: a new plan's expected milestones (tracking.milestones.expected_milestones)."""
    insert_frame(
        session,
        ExpectedMilestoneRow.__tablename__,
        milestones.select(
            pl.lit(org_id).alias("org_id"), pl.lit(plan_id).alias("plan_id"), pl.all()
        ),
    )


def store_vehicle_plans(session: Session, org_id: str, plans: pl.DataFrame) -> list[str]:
    """plans: vin, plan_id, due_date, milestones; replaces those VINs' current plans, and
    moves their planned exports in the export counts. Returns those of the VINs that are
    tracked (have a status)."""
    planned_export = _packed_time(r"EXPORT_CLEARED\|[^|;]*\|[^|;]*\|(-?\d+)")
    new = plans.select("vin", planned_export.alias("planned_export_at"))
    before = _planned_before(session, org_id, new.select("vin"))
    tracked = frame_for_keys(
        session, VehicleStatusRow, "vin", plans["vin"].to_list(), {"vin": pl.String()}, org_id
    )
    awaiting_first = (
        pl.when(pl.col("vin").is_in(tracked["vin"].implode()).not_())
        .then(_packed_time(r"^[^|;]*\|[^|;]*\|[^|;]*\|(-?\d+)"))  # the first milestone
        .alias("awaiting_first_at")
    )
    upsert_frame(
        session,
        VehiclePlanRow.__tablename__,
        plans.select(
            pl.lit(org_id).alias("org_id"),
            "vin",
            "plan_id",
            "due_date",
            "milestones",
            planned_export.alias("planned_export_at"),
            awaiting_first,
        ),
        key=("org_id", "vin"),
    )
    moved = before.join(new, on="vin", how="left").select(
        "order_id",
        pl.col("previous_export_at").alias("before"),
        pl.col("planned_export_at").alias("after"),
    )
    add_export_counts(session, org_id, export_count_changes(moved, "planned"))
    return list(tracked["vin"])


def _packed_time(pattern: str) -> pl.Expr:
    """The planned time (epoch seconds) that pattern's group finds in packed milestones."""
    epoch = pl.col("milestones").str.extract(pattern).cast(pl.Int64)
    return pl.from_epoch(epoch, time_unit="s").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def clear_awaiting_first(session: Session, org_id: str, vins: list[str]) -> None:
    """These VINs have their first events now: no longer awaiting their first milestone."""
    if not vins:
        return
    plan = VehiclePlanRow
    with temporary_table(session, "tmp_first_tracked", pl.DataFrame({"vin": vins})) as first:
        session.execute(
            update(plan)
            .where(plan.org_id == org_id, plan.vin.in_(select(first.c.vin)))
            .values(awaiting_first_at=None)
            .execution_options(synchronize_session=False)
        )


PLAN_SCHEMA: dict[str, pl.DataType] = {
    "vin": pl.String(),
    "plan_id": pl.String(),
    "due_date": pl.Date(),
    "milestones": pl.String(),
}


def plans_of(session: Session, org_id: str, vins: list[str] | None = None) -> pl.DataFrame:
    """vin, plan_id, due_date, milestones (packed) of the given VINs, or of all."""
    return _of_vins(session, org_id, VehiclePlanRow, PLAN_SCHEMA, vins)


def _of_vins(
    session: Session,
    org_id: str,
    table: Any,
    schema: dict[str, pl.DataType],
    vins: list[str] | None,
) -> pl.DataFrame:
    """Rows of an organisation's VIN-keyed table: all, one (a key lookup, as the API asks),
    or many (one temporary-table join)."""
    if vins is not None and len(vins) != 1:
        return frame_for_keys(session, table, "vin", vins, schema, org_id)
    query = select(*(getattr(table, c) for c in schema)).where(table.org_id == org_id)
    if vins is not None:
        query = query.where(table.vin == vins[0])
    return read_frame(session, query, schema)


def transit_model(session: Session, org_id: str) -> pl.DataFrame:
    """What the ETA has learned (see tracking.learn): kind, key, median_hours, p90_hours."""
    columns = [getattr(TransitModelRow, c) for c in MODEL_SCHEMA]
    query = select(*columns).where(TransitModelRow.org_id == org_id)
    return read_frame(session, query, MODEL_SCHEMA)


def transit_model_rows(session: Session, org_id: str) -> list[TransitModelRow]:
    return list(
        session.scalars(
            select(TransitModelRow)
            .where(TransitModelRow.org_id == org_id)
            .order_by(TransitModelRow.kind, TransitModelRow.key)
        )
    )


def store_transit_model(
    session: Session, org_id: str, stats: pl.DataFrame, learned_at: dt.datetime
) -> None:
    session.execute(delete(TransitModelRow).where(TransitModelRow.org_id == org_id))
    insert_frame(
        session,
        TransitModelRow.__tablename__,
        stats.select(
            pl.lit(org_id).alias("org_id"),
            "kind",
            "key",
            "observations",
            "median_hours",
            "p90_hours",
            pl.lit(learned_at.astimezone(dt.UTC).replace(tzinfo=None)).alias("learned_at"),
        ),
    )


# Hours between the first start and the first end event of each (VIN, key), counted per
# whole hour in the database: learning then reads a histogram, not every event.
_HOURS = {
    "sqlite": "(julianday(ended) - julianday(started)) * 24.0",
    "postgresql": "EXTRACT(EPOCH FROM (ended - started)) / 3600.0",
}
_WHOLE = {"sqlite": "CAST(hours AS INTEGER)", "postgresql": "CAST(FLOOR(hours) AS INTEGER)"}
# kind: (key column, start codes, end codes)
_OBSERVED = {
    "lane": ("lane_id", ("DEPARTED",), ("ARRIVED",)),
    "delivery": ("node", ("ARRIVED", "DISCHARGED"), ("DELIVERED",)),
}


def duration_histogram(session: Session, org_id: str) -> pl.DataFrame:
    """kind, key, hour, n: observed lane transits and destination deliveries by whole
    hours (see tracking.learn)."""
    dialect = session.connection().dialect.name
    parts = []
    for kind, (key, starts, ends) in _OBSERVED.items():
        start_codes = ", ".join(f"'{c}'" for c in starts)
        end_codes = ", ".join(f"'{c}'" for c in ends)
        sql = f"""
            SELECT '{kind}' AS kind, key, {_WHOLE[dialect]} AS hour, COUNT(*) AS n FROM (
                SELECT key, {_HOURS[dialect]} AS hours FROM (
                    SELECT {key} AS key,
                           MIN(CASE WHEN code IN ({start_codes}) THEN event_time END) AS started,
                           MIN(CASE WHEN code IN ({end_codes}) THEN event_time END) AS ended
                    FROM tracking_event
                    WHERE org_id = :org AND {key} IS NOT NULL
                      AND code IN ({start_codes}, {end_codes})
                    GROUP BY vin, {key}
                ) AS spans
                WHERE started IS NOT NULL AND ended IS NOT NULL
            ) AS timed
            WHERE hours >= 0
            GROUP BY key, {_WHOLE[dialect]}
        """
        parts += [tuple(r) for r in session.execute(text(sql), {"org": org_id}).all()]
    return pl.DataFrame(
        parts,
        orient="row",
        schema={"kind": pl.String, "key": pl.String, "hour": pl.Int64, "n": pl.Int64},
    )


def status_of(session: Session, org_id: str, vin: str) -> VehicleStatusRow | None:
    return session.get(VehicleStatusRow, (org_id, vin))


def insert_eta_revisions(session: Session, org_id: str, revisions: pl.DataFrame) -> None:
    """revisions: vin, revised_at, basis, eta, eta_p90, delay_hours."""
    # 64 random bits per revision, as text: the key is (org, VIN, id), so they need only
    # be unique among one VIN's revisions. Made in one piece, not a uuid per row.
    random = np.frombuffer(os.urandom(8 * revisions.height), dtype=np.uint64)
    ids = pl.Series("id", random).cast(pl.String).str.zfill(20)
    insert_frame(
        session,
        EtaRevisionRow.__tablename__,
        revisions.select(pl.lit(org_id).alias("org_id"), "vin", ids, pl.all().exclude("vin")).sort(
            "vin"  # in key order, as the table is keyed by VIN
        ),
    )


STATUS_SCHEMA: dict[str, pl.DataType] = {
    "vin": pl.String(),
    "status": pl.String(),
    "location": pl.String(),
    "last_event_id": pl.String(),
    "last_code": pl.String(),
    "last_event_time": pl.Datetime("us", "UTC"),
    "events": pl.Int64(),
    "delivered_at": pl.Datetime("us", "UTC"),
    "on_hold": pl.Boolean(),
    "damaged": pl.Boolean(),
    "sequence_violations": pl.Int64(),
    "plan_id": pl.String(),
    "matched_seq": pl.Int64(),
    "matched_at": pl.Datetime("us", "UTC"),
    "delay_hours": pl.Float64(),
    "eta": pl.Datetime("us", "UTC"),
    "eta_p90": pl.Datetime("us", "UTC"),
    "due_date": pl.Date(),
    "days_late": pl.Int64(),
    "export_cleared_at": pl.Datetime("us", "UTC"),
    "next_seq": pl.Int64(),
    "next_planned_at": pl.Datetime("us", "UTC"),
}


def all_statuses(session: Session, org_id: str, vins: list[str] | None = None) -> pl.DataFrame:
    """The status rows of the given VINs, or of all the organisation's."""
    return _of_vins(session, org_id, VehicleStatusRow, STATUS_SCHEMA, vins)


# Built once: per request only the parameters change (the API's hottest read). The
# status, its plan and the events in one statement: one row per event (the status
# columns repeated), or one row with null event columns for a VIN without events. One
# round trip instead of two: on PostgreSQL the wait, not the work, is the cost.
_VEHICLE_DETAIL = (
    select(
        *(getattr(VehicleStatusRow, c) for c in STATUS_SCHEMA),
        VehiclePlanRow.milestones,
        EventRow.code,
        EventRow.node,
        EventRow.event_time,
    )
    .outerjoin(
        VehiclePlanRow,
        (VehiclePlanRow.org_id == VehicleStatusRow.org_id)
        & (VehiclePlanRow.vin == VehicleStatusRow.vin),
    )
    .outerjoin(
        EventRow,
        (EventRow.org_id == VehicleStatusRow.org_id) & (EventRow.vin == VehicleStatusRow.vin),
    )
    .where(VehicleStatusRow.org_id == bindparam("org"), VehicleStatusRow.vin == bindparam("vin"))
    .order_by(EventRow.event_time, EventRow.event_id)
)


def vehicle_detail(
    connection: Connection, org_id: str, vin: str
) -> tuple[dict[str, Any], str | None, list[tuple[str, str | None, dt.datetime]]] | None:
    """One VIN's status (as a dict), its current plan (packed) and its events (code, node,
    time; oldest first), in one statement; None without a status. Core and plain rows,
    neither ORM nor frames: for one vehicle, they would cost more than the reads."""
    rows = connection.execute(_VEHICLE_DETAIL, {"org": org_id, "vin": vin}).all()
    if not rows:
        return None
    width = len(STATUS_SCHEMA)
    events = [(r[width + 1], r[width + 2], r[width + 3]) for r in rows if r[width + 1] is not None]
    return dict(zip(STATUS_SCHEMA, rows[0][:width], strict=True)), rows[0][width], events


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
        owners = orders_service.ordered_vins(org_id, order_id=order_id, market=market)
        query = query.where(VehicleStatusRow.vin.in_(select(owners.c.vin)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(VehicleStatusRow.vin).limit(limit).offset(offset))
    return total, list(rows)


def lock_tracking_writes(session: Session, org_id: str) -> None:
    """Hold the organisation's tracking write lock until the transaction ends (PostgreSQL;
    SQLite lets one writer at a time anyway). Ingest, storing a plan and re-projecting
    every ETA update the same vehicle_plan and vehicle_status rows in different orders, so
    two at once deadlocked (bench/bench_soak.py: POST /plans beside POST /events): each
    takes this first, before its first write, and the second waits for the first."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(f"carexport tracking {org_id}".encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def expected_of_plan(session: Session, org_id: str, plan_id: str) -> pl.DataFrame:
    table = ExpectedMilestoneRow
    schema = PACKED_SCHEMA
    query = select(*(getattr(table, c) for c in schema)).where(
        table.org_id == org_id, table.plan_id == plan_id
    )
    return read_frame(session, query, schema)


def exception_candidates(
    session: Session, org_id: str, *, dwell_before: dt.datetime, overdue_before: dt.datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What tracking.exceptions.find_exceptions needs to find every exception, and no more:
    the statuses that match one of its status rules (late, on hold, damaged, out of order,
    standing still since before dwell_before), and each undelivered planned VIN's next
    expected milestone (seq = the latest reached + 1, of its current plan; kept as
    next_seq / next_planned_at on the status, or awaiting_first_at on the plan of a VIN
    with no event yet) when it was planned before overdue_before. Ranges of indexes
    instead of every status and every plan: a few percent of the VINs have an exception,
    and reading rows back is the cost."""
    status, plan, expected = VehicleStatusRow, VehiclePlanRow, ExpectedMilestoneRow
    columns = [getattr(status, c) for c in STATUS_SCHEMA]
    # Two ranges of indexes: the flagged (late, on hold, damaged, out of order), and per
    # status where a VIN can stand still, those whose last event is before dwell_before.
    flagged = select(*columns).where((status.org_id == org_id) & (status.flagged == true()))
    dwelling = [
        select(*columns).where(
            (status.org_id == org_id)
            & (status.status == name)
            & (status.last_event_time < db_time(session, dwell_before))
            & status.delivered_at.is_(None)
            & (status.flagged == false())  # (read above)
        )
        for name in DWELL_STATUSES
    ]
    statuses = pl.concat(
        [read_frame(session, query, STATUS_SCHEMA) for query in (flagged, *dwelling)]
    )
    cutoff = db_time(session, overdue_before)
    milestone = [getattr(expected, c) for c in PACKED_SCHEMA]
    # A tracked VIN's next milestone (kept on its status), and an untracked VIN's first.
    tracked = (
        select(*milestone)
        .select_from(status)
        .join(plan, (plan.org_id == status.org_id) & (plan.vin == status.vin))
        .join(
            expected,
            (expected.org_id == plan.org_id)
            & (expected.plan_id == plan.plan_id)
            & (expected.vin == plan.vin)
            & (expected.seq == status.next_seq),
        )
        .where((status.org_id == org_id) & (status.next_planned_at < cutoff))
    )
    untracked = (
        select(*milestone)
        .select_from(plan)
        .join(
            expected,
            (expected.org_id == plan.org_id)
            & (expected.plan_id == plan.plan_id)
            & (expected.vin == plan.vin)
            & (expected.seq == 1),
        )
        .where((plan.org_id == org_id) & (plan.awaiting_first_at < cutoff))
    )
    following = pl.concat(
        [read_frame(session, tracked, PACKED_SCHEMA), read_frame(session, untracked, PACKED_SCHEMA)]
    )
    return statuses, following


def db_time(session: Session, value: dt.datetime) -> dt.datetime | str:
    """A UTC time as a parameter of read_frame, which binds values as the driver takes
    them: psycopg an aware datetime; SQLite the very text the bulk writes store for an
    aware time (db.bulk casts it to text, "2027-02-12 00:00:00.000000+00:00"), so that
    text comparison is time comparison, equal times included."""
    utc = value.astimezone(dt.UTC)
    if session.get_bind().dialect.name == "postgresql":
        return utc
    return str(pl.Series([utc], dtype=pl.Datetime("us", "UTC")).cast(pl.String)[0])


def all_events(session: Session, org_id: str) -> pl.DataFrame:
    columns = [getattr(EventRow, c) for c in EVENT_SCHEMA]
    return read_frame(session, select(*columns).where(EventRow.org_id == org_id), EVENT_SCHEMA)


def _planned_before(session: Session, org_id: str, vins: pl.DataFrame) -> pl.DataFrame:
    """vin, order_id, previous_export_at (planned) of VINs about to get a new plan."""
    plan, listed = VehiclePlanRow, orders_service.ordered_vins(org_id)
    with temporary_table(session, "tmp_replanned_vins", vins) as wanted:
        query = (
            select(wanted.c.vin, listed.c.order_id, plan.planned_export_at)
            .select_from(wanted)
            .join(listed, listed.c.vin == wanted.c.vin)
            .outerjoin(plan, (plan.org_id == org_id) & (plan.vin == wanted.c.vin))
        )
        return read_frame(
            session,
            query,
            {
                "vin": pl.String(),
                "order_id": pl.String(),
                "previous_export_at": pl.Datetime("us", "UTC"),
            },
        )


def export_count_changes(moved: pl.DataFrame, basis: str) -> pl.DataFrame:
    """moved: order_id, before, after (export times, null when not exported) of VINs whose
    export may have changed -> basis, month, order_id, vehicles (+1 into the new month,
    -1 out of the old one; nothing for VINs whose month stayed)."""
    month_before = pl.col("before").dt.strftime("%Y-%m")
    month_after = pl.col("after").dt.strftime("%Y-%m")
    changed = moved.filter(pl.col("order_id").is_not_null() & month_before.ne_missing(month_after))
    out = changed.filter(pl.col("before").is_not_null()).select(
        month_before.alias("month"), "order_id", pl.lit(-1).alias("vehicles")
    )
    into = changed.filter(pl.col("after").is_not_null()).select(
        month_after.alias("month"), "order_id", pl.lit(1).alias("vehicles")
    )
    return (
        pl.concat([out, into])
        .group_by("month", "order_id")
        .agg(pl.col("vehicles").sum())
        .filter(pl.col("vehicles") != 0)
        .select(pl.lit(basis).alias("basis"), "month", "order_id", "vehicles")
        .sort("basis", "month", "order_id")
    )


def add_export_counts(session: Session, org_id: str, changes: pl.DataFrame) -> None:
    """Add changes (basis, month, order_id, vehicles: + or -) to the export counts."""
    if changes.is_empty():
        return
    dialect = session.get_bind().dialect.name
    insert = (
        postgresql_insert(ExportCountRow)
        if dialect == "postgresql"
        else sqlite_insert(ExportCountRow)
    )
    statement = insert.on_conflict_do_update(
        index_elements=["org_id", "basis", "month", "order_id"],
        set_={"vehicles": ExportCountRow.vehicles + insert.excluded.vehicles},
    )
    rows = changes.with_columns(pl.lit(org_id).alias("org_id")).to_dicts()
    session.execute(statement, rows)
    if (changes["vehicles"] < 0).any():
        session.execute(
            delete(ExportCountRow).where(
                ExportCountRow.org_id == org_id, ExportCountRow.vehicles == 0
            )
        )


def recount_exports(session: Session, org_id: str, order_ids: list[str] | None = None) -> None:
    """Count the exports again from the statuses and plans (of some orders, or all): after
    VINs left or changed orders, which the counts kept at ingest and planning cannot see."""
    counts = delete(ExportCountRow).where(ExportCountRow.org_id == org_id)
    listed = orders_service.ordered_vins(org_id)
    if order_ids is not None:
        counts = counts.where(ExportCountRow.order_id.in_(order_ids))
    session.execute(counts)
    for basis, table, column in (
        ("customs", VehicleStatusRow, VehicleStatusRow.export_cleared_at),
        ("planned", VehiclePlanRow, VehiclePlanRow.planned_export_at),
    ):
        rows = (
            select(listed.c.order_id, column)
            .select_from(table)
            .join(listed, listed.c.vin == table.vin)
            .where(table.org_id == org_id, column.is_not(None))
        )
        if order_ids is not None:
            rows = rows.where(listed.c.order_id.in_(order_ids))
        found = read_frame(
            session, rows, {"order_id": pl.String(), "after": pl.Datetime("us", "UTC")}
        )
        moved = found.with_columns(pl.lit(None, pl.Datetime("us", "UTC")).alias("before"))
        add_export_counts(session, org_id, export_count_changes(moved, basis))


def export_counts_query(org_id: str, basis: str) -> Subquery:
    """month, order_id, vehicles exported on a basis (a subquery)."""
    counts = ExportCountRow
    return (
        select(counts.month, counts.order_id, counts.vehicles)
        .where(counts.org_id == org_id, counts.basis == basis)
        .subquery("exported")
    )


def statuses_with_prefix(
    session: Session, org_id: str, prefix: str, limit: int
) -> tuple[int, list[VehicleStatusRow]]:
    """How many tracked VINs start with prefix (in upper case, not empty), and the
    first `limit` of them by VIN: a range on the key, so an index answers it."""
    status = VehicleStatusRow
    following = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    condition = (
        (status.org_id == org_id)
        & (status.vin >= prefix)
        & (status.vin < following)
        & status.vin.startswith(prefix, autoescape=True)
    )
    total = session.scalar(select(func.count()).where(condition)) or 0
    rows = session.scalars(select(status).where(condition).order_by(status.vin).limit(limit))
    return total, list(rows)


def planned_or_tracked_vins(session: Session, org_id: str) -> list[str]:
    """Every VIN with a current plan or a status, sorted."""
    plans = select(VehiclePlanRow.vin).where(VehiclePlanRow.org_id == org_id)
    statuses = select(VehicleStatusRow.vin).where(VehicleStatusRow.org_id == org_id)
    return sorted(set(session.scalars(plans)) | set(session.scalars(statuses)))
