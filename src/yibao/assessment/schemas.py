"""API payloads of assessment (考核)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from yibao.core.schemas import ApiModel

BIG = 10**13  # upper bound of integer inputs (fen, bp, counts)


class ConfigIn(ApiModel):
    admdvs: str = Field(description="统筹区编码", examples=["439901"])
    kind: str = Field(
        description="配置类型：grades_1 医疗机构信用等级表 / grades_2 药店 / points 医保医师扣分标准"
    )
    begin: date = Field(description="生效日期")
    end: date | None = Field(default=None, description="失效日期（含当日），空为长期")
    body: dict[str, Any] = Field(
        description="配置内容（JSON，见 GET /api/v1/assessment/config/defaults/{kind}）"
    )


class TermIn(ApiModel):
    code: str = Field(description="指标代码，如 stock_rate_western")
    target: int = Field(ge=0, le=BIG, description="目标值（比率为万分比，金额为分，住院日×100）")
    weight: int = Field(ge=1, le=100, description="权重（分）")
    method: str = Field(default="ratio", description="计分方法 ratio / deduct")
    per_unit: int = Field(default=0, ge=0, le=10000, description="扣分法：每单位扣分（百分之一分）")


class TermsIn(ApiModel):
    year: int = Field(ge=1990, le=2200, description="协议年度")
    profile: str | None = Field(
        default=None, description="指标模板 general 综合医院 / specialist 专科医院 / pharmacy 药店"
    )
    terms: list[TermIn] | None = Field(default=None, description="自定义指标（空则用模板）")


class PurchaseRowIn(ApiModel):
    drug_code: str | None = Field(default=None, max_length=64, description="国家医保药品编码")
    drug_name: str | None = Field(default=None, max_length=400)
    maker: str | None = Field(default=None, max_length=400, description="生产厂家")
    channel: str | None = Field(default=None, max_length=400, description="购入渠道")
    purchase_day: str | None = Field(default=None, max_length=32, description="采购日期 yyyy-MM-dd")
    quantity: str | None = Field(default=None, max_length=32, description="数量（整数）")
    purchase_price: str | None = Field(default=None, max_length=32, description="购入价（元）")
    sale_price: str | None = Field(default=None, max_length=32, description="销售价（元）")


class PurchaseReportIn(ApiModel):
    period: str = Field(description="报告月份 yyyy-MM", examples=["2026-03"])
    rows: list[PurchaseRowIn] = Field(max_length=20000)


class AssessIn(ApiModel):
    period: str = Field(description="考核期：yyyy-MM / yyyyQn / yyyy", examples=["2026Q1"])
    actuals: dict[str, int] | None = Field(default=None, description="人工录入或修正的指标实际值")
    day: date | None = Field(default=None, description="按哪一天有效的等级表（默认考核期末）")


class ApplyIn(ApiModel):
    period: str
    day: date | None = Field(default=None, description="执行日期（默认今天）")


class PointsIn(ApiModel):
    violation: str = Field(description="违规类型代码（扣分标准）")
    day: date
    fixmedins_code: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, max_length=255)


class TrainingIn(ApiModel):
    day: date
    topic: str = Field(max_length=128)
    hours: int = Field(ge=1, le=200)
    provider: str | None = Field(default=None, max_length=128)
    passed: bool = True


class ResetIn(ApiModel):
    admdvs: str
    year: int = Field(ge=1990, le=2200)
