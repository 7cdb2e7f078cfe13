"""Queries: 1901 dictionaries, 5201 visits, 5202 diagnoses, 5203 settlement, 5204 fees, 5206 year totals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from yibao.core.clock import local_day, local_text
from yibao.domain.errors import invalid
from yibao.interface.nhsa.common import basic_relation, own_visit, person_fields, person_of, settlement_output
from yibao.interface.nhsa.envelope import Call, Result, yuan
from yibao.interface.nhsa.fees import KIND_CHRGITM
from yibao.interface.repository import InterfaceRepository
from yibao.reference.lookup import diagnoses as icd10
from yibao.reference.lookup import dictionaries
from yibao.reference.lookup import procedures as icd9
from yibao.settlement import service as settlement

COUNT_COUNTERS = ("admission",)  # ledger counters that count, not money


def dictionary(call: Call) -> Result:
    """1901: the codes of one national dictionary."""
    data = call.data.node("data")
    name = data.text("type", max_len=50)
    with call.uow() as uow:
        dicts = dictionaries(uow.session)
        codes = dicts.options(name)
        if not codes:
            raise invalid("DICT_UNKNOWN", "input.data.type", f"字段 input.data.type：字典 {name} 不存在")
        rows = [
            {
                "type": name,
                "label": label,
                "value": code,
                "parentValue": data.opt_text("parent_value", max_len=50) or "",
                "sort": Decimal(i + 1),
                "valiFlag": "1",
                "createUser": "system",
                "createDate": "2024-01-01",
                "version": 1,
            }
            for i, (code, label) in enumerate(codes)
        ]
    return Result({"list": rows})


def visits(call: Call) -> Result:
    """5201: the person's visits at this institution between begntime and endtime."""
    data = call.data.node("data")
    psn_no = data.text("psn_no", max_len=30)
    begin, end = data.moment("begntime"), data.moment("endtime")
    assert begin is not None and end is not None
    with call.uow() as uow:
        med_type = data.code("med_type", dictionaries(uow.session), required=False)
        only = data.opt_text("mdtrt_id", max_len=40)
        person = person_of(call, uow, psn_no)
        repo = InterfaceRepository(uow.session)
        relations = repo.relations(psn_no)
        rows: list[dict[str, Any]] = []
        chosen = [
            visit
            for visit in repo.visits_of(psn_no, call.fixmedins_code, begin, end + timedelta(seconds=1))
            if not (med_type and visit.med_type != med_type) and not (only and visit.mdtrt_id != only)
        ]
        procedures = settlement.visit_procedures(uow=uow, mdtrt_ids=[v.mdtrt_id for v in chosen])
        book = icd9(uow.session) if procedures else None
        for visit in chosen:
            done = procedures.get(visit.mdtrt_id)
            main = done[0] if done else None
            day = local_day(visit.begntime)
            row = person_fields(person, basic_relation(relations, day, visit.insutype), relations, day)
            row |= {
                "mdtrt_id": visit.mdtrt_id,
                "insutype": visit.insutype,
                "begntime": local_text(visit.begntime),
                "endtime": local_text(visit.endtime or visit.begntime),  # open visits: their begin
                "med_type": visit.med_type,
                "atddr_no": visit.dr_code,
                "adm_dept_codg": visit.dept_code,
                "dscg_maindiag_code": (visit.diagnoses.split("|") or [""])[0] or None,
                "oprn_oprt_code": main.code if main else None,
                "oprn_oprt_name": (main.name or (book.name(main.code) if book else None)) if main else None,
                "inhosp_stas": "0" if visit.endtime else "1",
                "memo": visit.status,
            }
            rows.append(row)
    return Result({"mdtrtinfo": rows}, psn_no=psn_no)


def diagnoses(call: Call) -> Result:
    """5202: the diagnoses of one visit, principal first."""
    data = call.data.node("data")
    mdtrt_id = data.text("mdtrt_id", max_len=40)
    psn_no = data.text("psn_no", max_len=30)
    with call.uow() as uow:
        visit = own_visit(call, uow, mdtrt_id, psn_no, path="input.data")
        book = icd10(uow.session)
        rows = [
            {
                "diag_info_id": f"{mdtrt_id}-{i + 1}",
                "mdtrt_id": mdtrt_id,
                "psn_no": psn_no,
                "inout_diag_type": "1",
                "diag_type": "1",
                "maindiag_flag": "1" if i == 0 else "0",
                "diag_srt_no": Decimal(i + 1),
                "diag_code": code,
                "diag_name": book.name(code) or code,
                "diag_dept": visit.dept_code or "",
                "dise_dor_no": visit.dr_code or "",
                "dise_dor_name": visit.dr_code or "",
                "diag_time": local_text(visit.begntime),
            }
            for i, code in enumerate(c for c in visit.diagnoses.split("|") if c)
        ]
    return Result({"diseinfo": rows}, psn_no=psn_no, mdtrt_id=mdtrt_id)


def _settlement_of(call: Call) -> tuple[str, str, str]:
    data = call.data.node("data")
    return (
        data.text("psn_no", max_len=30),
        data.text("setl_id", max_len=40),
        data.text("mdtrt_id", max_len=40),
    )


def settlement_info(call: Call) -> Result:
    """5203: a settlement with its fund rows."""
    psn_no, setl_id, mdtrt_id = _settlement_of(call)
    with call.uow() as uow:
        visit = own_visit(call, uow, mdtrt_id, psn_no, path="input.data")
        view = settlement.get_settlement(uow=uow, setl_id=setl_id)
        if view.settlement.visit_id != visit.id:
            raise invalid(
                "SETTLEMENT_NOT_FOUND",
                "input.data.setl_id",
                f"字段 input.data.setl_id：就诊 {mdtrt_id} 没有结算 {setl_id}",
            )
        output = settlement_output(call, uow, view.settlement, view.funds, visit)
        institution = InterfaceRepository(uow.session).institution(call.fixmedins_code)
        output["setlinfo"]["fixmedins_name"] = institution.name if institution else call.fixmedins_code
    return Result(output, psn_no=psn_no, mdtrt_id=mdtrt_id, setl_id=setl_id)


def fee_details(call: Call) -> Result:
    """5204: the fee lines a settlement paid."""
    psn_no, setl_id, mdtrt_id = _settlement_of(call)
    with call.uow() as uow:
        visit = own_visit(call, uow, mdtrt_id, psn_no, path="input.data")
        repo = InterfaceRepository(uow.session)
        row = repo.settlement(setl_id)
        if row is None or row.visit_id != visit.id:
            raise invalid(
                "SETTLEMENT_NOT_FOUND",
                "input.data.setl_id",
                f"字段 input.data.setl_id：就诊 {mdtrt_id} 没有结算 {setl_id}",
            )
        lines = [line for line in repo.lines(visit.id) if line.settlement_id == row.id]
        items = repo.catalog_items(line.hilist_code for line in lines if line.hilist_code)
        out = []
        for line in lines:
            item = items.get(line.hilist_code or "")
            out.append(
                {
                    "mdtrt_id": mdtrt_id,
                    "setl_id": setl_id,
                    "feedetl_sn": line.feedetl_sn,
                    "med_type": visit.med_type,
                    "fee_ocur_time": local_text(line.fee_ocur_time),
                    "cnt": Decimal(line.cnt).normalize(),
                    "pric": (Decimal(line.pric) / 100).normalize(),
                    "det_item_fee_sumamt": yuan(line.amount),
                    "pric_uplmt_amt": yuan(item.price_cap)
                    if item and item.price_cap is not None
                    else yuan(0),
                    "chrgitm_lv": item.chrgitm_lv if item else "03",
                    "hilist_code": line.hilist_code or "",
                    "hilist_name": item.name if item else (line.medins_list_name or ""),
                    "list_type": item.list_type if item else "105",
                    "med_list_codg": line.hilist_code or "",
                    "medins_list_codg": line.medins_list_codg,
                    "medins_list_name": line.medins_list_name or (item.name if item else ""),
                    "med_chrgitm_type": (item.med_chrgitm_type or KIND_CHRGITM.get(item.kind, "14"))
                    if item
                    else "14",
                    "dosform_name": (item.dosform or "") if item else "",
                    "fulamt_ownpay_amt": yuan(line.fulamt_ownpay),
                    "preselfpay_amt": yuan(line.preselfpay),
                    "inscp_scp_amt": yuan(line.inscp),
                    "overlmt_amt": yuan(line.overlmt_selfpay),
                }
            )
    return Result({"feedetail": out}, psn_no=psn_no, mdtrt_id=mdtrt_id, setl_id=setl_id)


def year_totals(call: Call) -> Result:
    """5206: the person's year ledger counters (累计信息) for the year of cum_ym (default: this year)."""
    data = call.data.node("data")
    psn_no = data.text("psn_no", max_len=30)
    cum_ym = data.opt_text("cum_ym", max_len=6) or call.now.strftime("%Y%m")
    if not (len(cum_ym) == 6 and cum_ym.isdigit()):
        raise invalid("FIELD_FORMAT", "input.data.cum_ym", "字段 input.data.cum_ym 应为年月 yyyyMM")
    year = int(cum_ym[:4])
    rows: list[dict[str, Any]] = []
    with call.uow() as uow:
        person_of(call, uow, psn_no)
        relations = InterfaceRepository(uow.session).relations(psn_no)
        for insutype in sorted({r.insutype for r in relations}):
            counters = settlement.ledger(uow=uow, psn_no=psn_no, insutype=insutype, year=year)
            for name, amount in sorted(counters.items()):
                counts = any(word in name for word in COUNT_COUNTERS)
                rows.append(
                    {
                        "insutype": insutype,
                        "year": str(year),
                        "cum_ym": cum_ym,
                        "cum_type_code": name,
                        "cum": Decimal(amount) if counts else yuan(amount),
                    }
                )
    return Result({"cuminfo": rows}, psn_no=psn_no)


def institution_info(call: Call) -> Result:
    """1201: designated institutions of the caller's region, by type and by code or name."""
    info = call.data.node("medinsinfo")
    with call.uow() as uow:
        fixmedins_type = info.code("fixmedins_type", dictionaries(uow.session))
        assert fixmedins_type is not None
        rows = InterfaceRepository(uow.session).institutions(
            admdvs=call.admdvs,
            fixmedins_type=fixmedins_type,
            code=info.opt_text("fixmedins_code", max_len=32),
            name=info.opt_text("fixmedins_name", max_len=100),
        )
    out = [
        {
            "fixmedins_code": row.fixmedins_code,
            "fixmedins_name": row.name,
            "uscc": row.uscc or "",
            "fixmedins_type": row.fixmedins_type,
            "hosp_lv": row.hosp_lv,
            "exp_content": None,
        }
        for row in rows
    ]
    return Result({"medinsinfo": out})


DRUG_LIST_TYPES = frozenset({"101", "102", "103", "104", "106"})


def chronic_drugs(call: Call) -> Result:
    """5205: drugs the person received in chronic-disease outpatient visits (门诊慢特病) of the region."""
    data = call.data.node("data")
    psn_no = data.text("psn_no", max_len=30)
    begin = data.moment("begntime")
    assert begin is not None
    end = data.moment("endtime", required=False) or call.now
    out: list[dict[str, Any]] = []
    with call.uow() as uow:
        person_of(call, uow, psn_no)
        repo = InterfaceRepository(uow.session)
        for visit in repo.chronic_visits(psn_no, call.admdvs, begin, end):
            lines = [line for line in repo.lines(visit.id) if line.status == "settled" and line.hilist_code]
            items = repo.catalog_items(line.hilist_code or "" for line in lines)
            institution = repo.institution(visit.fixmedins_code)
            for line in lines:
                item = items.get(line.hilist_code or "")
                if item is None or item.list_type not in DRUG_LIST_TYPES:
                    continue
                out.append(
                    {
                        "feedetl_sn": line.feedetl_sn,
                        "fixmedins_code": visit.fixmedins_code,
                        "fixmedins_name": institution.name if institution else visit.fixmedins_code,
                        "psn_no": psn_no,
                        "med_type": visit.med_type,
                        "fee_ocur_time": local_text(line.fee_ocur_time),
                        "cnt": Decimal(line.cnt).normalize(),
                        "pric": (Decimal(line.pric) / 100).normalize(),
                        "chrgitm_lv": item.chrgitm_lv,
                        "hilist_code": item.code,
                        "hilist_name": item.name,
                        "list_type": item.list_type,
                        "med_list_codg": item.code,
                        "medins_list_codg": line.medins_list_codg,
                        "medins_list_name": line.medins_list_name or item.name,
                        "med_chrgitm_type": item.med_chrgitm_type or KIND_CHRGITM.get(item.kind, "09"),
                        "spec": item.spec or "",
                        "dosform_name": item.dosform,
                    }
                )
    return Result({"feedetail": out}, psn_no=psn_no)
