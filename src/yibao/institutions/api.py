"""REST API for designated institutions and insurance doctors: HTTP in, a service call, HTTP out."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, File, UploadFile

from yibao.core.schemas import ERROR_RESPONSES, PageOut
from yibao.institutions import service
from yibao.institutions.schemas import (
    AgreementIn,
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    DoctorIn,
    DoctorLinkEnd,
    DoctorLinkIn,
    DoctorOut,
    DoctorPatch,
    DoctorStatusIn,
    ImportOut,
    InstitutionIn,
    InstitutionOut,
    InstitutionPatch,
    SettleCheckOut,
)
from yibao.web.deps import UowDep

router = APIRouter(tags=["定点机构 institutions"], responses=ERROR_RESPONSES)

_INST = "/api/v1/institutions"
_DOC = "/api/v1/doctors"


@router.get(_INST, response_model=PageOut[InstitutionOut])
def list_institutions(
    uow: UowDep,
    q: str | None = None,
    admdvs: str | None = None,
    fixmedins_type: str | None = None,
    agreement_status: str | None = None,
    page: int = 1,
    size: int = 20,
) -> object:
    return service.list_institutions(
        uow=uow,
        q=q,
        admdvs=admdvs,
        fixmedins_type=fixmedins_type,
        agreement_status=agreement_status,
        page=page,
        size=size,
    )


@router.post(_INST, response_model=InstitutionOut, status_code=201)
def create_institution(body: InstitutionIn, uow: UowDep) -> object:
    return service.create_institution(uow=uow, **body.model_dump())


@router.post(f"{_INST}/import", response_model=ImportOut, status_code=201)
async def import_institutions(uow: UowDep, file: UploadFile = File(...)) -> object:
    return service.import_institutions(uow=uow, data=await file.read(), filename=file.filename or "")


@router.get(f"{_INST}/{{code}}", response_model=InstitutionOut)
def get_institution(code: str, uow: UowDep) -> object:
    return service.show_institution(uow=uow, fixmedins_code=code)


@router.patch(f"{_INST}/{{code}}", response_model=InstitutionOut)
def update_institution(code: str, body: InstitutionPatch, uow: UowDep) -> object:
    return service.update_institution(uow=uow, fixmedins_code=code, **body.model_dump())


@router.post(f"{_INST}/{{code}}/agreement", response_model=InstitutionOut)
def change_agreement(code: str, body: AgreementIn, uow: UowDep) -> object:
    return service.change_agreement(uow=uow, fixmedins_code=code, **body.model_dump())


@router.get(f"{_INST}/{{code}}/settlement", response_model=SettleCheckOut)
def settlement_allowed(code: str, day: date, uow: UowDep) -> object:
    allowed, reason_code, reason = service.settlement_allowed(uow=uow, fixmedins_code=code, day=day)
    return SettleCheckOut(fixmedins_code=code, day=day, allowed=allowed, code=reason_code, reason=reason)


@router.get(f"{_INST}/{{code}}/departments", response_model=list[DepartmentOut])
def list_departments(code: str, uow: UowDep) -> object:
    return service.list_departments(uow=uow, fixmedins_code=code)


@router.post(f"{_INST}/{{code}}/departments", response_model=DepartmentOut, status_code=201)
def add_department(code: str, body: DepartmentIn, uow: UowDep) -> object:
    return service.add_department(uow=uow, fixmedins_code=code, **body.model_dump())


@router.patch(f"{_INST}/{{code}}/departments/{{dept_code}}", response_model=DepartmentOut)
def update_department(code: str, dept_code: str, body: DepartmentPatch, uow: UowDep) -> object:
    return service.update_department(uow=uow, fixmedins_code=code, dept_code=dept_code, **body.model_dump())


@router.get(_DOC, response_model=PageOut[DoctorOut])
def list_doctors(
    uow: UowDep,
    q: str | None = None,
    fixmedins_code: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    page: int = 1,
    size: int = 20,
) -> object:
    return service.list_doctors(
        uow=uow, q=q, fixmedins_code=fixmedins_code, status=status, kind=kind, page=page, size=size
    )


@router.post(_DOC, response_model=DoctorOut, status_code=201)
def create_doctor(body: DoctorIn, uow: UowDep) -> object:
    return service.create_doctor(uow=uow, **body.model_dump())


@router.post(f"{_DOC}/import", response_model=ImportOut, status_code=201)
async def import_doctors(uow: UowDep, file: UploadFile = File(...)) -> object:
    return service.import_doctors(uow=uow, data=await file.read(), filename=file.filename or "")


@router.get(f"{_DOC}/{{code}}", response_model=DoctorOut)
def get_doctor(code: str, uow: UowDep) -> object:
    return service.show_doctor(uow=uow, dr_code=code)


@router.patch(f"{_DOC}/{{code}}", response_model=DoctorOut)
def update_doctor(code: str, body: DoctorPatch, uow: UowDep) -> object:
    return service.update_doctor(uow=uow, dr_code=code, **body.model_dump())


@router.post(f"{_DOC}/{{code}}/status", response_model=DoctorOut)
def change_doctor_status(code: str, body: DoctorStatusIn, uow: UowDep) -> object:
    return service.change_doctor_status(uow=uow, dr_code=code, **body.model_dump())


@router.post(f"{_DOC}/{{code}}/links", response_model=DoctorOut, status_code=201)
def link_doctor(code: str, body: DoctorLinkIn, uow: UowDep) -> object:
    return service.link_doctor(uow=uow, dr_code=code, **body.model_dump())


@router.post(f"{_DOC}/{{code}}/links/end", response_model=DoctorOut)
def end_doctor_link(code: str, body: DoctorLinkEnd, uow: UowDep) -> object:
    return service.end_doctor_link(uow=uow, dr_code=code, **body.model_dump())
