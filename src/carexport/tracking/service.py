"""Tracking services beside ingest (tracking.ingest): ETA revisions, learning durations
and re-projecting ETAs with them, exceptions, and simulated event streams."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Subquery
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from carexport.errors import CarexportError
from carexport.network import service as network_service
from carexport.orders import service as orders_service
from carexport.tracking import fvl_store, repository, status_store
from carexport.tracking.eta import anchors, finish, project
from carexport.tracking.events import EVENT_SCHEMA
from carexport.tracking.exceptions import find_exceptions
from carexport.tracking.facts import fvl_rows
from carexport.tracking.learn import quantiles
from carexport.tracking.milestones import unpack
from carexport.tracking.tables import VehicleStatusRow


def lock_tracking_writes(session: Session, org_id: str) -> None:
    """Wait for, then hold until the transaction ends, the organisation's tracking write
    lock: what ingest, storing a plan and re-projecting ETAs take before they write, so that
    two of them at once cannot deadlock on PostgreSQL (see the repository's)."""
    repository.lock_tracking_writes(session, org_id)


def store_plan_milestones(
    session: Session, org_id: str, plan_id: str, milestones: pl.DataFrame, plans: pl.DataFrame
) -> None:
    """Keep a new plan's expected milestones (tracking.milestones.expected_milestones) and
    make it the current plan of its VINs (plans: vin, plan_id, due_date, milestones packed)."""
    repository.insert_expected_milestones(session, org_id, plan_id, milestones)
    tracked = repository.store_vehicle_plans(session, org_id, plans)
    events = (
        repository.events_of(session, org_id, tracked)
        if tracked
        else pl.DataFrame(schema=EVENT_SCHEMA)
    )
    keep_fvl_facts(session, org_id, events, milestones, plans.select("vin", "plan_id"))


def keep_fvl_facts(
    session: Session,
    org_id: str,
    events: pl.DataFrame,
    expected: pl.DataFrame,
    plan_of: pl.DataFrame,
) -> None:
    """Write the FVL facts (tracking.facts) of the VINs of plan_of (vin, plan_id: null
    without a plan) from all of their events and their plan's milestones (expected)."""
    if plan_of.is_empty():
        return
    dims = orders_service.vin_dimensions(session, org_id, plan_of["vin"].to_list())
    rows = fvl_rows(
        events,
        expected,
        dims,
        plan_of,
        network_service.node_kinds(session, org_id),
        network_service.lane_modes(session, org_id),
    )
    fvl_store.upsert_fvl(session, org_id, rows)


def rebuild_fvl_facts(session: Session, org_id: str, *, chunk: int = 100_000) -> int:
    """Write the FVL facts of every planned or tracked VIN again from the stored events
    and plans, a range of VINs at a time (memory bounded by the range); returns how
    many VINs. For a store migrated from before the facts were kept, or after orders
    changed brand or market."""
    lock_tracking_writes(session, org_id)
    vins = repository.planned_or_tracked_vins(session, org_id)
    fvl_store.forget_fvl(session, org_id)  # the facts of VINs no longer planned go too
    for start in range(0, len(vins), chunk):
        part = vins[start : start + chunk]
        plans = repository.plans_of(session, org_id, part)
        keep_fvl_facts(
            session,
            org_id,
            repository.events_of(session, org_id, part),
            unpack(plans.select("vin", "milestones")),
            pl.DataFrame({"vin": part}).join(plans.select("vin", "plan_id"), on="vin", how="left"),
        )
    return len(vins)


def fvl_sums(
    session: Session, org_id: str, groups: Sequence[str], as_of: dt.datetime
) -> dict[str, pl.DataFrame]:
    """The sums of the FVL KPIs (kpi.fvl.SUM_COLUMNS) per group of each kpi.fvl grouping
    (column `by`, or `group` for none), from the kept facts and their kept sums."""
    return fvl_store.fvl_sums(session, org_id, groups, as_of)


def current_statuses(session: Session, org_id: str) -> pl.DataFrame:
    """Every tracked VIN's current status (columns: repository.STATUS_SCHEMA)."""
    return repository.all_statuses(session, org_id)


def revise_etas(
    session: Session,
    org_id: str,
    current: pl.DataFrame,
    previous: pl.DataFrame,
    *,
    now: dt.datetime,
    basis: pl.Expr,
) -> None:
    """Append an ETA revision for every VIN whose ETA (or p90) changed: replays, late
    duplicates and unchanged re-projections add none."""
    changed = (
        current.join(
            previous.select("vin", "previous_eta", "previous_eta_p90"), on="vin", how="left"
        )
        .filter(
            pl.col("eta").is_not_null()
            & (
                pl.col("previous_eta").ne_missing(pl.col("eta"))
                | pl.col("previous_eta_p90").ne_missing(pl.col("eta_p90"))
            )
        )
        .select(
            "vin",
            pl.lit(now).dt.replace_time_zone("UTC").alias("revised_at"),
            basis.alias("basis"),
            "eta",
            "eta_p90",
            "delay_hours",
        )
    )
    repository.insert_eta_revisions(session, org_id, changed)


def learn_transit(
    session: Session, org_id: str, *, now: dt.datetime | None = None
) -> tuple[pl.DataFrame, int]:
    """Learn lane transits and destination deliveries again from everything completed so
    far, store the model, and re-project the ETA of every tracked vehicle not yet
    delivered with it. Returns what was learned (kind, key, observations, median_hours,
    p90_hours) and how many ETAs changed."""
    now = now or dt.datetime.now(dt.UTC)
    lock_tracking_writes(session, org_id)
    stats = quantiles(repository.duration_histogram(session, org_id))
    repository.store_transit_model(session, org_id, stats, now)
    changed = refresh_etas(session, org_id, now=now, basis=f"transit model {now:%Y-%m-%dT%H:%M}Z")
    return stats, changed


def refresh_etas(
    session: Session,
    org_id: str,
    *,
    now: dt.datetime,
    basis: str,
    vins: list[str] | None = None,
    replanned: bool = False,
) -> int:
    """Re-project the ETAs of tracked vehicles (all, or these VINs) with the current plan
    and transit model: after re-learning (from each VIN's stored anchor) or after a
    re-plan (replanned=True: anchors found again in the events, as the new plan's
    milestones differ). Writes the statuses and revisions that changed; returns how many."""
    status = repository.all_statuses(session, org_id, vins=vins).rename(
        {"eta": "previous_eta", "eta_p90": "previous_eta_p90"}
    )
    status = status.filter(pl.col("delivered_at").is_null())
    plans = repository.plans_of(session, org_id, status["vin"].to_list())
    if plans.is_empty():
        return 0
    unpacked = unpack(plans.select("vin", "milestones"))
    anchor = (
        anchors(repository.events_of(session, org_id, plans["vin"].to_list()), unpacked)
        if replanned
        else status.filter(pl.col("matched_seq").is_not_null()).select(
            "vin", "matched_seq", "matched_at"
        )
    )
    projected = project(unpacked, anchor, repository.transit_model(session, org_id))
    fresh = finish(status.select("vin", "delivered_at"), anchor, projected, plans, unpacked)
    keep = [c for c in status.columns if c not in fresh.columns and not c.startswith("previous")]
    updated = status.select("vin", *keep).join(fresh, on="vin")
    changed = updated.join(
        status.select("vin", "previous_eta", "previous_eta_p90", pl.col("plan_id").alias("_old")),
        on="vin",
    ).filter(
        pl.col("previous_eta").ne_missing(pl.col("eta"))
        | pl.col("previous_eta_p90").ne_missing(pl.col("eta_p90"))
        | pl.col("_old").ne_missing(pl.col("plan_id"))
    )
    if changed.is_empty():
        return 0
    status_store.upsert_statuses(session, org_id, changed.select(repository.STATUS_SCHEMA.keys()))
    revise_etas(
        session,
        org_id,
        changed.select(repository.STATUS_SCHEMA.keys()),
        status.select("vin", "previous_eta", "previous_eta_p90"),
        now=now,
        basis=pl.lit(basis),
    )
    return changed.height


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
    status, expected = _exception_inputs(
        session,
        org_id,
        [vin.upper()] if vin else None,
        now=now,
        dwell_days=dwell_days,
        overdue_hours=overdue_hours,
    )
    found = find_exceptions(
        status,
        expected,
        now=now,
        dwell_days=dwell_days,
        overdue_hours=overdue_hours,
    )
    return found.filter(pl.col("kind") == kind) if kind else found


def simulated_events(
    session: Session, org_id: str, plan_id: str, *, until: dt.datetime, seed: int = 0
) -> pl.DataFrame:
    """Simulated raw events for a stored plan, up to `until` (see tracking.simulate)."""
    from carexport.network import service as network_service
    from carexport.tracking.simulate import network_inputs, simulate

    expected = repository.expected_of_plan(session, org_id, plan_id)
    if expected.is_empty():
        raise CarexportError(
            f"plan {plan_id!r} has no expected milestones",
            hint="store a plan first: carexport plan --from-db ...",
        )
    lanes, kinds = network_inputs(network_service.snapshot_of(session, org_id))
    return simulate(expected, lanes, kinds, until=until, seed=seed)


EXPORT_BASES = ("customs", "planned")


def tracked_history(session: Session, org_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every event of the organisation (tracking.events.EVENT_SCHEMA) and every VIN's
    expected milestones of its current plan (vin, seq, code, node, lane_id, planned_at):
    what the finished-vehicle KPIs are computed from."""
    events = repository.all_events(session, org_id)
    plans = repository.plans_of(session, org_id)
    return events, unpack(plans.select("vin", "milestones"))


def export_counts(org_id: str, basis: str) -> Subquery:
    """The subquery of vehicles exported per month and order (month, order_id, vehicles)
    on a basis: customs (EXPORT_CLEARED reported) or planned (EXPORT_CLEARED in the
    VIN's current stored plan)."""
    if basis not in EXPORT_BASES:
        raise CarexportError(
            f"unknown export basis {basis!r}", hint="use customs (cleared) or planned (in a plan)"
        )
    return repository.export_counts_query(org_id, basis)


def recount_exports(session: Session, org_id: str, order_ids: list[str] | None = None) -> None:
    """Count exports again for some orders (or all), e.g. after an import moved VINs."""
    repository.recount_exports(session, org_id, order_ids)


def _exception_inputs(
    session: Session,
    org_id: str,
    vins: list[str] | None,
    *,
    now: dt.datetime,
    dwell_days: float,
    overdue_hours: float,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The statuses and the expected milestones find_exceptions reads: every one of these
    VINs, or, for the whole organisation, only the candidates the database picks by the
    same rules (repository.exception_candidates); both give the same exceptions."""
    if vins is not None:
        status = repository.all_statuses(session, org_id, vins)
        expected = unpack(repository.plans_of(session, org_id, vins).select("vin", "milestones"))
        return status, expected
    return repository.exception_candidates(
        session,
        org_id,
        dwell_before=now - dt.timedelta(days=dwell_days),
        overdue_before=now - dt.timedelta(hours=overdue_hours),
    )


def exceptions_in_context(
    session: Session,
    org_id: str,
    *,
    now: dt.datetime | None = None,
    dwell_days: float = 7.0,
    overdue_hours: float = 24.0,
) -> pl.DataFrame:
    """Every current exception (as exceptions gives them) with what a control tower
    filters them by (exception_context). Columns: vin, kind, detail, since, brand, market,
    lanes."""
    found = exceptions(session, org_id, now=now, dwell_days=dwell_days, overdue_hours=overdue_hours)
    return in_context(session, org_id, found)


def in_context(session: Session, org_id: str, found: pl.DataFrame) -> pl.DataFrame:
    """found (exceptions, any columns with vin) with each VIN's brand and market (its
    order's destination country; null for a VIN of no order) and the lanes of its current
    plan in travel order (a list, empty without a plan). Reads only these VINs: a page of
    exceptions needs the context of its rows, not of every exception."""
    vins = found["vin"].unique().sort().to_list()
    planned = unpack(repository.plans_of(session, org_id, vins).select("vin", "milestones"))
    lanes = (
        planned.filter(pl.col("lane_id").is_not_null())
        .sort("vin", "seq")
        .group_by("vin", maintain_order=True)
        .agg(pl.col("lane_id").unique(maintain_order=True).alias("lanes"))
    )
    dims = orders_service.vin_dimensions(session, org_id, vins)
    return (
        found.join(
            dims.select("vin", "brand", "market"), on="vin", how="left", maintain_order="left"
        )
        .join(lanes, on="vin", how="left", maintain_order="left")
        .with_columns(pl.col("lanes").fill_null(pl.lit([], pl.List(pl.String))))
    )


@dataclass(frozen=True)
class StatusCount:
    """The tracked vehicles of one status."""

    status: str
    vehicles: int
    events: int
    late: int
    on_hold: int
    damaged: int


@dataclass(frozen=True)
class TrackingState:
    """Vehicles by status, the latest event's time, and a fingerprint that changes
    whenever statuses are written (events stored, ETAs re-projected at ingest or after
    learning, vehicles re-planned) or the transit model learned: what a cache of views
    derived from the tracking data is keyed on."""

    counts: list[StatusCount]
    latest_event_at: dt.datetime | None
    fingerprint: tuple[object, ...]

    @property
    def vehicles(self) -> int:
        return sum(c.vehicles for c in self.counts)


def tracking_state(session: Session, org_id: str) -> TrackingState:
    """The organisation's vehicles by status and the fingerprint of its tracking data
    (from the counts kept per status: a handful of rows)."""
    rows, latest, learned = status_store.status_counts(session, org_id)
    counts = [
        StatusCount(
            status=row[0],
            vehicles=int(row[1]),
            events=int(row[2] or 0),
            late=int(row[3] or 0),
            on_hold=int(row[4] or 0),
            damaged=int(row[5] or 0),
        )
        for row in rows
    ]
    fingerprint = (*(tuple(str(v) for v in row) for row in rows), str(latest), str(learned))
    return TrackingState(counts, _utc(latest), fingerprint)


def find_vehicles(
    session: Session, org_id: str, prefix: str, *, limit: int = 20
) -> tuple[int, list[VehicleStatusRow]]:
    """Tracked vehicles whose VIN starts with prefix (any case): how many, and the first
    `limit` by VIN."""
    wanted = prefix.strip().upper()
    if not wanted:
        raise CarexportError("no VIN to look for", hint="give a VIN or its first characters")
    return repository.statuses_with_prefix(session, org_id, wanted, limit)


@dataclass(frozen=True)
class Milestone:
    """An expected milestone of a VIN's current plan, and when it was first reported."""

    code: str
    node: str | None
    lane_id: str | None
    planned_at: dt.datetime | None
    actual_at: dt.datetime | None

    @property
    def delay_hours(self) -> float | None:
        """Reported minus planned, in hours (negative when early)."""
        if self.planned_at is None or self.actual_at is None:
            return None
        return (self.actual_at - self.planned_at).total_seconds() / 3600.0


@dataclass(frozen=True)
class VehicleItinerary:
    """One VIN: its status (the repository.STATUS_SCHEMA columns as a dict), its plan's
    milestones planned against reported, the next one expected (None once delivered or
    when all are reported) and its events as reported (code, node, time; oldest first).
    Times are aware UTC, except the status dict's, as the database gives them."""

    status: dict[str, Any]
    itinerary: list[Milestone]
    next_milestone: Milestone | None
    events: list[tuple[str, str | None, dt.datetime]]


def vehicle_itinerary(connection: Connection, org_id: str, vin: str) -> VehicleItinerary | None:
    """A VIN's status, itinerary planned against actual and next milestone, in one
    statement (the API's hottest read); None when the VIN has no status yet."""
    found = repository.vehicle_detail(connection, org_id, vin)
    if found is None:
        return None
    status, packed, rows = found
    events = [(code, node, _aware(at)) for code, node, at in rows]
    reached: dict[tuple[str, str | None], dt.datetime] = {}
    for code, node, at in events:
        reached.setdefault((code, node), at)  # when the milestone was first reached
    itinerary = [
        Milestone(code, node, lane_id, planned, reached.get((code, node)))
        for code, node, lane_id, planned in planned_milestones(packed)
    ]
    pending = [m for m in itinerary if m.actual_at is None]
    upcoming = pending[0] if pending and status["delivered_at"] is None else None
    return VehicleItinerary(status, itinerary, upcoming, events)


def planned_milestones(packed: str | None) -> list[tuple[str, str, str | None, dt.datetime]]:
    """A packed plan (tracking.milestones.pack) as (code, node, lane id, planned time) in
    order; for one VIN, plain tuples cost less than unpack's frame."""
    result = []
    for part in packed.split(";") if packed else []:
        code, node, lane_id, epoch = part.split("|")
        planned = dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        result.append((code, node, lane_id or None, planned))
    return result


def _aware(value: dt.datetime) -> dt.datetime:
    """UTC with its zone: SQLite gives naive UTC times, PostgreSQL aware ones."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else _aware(value)


def learned_lane_transits(session: Session, org_id: str) -> dict[str, tuple[float, float]]:
    """Each lane's learned transit, departed to arrived, as (median_hours, p90_hours): what
    the ETA uses, for the lanes with enough completed legs (see tracking.learn)."""
    model = repository.transit_model(session, org_id).filter(pl.col("kind") == "lane")
    return {
        row["key"]: (float(row["median_hours"]), float(row["p90_hours"]))
        for row in model.iter_rows(named=True)
    }
