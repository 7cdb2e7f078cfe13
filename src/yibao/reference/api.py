"""REST API for national reference data: any signed-in user reads; administrators load."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from yibao.core.schemas import ERROR_RESPONSES, PageOut
from yibao.core.uow import UnitOfWork
from yibao.reference import service
from yibao.reference.schemas import (
    CrosswalkOut,
    DatasetOut,
    DictCodeOut,
    DictionaryOut,
    IcdDetailOut,
    IcdOut,
    LoadIn,
    LoadResultOut,
)
from yibao.web.deps import ContainerDep, UowDep

router = APIRouter(prefix="/api/v1/reference", tags=["参考数据 reference"], responses=ERROR_RESPONSES)


@router.get("/datasets", response_model=PageOut[DatasetOut])
def list_datasets(uow: UowDep, kind: str | None = None, page: int = 1, size: int = 50) -> object:
    return service.list_datasets(uow=uow, kind=kind, page=page, size=size)


@router.post("/load", response_model=list[LoadResultOut])
def load(body: LoadIn, uow: UowDep, container: ContainerDep) -> object:
    def new_uow() -> UnitOfWork:
        return container.uow(uow.actor)

    return service.load_all(
        new_uow=new_uow,
        reference_dir=container.settings.reference_dir,
        begin=body.begin,
        only=body.only,
        version=body.version,
    )


@router.get("/dicts", response_model=list[DictionaryOut])
def list_dictionaries(uow: UowDep, q: str | None = None) -> object:
    return service.list_dictionaries(uow=uow, q=q)


@router.get("/dicts/{dict_name}", response_model=PageOut[DictCodeOut])
def list_dict_codes(
    dict_name: str, uow: UowDep, q: str | None = None, page: int = 1, size: int = 50
) -> object:
    return service.list_dict_codes(uow=uow, dict_name=dict_name, q=q, page=page, size=size)


@router.get("/diagnoses", response_model=PageOut[IcdOut])
def search_diagnoses(
    uow: UowDep,
    q: str | None = None,
    gray: bool | None = None,
    on: date | None = None,
    page: int = 1,
    size: int = 50,
) -> object:
    return service.search_diagnoses(uow=uow, q=q, gray=gray, on=on, page=page, size=size)


@router.get("/diagnoses/{code}", response_model=IcdDetailOut)
def get_diagnosis(code: str, uow: UowDep, on: date | None = None) -> object:
    return service.get_diagnosis(uow=uow, code=code, on=on)


@router.get("/procedures", response_model=PageOut[IcdOut])
def search_procedures(
    uow: UowDep,
    q: str | None = None,
    gray: bool | None = None,
    on: date | None = None,
    page: int = 1,
    size: int = 50,
) -> object:
    return service.search_procedures(uow=uow, q=q, gray=gray, on=on, page=page, size=size)


@router.get("/procedures/{code}", response_model=IcdDetailOut)
def get_procedure(code: str, uow: UowDep, on: date | None = None) -> object:
    return service.get_procedure(uow=uow, code=code, on=on)


@router.get("/crosswalk", response_model=PageOut[CrosswalkOut])
def search_crosswalk(
    uow: UowDep,
    system: str,
    edition: str | None = None,
    code: str | None = None,
    q: str | None = None,
    page: int = 1,
    size: int = 50,
) -> object:
    return service.search_crosswalk(
        uow=uow, system=system, edition=edition, code=code, q=q, page=page, size=size
    )
