"""Console sign-in, sign-out and the home page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yibao.console.deps import ConsoleActor, FormData
from yibao.console.templating import lang_of, nav_items, redirect, render
from yibao.domain.errors import BusinessError
from yibao.staff import service as staff
from yibao.web.deps import SESSION_COOKIE, ContainerDep

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/login")
def login_page(request: Request, next: str = "/console") -> Response:
    return render(request, "console/login.html", actor=None, next=next)


@router.post("/login")
def login(request: Request, container: ContainerDep, form: FormData) -> Response:
    next_url = form.get("next") or "/console"
    if not next_url.startswith("/console"):
        next_url = "/console"
    try:
        with container.uow() as uow:
            user = staff.authenticate(
                uow=uow, username=form.get("username", ""), password=form.get("password", "")
            )
    except BusinessError as exc:
        return render(
            request,
            "console/login.html",
            actor=None,
            error=exc,
            status_code=401,
            form={"username": form.get("username", "")},
            next=next_url,
        )
    settings = container.settings
    token = staff.issue_token(user, secret_key=settings.secret_key, minutes=settings.token_minutes)
    response = redirect(next_url)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.env == "production",
        max_age=settings.token_minutes * 60,
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = redirect("/console/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("")
def home(request: Request, actor: ConsoleActor) -> Response:
    english = lang_of(request) == "en"
    links = [
        {"url": item.url, "title": item.en if english else item.zh, "text": item.zh if english else item.en}
        for item in nav_items()
        if item.perm is None or actor.has(item.perm)
    ]
    return render(request, "console/home.html", actor=actor, links=links)
