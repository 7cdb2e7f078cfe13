"""Designated institutions (定点医药机构), their departments, and insurance doctors (医保医师)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
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
