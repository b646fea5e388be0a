"""Replaying every batch, in any order and any number of times, leaves status, ETAs,
exceptions and KPIs identical."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest
from sqlalchemy import Engine, delete

from carexport.db.session import unit_of_work
from carexport.kpi.service import fvl
from carexport.planning.problem import PlanParameters
from carexport.plans.service import plan_and_store
from carexport.tracking import repository
from carexport.tracking.ingest import ingest, raw_frame
from carexport.tracking.service import exceptions, simulated_events
from carexport.tracking.tables import EtaRevisionRow, EventRow, VehicleStatusRow
from tests.tracking.world import ORG

UNTIL = dt.datetime(2027, 1, 12, tzinfo=dt.UTC)


def _outcome(engine: Engine) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    with unit_of_work(engine) as session:
        return (
            repository.all_statuses(session, ORG).sort("vin"),
            exceptions(session, ORG, now=UNTIL).sort("kind", "vin"),
            fvl(session, ORG, as_of=UNTIL),
        )


def _reset(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        for table in (EventRow, VehicleStatusRow, EtaRevisionRow):
            session.execute(delete(table))


def test_replayed_and_shuffled_batches_give_identical_results(
    loaded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with unit_of_work(loaded) as session:
        plan_id, _ = plan_and_store(
            session, ORG, PlanParameters(start=dt.date(2027, 1, 4), horizon_days=60)
        )
        records = simulated_events(session, ORG, plan_id, until=UNTIL, seed=3).to_dicts()
    assert len(records) > 5

    def send(batches: list[list[dict[str, object]]]) -> None:
        for batch in batches:
            with unit_of_work(loaded) as session:
                ingest(session, ORG, raw_frame(batch), source="test", now=UNTIL)

    ordered = sorted(records, key=lambda r: (str(r["vin"]), str(r["event_time"])))
    send([ordered])
    reference = _outcome(loaded)
    assert reference[0].height == 2  # both cars have a status

    for seed in (1, 2):
        _reset(loaded)
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        batches = [shuffled[i : i + 3] for i in range(0, len(shuffled), 3)]
        send(batches * 3)  # every batch three times
        for got, want in zip(_outcome(loaded), reference, strict=True):
            assert got.equals(want)

    # One big batch is applied in parts by VIN (here parts of at most 2 events' worth):
    # the same outcome as in one piece.
    _reset(loaded)
    monkeypatch.setattr("carexport.tracking.ingest.PART_EVENTS", 2)
    shuffled = records[:]
    random.Random(3).shuffle(shuffled)
    send([shuffled])
    for got, want in zip(_outcome(loaded), reference, strict=True):
        assert got.equals(want)
