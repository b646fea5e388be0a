"""export KPIs: statistics with periods, bases and units; exchange rates; plant production
start; each VIN's export date (customs and planned), kept beside its status and plan, and
the vehicles exported per month and order

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:10:00
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The year-only metrics of 0001 and what they become: (metric, unit).
_OLD_METRICS = {
    "export_value_cny_bn": ("export_value", "cny_bn"),
    "nev_export_value_cny_bn": ("nev_export_value", "cny_bn"),
}


def _new_statistic_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=24), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("approximate", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint(
            "org_id",
            "scope",
            "metric",
            "period_start",
            "period_end",
            "basis",
            "unit",
            name=op.f("pk_network_export_statistic"),
        ),
    )


def upgrade() -> None:
    connection = op.get_bind()
    old = sa.table(
        "network_export_statistic",
        sa.column("org_id"),
        sa.column("scope"),
        sa.column("year"),
        sa.column("metric"),
        sa.column("value"),
        sa.column("basis"),
        sa.column("source", sa.JSON()),
    )
    rows = connection.execute(sa.select(old)).mappings().all()
    op.drop_table("network_export_statistic")
    _new_statistic_table("network_export_statistic")
    moved = []
    for row in rows:
        metric, unit = _OLD_METRICS.get(row["metric"], (row["metric"], "units"))
        basis = row["basis"] or ("STATS" if "output" in row["metric"] else "MUNICIPAL")
        moved.append(
            {
                "org_id": row["org_id"],
                "scope": row["scope"],
                "metric": metric,
                "period_start": dt.date(row["year"], 1, 1),
                "period_end": dt.date(row["year"], 12, 31),
                "basis": basis,
                "unit": unit,
                "value": row["value"],
                "approximate": False,
                "note": "moved from the year-only statistics of revision 0001",
                "source": row["source"],
            }
        )
    if moved:
        new = sa.table(
            "network_export_statistic",
            *(sa.column(k) for k in moved[0] if k != "source"),
            sa.column("source", sa.JSON()),
        )
        connection.execute(sa.insert(new), moved)
    op.create_table(
        "network_exchange_rate",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("cny_per_usd", sa.Float(), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "month", name=op.f("pk_network_exchange_rate")),
    )
    with op.batch_alter_table("network_node") as batch:
        batch.add_column(sa.Column("production_start", sa.Date(), nullable=True))
    with op.batch_alter_table("vehicle_status") as batch:
        batch.add_column(sa.Column("export_cleared_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("vehicle_plan") as batch:
        batch.add_column(sa.Column("planned_export_at", sa.DateTime(timezone=True), nullable=True))
    # The NEV export-value target reused total export value's metric name.
    connection.execute(
        sa.text(
            "UPDATE network_target SET metric = 'nev_export_value'"
            " WHERE id = 'T_CQ_NEV_EXPORT_VALUE_2027'"
        )
    )
    op.create_table(
        "export_count",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("basis", sa.String(length=8), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("vehicles", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "org_id", "basis", "month", "order_id", name=op.f("pk_export_count")
        ),
    )
    # Statuses stored before 0005 do not know their export date: derive it from the events.
    connection.execute(
        sa.text(
            "UPDATE vehicle_status SET export_cleared_at = ("
            " SELECT min(e.event_time) FROM tracking_event e"
            " WHERE e.org_id = vehicle_status.org_id AND e.vin = vehicle_status.vin"
            " AND e.code = 'EXPORT_CLEARED')"
        )
    )
    _planned_exports_from_milestones(connection)
    _count_exports(connection)


_PLANNED = re.compile(r"EXPORT_CLEARED\|[^|;]*\|[^|;]*\|(-?\d+)")


def _planned_exports_from_milestones(connection: sa.Connection) -> None:
    plan = sa.table(
        "vehicle_plan",
        sa.column("org_id"),
        sa.column("vin"),
        sa.column("milestones"),
        sa.column("planned_export_at", sa.DateTime(timezone=True)),
    )
    rows = connection.execute(sa.select(plan.c.org_id, plan.c.vin, plan.c.milestones)).all()
    changes = []
    for org_id, vin, milestones in rows:
        found = _PLANNED.search(milestones or "")
        if found:
            at = dt.datetime.fromtimestamp(int(found.group(1)), dt.UTC)
            changes.append({"o": org_id, "v": vin, "at": at})
    if changes:
        connection.execute(
            plan.update()
            .where(plan.c.org_id == sa.bindparam("o"), plan.c.vin == sa.bindparam("v"))
            .values(planned_export_at=sa.bindparam("at")),
            changes,
        )


def _count_exports(connection: sa.Connection) -> None:
    """The export counts of what is already stored (as ingest and planning keep them)."""
    postgres = connection.dialect.name == "postgresql"
    for basis, table, column in (
        ("customs", "vehicle_status", "export_cleared_at"),
        ("planned", "vehicle_plan", "planned_export_at"),
    ):
        month = (
            f"to_char(s.{column} AT TIME ZONE 'UTC', 'YYYY-MM')"
            if postgres
            else f"substr(s.{column}, 1, 7)"
        )
        connection.execute(
            sa.text(
                "INSERT INTO export_count (org_id, basis, month, order_id, vehicles)"
                f" SELECT s.org_id, '{basis}', {month}, v.order_id, count(*)"
                f" FROM {table} s JOIN order_vehicle v ON v.org_id = s.org_id AND v.vin = s.vin"
                f" WHERE s.{column} IS NOT NULL GROUP BY s.org_id, {month}, v.order_id"
            )
        )


def downgrade() -> None:
    op.drop_table("export_count")
    with op.batch_alter_table("vehicle_plan") as batch:
        batch.drop_column("planned_export_at")
    with op.batch_alter_table("vehicle_status") as batch:
        batch.drop_column("export_cleared_at")
    with op.batch_alter_table("network_node") as batch:
        batch.drop_column("production_start")
    op.drop_table("network_exchange_rate")
    op.drop_table("network_export_statistic")
    op.create_table(
        "network_export_statistic",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint(
            "org_id", "scope", "year", "metric", "basis", name=op.f("pk_network_export_statistic")
        ),
    )
