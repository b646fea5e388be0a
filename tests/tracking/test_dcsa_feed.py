"""The event feed out (GET /vehicles/{vin}/events, carexport events export) and the DCSA
import's command: the feed says what the itinerary says, and its events, ingested into
another store, give the same vehicle."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from carexport.cli import app
from carexport.config import get_settings
from carexport.db.migrate import upgrade
from carexport.db.session import make_engine, unit_of_work
from carexport.tracking.ingest import ingest, raw_frame
from carexport.tracking.service import vehicle_itinerary
from tests.clients import client_for
from tests.tracking.dcsa_world import DATA, NOW, ORG, VIN_A, VIN_B, load_voyage
from tests.tracking.test_dcsa import import_file


@pytest.fixture
def voyage(engine: Engine) -> str:
    plan_id = load_voyage(engine)
    import_file(engine, "equipment_events.json")
    import_file(engine, "transport_events.json")
    return plan_id


def test_vehicle_events_feed(voyage: str, engine: Engine, database_url: str) -> None:
    with client_for(database_url, ORG) as client:
        response = client.get(f"/vehicles/{VIN_A.lower()}/events")
        assert response.status_code == 200, response.text
        feed = response.json()
        missing = client.get("/vehicles/LC9012008VC000099/events")
        assert missing.status_code == 404
        assert "LC9012008VC000099" in missing.json()["error"]
        assert "/vehicles/{vin}/events" in client.get("/openapi.json").json()["paths"]
    assert (feed["vin"], feed["status"], feed["location"]) == (VIN_A, "at_node", "SA_JED")
    assert feed["plan_id"] == voyage and feed["due_date"] == "2025-08-15"
    # The files' local times in UTC (by hand), oldest first, each with its DCSA event.
    assert [(e["code"], e["node"], e["event_time"], e["dcsa"]) for e in feed["events"]] == [
        ("ARRIVED", "CN_SH_HAITONG", "2025-06-19T02:00:00Z", transport("ARRI")),
        ("LOADED", "CN_SH_HAITONG", "2025-06-21T08:00:00Z", equipment("LOAD")),
        ("DEPARTED", "CN_SH_HAITONG", "2025-06-21T22:30:00Z", transport("DEPA")),
        ("ARRIVED", "SA_JED", "2025-07-14T04:41:00Z", transport("ARRI")),
        ("DISCHARGED", "SA_JED", "2025-07-14T12:00:00Z", equipment("DISC")),
    ]
    assert feed["events"][2]["reported_time"] == "2025-06-21T23:00:00Z"  # eventCreatedDateTime
    # The milestones are the itinerary's (computed apart, per VIN in Python).
    with engine.connect() as connection:
        itinerary = vehicle_itinerary(connection, ORG, VIN_A)
    assert itinerary is not None
    assert [
        (m["code"], m["node"], m["lane_id"], m["planned_at"], m["actual_at"])
        for m in feed["milestones"]
    ] == [
        (m.code, m.node, m.lane_id, iso(m.planned_at), iso(m.actual_at))
        for m in itinerary.itinerary
    ]


def transport(code: str) -> dict[str, str]:
    return {"eventType": "TRANSPORT", "transportEventTypeCode": code}


def equipment(code: str) -> dict[str, str]:
    return {"eventType": "EQUIPMENT", "equipmentEventTypeCode": code}


def iso(value: Any) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_feed_events_ingested_elsewhere_give_the_same_vehicle(
    voyage: str, database_url: str, tmp_path: Path
) -> None:
    with client_for(database_url, ORG) as client:
        feed = client.get(f"/vehicles/{VIN_A}/events").json()
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    other_plan = load_voyage(other)
    records = [{"vin": feed["vin"], **event} for event in feed["events"]]
    with unit_of_work(other) as session:
        report = ingest(session, ORG, raw_frame(records), source="feed", now=NOW)
    assert (report.stored, report.rejected) == (5, 0)
    with client_for(f"sqlite:///{tmp_path / 'other.db'}", ORG) as client:
        again = client.get(f"/vehicles/{VIN_A}/events").json()
    other.dispose()
    assert again == {**feed, "plan_id": other_plan}


runner = CliRunner()


@pytest.fixture
def cli_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """CAREXPORT_* point at a SQLite file with the voyage's world in it."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CAREXPORT_DATABASE_URL", url)
    monkeypatch.setenv("CAREXPORT_ORG_ID", ORG)
    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    load_voyage(engine)
    engine.dispose()
    yield tmp_path
    get_settings.cache_clear()


def cli(*args: str | Path, code: int = 0) -> Any:
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})
    assert result.exit_code == code, result.output
    return result


def test_cli_import_dcsa_and_export(cli_world: Path) -> None:
    options = ("--links", DATA / "links.csv", "--locations", DATA / "locations.csv")
    bad = cli("events", "import-dcsa", DATA / "bad_events.json", *options, code=1)
    assert "USLAX" in bad.output and "nothing stored" in bad.output
    done = cli("events", "import-dcsa", DATA / "equipment_events.json", *options)
    assert "STUF" in done.output  # the skipped event, as a warning
    cli("events", "import-dcsa", DATA / "transport_events.json", *options)
    out = cli_world / "feed.json"
    cli("events", "export", "--out", out)
    document = json.loads(out.read_text(encoding="utf-8"))
    assert (document["feed"], document["version"]) == ("carexport.vehicle-events", 1)
    assert [v["vin"] for v in document["vehicles"]] == [VIN_A, VIN_B]
    assert [len(v["events"]) for v in document["vehicles"]] == [5, 3]
    one = json.loads(cli("events", "export", VIN_B).stdout)
    assert one["vehicles"] == document["vehicles"][1:]
    by_order = json.loads(cli("events", "export", "--order", "S1").stdout)
    assert by_order["vehicles"] == document["vehicles"]
    unknown = cli("events", "export", "LC9012008VC000099", code=1)
    assert "LC9012008VC000099" in str(unknown.exception)
    not_there = cli("events", "import-dcsa", cli_world / "nope.json", code=2)
    assert "does not exist" in not_there.output
    latin = cli_world / "links.csv"
    latin.write_bytes("reference,vin\nABC\xe9,LC9012007VC000011\n".encode("latin-1"))
    bad_links = cli(
        "events", "import-dcsa", DATA / "transport_events.json", "--links", latin, code=1
    )
    assert "not UTF-8" in bad_links.output and "nothing stored" in bad_links.output
