"""API payloads for the audit trail."""

from __future__ import annotations

from datetime import datetime

from yibao.core.schemas import ApiModel


class AuditOut(ApiModel):
    id: int
    at: datetime
    username: str
    action: str
    entity: str
    entity_id: str
    admdvs: str | None
    before: str | None
    after: str | None
    note: str | None
