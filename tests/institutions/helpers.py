"""Builders for the institutions tests: valid codes, institutions and doctors registered on the spot."""

from __future__ import annotations

import csv
import io
from datetime import date

from stdnum.cn import ric, uscc

from tests.factories import add_region, make_actor
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Actor, Role
from yibao.institutions import service
from yibao.institutions.service import DoctorView, InstitutionView


def resident_id(seq: int = 1, birth: str = "19800101", area: str = "110105") -> str:
    """A valid 18-digit resident ID (checksum computed)."""
    body = f"{area}{birth}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(seq: int = 1) -> str:
    """A valid unified social credit code."""
    body = f"9143010{seq:010d}"[:17]
    return body + uscc.calc_check_digit(body)


def supervisor(*regions: str) -> Actor:
    """A supervisor (may write institutions, sees full ID numbers) in `regions` (439901 by default)."""
    return make_actor(Role.SUPERVISOR, regions=regions or ("439901",), username="supervisor")


def analyst(*regions: str) -> Actor:
    """A read-only analyst (ID numbers masked)."""
    return make_actor(Role.ANALYST, regions=regions or ("439901",), username="analyst")


def add_institution(
    container: Container,
    code: str = "H43990100001",
    *,
    admdvs: str = "439901",
    name: str = "示范县人民医院",
    fixmedins_type: str = "1",
    hosp_lv: str | None = "5",
    agreement_begin: date | None = None,
    agreement_end: date | None = None,
    region: bool = True,
) -> InstitutionView:
    """Register an institution as the system actor (and its region first unless `region=False`)."""
    if region:
        with container.uow(SYSTEM) as uow:
            from yibao.regions.repository import RegionRepository

            exists = RegionRepository(uow.session).by_code(admdvs) is not None
        if not exists:
            add_region(container, admdvs, f"县{admdvs}")
    with container.uow(SYSTEM) as uow:
        return service.create_institution(
            uow=uow,
            fixmedins_code=code,
            name=name,
            fixmedins_type=fixmedins_type,
            admdvs=admdvs,
            hosp_lv=hosp_lv,
            agreement_begin=agreement_begin,
            agreement_end=agreement_end,
        )


def add_doctor(
    container: Container,
    code: str = "D43990100001",
    *,
    seq: int = 1,
    admdvs: str = "439901",
    kind: str = "doctor",
    fixmedins_code: str | None = None,
    dept_code: str | None = None,
    begin: date | None = None,
) -> DoctorView:
    """Register a doctor as the system actor (the region must exist)."""
    with container.uow(SYSTEM) as uow:
        return service.create_doctor(
            uow=uow,
            dr_code=code,
            name=f"医师{seq}",
            certno=resident_id(seq),
            kind=kind,
            admdvs=admdvs,
            fixmedins_code=fixmedins_code,
            dept_code=dept_code,
            begin=begin,
        )


def csv_bytes(rows: list[list[str]]) -> bytes:
    """A UTF-8 CSV file (with BOM, as Excel writes it)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")
