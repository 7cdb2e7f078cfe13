"""REST API of supervision (稽核): HTTP in, a service call, HTTP out."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from yibao.core.schemas import ERROR_RESPONSES
from yibao.supervision import service
from yibao.supervision.schemas import (
    CaseInspectionIn,
    CaseTakeUpIn,
    CheckIn,
    ConfigIn,
    DecisionIn,
    FindingIn,
    InspectionActionIn,
    InspectionIn,
    IssueIn,
    ReportActionIn,
    ReportIn,
    RoundIn,
    WithdrawIn,
)
from yibao.web.deps import UowDep

router = APIRouter(tags=["稽核 supervision"], responses=ERROR_RESPONSES)
_S = "/api/v1/supervision"


@router.get(f"{_S}/config")
def list_configs(uow: UowDep) -> Any:
    return service.list_configs(uow=uow)


@router.post(f"{_S}/config", status_code=201)
def set_config(body: ConfigIn, uow: UowDep) -> Any:
    return service.set_config(uow=uow, **body.model_dump())


@router.get(f"{_S}/inspections")
def list_inspections(
    uow: UowDep,
    fixmedins_code: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Any:
    return service.list_inspections(
        uow=uow, fixmedins_code=fixmedins_code, kind=kind, status=status, page=page, size=size
    )


@router.post(f"{_S}/inspections", status_code=201)
def create_inspection(body: InspectionIn, uow: UowDep) -> Any:
    return service.create_inspection(uow=uow, **body.model_dump())


@router.post(f"{_S}/inspections/from-case", status_code=201)
def inspection_from_case(body: CaseInspectionIn, uow: UowDep) -> Any:
    return service.open_inspection_from_case(uow=uow, **body.model_dump())


@router.post(f"{_S}/cases/{{case_no}}/take-up", status_code=201)
def take_up_case(case_no: str, body: CaseTakeUpIn, uow: UowDep) -> Any:
    return service.take_up_case(uow=uow, case_no=case_no, **body.model_dump())


@router.get(f"{_S}/reminders")
def reminders(uow: UowDep, day: date | None = None, within_days: int = 60, margin: int = 2) -> Any:
    return service.reminders(uow=uow, day=day, within_days=within_days, margin=margin)


@router.get(f"{_S}/inspections/{{number}}")
def show_inspection(number: str, uow: UowDep) -> Any:
    return service.show_inspection(uow=uow, inspection_no=number)


@router.post(f"{_S}/inspections/{{number}}/action")
def change_inspection(number: str, body: InspectionActionIn, uow: UowDep) -> Any:
    return service.change_inspection(uow=uow, inspection_no=number, **body.model_dump())


@router.post(f"{_S}/inspections/{{number}}/findings", status_code=201)
def add_finding(number: str, body: FindingIn, uow: UowDep) -> Any:
    return service.add_finding(uow=uow, inspection_no=number, **body.model_dump())


@router.post(f"{_S}/inspections/{{number}}/evidence", status_code=201)
async def add_evidence(
    number: str, uow: UowDep, file: UploadFile = File(...), note: str | None = Form(default=None)
) -> Any:
    data = await file.read()
    return service.add_evidence(
        uow=uow,
        inspection_no=number,
        filename=file.filename or "",
        data=data,
        media_type=file.content_type,
        note=note,
    )


@router.get(f"{_S}/inspections/{{number}}/evidence/{{evidence_id}}")
def get_evidence(number: str, evidence_id: int, uow: UowDep) -> Response:
    name, media, data = service.get_evidence(uow=uow, inspection_no=number, evidence_id=evidence_id)
    return Response(data, media_type=media, headers={"Content-Disposition": _attachment(name)})


def _attachment(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename*=UTF-8''{quote(name)}"


@router.get(f"{_S}/rounds")
def list_rounds(uow: UowDep, fixmedins_code: str | None = None, page: int = 1, size: int = 20) -> Any:
    return service.list_rounds(uow=uow, fixmedins_code=fixmedins_code, page=page, size=size)


@router.post(f"{_S}/rounds", status_code=201)
def record_round(body: RoundIn, uow: UowDep) -> Any:
    data = body.model_dump()
    return service.record_ward_round(uow=uow, **data)


@router.get(f"{_S}/rounds/{{number}}")
def show_round(number: str, uow: UowDep) -> Any:
    return service.show_round(uow=uow, round_no=number)


@router.get(f"{_S}/absent")
def absent_patients(fixmedins_code: str, begin: date, end: date, uow: UowDep) -> Any:
    return service.absent_patients(uow=uow, fixmedins_code=fixmedins_code, begin=begin, end=end)


@router.get(f"{_S}/checks")
def list_checks(uow: UowDep, fixmedins_code: str | None = None, page: int = 1, size: int = 20) -> Any:
    return service.list_patient_checks(uow=uow, fixmedins_code=fixmedins_code, page=page, size=size)


@router.post(f"{_S}/checks", status_code=201)
def record_check(body: CheckIn, uow: UowDep) -> Any:
    return service.record_patient_check(uow=uow, **body.model_dump())


@router.get(f"{_S}/reports")
def list_reports(uow: UowDep, status: str | None = None, page: int = 1, size: int = 20) -> Any:
    return service.list_reports(uow=uow, status=status, page=page, size=size)


@router.post(f"{_S}/reports", status_code=201)
def create_report(body: ReportIn, uow: UowDep) -> Any:
    return service.create_report(uow=uow, **body.model_dump())


@router.get(f"{_S}/reports/{{number}}")
def show_report(number: str, uow: UowDep) -> Any:
    return service.show_report(uow=uow, report_no=number)


@router.post(f"{_S}/reports/{{number}}/action")
def change_report(number: str, body: ReportActionIn, uow: UowDep) -> Any:
    return service.change_report(uow=uow, report_no=number, **body.model_dump())


@router.get(f"{_S}/decisions")
def list_decisions(
    uow: UowDep,
    fixmedins_code: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Any:
    return service.list_decisions(
        uow=uow, fixmedins_code=fixmedins_code, kind=kind, status=status, page=page, size=size
    )


@router.post(f"{_S}/decisions", status_code=201)
def create_decision(body: DecisionIn, uow: UowDep) -> Any:
    return service.create_decision(uow=uow, **body.model_dump())


@router.get(f"{_S}/decisions/{{number}}")
def show_decision(number: str, uow: UowDep) -> Any:
    return service.show_decision(uow=uow, decision_no=number)


@router.post(f"{_S}/decisions/{{number}}/issue")
def issue_decision(number: str, body: IssueIn, uow: UowDep) -> Any:
    return service.issue_decision(uow=uow, decision_no=number, **body.model_dump())


@router.post(f"{_S}/decisions/{{number}}/withdraw")
def withdraw_decision(number: str, body: WithdrawIn, uow: UowDep) -> Any:
    return service.withdraw_decision(uow=uow, decision_no=number, reason=body.reason)


@router.get(f"{_S}/disclosure")
def disclosure(uow: UowDep, page: int = 1, size: int = 20) -> Any:
    return service.disclosure_list(uow=uow, page=page, size=size)
