"""Pieces shared by the transactions: the person's national fields, visit ownership, settlement output."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from yibao.core.clock import local_day, local_text
from yibao.core.uow import UnitOfWork
from yibao.domain.errors import invalid, not_found
from yibao.domain.identity import age_on
from yibao.enrolment.models import Person, Relation
from yibao.interface.nhsa.envelope import Call, yuan
from yibao.interface.repository import InterfaceRepository
from yibao.reference.lookup import dictionaries
from yibao.settlement.models import Settlement, SettlementFund, Visit


class Holder(NamedTuple):
    """The insured person of a visit with their relations (参保关系), as read for an answer."""

    person: Person | None
    relations: list[Relation]


CIVIL_SERVANT = "320"
PSN_CERT_TYPE_ID = "01"  # 居民身份证


def person_of(call: Call, uow: UnitOfWork, psn_no: str, *, path: str = "input.data.psn_no") -> Person:
    """The person, if in the institution's region or the place of insurance named (insuplc_admdvs);
    else PERSON_NOT_FOUND naming the field and where it was looked for."""
    person = InterfaceRepository(uow.session).person(psn_no)
    if person is None or not call.actor.sees_region(person.admdvs):
        raise not_found("PERSON_NOT_FOUND", f"字段 {path}：参保人 {psn_no} {where(call)}", path)
    return person


def where(call: Call) -> str:
    """Where a person was looked for, for refusals: the place of insurance or the institution's region."""
    place = call.envelope.insuplc_admdvs
    if place and place != call.admdvs:
        return f"在参保地 {place} 不存在或未参保（异地就医以公共输入 insuplc_admdvs 为参保地）"
    return f"在统筹区 {call.admdvs} 不存在（异地参保人须在公共输入填写参保地 insuplc_admdvs）"


def in_force(relations: Sequence[Relation], day: date) -> list[Relation]:
    """The relations whose period covers `day`."""
    return [r for r in relations if r.begin <= day and (r.end is None or day <= r.end)]


def basic_relation(relations: Sequence[Relation], day: date, insutype: str | None) -> Relation | None:
    """The relation of `insutype` (or the first basic one, 310/390) in force on `day`."""
    current = in_force(relations, day)
    wanted = [r for r in current if (r.insutype == insutype if insutype else r.insutype in ("310", "390"))]
    return wanted[0] if wanted else None


def person_fields(
    person: Person, relation: Relation | None, relations: Sequence[Relation], day: date
) -> dict[str, Any]:
    """psn_no, names, certificate, gender, birth date, age, insutype, psn_type, cvlserv_flag."""
    civil = any(r.insutype == CIVIL_SERVANT for r in in_force(relations, day))
    return {
        "psn_no": person.psn_no,
        "psn_name": person.name,
        "psn_cert_type": PSN_CERT_TYPE_ID,
        "certno": person.certno,
        "gend": person.gend,
        "naty": None,
        "brdy": person.birth_date.isoformat(),
        "age": Decimal(age_on(person.birth_date, day)),
        "insutype": relation.insutype if relation else None,
        "psn_type": relation.psn_type if relation else None,
        "cvlserv_flag": "1" if civil else "0",
    }


def own_visit(call: Call, uow: UnitOfWork, mdtrt_id: str, psn_no: str | None, *, path: str) -> Visit:
    """A visit this institution opened, for the person named; else VISIT_NOT_FOUND."""
    return _owned(call, InterfaceRepository(uow.session).visit(mdtrt_id), mdtrt_id, psn_no, path)


def own_visit_and_person(
    call: Call, uow: UnitOfWork, mdtrt_id: str, psn_no: str, *, path: str
) -> tuple[Visit, Holder]:
    """`own_visit`, read together with the person and their relations for the answer (one round trip
    on PostgreSQL); the visit and the person are transient (not in the session)."""
    visit, person, relations = InterfaceRepository(uow.session).visit_and_person(mdtrt_id, psn_no)
    return _owned(call, visit, mdtrt_id, psn_no, path), Holder(person, relations)


def _owned(call: Call, visit: Visit | None, mdtrt_id: str, psn_no: str | None, path: str) -> Visit:
    """The visit if this institution opened it for the person named; else refused."""
    if (
        visit is None
        or visit.fixmedins_code != call.fixmedins_code
        or not call.actor.sees_region(visit.insu_admdvs)
    ):
        raise not_found(
            "VISIT_NOT_FOUND",
            f"字段 {path}.mdtrt_id：就诊 {mdtrt_id} 不存在或不是本机构的就诊",
            f"{path}.mdtrt_id",
        )
    if psn_no is not None and psn_no != visit.psn_no:
        raise invalid(
            "PSN_MISMATCH",
            f"{path}.psn_no",
            f"字段 {path}.psn_no：人员编号 {psn_no} 与就诊 {mdtrt_id} 的参保人不符",
        )
    return visit


def clr_type_of(med_type: str) -> str:
    """The clearing type (清算类别) of a medical type."""
    if med_type.startswith("2") or med_type == "52":
        return "21"
    if med_type in ("12", "13", "14", "41", "51"):
        return med_type if med_type != "51" else "53"
    return "11"


AMOUNT_FIELDS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "pool_prop_selfpay",
    "cvlserv_pay",
    "maf_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
    "acct_pay",
    "psn_cash_pay",
    "balc",
)


def setlinfo(amounts: Any, *, insutype: str) -> dict[str, Any]:
    """The national settlement amounts (yuan, two decimals) from a Breakdown or a stored Settlement.

    hifmi_pay carries the later layer: 居民大病 (hifmi_pay) for residents, 职工大额 (hifob_pay) for employees.
    """
    out: dict[str, Any] = {name: yuan(getattr(amounts, name)) for name in AMOUNT_FIELDS}
    later = yuan(amounts.hifmi_pay)
    out["hifmi_pay"] = later if insutype != "310" else yuan(0)
    out["hifob_pay"] = later if insutype == "310" else yuan(0)
    for zero in ("hifes_pay", "oth_pay", "hosp_part_amt", "acct_mulaid_pay", "hifdm_pay"):
        out[zero] = yuan(0)
    return out


def setldetail(uow: UnitOfWork, funds: Sequence[tuple[str, int]], inscp_scp_amt: int) -> list[dict[str, Any]]:
    """One row per fund that paid (基金分项), with the fund's name from the dictionary."""
    dicts = dictionaries(uow.session)
    return [
        {
            "fund_pay_type": code,
            "inscp_scp_amt": yuan(inscp_scp_amt),
            "crt_payb_lmt_amt": yuan(amount),
            "fund_payamt": yuan(amount),
            "fund_pay_type_name": dicts.label("fund_pay_type", code),
            "setl_proc_info": None,
        }
        for code, amount in funds
    ]


def settlement_output(
    call: Call,
    uow: UnitOfWork,
    row: Settlement,
    funds: Sequence[SettlementFund] | None,
    visit: Visit,
    holder: Holder | None = None,
) -> dict[str, Any]:
    """setlinfo and setldetail of a stored settlement or reversal (its funds and its person read here,
    together, when not given)."""
    if holder is None or funds is None:
        person, relations, read = InterfaceRepository(uow.session).answer_reads(
            row.psn_no, row.id if funds is None else None
        )
        funds = read if funds is None else funds
    else:
        person, relations = holder
    day = local_day(visit.begntime)
    info: dict[str, Any] = {"mdtrt_id": visit.mdtrt_id, "setl_id": row.setl_id}
    if person is not None:
        info |= person_fields(person, basic_relation(relations, day, row.insutype), relations, day)
    info |= {
        "insutype": row.insutype,
        "setl_time": local_text(row.settled_at),
        "mdtrt_cert_type": None,
        "med_type": visit.med_type,
        "begndate": local_day(visit.begntime).isoformat(),
        "enddate": local_day(visit.endtime or visit.begntime).isoformat(),
        "fixmedins_code": row.fixmedins_code,
        "pay_loc": "2",
        "clr_optins": row.insu_admdvs,
        "clr_way": None,
        "clr_type": clr_type_of(visit.med_type),
        "medins_setl_id": row.request_id,
        "refd_setl_flag": "1" if row.kind == "reversal" else "0",
        "year": Decimal(row.year),
        "exp_content": None,
    }
    info |= setlinfo(row, insutype=row.insutype)
    info["pdn_cash_pay"] = info["psn_cash_pay"]
    info["psn_pay"] = info["psn_part_amt"]
    info["cash_payamt"] = info["psn_cash_pay"]
    detail = setldetail(uow, [(f.fund_pay_type, f.amount) for f in funds], row.inscp_scp_amt)
    return {"setlinfo": info, "setldetail": detail}
