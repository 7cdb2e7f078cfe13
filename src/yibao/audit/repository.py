"""Queries on the audit trail."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yibao.audit.models import AuditEntry
from yibao.core.paging import Page, paginate


class AuditRepository:
    """Audit rows, newest first, filtered to the caller's regions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def search(
        self,
        *,
        regions: frozenset[str] | None,
        entity: str | None,
        entity_id: str | None,
        username: str | None,
        page: int,
        size: int,
    ) -> Page[AuditEntry]:
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
        if regions is not None:
            stmt = stmt.where(or_(AuditEntry.admdvs.in_(regions), AuditEntry.admdvs.is_(None)))
        if entity:
            stmt = stmt.where(AuditEntry.entity == entity)
        if entity_id:
            stmt = stmt.where(AuditEntry.entity_id == entity_id)
        if username:
            stmt = stmt.where(AuditEntry.username == username)
        return paginate(self.session, stmt, page=page, size=size)
