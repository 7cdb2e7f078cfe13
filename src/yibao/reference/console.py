"""Console pages for national reference data: data set versions, dictionaries, ICD search, crosswalks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yibao.console.deps import ConsoleUow, FormData
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, render
from yibao.core.excel import XLSX_MEDIA_TYPE, write_xlsx
from yibao.core.paging import MAX_PAGE_SIZE
from yibao.core.uow import UnitOfWork
from yibao.core.validation import optional_text, require_date
from yibao.domain.errors import BusinessError
from yibao.domain.reference import EDITIONS, SYSTEMS
from yibao.reference import service
from yibao.web.deps import ContainerDep

router = APIRouter(prefix="/console/reference", include_in_schema=False)
NAV = [NavItem("/console/reference", "参考数据", "Reference data", order=80)]

ONLY_OPTIONS = [
    ("dict", "国家医保字典"),
    ("icd10", "ICD-10 医保版"),
    ("icd9", "ICD-9-CM-3 医保版"),
    ("crosswalk", "对照表"),
]


def _gray(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


def _datasets_page(
    request: Request, uow: UnitOfWork, *, kind: str | None, page: int, **context: object
) -> Response:
    status = 200
    error = context.pop("error", None)
    try:
        result = service.list_datasets(uow=uow, kind=kind, page=max(page, 1), size=50)
    except BusinessError as exc:
        error, kind = exc, None
        result = service.list_datasets(uow=uow, page=1, size=50)
    if isinstance(error, BusinessError):
        status = error_status(error)
    return render(
        request,
        "reference/datasets.html",
        actor=uow.actor,
        page=result,
        kind=kind,
        kinds=service.KINDS,
        only_options=ONLY_OPTIONS,
        error=error if isinstance(error, BusinessError) else None,
        status_code=status,
        **context,
    )


@router.get("")
def datasets_page(request: Request, uow: ConsoleUow, kind: str | None = None, page: int = 1) -> Response:
    return _datasets_page(request, uow, kind=kind, page=page, form={})


@router.post("/load")
def load(request: Request, uow: ConsoleUow, form: FormData, container: ContainerDep) -> Response:
    try:
        results = service.load_all(
            new_uow=lambda: container.uow(uow.actor),
            reference_dir=container.settings.reference_dir,
            begin=require_date(form.get("begin"), field="begin"),
            only=optional_text(form.get("only"), field="only", max_len=16, label="数据集类别"),
            version=optional_text(form.get("version"), field="version", max_len=64, label="版本"),
        )
    except BusinessError as exc:
        return _datasets_page(request, uow, kind=None, page=1, form=form, error=exc)
    return _datasets_page(request, uow, kind=None, page=1, form={}, results=results)


@router.get("/dicts")
def dictionaries_page(request: Request, uow: ConsoleUow, q: str | None = None) -> Response:
    try:
        items = service.list_dictionaries(uow=uow, q=q)
    except BusinessError as exc:
        return render(
            request, "reference/dicts.html", actor=uow.actor, items=[], q=q, error=exc, status_code=422
        )
    return render(request, "reference/dicts.html", actor=uow.actor, items=items, q=q)


@router.get("/dicts/{dict_name}")
def dict_codes_page(
    request: Request, dict_name: str, uow: ConsoleUow, q: str | None = None, page: int = 1
) -> Response:
    try:
        result = service.list_dict_codes(uow=uow, dict_name=dict_name, q=q, page=max(page, 1), size=50)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))
    title = next(
        (d.label for d in service.list_dictionaries(uow=uow, q=dict_name) if d.name == dict_name), dict_name
    )
    return render(
        request,
        "reference/dict_codes.html",
        actor=uow.actor,
        page=result,
        q=q,
        dict_name=dict_name,
        title=title,
    )


@router.get("/icd")
def icd_page(
    request: Request,
    uow: ConsoleUow,
    system: str = "icd10",
    q: str | None = None,
    gray: str | None = None,
    page: int = 1,
) -> Response:
    context: dict[str, Any] = {"system": system, "q": q, "gray": gray or "", "systems": SYSTEMS}
    try:
        result = service.search_icd(uow=uow, system=system, q=q, gray=_gray(gray), page=max(page, 1), size=50)
    except BusinessError as exc:
        return render(
            request, "reference/icd.html", actor=uow.actor, page=None, error=exc, status_code=422, **context
        )
    return render(request, "reference/icd.html", actor=uow.actor, page=result, **context)


@router.get("/icd/export.xlsx")
def icd_export(
    uow: ConsoleUow, system: str = "icd10", q: str | None = None, gray: str | None = None
) -> Response:
    rows = service.search_icd(uow=uow, system=system, q=q, gray=_gray(gray), page=1, size=MAX_PAGE_SIZE).items
    data = write_xlsx(
        SYSTEMS.get(system, system),
        ["代码", "名称", "灰码（不可结算）", "启用日期", "停用日期"],
        [[r.code, r.name, "是" if r.gray else "", r.begin, r.end] for r in rows],
    )
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f"attachment; filename={system}.xlsx"},
    )


@router.get("/icd/{system}/{code}")
def icd_detail(request: Request, system: str, code: str, uow: ConsoleUow) -> Response:
    try:
        item = service.get_icd(uow=uow, system=system, code=code)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))
    return render(
        request, "reference/icd_detail.html", actor=uow.actor, item=item, systems=SYSTEMS, editions=EDITIONS
    )


@router.get("/crosswalk")
def crosswalk_page(
    request: Request,
    uow: ConsoleUow,
    system: str = "icd10",
    edition: str | None = None,
    code: str | None = None,
    q: str | None = None,
    page: int = 1,
) -> Response:
    context: dict[str, Any] = {
        "form": {"system": system, "edition": edition or "", "code": code or "", "q": q or ""},
        "systems": SYSTEMS,
        "editions": EDITIONS,
    }
    if not (code or q):
        return render(request, "reference/crosswalk.html", actor=uow.actor, page=None, **context)
    try:
        result = service.search_crosswalk(
            uow=uow, system=system, edition=edition, code=code, q=q, page=max(page, 1), size=50
        )
    except BusinessError as exc:
        return render(
            request,
            "reference/crosswalk.html",
            actor=uow.actor,
            page=None,
            error=exc,
            status_code=422,
            **context,
        )
    return render(request, "reference/crosswalk.html", actor=uow.actor, page=result, **context)
