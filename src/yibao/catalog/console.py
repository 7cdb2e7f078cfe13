"""Console pages for the catalogs and code mapping: search, detail with versions, new item and
version forms, import with an error table, Excel export, and the mapping queue."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from yibao.catalog import service
from yibao.console.deps import ConsoleUow, FormData
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.excel import XLSX_MEDIA_TYPE
from yibao.core.imports import ImportRefusedError
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import parse_date, require_date
from yibao.domain import catalog as rules
from yibao.domain.errors import BusinessError

router = APIRouter(prefix="/console/catalog", include_in_schema=False)
NAV = [
    NavItem("/console/catalog", "医保目录", "Catalog", Perm.CATALOG_READ, order=30),
    NavItem("/console/catalog/mappings", "对码", "Code mapping", Perm.CATALOG_READ, order=31),
]

LABELS = {
    "kinds": rules.KINDS,
    "classes": rules.CLASSES,
    "tiers": rules.TIERS,
    "states": rules.MAPPING_STATES,
}


@router.get("")
def list_page(
    request: Request,
    uow: ConsoleUow,
    q: str | None = None,
    kind: str | None = None,
    list_type: str | None = None,
    chrgitm_lv: str | None = None,
    on: str | None = None,
    page: int = 1,
) -> Response:
    form = {"q": q, "kind": kind, "list_type": list_type, "chrgitm_lv": chrgitm_lv, "on": on}
    options = service.form_options(uow=uow)
    try:
        result = service.list_items(
            uow=uow,
            q=q,
            kind=kind or None,
            list_type=list_type or None,
            chrgitm_lv=chrgitm_lv or None,
            on=parse_date(on, field="on", required=False),
            page=max(page, 1),
            size=20,
        )
    except BusinessError as exc:
        return render(
            request,
            "catalog/list.html",
            actor=uow.actor,
            page=None,
            form=form,
            options=options,
            labels=LABELS,
            error=exc,
            status_code=error_status(exc),
        )
    return render(
        request,
        "catalog/list.html",
        actor=uow.actor,
        page=result,
        form=form,
        options=options,
        labels=LABELS,
        ratio=rules.format_ratio,
        query=request.url.query,
    )


@router.get("/export.xlsx")
def export(
    uow: ConsoleUow,
    q: str | None = None,
    kind: str | None = None,
    list_type: str | None = None,
    chrgitm_lv: str | None = None,
    on: str | None = None,
) -> Response:
    data = service.export_items(
        uow=uow,
        q=q,
        kind=kind or None,
        list_type=list_type or None,
        chrgitm_lv=chrgitm_lv or None,
        on=parse_date(on, field="on", required=False),
    )
    return Response(
        data, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": "attachment; filename=catalog.xlsx"}
    )


def _item_form(
    request: Request,
    uow: UnitOfWork,
    *,
    form: dict[str, str],
    code: str | None = None,
    error: BusinessError | None = None,
) -> Response:
    return render(
        request,
        "catalog/form.html",
        actor=uow.actor,
        form=form,
        code=code,
        options=service.form_options(uow=uow),
        error=error,
        status_code=error_status(error) if error else 200,
    )


@router.get("/new")
def new_page(request: Request, uow: ConsoleUow, kind: str = "drug") -> Response:
    return _item_form(request, uow, form={"kind": kind, "chrgitm_lv": "01"})


@router.post("/new")
def create(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    try:
        item = service.create_item(uow=uow, kind=form.get("kind", ""), fields=form)
    except BusinessError as exc:
        return _item_form(request, uow, form=form, error=exc)
    return redirect(f"/console/catalog/items/{item.code}")


@router.get("/import")
def import_page(request: Request, uow: ConsoleUow) -> Response:
    return render(
        request, "catalog/import.html", actor=uow.actor, form={"list_type": "drug"}, kinds=rules.KINDS
    )


@router.post("/import")
async def import_file(request: Request, uow: ConsoleUow) -> Response:
    submitted = await request.form()
    list_type = str(submitted.get("list_type") or "")
    upload = submitted.get("file")
    form = {"list_type": list_type}
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise BusinessError(code="REQUIRED", message="字段 file 请选择要导入的文件", field="file")
        data = await upload.read()
        result = service.import_items(uow=uow, list_type=list_type, filename=upload.filename, data=data)
    except BusinessError as exc:
        rows = exc.rows if isinstance(exc, ImportRefusedError) else []
        return render(
            request,
            "catalog/import.html",
            actor=uow.actor,
            form=form,
            kinds=rules.KINDS,
            error=exc,
            rows=rows,
            status_code=error_status(exc),
        )
    return render(
        request, "catalog/import.html", actor=uow.actor, form=form, kinds=rules.KINDS, result=result
    )


# ---------------------------------------------------------------- code mapping


def _mapping_page(
    request: Request,
    uow: UnitOfWork,
    *,
    status: str | None = None,
    q: str | None = None,
    page: int = 1,
    form: dict[str, str] | None = None,
    error: BusinessError | None = None,
    notice: str | None = None,
) -> Response:
    result = service.list_mappings(uow=uow, status=status or None, q=q, page=max(page, 1), size=20)
    return render(
        request,
        "catalog/mappings.html",
        actor=uow.actor,
        page=result,
        status=status or "",
        q=q,
        form=form or {"fixmedins_code": uow.actor.institution_code or ""},
        labels=LABELS,
        options=service.form_options(uow=uow),
        error=error,
        notice=notice,
        status_code=error_status(error) if error else 200,
    )


@router.get("/mappings")
def mappings_page(
    request: Request, uow: ConsoleUow, status: str | None = None, q: str | None = None, page: int = 1
) -> Response:
    try:
        return _mapping_page(request, uow, status=status, q=q, page=page)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))


@router.post("/mappings/new")
def submit_mapping(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    try:
        mapping = service.submit_mapping(
            uow=uow,
            fixmedins_code=form.get("fixmedins_code", ""),
            medins_list_codg=form.get("medins_list_codg", ""),
            medins_list_name=form.get("medins_list_name", ""),
            hilist_code=form.get("hilist_code", ""),
            begin=require_date(form.get("begin"), field="begin"),
            end=parse_date(form.get("end"), field="end", required=False),
        )
    except BusinessError as exc:
        uow.rollback()
        return _mapping_page(request, uow, form=form, error=exc)
    return _mapping_page(request, uow, notice=f"已提交对码 {mapping.id}，等待审核")


@router.post("/mappings/{mapping_id}/{action}")
def decide_mapping(
    request: Request, mapping_id: int, action: str, uow: ConsoleUow, form: FormData
) -> Response:
    try:
        if action == "approve":
            service.approve_mapping(uow=uow, mapping_id=mapping_id)
        elif action == "reject":
            service.reject_mapping(uow=uow, mapping_id=mapping_id, reason=form.get("reason", ""))
        elif action == "revoke":
            service.revoke_mapping(
                uow=uow,
                mapping_id=mapping_id,
                end=require_date(form.get("end"), field="end"),
                reason=form.get("reason"),
            )
        else:
            return render(request, "not_found.html", actor=uow.actor, status_code=404)
    except BusinessError as exc:
        uow.rollback()
        return _mapping_page(request, uow, error=exc)
    return redirect("/console/catalog/mappings")


# ---------------------------------------------------------------- item detail and versions


@router.get("/items/{code}")
def detail(request: Request, code: str, uow: ConsoleUow, on: str | None = None) -> Response:
    try:
        versions = service.get_versions(uow=uow, code=code)
        day = parse_date(on, field="on", required=False)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))
    current = rules.item_valid_on(versions, day) if day else versions[-1]
    return render(
        request,
        "catalog/detail.html",
        actor=uow.actor,
        versions=list(reversed(versions)),
        current=current,
        labels=LABELS,
        describe=rules.describe_restrictions,
        ratio=rules.format_ratio,
    )


@router.get("/items/{code}/versions/new")
def new_version_page(request: Request, code: str, uow: ConsoleUow) -> Response:
    try:
        versions = service.get_versions(uow=uow, code=code)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    form = service.item_form(versions[-1])
    form.update(begin="", end="")
    return _item_form(request, uow, form=form, code=versions[-1].code)


@router.post("/items/{code}/versions/new")
def add_version(request: Request, code: str, uow: ConsoleUow, form: FormData) -> Response:
    try:
        item = service.add_version(uow=uow, code=code, fields=form)
    except BusinessError as exc:
        return _item_form(request, uow, form=form, code=code, error=exc)
    return redirect(f"/console/catalog/items/{item.code}")
