"""Console pages of the national interface: credentials, the message log, reconciliation results."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yibao.console.deps import ConsoleUow, FormData
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.clock import local_text
from yibao.core.excel import XLSX_MEDIA_TYPE, write_xlsx
from yibao.core.paging import MAX_PAGE_SIZE
from yibao.core.security import Perm
from yibao.domain.errors import BusinessError
from yibao.interface import service
from yibao.web.deps import ContainerDep

router = APIRouter(prefix="/console/interface", include_in_schema=False)
NAV = [NavItem("/console/interface", "医保接口", "Interface", perm=Perm.INSTITUTION_READ, order=80)]


@router.get("")
def credentials_page(request: Request, uow: ConsoleUow, q: str | None = None, page: int = 1) -> Response:
    result = service.list_credentials(uow=uow, q=q, page=max(page, 1), size=20)
    return render(request, "interface/credentials.html", actor=uow.actor, page=result, q=q)


@router.get("/credentials/export.xlsx")
def export_credentials(uow: ConsoleUow, q: str | None = None) -> Response:
    rows = service.list_credentials(uow=uow, q=q, page=1, size=MAX_PAGE_SIZE).items
    data = write_xlsx(
        "接入密钥",
        ["接入密钥", "机构编号", "统筹区", "状态", "创建人", "创建时间", "停用时间"],
        [
            [
                c.access_key,
                c.fixmedins_code,
                c.admdvs,
                "有效" if c.active else "停用",
                c.created_by,
                local_text(c.created_at),
                local_text(c.revoked_at),
            ]
            for c in rows
        ],
    )
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": "attachment; filename=credentials.xlsx"},
    )


@router.get("/credentials/new")
def new_credential_page(request: Request, uow: ConsoleUow) -> Response:
    return render(request, "interface/credential_form.html", actor=uow.actor, form={})


@router.post("/credentials/new")
def create_credential(request: Request, uow: ConsoleUow, form: FormData, container: ContainerDep) -> Response:
    try:
        created = service.create_credential(
            uow=uow, fixmedins_code=form.get("fixmedins_code", ""), secret_key=container.settings.secret_key
        )
    except BusinessError as exc:
        return render(
            request,
            "interface/credential_form.html",
            actor=uow.actor,
            form=form,
            error=exc,
            status_code=error_status(exc),
        )
    return render(request, "interface/credential_created.html", actor=uow.actor, created=created)


@router.post("/credentials/{access_key}/revoke")
def revoke_credential(request: Request, access_key: str, uow: ConsoleUow) -> Response:
    try:
        service.revoke_credential(uow=uow, access_key=access_key)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))
    return redirect("/console/interface")


@router.get("/messages")
def messages_page(
    request: Request, uow: ConsoleUow, q: str | None = None, infno: str | None = None, page: int = 1
) -> Response:
    result = service.list_messages(uow=uow, q=q, infno=infno, page=max(page, 1), size=20)
    return render(request, "interface/messages.html", actor=uow.actor, page=result, q=q, infno=infno)


@router.get("/messages/{msgid}")
def message_page(request: Request, msgid: str, uow: ConsoleUow) -> Response:
    try:
        row = service.get_message(uow=uow, msgid=msgid)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    return render(request, "interface/message.html", actor=uow.actor, message=row)


@router.get("/reconciliations")
def reconciliations_page(request: Request, uow: ConsoleUow, q: str | None = None, page: int = 1) -> Response:
    result = service.list_reconciliations(uow=uow, fixmedins_code=q, page=max(page, 1), size=20)
    return render(request, "interface/reconciliations.html", actor=uow.actor, page=result, q=q)
