"""REST API of enrolment: HTTP in, one service call, HTTP out."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, File, UploadFile

from yibao.core.schemas import ERROR_RESPONSES, PageOut
from yibao.enrolment import service
from yibao.enrolment.schemas import (
    AccountOut,
    ContributionBatchOut,
    ContributionIn,
    ContributionOut,
    ContributionsOut,
    EnrolIn,
    ImportOut,
    PaymentIn,
    PersonOut,
    PersonPatch,
    RelationIn,
    RelationOut,
    RelationStatusIn,
    TransferIn,
    TransferOut,
    UnitIn,
    UnitOut,
    UnitPatch,
)
from yibao.web.deps import RecordId, UowDep

router = APIRouter(prefix="/api/v1", tags=["参保登记 enrolment"], responses=ERROR_RESPONSES)


# units ---------------------------------------------------------------------------------------
@router.get("/units", response_model=PageOut[UnitOut])
def list_units(
    uow: UowDep, q: str | None = None, admdvs: str | None = None, page: int = 1, size: int = 20
) -> object:
    return service.list_units(uow=uow, q=q, admdvs=admdvs, page=page, size=size)


@router.post("/units", response_model=UnitOut, status_code=201)
def create_unit(body: UnitIn, uow: UowDep) -> object:
    return service.create_unit(uow=uow, **body.model_dump())


@router.get("/units/{uscc}", response_model=UnitOut)
def get_unit(uscc: str, uow: UowDep) -> object:
    return service.get_unit(uow=uow, uscc=uscc)


@router.patch("/units/{uscc}", response_model=UnitOut)
def update_unit(uscc: str, body: UnitPatch, uow: UowDep) -> object:
    return service.update_unit(uow=uow, uscc=uscc, **body.model_dump())


# persons -------------------------------------------------------------------------------------
@router.get("/persons", response_model=PageOut[PersonOut])
def list_persons(
    uow: UowDep,
    q: str | None = None,
    certno: str | None = None,
    admdvs: str | None = None,
    page: int = 1,
    size: int = 20,
) -> object:
    return service.list_persons(uow=uow, q=q, certno=certno, admdvs=admdvs, page=page, size=size)


@router.post("/persons", response_model=PersonOut, status_code=201)
def enrol(body: EnrolIn, uow: UowDep) -> object:
    return service.enrol(uow=uow, **body.model_dump())


@router.post("/persons/import", response_model=ImportOut)
def import_persons(uow: UowDep, file: UploadFile = File(..., description="CSV 或 XLSX 文件")) -> object:
    report = service.import_persons(uow=uow, filename=file.filename or "", data=file.file.read())
    return {"ok": report.ok, "total": report.total, "created": report.created, "errors": report.errors}


@router.get("/persons/{psn_no}", response_model=PersonOut)
def get_person(psn_no: str, uow: UowDep) -> object:
    return service.get_person(uow=uow, psn_no=psn_no)


@router.patch("/persons/{psn_no}", response_model=PersonOut)
def update_person(psn_no: str, body: PersonPatch, uow: UowDep) -> object:
    return service.update_person(uow=uow, psn_no=psn_no, **body.model_dump())


# relations -----------------------------------------------------------------------------------
@router.get("/persons/{psn_no}/relations", response_model=list[RelationOut])
def list_relations(psn_no: str, uow: UowDep) -> object:
    return service.list_relations(uow=uow, psn_no=psn_no)


@router.post("/persons/{psn_no}/relations", response_model=RelationOut, status_code=201)
def add_relation(psn_no: str, body: RelationIn, uow: UowDep) -> object:
    return service.add_relation(uow=uow, psn_no=psn_no, **body.model_dump())


@router.post("/persons/{psn_no}/relations/{relation_id}/status", response_model=RelationOut)
def change_relation_status(psn_no: str, relation_id: RecordId, body: RelationStatusIn, uow: UowDep) -> object:
    return service.change_relation_status(
        uow=uow, psn_no=psn_no, relation_id=relation_id, **body.model_dump()
    )


# contributions -------------------------------------------------------------------------------
@router.get("/persons/{psn_no}/contributions", response_model=ContributionsOut)
def list_contributions(psn_no: str, uow: UowDep) -> object:
    items = service.list_contributions(uow=uow, psn_no=psn_no)
    return {"items": items, "paid_months": service.contribution_months(uow=uow, psn_no=psn_no)}


@router.post("/persons/{psn_no}/contributions", response_model=ContributionOut, status_code=201)
def record_contribution(psn_no: str, body: ContributionIn, uow: UowDep) -> object:
    return service.record_contribution(uow=uow, psn_no=psn_no, **body.model_dump())


@router.post("/contributions/import", response_model=ContributionBatchOut, status_code=201)
def import_contributions(
    uow: UowDep, file: UploadFile = File(..., description="CSV 或 XLSX 缴费文件")
) -> object:
    """批量登记缴费：全部成功，或 422 列出每一行错误（errors[].field 为 rows.<行号>.<字段>），不保存。"""
    return service.import_contributions(uow=uow, filename=file.filename or "", data=file.file.read())


@router.post("/persons/{psn_no}/contributions/{contribution_id}/pay", response_model=ContributionOut)
def pay_contribution(psn_no: str, contribution_id: RecordId, body: PaymentIn, uow: UowDep) -> object:
    return service.pay_contribution(
        uow=uow, psn_no=psn_no, contribution_id=contribution_id, paid_on=body.paid_on
    )


@router.get("/arrears", response_model=PageOut[ContributionOut])
def list_arrears(
    uow: UowDep, admdvs: str | None = None, today: date | None = None, page: int = 1, size: int = 50
) -> object:
    return service.list_arrears(uow=uow, admdvs=admdvs, today=today, page=page, size=size)


# account and transfers -----------------------------------------------------------------------
@router.get("/persons/{psn_no}/account", response_model=AccountOut)
def get_account(psn_no: str, uow: UowDep, page: int = 1, size: int = 20) -> object:
    return service.get_account(uow=uow, psn_no=psn_no, page=page, size=size)


@router.get("/persons/{psn_no}/transfers", response_model=list[TransferOut])
def list_transfers(psn_no: str, uow: UowDep) -> object:
    return service.list_transfers(uow=uow, psn_no=psn_no)


@router.post("/persons/{psn_no}/transfers", response_model=TransferOut, status_code=201)
def transfer_person(psn_no: str, body: TransferIn, uow: UowDep) -> object:
    return service.transfer_person(uow=uow, psn_no=psn_no, to_admdvs=body.to_admdvs, on=body.on)
