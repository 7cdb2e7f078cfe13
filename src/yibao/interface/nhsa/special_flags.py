"""Visit special attributes (就医特殊属性): 2406 upload and 2407 query.

The flag types and flags (住院人员特殊标识类型/住院人员特殊标识) are dictionaries the local bureau extends,
so any code of up to 6 characters is taken. The person named must be the visit's person: psn_no, the
certificate number and the name are checked against the enrolment record. Uploading a flag the visit
already carries answers its first detail id again and stores nothing new. The specification has the
centre's staff review the flags; yibao has no review step yet, so a flag is in force once uploaded.
"""

from __future__ import annotations

import secrets
from typing import Any

from yibao.domain.errors import invalid
from yibao.interface.models import VisitSpecialFlag
from yibao.interface.nhsa.catalogs import page_output, paging_numbers
from yibao.interface.nhsa.common import PSN_CERT_TYPE_ID, own_visit, person_of
from yibao.interface.nhsa.envelope import Call, Result, stamp
from yibao.interface.repository import InterfaceRepository
from yibao.reference.lookup import dictionaries

PATH = "input.data"


def _mismatch(name: str, given: str, visit: str) -> None:
    raise invalid(
        "PSN_MISMATCH",
        f"{PATH}.{name}",
        f"字段 {PATH}.{name}：{given} 与就诊 {visit} 的参保人登记信息不符",
    )


def upload(call: Call) -> Result:
    """2406: record a special attribute of a visit this institution opened; its detail id is answered."""
    data = call.data.node("data")
    mdtrt_id = data.text("mdtrt_id", max_len=40)
    psn_no = data.text("psn_no", max_len=30)
    certno = data.text("certno", max_len=50)
    psn_name = data.text("psn_name", max_len=50)
    ipt_otp_no = data.text("ipt_otp_no", max_len=30)
    flag_type = data.text("ipt_psn_sp_flag_type", max_len=6)
    flag = data.text("ipt_psn_sp_flag", max_len=6)
    memo = data.opt_text("memo", max_len=500)
    admdvs = data.opt_text("admdvs", max_len=6)
    with call.uow() as uow:
        data.code("psn_cert_type", dictionaries(uow.session))
        visit = own_visit(call, uow, mdtrt_id, psn_no, path=PATH)
        person = person_of(call, uow, psn_no, path=f"{PATH}.psn_no")
        if certno.upper() != person.certno.upper():
            _mismatch("certno", certno, mdtrt_id)
        if psn_name != person.name:
            _mismatch("psn_name", psn_name, mdtrt_id)
        if admdvs is not None and admdvs not in (visit.insu_admdvs, call.admdvs):
            raise invalid(
                "ADMDVS_MISMATCH",
                f"{PATH}.admdvs",
                f"字段 {PATH}.admdvs：医保区划 {admdvs} 既不是参保地 {visit.insu_admdvs}"
                f"也不是就医地 {call.admdvs}",
            )
        repo = InterfaceRepository(uow.session)
        known = repo.special_flag(mdtrt_id, flag_type, flag)
        if known is not None:
            return Result({"IptPsnSpFlagRegOut": {"ipt_psn_sp_flag_detl_id": known.detl_id}}, psn_no=psn_no)
        institution = repo.institution(call.fixmedins_code)
        row = VisitSpecialFlag(
            detl_id=f"{call.admdvs}{stamp(call.now)}{secrets.token_hex(6)}",
            mdtrt_id=mdtrt_id,
            psn_no=psn_no,
            fixmedins_code=call.fixmedins_code,
            fixmedins_name=institution.name if institution else (call.envelope.fixmedins_name or ""),
            admdvs=visit.insu_admdvs,
            ipt_otp_no=ipt_otp_no,
            flag_type=flag_type,
            flag=flag,
            memo=memo,
            msgid=call.envelope.msgid,
            created_at=call.now,
        )
        repo.add(row)
        uow.flush()
        uow.audit(
            action="interface.visit_flag",
            entity="visit_special_flag",
            entity_id=row.id,
            admdvs=visit.insu_admdvs,
            after={"mdtrt_id": mdtrt_id, "flag_type": flag_type, "flag": flag, "detl_id": row.detl_id},
        )
        uow.commit()
        detl_id = row.detl_id
    return Result(
        {"IptPsnSpFlagRegOut": {"ipt_psn_sp_flag_detl_id": detl_id}}, psn_no=psn_no, mdtrt_id=mdtrt_id
    )


FILTERS = {  # input field → what it filters (a column of the flag, or of the person)
    "ipt_psn_sp_flag_detl_id": ("detl_id", 40),
    "mdtrt_id": ("mdtrt_id", 40),
    "psn_no": ("psn_no", 30),
    "certno": ("certno", 50),
    "psn_name": ("psn_name", 50),
    "ipt_otp_no": ("ipt_otp_no", 30),
    "ipt_psn_sp_flag_type": ("flag_type", 6),
    "ipt_psn_sp_flag": ("flag", 6),
    "admdvs": ("admdvs", 6),
}


def query(call: Call) -> Result:
    """2407: this institution's visit special attributes matching the filters given, paged."""
    data = call.data.node("data")
    page, size = paging_numbers(data)
    code = data.opt_text("fixmedins_code", max_len=30) or call.fixmedins_code
    if code != call.fixmedins_code:
        raise invalid(
            "AUTH_INSTITUTION",
            f"{PATH}.fixmedins_code",
            f"字段 {PATH}.fixmedins_code：{code} 不是本机构，只能查询本机构上传的就医特殊属性",
        )
    data.opt_text("fixmedins_name", max_len=200)
    filters: dict[str, str] = {}
    for name, (column, max_len) in FILTERS.items():
        value = data.opt_text(name, max_len=max_len)
        if value is not None:
            filters[column] = value
    with call.uow() as uow:
        data.code("psn_cert_type", dictionaries(uow.session), required=False)
        found = InterfaceRepository(uow.session).special_flags(
            fixmedins_code=call.fixmedins_code, filters=filters, page=page, size=size
        )
    rows: list[dict[str, Any]] = [
        {
            "ipt_psn_sp_flag_detl_id": row.detl_id,
            "mdtrt_id": row.mdtrt_id,
            "psn_no": row.psn_no,
            "psn_cert_type": PSN_CERT_TYPE_ID,  # enrolment keeps resident ID numbers
            "certno": person.certno,
            "psn_name": person.name,
            "fixmedins_code": row.fixmedins_code,
            "fixmedins_name": row.fixmedins_name,
            "ipt_otp_no": row.ipt_otp_no,
            "ipt_psn_sp_flag_type": row.flag_type,
            "ipt_psn_sp_flag": row.flag,
            "admdvs": row.admdvs,
            "memo": row.memo,
        }
        for row, person in found.items
    ]
    paged = page_output(rows, page, size, found.total)
    paged["IptPsnSpFlagReg"] = paged.pop("data")
    return Result(paged)
