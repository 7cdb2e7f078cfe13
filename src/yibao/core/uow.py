"""Unit of work (工作单元): one transaction that commits as a whole with its audit rows, or not at all."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session

from yibao.core.db import utcnow
from yibao.core.security import SYSTEM, Actor


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


class UnitOfWork:
    """A session and an actor; `commit()` makes the work durable, leaving the block rolls back the rest."""

    def __init__(self, session_factory: Callable[[], Session], actor: Actor = SYSTEM) -> None:
        self._session_factory = session_factory
        self.actor = actor
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and detaches loaded objects without
        # expiring them, so a service can return what it read or wrote.
        self.session.close()
        self._session = None

    def commit(self) -> None:
        """Make everything done so far durable, audit rows included."""
        self.session.commit()

    def rollback(self) -> None:
        """Drop everything not committed."""
        self.session.rollback()

    def flush(self) -> None:
        """Send pending writes (assigns ids) without committing."""
        self.session.flush()

    def audit(
        self,
        *,
        action: str,
        entity: str,
        entity_id: str | int,
        admdvs: str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        note: str | None = None,
    ) -> None:
        """Append an audit row (who, when, which record, before/after) to this transaction."""
        from yibao.audit.models import AuditEntry  # the audit table is part of every transaction

        self.session.add(
            AuditEntry(
                at=utcnow(),
                user_id=self.actor.user_id,
                username=self.actor.username,
                action=action,
                entity=entity,
                entity_id=str(entity_id),
                admdvs=admdvs,
                before=json.dumps(_jsonable(before), ensure_ascii=False, sort_keys=True) if before else None,
                after=json.dumps(_jsonable(after), ensure_ascii=False, sort_keys=True) if after else None,
                note=note,
            )
        )
