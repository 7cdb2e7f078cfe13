"""REST API for designated institutions and insurance doctors: HTTP in, a service call, HTTP out."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from yibao.core.schemas import ERROR_RESPONSES, PageOut
from yibao.institutions import service
from yibao.institutions.schemas import (
    AgreementIn,
    ApplicationIn,
    ApplicationOut,
    ApplicationPatch,
    AssessIn,
    BanIn,
    BanOut,
    ChecklistIn,
    ChecklistOut,
    DayIn,
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    DoctorIn,
    DoctorLinkEnd,
    DoctorLinkIn,
    DoctorOut,
    DoctorPatch,
    DoctorStatusIn,
    DocumentOut,
    EndApplicationIn,
    HistoryOut,
    ImportOut,
    InstitutionIn,
    InstitutionOut,
    InstitutionPatch,
    NoticeIn,
    ObjectionAnswerIn,
    ObjectionIn,
    ObjectionOut,
    SettleCheckOut,
    SignIn,
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


# ---- admission (定点准入); these fixed paths come before /institutions/{code} ------------------------------

_APP = f"{_INST}/applications"


@router.get(_APP, response_model=PageOut[ApplicationOut])
def list_applications(
    uow: UowDep, status: str | None = None, fixmedins_code: str | None = None, page: int = 1, size: int = 20
) -> object:
    return service.list_applications(
        uow=uow, status=status, fixmedins_code=fixmedins_code, page=page, size=size
    )


@router.get(f"{_APP}/{{number}}", response_model=ApplicationOut)
def show_application(number: str, uow: UowDep) -> object:
    return service.show_application(uow=uow, application_no=number)


@router.patch(f"{_APP}/{{number}}", response_model=ApplicationOut)
def update_application(number: str, body: ApplicationPatch, uow: UowDep) -> object:
    return service.update_application(uow=uow, application_no=number, **body.model_dump())


@router.post(f"{_APP}/{{number}}/documents", response_model=DocumentOut, status_code=201)
async def add_document(
    number: str,
    uow: UowDep,
    kind: str = Form(...),
    file: UploadFile = File(...),
    note: str | None = Form(default=None),
) -> object:
    data = await file.read()
    return service.add_document(
        uow=uow,
        application_no=number,
        kind=kind,
        filename=file.filename or "",
        data=data,
        media_type=file.content_type,
        note=note,
    )


@router.get(f"{_APP}/{{number}}/documents/{{document_id}}")
def get_document(number: str, document_id: int, uow: UowDep) -> Response:
    from urllib.parse import quote

    name, media, data = service.get_document(uow=uow, application_no=number, document_id=document_id)
    return Response(
        data, media_type=media, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
    )


@router.post(f"{_APP}/{{number}}/check", response_model=ApplicationOut)
def check_application(number: str, body: DayIn, uow: UowDep) -> object:
    return service.check_application(uow=uow, application_no=number, day=body.day)


@router.post(f"{_APP}/{{number}}/assess", response_model=ApplicationOut)
def assess_application(number: str, body: AssessIn, uow: UowDep) -> object:
    return service.assess_application(uow=uow, application_no=number, **body.model_dump())


@router.post(f"{_APP}/{{number}}/notice", response_model=ApplicationOut)
def publish_notice(number: str, body: NoticeIn, uow: UowDep) -> object:
    return service.publish_notice(uow=uow, application_no=number, **body.model_dump())


@router.post(f"{_APP}/{{number}}/objections", response_model=ObjectionOut, status_code=201)
def add_objection(number: str, body: ObjectionIn, uow: UowDep) -> object:
    return service.add_objection(uow=uow, application_no=number, **body.model_dump())


@router.post(f"{_APP}/{{number}}/objections/{{objection_id}}/answer", response_model=ObjectionOut)
def answer_objection(number: str, objection_id: int, body: ObjectionAnswerIn, uow: UowDep) -> object:
    return service.answer_objection(
        uow=uow, application_no=number, objection_id=objection_id, **body.model_dump()
    )


@router.post(f"{_APP}/{{number}}/close", response_model=ApplicationOut)
def close_notice(number: str, body: DayIn, uow: UowDep) -> object:
    return service.close_notice(uow=uow, application_no=number, day=body.day)


@router.post(f"{_APP}/{{number}}/sign", response_model=ApplicationOut)
def sign_application(number: str, body: SignIn, uow: UowDep) -> object:
    return service.sign_application(uow=uow, application_no=number, **body.model_dump())


@router.post(f"{_APP}/{{number}}/end", response_model=ApplicationOut)
def end_application(number: str, body: EndApplicationIn, uow: UowDep) -> object:
    return service.end_application(uow=uow, application_no=number, **body.model_dump())


@router.post(f"{_INST}/checklists", response_model=ChecklistOut, status_code=201)
def set_checklist(body: ChecklistIn, uow: UowDep) -> object:
    data = body.model_dump()
    return service.set_checklist(uow=uow, **data)


@router.get(f"{_INST}/checklists/{{admdvs}}/{{fixmedins_type}}", response_model=ChecklistOut)
def checklist_in_force(admdvs: str, fixmedins_type: str, uow: UowDep, day: date | None = None) -> object:
    return service.checklist_in_force(uow=uow, admdvs=admdvs, fixmedins_type=fixmedins_type, day=day)


@router.post(f"{_INST}/{{code}}/applications", response_model=ApplicationOut, status_code=201)
def submit_application(code: str, body: ApplicationIn, uow: UowDep) -> object:
    return service.submit_application(uow=uow, fixmedins_code=code, **body.model_dump())


@router.get(f"{_INST}/{{code}}/history", response_model=HistoryOut)
def agreement_history(code: str, uow: UowDep) -> object:
    return service.agreement_history(uow=uow, fixmedins_code=code)


@router.get(f"{_INST}/{{code}}/bans", response_model=list[BanOut])
def institution_bans(code: str, uow: UowDep, day: date | None = None) -> object:
    return service.institution_bans(uow=uow, fixmedins_code=code, day=day)


@router.post(f"{_INST}/{{code}}/bans", response_model=list[BanOut], status_code=201)
def record_ban(code: str, body: BanIn, uow: UowDep) -> object:
    return service.record_ban(uow=uow, fixmedins_code=code, **body.model_dump())


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
