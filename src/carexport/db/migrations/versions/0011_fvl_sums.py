"""tracking: the FVL facts summed per grouping and value (vehicle_fvl_sum), and the plans'
milestones per grouping, value and planned time (vehicle_fvl_due)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 03:20:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DURATIONS = (
    "plant_evacuation_h",
    "time_to_port_d",
    "port_dwell_d",
    "shipping_lead_time_d",
    "dealer_delivery_d",
)
MEASURES: dict[str, sa.types.TypeEngine[Any]] = {
    "tracked": sa.BigInteger(),
    **{f"{d}_sum": sa.Float() for d in DURATIONS},
    **{f"{d}_n": sa.BigInteger() for d in DURATIONS},
    **dict.fromkeys(
        ("on_time", "delivered", "damaged", "reported", "timely", "vins"), sa.BigInteger()
    ),
}


def upgrade() -> None:
    op.add_column("vehicle_fvl", sa.Column("planned_seen", sa.Text(), nullable=True))
    op.create_table(
        "vehicle_fvl_sum",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("grouping", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        *(sa.Column(name, kind, nullable=False) for name, kind in MEASURES.items()),
        sa.PrimaryKeyConstraint("org_id", "grouping", "value", name=op.f("pk_vehicle_fvl_sum")),
    )
    op.create_table(
        "vehicle_fvl_due",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("grouping", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("planned_s", sa.BigInteger(), nullable=False),
        sa.Column("expected", sa.BigInteger(), nullable=False),
        sa.Column("seen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "org_id", "grouping", "value", "planned_s", name=op.f("pk_vehicle_fvl_due")
        ),
    )
    _fill()


def _fill() -> None:
    """The kept FVL facts (with their new column) and their sums for every organisation,
    rebuilt from the stored events and plans by the code that keeps them from now on (a
    computation over each VIN's events that SQL would only repeat; it also fills the
    facts of a store from before 0007, which created them empty)."""
    from carexport.tracking.service import rebuild_fvl_facts

    connection = op.get_bind()
    orgs = connection.execute(
        sa.text("SELECT org_id FROM vehicle_plan UNION SELECT org_id FROM vehicle_status")
    ).scalars()
    session = Session(bind=connection)
    for org_id in list(orgs):
        rebuild_fvl_facts(session, org_id)
    session.flush()


def downgrade() -> None:
    op.drop_table("vehicle_fvl_due")
    op.drop_table("vehicle_fvl_sum")
    op.drop_column("vehicle_fvl", "planned_seen")
