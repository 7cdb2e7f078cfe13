"""assessment: agreement terms, purchase reports, assessments, grades, doctor points and training

Revision ID: 0013
Revises: 0009
Create Date: 2026-11-24 12:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yibao.core.db

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "assessment",
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("fixmedins_type", sa.String(length=8), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period_begin", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("grade_label", sa.String(length=32), nullable=False),
        sa.Column("consequence", sa.Text(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("config_source", sa.String(length=32), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=True),
        sa.Column("applied_note", sa.Text(), nullable=True),
        sa.Column("assessed_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("assessed_by", sa.String(length=64), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        sa.UniqueConstraint("fixmedins_code", "period", name=op.f("uq_assessment_fixmedins_code_period")),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_admdvs", ["admdvs"], unique=False)

    op.create_table(
        "assessment_config",
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("begin", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_config")),
        sa.UniqueConstraint("admdvs", "kind", "begin", name=op.f("uq_assessment_config_admdvs_kind_begin")),
    )
    op.create_table(
        "assessment_terms",
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("profile", sa.String(length=16), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("lowered_bp", sa.Integer(), nullable=False),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_terms")),
        sa.UniqueConstraint("fixmedins_code", "year", name=op.f("uq_assessment_terms_fixmedins_code_year")),
    )
    with op.batch_alter_table("assessment_terms", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_terms_admdvs", ["admdvs"], unique=False)

    op.create_table(
        "doctor_point_entry",
        sa.Column("dr_code", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=32), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("violation", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("year_total", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctor_point_entry")),
    )
    with op.batch_alter_table("doctor_point_entry", schema=None) as batch_op:
        batch_op.create_index("ix_doctor_point_entry_admdvs", ["admdvs"], unique=False)
        batch_op.create_index("ix_doctor_point_entry_dr", ["dr_code", "year"], unique=False)

    op.create_table(
        "doctor_training",
        sa.Column("dr_code", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctor_training")),
    )
    with op.batch_alter_table("doctor_training", schema=None) as batch_op:
        batch_op.create_index("ix_doctor_training_dr", ["dr_code"], unique=False)

    op.create_table(
        "drug_purchase_report",
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("submitted_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_purchase_report")),
        sa.UniqueConstraint(
            "fixmedins_code", "period", name=op.f("uq_drug_purchase_report_fixmedins_code_period")
        ),
    )
    with op.batch_alter_table("drug_purchase_report", schema=None) as batch_op:
        batch_op.create_index("ix_drug_purchase_report_admdvs", ["admdvs"], unique=False)

    op.create_table(
        "drug_purchase_line",
        sa.Column("report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("drug_code", sa.String(length=32), nullable=False),
        sa.Column("drug_name", sa.String(length=200), nullable=False),
        sa.Column("maker", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("purchase_day", sa.Date(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("purchase_price", sa.BigInteger(), nullable=False),
        sa.Column("sale_price", sa.BigInteger(), nullable=False),
        sa.Column("in_catalog", sa.Boolean(), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["drug_purchase_report.id"],
            name=op.f("fk_drug_purchase_line_report_id_drug_purchase_report"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_purchase_line")),
    )
    with op.batch_alter_table("drug_purchase_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drug_purchase_line_report_id"), ["report_id"], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table("drug_purchase_line")
    op.drop_table("drug_purchase_report")
    op.drop_table("doctor_training")
    op.drop_table("doctor_point_entry")
    op.drop_table("assessment_terms")
    op.drop_table("assessment_config")
    op.drop_table("assessment")
