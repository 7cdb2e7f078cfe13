"""Console page listing the audit trail."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yibao.audit import service
from yibao.console.deps import ConsoleUow
from yibao.console.nav import NavItem
from yibao.console.templating import render
from yibao.core.security import Perm
from yibao.domain.errors import BusinessError

router = APIRouter(prefix="/console/audit", include_in_schema=False)
NAV = [NavItem("/console/audit", "审计日志", "Audit", Perm.AUDIT_READ, order=90)]


@router.get("")
def list_page(
    request: Request,
    uow: ConsoleUow,
    entity: str | None = None,
    entity_id: str | None = None,
    username: str | None = None,
    page: int = 1,
) -> Response:
    try:
        result = service.list_audit(
            uow=uow,
            entity=entity or None,
            entity_id=entity_id or None,
            username=username or None,
            page=max(page, 1),
            size=50,
        )
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=403)
    return render(
        request,
        "audit/list.html",
        actor=uow.actor,
        page=result,
        filters={"entity": entity or "", "entity_id": entity_id or "", "username": username or ""},
    )
