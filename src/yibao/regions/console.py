"""Console pages for pooling regions: list, detail, create, Excel export."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yibao.console.deps import ConsoleUow, FormData
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.excel import XLSX_MEDIA_TYPE, write_xlsx
from yibao.core.paging import MAX_PAGE_SIZE
from yibao.core.validation import parse_date, require_date
from yibao.domain.errors import BusinessError
from yibao.regions import service
from yibao.regions.service import LEVELS

router = APIRouter(prefix="/console/regions", include_in_schema=False)
NAV = [NavItem("/console/regions", "统筹区", "Regions", order=10)]


@router.get("")
def list_page(request: Request, uow: ConsoleUow, q: str | None = None, page: int = 1) -> Response:
    result = service.list_regions(uow=uow, q=q, page=max(page, 1), size=20)
    return render(request, "regions/list.html", actor=uow.actor, page=result, q=q)


@router.get("/export.xlsx")
def export(uow: ConsoleUow, q: str | None = None) -> Response:
    rows = service.list_regions(uow=uow, q=q, page=1, size=MAX_PAGE_SIZE).items
    data = write_xlsx(
        "统筹区",
        ["统筹区编码", "名称", "层次", "上级", "启用日期", "停用日期"],
        [[r.admdvs, r.name, LEVELS.get(r.level, r.level), r.parent_admdvs, r.begin, r.end] for r in rows],
    )
    return Response(
        data, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": "attachment; filename=regions.xlsx"}
    )


@router.get("/new")
def new_page(request: Request, uow: ConsoleUow) -> Response:
    return render(request, "regions/form.html", actor=uow.actor, levels=LEVELS, form={"level": "county"})


@router.post("/new")
def create(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    try:
        region = service.create_region(
            uow=uow,
            admdvs=form.get("admdvs", ""),
            name=form.get("name", ""),
            level=form.get("level", ""),
            parent_admdvs=form.get("parent_admdvs"),
            begin=require_date(form.get("begin"), field="begin"),
            end=parse_date(form.get("end"), field="end", required=False),
        )
    except BusinessError as exc:
        return render(
            request,
            "regions/form.html",
            actor=uow.actor,
            levels=LEVELS,
            form=form,
            error=exc,
            status_code=error_status(exc),
        )
    return redirect(f"/console/regions/{region.admdvs}")


@router.get("/{admdvs}/edit")
def edit_page(request: Request, admdvs: str, uow: ConsoleUow) -> Response:
    try:
        region = service.get_region(uow=uow, admdvs=admdvs)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    form = {"name": region.name, "end": region.end.isoformat() if region.end else ""}
    return render(request, "regions/edit.html", actor=uow.actor, region=region, form=form)


@router.post("/{admdvs}/edit")
def edit(request: Request, admdvs: str, uow: ConsoleUow, form: FormData) -> Response:
    try:
        end = parse_date(form.get("end"), field="end", required=False)
        region = service.update_region(
            uow=uow, admdvs=admdvs, name=form.get("name", ""), end=end, clear_end=end is None
        )
    except BusinessError as exc:
        if exc.code == "REGION_NOT_FOUND":
            return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
        current = service.get_region(uow=uow, admdvs=admdvs)
        return render(
            request,
            "regions/edit.html",
            actor=uow.actor,
            region=current,
            form=form,
            error=exc,
            status_code=error_status(exc),
        )
    return redirect(f"/console/regions/{region.admdvs}")


@router.get("/{admdvs}")
def detail(request: Request, admdvs: str, uow: ConsoleUow) -> Response:
    try:
        region = service.get_region(uow=uow, admdvs=admdvs)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    return render(request, "regions/detail.html", actor=uow.actor, region=region, levels=LEVELS)
