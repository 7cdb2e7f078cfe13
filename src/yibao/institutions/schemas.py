"""API payloads for designated institutions, departments and insurance doctors."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from yibao.core.schemas import ApiModel


class InstitutionIn(ApiModel):
    fixmedins_code: str = Field(description="定点医药机构编码", examples=["H43990100001"])
    name: str = Field(description="机构名称", examples=["示范县人民医院"])
    fixmedins_type: str = Field(description="定点医疗服务机构类型（字典 fixmedins_type）", examples=["1"])
    admdvs: str = Field(description="统筹区编码（6位）", examples=["439901"])
    hosp_lv: str | None = Field(
        default=None, description="医院等级（字典 hosp_lv），药店不填", examples=["5"]
    )
    address: str | None = Field(default=None, description="地址")
    uscc: str | None = Field(default=None, description="统一社会信用代码（18位）")
    agreement_begin: date | None = Field(default=None, description="协议开始日期（填写即签订协议）")
    agreement_end: date | None = Field(default=None, description="协议结束日期（含当日），默认一年")


class InstitutionPatch(ApiModel):
    name: str | None = None
    fixmedins_type: str | None = None
    hosp_lv: str | None = Field(default=None, description="空字符串清除")
    address: str | None = Field(default=None, description="空字符串清除")
    uscc: str | None = Field(default=None, description="空字符串清除")
    active: bool | None = None


class InstitutionOut(ApiModel):
    fixmedins_code: str
    name: str
    fixmedins_type: str
    fixmedins_type_name: str | None
    hosp_lv: str | None
    hosp_lv_name: str | None
    admdvs: str
    address: str | None
    uscc: str | None
    agreement_status: str = Field(description="协议状态（登记值）")
    effective_status: str = Field(description="今日实际状态（到期/逾期未续签按日期判断）")
    agreement_begin: date | None
    agreement_end: date | None
    renewal_deadline: date | None = Field(description="到期后可结算的最后一天（到期后2个月）")
    suspended_until: date | None
    status_since: date | None
    status_reason: str | None
    active: bool
    can_settle_today: bool
    settle_code: str
    settle_reason: str
    updated_at: datetime


class AgreementIn(ApiModel):
    action: str = Field(
        description="sign 签订 / renew 续签 / suspend 暂停 / resume 恢复 / expire 到期 / terminate 解除"
    )
    day: date | None = Field(default=None, description="操作生效日期，默认今天")
    begin: date | None = Field(default=None, description="协议开始日期（签订必填；续签默认原协议结束次日）")
    end: date | None = Field(default=None, description="协议结束日期（默认一年）")
    until: date | None = Field(default=None, description="暂停截止日期（含当日），空为直到恢复")
    reason: str | None = Field(default=None, description="原因（暂停、解除必填）")
    terms_profile: str | None = Field(
        default=None,
        description="续签：新年度尚无协议指标时按模板设定（general/specialist/pharmacy），否则拒绝",
    )


class SettleCheckOut(ApiModel):
    fixmedins_code: str
    day: date
    allowed: bool
    code: str
    reason: str


class DepartmentIn(ApiModel):
    dept_code: str = Field(description="院内科室编码", examples=["NK01"])
    name: str = Field(description="科室名称", examples=["内科一病区"])
    caty: str = Field(description="科别（字典 dept）", examples=["A03"])
    begin: date = Field(description="启用日期")
    end: date | None = Field(default=None, description="停用日期（含当日）")


class DepartmentPatch(ApiModel):
    name: str | None = None
    caty: str | None = None
    end: date | None = None
    clear_end: bool = False


class DepartmentOut(ApiModel):
    dept_code: str
    name: str
    caty: str
    begin: date
    end: date | None


class DoctorLinkIn(ApiModel):
    fixmedins_code: str
    dept_code: str | None = None
    begin: date
    end: date | None = None


class DoctorLinkEnd(ApiModel):
    fixmedins_code: str
    end: date


class DoctorLinkOut(ApiModel):
    fixmedins_code: str
    fixmedins_name: str | None
    dept_code: str | None
    begin: date
    end: date | None


class DoctorIn(ApiModel):
    dr_code: str = Field(
        description="执业编码：15位执业证书编码或 D/N/Y+6位区划+5至8位顺序号", examples=["D43990100001"]
    )
    name: str = Field(description="姓名")
    certno: str = Field(description="身份证号（18位）")
    kind: str = Field(description="doctor 医师 / pharmacist 药师 / nurse 护士", examples=["doctor"])
    admdvs: str = Field(description="登记统筹区编码", examples=["439901"])
    fixmedins_code: str | None = Field(default=None, description="执业机构编码")
    dept_code: str | None = Field(default=None, description="执业科室编码")
    begin: date | None = Field(default=None, description="执业开始日期，默认今天")


class DoctorPatch(ApiModel):
    name: str


class DoctorStatusIn(ApiModel):
    action: str = Field(description="suspend 暂停 / resume 恢复 / cancel 取消")
    day: date | None = Field(default=None, description="生效日期，默认今天")
    until: date | None = Field(default=None, description="暂停截止日期（暂停必填）")
    reason: str | None = Field(default=None, description="原因（暂停、取消必填）")


class DoctorOut(ApiModel):
    dr_code: str
    name: str
    certno: str = Field(description="身份证号（无 person:sensitive 权限时脱敏）")
    kind: str
    admdvs: str
    status: str
    suspended_until: date | None
    status_since: date | None
    status_reason: str | None
    points_year: int
    points_deducted: int
    qualified_today: bool
    qualification_code: str
    links: list[DoctorLinkOut]


class ImportOut(ApiModel):
    created: int
    codes: list[str]


# ---- admission (定点准入) -------------------------------------------------------------------------------


class ApplicationIn(ApiModel):
    day: date | None = Field(default=None, description="受理日期，默认今天")
    licence_no: str | None = Field(default=None, description="执业许可证/药品经营许可证编号")
    licence_valid_until: date | None = Field(default=None, description="许可证有效期至（空为长期）")
    opened_on: date | None = Field(default=None, description="开业日期（须满一年，001 第6篇 第二条）")
    systems_connected_on: date | None = Field(default=None, description="医保信息系统联网验收日期（第十条）")
    contact: str | None = Field(default=None, description="联系人")
    note: str | None = Field(default=None, description="说明")


class ApplicationPatch(ApiModel):
    licence_no: str | None = None
    licence_valid_until: date | None = None
    opened_on: date | None = None
    systems_connected_on: date | None = None
    contact: str | None = None


class DayIn(ApiModel):
    day: date | None = Field(default=None, description="日期，默认今天")


class AssessIn(ApiModel):
    scores: dict[str, int] = Field(description="评估表各项得分 {项目代码: 分}", examples=[{"management": 12}])
    assessors: list[str] = Field(description="评估人员（至少2人）", examples=[["王评审", "李评审"]])
    day: date | None = None


class NoticeIn(ApiModel):
    begin: date = Field(description="公示开始日期")
    end: date = Field(description="公示结束日期（含当日）")
    where: str | None = Field(default=None, description="公示地点/网址")


class ObjectionIn(ApiModel):
    day: date = Field(description="收到异议日期（须在公示期内）")
    content: str = Field(description="异议内容")
    objector: str | None = Field(default=None, description="异议人（空为匿名）")


class ObjectionAnswerIn(ApiModel):
    outcome: str = Field(description="upheld 成立 / dismissed 不成立")
    answer: str = Field(description="处理意见")
    day: date


class SignIn(ApiModel):
    begin: date = Field(description="协议开始日期")
    end: date | None = Field(default=None, description="协议结束日期，默认一年")
    day: date | None = Field(default=None, description="签订日期，默认今天")
    plaque_no: str | None = Field(default=None, description="标牌编号（空则按统筹区自动编号）")
    terms_profile: str | None = Field(
        default=None, description="协议指标模板 general/specialist/pharmacy（该年度尚无指标时）"
    )


class EndApplicationIn(ApiModel):
    action: str = Field(description="reject 不予认定 / withdraw 撤回")
    reason: str
    day: date | None = None


class DocumentOut(ApiModel):
    id: int
    kind: str
    kind_name: str
    filename: str
    media_type: str
    size: int
    sha256: str
    note: str | None
    uploaded_by: str


class StepOut(ApiModel):
    action: str
    action_name: str
    from_status: str | None
    to_status: str
    day: date
    note: str | None
    actor: str
    at: datetime


class ObjectionOut(ApiModel):
    id: int
    received_on: date
    objector: str | None
    content: str
    status: str
    answer: str | None
    answered_on: date | None
    answered_by: str | None


class ApplicationOut(ApiModel):
    application_no: str
    fixmedins_code: str
    name: str
    admdvs: str
    fixmedins_type: str
    status: str
    status_name: str
    submitted_on: date
    licence_no: str | None
    licence_valid_until: date | None
    opened_on: date | None
    systems_connected_on: date | None
    contact: str | None
    note: str | None
    checks: list[dict[str, Any]] = Field(description="资格审查：[{code, name, passed, reason}]")
    checked_on: date | None
    checklist: list[dict[str, Any]] = Field(description="评估表得分：[{code, label, weight, score}]")
    score: int | None
    pass_mark: int | None
    assessors: str | None
    assessed_on: date | None
    notice_begin: date | None
    notice_end: date | None
    notice_where: str | None
    closed_on: date | None
    signed_on: date | None
    agreement_no: str | None
    reason: str | None
    created_by: str
    documents: list[DocumentOut]
    steps: list[StepOut]
    objections: list[ObjectionOut]


class AgreementRecordOut(ApiModel):
    agreement_no: str
    kind: str
    begin: date
    end: date
    terms_year: int = Field(
        description="协议指标年度（考核模块 /api/v1/assessment/institutions/{code}/terms/{year}）"
    )
    application_no: str | None
    signed_on: date
    signed_by: str


class CertificateOut(ApiModel):
    certificate_no: str
    plaque_no: str
    application_no: str | None
    issued_on: date
    revoked_on: date | None


class EventOut(ApiModel):
    action: str
    action_name: str
    from_status: str | None
    to_status: str
    day: date
    begin: date | None
    end: date | None
    until: date | None
    reason: str | None
    actor: str
    at: datetime


class HistoryOut(ApiModel):
    agreements: list[AgreementRecordOut]
    certificates: list[CertificateOut]
    events: list[EventOut]


class BanIn(ApiModel):
    kind: str = Field(description="no_renew 限期不得重新定点 / permanent 永久退出（仅药店）")
    begin: date
    reason: str
    years: int | None = Field(default=None, description="年限1–5（no_renew）")
    decision_no: str | None = Field(
        default=None, description="依据的稽核处理决定编号（须为已签发的解除协议决定）"
    )


class BanOut(ApiModel):
    kind: str
    kind_name: str
    begin: date
    end: date | None
    source: str
    source_ref: str
    reason: str
    in_force: bool


class ChecklistItemIn(ApiModel):
    code: str
    label: str
    weight: int


class ChecklistIn(ApiModel):
    admdvs: str
    fixmedins_type: str
    begin: date
    end: date | None = None
    items: list[ChecklistItemIn]
    pass_mark: int


class ChecklistOut(ApiModel):
    admdvs: str
    fixmedins_type: str
    begin: date | None
    end: date | None
    items: list[dict[str, Any]]
    pass_mark: int
    source: str
