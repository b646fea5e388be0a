"""The KPI engine's one query: exported vehicles aggregated in the database.

The other domains hand over subqueries (tracking: vehicles exported per month and order on
a basis, counted as events and plans arrive; orders: what each order is and where it
goes); this joins them and groups by month, brand, variant, origin and destination. It
reads one row per order and month, never one per VIN: a million VINs are some tens of
thousands of rows.
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
    """exported: month, order_id, vehicles (tracking's export counts); line: order_id,
    brand_id, variant_id, origin_node, destination_country, dealer_id, unit_value_usd.
    Returns CUBE_SCHEMA, one row per month and combination that has exports."""
    query = (
        select(
            exported.c.month,
            line.c.brand_id,
            line.c.variant_id,
            line.c.origin_node,
            line.c.destination_country,
            func.sum(exported.c.vehicles).label("vehicles"),
            func.coalesce(
                func.sum(exported.c.vehicles * line.c.unit_value_usd), literal_column("0.0")
            ),
        )
        .select_from(exported)
        .join(line, line.c.order_id == exported.c.order_id)
        .where(exported.c.vehicles != 0)
        .group_by(
            exported.c.month,
            line.c.brand_id,
            line.c.variant_id,
            line.c.origin_node,
            line.c.destination_country,
        )
    )
    return read_frame(session, query, CUBE_SCHEMA)
