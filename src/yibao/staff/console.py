"""Console pages for staff accounts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yibao.console.deps import ConsoleUow, FormData
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.security import ROLE_NAMES_ZH, Perm
from yibao.domain.errors import BusinessError
from yibao.staff import service

router = APIRouter(prefix="/console/users", include_in_schema=False)
NAV = [NavItem("/console/users", "用户", "Users", Perm.USER_ADMIN, order=95)]


@router.get("")
def list_page(request: Request, uow: ConsoleUow, q: str | None = None, page: int = 1) -> Response:
    try:
        result = service.list_users(uow=uow, q=q, page=max(page, 1), size=20)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=403)
    return render(request, "staff/list.html", actor=uow.actor, page=result, q=q)


@router.get("/new")
def new_page(request: Request, uow: ConsoleUow) -> Response:
    return render(request, "staff/form.html", actor=uow.actor, roles=ROLE_NAMES_ZH, form={})


@router.post("/new")
def create(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    try:
        service.create_user(
            uow=uow,
            username=form.get("username", ""),
            password=form.get("password", ""),
            display_name=form.get("display_name", ""),
            roles=[form.get("role", "")] if form.get("role") else [],
            regions=[r.strip() for r in form.get("regions", "").replace("，", ",").split(",") if r.strip()],
            institution_code=form.get("institution_code"),
        )
    except BusinessError as exc:
        return render(
            request,
            "staff/form.html",
            actor=uow.actor,
            roles=ROLE_NAMES_ZH,
            form=form,
            error=exc,
            status_code=error_status(exc),
        )
    return redirect("/console/users")
