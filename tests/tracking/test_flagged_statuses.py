"""The statuses the exceptions read (repository.exception_candidates: the flagged ones,
and per dwell status those standing still) are exactly those find_exceptions finds an
exception in among every status, as statuses are written and rewritten; both stores."""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Engine

from carexport.db.session import unit_of_work
from carexport.tracking import repository
from carexport.tracking.exceptions import find_exceptions
from carexport.tracking.status_store import upsert_statuses

ORG = "flags"
NOW = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)


def _status(vin: str, **changes: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(repository.STATUS_SCHEMA)
    row |= dict(vin=vin, status="at_node", location="CN_CQ_GUOYUAN", last_event_id=f"e-{vin}",
                last_code="ARRIVED", last_event_time=NOW - dt.timedelta(days=1), events=3,
                on_hold=False, damaged=False, sequence_violations=0)  # fmt: skip
    return row | changes


# By hand: which of these are an exception at NOW (dwell: more than 7 days still).
STATUSES = [
    (_status("V1", damaged=True), True),
    (_status("V2", sequence_violations=2), True),
    (_status("V3", on_hold=True), True),
    (_status("V4", on_hold=True, status="delivered", delivered_at=NOW), False),
    (_status("V5", days_late=3, eta=NOW, due_date=dt.date(2027, 2, 26)), True),
    (_status("V6", last_event_time=NOW - dt.timedelta(days=10)), True),
    (
        _status(
            "V7",
            status="delivered",
            delivered_at=NOW - dt.timedelta(days=30),
            last_event_time=NOW - dt.timedelta(days=30),
        ),
        False,
    ),
    (_status("V8", days_late=0), False),
]


def _frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=repository.STATUS_SCHEMA)


def _candidates(engine: Engine) -> tuple[set[str], pl.DataFrame, pl.DataFrame]:
    with unit_of_work(engine) as session:
        status, expected = repository.exception_candidates(
            session,
            ORG,
            dwell_before=NOW - dt.timedelta(days=7),
            overdue_before=NOW - dt.timedelta(hours=24),
        )
        every = repository.all_statuses(session, ORG)
    empty = expected.clear()
    found = find_exceptions(status, expected, now=NOW).sort("vin", "kind")
    reference = find_exceptions(every, empty, now=NOW).sort("vin", "kind")
    assert found.equals(reference)
    return set(status["vin"]), found, every


def test_candidates_are_the_statuses_with_an_exception(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        upsert_statuses(session, ORG, _frame([row for row, _ in STATUSES]))
    vins, found, _ = _candidates(engine)
    assert vins == {row["vin"] for row, exception in STATUSES if exception}
    assert set(found["kind"]) == {"damage", "sequence", "hold", "late", "dwell"}
    # Rewritten: V1's damage is cleared (a correction), V8 turns late, V6 moves on.
    with unit_of_work(engine) as session:
        upsert_statuses(
            session,
            ORG,
            _frame([
                _status("V1"),
                _status("V8", days_late=1, eta=NOW, due_date=dt.date(2027, 2, 28)),
                _status("V6", status="export_cleared", last_event_time=NOW),
            ]),
        )  # fmt: skip
    vins, _, _ = _candidates(engine)
    assert vins == {"V2", "V3", "V5", "V8"}
