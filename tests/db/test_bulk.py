"""Bulk writes and frame reads give back exactly what was written, on both backends."""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Engine, select

from carexport.db.bulk import frame_for_keys, insert_frame, read_frame, upsert_frame
from carexport.db.session import unit_of_work
from carexport.tracking.repository import STATUS_SCHEMA
from carexport.tracking.tables import VehicleStatusRow

ORG = "o'reilly; drop table x --"  # a quote and SQL in an organisation id stay data


def status(vin: str, events: int, delivered: dt.datetime | None) -> dict[str, object]:
    return {
        "vin": vin,
        "status": "delivered" if delivered else "in_transit",
        "location": None if delivered else "CN_CQ_YUZUI",
        "last_event_id": f"{vin}-1",
        "last_code": "DEPARTED",
        "last_event_time": dt.datetime(2027, 1, 5, 9, 30, 0, 250_000, tzinfo=dt.UTC),
        "events": events,
        "delivered_at": delivered,
        "on_hold": events % 2 == 0,
        "damaged": False,
        "sequence_violations": 0,
        "plan_id": None,
        "matched_seq": 3,
        "matched_at": dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.UTC),
        "delay_hours": 1.25,
        "eta": dt.datetime(2027, 2, 1, tzinfo=dt.UTC),
        "eta_p90": dt.datetime(2027, 2, 3, 12, tzinfo=dt.UTC),
        "due_date": dt.date(2027, 2, 2),
        "days_late": 0,
    }


def test_written_rows_read_back_as_the_same_frame(engine: Engine) -> None:
    rows = [
        status("V1", 1, None),
        status("V2", 2, dt.datetime(2027, 1, 20, 23, 59, 59, tzinfo=dt.UTC)),
    ]
    frame = pl.DataFrame(rows, schema=STATUS_SCHEMA)
    with unit_of_work(engine) as session:
        insert_frame(session, "vehicle_status", frame.select(pl.lit(ORG).alias("org_id"), pl.all()))
    columns = [getattr(VehicleStatusRow, c) for c in STATUS_SCHEMA]
    with unit_of_work(engine) as session:
        everything = read_frame(
            session, select(*columns).where(VehicleStatusRow.org_id == ORG), STATUS_SCHEMA
        )
        by_key = frame_for_keys(
            session, VehicleStatusRow, "vin", ["V2", "NONE"], STATUS_SCHEMA, ORG
        )
        nothing = read_frame(
            session, select(*columns).where(VehicleStatusRow.org_id == "other"), STATUS_SCHEMA
        )
    assert everything.sort("vin").equals(frame)
    assert by_key.equals(frame.filter(pl.col("vin") == "V2"))
    assert nothing.is_empty() and nothing.schema == frame.schema


def test_upsert_replaces_by_key_and_inserts_the_rest(engine: Engine) -> None:
    first = pl.DataFrame([status("V1", 1, None), status("V2", 1, None)], schema=STATUS_SCHEMA)
    second = pl.DataFrame([status("V2", 5, None), status("V3", 1, None)], schema=STATUS_SCHEMA)
    for frame in (first, second):
        with unit_of_work(engine) as session:
            upsert_frame(
                session,
                "vehicle_status",
                frame.select(pl.lit(ORG).alias("org_id"), pl.all()),
                key=("org_id", "vin"),
            )
    with unit_of_work(engine) as session:
        got = read_frame(
            session,
            select(VehicleStatusRow.vin, VehicleStatusRow.events).order_by(VehicleStatusRow.vin),
            {"vin": pl.String(), "events": pl.Int64()},
        )
    assert got.rows() == [("V1", 1), ("V2", 5), ("V3", 1)]
