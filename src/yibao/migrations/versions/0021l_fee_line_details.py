"""Fee lines keep their ordering department and doctor, supply days and discharge-drug flag; visits keep
how the patient left (离院方式), as the national fee upload and discharge send them.

Revision ID: 0021l
Revises: 0020
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021l"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the columns (all optional: lines uploaded before keep them empty)."""
    with op.batch_alter_table("setl_fee_line") as batch:
        batch.add_column(sa.Column("bilg_dept_codg", sa.String(30), nullable=True))
        batch.add_column(sa.Column("bilg_dr_codg", sa.String(30), nullable=True))
        batch.add_column(sa.Column("prd_days", sa.Numeric(6, 2), nullable=True))
        batch.add_column(sa.Column("dscg_tkdrug_flag", sa.String(3), nullable=True))
    with op.batch_alter_table("setl_visit") as batch:
        batch.add_column(sa.Column("dscg_way", sa.String(8), nullable=True))


def downgrade() -> None:
    """Drop the columns."""
    with op.batch_alter_table("setl_visit") as batch:
        batch.drop_column("dscg_way")
    with op.batch_alter_table("setl_fee_line") as batch:
        batch.drop_column("dscg_tkdrug_flag")
        batch.drop_column("prd_days")
        batch.drop_column("bilg_dr_codg")
        batch.drop_column("bilg_dept_codg")
