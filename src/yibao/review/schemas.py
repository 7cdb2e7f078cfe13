"""API payloads of claims review (审核): declarations, items, decisions, answers, parameters. Money in fen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from yibao.core.schemas import ApiModel

FEN_MAX = 10**15  # far beyond any bill; keeps BIGINT safe
FenField = Field(ge=-FEN_MAX, le=FEN_MAX, description="金额（分）")


class SettlementAmountsIn(ApiModel):
    setl_id: str = Field(max_length=32, description="结算ID")
    medfee_sumamt: int = Field(ge=-FEN_MAX, le=FEN_MAX, description="医疗费总额（分）")
    fund_pay_sumamt: int = Field(ge=-FEN_MAX, le=FEN_MAX, description="基金支付总额（分）")


class CashClaimIn(ApiModel):
    psn_no: str = Field(max_length=20, description="人员编号")
    invoice_no: str = Field(max_length=64, description="发票号")
    visit_date: date = Field(description="就诊日期（须在申报月份内）")
    medfee_sumamt: int = Field(ge=-FEN_MAX, le=FEN_MAX, description="发票金额（分）")
    fund_pay_sumamt: int = Field(ge=-FEN_MAX, le=FEN_MAX, description="核定基金支付（分）")
    note: str | None = Field(default=None, max_length=255)


class DeclareIn(ApiModel):
    fixmedins_code: str = Field(max_length=32, description="定点机构编码", examples=["H43990100001"])
    period: str = Field(max_length=7, description="申报月份 YYYY-MM", examples=["2024-03"])
    settlements: list[SettlementAmountsIn] | None = Field(
        default=None, description="机构申报的结算明细；不填则按平台结算记录申报"
    )
    cash_claims: list[CashClaimIn] = Field(default_factory=list, description="零星报销")
    note: str | None = Field(default=None, max_length=500)


class PlatformSettlementOut(ApiModel):
    setl_id: str
    mdtrt_id: str
    psn_no: str
    kind: str
    medfee_sumamt: int
    fund_pay_sumamt: int
    settled_at: datetime


class CompletenessOut(ApiModel):
    complete: bool
    missing: list[str]
    extra: list[str]
    mismatched: list[str]
    declared_medfee: int
    declared_fund: int
    platform_medfee: int
    platform_fund: int


class CheckIn(ApiModel):
    fixmedins_code: str = Field(max_length=32)
    period: str = Field(max_length=7)
    settlements: list[SettlementAmountsIn]


class DeclarationOut(ApiModel):
    decl_no: str
    admdvs: str
    fixmedins_code: str
    fixmedins_name: str
    period: str
    status: str
    due_date: date
    late: bool
    settlement_count: int
    medfee_sumamt: int
    fund_pay_sumamt: int
    cash_claim_count: int
    cash_medfee_sumamt: int
    cash_fund_pay_sumamt: int
    submitted_at: datetime
    submitted_by: str
    reviewed_at: datetime | None
    reviewed_by: str | None
    closed_at: datetime | None
    note: str | None
    returned_at: datetime | None
    returned_by: str | None
    return_reason: str | None


class DeclaredSettlementOut(ApiModel):
    setl_id: str
    mdtrt_id: str
    psn_no: str
    kind: str
    medfee_sumamt: int
    fund_pay_sumamt: int
    settled_at: datetime


class CashClaimOut(ApiModel):
    claim_no: str
    psn_no: str
    invoice_no: str
    visit_date: date
    medfee_sumamt: int
    fund_pay_sumamt: int
    note: str | None


class ItemOut(ApiModel):
    id: int
    declaration_id: int
    admdvs: str
    fixmedins_code: str
    period: str
    scope: str
    setl_id: str | None
    mdtrt_id: str | None
    bkkp_sn: str | None
    claim_no: str | None
    psn_no: str | None
    item_name: str | None
    declared_fen: int
    source: str
    finding_id: str | None
    rule_id: str | None
    rule_name: str | None
    sev_deg: int | None
    evidence: str | None
    suggested_reason: str | None
    suggested_fen: int | None
    status: str
    reason_code: str | None
    refused_fen: int
    multiplier: int
    prior_offences: int
    penalty_fen: int
    total_fen: int
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    answer_due: date | None
    answered_by: str | None
    answered_at: datetime | None
    answer_note: str | None
    second_by: str | None
    second_at: datetime | None
    second_note: str | None


class EventOut(ApiModel):
    item_id: int | None
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    amount_fen: int | None
    note: str | None


class DeclarationDetailOut(ApiModel):
    declaration: DeclarationOut
    settlements: list[DeclaredSettlementOut]
    cash_claims: list[CashClaimOut]
    items: list[ItemOut]
    events: list[EventOut]
    refused_fen: int
    penalty_fen: int
    confirmed_fen: int
    open_fen: int
    by_reason: dict[str, int]


class ItemIn(ApiModel):
    setl_id: str | None = Field(default=None, max_length=32, description="结算ID（就诊或明细条目）")
    bkkp_sn: str | None = Field(default=None, max_length=40, description="费用明细流水号（明细条目）")
    claim_no: str | None = Field(default=None, max_length=40, description="零星报销号（零星报销条目）")
    note: str | None = Field(default=None, max_length=500)


class DecisionIn(ApiModel):
    action: str = Field(description="deduct 拒付 / clear 通过 / uphold 复审维持 / overturn 复审撤销")
    reason_code: str | None = Field(
        default=None, max_length=32, description="拒付原因（拒付时；默认为发现建议）"
    )
    amount_fen: int | None = Field(default=None, ge=-FEN_MAX, le=FEN_MAX, description="拒付金额（分）")
    note: str | None = Field(default=None, max_length=500)


class AnswerIn(ApiModel):
    action: str = Field(description="accept 认可 / appeal 申诉")
    note: str | None = Field(default=None, max_length=1000, description="回复意见；申诉时必填理由")


class AppealIn(ApiModel):
    note: str = Field(max_length=1000, description="申诉理由")


class FindingsImportOut(ApiModel):
    created: int
    skipped: list[dict[str, str]] = Field(description="前500条跳过的发现及原因")
    skipped_total: int
    declarations: list[str]


class RunImportIn(ApiModel):
    run_no: str = Field(max_length=32, description="智能监控运行号")
    admdvs: str = Field(max_length=6)
    period: str = Field(max_length=7, description="申报月份 YYYY-MM")


class CloseOverdueOut(ApiModel):
    closed: int


class DeductionTotalOut(ApiModel):
    fixmedins_code: str
    setl_id: str | None
    amount_fen: int
    reason_code: str


class ParametersIn(ApiModel):
    admdvs: str = Field(max_length=6, examples=["439901"])
    begin: date
    end: date | None = None
    declare_by_day: int = Field(default=5, ge=-1000, le=1000, description="每月几日前申报")
    answer_working_days: int = Field(default=5, ge=-1000, le=1000, description="机构回复期限（工作日）")
    repeat_multipliers: str = Field(default="2,3,4,5", max_length=64, description="重复违规倍数，如 2,3,4,5")
    repeat_window_months: int = Field(default=12, ge=-1000, le=1000)
    absent_multiplier: int = Field(default=10, ge=-1000, le=1000, description="不在床且无记录倍数")


class ParametersOut(ApiModel):
    admdvs: str
    begin: date
    end: date | None
    declare_by_day: int
    answer_working_days: int
    repeat_multipliers: str
    repeat_window_months: int
    absent_multiplier: int


class CalendarDayIn(ApiModel):
    day: date
    kind: str = Field(description="holiday 节假日 / workday 调休上班")
    name: str | None = Field(default=None, max_length=64)


class CalendarDayOut(ApiModel):
    day: date
    kind: str
    name: str | None


class BatchDecisionIn(ApiModel):
    action: str = Field(description="deduct 按建议拒付 / clear 通过")
    item_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(
        default=None, max_length=10_000, description="条目号；不填则为全部待审核条目（拒付时为有建议的）"
    )
    note: str | None = Field(default=None, max_length=500)


class BatchOut(ApiModel):
    done: list[int]


class ReturnIn(ApiModel):
    reason: str = Field(max_length=500, description="退回原因")
