"""REST API for the audit trail (read only)."""

from __future__ import annotations

from fastapi import APIRouter

from yibao.audit import service
from yibao.audit.schemas import AuditOut
from yibao.core.schemas import ERROR_RESPONSES, PageOut
from yibao.web.deps import UowDep

router = APIRouter(prefix="/api/v1/audit", tags=["审计 audit"], responses=ERROR_RESPONSES)


@router.get("", response_model=PageOut[AuditOut])
def list_audit(
    uow: UowDep,
    entity: str | None = None,
    entity_id: str | None = None,
    username: str | None = None,
    page: int = 1,
    size: int = 50,
) -> object:
    return service.list_audit(
        uow=uow, entity=entity, entity_id=entity_id, username=username, page=page, size=size
    )
