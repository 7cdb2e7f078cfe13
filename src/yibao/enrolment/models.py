"""Enrolment tables: units, persons, insurance relations, contributions, personal accounts, transfers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from yibao.core.db import Base, IdMixin, IdType, Money, UtcDateTime


class Unit(IdMixin, Base):
    """An employer enrolled with the agency (参保单位), keyed by its unified social credit code."""

    __tablename__ = "enrol_unit"

    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    admdvs: Mapped[str] = mapped_column(String(6), index=True)
    unit_type: Mapped[str] = mapped_column(String(16))
    contact_name: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)

    def snapshot(self) -> dict[str, object]:
        return {
            "uscc": self.uscc,
            "name": self.name,
            "admdvs": self.admdvs,
            "unit_type": self.unit_type,
            "contact_name": self.contact_name,
            "contact_phone": self.contact_phone,
            "status": self.status,
            "begin": self.begin,
            "end": self.end,
        }


class Person(IdMixin, Base):
    """An insured person (参保人); sex and birth date come from the resident ID, never typed in."""

    __tablename__ = "enrol_person"

    psn_no: Mapped[str] = mapped_column(String(20), unique=True)
    certno: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    gend: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(32))
    admdvs: Mapped[str] = mapped_column(String(6), index=True)
    unit_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("enrol_unit.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PersonSequence(Base):
    """The last person-number sequence used per registration region."""

    __tablename__ = "enrol_psn_seq"

    admdvs: Mapped[str] = mapped_column(String(6), primary_key=True)
    last: Mapped[int] = mapped_column(BigInteger)


RELATION_SNAPSHOT_FIELDS = (
    "id",
    "psn_no",
    "insutype",
    "psn_type",
    "admdvs",
    "unit_id",
    "idet_type",
    "disa_lv",
    "begin",
    "end",
    "waiting_end",
    "status",
)


def relation_snapshot(relation: object) -> dict[str, object]:
    """The fields of a relation the audit trail records (from the ORM row or a plain row alike)."""
    return {name: getattr(relation, name) for name in RELATION_SNAPSHOT_FIELDS}


class Relation(IdMixin, Base):
    """An insurance relation (参保关系): one scheme for one person in one region over a period."""

    __tablename__ = "enrol_relation"
    __table_args__ = (
        Index("ix_enrol_relation_psn", "person_id", "insutype"),
        Index("ix_enrol_relation_psn_no", "psn_no"),  # settlement reads relations by person number
    )

    person_id: Mapped[int] = mapped_column(IdType, ForeignKey("enrol_person.id"))
    psn_no: Mapped[str] = mapped_column(String(20))
    insutype: Mapped[str] = mapped_column(String(8))
    psn_type: Mapped[str] = mapped_column(String(8))
    admdvs: Mapped[str] = mapped_column(String(6), index=True)
    unit_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("enrol_unit.id"))
    idet_type: Mapped[str | None] = mapped_column(String(8))
    disa_lv: Mapped[str | None] = mapped_column(String(2))
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    waiting_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))

    def snapshot(self) -> dict[str, object]:
        return relation_snapshot(self)


class Contribution(IdMixin, Base):
    """One period of contributions (缴费) due on a relation: unit, individual and subsidy parts."""

    __tablename__ = "enrol_contribution"
    __table_args__ = (
        UniqueConstraint("relation_id", "period"),
        CheckConstraint(
            "unit_fen >= 0 AND individual_fen >= 0 AND subsidy_fen >= 0", name="parts_non_negative"
        ),
        CheckConstraint("base_wage_fen IS NULL OR base_wage_fen >= 0", name="base_non_negative"),
        Index("ix_enrol_contribution_arrears", "admdvs", "paid_on", "due_date"),
    )

    relation_id: Mapped[int] = mapped_column(IdType, ForeignKey("enrol_relation.id"))
    psn_no: Mapped[str] = mapped_column(String(20), index=True)
    admdvs: Mapped[str] = mapped_column(String(6))
    insutype: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(7))
    months: Mapped[int] = mapped_column(Integer)
    unit_fen: Mapped[int] = mapped_column(Money)
    individual_fen: Mapped[int] = mapped_column(Money)
    subsidy_fen: Mapped[int] = mapped_column(Money)
    base_wage_fen: Mapped[int | None] = mapped_column(Money)
    due_date: Mapped[date] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    account_credit_fen: Mapped[int] = mapped_column(Money, default=0)

    @property
    def total_fen(self) -> int:
        return self.unit_fen + self.individual_fen + self.subsidy_fen

    def snapshot(self) -> dict[str, object]:
        return {
            "relation_id": self.relation_id,
            "psn_no": self.psn_no,
            "insutype": self.insutype,
            "period": self.period,
            "unit_fen": self.unit_fen,
            "individual_fen": self.individual_fen,
            "subsidy_fen": self.subsidy_fen,
            "base_wage_fen": self.base_wage_fen,
            "due_date": self.due_date,
            "paid_on": self.paid_on,
            "late": self.late,
            "account_credit_fen": self.account_credit_fen,
        }


class Account(IdMixin, Base):
    """A personal account (个人账户): its current balance, never below zero."""

    __tablename__ = "enrol_account"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_non_negative"),)

    person_id: Mapped[int] = mapped_column(IdType, ForeignKey("enrol_person.id"), unique=True)
    psn_no: Mapped[str] = mapped_column(String(20), unique=True)
    admdvs: Mapped[str] = mapped_column(String(6))
    balance: Mapped[int] = mapped_column(Money)


class AccountEntry(IdMixin, Base):
    """One append-only ledger line of a personal account; `amount` is signed (credits positive)."""

    __tablename__ = "enrol_account_entry"
    __table_args__ = (
        Index("ix_enrol_account_entry_account", "account_id", "id"),
        Index("ix_enrol_account_entry_ref", "reference"),
    )

    account_id: Mapped[int] = mapped_column(IdType, ForeignKey("enrol_account.id"))
    psn_no: Mapped[str] = mapped_column(String(20))
    entry_type: Mapped[str] = mapped_column(String(24))
    amount: Mapped[int] = mapped_column(Money)
    balance_after: Mapped[int] = mapped_column(Money)
    reference: Mapped[str] = mapped_column(String(64))
    reverses_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("enrol_account_entry.id"), unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class Transfer(IdMixin, Base):
    """A transfer between regions (转移接续): the basic relation and the account move together."""

    __tablename__ = "enrol_transfer"

    psn_no: Mapped[str] = mapped_column(String(20), index=True)
    insutype: Mapped[str] = mapped_column(String(8))
    from_admdvs: Mapped[str] = mapped_column(String(6))
    to_admdvs: Mapped[str] = mapped_column(String(6))
    from_relation_id: Mapped[int] = mapped_column(IdType, ForeignKey("enrol_relation.id"))
    to_relation_id: Mapped[int] = mapped_column(IdType, ForeignKey("enrol_relation.id"))
    transfer_date: Mapped[date] = mapped_column(Date)
    months: Mapped[int] = mapped_column(Integer)
    balance_fen: Mapped[int] = mapped_column(Money)
    at: Mapped[datetime] = mapped_column(UtcDateTime())

    def snapshot(self) -> dict[str, object]:
        return {
            "psn_no": self.psn_no,
            "insutype": self.insutype,
            "from_admdvs": self.from_admdvs,
            "to_admdvs": self.to_admdvs,
            "from_relation_id": self.from_relation_id,
            "to_relation_id": self.to_relation_id,
            "transfer_date": self.transfer_date,
            "months": self.months,
            "balance_fen": self.balance_fen,
        }
