"""API payloads of real-time settlement. Amounts are integer fen; unit prices are fen per unit (decimal)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from yibao.core.schemas import ApiModel


class VisitIn(ApiModel):
    psn_no: str = Field(description="人员编号")
    fixmedins_code: str = Field(description="定点医药机构编号")
    med_type: str = Field(description="医疗类别（字典 med_type），如 11 普通门诊、2101 普通住院")
    begntime: datetime = Field(description="开始时间（无时区时按北京时间）")
    diagnoses: list[str] = Field(default_factory=list, description="诊断编码（ICD-10 医保版），主诊断在前")
    insutype: str | None = Field(default=None, description="险种；空则取有效的基本医保")
    injury_cause: str | None = Field(default=None, description="外伤就医的受伤原因")
    disease_code: str | None = Field(default=None, description="门诊慢特病病种编码")
    dept_code: str | None = None
    dr_code: str | None = None


class DischargeIn(ApiModel):
    endtime: datetime = Field(description="出院/结束时间")
    dscg_way: str | None = Field(default=None, max_length=8, description="离院方式（国家字典 dscg_way）")


class IdentityCheckIn(ApiModel):
    check_time: datetime = Field(description="核验时间（无时区按北京时间）")
    method: str = Field(max_length=2, description="核验方式：1 人脸识别，2 指纹识别，3 证卡核对")
    matched: bool = Field(description="核验结果：true 人证相符，false 不符")


class IdentityCheckOut(ApiModel):
    check_time: datetime
    method: str
    matched: bool
    recorded_by: str


class FeeIn(ApiModel):
    feedetl_sn: str = Field(max_length=40, description="费用明细流水号")
    fee_ocur_time: datetime = Field(description="费用发生时间")
    medins_list_codg: str = Field(max_length=64, description="医药机构目录编码")
    medins_list_name: str | None = Field(default=None, max_length=200)
    cnt: Decimal = Field(description="数量；退费为负数", max_digits=16, decimal_places=4)
    pric: Decimal = Field(gt=0, description="单价（分/单位，可含小数）", max_digits=20, decimal_places=4)
    det_item_fee_sumamt: int = Field(description="明细项目费用总额（分）", ge=-(10**12), le=10**12)
    init_feedetl_sn: str | None = Field(default=None, description="退费时的原费用明细流水号")
    bilg_dept_codg: str | None = Field(default=None, max_length=30, description="开单科室编码")
    bilg_dr_codg: str | None = Field(default=None, max_length=30, description="开单医生编码")
    prd_days: Decimal | None = Field(
        default=None, ge=0, lt=100, max_digits=4, decimal_places=2, description="周期天数（0–99.99）"
    )
    dscg_tkdrug_flag: str | None = Field(default=None, max_length=3, description="出院带药标志：0 否，1 是")


class FeesIn(ApiModel):
    feedetail: list[FeeIn] = Field(min_length=1, max_length=2000)


class FeeCancelIn(ApiModel):
    feedetl_sns: list[str] | None = Field(default=None, description="要撤销的明细流水号；空为全部未结算明细")


class SettleIn(ApiModel):
    request_id: str = Field(min_length=1, max_length=64, description="请求流水号（幂等）")
    mid_stay: bool = Field(default=False, description="中途结算")


class ReverseIn(ApiModel):
    request_id: str = Field(min_length=1, max_length=64, description="请求流水号（幂等）")


class ChronicIn(ApiModel):
    psn_no: str
    disease_code: str
    begin: date
    end: date | None = None


class VisitOut(ApiModel):
    mdtrt_id: str
    psn_no: str
    insutype: str
    insu_admdvs: str
    fixmedins_code: str
    dedc_level: str
    med_type: str
    begntime: datetime
    endtime: datetime | None
    diagnoses: str
    injury_cause: str | None
    disease_code: str | None
    dscg_way: str | None = None
    status: str


class FeeLineOut(ApiModel):
    feedetl_sn: str
    fee_ocur_time: datetime
    medins_list_codg: str
    medins_list_name: str | None
    hilist_code: str | None
    cnt: Decimal
    pric: Decimal
    det_item_fee_sumamt: int = Field(validation_alias="amount")
    init_feedetl_sn: str | None = Field(validation_alias="refund_of")
    bilg_dept_codg: str | None = None
    bilg_dr_codg: str | None = None
    prd_days: Decimal | None = None
    dscg_tkdrug_flag: str | None = None
    status: str
    fulamt_ownpay: int | None
    overlmt_selfpay: int | None
    preselfpay: int | None
    inscp: int | None
    split_reason: str | None


class FundOut(BaseModel):
    fund_pay_type: str
    amount: int


class TraceOut(BaseModel):
    key: str
    amount: int
    clause: str
    text: str


class LineSplitOut(BaseModel):
    sn: str
    amount: int
    fulamt_ownpay: int
    overlmt_selfpay: int
    preselfpay: int
    inscp: int
    reason: str


class Amounts(ApiModel):
    medfee_sumamt: int
    fulamt_ownpay_amt: int
    overlmt_selfpay: int
    preselfpay_amt: int
    inscp_scp_amt: int
    act_pay_dedc: int
    hifp_pay: int
    pool_prop_selfpay: int
    cvlserv_pay: int
    hifmi_pay: int
    maf_pay: int
    fund_pay_sumamt: int
    psn_part_amt: int
    acct_pay: int
    psn_cash_pay: int
    balc: int


class RuleWarningOut(BaseModel):
    """An in-visit rule hit (智能监控 事中提醒) on the bill being pre-settled."""

    rule_id: str
    rule_name: str
    family: str
    sev_deg: str = Field(description="严重程度（国家字典 sev_deg：1 明确违规，2 高度可疑，3 轻度可疑）")
    sn: str | None = Field(description="费用明细流水号；就诊级规则为空")
    vola_amt: int = Field(description="涉及金额（分）")
    evidence: str
    blocking: bool = Field(description="是否拦截结算")


class BreakdownOut(Amounts):
    """A pre-settlement: what settling now would produce (nothing written)."""

    review_required: bool
    setldetail: list[FundOut]
    lines: list[LineSplitOut]
    trace: list[TraceOut]
    warnings: list[RuleWarningOut] = Field(default_factory=list, description="智能监控事中提醒")
    blocked: bool = Field(False, description="有拦截规则命中：结算将被拒绝")


class SettlementRowOut(Amounts):
    """A settlement or reversal as listed under its visit."""

    setl_id: str
    request_id: str
    kind: str
    status: str
    init_setl_id: str | None
    year: int
    mid_stay: bool
    review_required: bool
    settled_at: datetime
    policy_version: str | None


class SettlementOut(SettlementRowOut):
    """A settlement with its fund rows (setldetail) and the explanation of every amount."""

    setldetail: list[FundOut] = Field(default_factory=list)
    trace: list[TraceOut] = Field(default_factory=list)


class VisitDetailOut(BaseModel):
    visit: VisitOut
    lines: list[FeeLineOut]
    settlements: list[SettlementRowOut]
