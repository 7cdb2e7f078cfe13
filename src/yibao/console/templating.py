"""Jinja2 rendering for console pages: language, signed-in actor, flash of field errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from yibao.console.nav import NavItem
from yibao.core.clock import local_text
from yibao.core.security import ROLE_NAMES_ZH, Actor, Perm
from yibao.domain.errors import BusinessError
from yibao.domain.identity import mask_id
from yibao.domain.money import fen_to_yuan

LANG_COOKIE = "yibao_lang"
_PKG = Path(__file__).resolve().parent.parent


def _template_dirs() -> list[str]:
    dirs = [str(_PKG / "console" / "templates")]
    dirs += sorted(str(p) for p in _PKG.glob("*/templates") if p.parent.name != "console")
    return dirs


env = Environment(loader=FileSystemLoader(_template_dirs()), autoescape=select_autoescape(["html"]))
env.filters["yuan"] = lambda fen: "" if fen is None else fen_to_yuan(int(fen))
env.filters["mask"] = mask_id
env.filters["local"] = local_text
env.globals["ROLE_NAMES"] = ROLE_NAMES_ZH
env.globals["Perm"] = Perm


def nav_items() -> list[NavItem]:
    """The navigation entries registered by the business areas' console modules."""
    items: list[NavItem] = env.globals.get("NAV", [])  # type: ignore[assignment]
    return items


def lang_of(request: Request) -> str:
    """The console language: a `lang` query parameter or cookie; Chinese unless English is chosen."""
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return "en" if lang == "en" else "zh"


def render(
    request: Request,
    template: str,
    *,
    actor: Actor | None,
    status_code: int = 200,
    error: BusinessError | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a page; `error` shows its message on top and each field's message beside the field."""
    lang = lang_of(request)

    def t(zh: str, en: str | None = None) -> str:
        return en if lang == "en" and en else zh

    def page_url(page: int) -> str:
        params = dict(request.query_params)
        params["page"] = str(page)
        return f"{request.url.path}?{urlencode(params)}"

    field_errors = {e.field: e.message for e in error.errors} if error else {}
    html = env.get_template(template).render(
        request=request,
        actor=actor,
        lang=lang,
        t=t,
        page_url=page_url,
        error=error,
        field_errors=field_errors,
        form=context.pop("form", {}),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, lang, samesite="strict", httponly=True)
    return response


def redirect(url: str) -> Response:
    """Post-redirect-get after a successful form."""
    return RedirectResponse(url, status_code=303)


def error_status(error: BusinessError) -> int:
    """The HTTP status a console page answers a refused form with."""
    from yibao.web.errors import STATUS

    return STATUS[error.kind]
