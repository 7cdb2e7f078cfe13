"""supervision: inspections, findings, evidence, ward rounds, patient checks, whistleblower reports, decisions

Revision ID: 0014
Revises: 0009
Create Date: 2026-11-24 12:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yibao.core.db

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "inspection",
        sa.Column("inspection_no", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("departments", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("conclusion", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=64), nullable=True),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection")),
        sa.UniqueConstraint("inspection_no", name=op.f("uq_inspection_inspection_no")),
    )
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.create_index("ix_inspection_admdvs", ["admdvs"], unique=False)
        batch_op.create_index("ix_inspection_fixmedins", ["fixmedins_code"], unique=False)

    op.create_table(
        "patient_check",
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("mdtrt_id", sa.String(length=32), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checker", sa.String(length=64), nullable=False),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_check")),
    )
    with op.batch_alter_table("patient_check", schema=None) as batch_op:
        batch_op.create_index("ix_patient_check_admdvs", ["admdvs"], unique=False)

    op.create_table(
        "supervision_config",
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_config")),
        sa.UniqueConstraint("admdvs", "kind", "begin", name=op.f("uq_supervision_config_admdvs_kind_begin")),
    )
    op.create_table(
        "supervision_decision",
        sa.Column("decision_no", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=32), nullable=True),
        sa.Column("dr_code", sa.String(length=32), nullable=True),
        sa.Column("psn_no", sa.String(length=20), nullable=True),
        sa.Column("target_name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("document_no", sa.String(length=64), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fine_pct", sa.Integer(), nullable=False),
        sa.Column("penalty", sa.BigInteger(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("referral_to", sa.String(length=16), nullable=True),
        sa.Column("violation", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("inspection_no", sa.String(length=32), nullable=True),
        sa.Column("report_no", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=64), nullable=True),
        sa.Column("disclose", sa.Boolean(), nullable=False),
        sa.Column("disclosed_on", sa.Date(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_decision")),
        sa.UniqueConstraint("decision_no", name=op.f("uq_supervision_decision_decision_no")),
    )
    with op.batch_alter_table("supervision_decision", schema=None) as batch_op:
        batch_op.create_index("ix_supervision_decision_admdvs", ["admdvs"], unique=False)
        batch_op.create_index("ix_supervision_decision_fixmedins", ["fixmedins_code"], unique=False)

    op.create_table(
        "ward_round",
        sa.Column("round_no", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("round_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("inspectors", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("threshold_bp", sa.Integer(), nullable=False),
        sa.Column("standard_fen", sa.BigInteger(), nullable=False),
        sa.Column("shortfall", sa.Integer(), nullable=False),
        sa.Column("refused_fen", sa.BigInteger(), nullable=False),
        sa.Column("inspection_no", sa.String(length=32), nullable=True),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ward_round")),
        sa.UniqueConstraint("round_no", name=op.f("uq_ward_round_round_no")),
    )
    with op.batch_alter_table("ward_round", schema=None) as batch_op:
        batch_op.create_index("ix_ward_round_admdvs", ["admdvs"], unique=False)
        batch_op.create_index("ix_ward_round_fixmedins", ["fixmedins_code"], unique=False)

    op.create_table(
        "whistle_report",
        sa.Column("report_no", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("reporter_name", sa.String(length=64), nullable=True),
        sa.Column("reporter_phone", sa.String(length=32), nullable=True),
        sa.Column("claim_code", sa.String(length=16), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=32), nullable=True),
        sa.Column("dr_code", sa.String(length=32), nullable=True),
        sa.Column("psn_no", sa.String(length=20), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_since", sa.Date(), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("recovered", sa.BigInteger(), nullable=False),
        sa.Column("reward", sa.BigInteger(), nullable=False),
        sa.Column("reward_paid_on", sa.Date(), nullable=True),
        sa.Column("inspection_no", sa.String(length=32), nullable=True),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whistle_report")),
        sa.UniqueConstraint("report_no", name=op.f("uq_whistle_report_report_no")),
    )
    with op.batch_alter_table("whistle_report", schema=None) as batch_op:
        batch_op.create_index("ix_whistle_report_admdvs", ["admdvs"], unique=False)

    op.create_table(
        "inspection_evidence",
        sa.Column("inspection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("uploaded_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_inspection_evidence_inspection_id_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_evidence")),
    )
    with op.batch_alter_table("inspection_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_evidence_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "inspection_finding",
        sa.Column("inspection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=True),
        sa.Column("mdtrt_id", sa.String(length=32), nullable=True),
        sa.Column("dr_code", sa.String(length=32), nullable=True),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_inspection_finding_inspection_id_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_finding")),
    )
    with op.batch_alter_table("inspection_finding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_finding_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "ward_round_patient",
        sa.Column("round_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("psn_no", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("bed_no", sa.String(length=16), nullable=True),
        sa.Column("mdtrt_id", sa.String(length=32), nullable=True),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["ward_round.id"],
            name=op.f("fk_ward_round_patient_round_id_ward_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ward_round_patient")),
    )
    with op.batch_alter_table("ward_round_patient", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ward_round_patient_round_id"), ["round_id"], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table("ward_round_patient")
    op.drop_table("inspection_finding")
    op.drop_table("inspection_evidence")
    op.drop_table("whistle_report")
    op.drop_table("ward_round")
    op.drop_table("supervision_decision")
    op.drop_table("supervision_config")
    op.drop_table("patient_check")
    op.drop_table("inspection")
