"""Supervision (稽核): inspections, findings, evidence, ward rounds, checks, reports, decisions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yibao.core.db import Base, IdMixin, IdType, Money, UtcDateTime


class SupervisionConfig(IdMixin, Base):
    """A region's supervision configuration of one kind for a period (JSON checked by the domain).

    `kind`: rewards (举报奖励档次), rounds (在床率 threshold, average stay standard cost),
    disclosure (threshold amount of a serious violation).
    """

    __tablename__ = "supervision_config"
    __table_args__ = (UniqueConstraint("admdvs", "kind", "begin"),)

    admdvs: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(16))
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))


class Inspection(IdMixin, Base):
    """An inspection (检查) of an institution: kind, team, scope, findings and evidence."""

    __tablename__ = "inspection"
    __table_args__ = (
        Index("ix_inspection_admdvs", "admdvs"),
        Index("ix_inspection_fixmedins", "fixmedins_code"),
    )

    inspection_no: Mapped[str] = mapped_column(String(32), unique=True)
    admdvs: Mapped[str] = mapped_column(String(6))
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    planned_on: Mapped[date] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    team: Mapped[str] = mapped_column(Text)  # JSON list of inspectors
    departments: Mapped[str] = mapped_column(Text)  # JSON list of other departments (joint)
    scope: Mapped[str] = mapped_column(Text)
    conclusion: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # manual / monitoring / report
    source_ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))

    findings: Mapped[list[Finding]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", lazy="selectin", order_by="Finding.id"
    )
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", lazy="select", order_by="Evidence.id"
    )


class Finding(IdMixin, Base):
    """A finding of an inspection: what was wrong, the amount concerned, whose visit."""

    __tablename__ = "inspection_finding"

    inspection_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("inspection.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(Money)
    psn_no: Mapped[str | None] = mapped_column(String(20))
    mdtrt_id: Mapped[str | None] = mapped_column(String(32))
    dr_code: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    inspection: Mapped[Inspection] = relationship(back_populates="findings")


class Evidence(IdMixin, Base):
    """An evidence attachment (证据材料) of an inspection, stored with its checksum."""

    __tablename__ = "inspection_evidence"

    inspection_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("inspection.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str | None] = mapped_column(String(255))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    uploaded_by: Mapped[str] = mapped_column(String(64))

    inspection: Mapped[Inspection] = relationship(back_populates="evidence")


class WardRound(IdMixin, Base):
    """A ward round (查房): who was expected in bed, who was there, the in-bed rate and refusal."""

    __tablename__ = "ward_round"
    __table_args__ = (
        Index("ix_ward_round_admdvs", "admdvs"),
        Index("ix_ward_round_fixmedins", "fixmedins_code"),
    )

    round_no: Mapped[str] = mapped_column(String(32), unique=True)
    admdvs: Mapped[str] = mapped_column(String(6))
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    round_at: Mapped[datetime] = mapped_column(UtcDateTime())
    day: Mapped[date] = mapped_column(Date)
    inspectors: Mapped[str] = mapped_column(Text)  # JSON list
    total: Mapped[int] = mapped_column(Integer)
    present: Mapped[int] = mapped_column(Integer)
    rate_bp: Mapped[int] = mapped_column(Integer)
    threshold_bp: Mapped[int] = mapped_column(Integer)
    standard_fen: Mapped[int] = mapped_column(Money)
    shortfall: Mapped[int] = mapped_column(Integer)
    refused_fen: Mapped[int] = mapped_column(Money)
    inspection_no: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))

    patients: Mapped[list[WardRoundPatient]] = relationship(
        back_populates="ward_round",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="WardRoundPatient.id",
    )


class WardRoundPatient(IdMixin, Base):
    """One inpatient counted at a ward round: in bed or not (feeds the bed-hanging rule 挂床)."""

    __tablename__ = "ward_round_patient"

    round_id: Mapped[int] = mapped_column(IdType, ForeignKey("ward_round.id", ondelete="CASCADE"), index=True)
    psn_no: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(64))
    bed_no: Mapped[str | None] = mapped_column(String(16))
    mdtrt_id: Mapped[str | None] = mapped_column(String(32))
    present: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(255))

    ward_round: Mapped[WardRound] = relationship(back_populates="patients")


class PatientCheck(IdMixin, Base):
    """A patient visit or phone check (探望/问候电话) with its five checkpoints."""

    __tablename__ = "patient_check"
    __table_args__ = (Index("ix_patient_check_admdvs", "admdvs"),)

    admdvs: Mapped[str] = mapped_column(String(6))
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    psn_no: Mapped[str] = mapped_column(String(20))
    mdtrt_id: Mapped[str | None] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)
    checker: Mapped[str] = mapped_column(String(64))
    checks: Mapped[str] = mapped_column(Text)  # JSON {checkpoint: bool}
    failed: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WhistleReport(IdMixin, Base):
    """A whistleblower report (举报): anonymity, subject, status, recovered amount and reward."""

    __tablename__ = "whistle_report"
    __table_args__ = (Index("ix_whistle_report_admdvs", "admdvs"),)

    report_no: Mapped[str] = mapped_column(String(32), unique=True)
    admdvs: Mapped[str] = mapped_column(String(6))
    received_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))  # phone / letter / web / visit
    anonymous: Mapped[bool] = mapped_column(Boolean)
    reporter_name: Mapped[str | None] = mapped_column(String(64))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    claim_code: Mapped[str] = mapped_column(String(16))  # 查询码: an anonymous reporter claims with it
    fixmedins_code: Mapped[str | None] = mapped_column(String(32))
    dr_code: Mapped[str | None] = mapped_column(String(32))
    psn_no: Mapped[str | None] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    status_since: Mapped[date] = mapped_column(Date)
    status_note: Mapped[str | None] = mapped_column(Text)
    recovered: Mapped[int] = mapped_column(Money, default=0)
    reward: Mapped[int] = mapped_column(Money, default=0)
    reward_paid_on: Mapped[date | None] = mapped_column(Date)
    inspection_no: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))


class Decision(IdMixin, Base):
    """A decision (处理决定): recovery, fine, suspension, termination, referral or doctor points."""

    __tablename__ = "supervision_decision"
    __table_args__ = (
        Index("ix_supervision_decision_admdvs", "admdvs"),
        Index("ix_supervision_decision_fixmedins", "fixmedins_code"),
    )

    decision_no: Mapped[str] = mapped_column(String(32), unique=True)
    admdvs: Mapped[str] = mapped_column(String(6))
    target_type: Mapped[str] = mapped_column(String(16))
    fixmedins_code: Mapped[str | None] = mapped_column(String(32))
    dr_code: Mapped[str | None] = mapped_column(String(32))
    psn_no: Mapped[str | None] = mapped_column(String(20))
    target_name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    document_no: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(Money)
    fine_pct: Mapped[int] = mapped_column(Integer)
    penalty: Mapped[int] = mapped_column(Money)
    months: Mapped[int] = mapped_column(Integer)
    referral_to: Mapped[str | None] = mapped_column(String(16))
    violation: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    effective_on: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    inspection_no: Mapped[str | None] = mapped_column(String(32))
    report_no: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))  # manual / monitoring / inspection / report
    source_ref: Mapped[str | None] = mapped_column(String(64))
    disclose: Mapped[bool] = mapped_column(Boolean, default=False)  # 信息披露
    disclosed_on: Mapped[date | None] = mapped_column(Date)
    issued_on: Mapped[date | None] = mapped_column(Date)
    ban_years: Mapped[int | None] = mapped_column(Integer)  # terminations: years without a new agreement
    ban_permanent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # 永久退出
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
