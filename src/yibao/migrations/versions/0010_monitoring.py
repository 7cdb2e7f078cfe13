"""monitoring: rule settings per region, knowledge versions, runs, cases (疑点) with findings and notes

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yibao.core.db

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", _ID, autoincrement=True, nullable=False)


def _ts(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, yibao.core.db.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "mon_rule_setting",
        sa.Column("admdvs", sa.String(length=6), nullable=False),
        sa.Column("rule_id", sa.String(length=20), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("begin", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=True),
        _ts("created_at"),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _id(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mon_rule_setting")),
    )
    with op.batch_alter_table("mon_rule_setting", schema=None) as batch_op:
        batch_op.create_index("ix_mon_rule_setting_region", ["admdvs", "rule_id"], unique=False)

    op.create_table(
        "mon_knowledge_version",
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("loaded_at"),
        sa.Column("loaded_by", sa.String(length=64), nullable=False),
        _id(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mon_knowledge_version")),
        sa.UniqueConstraint("version", name=op.f("uq_mon_knowledge_version_version")),
    )
    op.create_table(
        "mon_knowledge_row",
        sa.Column("version_id", _ID, nullable=False),
        sa.Column("tbl", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("a", sa.String(length=40), nullable=True),
        sa.Column("b", sa.String(length=16), nullable=True),
        sa.Column("n", sa.Integer(), nullable=True),
        _id(),
        sa.ForeignKeyConstraint(
            ["version_id"], ["mon_knowledge_version.id"],
            name=op.f("fk_mon_knowledge_row_version_id_mon_knowledge_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mon_knowledge_row")),
    )  # fmt: skip
    with op.batch_alter_table("mon_knowledge_row", schema=None) as batch_op:
        batch_op.create_index("ix_mon_knowledge_row_version", ["version_id", "tbl"], unique=False)

    op.create_table(
        "mon_run",
        sa.Column("run_no", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("engine", sa.String(length=8), nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=True),
        sa.Column("data_dir", sa.String(length=500), nullable=False),
        sa.Column("out_dir", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("vola_fen", sa.BigInteger(), nullable=False),
        sa.Column("knowledge_version", sa.String(length=16), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _ts("started_at"),
        _ts("finished_at"),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _id(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mon_run")),
        sa.UniqueConstraint("run_no", name=op.f("uq_mon_run_run_no")),
    )
    with op.batch_alter_table("mon_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mon_run_admdvs"), ["admdvs"], unique=False)

    op.create_table(
        "mon_case",
        sa.Column("case_no", sa.String(length=32), nullable=False),
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("admdvs", sa.String(length=6), nullable=True),
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("vola_fen", sa.BigInteger(), nullable=False),
        sa.Column("recover_fen", sa.BigInteger(), nullable=True),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _id(),
        sa.ForeignKeyConstraint(["run_id"], ["mon_run.id"], name=op.f("fk_mon_case_run_id_mon_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mon_case")),
        sa.UniqueConstraint("case_no", name=op.f("uq_mon_case_case_no")),
        sa.UniqueConstraint(
            "run_id", "fixmedins_code", "period", name=op.f("uq_mon_case_run_id_fixmedins_code_period")
        ),
    )
    with op.batch_alter_table("mon_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mon_case_admdvs"), ["admdvs"], unique=False)
        batch_op.create_index(batch_op.f("ix_mon_case_fixmedins_code"), ["fixmedins_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_mon_case_run_id"), ["run_id"], unique=False)

    op.create_table(
        "mon_case_finding",
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("finding_id", sa.String(length=40), nullable=False),
        sa.Column("rule_id", sa.String(length=20), nullable=False),
        sa.Column("rule_name", sa.String(length=100), nullable=False),
        sa.Column("rule_family", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("bkkp_sn", sa.String(length=64), nullable=True),
        sa.Column("mdtrt_id", sa.String(length=64), nullable=True),
        sa.Column("psn_no", sa.String(length=64), nullable=True),
        sa.Column("dr_code", sa.String(length=64), nullable=True),
        sa.Column("vola_fen", sa.BigInteger(), nullable=False),
        sa.Column("sev_deg", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        _id(),
        sa.ForeignKeyConstraint(
            ["case_id"], ["mon_case.id"], name=op.f("fk_mon_case_finding_case_id_mon_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mon_case_finding")),
    )
    with op.batch_alter_table("mon_case_finding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mon_case_finding_case_id"), ["case_id"], unique=False)

    op.create_table(
        "mon_case_note",
        sa.Column("case_id", _ID, nullable=False),
        _ts("at"),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("attachment", sa.String(length=255), nullable=True),
        _id(),
        sa.ForeignKeyConstraint(["case_id"], ["mon_case.id"], name=op.f("fk_mon_case_note_case_id_mon_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mon_case_note")),
    )
    with op.batch_alter_table("mon_case_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mon_case_note_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    for table in (
        "mon_case_note", "mon_case_finding", "mon_case", "mon_run", "mon_knowledge_row",
        "mon_knowledge_version", "mon_rule_setting",
    ):  # fmt: skip
        op.drop_table(table)
