"""Visits: 2201/2202 outpatient registration and its cancellation, 2203 visit upload,
2401–2405 admission, discharge, change and cancellations."""

from __future__ import annotations

from yibao.core.clock import local_text
from yibao.domain.errors import BusinessError, invalid
from yibao.interface.nhsa.coerce import Fields
from yibao.interface.nhsa.common import own_visit, person_of
from yibao.interface.nhsa.envelope import Call, Result
from yibao.reference.lookup import diagnoses as icd10
from yibao.reference.lookup import dictionaries
from yibao.reference.lookup import procedures as icd9
from yibao.settlement import service as settlement
from yibao.settlement.service import ProcedureInput

OUTPATIENT_DEFAULT = "11"  # 普通门诊


def _diagnosis_codes(call: Call, rows: list[Fields], main: str | None) -> list[str]:
    """Diagnosis codes, principal first (maindiag_flag 1 or the given main code), then by diag_srt_no."""
    with call.uow() as uow:
        book = icd10(uow.session)
        dicts = dictionaries(uow.session)
        keyed = []
        for row in rows:
            code = book.require_settleable(row.text("diag_code", max_len=30), field=f"{row.path}.diag_code")
            row.code("diag_type", dicts, required=False)
            if row.raw("vali_flag") is not None and row.opt_text("vali_flag") == "0":
                continue
            srt = row.number("diag_srt_no", required=False) or 0
            keyed.append((0 if row.opt_text("maindiag_flag") == "1" else 1, srt, code))
        codes = [code for *_k, code in sorted(keyed)]
        if main:
            main = book.require_settleable(main, field="input.mdtrtinfo.dscg_maindiag_code")
            codes = [main] + [c for c in codes if c != main]
    return codes


def register_outpatient(call: Call) -> Result:
    """2201: open an outpatient visit (med_type optional here, default 11 普通门诊; 2203 confirms it)."""
    data = call.data.node("data")
    psn_no = data.text("psn_no", max_len=30)
    ipt_otp_no = data.text("ipt_otp_no", max_len=30)
    with call.uow() as uow:
        dicts = dictionaries(uow.session)
        insutype = data.code("insutype", dicts)
        med_type = data.code("med_type", dicts, required=False) or OUTPATIENT_DEFAULT
    begntime = data.moment("begntime")
    assert begntime is not None
    dept_code = data.opt_text("dept_code", max_len=32)
    dr_code = data.opt_text("atddr_no", max_len=32)
    disease_code = data.opt_text("dise_codg", max_len=32)
    with call.uow() as uow:
        try:
            visit = settlement.register_visit(
                uow=uow,
                psn_no=psn_no,
                fixmedins_code=call.fixmedins_code,
                med_type=med_type,
                begntime=begntime,
                insutype=insutype,
                dept_code=dept_code,
                dr_code=dr_code,
                disease_code=disease_code,
            )
        except BusinessError as exc:
            if exc.code == "PERSON_NOT_FOUND":  # the service looked the person up under the same rule
                person_of(call, uow, psn_no)  # refuses naming input.data.psn_no and where it looked
            raise
    return Result(
        {
            "data": {
                "mdtrt_id": visit.mdtrt_id,
                "psn_no": visit.psn_no,
                "ipt_otp_no": ipt_otp_no,
                "exp_content": None,
            }
        },
        psn_no=psn_no,
        mdtrt_id=visit.mdtrt_id,
    )


def cancel(call: Call) -> Result:
    """2202/2404: cancel a visit this institution opened that has no settlement in force."""
    data = call.data.node("data")
    mdtrt_id = data.text("mdtrt_id", max_len=40)
    psn_no = data.text("psn_no", max_len=30)
    with call.uow() as uow:
        own_visit(call, uow, mdtrt_id, psn_no, path="input.data")
    with call.uow() as uow:
        settlement.cancel_visit(uow=uow, mdtrt_id=mdtrt_id)
    return Result({}, psn_no=psn_no, mdtrt_id=mdtrt_id)


def upload_visit(call: Call) -> Result:
    """2203: store the outpatient visit's medical type (within outpatient types), diagnoses and disease.

    Diagnoses are checked (ICD-10 医保版, no gray codes) and stored principal first; without diseinfo
    the stored diagnoses stay. Refused once the visit is settled (VISIT_SETTLED).
    """
    info = call.data.node("mdtrtinfo")
    mdtrt_id = info.text("mdtrt_id", max_len=40)
    psn_no = info.text("psn_no", max_len=30)
    with call.uow() as uow:
        med_type = info.code("med_type", dictionaries(uow.session))
        own_visit(call, uow, mdtrt_id, psn_no, path="input.mdtrtinfo")
    info.moment("begntime")
    rows = call.data.rows("diseinfo", required=False)
    codes = _diagnosis_codes(call, rows, None) if rows else None
    with call.uow() as uow:
        settlement.change_visit(
            uow=uow,
            mdtrt_id=mdtrt_id,
            med_type=med_type,
            diagnoses=codes,
            disease_code=info.opt_text("dise_codg", max_len=30),
        )
    return Result({}, psn_no=psn_no, mdtrt_id=mdtrt_id)


def admit(call: Call) -> Result:
    """2401: open an inpatient visit with its admission diagnoses (principal first)."""
    info = call.data.node("mdtrtinfo")
    psn_no = info.text("psn_no", max_len=30)
    with call.uow() as uow:
        dicts = dictionaries(uow.session)
        insutype = info.code("insutype", dicts)
        med_type = info.code("med_type", dicts)
    assert med_type is not None
    begntime = info.moment("begntime")
    assert begntime is not None
    info.text("ipt_no", max_len=30)
    main = info.text("dscg_maindiag_code", max_len=30)
    codes = _diagnosis_codes(call, call.data.rows("diseinfo", required=False), main)
    with call.uow() as uow:
        person_of(call, uow, psn_no, path="input.mdtrtinfo.psn_no")
        visit = settlement.register_visit(
            uow=uow,
            psn_no=psn_no,
            fixmedins_code=call.fixmedins_code,
            med_type=med_type,
            begntime=begntime,
            diagnoses=codes,
            insutype=insutype,
            dept_code=info.opt_text("adm_dept_codg", max_len=32),
            dr_code=info.opt_text("atddr_no", max_len=32),
        )
    return Result({"result": {"mdtrt_id": visit.mdtrt_id}}, psn_no=psn_no, mdtrt_id=visit.mdtrt_id)


def _procedures(call: Call, info: Fields) -> list[ProcedureInput] | None:
    """The procedures a discharge sends (ICD-9-CM-3 医保版, no gray codes): the rows of `oprninfo` when
    the HIS sends that node (主要手术 by main_oprn_flag 1 or oprn_oprt_type 1, rows with vali_flag 0 left
    out), and dscginfo.oprn_oprt_code, the main procedure when no row is flagged (added first when no row
    carries it). None when neither is sent: the stored procedures stay."""
    rows = call.data.rows("oprninfo", required=False)
    main_code = info.opt_text("oprn_oprt_code", max_len=30)
    if not rows and main_code is None:
        return None
    found: list[ProcedureInput] = []
    with call.uow() as uow:
        book = icd9(uow.session)
        dicts = dictionaries(uow.session)
        for row in rows:
            if row.opt_text("vali_flag") == "0":
                continue
            code = book.require_settleable(
                row.text("oprn_oprt_code", max_len=30), field=f"{row.path}.oprn_oprt_code"
            )
            flag = row.code("main_oprn_flag", dicts, "main_oprn", required=False)
            kind = row.code("oprn_oprt_type", dicts, required=False)
            begun = row.moment("oprn_oprt_begntime", required=False)
            day = row.day("oprn_oprt_date", required=False) or (begun.date() if begun else None)
            found.append(
                ProcedureInput(
                    code=code,
                    name=row.opt_text("oprn_oprt_name", max_len=500),
                    main=flag == "1" or kind == "1",
                    day=day,
                    oper_dr_code=row.opt_text("oper_dr_code", max_len=30),
                )
            )
        if main_code is not None:
            main_code = book.require_settleable(main_code, field="input.dscginfo.oprn_oprt_code")
    if main_code is not None and not any(p.main for p in found):
        name = info.opt_text("oprn_oprt_name", max_len=500)
        same = [p for p in found if p.code == main_code]
        if same:
            first = same[0]
            found.remove(first)
            found.insert(
                0, ProcedureInput(first.code, first.name or name, True, first.day, first.oper_dr_code)
            )
        else:
            found.insert(0, ProcedureInput(main_code, name, True))
    if sum(p.main for p in found) > 1:
        raise invalid(
            "PROCEDURE_MAIN",
            "input.oprninfo",
            "字段 input.oprninfo 只能有一个主要手术（main_oprn_flag 为 1）",
        )
    return found


def discharge(call: Call) -> Result:
    """2402: record the discharge time and the procedures sent (discharge diagnoses are checked against
    ICD-10 医保版, procedures against ICD-9-CM-3 医保版)."""
    info = call.data.node("dscginfo")
    mdtrt_id = info.text("mdtrt_id", max_len=40)
    psn_no = info.text("psn_no", max_len=30)
    endtime = info.moment("endtime")
    assert endtime is not None
    with call.uow() as uow:
        dscg_way = info.code("dscg_way", dictionaries(uow.session), required=False)
        own_visit(call, uow, mdtrt_id, psn_no, path="input.dscginfo")
    _diagnosis_codes(call, call.data.rows("diseinfo", required=False), None)
    procedures = _procedures(call, info)
    with call.uow() as uow:
        visit = settlement.discharge(
            uow=uow, mdtrt_id=mdtrt_id, endtime=endtime, procedures=procedures, dscg_way=dscg_way
        )
    return Result(
        {"result": {"mdtrt_id": visit.mdtrt_id, "endtime": local_text(visit.endtime)}},
        psn_no=psn_no,
        mdtrt_id=mdtrt_id,
    )


def _merged_diagnoses(call: Call, stored: str, rows: list[Fields], main: str) -> list[str]:
    """2403's rule: a row whose diag_srt_no exists changes that diagnosis, otherwise it is added;
    the principal diagnosis (dscg_maindiag_code) comes first."""
    by_srt = {i + 1: code for i, code in enumerate(filter(None, stored.split("|")))}
    with call.uow() as uow:
        book = icd10(uow.session)
        dicts = dictionaries(uow.session)
        main = book.require_settleable(main, field="input.adminfo.dscg_maindiag_code")
        for row in rows:
            code = book.require_settleable(row.text("diag_code", max_len=30), field=f"{row.path}.diag_code")
            row.code("diag_type", dicts)
            row.code("maindiag_flag", dicts, required=False)
            srt = row.number("diag_srt_no")
            assert srt is not None
            if srt != srt.to_integral_value() or srt < 1:
                raise invalid(
                    "FIELD_NUMBER", f"{row.path}.diag_srt_no", f"字段 {row.path}.diag_srt_no 应为正整数"
                )
            by_srt[int(srt)] = code
    codes = [by_srt[k] for k in sorted(by_srt)]
    return [main] + [c for c in codes if c != main]


def change_admission(call: Call) -> Result:
    """2403: change the admission (begin, medical type, department, doctor, disease) and its diagnoses."""
    info = call.data.node("adminfo")
    mdtrt_id = info.text("mdtrt_id", max_len=40)
    psn_no = info.text("psn_no", max_len=30)
    with call.uow() as uow:
        dicts = dictionaries(uow.session)
        med_type = info.code("med_type", dicts)
        info.code("mdtrt_cert_type", dicts)
        visit = own_visit(call, uow, mdtrt_id, psn_no, path="input.adminfo")
    begntime = info.moment("begntime")
    main = info.text("dscg_maindiag_code", max_len=30)
    rows = call.data.rows("diseinfo", required=False)
    for row in rows:
        if row.text("mdtrt_id", max_len=40) != mdtrt_id:
            raise invalid(
                "MIXED_VISITS", f"{row.path}.mdtrt_id", f"字段 {row.path}.mdtrt_id：诊断不属于就诊 {mdtrt_id}"
            )
    codes = _merged_diagnoses(call, visit.diagnoses, rows, main)
    with call.uow() as uow:
        changed = settlement.change_visit(
            uow=uow,
            mdtrt_id=mdtrt_id,
            begntime=begntime,
            med_type=med_type,
            diagnoses=codes,
            disease_code=info.opt_text("dise_codg", max_len=30),
            dept_code=info.opt_text("adm_dept_codg", max_len=32),
            dr_code=info.opt_text("atddr_no", max_len=32),
        )
    return Result({}, psn_no=psn_no, mdtrt_id=changed.mdtrt_id)


def cancel_discharge(call: Call) -> Result:
    """2405: undo the discharge of a visit without a settlement in force; the visit is open again."""
    data = call.data.node("data")
    mdtrt_id = data.text("mdtrt_id", max_len=40)
    psn_no = data.text("psn_no", max_len=30)
    with call.uow() as uow:
        own_visit(call, uow, mdtrt_id, psn_no, path="input.data")
    with call.uow() as uow:
        settlement.undo_discharge(uow=uow, mdtrt_id=mdtrt_id)
    return Result({}, psn_no=psn_no, mdtrt_id=mdtrt_id)
