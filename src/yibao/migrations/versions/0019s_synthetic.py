"""synthetic region / demo: an index on enrol_relation(psn_no) for settlement's reads by person number

Revision ID: 0019s
Revises: 0018
Create Date: 2026-11-24 16:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019s"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Settlement reads a person's relations by person number at every registration and bill; without an
    index each read scanned the whole relation table (linear in the region's size)."""
    op.create_index("ix_enrol_relation_psn_no", "enrol_relation", ["psn_no"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_enrol_relation_psn_no", table_name="enrol_relation")
