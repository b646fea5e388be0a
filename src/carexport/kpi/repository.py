"""The KPI engine's one query: exported vehicles aggregated in the database.

The other domains hand over queries (tracking: which VIN was exported when, on a basis;
orders: what each VIN is and where it goes); this joins them and groups by month, brand,
variant, origin and destination, so a million VINs come back as a few thousand rows.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Subquery, func, literal_column, select
from sqlalchemy.orm import Session

from carexport.db.bulk import read_frame

CUBE_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.String(),  # YYYY-MM, UTC
    "brand": pl.String(),
    "variant": pl.String(),
    "origin": pl.String(),
    "country": pl.String(),
    "vehicles": pl.Int64(),
    "value_usd": pl.Float64(),
}


def export_cube(session: Session, exported: Subquery, line: Subquery) -> pl.DataFrame:
    """exported: vin, exported_at; line: vin, brand_id, variant_id, origin_node,
    destination_country, dealer_id, unit_value_usd. Returns CUBE_SCHEMA, one row per month
    and combination that has exports."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        month = func.to_char(func.timezone("UTC", exported.c.exported_at), "YYYY-MM")
    else:  # SQLite keeps UTC times as ISO text
        month = func.substr(exported.c.exported_at, 1, 7)
    query = (
        select(
            month.label("month"),
            line.c.brand_id,
            line.c.variant_id,
            line.c.origin_node,
            line.c.destination_country,
            func.count().label("vehicles"),
            func.coalesce(func.sum(line.c.unit_value_usd), literal_column("0.0")),
        )
        .select_from(exported)
        .join(line, line.c.vin == exported.c.vin)
        .group_by(
            literal_column("1"),
            line.c.brand_id,
            line.c.variant_id,
            line.c.origin_node,
            line.c.destination_country,
        )
    )
    return read_frame(session, query, CUBE_SCHEMA)
