"""what the control tower's views read, kept per VIN: next milestones and FVL facts

vehicle_status.next_seq / next_planned_at (the milestone the current plan expects after
the latest one reached) and vehicle_plan.awaiting_first_at (the first milestone's time
while the VIN has no event), each indexed, filled from the stored plans and statuses;
and vehicle_fvl, each planned or tracked VIN's finished-vehicle facts (tracking.facts),
filled from the stored events and plans by revision 0011 (which keeps their sums beside
them: a fill here would run today's code against a schema without that table).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vehicle_status") as batch:
        batch.add_column(sa.Column("next_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("next_planned_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("vehicle_plan") as batch:
        batch.add_column(sa.Column("awaiting_first_at", sa.DateTime(timezone=True), nullable=True))
    # Correlated updates, the same SQL on SQLite and PostgreSQL. The milestone after the
    # latest reached one (seq matched_seq + 1, of the VIN's current plan), none once
    # delivered; then the first milestone of VINs with no status yet.
    op.execute(
        """
        UPDATE vehicle_status SET next_planned_at = (
            SELECT e.planned_at FROM vehicle_plan p JOIN expected_milestone e
              ON e.org_id = p.org_id AND e.plan_id = p.plan_id AND e.vin = p.vin
             WHERE p.org_id = vehicle_status.org_id AND p.vin = vehicle_status.vin
               AND e.seq = COALESCE(vehicle_status.matched_seq, 0) + 1)
         WHERE delivered_at IS NULL
        """
    )
    op.execute(
        """
        UPDATE vehicle_status SET next_seq = COALESCE(matched_seq, 0) + 1
         WHERE next_planned_at IS NOT NULL
        """
    )
    op.execute(
        """
        UPDATE vehicle_plan SET awaiting_first_at = (
            SELECT e.planned_at FROM expected_milestone e
             WHERE e.org_id = vehicle_plan.org_id AND e.plan_id = vehicle_plan.plan_id
               AND e.vin = vehicle_plan.vin AND e.seq = 1)
         WHERE NOT EXISTS (
            SELECT 1 FROM vehicle_status s
             WHERE s.org_id = vehicle_plan.org_id AND s.vin = vehicle_plan.vin)
        """
    )
    op.create_index(
        "ix_vehicle_status_org_id_next_planned_at",
        "vehicle_status",
        ["org_id", "next_planned_at"],
    )
    op.create_index(
        "ix_vehicle_plan_org_id_awaiting_first_at", "vehicle_plan", ["org_id", "awaiting_first_at"]
    )
    _create_vehicle_fvl()  # filled by 0011


def _create_vehicle_fvl() -> None:
    op.create_table(
        "vehicle_fvl",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("vin", sa.String(length=64), nullable=False),
        sa.Column("brand", sa.String(length=64), nullable=True),
        sa.Column("market", sa.String(length=2), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("release_month", sa.String(length=7), nullable=True),
        *(
            sa.Column(name, sa.Float(), nullable=True)
            for name in (
                "plant_evacuation_h",
                "time_to_port_d",
                "port_dwell_d",
                "shipping_lead_time_d",
                "dealer_delivery_d",
            )
        ),
        sa.Column("exit_lane", sa.String(length=64), nullable=True),
        sa.Column("exit_mode", sa.String(length=32), nullable=True),
        sa.Column("delivered_day", sa.Date(), nullable=True),
        sa.Column("tracked", sa.Boolean(), nullable=False),
        sa.Column("damaged", sa.Boolean(), nullable=False),
        sa.Column("reported", sa.Integer(), nullable=False),
        sa.Column("timely", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=True),
        sa.Column("seen_mask", sa.BigInteger(), nullable=False),
        sa.Column("expected_count", sa.Integer(), nullable=False),
        sa.Column("seen_count", sa.Integer(), nullable=False),
        sa.Column("first_planned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_planned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("org_id", "vin", name=op.f("pk_vehicle_fvl")),
    )
    op.create_index(
        "ix_vehicle_fvl_org_id_last_planned_at", "vehicle_fvl", ["org_id", "last_planned_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_vehicle_fvl_org_id_last_planned_at", table_name="vehicle_fvl")
    op.drop_table("vehicle_fvl")
    op.drop_index("ix_vehicle_plan_org_id_awaiting_first_at", table_name="vehicle_plan")
    op.drop_index("ix_vehicle_status_org_id_next_planned_at", table_name="vehicle_status")
    with op.batch_alter_table("vehicle_plan") as batch:
        batch.drop_column("awaiting_first_at")
    with op.batch_alter_table("vehicle_status") as batch:
        batch.drop_column("next_planned_at")
        batch.drop_column("next_seq")
