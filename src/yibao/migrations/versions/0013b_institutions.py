"""institutions: admission applications with documents, steps and objections; agreement records,
certificates and plaques, the agreement's state history, re-entry bans, assessment checklists

Revision ID: 0013b
Revises: 0013
Create Date: 2026-11-24 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yibao.core.db

revision: str = "0013b"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "institution_agreement",
        sa.Column("agreement_no", sa.String(length=32), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("begin", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("terms_year", sa.Integer(), nullable=False),
        sa.Column("application_no", sa.String(length=32), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("signed_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_agreement")),
        sa.UniqueConstraint("agreement_no", name=op.f("uq_institution_agreement_agreement_no")),
    )
    with op.batch_alter_table("institution_agreement", schema=None) as batch_op:
        batch_op.create_index("ix_institution_agreement_fixmedins", ["fixmedins_code"], unique=False)

    op.create_table(
        "institution_agreement_event",
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("begin", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_agreement_event")),
    )
    with op.batch_alter_table("institution_agreement_event", schema=None) as batch_op:
        batch_op.create_index("ix_institution_agreement_event_fixmedins", ["fixmedins_code"], unique=False)

    op.create_table(
        "institution_application",
        sa.Column("application_no", sa.String(length=32), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("fixmedins_type", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("licence_no", sa.String(length=64), nullable=True),
        sa.Column("licence_valid_until", sa.Date(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("systems_connected_on", sa.Date(), nullable=True),
        sa.Column("contact", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("checks", sa.Text(), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("checklist", sa.Text(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("pass_mark", sa.Integer(), nullable=True),
        sa.Column("assessors", sa.String(length=255), nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.Column("notice_begin", sa.Date(), nullable=True),
        sa.Column("notice_end", sa.Date(), nullable=True),
        sa.Column("notice_where", sa.String(length=255), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("agreement_no", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_application")),
        sa.UniqueConstraint("application_no", name=op.f("uq_institution_application_application_no")),
    )
    with op.batch_alter_table("institution_application", schema=None) as batch_op:
        batch_op.create_index("ix_institution_application_admdvs", ["admdvs"], unique=False)
        batch_op.create_index("ix_institution_application_fixmedins", ["fixmedins_code"], unique=False)

    op.create_table(
        "institution_ban",
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("begin", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_ban")),
    )
    with op.batch_alter_table("institution_ban", schema=None) as batch_op:
        batch_op.create_index("ix_institution_ban_fixmedins", ["fixmedins_code"], unique=False)

    op.create_table(
        "institution_certificate",
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("certificate_no", sa.String(length=32), nullable=False),
        sa.Column("plaque_no", sa.String(length=32), nullable=False),
        sa.Column("plaque_seq", sa.Integer(), nullable=True),
        sa.Column("application_no", sa.String(length=32), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_certificate")),
        sa.UniqueConstraint(
            "admdvs", "plaque_seq", name=op.f("uq_institution_certificate_admdvs_plaque_seq")
        ),
        sa.UniqueConstraint("certificate_no", name=op.f("uq_institution_certificate_certificate_no")),
        sa.UniqueConstraint("plaque_no", name=op.f("uq_institution_certificate_plaque_no")),
    )
    with op.batch_alter_table("institution_certificate", schema=None) as batch_op:
        batch_op.create_index("ix_institution_certificate_fixmedins", ["fixmedins_code"], unique=False)

    op.create_table(
        "institution_checklist",
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("fixmedins_type", sa.String(length=8), nullable=False),
        sa.Column("begin", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("pass_mark", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_checklist")),
        sa.UniqueConstraint(
            "admdvs",
            "fixmedins_type",
            "begin",
            name=op.f("uq_institution_checklist_admdvs_fixmedins_type_begin"),
        ),
    )
    op.create_table(
        "institution_application_document",
        sa.Column("application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
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
            ["application_id"],
            ["institution_application.id"],
            name=op.f("fk_institution_application_document_application_id_institution_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_application_document")),
    )
    with op.batch_alter_table("institution_application_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_institution_application_document_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "institution_application_step",
        sa.Column("application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["institution_application.id"],
            name=op.f("fk_institution_application_step_application_id_institution_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_application_step")),
    )
    with op.batch_alter_table("institution_application_step", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_institution_application_step_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "institution_objection",
        sa.Column("application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("objector", sa.String(length=64), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.String(length=255), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", yibao.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["institution_application.id"],
            name=op.f("fk_institution_objection_application_id_institution_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_objection")),
    )
    with op.batch_alter_table("institution_objection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_institution_objection_application_id"), ["application_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("institution_objection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_institution_objection_application_id"))

    op.drop_table("institution_objection")
    with op.batch_alter_table("institution_application_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_institution_application_step_application_id"))

    op.drop_table("institution_application_step")
    with op.batch_alter_table("institution_application_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_institution_application_document_application_id"))

    op.drop_table("institution_application_document")
    op.drop_table("institution_checklist")
    with op.batch_alter_table("institution_certificate", schema=None) as batch_op:
        batch_op.drop_index("ix_institution_certificate_fixmedins")

    op.drop_table("institution_certificate")
    with op.batch_alter_table("institution_ban", schema=None) as batch_op:
        batch_op.drop_index("ix_institution_ban_fixmedins")

    op.drop_table("institution_ban")
    with op.batch_alter_table("institution_application", schema=None) as batch_op:
        batch_op.drop_index("ix_institution_application_fixmedins")
        batch_op.drop_index("ix_institution_application_admdvs")

    op.drop_table("institution_application")
    with op.batch_alter_table("institution_agreement_event", schema=None) as batch_op:
        batch_op.drop_index("ix_institution_agreement_event_fixmedins")

    op.drop_table("institution_agreement_event")
    with op.batch_alter_table("institution_agreement", schema=None) as batch_op:
        batch_op.drop_index("ix_institution_agreement_fixmedins")

    op.drop_table("institution_agreement")
