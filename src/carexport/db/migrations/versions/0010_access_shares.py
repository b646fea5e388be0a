"""access: orders shared with a logistics partner or a dealer

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_share",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint(
            "org_id", "partner_id", "scope", "key", name=op.f("pk_access_share")
        ),
    )
    op.create_index(
        op.f("ix_access_share_partner_id"), "access_share", ["partner_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_access_share_partner_id"), table_name="access_share")
    op.drop_table("access_share")
