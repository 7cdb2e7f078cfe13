"""Pharmacy purchase (药店购药): 2101 pre-settlement, 2102 settlement, 2103 settlement reversal.

A retail pharmacy sends the person, the purchase and its lines (druginfo, drugdetail) and settles in
one call, without a separate registration: `settlement.purchase` registers the visit, uploads the
lines and settles in one unit of work, once per msgid. 2101 computes the same bill and stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from yibao.core.clock import local_day, local_text
from yibao.core.uow import UnitOfWork
from yibao.domain.errors import BusinessError, conflict, invalid
from yibao.domain.money import fen_to_yuan
from yibao.interface.nhsa.coerce import Fields
from yibao.interface.nhsa.common import (
    basic_relation,
    clr_type_of,
    own_visit,
    person_fields,
    person_of,
    setldetail,
    setlinfo,
    settlement_output,
)
from yibao.interface.nhsa.envelope import Call, Result
from yibao.interface.nhsa.fees import line_result
from yibao.interface.repository import InterfaceRepository
from yibao.reference.lookup import dictionaries
from yibao.settlement import service as settlement
from yibao.settlement.models import FeeLine, Settlement, SettlementFund, Visit
from yibao.settlement.service import PHARMACY_MED_TYPE, FeeInput

DETLCUT_FIELDS = (  # 明细分割信息 detlcutinfo (表 63 / 表 68)
    "feedetl_sn",
    "det_item_fee_sumamt",
    "cnt",
    "pric",
    "pric_uplmt_amt",
    "selfpay_prop",
    "fulamt_ownpay_amt",
    "overlmt_amt",
    "preselfpay_amt",
    "inscp_scp_amt",
    "chrgitm_lv",
    "med_chrgitm_type",
    "bas_medn_flag",
    "hi_nego_drug_flag",
    "chld_medc_flag",
    "list_sp_item_flag",
    "drt_reim_flag",
    "memo",
)


class Purchase:
    """The purchase as sent: the person and medical type, the lines in fen, the total claimed."""

    def __init__(self, call: Call) -> None:
        info = call.data.node("druginfo")
        self.psn_no = info.text("psn_no", max_len=30)
        with call.uow() as uow:
            dicts = dictionaries(uow.session)
            info.code("mdtrt_cert_type", dicts)
            self.insutype = info.code("insutype", dicts)
            self.med_type = info.code("med_type", dicts) or PHARMACY_MED_TYPE
            info.code("acct_used_flag", dicts)
            rows = call.data.rows("drugdetail")
            for row in rows:
                if "rx_circ_flag" in dicts.codes:
                    row.code("rx_circ_flag", dicts)
                else:
                    row.text("rx_circ_flag", max_len=3)
        info.text("mdtrt_cert_no", max_len=50)
        info.text("psn_cert_type", max_len=3)
        info.text("certno", max_len=20)
        # The spec gives psn_type 3 characters, but its dictionary has 1701 (城乡居民), which 1101 answers.
        info.text("psn_type", max_len=6)
        info.text("psn_name", max_len=20)
        self.mdtrt_cert_type = info.text("mdtrt_cert_type", max_len=3)
        begntime = info.moment("begntime")
        assert begntime is not None
        self.begntime = begntime
        medfee = info.money("medfee_sumamt")
        assert medfee is not None
        self.medfee = medfee
        self.disease_code = info.opt_text("dise_codg", max_len=30)
        self.fees = [_fee(row) for row in rows]
        total = sum(fee.det_item_fee_sumamt for fee in self.fees)
        if total != medfee:
            raise invalid(
                "MEDFEE_MISMATCH",
                "input.druginfo.medfee_sumamt",
                f"字段 input.druginfo.medfee_sumamt（{fen_to_yuan(medfee)}元）"
                f"与购药明细合计（{fen_to_yuan(total)}元）不符",
            )


def _fee(row: Fields) -> FeeInput:
    """One drugdetail line; med_list_codg is required by the spec, the institution's code maps it."""
    row.text("med_list_codg", max_len=50)
    moment = row.moment("fee_ocur_time")
    cnt = row.number("cnt")
    amount = row.money("det_item_fee_sumamt")
    assert moment is not None and cnt is not None and amount is not None
    return FeeInput(
        feedetl_sn=row.text("feedetl_sn", max_len=30),
        fee_ocur_time=moment,
        medins_list_codg=row.text("medins_list_codg", max_len=150),
        cnt=cnt,
        pric=row.price("pric"),
        det_item_fee_sumamt=amount,
        bilg_dr_codg=row.opt_text("bilg_dr_codg", max_len=30),  # the prescribing doctor (开单医生)
        prd_days=row.number("prd_days", required=False),  # days the drug lasts (周期天数)
    )


@contextmanager
def _person_refusal(call: Call, uow: UnitOfWork, psn_no: str) -> Iterator[None]:
    """The service looks the person up under the interface's rule (the operator's regions): its
    PERSON_NOT_FOUND is answered as the interface words it (the field, where it looked)."""
    try:
        yield
    except BusinessError as exc:
        if exc.code == "PERSON_NOT_FOUND":
            person_of(call, uow, psn_no, path="input.druginfo.psn_no")
        raise


def _cut(call: Call, lines: Sequence[FeeLine]) -> list[dict[str, Any]]:
    """detlcutinfo: each line's split with its catalog level and charge type."""
    with call.uow() as uow:
        items = InterfaceRepository(uow.session).catalog_items(x.hilist_code for x in lines if x.hilist_code)
    return [
        {k: v for k, v in line_result(line, items.get(line.hilist_code or "")).items() if k in DETLCUT_FIELDS}
        for line in lines
    ]


def pre_settle(call: Call) -> Result:
    """2101: the bill of the purchase, computed in full and then rolled back (mdtrt_id is provisional)."""
    purchase = Purchase(call)
    with call.uow() as uow, _person_refusal(call, uow, purchase.psn_no):
        quote = settlement.quote_purchase(
            uow=uow,
            psn_no=purchase.psn_no,
            fixmedins_code=call.fixmedins_code,
            begntime=purchase.begntime,
            fees=purchase.fees,
            med_type=purchase.med_type,
            insutype=purchase.insutype,
            disease_code=purchase.disease_code,
        )
    visit, breakdown = quote.visit, quote.breakdown
    with call.uow() as uow:
        repo = InterfaceRepository(uow.session)
        person, relations = repo.person_and_relations(visit.psn_no)
        day = local_day(visit.begntime)
        info: dict[str, Any] = {"mdtrt_id": visit.mdtrt_id}
        if person is not None:
            info |= person_fields(person, basic_relation(relations, day, visit.insutype), relations, day)
        info |= {
            "insutype": visit.insutype,
            "setl_time": local_text(call.now),
            "mdtrt_cert_type": purchase.mdtrt_cert_type,
            "med_type": visit.med_type,
            "medins_setl_id": call.envelope.msgid,
            "clr_optins": visit.insu_admdvs,
            "clr_way": None,
            "clr_type": clr_type_of(visit.med_type),
            "exp_content": None,
        }
        info |= setlinfo(breakdown, insutype=visit.insutype)
        detail = setldetail(uow, breakdown.fund_details, breakdown.inscp_scp_amt)
    output = {"setlinfo": info, "setldetail": detail, "detlcutinfo": _cut(call, quote.lines)}
    return Result(output, psn_no=visit.psn_no)


def settle(call: Call) -> Result:
    """2102: register, upload and settle in one unit of work, once per msgid (the request id)."""
    purchase = Purchase(call)
    with call.uow() as uow:
        with _person_refusal(call, uow, purchase.psn_no):
            row = settlement.purchase(
                uow=uow,
                psn_no=purchase.psn_no,
                fixmedins_code=call.fixmedins_code,
                begntime=purchase.begntime,
                fees=purchase.fees,
                request_id=call.envelope.msgid,
                med_type=purchase.med_type,
                insutype=purchase.insutype,
                disease_code=purchase.disease_code,
            )
        if row.medfee_sumamt != purchase.medfee:
            raise conflict("MSGID_REUSED", "字段 msgid：报文ID已用于另一笔购药结算", "msgid")
        # The settlement as the service returned it: only its funds and settled lines are read.
        result = _output(call, uow, row, None, with_lines=True)  # funds read with the person
    result.output["setlinfo"]["mdtrt_cert_type"] = purchase.mdtrt_cert_type
    return result


def _answer(call: Call, setl_id: str, *, with_lines: bool) -> Result:
    with call.uow() as uow:
        view = settlement.get_settlement(uow=uow, setl_id=setl_id)
        return _output(call, uow, view.settlement, view.funds, with_lines=with_lines)


def _output(
    call: Call, uow: UnitOfWork, row: Settlement, funds: Sequence[SettlementFund] | None, *, with_lines: bool
) -> Result:
    visit = uow.session.get(Visit, row.visit_id)  # the purchase's visit is still in the call's session
    assert visit is not None
    output = settlement_output(call, uow, row, funds, visit)
    if with_lines:
        settled = [
            line for line in InterfaceRepository(uow.session).lines(visit.id) if line.settlement_id == row.id
        ]
        output["detlcutinfo"] = _cut(call, settled)
    return Result(output, psn_no=visit.psn_no, mdtrt_id=visit.mdtrt_id, setl_id=row.setl_id)


def reverse(call: Call) -> Result:
    """2103: undo a pharmacy settlement (one settled by 2102) and withdraw its purchase."""
    data = call.data.node("data")
    setl_id = data.text("setl_id", max_len=40)
    mdtrt_id = data.text("mdtrt_id", max_len=40)
    psn_no = data.text("psn_no", max_len=30)
    with call.uow() as uow:
        repo = InterfaceRepository(uow.session)
        visit = own_visit(call, uow, mdtrt_id, psn_no, path="input.data")
        original = repo.settlement(setl_id)
        if original is None or original.visit_id != visit.id:
            raise invalid(
                "SETTLEMENT_NOT_FOUND",
                "input.data.setl_id",
                f"字段 input.data.setl_id：就诊 {mdtrt_id} 没有结算 {setl_id}",
            )
        message = repo.message(original.request_id)
        if original.kind != "settlement" or message is None or message.infno != "2102":
            raise invalid(
                "NOT_PHARMACY_SETTLEMENT",
                "input.data.setl_id",
                f"字段 input.data.setl_id：结算 {setl_id} 不是药店结算（2102），请用2208/2305撤销",
            )
    with call.uow() as uow:
        row = settlement.reverse_purchase(uow=uow, setl_id=setl_id, request_id=call.envelope.msgid)
    return _answer(call, row.setl_id, with_lines=False)
