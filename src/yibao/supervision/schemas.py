"""API payloads of supervision (稽核)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from yibao.core.schemas import ApiModel

BIG = 10**13


class ConfigIn(ApiModel):
    admdvs: str
    kind: str = Field(description="rewards 举报奖励档次 / rounds 在床率标准 / disclosure 信息披露标准")
    begin: date
    end: date | None = None
    body: dict[str, Any]


class InspectionIn(ApiModel):
    fixmedins_code: str = Field(max_length=32)
    kind: str = Field(description="routine 日常 / special 专项 / flight 飞行 / joint 联合")
    planned_on: date
    team: list[str] = Field(max_length=50, description="检查组成员（至少两人）")
    scope: str = Field(max_length=2000, description="检查范围")
    departments: list[str] | None = Field(default=None, max_length=20, description="联合检查的部门")


class InspectionActionIn(ApiModel):
    action: str = Field(description="start 开始 / close 结束 / cancel 取消")
    day: date
    conclusion: str | None = Field(default=None, max_length=4000)


class FindingIn(ApiModel):
    category: str = Field(max_length=64)
    description: str = Field(max_length=4000)
    amount: int = Field(default=0, ge=0, le=BIG, description="涉及金额（分）")
    psn_no: str | None = Field(default=None, max_length=20)
    mdtrt_id: str | None = Field(default=None, max_length=32)
    dr_code: str | None = Field(default=None, max_length=32)


class RoundPatientIn(ApiModel):
    psn_no: str = Field(max_length=20)
    present: bool
    name: str | None = Field(default=None, max_length=64)
    bed_no: str | None = Field(default=None, max_length=16)
    mdtrt_id: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, max_length=255)


class RoundIn(ApiModel):
    fixmedins_code: str = Field(max_length=32)
    round_at: datetime
    inspectors: list[str] = Field(max_length=50)
    patients: list[RoundPatientIn] = Field(max_length=5000)
    standard_fen: int = Field(ge=0, le=BIG, description="平均住院人次标准费用（分）")
    inspection_no: str | None = Field(default=None, max_length=32)


class CheckIn(ApiModel):
    fixmedins_code: str = Field(max_length=32)
    psn_no: str = Field(max_length=20)
    mode: str = Field(description="visit 探望 / phone 电话")
    day: date
    checks: dict[str, bool] = Field(
        description="card_person/person_disease/disease_drug/drug_quantity/quantity_price"
    )
    mdtrt_id: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, max_length=2000)


class ReportIn(ApiModel):
    admdvs: str
    received_on: date
    channel: str = Field(description="phone/letter/web/visit")
    content: str = Field(max_length=4000)
    anonymous: bool
    reporter_name: str | None = Field(default=None, max_length=64)
    reporter_phone: str | None = Field(default=None, max_length=32)
    fixmedins_code: str | None = Field(default=None, max_length=32)
    dr_code: str | None = Field(default=None, max_length=32)
    psn_no: str | None = Field(default=None, max_length=20)


class ReportActionIn(ApiModel):
    action: str = Field(description="accept/reject/substantiate/unsubstantiate/reward")
    day: date
    note: str | None = Field(default=None, max_length=2000)
    recovered: int | None = Field(default=None, ge=0, le=BIG, description="追回金额（分），认定查实时填写")
    inspection_no: str | None = Field(default=None, max_length=32)


class DecisionIn(ApiModel):
    target_type: str = Field(description="institution / doctor / person")
    kind: str = Field(description="recovery/fine/suspension/termination/referral/doctor_points")
    reason: str = Field(max_length=4000)
    fixmedins_code: str | None = Field(default=None, max_length=32)
    dr_code: str | None = Field(default=None, max_length=32)
    psn_no: str | None = Field(default=None, max_length=20)
    amount: int = Field(default=0, ge=0, le=BIG, description="违规/骗取金额（分）")
    fine_pct: int | None = Field(default=None, ge=0, le=10000, description="罚款倍数（百分比，200–500）")
    months: int | None = Field(default=None, ge=0, le=120)
    referral_to: str | None = Field(default=None, max_length=16)
    violation: str | None = Field(default=None, max_length=64)
    inspection_no: str | None = Field(default=None, max_length=32)
    report_no: str | None = Field(default=None, max_length=32)
    ban_years: int | None = Field(default=None, ge=0, le=99, description="解除协议：禁入年限（药店3–5年）")
    ban_permanent: bool = Field(default=False, description="解除药店协议：永久退出")


class IssueIn(ApiModel):
    document_no: str = Field(max_length=64, description="处理决定书文号")
    day: date


class WithdrawIn(ApiModel):
    reason: str = Field(max_length=2000)


class CaseInspectionIn(ApiModel):
    case_id: str = Field(max_length=64)
    fixmedins_code: str = Field(max_length=32)
    summary: str = Field(max_length=2000)
    team: list[str] = Field(max_length=50)
    planned_on: date
    kind: str = "special"
    amount: int = Field(default=0, ge=0, le=BIG)


class CaseTakeUpIn(ApiModel):
    fine_pct: int = Field(ge=0, le=10000, description="罚款倍数（百分比，200–500）")
    reason: str | None = Field(default=None, max_length=2000)
    team: list[str] = Field(default_factory=list, max_length=50, description="填写则同时开立专项检查")
    planned_on: date | None = None
    day: date | None = Field(default=None, description="审核扣款日（默认今天）")
