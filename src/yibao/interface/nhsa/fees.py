"""Fee upload and cancellation shared by outpatient (2204/2205) and inpatient (2301/2302)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from yibao.catalog.models import CatalogItem
from yibao.domain.errors import invalid
from yibao.interface.nhsa.coerce import Fields
from yibao.interface.nhsa.common import own_visit
from yibao.interface.nhsa.envelope import Call, Result, yuan
from yibao.interface.repository import InterfaceRepository
from yibao.settlement import service as settlement
from yibao.settlement.models import FeeLine
from yibao.settlement.service import FeeInput

KIND_CHRGITM = {"drug": "09", "consumable": "08", "service": "14", "facility": "01"}
ALL_LINES = "0000"


def read_lines(rows: list[Fields]) -> tuple[str, str, list[FeeInput]]:
    """The fee lines of one visit (mdtrt_id, psn_no) with money converted to fen."""
    if not rows:
        raise invalid("NO_LINES", "input.feedetail", "节点 input.feedetail 至少需要一条费用明细")
    mdtrt_id = rows[0].text("mdtrt_id", max_len=40)
    psn_no = rows[0].text("psn_no", max_len=30)
    fees = []
    for row in rows:
        if row.text("mdtrt_id", max_len=40) != mdtrt_id:
            raise invalid(
                "MIXED_VISITS",
                f"{row.path}.mdtrt_id",
                f"字段 {row.path}.mdtrt_id：一次上传只能是同一就诊的明细",
            )
        row.text("medins_list_codg", max_len=64)
        fees.append(
            FeeInput(
                feedetl_sn=row.text("feedetl_sn", max_len=30),
                fee_ocur_time=_required(row.moment("fee_ocur_time")),
                medins_list_codg=row.text("medins_list_codg", max_len=64),
                cnt=_required(row.number("cnt")),
                pric=row.price("pric"),
                det_item_fee_sumamt=_required(row.money("det_item_fee_sumamt")),
                medins_list_name=row.opt_text("medins_list_name", max_len=200),
                init_feedetl_sn=row.opt_text("init_feedetl_sn", max_len=30),
                bilg_dept_codg=row.opt_text("bilg_dept_codg", max_len=30),
                bilg_dr_codg=row.opt_text("bilg_dr_codg", max_len=30),
                prd_days=row.number("prd_days", required=False),
                dscg_tkdrug_flag=row.opt_text("dscg_tkdrug_flag", max_len=3),
            )
        )
    return mdtrt_id, psn_no, fees


def _required(value: Any) -> Any:
    assert value is not None
    return value


def line_result(line: FeeLine, item: CatalogItem | None) -> dict[str, Any]:
    """The national answer for one stored line: amounts, catalog level and charge type."""
    cap = item.price_cap if item is not None else None
    return {
        "feedetl_sn": line.feedetl_sn,
        "det_item_fee_sumamt": yuan(line.amount),
        "cnt": Decimal(line.cnt).normalize(),
        "pric": (Decimal(line.pric) / 100).quantize(Decimal("0.000001")).normalize(),
        "pric_uplmt_amt": yuan(cap)
        if cap is not None
        else (Decimal(line.pric) / 100).quantize(Decimal("0.01")),
        "selfpay_prop": Decimal(item.selfpay_bp) / Decimal(10000) if item is not None else Decimal(1),
        "fulamt_ownpay_amt": yuan(line.fulamt_ownpay) if line.fulamt_ownpay is not None else None,
        "overlmt_amt": yuan(line.overlmt_selfpay) if line.overlmt_selfpay is not None else None,
        "preselfpay_amt": yuan(line.preselfpay) if line.preselfpay is not None else None,
        "inscp_scp_amt": yuan(line.inscp) if line.inscp is not None else None,
        "chrgitm_lv": item.chrgitm_lv if item is not None else "03",
        "med_chrgitm_type": (item.med_chrgitm_type or KIND_CHRGITM.get(item.kind, "14"))
        if item is not None
        else "14",
        "bas_medn_flag": None,
        "hi_nego_drug_flag": None,
        "chld_medc_flag": None,
        "list_sp_item_flag": None,
        "lmt_used_flag": "1" if item is not None and item.restr_indication else "0",
        "drt_reim_flag": None,
        "memo": None if line.hilist_code else "医药机构目录未对码，按自费处理",
        "exp_content": None,
    }


def upload(call: Call) -> Result:
    """2204/2301: store the lines of one visit (all or none) and answer each line's catalog facts."""
    mdtrt_id, psn_no, fees = read_lines(call.data.rows("feedetail"))
    with call.uow() as uow:
        own_visit(call, uow, mdtrt_id, psn_no, path="input.feedetail[0]")
    with call.uow() as uow:
        rows = settlement.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=fees)
    with call.uow() as uow:
        items = InterfaceRepository(uow.session).catalog_items(r.hilist_code for r in rows if r.hilist_code)
    result = [line_result(r, items.get(r.hilist_code or "")) for r in rows]
    return Result({"result": result}, psn_no=psn_no, mdtrt_id=mdtrt_id)


def cancel_outpatient(call: Call) -> Result:
    """2205: withdraw the unsettled lines of one charge batch (chrg_bchno "0000": all unsettled lines)."""
    data = call.data.node("data")
    mdtrt_id = data.text("mdtrt_id", max_len=40)
    psn_no = data.text("psn_no", max_len=30)
    batch = data.text("chrg_bchno", max_len=30)
    with call.uow() as uow:
        own_visit(call, uow, mdtrt_id, psn_no, path="input.data")
        sns: list[str] | None = None
        if batch != ALL_LINES:
            sns = InterfaceRepository(uow.session).batch_lines(mdtrt_id, batch)
            if not sns:
                raise invalid(
                    "BATCH_UNKNOWN",
                    "input.data.chrg_bchno",
                    f"字段 input.data.chrg_bchno：收费批次 {batch} 没有已上传的明细",
                )
    with call.uow() as uow:
        settlement.cancel_fees(uow=uow, mdtrt_id=mdtrt_id, feedetl_sns=sns)
    return Result({}, psn_no=psn_no, mdtrt_id=mdtrt_id)


def cancel_inpatient(call: Call) -> Result:
    """2302: withdraw one unsettled line, or all of them with feedetl_sn "0000"."""
    data = call.data.node("data")
    mdtrt_id = data.text("mdtrt_id", max_len=40)
    psn_no = data.text("psn_no", max_len=30)
    sn = data.text("feedetl_sn", max_len=30)
    with call.uow() as uow:
        own_visit(call, uow, mdtrt_id, psn_no, path="input.data")
    with call.uow() as uow:
        settlement.cancel_fees(uow=uow, mdtrt_id=mdtrt_id, feedetl_sns=None if sn == ALL_LINES else [sn])
    return Result({}, psn_no=psn_no, mdtrt_id=mdtrt_id)
