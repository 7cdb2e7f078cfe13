"""API payloads of enrolment. Money is integer fen (fields ending in `_fen`); ID numbers are masked
unless the caller holds the person:sensitive permission."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from yibao.core.schemas import ApiModel


class UnitIn(ApiModel):
    uscc: str = Field(description="统一社会信用代码（18位）", examples=["91430100MA4L00001J"])
    name: str = Field(description="单位名称")
    admdvs: str = Field(description="统筹区编码")
    unit_type: str = Field(
        description="单位类型 enterprise/government/institution/social_org/individual/other"
    )
    begin: date = Field(description="参保开始日期")
    end: date | None = Field(default=None, description="参保结束日期（含当日）")
    contact_name: str | None = Field(default=None, description="联系人")
    contact_phone: str | None = Field(default=None, description="联系电话")


class UnitPatch(ApiModel):
    name: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    status: str | None = Field(default=None, description="active/suspended/closed")
    end: date | None = None


class UnitOut(ApiModel):
    uscc: str
    name: str
    admdvs: str
    unit_type: str
    contact_name: str | None
    contact_phone: str | None
    status: str
    begin: date
    end: date | None


class EnrolIn(ApiModel):
    certno: str = Field(description="居民身份证号（18位）；性别和出生日期由此得出")
    name: str = Field(description="姓名")
    admdvs: str = Field(description="参保统筹区编码")
    insutype: str = Field(description="险种类型（字典 insutype）：310 职工、390 居民…")
    psn_type: str = Field(description="人员类别（字典 psn_type）")
    begin: date = Field(description="参保开始日期")
    end: date | None = Field(default=None, description="参保结束日期")
    phone: str | None = Field(default=None, description="联系电话")
    unit_uscc: str | None = Field(default=None, description="参保单位统一社会信用代码（同一统筹区）")
    idet_type: str | None = Field(
        default=None, description="特殊人群（字典 psn_idet_type）：2304/2303/2302/21/2308"
    )
    disa_lv: str | None = Field(default=None, description="残疾等级 1–4（仅残疾人员 2308）")
    waiting_end: date | None = Field(default=None, description="待遇等待期截止日（含当日）")


class PersonPatch(ApiModel):
    name: str | None = None
    phone: str | None = None


class PersonOut(ApiModel):
    psn_no: str
    certno: str = Field(description="身份证号；无 person:sensitive 权限时脱敏，如 110***********1234")
    certno_masked: bool
    name: str
    gend: str = Field(description="性别（字典 gend）：1 男，2 女")
    birth_date: date
    phone: str | None
    admdvs: str
    unit_uscc: str | None
    unit_name: str | None


class RelationIn(ApiModel):
    insutype: str
    psn_type: str
    begin: date
    admdvs: str | None = Field(default=None, description="统筹区，缺省为参保人登记的统筹区")
    end: date | None = None
    unit_uscc: str | None = None
    idet_type: str | None = None
    disa_lv: str | None = None
    waiting_end: date | None = None


class RelationStatusIn(ApiModel):
    status: str = Field(description="active/suspended/ended")
    end: date | None = Field(default=None, description="终止参保时必填：参保结束日期")


class RelationOut(ApiModel):
    id: int
    psn_no: str
    insutype: str
    psn_type: str
    admdvs: str
    idet_type: str | None
    disa_lv: str | None
    begin: date
    end: date | None
    waiting_end: date | None
    status: str


class ContributionIn(ApiModel):
    relation_id: int
    period: str = Field(description="职工 yyyy-MM，居民 yyyy", examples=["2024-01"])
    unit_fen: int = Field(default=0, description="单位缴费（分）")
    individual_fen: int = Field(default=0, description="个人缴费（分）")
    subsidy_fen: int = Field(default=0, description="财政补助（分）")
    base_wage_fen: int | None = Field(default=None, description="缴费基数（分），职工必填")
    paid_on: date | None = Field(default=None, description="缴费日期；空为应缴未缴")


class PaymentIn(ApiModel):
    paid_on: date = Field(description="缴费（补缴）日期")


class ContributionOut(ApiModel):
    id: int
    relation_id: int
    psn_no: str
    admdvs: str
    insutype: str
    period: str
    months: int
    unit_fen: int
    individual_fen: int
    subsidy_fen: int
    base_wage_fen: int | None
    total_fen: int
    due_date: date
    paid_on: date | None
    late: bool
    account_credit_fen: int


class ContributionsOut(BaseModel):
    items: list[ContributionOut]
    paid_months: int = Field(description="职工医保实际缴费月数（缴费年限）")


class AccountEntryOut(ApiModel):
    id: int
    entry_type: str
    amount: int = Field(description="金额（分），划入为正，支出为负")
    balance_after: int
    reference: str
    at: datetime


class AccountOut(ApiModel):
    psn_no: str
    admdvs: str
    balance: int = Field(description="余额（分）")
    entries: AccountEntriesPage


class AccountEntriesPage(BaseModel):
    items: list[AccountEntryOut]
    total: int
    page: int
    size: int


class TransferIn(ApiModel):
    to_admdvs: str = Field(description="转入统筹区")
    on: date = Field(description="转入日期：原参保关系于前一日终止")


class TransferOut(ApiModel):
    id: int
    psn_no: str
    insutype: str
    from_admdvs: str
    to_admdvs: str
    transfer_date: date
    months: int
    balance_fen: int


class RowErrorOut(BaseModel):
    row: int
    field: str
    code: str
    message: str


class ImportOut(BaseModel):
    ok: bool = Field(description="全部导入为 true；有任何错误行时什么都不保存")
    total: int
    created: list[str]
    errors: list[RowErrorOut]


class ContributionBatchOut(BaseModel):
    ids: list[int] = Field(description="新登记的缴费记录ID，按文件行顺序")
    paid: int = Field(description="登记时即缴清的条数")
    credited_fen: int = Field(description="计入个人账户的金额合计（分）")


AccountOut.model_rebuild()
