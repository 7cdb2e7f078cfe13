"""Claims review (审核): monthly declarations (申报), their settlements and cash claims, review items,
the timeline of every step, the region's review parameters and the working-day calendar."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.core.db import Base, IdMixin, IdType, Money, UtcDateTime


class Declaration(IdMixin, Base):
    """An institution's monthly declaration (月度申报) of its settlements and cash claims."""

    __tablename__ = "review_declaration"
    __table_args__ = (
        Index(
            "uq_review_declaration_open_month",
            "fixmedins_code",
            "period",
            unique=True,
            sqlite_where=text("status <> 'returned'"),
            postgresql_where=text("status <> 'returned'"),
        ),
        Index("ix_review_declaration_admdvs_period", "admdvs", "period"),
    )

    decl_no: Mapped[str] = mapped_column(String(48), unique=True)
    admdvs: Mapped[str] = mapped_column(String(6))  # the institution's pooling region
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    fixmedins_name: Mapped[str] = mapped_column(String(128))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    status: Mapped[str] = mapped_column(String(16))  # domain.review.DeclarationStatus
    due_date: Mapped[date] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    settlement_count: Mapped[int] = mapped_column(Integer)
    medfee_sumamt: Mapped[int] = mapped_column(Money)
    fund_pay_sumamt: Mapped[int] = mapped_column(Money)
    cash_claim_count: Mapped[int] = mapped_column(Integer)
    cash_medfee_sumamt: Mapped[int] = mapped_column(Money)
    cash_fund_pay_sumamt: Mapped[int] = mapped_column(Money)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_by: Mapped[str] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    note: Mapped[str | None] = mapped_column(String(500))
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # 退回重报
    returned_by: Mapped[str | None] = mapped_column(String(64))
    return_reason: Mapped[str | None] = mapped_column(String(500))


class DeclaredSettlement(IdMixin, Base):
    """One settlement (or reversal) in a declaration's detail list (申报明细), amounts in fen."""

    __tablename__ = "review_declared_settlement"
    __table_args__ = (UniqueConstraint("declaration_id", "setl_id"),)

    declaration_id: Mapped[int] = mapped_column(IdType, ForeignKey("review_declaration.id"), index=True)
    setl_id: Mapped[str] = mapped_column(String(32), index=True)
    mdtrt_id: Mapped[str] = mapped_column(String(32))
    psn_no: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))  # settlement / reversal
    medfee_sumamt: Mapped[int] = mapped_column(Money)
    fund_pay_sumamt: Mapped[int] = mapped_column(Money)
    settled_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CashClaim(IdMixin, Base):
    """A cash-paid case claimed in the declaration (零星报销), with its invoice and verified amounts."""

    __tablename__ = "review_cash_claim"
    __table_args__ = (
        UniqueConstraint("declaration_id", "claim_no"),
        Index("ix_review_cash_claim_invoice", "fixmedins_code", "invoice_no"),
    )

    declaration_id: Mapped[int] = mapped_column(IdType, ForeignKey("review_declaration.id"), index=True)
    claim_no: Mapped[str] = mapped_column(String(40))
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    psn_no: Mapped[str] = mapped_column(String(20))
    invoice_no: Mapped[str] = mapped_column(String(64))
    visit_date: Mapped[date] = mapped_column(Date)
    medfee_sumamt: Mapped[int] = mapped_column(Money)  # the invoice total
    fund_pay_sumamt: Mapped[int] = mapped_column(Money)  # the verified amount the fund pays (核定)
    note: Mapped[str | None] = mapped_column(String(255))


class ReviewItem(IdMixin, Base):
    """One line, visit or cash claim under review (审核条目), with its decision, answer and appeal."""

    __tablename__ = "review_item"
    __table_args__ = (
        UniqueConstraint("declaration_id", "finding_id"),
        Index("ix_review_item_region_period", "admdvs", "period", "status"),
        Index("ix_review_item_offences", "fixmedins_code", "reason_code", "period"),
    )

    declaration_id: Mapped[int] = mapped_column(IdType, ForeignKey("review_declaration.id"), index=True)
    admdvs: Mapped[str] = mapped_column(String(6))
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(7))
    scope: Mapped[str] = mapped_column(String(8))  # line / visit / claim
    setl_id: Mapped[str | None] = mapped_column(String(32))
    mdtrt_id: Mapped[str | None] = mapped_column(String(32))
    bkkp_sn: Mapped[str | None] = mapped_column(String(40))
    claim_no: Mapped[str | None] = mapped_column(String(40))
    psn_no: Mapped[str | None] = mapped_column(String(20))
    item_name: Mapped[str | None] = mapped_column(String(200))
    declared_fen: Mapped[int] = mapped_column(Money)
    source: Mapped[str] = mapped_column(String(8))  # auto (monitoring finding) / manual
    finding_id: Mapped[str | None] = mapped_column(String(64))
    rule_id: Mapped[str | None] = mapped_column(String(32))
    rule_name: Mapped[str | None] = mapped_column(String(200))
    sev_deg: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str | None] = mapped_column(Text)
    suggested_reason: Mapped[str | None] = mapped_column(String(32))
    suggested_fen: Mapped[int | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16))  # domain.review.ItemStatus
    reason_code: Mapped[str | None] = mapped_column(String(32))
    refused_fen: Mapped[int] = mapped_column(Money, default=0)
    multiplier: Mapped[int] = mapped_column(Integer, default=1)
    prior_offences: Mapped[int] = mapped_column(Integer, default=0)
    penalty_fen: Mapped[int] = mapped_column(Money, default=0)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_note: Mapped[str | None] = mapped_column(String(500))
    answer_due: Mapped[date | None] = mapped_column(Date)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answer_note: Mapped[str | None] = mapped_column(String(1000))
    second_by: Mapped[str | None] = mapped_column(String(64))
    second_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    second_note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))

    @property
    def total_fen(self) -> int:
        """Refused amount plus penalty."""
        return self.refused_fen + self.penalty_fen


class ReviewEvent(IdMixin, Base):
    """One step of a declaration's timeline (时间线): who did what, when, from which state to which."""

    __tablename__ = "review_event"

    declaration_id: Mapped[int] = mapped_column(IdType, ForeignKey("review_declaration.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("review_item.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    amount_fen: Mapped[int | None] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(String(1000))


class ReviewParameterRow(IdMixin, Base):
    """A region's review parameters (审核参数) for an effective period."""

    __tablename__ = "review_parameters"
    __table_args__ = (Index("ix_review_parameters_admdvs", "admdvs", "begin"),)

    admdvs: Mapped[str] = mapped_column(String(6))
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    declare_by_day: Mapped[int] = mapped_column(Integer)
    answer_working_days: Mapped[int] = mapped_column(Integer)
    repeat_multipliers: Mapped[str] = mapped_column(String(64))  # "2,3,4,5"
    repeat_window_months: Mapped[int] = mapped_column(Integer)
    absent_multiplier: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))


class CalendarDay(IdMixin, Base):
    """A public holiday or an adjusted working weekend day (节假日/调休) for counting working days."""

    __tablename__ = "review_calendar_day"

    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # holiday / workday
    name: Mapped[str | None] = mapped_column(String(64))
