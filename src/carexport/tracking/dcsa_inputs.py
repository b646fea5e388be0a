"""What a DCSA import reads besides the events: the locations table (UN/LOCODE and
facility -> node) and the links file (equipment, booking or bill of lading -> VINs), and
the event file itself as JSON. Every bad row or file is a located problem."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from carexport.errors import InvalidInput, Problem

# DCSA 2.2 has no reference type for a VIN; a reference whose value has a VIN's form
# (17 characters, no I, O or Q) is taken as one.
VIN_FORM = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
LOCODE_FORM = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
FIX = "correct the event and send the file again"


@dataclass(frozen=True)
class Locations:
    """UN/LOCODE (and optional facility code) -> node. A row naming several nodes (';')
    says the code is more than one node: an event there must name its facility."""

    nodes_of: dict[tuple[str, str], tuple[str, ...]]

    def merged_over(self, base: Locations) -> Locations:
        return Locations({**base.nodes_of, **self.nodes_of})

    def resolve(self, code: str, facility: str, known: set[str]) -> tuple[str | None, str]:
        """The node of a code and facility, or None and why not."""
        found = self.nodes_of.get((code, facility)) or self.nodes_of.get((code, ""))
        if found is None:
            # Fallback: the built-in network names many ports by their code (NL_RTM).
            guess = f"{code[:2]}_{code[2:]}"
            found = (guess,) if guess in known else None
        if found is None:
            return None, f"UN/LOCODE {code} is not a node of the network"
        if len(found) > 1:
            where = f" facility {facility}" if facility else ""
            return None, (
                f"UN/LOCODE {code}{where} is more than one node ({', '.join(found)}); "
                "the event must name its terminal (facilityCode) and a locations row map it"
            )
        if found[0] not in known:
            return None, f"UN/LOCODE {code} maps to node {found[0]}, not in the network"
        return found[0], ""


def read_locations(text: str, file: str) -> Locations:
    """A locations CSV (unlocode, facility_code, node): every bad row reported at once."""
    rows, problems = _csv_rows(text, file, ("unlocode", "node"))
    table: dict[tuple[str, str], tuple[str, ...]] = {}
    for number, row in rows:
        code = (row.get("unlocode") or "").strip().upper()
        if not LOCODE_FORM.match(code):
            problems.append(
                Problem(file, number, "unlocode", code, "not a UN/LOCODE", "e.g. CNSHA")
            )
            continue
        nodes = tuple(n.strip() for n in (row.get("node") or "").split(";") if n.strip())
        if not nodes:
            problems.append(Problem(file, number, "node", None, "no node", "name a node id"))
            continue
        table[(code, (row.get("facility_code") or "").strip().upper())] = nodes
    if problems:
        raise InvalidInput(f"locations file {file}", problems)
    return Locations(table)


def builtin_locations() -> Locations:
    """The UN/LOCODEs of the built-in network's nodes that are not their id (see the
    fallback in Locations.resolve); source: UNECE UN/LOCODE."""
    text = (resources.files("carexport.tracking") / "dcsa_locations.csv").read_text("utf-8")
    return read_locations(text, "dcsa_locations.csv")


def read_links(text: str, file: str) -> dict[str, set[str]]:
    """A links CSV (reference, vin): equipment numbers, bookings or bills of lading, and
    the VINs on them. A reference may have many rows (one per VIN)."""
    rows, problems = _csv_rows(text, file, ("reference", "vin"))
    links: dict[str, set[str]] = {}
    for number, row in rows:
        reference = (row.get("reference") or "").strip().upper()
        vin = (row.get("vin") or "").strip().upper()
        if not reference:
            problems.append(Problem(file, number, "reference", None, "no reference", FIX))
        elif not VIN_FORM.match(vin):
            problems.append(
                Problem(file, number, "vin", vin, "not a VIN", "17 characters, no I, O or Q")
            )
        else:
            links.setdefault(reference, set()).add(vin)
    if problems:
        raise InvalidInput(f"links file {file}", problems)
    return links


def _csv_rows(
    text: str, file: str, required: tuple[str, ...]
) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        hint = f"the first row must name the columns {', '.join(required)}"
        return [], [Problem(file, 1, missing[0], None, "missing column", hint)]
    reader.fieldnames = header
    return [(i, row) for i, row in enumerate(reader, start=2)], []


def read_events(data: bytes, file: str) -> list[Any]:
    """The events of a DCSA file: a JSON array (what GET /v2/events answers) or one event."""
    try:
        parsed = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"DCSA events in {file}",
            [Problem(file, None, None, None, f"not UTF-8 text ({error.reason})", "send JSON")],
        ) from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise InvalidInput(
            f"DCSA events in {file}",
            [Problem(file, None, None, None, f"not JSON: {error.msg} at {where}", "send JSON")],
        ) from None
    return parsed if isinstance(parsed, list) else [parsed]
