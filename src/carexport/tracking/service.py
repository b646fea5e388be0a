"""Event ingest: check, deduplicate, store, and bring the VINs' status up to date, all in
the caller's transaction. Bad events are kept for review with their reason; good events
in the same batch still commit. Re-sending events (same id, or same content) is a no-op."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from carexport.db.bulk import insert_frame
from carexport.errors import CarexportError, Problem
from carexport.network.tables import NodeRow
from carexport.tracking import repository
from carexport.tracking.eta import etas
from carexport.tracking.events import statuses, typed_events
from carexport.tracking.exceptions import find_exceptions
from carexport.tracking.tables import RejectedEventRow

RAW_COLUMNS = (
    "event_id",
    "vin",
    "code",
    "node",
    "lane_id",
    "event_time",
    "reported_time",
    "source",
)


@dataclass
class IngestReport:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    vins_updated: int = 0
    problems: list[Problem] = field(default_factory=list)


def raw_frame(items: list[dict[str, object]]) -> pl.DataFrame:
    """Events as text cells with their position (1-based), from JSON-like records."""
    data = {
        c: [None if item.get(c) is None else str(item[c]) for item in items] for c in RAW_COLUMNS
    }
    return (
        pl.DataFrame(data, schema=dict.fromkeys(RAW_COLUMNS, pl.String))
        .with_row_index("_row", offset=1)
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
    return (
        frame.select(RAW_COLUMNS)
        .with_row_index("_row", offset=2)
        .with_columns(pl.col("_row").cast(pl.Int64))
    )


def ingest(
    session: Session,
    org_id: str,
    raw: pl.DataFrame,
    *,
    source: str,
    now: dt.datetime | None = None,
    future_tolerance: dt.timedelta = dt.timedelta(hours=1),
) -> IngestReport:
    now = now or dt.datetime.now(dt.UTC)
    report = IngestReport(received=raw.height)
    nodes = {r[0] for r in session.execute(select(NodeRow.id).where(NodeRow.org_id == org_id))}
    raw = raw.with_columns(pl.col("source").fill_null(source))
    good, problems = typed_events(
        raw,
        known_vins=repository.known_vins(session, org_id),
        known_nodes=nodes,
        now=now,
        future_tolerance=future_tolerance,
        file=source,
    )
    report.problems = problems
    if problems:
        by_row = {r["_row"]: r for r in raw.iter_rows(named=True)}
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
                        "payload": json.dumps(
                            {k: v for k, v in by_row[p.row].items() if k != "_row"}
                        ),
                    }
                    for p in problems
                ]
            ).with_columns(pl.col("received_at").dt.replace_time_zone(None)),
        )
        report.rejected = len(problems)
    fresh = good.unique("event_id", keep="first", maintain_order=True)
    stored = repository.stored_event_ids(session, org_id, fresh["event_id"].to_list())
    fresh = fresh.filter(~pl.col("event_id").is_in(list(stored)))
    report.duplicates = good.height - fresh.height
    if fresh.is_empty():
        return report
    report.stored = repository.insert_events(session, org_id, fresh.drop("_row"))
    vins = fresh["vin"].unique().to_list()
    history = repository.events_of(session, org_id, vins)
    current = statuses(history)
    predicted = etas(
        history,
        current,
        repository.latest_expected(session, org_id, vins),
        repository.due_dates(session, org_id, vins),
    )
    current = current.join(predicted, on="vin", how="left")
    previous = repository.current_etas(session, org_id, vins)
    repository.replace_statuses(session, org_id, current)
    # A revision only when the ETA changed: replays and late duplicates add none.
    revisions = (
        current.join(previous, on="vin", how="left")
        .filter(
            pl.col("eta").is_not_null()
            & (pl.col("previous_eta").is_null() | (pl.col("previous_eta") != pl.col("eta")))
        )
        .select(
            "vin",
            pl.lit(now).dt.replace_time_zone("UTC").alias("revised_at"),
            pl.col("last_event_id").alias("basis_event_id"),
            "eta",
            "delay_hours",
        )
    )
    repository.insert_eta_revisions(session, org_id, revisions)
    report.vins_updated = current.height
    return report


def exceptions(
    session: Session,
    org_id: str,
    *,
    now: dt.datetime | None = None,
    kind: str | None = None,
    vin: str | None = None,
    dwell_days: float = 7.0,
    overdue_hours: float = 24.0,
) -> pl.DataFrame:
    """Current exceptions of the organisation's vehicles (see tracking.exceptions)."""
    now = now or dt.datetime.now(dt.UTC)
    status = repository.all_statuses(session, org_id, vin.upper() if vin else None)
    vins = [vin.upper()] if vin else repository.planned_vins(session, org_id)
    expected = repository.latest_expected_with_seq(session, org_id, vins)
    found = find_exceptions(
        status,
        expected,
        repository.reported_milestones(session, org_id),
        now=now,
        dwell_days=dwell_days,
        overdue_hours=overdue_hours,
    )
    return found.filter(pl.col("kind") == kind) if kind else found


def simulated_events(
    session: Session, org_id: str, plan_id: str, *, until: dt.datetime, seed: int = 0
) -> list[dict[str, object]]:
    """Simulated event records for a stored plan, up to `until` (see tracking.simulate)."""
    from carexport.network import repository as network_repository
    from carexport.tracking.simulate import simulate

    expected = repository.expected_of_plan(session, org_id, plan_id)
    if expected.is_empty():
        raise CarexportError(
            f"plan {plan_id!r} has no expected milestones",
            hint="store a plan first: carexport plan --from-db ...",
        )
    network = network_repository.load_snapshot(session, org_id)
    lanes = pl.DataFrame(
        [
            (
                lane.id,
                lane.transit_days,
                lane.transit_days_min,
                lane.transit_days_max,
                lane.mode.value,
            )
            for lane in network.lanes.values()
        ],
        orient="row",
        schema={
            "lane_id": pl.String,
            "transit_days": pl.Int64,
            "transit_days_min": pl.Int64,
            "transit_days_max": pl.Int64,
            "mode": pl.String,
        },
    )
    kinds = {n.id: n.kind.value for n in network.nodes.values()}
    return simulate(expected, lanes, kinds, until=until, seed=seed)
