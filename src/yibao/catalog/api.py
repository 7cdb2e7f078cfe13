"""REST API for the catalogs and hospital code mapping: HTTP in, a service call, HTTP out."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from yibao.catalog import service
from yibao.catalog.schemas import (
    ImportOut,
    ItemIn,
    ItemOut,
    MappingIn,
    MappingOut,
    RejectIn,
    RevokeIn,
    VersionIn,
)
from yibao.core.excel import XLSX_MEDIA_TYPE
from yibao.core.schemas import ERROR_RESPONSES, PageOut
from yibao.web.deps import RecordId, UowDep

items = APIRouter(prefix="/api/v1/catalog", tags=["目录 catalog"], responses=ERROR_RESPONSES)
mappings = APIRouter(prefix="/api/v1/mappings", tags=["对码 mappings"], responses=ERROR_RESPONSES)


@items.get("/items", response_model=PageOut[ItemOut])
def list_items(
    uow: UowDep,
    q: str | None = None,
    kind: str | None = None,
    list_type: str | None = None,
    chrgitm_lv: str | None = None,
    on: date | None = None,
    page: int = 1,
    size: int = 20,
) -> object:
    return service.list_items(
        uow=uow, q=q, kind=kind, list_type=list_type, chrgitm_lv=chrgitm_lv, on=on, page=page, size=size
    )


@items.post("/items", response_model=ItemOut, status_code=201)
def create_item(body: ItemIn, uow: UowDep) -> object:
    return service.create_item(uow=uow, kind=body.kind, fields={**body.to_fields(), "code": body.code})


@items.get("/items/{code}", response_model=list[ItemOut])
def get_item(code: str, uow: UowDep) -> object:
    return service.get_versions(uow=uow, code=code)


@items.get("/items/{code}/versions", response_model=list[ItemOut])
def get_versions(code: str, uow: UowDep) -> object:
    return service.get_versions(uow=uow, code=code)


@items.post("/items/{code}/versions", response_model=ItemOut, status_code=201)
def add_version(code: str, body: VersionIn, uow: UowDep) -> object:
    fields = body.to_fields()
    if body.kind is None:
        fields.pop("kind", None)
    return service.add_version(uow=uow, code=code, fields=fields)


@items.post("/import", response_model=ImportOut)
async def import_items(
    uow: UowDep,
    file: Annotated[UploadFile, File(description="CSV 或 Excel 文件")],
    list_type: Annotated[str, Form(description="drug/service/consumable/facility 或目录类别代码")],
) -> object:
    data = await file.read()
    return service.import_items(uow=uow, list_type=list_type, filename=file.filename or "", data=data)


@items.get("/export.xlsx", response_class=Response)
def export(
    uow: UowDep,
    q: str | None = None,
    kind: str | None = None,
    list_type: str | None = None,
    chrgitm_lv: str | None = None,
    on: date | None = None,
) -> Response:
    data = service.export_items(uow=uow, q=q, kind=kind, list_type=list_type, chrgitm_lv=chrgitm_lv, on=on)
    return Response(
        data, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": "attachment; filename=catalog.xlsx"}
    )


@mappings.get("", response_model=PageOut[MappingOut])
def list_mappings(
    uow: UowDep,
    fixmedins_code: str | None = None,
    status: str | None = None,
    q: str | None = None,
    page: int = 1,
    size: int = 20,
) -> object:
    return service.list_mappings(
        uow=uow, fixmedins_code=fixmedins_code, status=status, q=q, page=page, size=size
    )


@mappings.post("", response_model=MappingOut, status_code=201)
def submit_mapping(body: MappingIn, uow: UowDep) -> object:
    return service.submit_mapping(uow=uow, **body.model_dump())


@mappings.get("/resolve", response_model=ItemOut | None)
def resolve_mapping(uow: UowDep, fixmedins_code: str, medins_list_codg: str, day: date) -> object:
    return service.resolve_mapping(
        uow=uow, fixmedins_code=fixmedins_code, medins_list_codg=medins_list_codg, day=day
    )


@mappings.get("/{mapping_id}", response_model=MappingOut)
def get_mapping(mapping_id: RecordId, uow: UowDep) -> object:
    return service.get_mapping(uow=uow, mapping_id=mapping_id)


@mappings.post("/{mapping_id}/approve", response_model=MappingOut)
def approve_mapping(mapping_id: RecordId, uow: UowDep) -> object:
    return service.approve_mapping(uow=uow, mapping_id=mapping_id)


@mappings.post("/{mapping_id}/reject", response_model=MappingOut)
def reject_mapping(mapping_id: RecordId, body: RejectIn, uow: UowDep) -> object:
    return service.reject_mapping(uow=uow, mapping_id=mapping_id, reason=body.reason)


@mappings.post("/{mapping_id}/revoke", response_model=MappingOut)
def revoke_mapping(mapping_id: RecordId, body: RevokeIn, uow: UowDep) -> object:
    return service.revoke_mapping(uow=uow, mapping_id=mapping_id, end=body.end, reason=body.reason)


router = APIRouter()
router.include_router(items)
router.include_router(mappings)
