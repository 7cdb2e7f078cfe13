"""Pre-settlement, settlement, reversal of outpatient (2206/2207/2208) and inpatient (2303/2304/2305)."""

from __future__ import annotations

from typing import Any

from yibao.core.clock import local_text
from yibao.domain.errors import BusinessError, conflict, invalid
from yibao.domain.money import fen_to_yuan
from yibao.interface.nhsa.coerce import Fields
from yibao.interface.nhsa.common import (
    basic_relation,
    clr_type_of,
    own_visit,
    person_fields,
    setldetail,
    setlinfo,
    settlement_output,
)
from yibao.interface.nhsa.envelope import Call, Result
from yibao.interface.repository import InterfaceRepository
from yibao.reference.lookup import dictionaries
from yibao.settlement import service as settlement
from yibao.settlement.models import Visit


def _visit_and_total(call: Call, data: Fields) -> tuple[Visit, int, int]:
    """The visit named (own, for the person named), medfee_sumamt in fen, and the unsettled lines' total."""
    mdtrt_id = data.text("mdtrt_id", max_len=40)
    psn_no = data.text("psn_no", max_len=30)
    medfee = data.money("medfee_sumamt")
    assert medfee is not None
    with call.uow() as uow:
        dicts = dictionaries(uow.session)
        data.code("insutype", dicts, required=False)
        data.code("med_type", dicts, required=False)
        data.code("mid_setl_flag", dicts, required=False)
        data.code("acct_used_flag", dicts, required=False)
        visit = own_visit(call, uow, mdtrt_id, psn_no, path="input.data")
        total = sum(
            line.amount
            for line in InterfaceRepository(uow.session).lines(visit.id)
            if line.status == "uploaded"
        )
    return visit, medfee, total


def _check_total(medfee: int, total: int) -> None:
    if medfee != total:
        raise invalid(
            "MEDFEE_MISMATCH",
            "input.data.medfee_sumamt",
            f"字段 input.data.medfee_sumamt（{fen_to_yuan(medfee)}元）"
            f"与已上传未结算明细合计（{fen_to_yuan(total)}元）不符",
        )


def pre_settle(call: Call) -> Result:
    """2206/2303: the settlement of the unsettled lines, computed and nothing written."""
    data = call.data.node("data")
    visit, medfee, total = _visit_and_total(call, data)
    _check_total(medfee, total)
    with call.uow() as uow:
        quote = settlement.quote(uow=uow, mdtrt_id=visit.mdtrt_id)
    breakdown = quote.breakdown
    with call.uow() as uow:
        repo = InterfaceRepository(uow.session)
        person = repo.person(visit.psn_no)
        relations = repo.relations(visit.psn_no)
        day = visit.begntime.date()
        info: dict[str, Any] = {"mdtrt_id": visit.mdtrt_id}
        if person is not None:
            info |= person_fields(person, basic_relation(relations, day, visit.insutype), relations, day)
        info |= {
            "insutype": visit.insutype,
            "setl_time": local_text(call.now),
            "mdtrt_cert_type": data.opt_text("mdtrt_cert_type", max_len=3),
            "med_type": visit.med_type,
            "medins_setl_id": call.envelope.msgid,
            "clr_optins": visit.insu_admdvs,
            "clr_way": None,
            "clr_type": clr_type_of(visit.med_type),
            "exp_content": None,
        }
        info |= setlinfo(breakdown, insutype=visit.insutype)
        detail = setldetail(uow, breakdown.fund_details, breakdown.inscp_scp_amt)
    return Result(
        {"setlinfo": info, "setldetail": detail},
        psn_no=visit.psn_no,
        mdtrt_id=visit.mdtrt_id,
        warn_msg=_warnings(quote),
    )


def _warnings(quote: settlement.Quote) -> str | None:
    """The in-visit rule hits as the common output's warn_msg: one `[rule_id] name: evidence` per hit."""
    if not quote.findings:
        return None
    lines = [f"[{f.rule_id}] {f.rule_name}：{f.evidence}" for f in quote.findings]
    if quote.blocked:
        lines.insert(0, "有拦截规则命中，结算将被拒绝")
    return "；".join(lines)[:1000]


def settle(call: Call) -> Result:
    """2207/2304: settle once per msgid (the request id); medfee_sumamt must equal the uploaded lines."""
    data = call.data.node("data")
    visit, medfee, total = _visit_and_total(call, data)
    mid_stay = data.opt_text("mid_setl_flag", max_len=1) == "1"
    with call.uow() as uow:
        earlier = InterfaceRepository(uow.session).settlement_by_request(call.envelope.msgid)
    if earlier is None:
        _check_total(medfee, total)
    elif earlier.visit_id != visit.id or earlier.medfee_sumamt != medfee:
        raise conflict("MSGID_REUSED", "字段 msgid：报文ID已用于另一笔结算", "msgid")
    try:
        with call.uow() as uow:
            row = settlement.settle(
                uow=uow, mdtrt_id=visit.mdtrt_id, request_id=call.envelope.msgid, mid_stay=mid_stay
            )
    except BusinessError:
        with call.uow() as uow:
            twin = InterfaceRepository(uow.session).settlement_by_request(call.envelope.msgid)
        if twin is None or twin.visit_id != visit.id:
            raise
        row = twin  # a concurrent repeat of this msgid settled first (its lock came after our check)
    return _stored(call, row.setl_id, visit)


def _stored(call: Call, setl_id: str, visit: Visit) -> Result:
    with call.uow() as uow:
        view = settlement.get_settlement(uow=uow, setl_id=setl_id)
        output = settlement_output(call, uow, view.settlement, view.funds, visit)
    return Result(output, psn_no=visit.psn_no, mdtrt_id=visit.mdtrt_id, setl_id=setl_id)


def reverse(call: Call) -> Result:
    """2208/2305: undo a settlement of this visit exactly; the reversal's own setl_id is answered."""
    data = call.data.node("data")
    setl_id = data.text("setl_id", max_len=40)
    mdtrt_id = data.text("mdtrt_id", max_len=40)
    psn_no = data.text("psn_no", max_len=30)
    with call.uow() as uow:
        visit = own_visit(call, uow, mdtrt_id, psn_no, path="input.data")
        original = InterfaceRepository(uow.session).settlement(setl_id)
        if original is None or original.visit_id != visit.id:
            raise invalid(
                "SETTLEMENT_NOT_FOUND",
                "input.data.setl_id",
                f"字段 input.data.setl_id：就诊 {mdtrt_id} 没有结算 {setl_id}",
            )
    return reverse_settlement(call, setl_id, visit)


def reverse_settlement(call: Call, setl_id: str, visit: Visit) -> Result:
    """Reverse `setl_id` with this message's msgid as the request id."""
    with call.uow() as uow:
        row = settlement.reverse(uow=uow, setl_id=setl_id, request_id=call.envelope.msgid)
    return _stored(call, row.setl_id, visit)
