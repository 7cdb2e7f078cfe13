"""Monitoring (智能监控) tables: region rule settings, knowledge versions, runs, cases (疑点), notes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yibao.core.db import Base, IdMixin, IdType, Money, UtcDateTime


class RuleSettingRow(IdMixin, Base):
    """A pooling region's setting of one rule over a period: on/off and parameter overrides (JSON)."""

    __tablename__ = "mon_rule_setting"
    __table_args__ = (Index("ix_mon_rule_setting_region", "admdvs", "rule_id"),)

    admdvs: Mapped[str] = mapped_column(String(6))
    rule_id: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(Boolean)
    params: Mapped[str] = mapped_column(Text)
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))


class KnowledgeVersion(IdMixin, Base):
    """One load of the knowledge batches (知识库版本); the active one feeds the runs."""

    __tablename__ = "mon_knowledge_version"

    version: Mapped[str] = mapped_column(String(16), unique=True)
    source: Mapped[str] = mapped_column(String(255))
    counts: Mapped[str] = mapped_column(Text)  # JSON {table: rows}
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    loaded_by: Mapped[str] = mapped_column(String(64))


class KnowledgeRow(IdMixin, Base):
    """One row of a knowledge table (tbl: sex, child, level, course, duplicate, frequency, cycle, gray …)."""

    __tablename__ = "mon_knowledge_row"
    __table_args__ = (Index("ix_mon_knowledge_row_version", "version_id", "tbl"),)

    version_id: Mapped[int] = mapped_column(IdType, ForeignKey("mon_knowledge_version.id"))
    tbl: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(40))
    a: Mapped[str | None] = mapped_column(String(40))
    b: Mapped[str | None] = mapped_column(String(16))
    n: Mapped[int | None] = mapped_column(Integer)


class RunRow(IdMixin, Base):
    """A batch run (事后分析) or a what-if run: where it read, what it wrote, with which rules."""

    __tablename__ = "mon_run"

    run_no: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # run / whatif
    engine: Mapped[str] = mapped_column(String(8))
    admdvs: Mapped[str | None] = mapped_column(String(6), index=True)
    data_dir: Mapped[str] = mapped_column(String(500))
    out_dir: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))  # done / failed
    findings: Mapped[int] = mapped_column(Integer)
    vola_fen: Mapped[int] = mapped_column(Money)
    knowledge_version: Mapped[str] = mapped_column(String(16))
    rules: Mapped[str] = mapped_column(Text)  # JSON [{rule_id, params}]
    summary: Mapped[str] = mapped_column(Text)  # JSON
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))


class CaseRow(IdMixin, Base):
    """A suspicious case (疑点): one institution's findings of one period, worked to a decision."""

    __tablename__ = "mon_case"
    __table_args__ = (UniqueConstraint("run_id", "fixmedins_code", "period"),)

    case_no: Mapped[str] = mapped_column(String(32), unique=True)
    run_id: Mapped[int] = mapped_column(IdType, ForeignKey("mon_run.id"), index=True)
    admdvs: Mapped[str | None] = mapped_column(String(6), index=True)
    fixmedins_code: Mapped[str] = mapped_column(String(32), index=True)
    period: Mapped[str] = mapped_column(String(7))  # yyyy-MM
    status: Mapped[str] = mapped_column(String(16))
    findings: Mapped[int] = mapped_column(Integer)
    vola_fen: Mapped[int] = mapped_column(Money)
    recover_fen: Mapped[int | None] = mapped_column(Money)
    assignee: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CaseFinding(IdMixin, Base):
    """A finding kept with its case, so the case shows its evidence without the run's files."""

    __tablename__ = "mon_case_finding"

    case_id: Mapped[int] = mapped_column(IdType, ForeignKey("mon_case.id"), index=True)
    finding_id: Mapped[str] = mapped_column(String(40))
    rule_id: Mapped[str] = mapped_column(String(20))
    rule_name: Mapped[str] = mapped_column(String(100))
    rule_family: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(12))
    bkkp_sn: Mapped[str | None] = mapped_column(String(64))
    mdtrt_id: Mapped[str | None] = mapped_column(String(64))
    psn_no: Mapped[str | None] = mapped_column(String(64))
    dr_code: Mapped[str | None] = mapped_column(String(64))
    vola_fen: Mapped[int] = mapped_column(Money)
    sev_deg: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text)


class CaseNote(IdMixin, Base):
    """One step of a case's timeline: assignment, verification note (核查) with attachment, decision."""

    __tablename__ = "mon_case_note"

    case_id: Mapped[int] = mapped_column(IdType, ForeignKey("mon_case.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    by: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    attachment: Mapped[str | None] = mapped_column(String(255))
