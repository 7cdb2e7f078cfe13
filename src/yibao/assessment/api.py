"""REST API of assessment (考核): HTTP in, a service call, HTTP out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Form, UploadFile

from yibao.assessment import service
from yibao.assessment.schemas import (
    ApplyIn,
    AssessIn,
    ConfigIn,
    PointsIn,
    PurchaseReportIn,
    ResetIn,
    TermsIn,
    TrainingIn,
)
from yibao.core.schemas import ERROR_RESPONSES
from yibao.domain.assessment import RawPurchaseRow
from yibao.web.deps import UowDep

router = APIRouter(tags=["考核 assessment"], responses=ERROR_RESPONSES)
_A = "/api/v1/assessment"


@router.get(f"{_A}/config")
def list_configs(uow: UowDep) -> Any:
    return service.list_configs(uow=uow)


@router.get(f"{_A}/config/defaults/{{kind}}")
def config_defaults(kind: str, uow: UowDep) -> Any:
    return service.config_defaults(uow=uow, kind=kind)


@router.post(f"{_A}/config", status_code=201)
def set_config(body: ConfigIn, uow: UowDep) -> Any:
    return service.set_config(uow=uow, **body.model_dump())


@router.put(f"{_A}/institutions/{{code}}/terms")
def set_terms(code: str, body: TermsIn, uow: UowDep) -> Any:
    terms = [t.model_dump() for t in body.terms] if body.terms else None
    return service.set_terms(uow=uow, fixmedins_code=code, year=body.year, profile=body.profile, terms=terms)


@router.get(f"{_A}/institutions/{{code}}/terms/{{year}}")
def show_terms(code: str, year: int, uow: UowDep) -> Any:
    return service.show_terms(uow=uow, fixmedins_code=code, year=year)


@router.post(f"{_A}/institutions/{{code}}/reports", status_code=201)
def submit_report(code: str, body: PurchaseReportIn, uow: UowDep) -> Any:
    rows = [RawPurchaseRow(**r.model_dump()) for r in body.rows]
    return service.submit_purchase_report(uow=uow, fixmedins_code=code, period=body.period, rows=rows)


@router.post(f"{_A}/institutions/{{code}}/reports/import", status_code=201)
async def import_report(code: str, uow: UowDep, period: str = Form(...), file: UploadFile = File(...)) -> Any:
    data = await file.read()
    return service.import_purchase_report(
        uow=uow, fixmedins_code=code, period=period, data=data, filename=file.filename or ""
    )


@router.get(f"{_A}/institutions/{{code}}/reports/{{period}}")
def show_report(code: str, period: str, uow: UowDep) -> Any:
    return service.show_report(uow=uow, fixmedins_code=code, period=period)


@router.get(f"{_A}/reports")
def list_reports(uow: UowDep, fixmedins_code: str | None = None, page: int = 1, size: int = 20) -> Any:
    return service.list_reports(uow=uow, fixmedins_code=fixmedins_code, page=page, size=size)


@router.post(f"{_A}/institutions/{{code}}/assessments", status_code=201)
def assess(code: str, body: AssessIn, uow: UowDep) -> Any:
    return service.assess(
        uow=uow, fixmedins_code=code, period=body.period, actuals=body.actuals, day=body.day
    )


@router.post(f"{_A}/institutions/{{code}}/assessments/apply")
def apply_consequence(code: str, body: ApplyIn, uow: UowDep) -> Any:
    return service.apply_consequence(uow=uow, fixmedins_code=code, period=body.period, day=body.day)


@router.get(f"{_A}/institutions/{{code}}/assessments/{{period}}")
def show_assessment(code: str, period: str, uow: UowDep) -> Any:
    return service.show_assessment(uow=uow, fixmedins_code=code, period=period)


@router.get(f"{_A}/assessments")
def list_assessments(
    uow: UowDep,
    fixmedins_code: str | None = None,
    period: str | None = None,
    grade: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Any:
    return service.list_assessments(
        uow=uow, fixmedins_code=fixmedins_code, period=period, grade=grade, page=page, size=size
    )


@router.get(f"{_A}/ranking/{{year}}")
def ranking(year: int, uow: UowDep) -> Any:
    return service.ranking(uow=uow, year=year)


@router.post(f"{_A}/doctors/{{dr_code}}/points", status_code=201)
def deduct_points(dr_code: str, body: PointsIn, uow: UowDep) -> Any:
    return service.deduct_points(uow=uow, dr_code=dr_code, **body.model_dump())


@router.get(f"{_A}/doctors/{{dr_code}}/points")
def doctor_points(dr_code: str, uow: UowDep, year: int | None = None) -> Any:
    return service.doctor_points(uow=uow, dr_code=dr_code, year=year)


@router.get(f"{_A}/points")
def list_points(
    uow: UowDep, dr_code: str | None = None, year: int | None = None, page: int = 1, size: int = 20
) -> Any:
    return service.list_point_entries(uow=uow, dr_code=dr_code, year=year, page=page, size=size)


@router.post(f"{_A}/points/reset")
def reset_points(body: ResetIn, uow: UowDep) -> Any:
    return {"doctors": service.reset_year(uow=uow, admdvs=body.admdvs, year=body.year)}


@router.post(f"{_A}/doctors/{{dr_code}}/trainings", status_code=201)
def add_training(dr_code: str, body: TrainingIn, uow: UowDep) -> Any:
    return service.add_training(uow=uow, dr_code=dr_code, **body.model_dump())
