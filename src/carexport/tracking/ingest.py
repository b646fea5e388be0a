"""Event ingest: check, deduplicate, store, and bring the VINs' status and ETA up to date,
all in the caller's transaction. Bad events are kept for review with their reason; good
events in the same batch still commit. Re-sending events (same id, or same content) is a
no-op. Also the readers of raw events: records (the API), CSV and JSON lines files."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from carexport.db.bulk import insert_frame
from carexport.errors import Problem
from carexport.network import service as network_service
from carexport.tracking import repository, status_store
from carexport.tracking.eta import etas
from carexport.tracking.events import (
    EVENT_SCHEMA,
    RAW_COLUMNS,
    in_order,
    statuses,
    typed_events,
)
from carexport.tracking.milestones import unpack
from carexport.tracking.service import keep_fvl_facts, lock_tracking_writes, revise_etas
from carexport.tracking.tables import RejectedEventRow


@dataclass
class IngestReport:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    vins_updated: int = 0
    problems: list[Problem] = field(default_factory=list)
    # Seconds per step of the work (STEPS), summed over the batch's parts: where the time
    # goes, for the benchmark and for anyone asking why a batch took long.
    seconds: dict[str, float] = field(default_factory=dict)


# The steps of ingest, in order, as IngestReport.seconds names them.
STEPS = (
    "lock",  # the organisation's tracking writes taken (a wait for another writer), nodes
    "context",  # the batch's VINs: plans, statuses, orders (one keyed read)
    "check",  # typed and checked events, rejected ones kept
    "history",  # stored events of the VINs that have some, re-sent ones dropped
    "insert",  # the new events stored
    "status",  # statuses and ETAs computed from history and new events
    "store status",  # statuses written (and their kept counts)
    "export counts",  # first events and customs clearances counted
    "eta revisions",  # ETA changes kept
    "fvl facts",  # the kept FVL facts and sums
)


class _Clock:
    """Adds the time since the last lap to a step's seconds."""

    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds, self.last = seconds, time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - self.last
        self.last = now


def raw_frame(items: list[dict[str, object]]) -> pl.DataFrame:
    """Events as text cells with their position (1-based), from JSON-like records."""
    data = {
        c: [None if item.get(c) is None else str(item[c]) for item in items] for c in RAW_COLUMNS
    }
    return numbered(pl.DataFrame(data, schema=dict.fromkeys(RAW_COLUMNS, pl.String)))


def numbered(frame: pl.DataFrame, first_row: int = 1) -> pl.DataFrame:
    """Raw events (text cells) with their position, for error reports."""
    return (
        frame.select(RAW_COLUMNS)
        .with_row_index("_row", offset=first_row)
        .with_columns(pl.col("_row").cast(pl.Int64))
    )


def read_event_file(path: Path) -> pl.DataFrame:
    """Events from CSV (header row) or JSON lines, as text cells with their row numbers."""
    if path.suffix.lower() in (".jsonl", ".json"):
        text = path.read_text(encoding="utf-8")
        items = (
            [json.loads(line) for line in text.splitlines() if line.strip()]
            if path.suffix.lower() == ".jsonl"
            else json.loads(text)
        )
        return raw_frame(items)
    frame = pl.read_csv(path, infer_schema=False)
    missing = [c for c in RAW_COLUMNS if c not in frame.columns]
    frame = frame.with_columns([pl.lit(None, pl.String).alias(c) for c in missing])
    return numbered(frame, first_row=2)  # row 1 is the header


# Events applied at once by ingest; a bigger batch is split (by VIN) into parts this big.
PART_EVENTS = 1_000_000


def ingest(
    session: Session,
    org_id: str,
    raw: pl.DataFrame,
    *,
    source: str,
    now: dt.datetime | None = None,
    future_tolerance: dt.timedelta = dt.timedelta(hours=1),
) -> IngestReport:
    """Check, store and apply one batch of events (raw text cells with their _row).

    The work per batch is one read of what the batch's VINs are (vehicle_plan,
    vehicle_status, order_vehicle in one join), the stored events of only those VINs that
    already have some, the event insert sorted by VIN, and one status upsert: no step
    scans the organisation's whole event log or VIN list.
    """
    now = now or dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    lock_tracking_writes(session, org_id)
    nodes = network_service.node_ids(session, org_id)
    waited = {"lock": time.perf_counter() - started}
    raw = raw.with_columns(pl.col("source").fill_null(source))
    # A big batch is applied in parts that share no VIN, inside the same transaction: a
    # VIN's status needs all of its events together, and nothing else does, so memory
    # stays bounded by the part (measured: 11 GiB for 10M events in one piece).
    parts = -(-raw.height // PART_EVENTS)
    if parts <= 1:
        report = _ingest_part(session, org_id, raw, nodes, source, now, future_tolerance)
        report.seconds = {**waited, **report.seconds}
        return report
    total = IngestReport(received=raw.height, seconds=waited)
    # Parts are ranges of VINs, not hashes: the event table is keyed by VIN, so each part
    # then writes one stretch of it instead of pages all over it.
    vin = pl.col("vin").str.strip_chars().str.to_uppercase()
    part_of = (vin.rank("dense") - 1) * parts // vin.n_unique()
    for _, part in raw.with_columns(part_of.alias("_part")).group_by("_part"):
        report = _ingest_part(
            session, org_id, part.drop("_part"), nodes, source, now, future_tolerance
        )
        total.stored += report.stored
        total.duplicates += report.duplicates
        total.rejected += report.rejected
        total.vins_updated += report.vins_updated
        total.problems += report.problems
        for step, seconds in report.seconds.items():
            total.seconds[step] = total.seconds.get(step, 0.0) + seconds
    total.problems.sort(key=lambda p: p.row or 0)
    total.seconds = {step: total.seconds[step] for step in STEPS if step in total.seconds}
    return total


def _ingest_part(
    session: Session,
    org_id: str,
    raw: pl.DataFrame,
    nodes: set[str],
    source: str,
    now: dt.datetime,
    future_tolerance: dt.timedelta,
) -> IngestReport:
    report = IngestReport(received=raw.height)
    clock = _Clock(report.seconds)
    batch_vins = (
        raw.select(pl.col("vin").str.strip_chars().str.to_uppercase()).drop_nulls().unique()
    )
    context = repository.vin_context(session, org_id, batch_vins)
    clock.lap("context")
    good, problems = typed_events(
        raw,
        known_vins=context.filter("known")["vin"],
        known_nodes=nodes,
        now=now,
        future_tolerance=future_tolerance,
        file=source,
    )
    report.problems = problems
    report.rejected = len(problems)
    if problems:
        _keep_rejected(session, org_id, raw, problems, source=source, now=now)
    clock.lap("check")
    fresh = good.unique(["vin", "event_id"], keep="first", maintain_order=True).drop("_row")
    with_history = context.filter(pl.col("events") > 0).join(
        fresh.select("vin").unique(), on="vin", how="semi"
    )
    history = (
        repository.events_of(session, org_id, with_history["vin"].to_list())
        if with_history.height
        else pl.DataFrame(schema=EVENT_SCHEMA)
    )
    fresh = fresh.join(history.select("vin", "event_id"), on=["vin", "event_id"], how="anti")
    report.duplicates = good.height - fresh.height
    clock.lap("history")
    if fresh.is_empty():
        return report
    # Sorted by VIN first, as the event table is keyed: each page is written once.
    fresh = in_order(fresh.select(EVENT_SCHEMA.keys()))
    report.stored = repository.insert_events(session, org_id, fresh)
    clock.lap("insert")
    touched = context.join(fresh.select("vin").unique(), on="vin", how="semi")
    events = in_order(pl.concat([history, fresh.drop("_rank")])) if history.height else fresh
    current = statuses(events)
    with_plan = touched.filter(pl.col("milestones").is_not_null())
    expected = unpack(with_plan.select("vin", "milestones"))
    predicted = etas(
        events,
        current,
        expected,
        touched.select("vin", "plan_id", "due_date"),
        repository.transit_model(session, org_id),
    )
    current = current.join(predicted, on="vin", how="left")
    clock.lap("status")
    status_store.upsert_statuses(session, org_id, current)
    clock.lap("store status")
    first_events = touched.filter(
        (pl.col("events").fill_null(0) == 0) & pl.col("plan_id").is_not_null()
    )
    repository.clear_awaiting_first(session, org_id, first_events["vin"].to_list())
    cleared = touched.select("vin", "order_id", pl.col("previous_export_at").alias("before"))
    cleared = cleared.join(
        current.select("vin", pl.col("export_cleared_at").alias("after")), on="vin"
    )
    repository.add_export_counts(
        session, org_id, repository.export_count_changes(cleared, "customs")
    )
    clock.lap("export counts")
    revise_etas(session, org_id, current, touched, now=now, basis=pl.col("last_event_id"))
    clock.lap("eta revisions")
    keep_fvl_facts(session, org_id, events, expected, touched.select("vin", "plan_id"))
    clock.lap("fvl facts")
    report.vins_updated = current.height
    return report


def _keep_rejected(
    session: Session,
    org_id: str,
    raw: pl.DataFrame,
    problems: list[Problem],
    *,
    source: str,
    now: dt.datetime,
) -> None:
    """Rejected events go to rejected_event with their reason and what was sent."""
    by_row = {
        r["_row"]: r
        for r in raw.filter(pl.col("_row").is_in([p.row for p in problems])).iter_rows(named=True)
    }
    insert_frame(
        session,
        RejectedEventRow.__tablename__,
        pl.DataFrame(
            [
                {
                    "org_id": org_id,
                    "id": str(uuid.uuid4()),
                    "received_at": now,
                    "source": source,
                    "row": p.row,
                    "field": p.field,
                    "reason": p.message,
                    "payload": json.dumps({k: v for k, v in by_row[p.row].items() if k != "_row"}),
                }
                for p in problems
            ]
        ).with_columns(pl.col("received_at").dt.replace_time_zone(None)),
    )
