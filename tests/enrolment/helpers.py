"""Builders for enrolment tests: valid ID numbers and credit codes, enrolled persons."""

from __future__ import annotations

from datetime import date

from stdnum.cn import ric, uscc

from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.enrolment import service
from yibao.enrolment.service import PersonView


def certno(birth: str = "19800101", seq: int = 123, area: str = "110101") -> str:
    """A resident ID with a correct check digit (odd sequence: male, even: female)."""
    body = f"{area}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(serial: int = 1) -> str:
    """A unified social credit code with a correct check digit."""
    body = f"91430100MA4L{serial:05d}"
    return body + uscc.calc_check_digit(body)


def add_unit(container: Container, *, serial: int = 1, admdvs: str = "439901", name: str = "示范公司") -> str:
    """Register a unit as the system actor; its credit code."""
    code = credit_code(serial)
    with container.uow(SYSTEM) as uow:
        service.create_unit(
            uow=uow, uscc=code, name=name, admdvs=admdvs, unit_type="enterprise", begin=date(2020, 1, 1)
        )
    return code


def enrol(
    container: Container,
    *,
    seq: int = 123,
    admdvs: str = "439901",
    insutype: str = "310",
    psn_type: str = "11",
    begin: date = date(2024, 1, 1),
    name: str = "张三",
    birth: str = "19800101",
    unit_uscc: str | None = None,
) -> PersonView:
    """Enrol a person with a first relation as the system actor."""
    with container.uow(SYSTEM) as uow:
        return service.enrol(
            uow=uow,
            certno=certno(birth, seq),
            name=name,
            admdvs=admdvs,
            insutype=insutype,
            psn_type=psn_type,
            begin=begin,
            phone="13800000000",
            unit_uscc=unit_uscc,
        )


def relation_id(container: Container, psn_no: str, insutype: str = "310") -> int:
    """The id of the person's latest relation of `insutype`."""
    with container.uow(SYSTEM) as uow:
        rows = [r for r in service.list_relations(uow=uow, psn_no=psn_no) if r.insutype == insutype]
    return rows[-1].id
