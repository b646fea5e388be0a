"""What the control tower's views read from data kept per VIN equals the computation over
everything: the exceptions the database picks (repository.exception_candidates, over the
kept next milestones) are those find_exceptions finds over every status and plan, and
the FVL KPIs from the kept facts (vehicle_fvl) are those kpi.fvl.fvl_kpis computes from
every event. Checked after a plan, day-by-day ingests, learning and a re-plan, at several
judging times, on both stores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, delete

from carexport.db.session import unit_of_work
from carexport.kpi.fvl import GROUPS, SUM_COLUMNS, sums_from_events
from carexport.kpi.service import fvl_views
from carexport.network import service as network_service
from carexport.network.dataset import builtin_folder
from carexport.network.service import load_dataset, snapshot_of
from carexport.orders.generate import generate, write_order_book
from carexport.orders.service import ImportOptions, import_orders, read_files, vin_dimensions
from carexport.planning.problem import PlanParameters
from carexport.plans.service import plan_and_store
from carexport.tracking import repository
from carexport.tracking.exceptions import find_exceptions
from carexport.tracking.ingest import ingest, numbered
from carexport.tracking.milestones import unpack
from carexport.tracking.service import (
    exceptions,
    fvl_sums,
    learn_transit,
    rebuild_fvl_facts,
    simulated_events,
    tracked_history,
)
from carexport.tracking.status_store import status_counts
from carexport.tracking.tables import VehicleFvlRow

ORG = "cand"
START = dt.date(2027, 1, 4)


def _everything(engine: Engine, now: dt.datetime) -> pl.DataFrame:
    """The reference: find_exceptions over all statuses and all current plans."""
    with unit_of_work(engine) as session:
        status = repository.all_statuses(session, ORG)
        plans = repository.plans_of(session, ORG).select("vin", "milestones")
    return find_exceptions(status, unpack(plans), now=now)


def _check(engine: Engine, now: dt.datetime) -> int:
    with unit_of_work(engine) as session:
        found = exceptions(session, ORG, now=now)
    expected = _everything(engine, now)
    assert found.sort("kind", "vin").equals(expected.sort("kind", "vin"))
    _check_fvl(engine, now)
    _check_status_counts(engine)
    return found.height


def _check_status_counts(engine: Engine) -> None:
    """The counts kept per status equal those of every status, counted here."""
    with unit_of_work(engine) as session:
        rows, latest, _ = status_counts(session, ORG)
        every = repository.all_statuses(session, ORG)
    reference = (
        every.group_by("status")
        .agg(
            pl.len().alias("vehicles"),
            pl.col("events").sum(),
            (pl.col("days_late") > 0).sum().alias("late"),
            pl.col("on_hold").sum(),
            pl.col("damaged").sum(),
            pl.col("delay_hours").fill_null(0.0).sum(),
        )
        .sort("status")
    )
    assert len(rows) == reference.height
    for kept, counted in zip(rows, reference.rows(), strict=True):
        assert kept[:6] == counted[:6]  # status, vehicles, events, late, on hold, damaged
        assert kept[6] == pytest.approx(counted[6], rel=1e-9, abs=1e-9)  # delay hours
    if every.height:
        assert latest is not None
        assert _aware(latest) == every["last_event_time"].max()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _check_fvl(engine: Engine, now: dt.datetime) -> None:
    """Every grouping's sums from the kept facts equal those from every event: counts
    exactly, the sums of durations to rounding (they are added in another order)."""
    with unit_of_work(engine) as session:
        kept = fvl_sums(session, ORG, GROUPS, now)
        views = fvl_views(session, ORG, GROUPS, as_of=now)
        events, expected = tracked_history(session, ORG)
        vins = sorted(set(events["vin"]) | set(expected["vin"]))
        dims = vin_dimensions(session, ORG, vins)
        kinds = network_service.node_kinds(session, ORG)
        modes = network_service.lane_modes(session, ORG)
    for by in GROUPS:
        reference = sums_from_events(events, expected, dims, kinds, modes, as_of=now, by=by)
        key = "group" if by == "none" else by
        ours = kept[by].sort(key).select(reference.columns)
        reference = reference.sort(key)
        assert ours[key].to_list() == reference[key].to_list(), by
        for column in SUM_COLUMNS:
            for a, b in zip(ours[column], reference[column], strict=True):
                assert a == pytest.approx(b, rel=1e-9), (by, column, a, b)
        # finish is the same for both; the KPIs match wherever rounding does not flip.
        assert views[by].height == reference.height


def test_candidates_give_every_exception(engine: Engine, tmp_path: Path) -> None:
    with unit_of_work(engine) as session:
        load_dataset(session, ORG, builtin_folder())
        snapshot = snapshot_of(session, ORG)
    book = generate(snapshot, months=1, start=START, seed=5, vehicles_per_year=3_000.0)
    files = write_order_book(book, tmp_path / "orders.csv", about="exception candidates")
    orders, vehicles = read_files(files[0], files[1], ImportOptions())
    with unit_of_work(engine) as session:
        report = import_orders(
            session, ORG, snapshot, orders, vehicles, ImportOptions(), source=files[0].name
        )
        assert report.committed, report.errors[:3]
    with unit_of_work(engine) as session:
        plan_id, _ = plan_and_store(session, ORG, PlanParameters(start=START, horizon_days=90))
    # Before any event: every VIN is awaiting its first milestone.
    untracked = _check(engine, dt.datetime(2027, 2, 1, tzinfo=dt.UTC))
    # Midnights on which milestones are planned (a daily plan): equal times count as due.
    for day in range(8, 20, 3):
        _check(engine, dt.datetime.combine(START + dt.timedelta(days=day), dt.time(), dt.UTC))
    assert untracked > 0
    until = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    with unit_of_work(engine) as session:
        records = simulated_events(session, ORG, plan_id, until=until, seed=5)
    times = pl.col("event_time").str.to_datetime(time_zone="UTC")
    middle = dt.datetime(2027, 2, 1, tzinfo=dt.UTC)
    for part in (records.filter(times < middle), records.filter(times >= middle)):
        with unit_of_work(engine) as session:
            ingest(session, ORG, numbered(part), source="simulator", now=until)
        for day in (middle, until, until + dt.timedelta(days=20)):
            _check(engine, day)
    with unit_of_work(engine) as session:
        learn_transit(session, ORG, now=until)
    kinds = set()
    for day in (middle, until, until + dt.timedelta(days=20)):
        _check(engine, day)
        with unit_of_work(engine) as session:
            kinds |= set(exceptions(session, ORG, now=day)["kind"])
    assert {"overdue", "late", "dwell"} <= kinds  # the comparison saw the kept columns work
    # A re-plan (a new plan version for every VIN) moves the next milestones with it.
    with unit_of_work(engine) as session:
        plan_and_store(
            session, ORG, PlanParameters(start=START + dt.timedelta(days=7), horizon_days=90)
        )
    for day in (middle, until, until + dt.timedelta(days=20)):
        _check(engine, day)
    # Facts thrown away and rebuilt from the stored events and plans, a few VINs at a
    # time (carexport kpi recount, and migration 0007 on an older store) are the same.
    with unit_of_work(engine) as session:
        session.execute(delete(VehicleFvlRow))
    with unit_of_work(engine) as session:
        assert rebuild_fvl_facts(session, ORG, chunk=37) > 37
    for day in (middle, until):
        _check(engine, day)
