"""DCSA Track & Trace 2.2 events in: transport and equipment events mapped to carexport
milestones, tied to VINs and nodes, checked whole, then ingested as one batch (a file is
all stored or none of it). The mapping is in the README, "Event feeds (DCSA)".

A DCSA event is about a vessel call (transport) or a piece of equipment (equipment), not
a vehicle: carexport ties it to VINs through the references it carries (see vins_of) and
to a node through its UN/LOCODE (see Locations).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from carexport.errors import InvalidInput, Problem
from carexport.network import service as network_service
from carexport.tracking.dcsa_inputs import (
    FIX,
    LOCODE_FORM,
    VIN_FORM,
    Locations,
    builtin_locations,
    read_events,
)
from carexport.tracking.feed import planned_lanes
from carexport.tracking.ingest import IngestReport, ingest, raw_frame

TRANSPORT_MILESTONES = {"DEPA": "DEPARTED", "ARRI": "ARRIVED"}
EQUIPMENT_MILESTONES = {
    "LOAD": "LOADED",
    "DISC": "DISCHARGED",
    "GTIN": "ARRIVED",  # gated in: the vehicle is at the terminal
    "GTOT": "DEPARTED",  # gated out: it has left the terminal by land
}
# Equipment events of the standard that no carexport milestone stands for: skipped, each
# one reported as a warning so the sender sees what was not used.
EQUIPMENT_WITHOUT_MILESTONE = ("STUF", "STRP", "PICK", "DROP", "INSP", "RSEA", "RMVD")
EVENT_TYPES = ("TRANSPORT", "EQUIPMENT", "SHIPMENT")
CLASSIFIERS = ("ACT", "PLN", "EST")


@dataclass
class Mapped:
    """carexport events made from a DCSA file: records as POST /events takes them, the
    DCSA event number (1-based) of each, and every problem (errors, and warnings for
    the events skipped)."""

    records: list[dict[str, object]] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0


def map_events(
    items: list[Any],
    *,
    file: str,
    locations: Locations,
    nodes: set[str],
    links: dict[str, set[str]],
) -> Mapped:
    """Every DCSA event checked and mapped; nothing stops at the first problem."""
    mapped = Mapped()
    places: dict[tuple[str, str], tuple[str | None, str]] = {}

    def resolve(code: str, facility: str) -> tuple[str | None, str]:
        # A file names few places many times: each is looked up once.
        key = (code, facility)
        if key not in places:
            places[key] = locations.resolve(code, facility, nodes)
        return places[key]

    for number, item in enumerate(items, start=1):
        _map_one(mapped, number, item, file, resolve, links)
    return mapped


def _map_one(
    mapped: Mapped,
    number: int,
    item: Any,
    file: str,
    resolve: Callable[[str, str], tuple[str | None, str]],
    links: dict[str, set[str]],
) -> None:
    def error(path: str | None, value: object, message: str, hint: str = FIX) -> None:
        shown = None if value is None else str(value)
        mapped.problems.append(Problem(file, number, path, shown, message, hint))

    def skip(path: str, value: str, why: str) -> None:
        mapped.skipped += 1
        mapped.problems.append(
            Problem(file, number, path, value, f"skipped: {why}", None, severity="warning")
        )

    if not isinstance(item, dict):
        error(None, None, f"an event is a JSON object, not {type(item).__name__}")
        return
    kind = item.get("eventType")
    if kind not in EVENT_TYPES:
        error("eventType", kind, "not a DCSA event type", "use TRANSPORT or EQUIPMENT")
        return
    if kind == "SHIPMENT":
        skip("eventType", kind, "shipment events are about documents, not vehicle milestones")
        return
    classifier = item.get("eventClassifierCode")
    if classifier not in CLASSIFIERS:
        error("eventClassifierCode", classifier, "not ACT, PLN or EST")
        return
    if classifier != "ACT":
        skip("eventClassifierCode", classifier, "only actual (ACT) events are milestones")
        return
    code, code_field, raw_code = _milestone(item, kind)
    if code is None and raw_code in EQUIPMENT_WITHOUT_MILESTONE:
        skip(code_field, raw_code, f"{raw_code} has no carexport milestone")
        return
    if code is None:
        known = TRANSPORT_MILESTONES if kind == "TRANSPORT" else EQUIPMENT_MILESTONES
        error(code_field, raw_code, f"unknown {kind} event code", f"use {', '.join(known)}")
    at = _time(item.get("eventDateTime"))
    if at is None:
        message = "missing" if item.get("eventDateTime") is None else "not ISO 8601 with an offset"
        error("eventDateTime", item.get("eventDateTime"), message, "e.g. 2027-01-21T08:00:00+08:00")
    reported = _time(item.get("eventCreatedDateTime"))
    if reported is None and item.get("eventCreatedDateTime") is not None:
        error("eventCreatedDateTime", item["eventCreatedDateTime"], "not ISO 8601 with an offset")
    node = None
    location_field, unlocode, facility = _location(item, kind)
    if unlocode is None:
        error(location_field, None, "no UN/LOCODE", "give the place's UNLocationCode")
    elif not LOCODE_FORM.match(unlocode):
        error(location_field, unlocode, "not a UN/LOCODE", "five characters, e.g. CNSHA")
    else:
        node, why = resolve(unlocode, facility)
        if node is None:
            error(location_field, unlocode, why, "add a row to a locations file (--locations)")
    vins, tie_field, tie_value = vins_of(item, kind, links)
    if not vins:
        error(
            tie_field,
            tie_value,
            "no VIN is tied to this event",
            f"add rows 'reference,vin' for {tie_value or 'its equipment or booking'} to the "
            "links file (--links), or send each VIN as a references entry (referenceType CR)",
        )
    if code is None or at is None or node is None or not vins:
        return
    event_id = item.get("eventID")
    for vin in sorted(vins):
        mapped.records.append(
            {
                # One DCSA event is one event of each of its VINs: (VIN, id) is the key.
                "event_id": f"dcsa:{event_id}" if event_id else None,
                "vin": vin,
                "code": code,
                "node": node,
                "lane_id": None,
                "event_time": at,
                "reported_time": reported,
                "source": None,
            }
        )
        mapped.origin.append(number)


def _milestone(item: dict[str, Any], kind: str) -> tuple[str | None, str, str | None]:
    """carexport code (None if none), the field read and its value; eventTypeCode is the
    field's deprecated name, still sent by some carriers."""
    name = "transportEventTypeCode" if kind == "TRANSPORT" else "equipmentEventTypeCode"
    table = TRANSPORT_MILESTONES if kind == "TRANSPORT" else EQUIPMENT_MILESTONES
    if item.get(name) is None and item.get("eventTypeCode") is not None:
        name = "eventTypeCode"
    value = item.get(name)
    return table.get(value) if isinstance(value, str) else None, name, value


def _location(item: dict[str, Any], kind: str) -> tuple[str, str | None, str]:
    """The field holding the event's UN/LOCODE, the code and the facility code ('' if none):
    an equipment event's eventLocation first, else the transport call's."""
    places: list[tuple[str, Any]] = []
    if kind == "EQUIPMENT":
        places.append(("eventLocation", item.get("eventLocation")))
    call = item.get("transportCall")
    if isinstance(call, dict):
        places += [("transportCall", call), ("transportCall.location", call.get("location"))]
    for path, place in places:
        if isinstance(place, dict) and place.get("UNLocationCode"):
            code = str(place["UNLocationCode"]).strip().upper()
            facility = str(place.get("facilityCode") or "").strip().upper()
            return f"{path}.UNLocationCode", code, facility
    first = "eventLocation" if kind == "EQUIPMENT" else "transportCall"
    return f"{first}.UNLocationCode", None, ""


def vins_of(
    item: dict[str, Any], kind: str, links: dict[str, set[str]]
) -> tuple[set[str], str, str | None]:
    """The VINs an event is about: every references value with a VIN's form, and every
    VIN the links file gives for its equipmentReference, its documentReferences values
    (booking, bill of lading) or its references values. Also the field to name if none."""
    references = [r for r in item.get("references") or [] if isinstance(r, dict)]
    documents = [d for d in item.get("documentReferences") or [] if isinstance(d, dict)]
    keys = [str(r.get("referenceValue") or "").strip().upper() for r in references]
    keys += [str(d.get("documentReferenceValue") or "").strip().upper() for d in documents]
    equipment = str(item.get("equipmentReference") or "").strip().upper()
    if equipment:
        keys.append(equipment)
    vins = {k for k in keys if VIN_FORM.match(k)}
    for key in keys:
        vins |= links.get(key, set())
    if kind == "EQUIPMENT":
        return vins, "equipmentReference", equipment or None
    return vins, "documentReferences", ", ".join(k for k in keys if k) or None


def _time(value: object) -> str | None:
    """ISO 8601 with an offset, as UTC text ingest reads (to the second: carexport keeps
    event times to the second); None if it is not one."""
    return _utc_text(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=100_000)  # the events of one vessel call share their times
def _utc_text(value: str) -> str | None:
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass
class DcsaReport:
    """What a DCSA file gave: its events, those skipped (warnings say why), the carexport
    events made of the rest (one per event and VIN) and what ingest did with them."""

    file: str
    events: int
    skipped: int
    milestones: int
    vins: int
    ingest: IngestReport
    warnings: list[Problem]


# The DCSA field an ingest problem is about, for the located error.
_DCSA_FIELD = {
    "vin": "references / equipmentReference (the VIN tied)",
    "node": "UNLocationCode",
    "event_time": "eventDateTime",
    "reported_time": "eventCreatedDateTime",
}


def import_dcsa(
    session: Session,
    org_id: str,
    data: bytes,
    *,
    file: str,
    links: dict[str, set[str]] | None = None,
    locations: Locations | None = None,
    now: dt.datetime | None = None,
) -> DcsaReport:
    """Check a DCSA file whole and ingest its milestones in the caller's transaction.
    Any error raises InvalidInput naming file, event number, field, value and fix (the
    caller then rolls back: a file is all stored or none of it); skipped events are
    warnings in the report. A DEPARTED or ARRIVED gets the lane of the VIN's current plan
    from or to that node, so that learned transits count it."""
    items = read_events(data, file)
    nodes = network_service.node_ids(session, org_id)
    table = (locations or Locations({})).merged_over(builtin_locations())
    mapped = map_events(items, file=file, locations=table, nodes=nodes, links=links or {})
    errors = [p for p in mapped.problems if p.severity == "error"]
    warnings = [p for p in mapped.problems if p.severity != "error"]
    if errors:
        raise InvalidInput(f"DCSA events in {file}", mapped.problems)
    lanes = planned_lanes(session, org_id, sorted({str(r["vin"]) for r in mapped.records}))
    for record in mapped.records:
        record["lane_id"] = lanes.get(
            (str(record["vin"]), str(record["code"]), str(record["node"]))
        )
    report = (
        ingest(session, org_id, raw_frame(mapped.records), source=f"dcsa {file}", now=now)
        if mapped.records
        else IngestReport()
    )
    if report.problems:
        located = [_relocated(p, items, mapped.origin, file) for p in report.problems]
        raise InvalidInput(f"DCSA events in {file}", located + warnings)
    return DcsaReport(
        file,
        len(items),
        mapped.skipped,
        len(mapped.records),
        len({r["vin"] for r in mapped.records}),
        report,
        warnings,
    )


def _relocated(problem: Problem, items: list[Any], origin: list[int], file: str) -> Problem:
    """An ingest problem (about a carexport event) as one about the DCSA event it came
    from: its number, its field, and the value as the file has it."""
    number = origin[(problem.row or 1) - 1]
    field, value, message = problem.field or "", problem.value, problem.message
    dcsa_field = _DCSA_FIELD.get(field, field)
    sent = items[number - 1].get(dcsa_field) if field in ("event_time", "reported_time") else None
    if isinstance(sent, str) and value:
        value, message = sent, message.replace(value, sent)
    hint = (
        "import the VIN's order first (carexport orders import) or correct the links"
        if field == "vin"
        else FIX
    )
    return Problem(file, number, dcsa_field, value, message, hint)
