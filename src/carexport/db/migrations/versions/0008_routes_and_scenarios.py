"""network route settings (routes.csv: Suez closed by default) and stored scenario runs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "network_route",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=32), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "route", name=op.f("pk_network_route")),
    )
    op.create_table(
        "scenario_run",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scenarios", sa.JSON(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("executor", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("specs", sa.Text(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_scenario_run")),
    )
    op.create_table(
        "scenario_sample",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("scenario", sa.String(length=64), nullable=False),
        sa.Column("sample", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("vehicles", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("unserved", sa.Integer(), nullable=False),
        sa.Column("co2e_kg", sa.Float(), nullable=False),
        sa.Column("lead_days_by_market", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint(
            "org_id", "run_id", "scenario", "sample", name=op.f("pk_scenario_sample")
        ),
    )


def downgrade() -> None:
    op.drop_table("scenario_sample")
    op.drop_table("scenario_run")
    op.drop_table("network_route")
