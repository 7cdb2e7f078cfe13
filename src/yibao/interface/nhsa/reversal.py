"""2601 reversal by original message id (冲正交易): undo what an earlier message of this institution did."""

from __future__ import annotations

import json

from yibao.domain.errors import conflict, not_found
from yibao.interface.nhsa.common import own_visit
from yibao.interface.nhsa.envelope import Call, Result
from yibao.interface.nhsa.settle import reverse_settlement
from yibao.interface.repository import InterfaceRepository
from yibao.settlement import service as settlement

REVERSIBLE = {
    "2201": "挂号",
    "2401": "入院登记",
    "2204": "门诊费用上传",
    "2301": "住院费用上传",
    "2207": "门诊结算",
    "2304": "住院结算",
}


def reverse_message(call: Call) -> Result:
    """2601: reverse a settlement (2207/2304), cancel a visit (2201/2401), withdraw an upload (2204/2301)."""
    data = call.data.node("data")
    psn_no = data.text("psn_no", max_len=30)
    omsgid = data.text("omsgid", max_len=40)
    oinfno = data.text("oinfno", max_len=8)
    with call.uow() as uow:
        original = InterfaceRepository(uow.session).message(omsgid)
        if original is None or original.fixmedins_code != call.fixmedins_code or original.infno != oinfno:
            raise not_found(
                "ORIGINAL_NOT_FOUND",
                f"字段 input.data.omsgid：本机构没有交易 {oinfno} 的原报文 {omsgid}",
                "input.data.omsgid",
            )
        if oinfno not in REVERSIBLE:
            raise conflict(
                "NOT_REVERSIBLE", f"字段 input.data.oinfno：交易 {oinfno} 不支持冲正", "input.data.oinfno"
            )
        if original.psn_no not in (None, psn_no):
            raise conflict(
                "PSN_MISMATCH", f"字段 input.data.psn_no：人员编号与原报文 {omsgid} 不符", "input.data.psn_no"
            )
        if original.reversed_by is not None:
            raise conflict(
                "ALREADY_REVERSED",
                f"字段 input.data.omsgid：原报文 {omsgid} 已被 {original.reversed_by} 冲正",
                "input.data.omsgid",
            )
        mdtrt_id = original.mdtrt_id or ""
        visit = own_visit(call, uow, mdtrt_id, psn_no, path="input.data")
        request = json.loads(original.request)
    output: dict[str, object] = {"omsgid": omsgid, "oinfno": oinfno}
    setl_id = None
    if oinfno in ("2207", "2304"):
        assert original.setl_id is not None
        result = reverse_settlement(call, original.setl_id, visit)
        output |= result.output
        setl_id = result.setl_id
    elif oinfno in ("2201", "2401"):
        with call.uow() as uow:
            settlement.cancel_visit(uow=uow, mdtrt_id=mdtrt_id)
    else:
        rows = (request.get("input") or {}).get("feedetail") or []
        sns = [str(r.get("feedetl_sn", "")).strip() for r in (rows if isinstance(rows, list) else [rows])]
        with call.uow() as uow:
            settlement.cancel_fees(uow=uow, mdtrt_id=mdtrt_id, feedetl_sns=sns)
    with call.uow() as uow:
        row = InterfaceRepository(uow.session).message(omsgid)
        assert row is not None
        row.reversed_by = call.envelope.msgid
        uow.audit(
            action="interface.reverse",
            entity="message",
            entity_id=omsgid,
            admdvs=row.admdvs,
            after={"by": call.envelope.msgid, "oinfno": oinfno},
        )
        uow.commit()
    return Result(output, psn_no=psn_no, mdtrt_id=mdtrt_id, setl_id=setl_id)
