"""The append-only audit table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.core.db import Base, IdMixin, UtcDateTime


class AuditEntry(IdMixin, Base):
    """One change: who, when, which record, the state before and after (JSON)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"), Index("ix_audit_at", "at"))

    at: Mapped[datetime] = mapped_column(UtcDateTime())
    user_id: Mapped[int | None]
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    admdvs: Mapped[str | None] = mapped_column(String(6), index=True)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
