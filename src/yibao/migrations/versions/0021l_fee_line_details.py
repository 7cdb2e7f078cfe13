"""Fee lines keep their ordering department and doctor, supply days and discharge-drug flag; visits keep
how the patient left (离院方式), as the national fee upload and discharge send them; identity checks
(人证核验) at a visit are recorded. On PostgreSQL the tables a settlement updates leave a fifth of each
page free (fillfactor 80), so those updates stay on the page without new index entries (HOT).

Revision ID: 0021l
Revises: 0020
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

IdType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Rows every settlement updates in place: the lines it splits, the visit, the year ledger, the account.
_UPDATED_BY_SETTLEMENT = (
    "setl_fee_line",
    "setl_visit",
    "setl_ledger_counter",
    "setl_person_year",
    "enrol_account",
)

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
    op.create_table(
        "setl_identity_check",
        sa.Column("visit_id", IdType, nullable=False),
        sa.Column("check_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(2), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", IdType, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["setl_visit.id"], name=op.f("fk_setl_identity_check_visit_id_setl_visit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setl_identity_check")),
    )
    op.create_index("ix_setl_identity_check_visit", "setl_identity_check", ["visit_id", "check_time"])
    if op.get_bind().dialect.name == "postgresql":
        for table in _UPDATED_BY_SETTLEMENT:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 80)")


def downgrade() -> None:
    """Drop the table and the columns."""
    if op.get_bind().dialect.name == "postgresql":
        for table in _UPDATED_BY_SETTLEMENT:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    op.drop_index("ix_setl_identity_check_visit", table_name="setl_identity_check")
    op.drop_table("setl_identity_check")
    with op.batch_alter_table("setl_visit") as batch:
        batch.drop_column("dscg_way")
    with op.batch_alter_table("setl_fee_line") as batch:
        batch.drop_column("dscg_tkdrug_flag")
        batch.drop_column("prd_days")
        batch.drop_column("bilg_dr_codg")
        batch.drop_column("bilg_dept_codg")
