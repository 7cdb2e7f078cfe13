"""interface: visit special attributes (2406 就医特殊属性上传, 2407 查询) and the procedures a discharge
(2402 出院办理) sends, kept with the visit for DRG grouping

Revision ID: 0019i
Revises: 0018
Create Date: 2026-11-24 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yibao.core.db

revision: str = "0019i"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ifc_visit_sp_flag",
        sa.Column("detl_id", sa.String(length=40), nullable=False),
        sa.Column("mdtrt_id", sa.String(length=40), nullable=False),
        sa.Column("psn_no", sa.String(length=30), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("fixmedins_name", sa.String(length=200), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("ipt_otp_no", sa.String(length=30), nullable=False),
        sa.Column("flag_type", sa.String(length=6), nullable=False),
        sa.Column("flag", sa.String(length=6), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=True),
        sa.Column("msgid", sa.String(length=40), nullable=False),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ifc_visit_sp_flag")),
        sa.UniqueConstraint("detl_id", name=op.f("uq_ifc_visit_sp_flag_detl_id")),
    )
    with op.batch_alter_table("ifc_visit_sp_flag", schema=None) as batch_op:
        batch_op.create_index("ix_ifc_visit_sp_flag_visit", ["mdtrt_id"], unique=False)
        batch_op.create_index("ix_ifc_visit_sp_flag_inst", ["fixmedins_code", "id"], unique=False)
    op.create_table(
        "setl_visit_procedure",
        sa.Column("visit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("main", sa.Boolean(), nullable=False),
        sa.Column("oprn_date", sa.Date(), nullable=True),
        sa.Column("oper_dr_code", sa.String(length=30), nullable=True),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["setl_visit.id"], name=op.f("fk_setl_visit_procedure_visit_id_setl_visit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setl_visit_procedure")),
        sa.UniqueConstraint("visit_id", "seq", name=op.f("uq_setl_visit_procedure_visit_id_seq")),
    )


def downgrade() -> None:
    op.drop_table("setl_visit_procedure")
    with op.batch_alter_table("ifc_visit_sp_flag", schema=None) as batch_op:
        batch_op.drop_index("ix_ifc_visit_sp_flag_inst")
        batch_op.drop_index("ix_ifc_visit_sp_flag_visit")
    op.drop_table("ifc_visit_sp_flag")
