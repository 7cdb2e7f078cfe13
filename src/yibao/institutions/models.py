"""Designated institutions (定点医药机构), their departments, and insurance doctors (医保医师)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yibao.core.db import Base, IdMixin, IdType, UtcDateTime


class Institution(IdMixin, Base):
    """A designated medical institution or retail pharmacy (定点医药机构) keyed by `fixmedins_code`.

    Other areas refer to it by `fixmedins_code` only (no cross-area foreign keys).
    """

    __tablename__ = "institution"
    __table_args__ = (Index("ix_institution_admdvs", "admdvs"),)

    fixmedins_code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    fixmedins_type: Mapped[str] = mapped_column(String(8))  # dictionary fixmedins_type
    hosp_lv: Mapped[str | None] = mapped_column(String(8))  # dictionary hosp_lv (None for pharmacies)
    admdvs: Mapped[str] = mapped_column(String(6))  # pooling region; must exist in `region`
    address: Mapped[str | None] = mapped_column(String(255))
    uscc: Mapped[str | None] = mapped_column(String(18))  # 统一社会信用代码
    # 协议状态: applying / active / suspended / terminated / expired (see domain.institutions)
    agreement_status: Mapped[str] = mapped_column(String(16), default="applying")
    agreement_begin: Mapped[date | None] = mapped_column(Date)
    agreement_end: Mapped[date | None] = mapped_column(Date)
    suspended_until: Mapped[date | None] = mapped_column(Date)  # last day of a suspension, if fixed
    status_since: Mapped[date | None] = mapped_column(Date)  # the day the current status took effect
    status_reason: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    departments: Mapped[list[Department]] = relationship(
        back_populates="institution",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Department.dept_code",
    )

    def snapshot(self) -> dict[str, object]:
        return {
            "fixmedins_code": self.fixmedins_code,
            "name": self.name,
            "fixmedins_type": self.fixmedins_type,
            "hosp_lv": self.hosp_lv,
            "admdvs": self.admdvs,
            "address": self.address,
            "uscc": self.uscc,
            "agreement_status": self.agreement_status,
            "agreement_begin": self.agreement_begin,
            "agreement_end": self.agreement_end,
            "suspended_until": self.suspended_until,
            "status_since": self.status_since,
            "status_reason": self.status_reason,
            "active": self.active,
        }


class Department(IdMixin, Base):
    """A clinical department (科室) of an institution: its own code, name and national category (科别)."""

    __tablename__ = "institution_dept"
    __table_args__ = (UniqueConstraint("institution_id", "dept_code"),)

    institution_id: Mapped[int] = mapped_column(IdType, ForeignKey("institution.id", ondelete="CASCADE"))
    dept_code: Mapped[str] = mapped_column(String(32))  # hospital's own department code (hosp_dept_codg)
    name: Mapped[str] = mapped_column(String(64))
    caty: Mapped[str] = mapped_column(String(32))  # dictionary dept (科别)
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)

    institution: Mapped[Institution] = relationship(back_populates="departments")

    def snapshot(self) -> dict[str, object]:
        return {
            "dept_code": self.dept_code,
            "name": self.name,
            "caty": self.caty,
            "begin": self.begin,
            "end": self.end,
        }


class Doctor(IdMixin, Base):
    """An insurance doctor, pharmacist or nurse (医保医师/药师/护士) keyed by the practising code."""

    __tablename__ = "hi_doctor"
    __table_args__ = (Index("ix_hi_doctor_admdvs", "admdvs"), Index("ix_hi_doctor_certno", "certno"))

    dr_code: Mapped[str] = mapped_column(String(32), unique=True)  # 医师执业编码 / 医保医师代码
    name: Mapped[str] = mapped_column(String(64))
    certno: Mapped[str] = mapped_column(String(18))  # resident ID, masked for most roles
    kind: Mapped[str] = mapped_column(String(16))  # doctor / pharmacist / nurse
    admdvs: Mapped[str] = mapped_column(String(6))  # pooling region that registered the doctor
    status: Mapped[str] = mapped_column(String(16), default="active")  # active / suspended / cancelled
    suspended_until: Mapped[date | None] = mapped_column(Date)
    status_since: Mapped[date | None] = mapped_column(Date)
    status_reason: Mapped[str | None] = mapped_column(String(255))
    points_year: Mapped[int] = mapped_column(Integer)  # the year `points_deducted` counts for
    points_deducted: Mapped[int] = mapped_column(Integer, default=0)  # 积分扣分 of that year
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    links: Mapped[list[DoctorLink]] = relationship(
        back_populates="doctor", cascade="all, delete-orphan", lazy="selectin", order_by="DoctorLink.begin"
    )

    def snapshot(self) -> dict[str, object]:
        return {
            "dr_code": self.dr_code,
            "name": self.name,
            "kind": self.kind,
            "admdvs": self.admdvs,
            "status": self.status,
            "suspended_until": self.suspended_until,
            "status_since": self.status_since,
            "status_reason": self.status_reason,
            "points_year": self.points_year,
            "points_deducted": self.points_deducted,
            "links": [link.snapshot() for link in self.links],
        }


class DoctorLink(IdMixin, Base):
    """A doctor's practice at one institution (执业机构), in a department, for a period."""

    __tablename__ = "hi_doctor_link"
    __table_args__ = (Index("ix_hi_doctor_link_fixmedins", "fixmedins_code"),)

    doctor_id: Mapped[int] = mapped_column(IdType, ForeignKey("hi_doctor.id", ondelete="CASCADE"))
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    dept_code: Mapped[str | None] = mapped_column(String(32))
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)

    doctor: Mapped[Doctor] = relationship(back_populates="links")

    def snapshot(self) -> dict[str, object]:
        return {
            "fixmedins_code": self.fixmedins_code,
            "dept_code": self.dept_code,
            "begin": self.begin,
            "end": self.end,
        }


# ---- admission and agreement history (定点准入、协议记录) ------------------------------------------------


class Application(IdMixin, Base):
    """An application for designation (定点申请) and where it stands: the recorded facts, the eligibility
    checks, the scored checklist, the public notice and, once signed, the agreement's certificate."""

    __tablename__ = "institution_application"
    __table_args__ = (
        Index("ix_institution_application_fixmedins", "fixmedins_code"),
        Index("ix_institution_application_admdvs", "admdvs"),
    )

    application_no: Mapped[str] = mapped_column(String(32), unique=True)  # SQ2026-000001
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    admdvs: Mapped[str] = mapped_column(String(6))
    fixmedins_type: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    submitted_on: Mapped[date] = mapped_column(Date)
    licence_no: Mapped[str | None] = mapped_column(String(64))  # 执业许可证/药品经营许可证编号
    licence_valid_until: Mapped[date | None] = mapped_column(Date)
    opened_on: Mapped[date | None] = mapped_column(Date)  # 开业日期
    systems_connected_on: Mapped[date | None] = mapped_column(Date)  # 联网验收日期
    contact: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(255))
    checks: Mapped[str | None] = mapped_column(Text)  # JSON list of {code, name, passed, reason}
    checked_on: Mapped[date | None] = mapped_column(Date)
    checklist: Mapped[str | None] = mapped_column(Text)  # JSON list of {code, label, weight, score}
    score: Mapped[int | None] = mapped_column(Integer)
    pass_mark: Mapped[int | None] = mapped_column(Integer)
    assessors: Mapped[str | None] = mapped_column(String(255))
    assessed_on: Mapped[date | None] = mapped_column(Date)
    notice_begin: Mapped[date | None] = mapped_column(Date)
    notice_end: Mapped[date | None] = mapped_column(Date)
    notice_where: Mapped[str | None] = mapped_column(String(255))
    closed_on: Mapped[date | None] = mapped_column(Date)
    signed_on: Mapped[date | None] = mapped_column(Date)
    agreement_no: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(255))  # of a refusal or withdrawal
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApplicationDocument(IdMixin, Base):
    """A document attached to an application (申请材料), stored with its checksum."""

    __tablename__ = "institution_application_document"

    application_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("institution_application.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # licence / business / systems / rules / floor_plan / other
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str | None] = mapped_column(String(255))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    uploaded_by: Mapped[str] = mapped_column(String(64))


class ApplicationStep(IdMixin, Base):
    """One recorded step of an application: from which status to which, the day, who and when."""

    __tablename__ = "institution_application_step"

    application_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("institution_application.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class Objection(IdMixin, Base):
    """An objection raised during the public notice (公示异议) and how it was answered."""

    __tablename__ = "institution_objection"

    application_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("institution_application.id", ondelete="CASCADE"), index=True
    )
    received_on: Mapped[date] = mapped_column(Date)
    objector: Mapped[str | None] = mapped_column(String(64))  # None: anonymous
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # open / upheld / dismissed
    answer: Mapped[str | None] = mapped_column(String(255))
    answered_on: Mapped[date | None] = mapped_column(Date)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AgreementRecord(IdMixin, Base):
    """One signed agreement period (签订或续签的协议): its number, period, the year of its measurable
    terms (kept by the assessment area) and the application it came from."""

    __tablename__ = "institution_agreement"
    __table_args__ = (Index("ix_institution_agreement_fixmedins", "fixmedins_code"),)

    agreement_no: Mapped[str] = mapped_column(String(32), unique=True)  # XY2026-000001
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    admdvs: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(16))  # sign / renew
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    terms_year: Mapped[int] = mapped_column(Integer)
    application_no: Mapped[str | None] = mapped_column(String(32))
    signed_on: Mapped[date] = mapped_column(Date)
    signed_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Certificate(IdMixin, Base):
    """The designation certificate and plaque (定点资格证书与标牌) of an institution; taken back on
    termination (001 第三条: 被取消定点资格的，证、牌应予以收回)."""

    __tablename__ = "institution_certificate"
    __table_args__ = (
        Index("ix_institution_certificate_fixmedins", "fixmedins_code"),
        UniqueConstraint("admdvs", "plaque_seq"),
    )

    fixmedins_code: Mapped[str] = mapped_column(String(32))
    admdvs: Mapped[str] = mapped_column(String(6))
    certificate_no: Mapped[str] = mapped_column(String(32), unique=True)
    plaque_no: Mapped[str] = mapped_column(String(32), unique=True)
    plaque_seq: Mapped[int | None] = mapped_column(Integer)  # running number in the region (None: by hand)
    application_no: Mapped[str | None] = mapped_column(String(32))
    issued_on: Mapped[date] = mapped_column(Date)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AgreementEvent(IdMixin, Base):
    """The agreement's state history: every action with its effective day, period, reason, who, when."""

    __tablename__ = "institution_agreement_event"
    __table_args__ = (Index("ix_institution_agreement_event_fixmedins", "fixmedins_code"),)

    fixmedins_code: Mapped[str] = mapped_column(String(32))
    admdvs: Mapped[str] = mapped_column(String(6))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    begin: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(255))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class Ban(IdMixin, Base):
    """A re-entry ban recorded by hand (禁入期), e.g. the years a supervision decision sets; bans decided
    by an assessment are read from the assessment itself."""

    __tablename__ = "institution_ban"
    __table_args__ = (Index("ix_institution_ban_fixmedins", "fixmedins_code"),)

    fixmedins_code: Mapped[str] = mapped_column(String(32))
    admdvs: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(16))  # no_renew / permanent
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16))  # supervision / manual
    source_ref: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(255))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ChecklistConfig(IdMixin, Base):
    """A region's assessment checklist (评估表) for a kind of institution, for a period."""

    __tablename__ = "institution_checklist"
    __table_args__ = (UniqueConstraint("admdvs", "fixmedins_type", "begin"),)

    admdvs: Mapped[str] = mapped_column(String(6))
    fixmedins_type: Mapped[str] = mapped_column(String(8))
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    items: Mapped[str] = mapped_column(Text)  # JSON list of {code, label, weight}
    pass_mark: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
