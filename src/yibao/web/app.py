"""The FastAPI application: REST API under /api/v1, console under /console, OpenAPI at /docs."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from yibao.bootstrap import Container, bootstrap
from yibao.console import pages
from yibao.console.deps import LoginRequiredError
from yibao.console.nav import NavItem
from yibao.console.templating import env
from yibao.features import entry_modules
from yibao.web.errors import install_error_handlers

STATIC_DIR = Path(__file__).resolve().parent.parent / "console" / "static"


def create_app(container: Container | None = None) -> FastAPI:
    """Build the application around a container (a fresh one from settings by default)."""
    container = container or bootstrap()
    app = FastAPI(
        title="yibao 医保核心平台",
        version="0.1.0",
        description="统筹区医保经办核心平台 REST API。金额单位：分（整数）。错误返回稳定错误码和中文说明。",
    )
    app.state.container = container
    install_error_handlers(app)

    @app.exception_handler(LoginRequiredError)
    async def _login(request: Request, exc: LoginRequiredError) -> Response:
        return RedirectResponse(f"/console/login?next={exc.next_url}", status_code=303)

    # The national interface's endpoint takes most requests: its router is matched first (the router
    # tries the routes in order, and every one tried costs the request).
    for module in sorted(entry_modules("api"), key=lambda module: module.__name__ != "yibao.interface.api"):
        app.include_router(module.router)
    nav: list[NavItem] = []
    app.include_router(pages.router)
    for module in entry_modules("console"):
        app.include_router(module.router)
        nav.extend(getattr(module, "NAV", []))
    env.globals["NAV"] = sorted(nav, key=lambda item: (item.order, item.url))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse("/console", status_code=303)

    @app.get("/healthz", tags=["system"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
