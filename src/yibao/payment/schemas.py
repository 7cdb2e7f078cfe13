"""REST payloads of the payment area (grouping, payment tables, methods, clearing)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from yibao.core.schemas import ApiModel

Code = Field(min_length=1, max_length=32)


class GroupIn(ApiModel):
    """One discharge to group (principal diagnosis / procedure first)."""

    case_id: str = Field(default="1", max_length=64)
    gend: str = Field(pattern="^[12]$", description="1 男 2 女")
    age: int = Field(ge=0, le=150)
    age_days: int | None = Field(default=None, ge=0, le=366)
    weight_g: int | None = Field(default=None, ge=0, le=10000)
    ipt_days: int | None = Field(default=None, ge=0, le=10000)
    diag_codes: list[str] = Field(min_length=1, max_length=50)
    oprn_codes: list[str] = Field(default_factory=list, max_length=50)
    admdvs: str | None = Field(default=None, pattern=r"^\d{6}$")
    table: str | None = Field(default=None, max_length=64, description="付费标准名称，如 北京2022")
    on: date | None = None
    total_fen: int | None = Field(default=None, ge=0, le=10**13)
    level: str = Field(default="3", max_length=4)
    insutype: str = Field(default="310", max_length=8)


class PaymentOut(ApiModel):
    standard_fen: int
    paid_fen: int
    category: str
    reason: str


class GroupOut(ApiModel):
    case_id: str
    mdc: str
    adrg: str
    drg: str
    drg_name: str
    reasons: list[str]
    error_code: str | None
    rw: str | None = None
    payment: PaymentOut | None = None


class TableIn(ApiModel):
    """A regional DRG table to load: its CSV text, or the name of a published table (参考付费标准)."""

    admdvs: str = Field(pattern=r"^\d{6}$")
    name: str | None = Field(default=None, max_length=64, description="付费标准名称；空 = 参考标准名")
    reference: str | None = Field(default=None, max_length=64, description="参考付费标准，如 北京2022")
    text: str | None = Field(default=None, max_length=20_000_000, description="CSV 文本（首行为列名）")
    begin: date | None = None
    end: date | None = None


class TableOut(ApiModel):
    id: int
    admdvs: str
    name: str
    begin: date
    end: date | None
    source: str
    row_count: int


class TableRowOut(ApiModel):
    drg_code: str
    drg_name: str
    rw: str | None
    points: str | None
    kind: str
    values: str


class MethodIn(ApiModel):
    admdvs: str = Field(pattern=r"^\d{6}$")
    fixmedins_code: str | None = Field(default=None, max_length=32)
    insutype: str | None = Field(default=None, max_length=8)
    method: str = Field(max_length=16)
    params: dict[str, Any] = Field(default_factory=dict)
    begin: date
    end: date | None = None


class MethodOut(ApiModel):
    id: int
    admdvs: str
    fixmedins_code: str | None
    insutype: str | None
    method: str
    params: str
    begin: date
    end: date | None


class ClearingIn(ApiModel):
    admdvs: str = Field(pattern=r"^\d{6}$")
    period_kind: str = Field(pattern="^(month|quarter|year)$")
    period: str = Field(max_length=8)
    deductions: dict[str, int] | None = Field(
        default=None, description="定点机构编码 → 扣款（分）；不填则取审核结果"
    )


class ClearingOut(ApiModel):
    id: int
    admdvs: str
    period_kind: str
    period: str
    begin: date
    end: date
    status: str
    deductions_source: str


class ClearingLineOut(ApiModel):
    fixmedins_code: str
    method: str
    settlements: int
    declared: int
    deducted: int
    method_amount: int
    sharing: int
    prepaid: int
    payable: int
    detail: str


class OrderOut(ApiModel):
    order_no: str
    fixmedins_code: str
    amount: int
    status: str


class ClearingDetailOut(ApiModel):
    clearing: ClearingOut
    lines: list[ClearingLineOut]
    orders: list[OrderOut]
    balanced: bool
