"""the next expected milestone of each VIN, kept for the overdue exceptions

vehicle_status.next_seq / next_planned_at (the milestone the current plan expects after
the latest one reached) and vehicle_plan.awaiting_first_at (the first milestone's time
while the VIN has no event), each indexed, filled from the stored plans and statuses.

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


def downgrade() -> None:
    op.drop_index("ix_vehicle_plan_org_id_awaiting_first_at", table_name="vehicle_plan")
    op.drop_index("ix_vehicle_status_org_id_next_planned_at", table_name="vehicle_status")
    with op.batch_alter_table("vehicle_plan") as batch:
        batch.drop_column("awaiting_first_at")
    with op.batch_alter_table("vehicle_status") as batch:
        batch.drop_column("next_planned_at")
        batch.drop_column("next_seq")
