"""1101 person information (人员信息获取) and 2001 benefit check (人员待遇享受检查)."""

from __future__ import annotations

from typing import Any

from yibao.core.clock import local_day
from yibao.core.security import Perm
from yibao.domain.errors import invalid, not_found
from yibao.enrolment.models import Person
from yibao.interface.nhsa.common import basic_relation, in_force, person_fields, person_of, where
from yibao.interface.nhsa.envelope import Call, Result, yuan
from yibao.interface.repository import InterfaceRepository
from yibao.reference.lookup import dictionaries

INSU_STATUS = {"active": "1", "suspended": "2"}  # psn_insu_stas: 1 正常参保 / 2 暂停参保 / 4 终止参保


def person_info(call: Call) -> Result:
    """1101: find the person by psn_no, certno or ID-card credential; answer baseinfo, insuinfo, idetinfo."""
    data = call.data.node("data")
    call.actor.require(Perm.SETTLE)
    psn_no = data.opt_text("psn_no", max_len=30)
    certno = data.opt_text("certno", max_len=50)
    cert_type = data.opt_text("mdtrt_cert_type", max_len=3)
    if certno is None and cert_type == "02":
        certno = data.opt_text("mdtrt_cert_no", max_len=50)
    if psn_no is None and certno is None:
        raise invalid(
            "FIELD_REQUIRED",
            "input.data.certno",
            "字段 input.data.certno 与 psn_no 至少填写一个（或就诊凭证类型02时填写身份证号）",
        )
    day = local_day(data.moment("begntime", required=False) or call.now)
    with call.uow() as uow:
        repo = InterfaceRepository(uow.session)
        person: Person | None
        if psn_no is not None:
            person = person_of(call, uow, psn_no)
        else:
            assert certno is not None
            person = repo.person_by_certno(certno.upper())
            if person is None or not call.actor.sees_region(person.admdvs):
                raise not_found(
                    "PERSON_NOT_FOUND",
                    f"字段 input.data.certno：证件号码 {certno} 的参保人{where(call)}",
                    "input.data.certno",
                )
        name = data.opt_text("psn_name", max_len=50)
        if name is not None and name != person.name:
            raise invalid(
                "PSN_NAME_MISMATCH", "input.data.psn_name", "字段 input.data.psn_name 人员姓名与证件号码不符"
            )
        relations = repo.relations(person.psn_no)
        account = repo.account(person.psn_no)
        current = in_force(relations, day)
        base = person_fields(person, basic_relation(relations, day, None), relations, day)
        baseinfo = {
            k: base[k]
            for k in ("psn_no", "psn_cert_type", "certno", "psn_name", "gend", "naty", "brdy", "age")
        }
        baseinfo["exp_content"] = None
        insuinfo: list[dict[str, Any]] = [
            {
                "balc": yuan(account.balance if account is not None and r.insutype == "310" else 0),
                "insutype": r.insutype,
                "psn_type": r.psn_type,
                "psn_insu_stas": INSU_STATUS.get(r.status, "4"),
                "psn_insu_date": r.begin.isoformat(),
                "paus_insu_date": r.end.isoformat() if r.end else None,
                "cvlserv_flag": base["cvlserv_flag"],
                "insuplc_admdvs": r.admdvs,
                "emp_name": None,
            }
            for r in current
        ]
        idetinfo = [
            {
                "psn_idet_type": r.idet_type,
                "psn_type_lv": r.disa_lv,
                "memo": None,
                "begntime": f"{r.begin.isoformat()} 00:00:00",
                "endtime": f"{r.end.isoformat()} 23:59:59" if r.end else None,
            }
            for r in current
            if r.idet_type
        ]
    return Result({"baseinfo": baseinfo, "insuinfo": insuinfo, "idetinfo": idetinfo}, psn_no=person.psn_no)


def benefit_check(call: Call) -> Result:
    """2001: may the person be treated on `begntime`: a relation in force, active, past its waiting period."""
    data = call.data.node("data")
    call.actor.require(Perm.SETTLE)
    psn_no = data.text("psn_no", max_len=30)
    with call.uow() as uow:
        dicts = dictionaries(uow.session)
        insutype = data.code("insutype", dicts)
        data.code("med_type", dicts)
        fixmedins_code = data.text("fixmedins_code", max_len=32)
        if fixmedins_code != call.fixmedins_code:
            raise invalid(
                "AUTH_INSTITUTION",
                "input.data.fixmedins_code",
                "字段 input.data.fixmedins_code 必须是本机构编号",
            )
        begntime = data.moment("begntime")
        assert begntime is not None and insutype is not None
        day = local_day(begntime)
        person = person_of(call, uow, psn_no)
        relations = InterfaceRepository(uow.session).relations(person.psn_no)
        relation = basic_relation(relations, day, insutype)
        reason = None
        if relation is None:
            reason = f"参保人在 {day} 没有险种 {insutype} 的有效参保关系"
        elif relation.status != "active":
            reason = f"参保关系状态为 {relation.status}，不能享受待遇"
        elif relation.waiting_end is not None and day <= relation.waiting_end:
            reason = f"参保人处于待遇等待期（至 {relation.waiting_end}）"
        row = {
            "psn_no": person.psn_no,
            "trt_chk_type": "01",
            "fund_pay_type": f"{insutype}100",
            "trt_enjymnt_flag": "0" if reason else "1",
            "begndate": (relation.begin if relation else day).isoformat(),
            "enddate": relation.end.isoformat() if relation and relation.end else None,
            "trt_chk_rslt": reason,
            "exp_content": None,
        }
    return Result({"trtinfo": [row]}, psn_no=person.psn_no)
