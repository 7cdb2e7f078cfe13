"""Reading the audit trail (writing happens inside every unit of work)."""

from __future__ import annotations

from yibao.audit.models import AuditEntry
from yibao.audit.repository import AuditRepository
from yibao.core.paging import Page
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork


def list_audit(
    *,
    uow: UnitOfWork,
    entity: str | None = None,
    entity_id: str | None = None,
    username: str | None = None,
    page: int = 1,
    size: int = 50,
) -> Page[AuditEntry]:
    """Audit rows the actor may read: its regions' records and region-less ones."""
    uow.actor.require(Perm.AUDIT_READ)
    return AuditRepository(uow.session).search(
        regions=uow.actor.region_filter(),
        entity=entity,
        entity_id=entity_id,
        username=username,
        page=page,
        size=size,
    )
