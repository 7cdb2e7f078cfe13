"""The common input (公共输入) and common output (公共输出) of every transaction."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from yibao.core.clock import LOCAL_TZ
from yibao.core.security import Actor
from yibao.core.uow import UnitOfWork
from yibao.domain.errors import invalid
from yibao.domain.money import fen_to_yuan
from yibao.interface.nhsa.coerce import Fields

MSGID_MIN, MSGID_MAX = 20, 40  # the spec's 30 characters; 29 and other near lengths are accepted


@dataclass(frozen=True)
class Envelope:
    """The common input, coerced; `input` is the transaction's own part."""

    infno: str
    msgid: str
    fixmedins_code: str
    fixmedins_name: str | None
    mdtrtarea_admvs: str | None
    insuplc_admdvs: str | None
    opter: str | None
    opter_name: str | None
    opter_type: str | None
    sign_no: str | None
    inf_time: datetime | None
    input: Fields
    raw: dict[str, Any]


def parse_envelope(body: object) -> Envelope:
    """Read the common input; extra keys (serv_code, serv_sign …) are ignored."""
    if not isinstance(body, dict):
        raise invalid("ENVELOPE_FORMAT", "body", "报文体应为JSON对象（公共输入）")
    top = Fields(body, "")
    infno = top.text("infno", max_len=8)
    msgid = top.text("msgid", max_len=MSGID_MAX)
    if len(msgid) < MSGID_MIN:
        raise invalid("MSGID_LENGTH", "msgid", f"字段 msgid 发送方报文ID长度应为30位（收到 {len(msgid)} 位）")
    raw_input = body.get("input")
    if isinstance(raw_input, str) and raw_input.strip().startswith("{"):
        from yibao.interface.nhsa.jsontext import loads

        try:
            raw_input = loads(raw_input)
        except ValueError as exc:
            raise invalid("FIELD_NODE", "input", "字段 input 不是有效的JSON对象") from exc
    if raw_input is None or (isinstance(raw_input, str) and not raw_input.strip()):
        raw_input = {}
    if not isinstance(raw_input, dict):
        raise invalid("FIELD_NODE", "input", "字段 input 交易输入应为JSON对象")
    return Envelope(
        infno=infno,
        msgid=msgid,
        fixmedins_code=top.text("fixmedins_code", max_len=32),
        fixmedins_name=top.opt_text("fixmedins_name", max_len=200),
        mdtrtarea_admvs=top.opt_text("mdtrtarea_admvs", max_len=6),
        insuplc_admdvs=top.opt_text("insuplc_admdvs", max_len=6),
        opter=top.opt_text("opter", max_len=64),
        opter_name=top.opt_text("opter_name", max_len=64),
        opter_type=top.opt_text("opter_type", max_len=8),
        sign_no=top.opt_text("sign_no", max_len=40),
        inf_time=top.moment("inf_time", required=False),
        input=Fields(raw_input, "input"),
        raw=body,
    )


def stamp(moment: datetime, *, millis: bool = False) -> str:
    """yyyyMMddHHmmss[SSS] in Beijing time."""
    local = moment.astimezone(LOCAL_TZ)
    text = local.strftime("%Y%m%d%H%M%S")
    return text + f"{local.microsecond // 1000:03d}" if millis else text


def answer(
    *,
    infcode: int,
    now: datetime,
    admdvs: str = "000000",
    output: dict[str, Any] | None = None,
    err_msg: str | None = None,
    warn_msg: str | None = None,
) -> dict[str, Any]:
    """The common output: infcode 0 (ok) or -1 (refused), our message id and times."""
    return {
        "infcode": infcode,
        "inf_refmsgid": f"{admdvs}{stamp(now)}{secrets.randbelow(10**10):010d}",
        "refmsg_time": stamp(now, millis=True),
        "respond_time": stamp(now, millis=True),
        "err_msg": err_msg,
        "warn_msg": warn_msg,
        "output": output or {},
    }


def yuan(fen: int | None) -> Decimal:
    """Fen as a yuan number with two decimals."""
    return Decimal(fen_to_yuan(fen or 0))


@dataclass
class Call:
    """One transaction being served: who calls (the institution's operator identity), the envelope, now."""

    new_uow: Callable[[Actor], UnitOfWork]
    actor: Actor
    envelope: Envelope
    fixmedins_code: str
    admdvs: str
    now: datetime
    data: Fields = field(init=False)

    def __post_init__(self) -> None:
        self.data = self.envelope.input

    def uow(self) -> UnitOfWork:
        """A unit of work acting as the institution's operator."""
        return self.new_uow(self.actor)


@dataclass(frozen=True)
class Result:
    """A transaction's output and the keys it is logged under."""

    output: dict[str, Any]
    psn_no: str | None = None
    mdtrt_id: str | None = None
    setl_id: str | None = None
    file: tuple[str, bytes] | None = None  # 9102: (filename, ZIP) answered as the body itself
    warn_msg: str | None = None  # in-visit rule warnings (智能监控 事中提醒) of a pre-settlement
