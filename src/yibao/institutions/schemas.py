"""API payloads for designated institutions, departments and insurance doctors."""

from __future__ import annotations

from datetime import date, datetime

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
