"""review: a returned declaration (退回) frees its month and its cash-claim invoices for a new declaration

Revision ID: 0012b
Revises: 0012
Create Date: 2026-11-24 13:25:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yibao.core.db

revision: str = "0012b"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status <> 'returned'")


def upgrade() -> None:
    with op.batch_alter_table("review_declaration", schema=None) as batch_op:
        batch_op.drop_constraint("uq_review_declaration_fixmedins_code_period", type_="unique")
        batch_op.add_column(sa.Column("returned_at", yibao.core.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("returned_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("return_reason", sa.String(length=500), nullable=True))
    with op.batch_alter_table("review_cash_claim", schema=None) as batch_op:
        batch_op.drop_constraint("uq_review_cash_claim_fixmedins_code_invoice_no", type_="unique")
        batch_op.create_index("ix_review_cash_claim_invoice", ["fixmedins_code", "invoice_no"], unique=False)
    op.create_index(
        "uq_review_declaration_open_month",
        "review_declaration",
        ["fixmedins_code", "period"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("uq_review_declaration_open_month", table_name="review_declaration")
    with op.batch_alter_table("review_cash_claim", schema=None) as batch_op:
        batch_op.drop_index("ix_review_cash_claim_invoice")
        batch_op.create_unique_constraint(
            "uq_review_cash_claim_fixmedins_code_invoice_no", ["fixmedins_code", "invoice_no"]
        )
    with op.batch_alter_table("review_declaration", schema=None) as batch_op:
        batch_op.drop_column("return_reason")
        batch_op.drop_column("returned_by")
        batch_op.drop_column("returned_at")
        batch_op.create_unique_constraint(
            "uq_review_declaration_fixmedins_code_period", ["fixmedins_code", "period"]
        )
