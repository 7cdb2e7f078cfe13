"""Pre-settlement, settlement, reversal of outpatient (2206/2207/2208) and inpatient (2303/2304/2305)."""

from __future__ import annotations

from typing import Any

from yibao.core.clock import local_day, local_text
from yibao.domain.errors import BusinessError, conflict, invalid
from yibao.interface.nhsa.common import (
    basic_relation,
    clr_type_of,
    own_visit,
    own_visit_and_person,
    person_fields,
    setldetail,
    setlinfo,
    settlement_output,
)
from yibao.interface.nhsa.envelope import Call, Result
from yibao.interface.repository import InterfaceRepository
from yibao.reference.lookup import dictionaries
from yibao.settlement import service as settlement
from yibao.settlement.models import SettlementFund, Visit


def pre_settle(call: Call) -> Result:
    """2206/2303: the settlement of the unsettled lines, computed and nothing written (one unit of work)."""
    data = call.data.node("data")
    mdtrt_id = data.text("mdtrt_id", max_len=40)
    psn_no = data.text("psn_no", max_len=30)
    medfee = data.money("medfee_sumamt")
    assert medfee is not None
    with call.uow() as uow:
        dicts = dictionaries(uow.session)
        for name in ("insutype", "med_type", "mid_setl_flag", "acct_used_flag"):
            data.code(name, dicts, required=False)
        visit, (person, relations) = own_visit_and_person(call, uow, mdtrt_id, psn_no, path="input.data")
        quote = settlement.quote(
            uow=uow, mdtrt_id=visit.mdtrt_id, expected_medfee=medfee, medfee_field="input.data.medfee_sumamt"
        )
        breakdown = quote.breakdown
        day = local_day(visit.begntime)
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
    """2207/2304: settle once per msgid (the request id); medfee_sumamt must equal the uploaded lines.

    One unit of work: the visit is checked, settled (the total is checked on the lines the settlement
    reads under its lock) and answered from the stored row, with no second read of the lines.
    """
    data = call.data.node("data")
    mdtrt_id = data.text("mdtrt_id", max_len=40)
    psn_no = data.text("psn_no", max_len=30)
    medfee = data.money("medfee_sumamt")
    assert medfee is not None
    mid_stay = data.opt_text("mid_setl_flag", max_len=1) == "1"
    with call.uow() as uow:
        dicts = dictionaries(uow.session)
        for name in ("insutype", "med_type", "mid_setl_flag", "acct_used_flag"):
            data.code(name, dicts, required=False)
        visit, holder = own_visit_and_person(call, uow, mdtrt_id, psn_no, path="input.data")
        funds: list[SettlementFund] | None = None
        try:
            view = settlement.settle_view(
                uow=uow,
                mdtrt_id=visit.mdtrt_id,
                request_id=call.envelope.msgid,
                mid_stay=mid_stay,
                expected_medfee=medfee,
                medfee_field="input.data.medfee_sumamt",
            )
            row, funds = view.settlement, view.funds
        except BusinessError as exc:
            uow.rollback()
            twin = InterfaceRepository(uow.session).settlement_by_request(call.envelope.msgid)
            if twin is None:
                raise
            if exc.code != "REQUEST_ID_REUSED" and twin.visit_id == visit.id:
                row = twin  # a concurrent repeat of this msgid settled first (its lock came after our check)
            else:
                raise conflict("MSGID_REUSED", "字段 msgid：报文ID已用于另一笔结算", "msgid") from exc
        if row.visit_id != visit.id or row.medfee_sumamt != medfee:
            raise conflict("MSGID_REUSED", "字段 msgid：报文ID已用于另一笔结算", "msgid")
        output = settlement_output(call, uow, row, funds, visit, holder)  # nothing read again
    return Result(output, psn_no=visit.psn_no, mdtrt_id=visit.mdtrt_id, setl_id=row.setl_id)


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
