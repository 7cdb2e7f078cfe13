"""interface: files uploaded (9101) and generated for download (9102)

Revision ID: 0015
Revises: 0009
Create Date: 2026-11-24 12:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yibao.core.db

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ifc_file",
        sa.Column("file_qury_no", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("infno", sa.String(length=8), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("data_cnt", sa.Integer(), nullable=False),
        sa.Column("dld_endtime", sa.Date(), nullable=False),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ifc_file")),
        sa.UniqueConstraint("file_qury_no", name=op.f("uq_ifc_file_file_qury_no")),
    )
    with op.batch_alter_table("ifc_file", schema=None) as batch_op:
        batch_op.create_index("ix_ifc_file_fixmedins_code", ["fixmedins_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ifc_file", schema=None) as batch_op:
        batch_op.drop_index("ix_ifc_file_fixmedins_code")
    op.drop_table("ifc_file")
