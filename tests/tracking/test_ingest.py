"""Event ingest: idempotent, order-independent, bad events kept with a reason, status kept
in its own table (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from carexport.db.session import unit_of_work
from carexport.tracking.events import statuses
from carexport.tracking.ingest import ingest, raw_frame
from carexport.tracking.tables import EventRow, RejectedEventRow, VehicleStatusRow
from tests.tracking.world import JOURNEY, NOW, ORG, VIN_A, VIN_B


def send(engine: Engine, events: list[dict[str, Any]]) -> None:
    with unit_of_work(engine) as session:
        ingest(session, ORG, raw_frame(events), source="test", now=NOW)


def table(engine: Engine) -> list[tuple[Any, ...]]:
    with unit_of_work(engine) as session:
        rows = session.scalars(
            select(VehicleStatusRow)
            .where(VehicleStatusRow.org_id == ORG)
            .order_by(VehicleStatusRow.vin)
        ).all()
        return [
            (
                r.vin,
                r.status,
                r.location,
                r.last_code,
                r.events,
                r.on_hold,
                r.sequence_violations,
                r.delivered_at is not None,
            )
            for r in rows
        ]


def count(engine: Engine, row: type) -> int:
    with unit_of_work(engine) as session:
        return session.scalar(select(func.count()).select_from(row)) or 0


def test_journey_gives_status_and_replays_change_nothing(loaded: Engine) -> None:
    send(loaded, JOURNEY)
    expected = [
        # Delivered in Hanoi; every departure preceded by presence at its node.
        (VIN_A, "delivered", "VN_HANOI", "DELIVERED", 5, False, 0, True),
        # Released, then held at the plant.
        (VIN_B, "on_hold", "CN_CQ_CHANGAN", "HOLD", 2, True, 0, False),
    ]
    assert table(loaded) == expected
    for _ in range(3):
        send(loaded, JOURNEY)
    assert table(loaded) == expected
    assert count(loaded, EventRow) == len(JOURNEY)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_arrival_order_and_batching_gives_the_same_status(loaded: Engine, seed: int) -> None:
    shuffled = JOURNEY[:]
    random.Random(seed).shuffle(shuffled)
    for start in range(0, len(shuffled), 2):
        send(loaded, shuffled[start : start + 2])
    assert table(loaded)[0] == (VIN_A, "delivered", "VN_HANOI", "DELIVERED", 5, False, 0, True)


def test_bad_events_are_kept_with_a_reason_and_good_ones_commit(loaded: Engine) -> None:
    batch = [
        JOURNEY[0],
        {
            "vin": "NOTAVIN",
            "code": "ARRIVED",
            "node": "CN_CQ_NANPENG",
            "event_time": "2027-01-05T12:00:00Z",
        },
        {"vin": VIN_A, "code": "TELEPORTED", "event_time": "2027-01-05T12:00:00Z"},
        {"vin": VIN_A, "code": "ARRIVED", "node": "MARS", "event_time": "2027-01-05T12:00:00Z"},
        {"vin": VIN_A, "code": "ARRIVED", "event_time": "2027-01-05T12:00:00"},  # no offset
        {"vin": VIN_A, "code": "ARRIVED", "event_time": "2027-03-01T00:00:00Z"},  # future
    ]
    with unit_of_work(loaded) as session:
        report = ingest(session, ORG, raw_frame(batch), source="api", now=NOW)
    assert (report.stored, report.rejected) == (1, 5)
    assert [(p.row, p.field) for p in report.problems] == [
        (2, "vin"),
        (3, "code"),
        (4, "node"),
        (5, "event_time"),
        (6, "event_time"),
    ]
    assert "unknown VIN NOTAVIN" in report.problems[0].message
    assert count(loaded, RejectedEventRow) == 5
    assert table(loaded)[0][:2] == (VIN_A, "at_plant")


def test_impossible_sequence_is_accepted_and_flagged(loaded: Engine) -> None:
    # Delivered before it departed, and departed from a node it never reached.
    send(
        loaded,
        [
            {
                "vin": VIN_A,
                "code": "DELIVERED",
                "node": "VN_HANOI",
                "event_time": "2027-01-05T00:00:00Z",
            },
            {
                "vin": VIN_A,
                "code": "DEPARTED",
                "node": "CN_CQ_NANPENG",
                "event_time": "2027-01-06T00:00:00Z",
            },
        ],
    )
    _, status, _, last, events, _, violations, delivered = table(loaded)[0]
    assert (status, last, events, violations, delivered) == ("delivered", "DEPARTED", 2, 2, True)


def _frame(events: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        events,
        schema={
            "event_id": pl.String,
            "vin": pl.String,
            "code": pl.String,
            "node": pl.String,
            "event_time": pl.Datetime("us", "UTC"),
        },
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "RELEASED",
                    "ARRIVED",
                    "DEPARTED",
                    "DELIVERED",
                    "HOLD",
                    "HOLD_RELEASED",
                    "DAMAGE_REPORTED",
                ]
            ),
            st.sampled_from(["N1", "N2", None]),
            st.integers(0, 5),
        ),
        min_size=1,
        max_size=12,
    ),
    st.randoms(),
)
def test_status_does_not_depend_on_event_order(
    raw: list[tuple[str, str | None, int]], rnd: random.Random
) -> None:
    base = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    events = [
        {
            "event_id": f"E{i}",
            "vin": "V",
            "code": code,
            "node": node,
            "event_time": base + dt.timedelta(hours=hour),
        }
        for i, (code, node, hour) in enumerate(raw)
    ]
    shuffled = events[:]
    rnd.shuffle(shuffled)
    assert statuses(_frame(events)).equals(statuses(_frame(shuffled)))


def test_events_api_and_vehicle_status(loaded: Engine, database_url: str) -> None:
    from tests.clients import client_for

    with client_for(database_url, ORG) as client:
        # The API checks against the real clock: send the journey a year earlier.
        past = [{**e, "event_time": e["event_time"].replace("2027-", "2025-")} for e in JOURNEY]
        body = client.post("/events", json={"events": [*past[:3], {"vin": "X"}]}).json()
        assert (body["stored"], body["rejected"]) == (3, 1)
        assert body["problems"][0]["row"] == 4
        status = client.get(f"/vehicles/{VIN_A.lower()}").json()
        assert (status["status"], status["location"], status["events"]) == (
            "at_node",
            "CN_CQ_NANPENG",
            3,
        )
        assert client.get("/vehicles/NOPE").status_code == 404


def test_events_cli_imports_csv(
    loaded: Engine, database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from carexport.cli import app
    from carexport.config import get_settings

    path = tmp_path / "events.csv"
    path.write_text(
        "vin,code,node,event_time\n"
        f"{VIN_B},RELEASED,CN_CQ_CHANGAN,2025-01-04T08:00:00+08:00\n"
        f"{VIN_B},GATE_OUT,CN_CQ_CHANGAN,2025-01-04 09:00:00+08:00\n"
        f"{VIN_B},GATE_OUT,CN_CQ_CHANGAN,yesterday\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CAREXPORT_DATABASE_URL", database_url)
    monkeypatch.setenv("CAREXPORT_ORG_ID", ORG)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["events", "import", str(path)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "events.csv" in result.output and "4" in result.output  # rejected on CSV row 4
    assert table(loaded) == [(VIN_B, "left_plant", "CN_CQ_CHANGAN", "GATE_OUT", 2, False, 0, False)]


def test_a_rejected_event_names_the_value_it_was_rejected_for() -> None:
    import datetime as dt

    from carexport.tracking.events import typed_events
    from carexport.tracking.ingest import numbered, raw_frame

    raw = numbered(
        raw_frame(
            [
                {
                    "vin": "LC9XXXXXXXXXXXXX1",
                    "code": "GATE_OUT",
                    "event_time": "2027-01-05T00:00:00Z",
                },
                {"vin": "KNOWN", "code": "TELEPORTED", "event_time": "2027-01-05T00:00:00Z"},
            ]
        )
    )
    _, problems = typed_events(
        raw,
        known_vins={"KNOWN"},
        known_nodes=set(),
        now=dt.datetime(2027, 2, 1, tzinfo=dt.UTC),
        future_tolerance=dt.timedelta(hours=1),
        file="api",
    )
    assert [(p.field, p.value) for p in problems] == [
        ("vin", "LC9XXXXXXXXXXXXX1"),
        ("code", "TELEPORTED"),
    ]


@pytest.mark.parametrize("part_events", [1_000_000, 2])
def test_ingest_says_where_its_time_goes(
    loaded: Engine, part_events: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every step of a batch with history and new events has its seconds (also when the
    batch is applied in parts), and the steps add up to no more than the call took."""
    import time

    from carexport.tracking.ingest import STEPS

    monkeypatch.setattr("carexport.tracking.ingest.PART_EVENTS", part_events)
    send(loaded, JOURNEY[:3])
    with unit_of_work(loaded) as session:
        began = time.perf_counter()
        report = ingest(session, ORG, raw_frame(JOURNEY), source="test", now=NOW)
        took = time.perf_counter() - began
    assert report.stored == len(JOURNEY) - 3
    assert list(report.seconds) == list(STEPS)
    assert all(seconds >= 0 for seconds in report.seconds.values())
    assert sum(report.seconds.values()) <= took
