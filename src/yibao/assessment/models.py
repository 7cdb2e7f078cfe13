"""Assessment (考核): configuration, agreement terms, purchase reports, assessments, doctor points."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yibao.core.db import Base, IdMixin, IdType, Money, UtcDateTime


class AssessmentConfig(IdMixin, Base):
    """A region's configuration of one kind (grade tables, doctor points table) for a period.

    `kind`: grades_1 (medical institutions), grades_2 (pharmacies), points (医保医师扣分标准).
    `body` is JSON checked by `domain.assessment` before it is stored.
    """

    __tablename__ = "assessment_config"
    __table_args__ = (UniqueConstraint("admdvs", "kind", "begin"),)

    admdvs: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(16))
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))


class AgreementTerms(IdMixin, Base):
    """The measurable terms (协议指标) of an institution's agreement for one year (JSON list)."""

    __tablename__ = "assessment_terms"
    __table_args__ = (
        UniqueConstraint("fixmedins_code", "year"),
        Index("ix_assessment_terms_admdvs", "admdvs"),
    )

    fixmedins_code: Mapped[str] = mapped_column(String(32))
    admdvs: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    profile: Mapped[str] = mapped_column(String(16))  # general / specialist / pharmacy
    terms: Mapped[str] = mapped_column(Text)  # JSON [{code, target, weight, method, per_unit}]
    lowered_bp: Mapped[int] = mapped_column(Integer, default=0)  # lowering applied from last year
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PurchaseReport(IdMixin, Base):
    """An institution's monthly drug purchase report (药品采购月报)."""

    __tablename__ = "drug_purchase_report"
    __table_args__ = (
        UniqueConstraint("fixmedins_code", "period"),
        Index("ix_drug_purchase_report_admdvs", "admdvs"),
    )

    fixmedins_code: Mapped[str] = mapped_column(String(32))
    admdvs: Mapped[str] = mapped_column(String(6))
    period: Mapped[str] = mapped_column(String(7))  # yyyy-MM
    version: Mapped[int] = mapped_column(Integer, default=1)  # resubmissions replace the lines
    line_count: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_by: Mapped[str] = mapped_column(String(64))

    lines: Mapped[list[PurchaseLineRow]] = relationship(
        back_populates="report", cascade="all, delete-orphan", lazy="selectin", order_by="PurchaseLineRow.id"
    )


class PurchaseLineRow(IdMixin, Base):
    """One drug of a purchase report: code, maker, channel, purchase and sale price (fen)."""

    __tablename__ = "drug_purchase_line"

    report_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("drug_purchase_report.id", ondelete="CASCADE"), index=True
    )
    drug_code: Mapped[str] = mapped_column(String(32))
    drug_name: Mapped[str] = mapped_column(String(200))
    maker: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(200))
    purchase_day: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Money)
    purchase_price: Mapped[int] = mapped_column(Money)
    sale_price: Mapped[int] = mapped_column(Money)
    in_catalog: Mapped[bool] = mapped_column(Boolean)  # 甲类/乙类 on the report month's last day

    report: Mapped[PurchaseReport] = relationship(back_populates="lines")


class Assessment(IdMixin, Base):
    """An assessment of an institution for a period: score, credit grade (信用等级), consequence."""

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("fixmedins_code", "period"), Index("ix_assessment_admdvs", "admdvs"))

    fixmedins_code: Mapped[str] = mapped_column(String(32))
    admdvs: Mapped[str] = mapped_column(String(6))
    fixmedins_type: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(7))
    period_kind: Mapped[str] = mapped_column(String(8))
    period_begin: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)  # hundredths of a point
    grade: Mapped[str] = mapped_column(String(8))
    grade_label: Mapped[str] = mapped_column(String(32))
    consequence: Mapped[str] = mapped_column(Text)  # JSON of domain Consequence
    items: Mapped[str] = mapped_column(Text)  # JSON of the scored terms
    config_source: Mapped[str] = mapped_column(String(32))  # "default" or "config:<id>"
    applied_on: Mapped[date | None] = mapped_column(Date)  # the day the consequence was carried out
    applied_note: Mapped[str | None] = mapped_column(Text)
    assessed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    assessed_by: Mapped[str] = mapped_column(String(64))


class DoctorPointEntry(IdMixin, Base):
    """A points deduction (扣分) of an insurance doctor for one violation."""

    __tablename__ = "doctor_point_entry"
    __table_args__ = (
        Index("ix_doctor_point_entry_dr", "dr_code", "year"),
        Index("ix_doctor_point_entry_admdvs", "admdvs"),
    )

    dr_code: Mapped[str] = mapped_column(String(32))
    admdvs: Mapped[str] = mapped_column(String(6))
    fixmedins_code: Mapped[str | None] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)
    violation: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(128))
    points: Mapped[int] = mapped_column(Integer)
    year_total: Mapped[int] = mapped_column(Integer)  # the year's points after this entry
    outcome: Mapped[str] = mapped_column(String(16))  # none / suspend / cancel
    source: Mapped[str] = mapped_column(String(16))  # manual / decision
    source_ref: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))


class DoctorTraining(IdMixin, Base):
    """A training a doctor attended (医保政策培训)."""

    __tablename__ = "doctor_training"
    __table_args__ = (Index("ix_doctor_training_dr", "dr_code"),)

    dr_code: Mapped[str] = mapped_column(String(32))
    admdvs: Mapped[str] = mapped_column(String(6))
    day: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(128))
    hours: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str | None] = mapped_column(String(128))
    passed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
