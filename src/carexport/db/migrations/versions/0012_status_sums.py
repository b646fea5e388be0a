"""tracking: the statuses counted per status (vehicle_status_sum); statuses flagged when
an exception whatever the time (late, on hold, damaged, out of sequence), and indexed by
that flag and by status and last event time

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 04:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vehicle_status_sum",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        *(
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in ("vehicles", "events", "late", "on_hold", "damaged")
        ),
        sa.Column("delay_hours", sa.Float(), nullable=False),
        sa.Column("writes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "status", name=op.f("pk_vehicle_status_sum")),
    )
    # The same counts as tracking.status_store.status_contributions, in SQL.
    op.execute(
        """
        INSERT INTO vehicle_status_sum
            (org_id, status, vehicles, events, late, on_hold, damaged, delay_hours, writes)
        SELECT org_id, status, COUNT(*), COALESCE(SUM(events), 0),
               SUM(CASE WHEN days_late > 0 THEN 1 ELSE 0 END),
               SUM(CASE WHEN on_hold THEN 1 ELSE 0 END),
               SUM(CASE WHEN damaged THEN 1 ELSE 0 END),
               COALESCE(SUM(delay_hours), 0), COUNT(*)
          FROM vehicle_status
         GROUP BY org_id, status
        """
    )
    op.add_column(
        "vehicle_status",
        sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    # The same rule as tracking.status_store.FLAGGED, in SQL.
    op.execute(
        """
        UPDATE vehicle_status SET flagged = (
            COALESCE(days_late, 0) > 0 OR (delivered_at IS NULL AND on_hold) OR damaged
            OR sequence_violations > 0)
        """
    )
    op.create_index(
        "ix_vehicle_status_org_id_status_last_event_time",
        "vehicle_status",
        ["org_id", "status", "last_event_time"],
    )
    op.create_index("ix_vehicle_status_org_id_flagged", "vehicle_status", ["org_id", "flagged"])


def downgrade() -> None:
    op.drop_index("ix_vehicle_status_org_id_flagged", table_name="vehicle_status")
    op.drop_index("ix_vehicle_status_org_id_status_last_event_time", table_name="vehicle_status")
    op.drop_column("vehicle_status", "flagged")
    op.drop_table("vehicle_status_sum")
