"""Interface credentials (接入密钥), message log (报文日志), sign-ins (签到), reconciliations (对账)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.core.db import Base, IdMixin, Money, UtcDateTime


class Credential(IdMixin, Base):
    """A per-institution gateway credential: public access key and a sealed secret (接入密钥).

    The secret is stored sealed (encrypted and authenticated with a key derived from the
    deployment's `secret_key`), because the gateway must recompute HmacSHA1 with it.
    """

    __tablename__ = "ifc_credential"

    access_key: Mapped[str] = mapped_column(String(64), unique=True)
    fixmedins_code: Mapped[str] = mapped_column(String(32), index=True)
    admdvs: Mapped[str] = mapped_column(String(6), index=True)
    sealed_secret: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Message(IdMixin, Base):
    """A message answered with infcode 0, keyed by msgid: the first answer is replayed to repeats."""

    __tablename__ = "ifc_message"
    __table_args__ = (Index("ix_ifc_message_inst_time", "fixmedins_code", "received_at"),)

    msgid: Mapped[str] = mapped_column(String(40), unique=True)
    infno: Mapped[str] = mapped_column(String(8))
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    admdvs: Mapped[str] = mapped_column(String(6), index=True)
    opter: Mapped[str | None] = mapped_column(String(64))
    psn_no: Mapped[str | None] = mapped_column(String(30))
    mdtrt_id: Mapped[str | None] = mapped_column(String(40))
    setl_id: Mapped[str | None] = mapped_column(String(40))
    request: Mapped[str] = mapped_column(Text)  # JSON of the common input as received
    response: Mapped[str] = mapped_column(Text)  # JSON of the first common output
    reversed_by: Mapped[str | None] = mapped_column(String(40))  # msgid of the 2601 that undid it
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SignIn(IdMixin, Base):
    """An operator sign-in (9001 签到) with its sign_no; sign-out (9002) closes it."""

    __tablename__ = "ifc_sign_in"

    sign_no: Mapped[str] = mapped_column(String(40), unique=True)
    fixmedins_code: Mapped[str] = mapped_column(String(32), index=True)
    admdvs: Mapped[str] = mapped_column(String(6))
    opter_no: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    sign_time: Mapped[datetime] = mapped_column(UtcDateTime())
    signed_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Reconciliation(IdMixin, Base):
    """One daily reconciliation (3201 对总账 / 3202 对明细账): the institution's totals, ours, the result."""

    __tablename__ = "ifc_reconciliation"

    msgid: Mapped[str] = mapped_column(String(40))
    infno: Mapped[str] = mapped_column(String(8))
    fixmedins_code: Mapped[str] = mapped_column(String(32), index=True)
    admdvs: Mapped[str] = mapped_column(String(6), index=True)
    insutype: Mapped[str | None] = mapped_column(String(8))
    clr_type: Mapped[str] = mapped_column(String(8))
    stmt_begndate: Mapped[date] = mapped_column(Date)
    stmt_enddate: Mapped[date] = mapped_column(Date)
    their_medfee_sumamt: Mapped[int] = mapped_column(Money)
    their_fund_pay_sumamt: Mapped[int] = mapped_column(Money)
    their_acct_pay: Mapped[int] = mapped_column(Money)
    their_count: Mapped[int] = mapped_column(Integer)
    our_medfee_sumamt: Mapped[int] = mapped_column(Money)
    our_fund_pay_sumamt: Mapped[int] = mapped_column(Money)
    our_acct_pay: Mapped[int] = mapped_column(Money)
    our_count: Mapped[int] = mapped_column(Integer)
    stmt_rslt: Mapped[str] = mapped_column(String(4))  # 0 平 / 1 不平
    detail: Mapped[str] = mapped_column(Text)  # JSON: the differences found
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class InterfaceFile(IdMixin, Base):
    """A file of the interface (文件上传下载): uploaded by an institution (9101) or generated for it by a
    catalog download (1301 …) or a query, fetched through 9102 with its file_qury_no and filename."""

    __tablename__ = "ifc_file"
    __table_args__ = (Index("ix_ifc_file_fixmedins_code", "fixmedins_code"),)

    file_qury_no: Mapped[str] = mapped_column(String(64), unique=True)  # 文件查询号
    filename: Mapped[str] = mapped_column(String(200))
    fixmedins_code: Mapped[str] = mapped_column(String(32))  # the owner; "plc" for catalog files
    admdvs: Mapped[str] = mapped_column(String(6))
    direction: Mapped[str] = mapped_column(String(8))  # upload / download
    infno: Mapped[str] = mapped_column(String(8))  # 9101, or the transaction that generated it
    content: Mapped[bytes] = mapped_column(LargeBinary)  # the ZIP as sent or as generated
    data_cnt: Mapped[int] = mapped_column(Integer)
    dld_endtime: Mapped[date] = mapped_column(Date)  # 下载截止日期
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class VisitSpecialFlag(IdMixin, Base):
    """A special attribute of a visit uploaded by the institution (2406 就医特殊属性上传): a flag type and
    flag from the region's extended dictionaries (住院人员特殊标识类型/住院人员特殊标识), queried by 2407."""

    __tablename__ = "ifc_visit_sp_flag"
    __table_args__ = (
        Index("ix_ifc_visit_sp_flag_visit", "mdtrt_id"),
        Index("ix_ifc_visit_sp_flag_inst", "fixmedins_code", "id"),
    )

    detl_id: Mapped[str] = mapped_column(String(40), unique=True)  # ipt_psn_sp_flag_detl_id
    mdtrt_id: Mapped[str] = mapped_column(String(40))
    psn_no: Mapped[str] = mapped_column(String(30))
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    fixmedins_name: Mapped[str] = mapped_column(String(200))
    admdvs: Mapped[str] = mapped_column(String(6))  # the visit's place of insurance
    ipt_otp_no: Mapped[str] = mapped_column(String(30))
    flag_type: Mapped[str] = mapped_column(String(6))  # ipt_psn_sp_flag_type
    flag: Mapped[str] = mapped_column(String(6))  # ipt_psn_sp_flag
    memo: Mapped[str | None] = mapped_column(String(500))
    msgid: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
