"""lanes' dates of service (valid_from, valid_to)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("network_lane") as batch:
        batch.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch.add_column(sa.Column("valid_to", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("network_lane") as batch:
        batch.drop_column("valid_to")
        batch.drop_column("valid_from")
