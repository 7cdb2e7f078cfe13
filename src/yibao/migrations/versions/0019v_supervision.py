"""supervision: the re-entry ban (禁入期) a termination decision carries

Revision ID: 0019v
Revises: 0018
Create Date: 2026-11-24 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019v"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Terminations keep their ban: years without a new agreement, or a permanent exit."""
    with op.batch_alter_table("supervision_decision") as batch:
        batch.add_column(sa.Column("ban_years", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("ban_permanent", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Drop the ban columns."""
    with op.batch_alter_table("supervision_decision") as batch:
        batch.drop_column("ban_permanent")
        batch.drop_column("ban_years")
