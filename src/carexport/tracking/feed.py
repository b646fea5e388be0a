"""The vehicle event feed out: each VIN's status, its events as reported and its plan's
milestones planned against reported, as JSON a carrier or dealer system can read (the
format is in the README, "Event feeds (DCSA)"). Also the plan lanes DCSA import uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from carexport.tracking import repository
from carexport.tracking.events import in_order
from carexport.tracking.milestones import unpack

FEED = "carexport.vehicle-events"
FEED_VERSION = 1
# The DCSA event each carexport milestone is (the inverse of tracking.dcsa's mapping;
# ARRIVED is also what a gate-in maps to, and is given as the vessel's arrival).
DCSA_OF = {
    "DEPARTED": {"eventType": "TRANSPORT", "transportEventTypeCode": "DEPA"},
    "ARRIVED": {"eventType": "TRANSPORT", "transportEventTypeCode": "ARRI"},
    "LOADED": {"eventType": "EQUIPMENT", "equipmentEventTypeCode": "LOAD"},
    "DISCHARGED": {"eventType": "EQUIPMENT", "equipmentEventTypeCode": "DISC"},
}
STATUS_FIELDS = (
    "status",
    "location",
    "on_hold",
    "damaged",
    "plan_id",
    "due_date",
    "eta",
    "eta_p90",
    "days_late",
    "delivered_at",
)


def planned_lanes(
    session: Session, org_id: str, vins: list[str]
) -> dict[tuple[str, str, str], str]:
    """(vin, code, node) -> lane id, from the VINs' current plans: the plan's first
    milestone of that code at that node that is on a lane (DEPARTED, ARRIVED, DISCHARGED)."""
    if not vins:
        return {}
    planned = unpack(repository.plans_of(session, org_id, vins).select("vin", "milestones"))
    on_lane = planned.filter(pl.col("lane_id").is_not_null()).sort("vin", "seq")
    first = on_lane.unique(["vin", "code", "node"], keep="first", maintain_order=True)
    rows = first.select("vin", "code", "node", "lane_id").iter_rows()
    return {(vin, code, node): lane for vin, code, node, lane in rows}


def vehicle_feed(session: Session, org_id: str, vin: str) -> dict[str, Any] | None:
    """One VIN's feed entry (see vehicle_entries), None when it has no event and no plan."""
    entries = vehicle_entries(session, org_id, [vin.strip().upper()])
    return entries[0] if entries else None


def feed_vins(session: Session, org_id: str) -> list[str]:
    """Every tracked VIN of the organisation (with at least one event), in order."""
    return sorted(repository.all_statuses(session, org_id)["vin"].to_list())


def without_history(session: Session, org_id: str, vins: list[str]) -> list[str]:
    """The VINs of these with no event and no plan (nothing a feed could say of them)."""
    known = set(repository.all_statuses(session, org_id, vins)["vin"])
    known |= set(repository.plans_of(session, org_id, vins)["vin"])
    return [vin for vin in vins if vin not in known]


def feed_document(
    session: Session, org_id: str, vins: list[str], *, now: dt.datetime, chunk: int = 5_000
) -> Iterator[str]:
    """The feed of these VINs as JSON text, in pieces: a chunk of VINs is read at a time,
    so memory is bounded by the chunk, not by the organisation."""
    import json

    yield (
        f'{{"feed": "{FEED}", "version": {FEED_VERSION}, '
        f'"generated_at": {json.dumps(_time(now))}, "vehicles": ['
    )
    first = True
    for start in range(0, len(vins), chunk):
        for entry in vehicle_entries(session, org_id, vins[start : start + chunk]):
            yield ("\n" if first else ",\n") + json.dumps(entry)
            first = False
    yield "\n]}\n"


def vehicle_entries(session: Session, org_id: str, vins: list[str]) -> list[dict[str, Any]]:
    """Per VIN with events or a plan, in VIN order: vin, the status fields (null before the
    first event), events (oldest first, in the order that decides status; each as POST
    /events takes it, plus its DCSA equivalent or null) and milestones (the current plan's,
    each with planned_at and actual_at, the first time it was reported)."""
    status = repository.all_statuses(session, org_id, vins)
    events = in_order(repository.events_of(session, org_id, vins))
    planned = unpack(repository.plans_of(session, org_id, vins).select("vin", "milestones"))
    reached = events.group_by("vin", "code", "node").agg(pl.col("event_time").min())
    milestones = planned.join(reached, on=["vin", "code", "node"], how="left").sort("vin", "seq")
    # Times are made text in one vectorised pass: per row, only the dicts are Python's.
    entries: dict[str, dict[str, Any]] = {}

    def entry(vin: str) -> dict[str, Any]:
        found = entries.get(vin)
        if found is None:
            found = entries[vin] = {"vin": vin, **dict.fromkeys(STATUS_FIELDS)}
            found["events"], found["milestones"] = [], []
        return found

    texts = status.select(
        "vin",
        *(
            _iso(name) if isinstance(status.schema[name], pl.Datetime) else pl.col(name)
            for name in STATUS_FIELDS
        ),
    ).with_columns(pl.col("due_date").cast(pl.String))
    for row in texts.iter_rows():
        entry(row[0]).update(zip(STATUS_FIELDS, row[1:], strict=True))
    event_rows = events.select(
        "vin",
        "event_id",
        "code",
        "node",
        "lane_id",
        _iso("event_time"),
        _iso("reported_time"),
        "source",
    ).iter_rows()
    for vin, event_id, code, node, lane_id, at, reported, source in event_rows:
        entry(vin)["events"].append(
            {
                "event_id": event_id,
                "code": code,
                "node": node,
                "lane_id": lane_id,
                "event_time": at,
                "reported_time": reported,
                "source": source,
                "dcsa": DCSA_OF.get(code),
            }
        )
    milestone_rows = milestones.select(
        "vin", "seq", "code", "node", "lane_id", _iso("planned_at"), _iso("event_time")
    ).iter_rows()
    for vin, seq, code, node, lane_id, planned_at, actual_at in milestone_rows:
        entry(vin)["milestones"].append(
            {
                "seq": seq,
                "code": code,
                "node": node,
                "lane_id": lane_id,
                "planned_at": planned_at,
                "actual_at": actual_at,
            }
        )
    return [entries[vin] for vin in sorted(entries)]


def _iso(column: str) -> pl.Expr:
    """ISO 8601 in UTC with a Z, as the API writes times (fractions only when there are)."""
    return pl.col(column).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ")


def _time(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as the API writes times (SQLite's are naive UTC)."""
    if value is None:
        return None
    if value.tzinfo:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"
