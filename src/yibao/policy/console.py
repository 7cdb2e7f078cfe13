"""Console pages for benefit policy versions: list, detail by section, diff, upload, Excel export."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from yibao.console.deps import ConsoleUow
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.excel import XLSX_MEDIA_TYPE, write_xlsx
from yibao.core.paging import MAX_PAGE_SIZE
from yibao.core.security import Perm
from yibao.core.validation import parse_date
from yibao.domain.errors import BusinessError, invalid
from yibao.domain.policy_diff import POINTS, RATIO, format_value
from yibao.policy import service
from yibao.policy.terms import BASES, CATEGORIES, LEVELS, SCOPES, TERMS, describe

router = APIRouter(prefix="/console/policy", include_in_schema=False)
NAV = [NavItem("/console/policy", "待遇政策", "Benefit policy", order=50)]

_HELPERS: dict[str, Any] = {
    "terms": TERMS,
    "levels": LEVELS,
    "categories": CATEGORIES,
    "scopes": SCOPES,
    "bases": BASES,
    "describe": describe,
    "fmt": format_value,
    "pct": lambda value: format_value(RATIO, value),
    "pts": lambda value: format_value(POINTS, value),
}


def _filters(admdvs: str | None, insutype: str | None, on: str | None) -> tuple[date | None, dict[str, str]]:
    form = {"admdvs": admdvs or "", "insutype": insutype or "", "on": on or ""}
    return parse_date(on, field="on", required=False), form


@router.get("")
def list_page(
    request: Request,
    uow: ConsoleUow,
    admdvs: str | None = None,
    insutype: str | None = None,
    on: str | None = None,
    q: str | None = None,
    page: int = 1,
) -> Response:
    form = {"admdvs": admdvs or "", "insutype": insutype or "", "on": on or "", "q": q or ""}
    try:
        day, _ = _filters(admdvs, insutype, on)
        result = service.list_policies(
            uow=uow, admdvs=admdvs, insutype=insutype, on=day, q=q, page=max(page, 1), size=20
        )
    except BusinessError as exc:
        result = service.list_policies(uow=uow, page=1, size=20)
        return render(
            request,
            "policy/list.html",
            actor=uow.actor,
            page=result,
            form=form,
            error=exc,
            status_code=error_status(exc),
        )
    return render(request, "policy/list.html", actor=uow.actor, page=result, form=form)


@router.get("/export.xlsx")
def export(
    uow: ConsoleUow, admdvs: str | None = None, insutype: str | None = None, on: str | None = None
) -> Response:
    day, _ = _filters(admdvs, insutype, on)
    rows = service.list_policies(
        uow=uow, admdvs=admdvs, insutype=insutype, on=day, page=1, size=MAX_PAGE_SIZE
    ).items
    data = write_xlsx(
        "待遇政策",
        ["编号", "统筹区", "险种", "版本", "名称", "生效日期", "失效日期", "文件", "载入人"],
        [
            [r.id, r.admdvs, r.insutype, r.version, r.name, r.begin, r.end, r.filename, r.loaded_by]
            for r in rows
        ],
    )
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": "attachment; filename=policies.xlsx"},
    )


@router.get("/load")
def load_page(request: Request, uow: ConsoleUow) -> Response:
    return render(request, "policy/load.html", actor=uow.actor)


@router.post("/load")
async def load(request: Request, uow: ConsoleUow) -> Response:
    submitted = await request.form()
    upload = submitted.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise invalid("REQUIRED", "file", "字段 file 请选择要载入的 TOML 政策文件")
        result = service.load_policy_file(uow=uow, data=await upload.read(), filename=upload.filename)
    except BusinessError as exc:
        return render(
            request,
            "policy/load.html",
            actor=uow.actor,
            error=exc,
            describe=describe,
            status_code=error_status(exc),
        )
    return redirect(f"/console/policy/{result.policy.id}?status={result.status}")


@router.get("/diff")
def diff_page(request: Request, uow: ConsoleUow, a: str | None = None, b: str | None = None) -> Response:
    options = service.list_policies(uow=uow, page=1, size=MAX_PAGE_SIZE).items
    form = {"a": a or "", "b": b or ""}
    changes = None
    error = None
    if a and b:
        try:
            if not a.isdigit() or not b.isdigit():
                raise invalid("POLICY_ID", "a", "字段 a/b 请选择要对比的两个政策版本")
            changes = service.diff_policies(uow=uow, policy_id=int(a), other_id=int(b))
        except BusinessError as exc:
            error = exc
    return render(
        request,
        "policy/diff.html",
        actor=uow.actor,
        options=options,
        form=form,
        changes=changes,
        error=error,
        status_code=error_status(error) if error else 200,
        **_HELPERS,
    )


@router.get("/{policy_id}")
def detail(request: Request, policy_id: int, uow: ConsoleUow, status: str | None = None) -> Response:
    try:
        row = service.get_policy(uow=uow, policy_id=policy_id)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    notice = None
    if status == service.LOADED:
        notice = "已载入新版本。"
    elif status == service.UNCHANGED:
        notice = "内容与已载入的版本相同，未改动。"
    others = [
        r
        for r in service.list_policies(
            uow=uow, admdvs=row.admdvs, insutype=row.insutype, page=1, size=MAX_PAGE_SIZE
        ).items
        if r.id != row.id
    ]
    return render(
        request,
        "policy/detail.html",
        actor=uow.actor,
        row=row,
        policy=service.policy_of(row),
        others=others,
        notice=notice,
        can_load=uow.actor.has(Perm.POLICY_WRITE),
        **_HELPERS,
    )
