"""API payloads of the interface area: credentials, message log, reconciliations, the envelope (docs)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field

from yibao.core.schemas import ApiModel


class CredentialIn(ApiModel):
    fixmedins_code: str = Field(description="定点医药机构编号", examples=["H43990100001"])


class CredentialOut(ApiModel):
    access_key: str
    fixmedins_code: str
    admdvs: str
    active: bool
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class NewCredentialOut(CredentialOut):
    secret: str = Field(description="密钥明文，仅在创建时返回一次")


class MessageOut(ApiModel):
    msgid: str
    infno: str
    fixmedins_code: str
    admdvs: str
    opter: str | None
    psn_no: str | None
    mdtrt_id: str | None
    setl_id: str | None
    reversed_by: str | None
    received_at: datetime


class MessageDetailOut(MessageOut):
    request: str
    response: str


class ReconciliationOut(ApiModel):
    msgid: str
    infno: str
    fixmedins_code: str
    clr_type: str
    insutype: str | None
    stmt_begndate: date
    stmt_enddate: date
    stmt_rslt: str
    detail: str
    at: datetime


class CommonInput(ApiModel):
    """公共输入 (documentation of the body; the endpoint reads the raw JSON and coerces it itself)."""

    model_config = ConfigDict(from_attributes=True, extra="allow")

    infno: str = Field(description="交易编号", examples=["2207"])
    msgid: str = Field(description="发送方报文ID：机构编号+时间yyyyMMddHHmmss+4位流水，30位")
    mdtrtarea_admvs: str | None = Field(default=None, description="就医地医保区划")
    insuplc_admdvs: str | None = Field(default=None, description="参保地医保区划")
    recer_sys_code: str | None = Field(default=None, description="接收方系统代码")
    dev_no: str | None = None
    dev_safe_info: str | None = None
    cainfo: str | None = None
    signtype: str | None = None
    infver: str | None = Field(default=None, description="接口版本号")
    opter_type: str | None = None
    opter: str | None = None
    opter_name: str | None = None
    inf_time: str | None = Field(default=None, description="交易时间 yyyy-MM-dd HH:mm:ss")
    fixmedins_code: str = Field(description="定点医药机构编号（须为接入密钥所属机构）")
    fixmedins_name: str | None = None
    sign_no: str | None = Field(default=None, description="9001签到返回的签到编号")
    input: dict[str, Any] = Field(default_factory=dict, description="交易输入")


class CommonOutput(ApiModel):
    """公共输出."""

    infcode: int = Field(description="交易状态码：0 成功，-1 失败")
    inf_refmsgid: str = Field(description="接收方报文ID")
    refmsg_time: str
    respond_time: str
    err_msg: str | None = Field(description="错误信息：[稳定代码] 中文说明（含字段名与规则）")
    warn_msg: str | None
    output: dict[str, Any]
