"""9001 sign-in (签到) and 9002 sign-out (签退): a sign_no every other transaction must carry."""

from __future__ import annotations

import secrets

from yibao.core.clock import local_text
from yibao.core.security import Perm
from yibao.domain.errors import conflict, invalid
from yibao.interface.models import SignIn
from yibao.interface.nhsa.envelope import Call, Result, stamp
from yibao.interface.repository import InterfaceRepository


def sign_in(call: Call) -> Result:
    """9001: open a sign-in for the operator and answer its sign_no."""
    call.actor.require(Perm.SETTLE)
    data = call.data.node("signIn") if "signIn" in call.data.data else call.data.node("signin")
    row = SignIn(
        sign_no=f"{call.fixmedins_code[-8:]}{stamp(call.now)}{secrets.randbelow(10**6):06d}",
        fixmedins_code=call.fixmedins_code,
        admdvs=call.admdvs,
        opter_no=data.text("opter_no", max_len=64),
        mac=data.text("mac", max_len=64),
        ip=data.text("ip", max_len=64),
        sign_time=call.now,
        signed_out_at=None,
    )
    with call.uow() as uow:
        InterfaceRepository(uow.session).add(row)
        uow.flush()
        uow.audit(
            action="interface.sign_in",
            entity="sign_in",
            entity_id=row.sign_no,
            admdvs=call.admdvs,
            after={"opter_no": row.opter_no, "fixmedins_code": row.fixmedins_code},
        )
        uow.commit()
    return Result({"signinoutb": {"sign_time": local_text(row.sign_time), "sign_no": row.sign_no}})


def sign_out(call: Call) -> Result:
    """9002: close a sign-in of this institution."""
    call.actor.require(Perm.SETTLE)
    data = call.data.node("signOut") if "signOut" in call.data.data else call.data.node("signout")
    sign_no = data.text("sign_no", max_len=40)
    data.text("opter_no", max_len=64)
    with call.uow() as uow:
        row = InterfaceRepository(uow.session).sign_in(sign_no)
        if row is None or row.fixmedins_code != call.fixmedins_code:
            raise invalid(
                "SIGN_NO_UNKNOWN",
                "input.signOut.sign_no",
                f"字段 input.signOut.sign_no：签到编号 {sign_no} 不存在",
            )
        if row.signed_out_at is not None:
            raise conflict(
                "SIGNED_OUT",
                f"字段 input.signOut.sign_no：签到编号 {sign_no} 已签退",
                "input.signOut.sign_no",
            )
        row.signed_out_at = call.now
        uow.audit(action="interface.sign_out", entity="sign_in", entity_id=sign_no, admdvs=row.admdvs)
        uow.commit()
    return Result({"signoutoutb": {"sign_time": local_text(call.now)}})
