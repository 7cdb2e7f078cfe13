"""Payment tables: regional DRG payment standards (付费标准), payment-method terms per institution,
clearing runs (清算) with their per-institution lines and the fund's payment orders (拨付单)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yibao.core.db import Base, IdMixin, IdType, Money, UtcDateTime


class PaymentTable(IdMixin, Base):
    """One version of a regional DRG payment table, valid from `begin` to `end` (inclusive)."""

    __tablename__ = "pay_table"
    __table_args__ = (UniqueConstraint("admdvs", "name", "begin"),)

    admdvs: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(64))  # e.g. 北京2022
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(255))  # file the rows came from
    row_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))


class PaymentTableRow(IdMixin, Base):
    """One DRG of a payment table, normalised (`domain.payment.DrgRate`)."""

    __tablename__ = "pay_table_row"
    __table_args__ = (UniqueConstraint("table_id", "drg_code"),)

    table_id: Mapped[int] = mapped_column(IdType, ForeignKey("pay_table.id", ondelete="CASCADE"))
    drg_code: Mapped[str] = mapped_column(String(8))
    drg_name: Mapped[str] = mapped_column(String(200))
    rw: Mapped[str | None] = mapped_column(String(24))  # decimal text, exact as published
    points: Mapped[str | None] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(255))
    values: Mapped[str] = mapped_column(Text)  # JSON: base_rate/level_coef/standard/thresholds by qualifier


class PaymentMethod(IdMixin, Base):
    """The payment method and its terms for a region or one institution, a scheme and a period.

    `fixmedins_code` NULL = the region's default; `insutype` NULL = every scheme. `params` is JSON
    (DRG table name and ratios, per-diem rate, capitation rate, dual-control quota and cap …).
    """

    __tablename__ = "pay_method"
    __table_args__ = (Index("ix_pay_method_scope", "admdvs", "fixmedins_code"),)

    admdvs: Mapped[str] = mapped_column(String(6))
    fixmedins_code: Mapped[str | None] = mapped_column(String(32))
    insutype: Mapped[str | None] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(16))  # fee_for_service / drg / dip / per_diem / …
    params: Mapped[str] = mapped_column(Text)
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Clearing(IdMixin, Base):
    """A clearing run for a region and period: monthly pre-payment, quarterly settlement or annual."""

    __tablename__ = "pay_clearing"
    __table_args__ = (UniqueConstraint("admdvs", "period_kind", "period"),)

    admdvs: Mapped[str] = mapped_column(String(6))
    period_kind: Mapped[str] = mapped_column(String(8))  # month / quarter / year
    period: Mapped[str] = mapped_column(String(8))  # 2025-03 / 2025Q1 / 2025
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # issued
    deductions_source: Mapped[str] = mapped_column(String(64))  # review / given / none
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))


class ClearingLine(IdMixin, Base):
    """One institution's figures in a clearing run (清算单一行), all in fen."""

    __tablename__ = "pay_clearing_line"
    __table_args__ = (UniqueConstraint("clearing_id", "fixmedins_code"),)

    clearing_id: Mapped[int] = mapped_column(IdType, ForeignKey("pay_clearing.id", ondelete="CASCADE"))
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(16))
    settlements: Mapped[int] = mapped_column(Integer)
    declared: Mapped[int] = mapped_column(Money)  # Σ fund_pay_sumamt of the period
    deducted: Mapped[int] = mapped_column(Money)
    method_amount: Mapped[int] = mapped_column(Money)
    sharing: Mapped[int] = mapped_column(Money)  # borne by the institution (over quota)
    prepaid: Mapped[int] = mapped_column(Money)
    payable: Mapped[int] = mapped_column(Money)
    detail: Mapped[str] = mapped_column(Text)  # JSON: how the method amount was reached


class PaymentOrder(IdMixin, Base):
    """The fund's payment order (基金拨付单) of one clearing line; negative = recovery (追回)."""

    __tablename__ = "pay_order"
    __table_args__ = (UniqueConstraint("order_no"),)

    order_no: Mapped[str] = mapped_column(String(32))
    clearing_id: Mapped[int] = mapped_column(IdType, ForeignKey("pay_clearing.id", ondelete="CASCADE"))
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16))  # issued
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
