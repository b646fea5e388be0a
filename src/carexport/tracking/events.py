"""Milestone events as data: parsing, identity, and the status they imply (pure functions).

Status is computed from the events ordered by (event time, milestone rank, event id), so
the same set of events gives the same status in whatever order they arrived. Nothing here
touches the database.

Event frame columns: event_id (str), vin (str), code (str), node (str|null),
lane_id (str|null), event_time (datetime UTC), reported_time (datetime UTC|null),
source (str|null).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import polars as pl

from carexport.errors import Problem

# Milestones in the order they happen to one vehicle; the rank breaks ties at equal times.
MOVEMENT_CODES = (
    "RELEASED",
    "GATE_OUT",
    "ARRIVED",
    "DISCHARGED",
    "EXPORT_CLEARED",
    "LOADED",
    "DEPARTED",
    "IMPORT_CLEARED",
    "DELIVERED",
)
OTHER_CODES = ("DAMAGE_REPORTED", "HOLD", "HOLD_RELEASED")
CODES = MOVEMENT_CODES + OTHER_CODES
RANK = {code: i for i, code in enumerate(CODES)}
STATUS_OF = {
    "RELEASED": "at_plant",
    "GATE_OUT": "left_plant",
    "ARRIVED": "at_node",
    "DISCHARGED": "at_node",
    "EXPORT_CLEARED": "export_cleared",
    "LOADED": "loaded",
    "DEPARTED": "in_transit",
    "IMPORT_CLEARED": "import_cleared",
    "DELIVERED": "delivered",
}
PRESENT_CODES = ("RELEASED", "GATE_OUT", "ARRIVED", "DISCHARGED", "LOADED", "EXPORT_CLEARED")

# An event as sent: every cell text, checked and typed by typed_events.
RAW_COLUMNS = (
    "event_id",
    "vin",
    "code",
    "node",
    "lane_id",
    "event_time",
    "reported_time",
    "source",
)
EVENT_SCHEMA: dict[str, pl.DataType] = {
    "event_id": pl.String(),
    "vin": pl.String(),
    "code": pl.String(),
    "node": pl.String(),
    "lane_id": pl.String(),
    "event_time": pl.Datetime("us", "UTC"),
    "reported_time": pl.Datetime("us", "UTC"),
    "source": pl.String(),
}


def parse_time(column: str) -> pl.Expr:
    """ISO 8601 with an offset (Z or +08:00) to UTC; without an offset: null (rejected)."""
    text = pl.col(column).str.strip_chars().str.replace(r"Z$", "+00:00")
    return (
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%:z", strict=False, time_unit="us")
        .fill_null(text.str.to_datetime("%Y-%m-%d %H:%M:%S%:z", strict=False, time_unit="us"))
        .dt.convert_time_zone("UTC")
    )


def typed_events(
    raw: pl.DataFrame,
    *,
    known_vins: set[str] | pl.Series,
    known_nodes: set[str],
    now: dt.datetime,
    future_tolerance: dt.timedelta,
    file: str,
) -> tuple[pl.DataFrame, list[Problem]]:
    """Check raw text events; return the good ones typed and one Problem per bad event."""
    frame = raw.with_columns(
        pl.col("vin").str.strip_chars().str.to_uppercase(),
        pl.col("code").str.strip_chars().str.to_uppercase(),
        pl.col("node").str.strip_chars().str.to_uppercase(),
        parse_time("event_time").alias("_time"),
        parse_time("reported_time").alias("_reported"),
    )
    vins = (
        known_vins
        if isinstance(known_vins, pl.Series)
        else pl.Series(list(known_vins), dtype=pl.String)
    )
    latest = now + future_tolerance
    reasons: Any = pl.when(pl.col("vin").is_null()).then(pl.lit("vin: missing"))
    checks = [
        (~pl.col("vin").is_in(vins.implode()), pl.format("vin: unknown VIN {}", pl.col("vin"))),
        (
            pl.col("code").is_null() | ~pl.col("code").is_in(list(CODES)),
            pl.format(
                "code: unknown event code {}; use one of " + ", ".join(CODES), pl.col("code")
            ),
        ),
        (
            pl.col("node").is_not_null() & ~pl.col("node").is_in(sorted(known_nodes)),
            pl.format("node: unknown node {}", pl.col("node")),
        ),
        (
            pl.col("_time").is_null(),
            pl.format(
                "event_time: {} is not an ISO 8601 time with an offset (e.g. "
                "2027-01-05T08:30:00+08:00)",
                pl.col("event_time"),
            ),
        ),
        (
            pl.col("_time") > pl.lit(latest),
            pl.format(
                "event_time: {} is in the future (beyond {} of tolerance)",
                pl.col("event_time"),
                pl.lit(str(future_tolerance)),
            ),
        ),
        (
            pl.col("reported_time").is_not_null() & pl.col("_reported").is_null(),
            pl.format(
                "reported_time: {} is not an ISO 8601 time with an offset", pl.col("reported_time")
            ),
        ),
    ]
    for failing, message in checks:
        reasons = reasons.when(failing).then(message)
    frame = frame.with_columns(reasons.otherwise(None).alias("_reason"))
    bad = frame.filter(pl.col("_reason").is_not_null())
    problems = []
    for item in bad.iter_rows(named=True):
        field, message = item["_reason"].split(": ", 1)
        value = item.get(field)  # the cell as sent, so the sender can find it
        problems.append(
            Problem(
                file,
                item["_row"],
                field,
                None if value is None else str(value),
                message,
                "correct the event and send it again",
            )
        )
    good = frame.filter(pl.col("_reason").is_null()).with_columns(
        pl.col("_time").alias("event_time"), pl.col("_reported").alias("reported_time")
    )
    good = good.with_columns(pl.col("event_id").str.strip_chars())
    missing = good.filter(pl.col("event_id").is_null())
    if missing.height:  # hashing is per row in Python: only for events sent without an id
        hashed = missing.with_columns(content_ids(missing).alias("event_id"))
        good = pl.concat([good.filter(pl.col("event_id").is_not_null()), hashed]).sort("_row")
    return good.select([pl.col(c).cast(t) for c, t in EVENT_SCHEMA.items()] + ["_row"]), problems


def content_ids(events: pl.DataFrame) -> pl.Series:
    """An id for events sent without one: a hash of what the event says."""
    text = events.select(
        pl.concat_str(
            [
                pl.col("vin"),
                pl.col("code"),
                pl.col("node").fill_null(""),
                pl.col("lane_id").fill_null(""),
                pl.col("event_time").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"),
            ],
            separator="|",
        )
    )
    return pl.Series(
        [f"h:{hashlib.sha1(t.encode()).hexdigest()[:30]}" for t in text.to_series().to_list()],
        dtype=pl.String,
    )


def in_order(events: pl.DataFrame) -> pl.DataFrame:
    """Events with their milestone rank (_rank), sorted by VIN and then in the order that
    decides status: event time, rank, event id. A frame that already has _rank is taken
    as sorted (so a caller that needs the order twice sorts once)."""
    if "_rank" in events.columns:
        return events
    return events.with_columns(
        pl.col("code").replace_strict(RANK, return_dtype=pl.Int64).alias("_rank")
    ).sort("vin", "event_time", "_rank", "event_id")


def statuses(events: pl.DataFrame) -> pl.DataFrame:
    """The current status of every VIN in events (all of its events must be there)."""
    ordered = in_order(events)
    movement = ordered.filter(pl.col("code").is_in(list(MOVEMENT_CODES)))
    last_move = movement.group_by("vin").agg(
        pl.col("code").last().alias("_move"), pl.col("node").drop_nulls().last().alias("location")
    )
    holds = (
        ordered.filter(pl.col("code").is_in(["HOLD", "HOLD_RELEASED"]))
        .group_by("vin")
        .agg((pl.col("code").last() == "HOLD").alias("on_hold"))
    )
    departed = (
        ordered.filter(pl.col("code") == "DEPARTED")
        .group_by("vin")
        .agg(pl.col("event_time").max().alias("_last_departed"))
    )
    summary = ordered.group_by("vin").agg(
        pl.col("event_id").last().alias("last_event_id"),
        pl.col("code").last().alias("last_code"),
        pl.col("event_time").last().alias("last_event_time"),
        pl.len().cast(pl.Int64).alias("events"),
        pl.col("event_time").filter(pl.col("code") == "DELIVERED").min().alias("delivered_at"),
        pl.col("event_time")
        .filter(pl.col("code") == "EXPORT_CLEARED")
        .min()
        .alias("export_cleared_at"),
        (pl.col("code") == "DAMAGE_REPORTED").any().alias("damaged"),
    )
    result = (
        summary.join(last_move, on="vin", how="left")
        .join(holds, on="vin", how="left")
        .join(departed, on="vin", how="left")
        .join(_departures_without_presence(ordered), on="vin", how="left")
    )
    return (
        result.with_columns(
            pl.col("on_hold").fill_null(False),
            (
                pl.col("_bad_departures").fill_null(0)
                + (pl.col("delivered_at") < pl.col("_last_departed"))
                .fill_null(False)
                .cast(pl.Int64)
            ).alias("sequence_violations"),
        )
        .with_columns(
            pl.when(pl.col("delivered_at").is_not_null())
            .then(pl.lit("delivered"))
            .when(pl.col("on_hold"))
            .then(pl.lit("on_hold"))
            .otherwise(pl.col("_move").replace_strict(STATUS_OF, default="reported"))
            .alias("status"),
        )
        .select(
            "vin",
            "status",
            "location",
            "last_event_id",
            "last_code",
            "last_event_time",
            "events",
            "delivered_at",
            "on_hold",
            "damaged",
            "sequence_violations",
            "export_cleared_at",
        )
        .sort("vin")
    )


def _departures_without_presence(ordered: pl.DataFrame) -> pl.DataFrame:
    """Per VIN, departures from a node with no earlier event placing the vehicle there."""
    departures = ordered.filter((pl.col("code") == "DEPARTED") & pl.col("node").is_not_null())
    present = (
        ordered.filter(pl.col("code").is_in(list(PRESENT_CODES)) & pl.col("node").is_not_null())
        .group_by("vin", "node")
        .agg(pl.col("event_time").min().alias("_first"))
    )
    joined = departures.join(present, on=["vin", "node"], how="left")
    return joined.group_by("vin").agg(
        (pl.col("_first").is_null() | (pl.col("_first") > pl.col("event_time")))
        .sum()
        .cast(pl.Int64)
        .alias("_bad_departures")
    )
