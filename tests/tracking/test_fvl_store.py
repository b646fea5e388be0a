"""The kept FVL sums (vehicle_fvl_sum, vehicle_fvl_due) move with every write of the kept
facts and give the KPIs' sums at any judging time: checked against counts made by hand,
at and just before planned times, after VINs change group and plan, and against a recount
from the facts; both stores."""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Engine, delete, select

from carexport.db.bulk import read_frame
from carexport.db.session import unit_of_work
from carexport.tracking.facts import FVL_ROW_SCHEMA, fvl_contributions
from carexport.tracking.fvl_store import add_fvl_sums, fvl_sums, upsert_fvl
from carexport.tracking.tables import VehicleFvlDueRow, VehicleFvlRow, VehicleFvlSumRow

ORG = "sums"
UTC = dt.UTC


def _at(day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(2027, 2, day, hour, minute, tzinfo=UTC)


def _rows(*vehicles: dict[str, object]) -> pl.DataFrame:
    base = {c: None for c in FVL_ROW_SCHEMA} | {
        "tracked": True,
        "damaged": False,
        "reported": 0,
        "timely": 0,
        "seen_mask": 0,
        "expected_count": 0,
        "seen_count": 0,
    }  # (the counts and first / last planned times are not what the sums are made of)
    return pl.DataFrame([base | v for v in vehicles], schema=FVL_ROW_SCHEMA)


def _planned(*milestones: tuple[dt.datetime, bool]) -> str:
    """planned_seen as tracking.facts.seen_mask writes it."""
    return ",".join(f"{int(at.timestamp())}{'+' if seen else '-'}" for at, seen in milestones)


JAN31 = _at(1) - dt.timedelta(days=1)
# Milestones (planned, reported): A 4 (3 reported), B 2 (2), C 5 (1), D no plan.
# A is delivered on its due date, B before it, C after it.
VEHICLES = (
    dict(vin="A", exit_lane="L1", port_dwell_d=2.0,
         planned_seen=_planned((JAN31.replace(hour=20), True), (_at(1, 10), True),
                               (_at(1, 10), True), (_at(2), False)),
         delivered_day=dt.date(2027, 2, 3), due_date=dt.date(2027, 2, 3)),
    dict(vin="B", exit_lane="L1", port_dwell_d=4.0,
         planned_seen=_planned((_at(1), True), (_at(1), True)),
         delivered_day=dt.date(2027, 2, 1), due_date=dt.date(2027, 2, 3)),
    dict(vin="C", exit_lane="L2", damaged=True,
         planned_seen=_planned((JAN31.replace(hour=23), True), (JAN31.replace(hour=23), False),
                               *((_at(3), False),) * 3),
         delivered_day=dt.date(2027, 2, 5), due_date=dt.date(2027, 2, 3)),
    dict(vin="D", tracked=False),
)  # fmt: skip


def _sums(engine: Engine, at: dt.datetime) -> dict[str, pl.DataFrame]:
    with unit_of_work(engine) as session:
        return fvl_sums(session, ORG, ("none", "lane"), at)


def _kept(engine: Engine) -> list[tuple[object, ...]]:
    """Every kept row of both sum tables."""
    kept = []
    with unit_of_work(engine) as session:
        for table in (VehicleFvlSumRow, VehicleFvlDueRow):
            columns = [c.name for c in table.__table__.columns]
            rows = session.execute(select(table).where(table.org_id == ORG)).scalars()
            kept += sorted((table.__tablename__, *(getattr(r, c) for c in columns)) for r in rows)
    return kept


def test_sums_at_the_planned_times_and_after_vins_move(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        upsert_fvl(session, ORG, _rows(*VEHICLES))
    # (judging time, milestones due, of them reported), counted by hand from VEHICLES.
    for at, due, seen in (
        (JAN31.replace(hour=19, minute=59), 0, 0),
        (JAN31.replace(hour=20), 1, 1),  # A's first
        (JAN31.replace(hour=23), 3, 2),  # C's first two
        (_at(1), 5, 4),  # B's two, at midnight
        (_at(1, 9, 59), 5, 4),
        (_at(1, 10), 7, 6),  # A's second and third
        (_at(2), 8, 6),  # A's last
        (_at(3), 11, 6),  # C's last three
    ):
        whole = _sums(engine, at)["none"]
        assert whole.select("group", "tracked", "due", "seen").rows() == [("all", 3, due, seen)], at
    lanes = {r["lane"]: r for r in _sums(engine, _at(1))["lane"].iter_rows(named=True)}
    assert set(lanes) == {"L1", "L2", None}  # D has no exit lane: a group of its own
    assert (lanes["L1"]["due"], lanes["L1"]["seen"]) == (3, 3)  # A's first, B's two
    assert (lanes["L2"]["due"], lanes["L2"]["seen"]) == (2, 1)
    assert lanes["L1"]["port_dwell_d_sum"] == 6.0 and lanes["L1"]["port_dwell_d_n"] == 2
    assert (lanes["L1"]["on_time"], lanes["L1"]["delivered"]) == (2, 2)  # A on its due day
    assert (lanes["L2"]["on_time"], lanes["L2"]["delivered"], lanes["L2"]["damaged"]) == (0, 1, 1)
    assert lanes[None]["tracked"] == 0 and lanes[None]["due"] == 0

    # C moves to L1 with a new plan of two milestones; one of B's is no longer reported.
    moved_c = dict(VEHICLES[2]) | dict(
        exit_lane="L1", planned_seen=_planned((_at(3), True), (_at(4), False))
    )
    changed_b = dict(VEHICLES[1]) | dict(
        port_dwell_d=1.0, planned_seen=_planned((_at(1), True), (_at(1), False))
    )
    with unit_of_work(engine) as session:
        upsert_fvl(session, ORG, _rows(moved_c, changed_b))
    lanes = {r["lane"]: r for r in _sums(engine, _at(2))["lane"].iter_rows(named=True)}
    assert set(lanes) == {"L1", None}  # L2 has no VIN left: no group, no kept row
    assert lanes["L1"]["tracked"] == 3
    assert (lanes["L1"]["due"], lanes["L1"]["seen"]) == (4 + 2, 3 + 1)  # A and B, not C yet
    assert lanes["L1"]["port_dwell_d_sum"] == 3.0 and lanes["L1"]["port_dwell_d_n"] == 2
    assert lanes["L1"]["damaged"] == 1
    assert _sums(engine, _at(3))["lane"].filter(lane="L1")["due", "seen"].row(0) == (7, 5)
    assert _sums(engine, _at(4))["none"]["due"].to_list() == [8]

    # What the writes kept equals the sums made again from the facts in one go.
    incremental = _kept(engine)
    with unit_of_work(engine) as session:
        for table in (VehicleFvlSumRow, VehicleFvlDueRow):
            session.execute(delete(table).where(table.org_id == ORG))
        facts = read_frame(
            session,
            select(*(getattr(VehicleFvlRow, c) for c in FVL_ROW_SCHEMA)).where(
                VehicleFvlRow.org_id == ORG
            ),
            FVL_ROW_SCHEMA,
        )
        add_fvl_sums(session, ORG, *fvl_contributions(facts))
    assert _kept(engine) == incremental
