"""DCSA Track & Trace 2.2 events in: the hand-written files of tests/data/dcsa become the
milestones the README's table says and show in the vehicle's itinerary; bad files are
errors located by file, event, field and value, with nothing stored.

Expected times are the files' local times converted to UTC by hand (e.g. 2025-06-22
06:30 at +08:00 is 2025-06-21 22:30 UTC)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import Engine, func, select

from carexport.db.session import unit_of_work
from carexport.errors import InvalidInput, Problem
from carexport.orders.vin import with_check_digit
from carexport.tracking import repository
from carexport.tracking.dcsa import DcsaReport, import_dcsa, map_events
from carexport.tracking.dcsa_inputs import (
    Locations,
    builtin_locations,
    read_links,
    read_locations,
)
from carexport.tracking.service import vehicle_itinerary
from carexport.tracking.tables import EventRow, RejectedEventRow
from tests.tracking.dcsa_world import DATA, NOW, ORG, VIN_A, VIN_B, load_voyage

LINKS = read_links((DATA / "links.csv").read_text(encoding="utf-8"), "links.csv")
LOCATIONS = read_locations((DATA / "locations.csv").read_text(encoding="utf-8"), "locations.csv")


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def voyage(engine: Engine) -> Engine:
    load_voyage(engine)
    return engine


def import_file(
    engine: Engine, name: str, data: bytes | None = None, locations: Locations | None = LOCATIONS
) -> DcsaReport:
    with unit_of_work(engine) as session:
        return import_dcsa(
            session,
            ORG,
            (DATA / name).read_bytes() if data is None else data,
            file=name,
            links=LINKS,
            locations=locations,
            now=NOW,
        )


def errors_of(caught: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[object, ...]]:
    return [
        (p.file, p.row, p.field, p.value) for p in caught.value.problems if p.severity == "error"
    ]


def stored(engine: Engine) -> tuple[int, int]:
    with unit_of_work(engine) as session:
        events = session.scalar(select(func.count()).select_from(EventRow))
        rejected = session.scalar(select(func.count()).select_from(RejectedEventRow))
    return int(events or 0), int(rejected or 0)


def test_example_files_import_and_show_in_the_itinerary(voyage: Engine) -> None:
    equipment = import_file(voyage, "equipment_events.json")
    # 5 events; STUF has no milestone; GTIN, LOAD, DISC for VIN A (container APZU4812090)
    # and a LOAD for VIN B (its VIN in references).
    assert (equipment.events, equipment.skipped, equipment.milestones, equipment.vins) == (
        5,
        1,
        4,
        2,
    )
    assert [(w.row, w.field, w.value) for w in equipment.warnings] == [
        (2, "equipmentEventTypeCode", "STUF")
    ]
    transport = import_file(voyage, "transport_events.json")
    # 3 events; the EST arrival is skipped; DEPA and ARRI for both VINs of booking ABC709951.
    assert (transport.events, transport.skipped, transport.milestones) == (3, 1, 4)
    assert transport.ingest.stored == 4 and transport.ingest.rejected == 0

    with voyage.connect() as connection:
        found = vehicle_itinerary(connection, ORG, VIN_A)
    assert found is not None
    actual = {(m.code, m.node): m.actual_at for m in found.itinerary}
    assert actual[("ARRIVED", "CN_SH_HAITONG")] == utc("2025-06-19T02:00:00")  # GTIN
    assert actual[("DEPARTED", "CN_SH_HAITONG")] == utc("2025-06-21T22:30:00")  # DEPA
    assert actual[("ARRIVED", "SA_JED")] == utc("2025-07-14T04:41:00")  # ARRI
    assert actual[("DISCHARGED", "SA_JED")] == utc("2025-07-14T12:00:00")  # DISC
    assert actual[("RELEASED", "CN_CQ_CHANGAN")] is None  # nothing reported it
    # LOADED is not a milestone of the plan: it is among the events as reported.
    assert ("LOADED", "CN_SH_HAITONG", utc("2025-06-21T08:00:00")) in found.events
    assert (found.status["status"], found.status["location"]) == ("at_node", "SA_JED")

    with voyage.connect() as connection:
        other = vehicle_itinerary(connection, ORG, VIN_B)
    assert other is not None
    assert [(c, n) for c, n, _ in other.events] == [
        ("LOADED", "CN_SH_HAITONG"),
        ("DEPARTED", "CN_SH_HAITONG"),
        ("ARRIVED", "SA_JED"),
    ]

    # A departure and an arrival carry the lane the plan has there, for learned transits.
    planned_lane = {(m.code, m.node): m.lane_id for m in found.itinerary}
    with unit_of_work(voyage) as session:
        events = repository.events_of(session, ORG, [VIN_A])
    lanes = {(e["code"], e["node"]): e["lane_id"] for e in events.iter_rows(named=True)}
    ocean = planned_lane[("DEPARTED", "CN_SH_HAITONG")]
    assert ocean is not None and lanes[("DEPARTED", "CN_SH_HAITONG")] == ocean
    assert lanes[("ARRIVED", "SA_JED")] == planned_lane[("ARRIVED", "SA_JED")] == ocean
    ids = set(events["event_id"])
    assert "dcsa:3cecb101-7a1a-43a4-9d62-e88a131651e2" in ids  # the DEPA's eventID

    again = import_file(voyage, "transport_events.json")
    assert (again.ingest.stored, again.ingest.duplicates) == (0, 4)


def test_bad_file_names_every_problem_and_stores_nothing(voyage: Engine) -> None:
    with pytest.raises(InvalidInput) as caught:
        import_file(voyage, "bad_events.json")
    assert errors_of(caught) == [
        ("bad_events.json", 1, "eventType", "VESSEL"),
        ("bad_events.json", 2, "transportCall.UNLocationCode", "USLAX"),
        ("bad_events.json", 3, "eventDateTime", None),
        ("bad_events.json", 4, "equipmentReference", "TGHU0000001"),
    ]
    problems = {p.row: p for p in caught.value.problems}
    assert "not a node of the network" in problems[2].message
    assert problems[3].message == "missing"
    assert problems[4].hint is not None and "TGHU0000001" in problems[4].hint
    assert stored(voyage) == (0, 0)  # the good fifth event is not stored either


def test_not_json_is_one_located_problem(voyage: Engine) -> None:
    with pytest.raises(InvalidInput) as caught:
        import_file(voyage, "not_json.json")
    (problem,) = caught.value.problems
    assert (problem.file, problem.row) == ("not_json.json", None)
    assert problem.message.startswith("not JSON: Expecting value at line 1 column 1")


def test_an_event_ingest_rejects_rolls_back_the_whole_file(voyage: Engine) -> None:
    events = json.loads((DATA / "equipment_events.json").read_text(encoding="utf-8"))
    unknown = with_check_digit("LC9012008VC000099")
    events[3]["references"] = [{"referenceType": "CR", "referenceValue": unknown}]
    with pytest.raises(InvalidInput) as caught:
        import_file(voyage, "changed.json", json.dumps(events).encode())
    assert errors_of(caught) == [
        ("changed.json", 4, "references / equipmentReference (the VIN tied)", unknown)
    ]
    # The other events of the file, and the rejected one's review row, are rolled back.
    assert stored(voyage) == (0, 0)
    # A time after now is named as the file gives it (ingest sees it in UTC).
    events[3]["references"] = [{"referenceType": "CR", "referenceValue": VIN_B}]
    events[0]["eventDateTime"] = "2025-08-02T10:00:00+08:00"  # NOW is 2025-08-01 UTC
    with pytest.raises(InvalidInput) as caught:
        import_file(voyage, "changed.json", json.dumps(events).encode())
    assert errors_of(caught) == [("changed.json", 1, "eventDateTime", "2025-08-02T10:00:00+08:00")]
    assert caught.value.problems[0].message.startswith("2025-08-02T10:00:00+08:00 is in the future")
    assert stored(voyage) == (0, 0)


def test_a_code_of_two_nodes_needs_its_terminal(voyage: Engine) -> None:
    with pytest.raises(InvalidInput) as caught:
        import_file(voyage, "transport_events.json", locations=None)
    assert errors_of(caught) == [
        ("transport_events.json", 1, "transportCall.UNLocationCode", "CNSHA")
    ]
    (problem,) = caught.value.problems[:1]
    assert "CN_SH_HAITONG, CN_SH_YANGSHAN" in problem.message


def event(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "eventType": "TRANSPORT",
        "eventClassifierCode": "ACT",
        "eventDateTime": "2025-06-22T06:30:00+08:00",
        "transportEventTypeCode": "DEPA",
        "references": [{"referenceType": "CR", "referenceValue": VIN_A}],
        "transportCall": {"transportCallID": "1", "UNLocationCode": "NLRTM"},
    }
    return {k: v for k, v in {**base, **fields}.items() if v is not None}


def mapped(*items: object) -> tuple[list[dict[str, object]], list[Problem]]:
    nodes = {"NL_RTM", "TH_LCB", "CN_SH_HAITONG"}
    result = map_events(
        list(items), file="f.json", locations=builtin_locations(), nodes=nodes, links={}
    )
    return result.records, result.problems


def test_mapping_of_single_events() -> None:
    # The deprecated eventTypeCode still names the event; NLRTM is node NL_RTM by its id.
    records, problems = mapped(event(transportEventTypeCode=None, eventTypeCode="DEPA"))
    assert problems == []
    assert [(r["vin"], r["code"], r["node"], r["event_time"]) for r in records] == [
        (VIN_A, "DEPARTED", "NL_RTM", "2025-06-21T22:30:00+00:00")
    ]
    # A gate-out is a departure by land; an equipment event's place is its eventLocation.
    records, problems = mapped(
        event(
            eventType="EQUIPMENT",
            transportEventTypeCode=None,
            equipmentEventTypeCode="GTOT",
            eventLocation={"UNLocationCode": "NLRTM"},
            transportCall={"transportCallID": "1", "UNLocationCode": "CNSHA", "facilityCode": "X"},
        )
    )
    assert problems == [] and [(r["code"], r["node"]) for r in records] == [("DEPARTED", "NL_RTM")]
    # Laem Chabang's code (THLCH) is not its node id (TH_LCB): the built-in table has it.
    records, _ = mapped(event(transportCall={"transportCallID": "1", "UNLocationCode": "thlch"}))
    assert records[0]["node"] == "TH_LCB"
    _, problems = mapped(
        "not an event",
        event(eventDateTime="2025-06-22T06:30:00"),
        event(eventType="EQUIPMENT", equipmentEventTypeCode="XXXX"),
        event(transportCall=None),
        event(transportCall={"transportCallID": "1", "UNLocationCode": "AEJEA"}),
        event(eventClassifierCode="ACTUAL"),
    )
    assert [(p.row, p.field, p.value, p.message) for p in problems] == [
        (1, None, None, "an event is a JSON object, not str"),
        (2, "eventDateTime", "2025-06-22T06:30:00", "not ISO 8601 with an offset"),
        (3, "equipmentEventTypeCode", "XXXX", "unknown EQUIPMENT event code"),
        (4, "transportCall.UNLocationCode", None, "no UN/LOCODE"),
        (
            5,
            "transportCall.UNLocationCode",
            "AEJEA",
            "UN/LOCODE AEJEA is not a node of the network",
        ),
        (6, "eventClassifierCode", "ACTUAL", "not ACT, PLN or EST"),
    ]
    assert problems[2].hint == "use LOAD, DISC, GTIN, GTOT"
    # Shipment events and plans are skipped, with a warning each.
    records, problems = mapped(
        {"eventType": "SHIPMENT", "shipmentEventTypeCode": "ISSU"},
        event(eventClassifierCode="PLN"),
    )
    assert records == [] and [(p.severity, p.row) for p in problems] == [
        ("warning", 1),
        ("warning", 2),
    ]


def test_an_empty_array_stores_nothing(voyage: Engine) -> None:
    report = import_file(voyage, "empty.json", b"[]")
    assert (report.events, report.milestones, report.ingest.stored) == (0, 0, 0)


def test_links_and_locations_files_report_their_rows() -> None:
    with pytest.raises(InvalidInput) as caught:
        read_links("reference,vin\nABC709951,LC9012007VC000011\n,X\nAPZU4812090,SHORT\n", "l.csv")
    assert [(p.row, p.field, p.value) for p in caught.value.problems] == [
        (3, "reference", None),
        (4, "vin", "SHORT"),
    ]
    with pytest.raises(InvalidInput) as caught:
        read_locations("code,node\nCNSHA,CN_SH_HAITONG\n", "loc.csv")
    assert [(p.row, p.field, p.message) for p in caught.value.problems] == [
        (1, "unlocode", "missing column")
    ]
    assert LINKS["ABC709951"] == {VIN_A, VIN_B}
