"""Benchmark: import a DCSA Track & Trace 2.2 file (tracking.dcsa.import_dcsa) against
ingesting the same milestones in carexport's own format, and export the event feed.

The world (bench/tracking_world.py): the Chongqing network, --vins VINs imported the real
way, every VIN's plan on its market's fastest path. From the plans, a carrier's file:
per order and ocean lane a booking with a vessel departure (TRANSPORT DEPA) and arrival
(ARRI), tied to the order's VINs through a links file (booking -> VINs); per VIN a load
(EQUIPMENT LOAD) and a discharge (DISC), tied by the VIN in `references`; times a few
hours after the plan's, in local time (+08:00) on the Chinese side. Only events already
past are written (ingest refuses the future).

Figures, per store, in the same run:
  * dcsa:    import_dcsa on the file (read JSON, map, tie, place, plan lanes, ingest,
             commit), into a store with the world and no events;
  * native:  the same carexport events (those the mapping made) through ingest alone,
             into a second such store: the peer, what the events cost without DCSA;
  * feed:    carexport events export's document (feed_document) of every tracked VIN,
             beside its floor: the same reads (statuses, events, plans) without the JSON.
Goal: the DCSA import at >= 50% of the native rate (mapping at most doubles the cost).

    uv run python bench/bench_dcsa.py                  # 50k VINs
    uv run python bench/bench_dcsa.py --vins 200000
    uv run python bench/bench_dcsa.py --smoke          # seconds; what CI runs

PostgreSQL is used when CAREXPORT_TEST_DATABASE_URL (or --pg URL) names a server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

from carexport.db.session import make_engine, unit_of_work
from carexport.network import service as network_service
from carexport.network.snapshot import NetworkSnapshot
from carexport.tracking import repository as tracking_repository
from carexport.tracking.dcsa import import_dcsa, map_events
from carexport.tracking.dcsa_inputs import Locations, builtin_locations
from carexport.tracking.feed import feed_document, feed_vins
from carexport.tracking.ingest import ingest, raw_frame
from common import database
from tracking_world import ORG, World, load_world, make_world

GOAL_SHARE = 0.5
OCEAN = ("ocean_roro", "ocean_container")
# The bench's own terminal codes for the two Shanghai nodes (CNSHA is both).
SHANGHAI = {"CN_SH_HAITONG": ("CNSHA", "HTG"), "CN_SH_YANGSHAN": ("CNSHA", "YSH")}


def place_codes(snapshot: NetworkSnapshot) -> tuple[dict[str, tuple[str, str]], Locations]:
    """node -> (UN/LOCODE, facility) for every node, and the locations table that maps
    the bench's Shanghai facilities back."""
    builtin = {nodes[0]: key for key, nodes in builtin_locations().nodes_of.items()}
    codes = {}
    for node in snapshot.nodes:
        country, _, rest = node.partition("_")
        codes[node] = SHANGHAI.get(node) or builtin.get(node) or (country + rest, "")
    return codes, Locations({code: (node,) for node, code in SHANGHAI.items()})


def carrier_file(world: World) -> tuple[list[dict[str, Any]], dict[str, set[str]]]:
    """The DCSA events of the world's ocean legs (see the module's text) and the links."""
    codes, _ = place_codes(world.snapshot)
    ocean_lanes = [
        lane_id for lane_id, lane in world.snapshot.lanes.items() if lane.mode.value in OCEAN
    ]
    legs = (
        world.milestones.filter(pl.col("lane_id").is_in(ocean_lanes))
        .join(world.vehicles.select("vin", "order_id"), on="vin")
        .group_by("vin", "order_id", "lane_id")
        .agg(
            pl.col("node").filter(pl.col("code") == "DEPARTED").first().alias("port_out"),
            pl.col("node").filter(pl.col("code") == "ARRIVED").first().alias("port_in"),
            pl.col("planned_at").filter(pl.col("code") == "DEPARTED").first().alias("out_at"),
            pl.col("planned_at").filter(pl.col("code") == "ARRIVED").first().alias("in_at"),
        )
        .sort("order_id", "lane_id", "vin")
    )
    latest = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    events: list[dict[str, Any]] = []
    links: dict[str, set[str]] = {}

    def add(kind: str, code: str, node: str, at: dt.datetime, **tie: Any) -> None:
        if at > latest:
            return
        unlocode, facility = codes[node]
        local = at.astimezone(dt.timezone(dt.timedelta(hours=8 if node.startswith("CN") else 0)))
        field = "transportEventTypeCode" if kind == "TRANSPORT" else "equipmentEventTypeCode"
        place = {"UNLocationCode": unlocode, **({"facilityCode": facility} if facility else {})}
        events.append(
            {
                "eventID": f"bench-{len(events)}",
                "eventType": kind,
                "eventClassifierCode": "ACT",
                "eventDateTime": local.isoformat(),
                "eventCreatedDateTime": (local + dt.timedelta(minutes=20)).isoformat(),
                field: code,
                "transportCall": {"transportCallID": f"{node}-{at:%Y%m%d}", **place},
                **tie,
            }
        )

    for (order_id, lane_id), group in legs.group_by("order_id", "lane_id", maintain_order=True):
        booking = f"BKG-{order_id}-{lane_id}"
        links[booking] = set(group["vin"])
        first = group.row(0, named=True)
        documents = [{"documentReferenceType": "BKG", "documentReferenceValue": booking}]
        hours = dt.timedelta(hours=6)
        add(
            "TRANSPORT",
            "DEPA",
            first["port_out"],
            first["out_at"] + hours,
            documentReferences=documents,
        )
        add(
            "TRANSPORT",
            "ARRI",
            first["port_in"],
            first["in_at"] + hours,
            documentReferences=documents,
        )
        for vin, port_out, port_in, out_at, in_at in group.select(
            "vin", "port_out", "port_in", "out_at", "in_at"
        ).iter_rows():
            mine = [{"referenceType": "CR", "referenceValue": vin}]
            add("EQUIPMENT", "LOAD", port_out, out_at - dt.timedelta(hours=3), references=mine)
            add("EQUIPMENT", "DISC", port_in, in_at + dt.timedelta(hours=10), references=mine)
    return events, links


def run(
    kind: str, world: World, data: bytes, links: dict[str, set[str]], workdir: Path, pg: str | None
) -> dict[str, float]:
    _, locations = place_codes(world.snapshot)
    with database(kind, workdir, pg) as dcsa_url, database(kind, workdir, pg) as native_url:
        load_world(dcsa_url, world)
        load_world(native_url, world)
        engine = make_engine(dcsa_url)
        started = time.perf_counter()
        with unit_of_work(engine) as session:
            report = import_dcsa(
                session, ORG, data, file="bench.json", links=links, locations=locations
            )
        dcsa_s = time.perf_counter() - started
        stored = report.ingest.stored
        started = time.perf_counter()
        with unit_of_work(engine) as session:
            vins = feed_vins(session, ORG)
            size = sum(
                len(piece)
                for piece in feed_document(session, ORG, vins, now=dt.datetime.now(dt.UTC))
            )
        feed_s = time.perf_counter() - started
        # The feed's floor: the three reads it makes per chunk of VINs, without the JSON.
        started = time.perf_counter()
        with unit_of_work(engine) as session:
            for start in range(0, len(vins), 5_000):
                part = vins[start : start + 5_000]
                tracking_repository.all_statuses(session, ORG, part)
                tracking_repository.events_of(session, ORG, part)
                tracking_repository.plans_of(session, ORG, part)
        reads_s = time.perf_counter() - started
        engine.dispose()

        native = make_engine(native_url)
        with unit_of_work(native) as session:
            nodes = network_service.node_ids(session, ORG)
        mapped = map_events(
            json.loads(data),
            file="bench.json",
            locations=locations.merged_over(builtin_locations()),
            nodes=nodes,
            links=links,
        )
        raw = raw_frame(mapped.records)
        started = time.perf_counter()
        with unit_of_work(native) as session:
            again = ingest(session, ORG, raw, source="native")
        native_s = time.perf_counter() - started
        native.dispose()
    assert again.stored == stored, (again.stored, stored)
    return {
        "dcsa events": report.events,
        "stored": stored,
        "dcsa_rate": stored / dcsa_s,
        "native_rate": stored / native_s,
        "feed_vins": len(vins),
        "feed_rate": len(vins) / feed_s,
        "feed_mb": size / 1e6,
        "reads_rate": len(vins) / reads_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vins", type=int, default=50_000)
    parser.add_argument("--pg", default=os.environ.get("CAREXPORT_TEST_DATABASE_URL"))
    parser.add_argument("--smoke", action="store_true", help="a small run, to check it works")
    args = parser.parse_args()
    vins = 1_000 if args.smoke else args.vins
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        world = make_world(vins, workdir=workdir)
        events, links = carrier_file(world)
        data = json.dumps(events).encode()
        print(
            f"{vins:,} VINs; DCSA file of {len(events):,} events ({len(data) / 1e6:.1f} MB), {len(links):,} bookings"
        )
        kinds = ["sqlite"] + (["postgresql"] if args.pg else [])
        for kind in kinds:
            figures = run(kind, world, data, links, workdir, args.pg)
            share = figures["dcsa_rate"] / figures["native_rate"]
            verdict = "met" if share >= GOAL_SHARE else "MISSED"
            print(
                f"{kind}: {figures['stored']:,.0f} milestone events; "
                f"dcsa {figures['dcsa_rate']:,.0f} events/s, native {figures['native_rate']:,.0f} events/s "
                f"-> {share:.0%} of native (goal >= {GOAL_SHARE:.0%}: {verdict}); "
                f"feed {figures['feed_vins']:,.0f} VINs at {figures['feed_rate']:,.0f} VINs/s "
                f"({figures['feed_mb']:.1f} MB; its reads alone {figures['reads_rate']:,.0f} VINs/s)"
            )


if __name__ == "__main__":
    main()
