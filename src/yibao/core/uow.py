"""Unit of work (工作单元): one transaction that commits as a whole with its audit rows, or not at all."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from types import TracebackType
from typing import Any, cast

from sqlalchemy import ARRAY, Table, bindparam, column, event, func, insert, select
from sqlalchemy.orm import Session

from yibao.core.db import utcnow
from yibao.core.prepared import fetch_all, fetch_each
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
        """Send pending writes (assigns ids, writes the audit rows so far) without committing."""
        write_pending_audit(self.session)
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
        """Append an audit row (who, when, which record, before/after) to this transaction.

        The rows are written when the transaction commits, all in one statement, and dropped with it
        when it rolls back.
        """
        pending_audit(self.session).append(
            self.audit_row(
                action=action,
                entity=entity,
                entity_id=entity_id,
                admdvs=admdvs,
                before=before,
                after=after,
                note=note,
            )
        )

    def audit_row(
        self,
        *,
        action: str,
        entity: str,
        entity_id: str | int,
        admdvs: str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """An audit row of this actor, at `at` (default now), in the audit table's shape (for a writer
        that stores it itself: in its own statement, or in a bulk insert)."""
        return {
            "at": at or utcnow(),
            "user_id": self.actor.user_id,
            "username": self.actor.username,
            "action": action,
            "entity": entity,
            "entity_id": str(entity_id),
            "admdvs": admdvs,
            "before": audit_json(before) if before else None,
            "after": audit_json(after) if after else None,
            "note": note,
        }


def audit_json(value: dict[str, Any]) -> str:
    """The before/after text of an audit row: sorted keys, Chinese kept as is."""
    return json.dumps(_jsonable(value), ensure_ascii=False, sort_keys=True)


_PENDING = "yibao.audit.pending"
AUDIT_COLUMNS = (
    "at",
    "user_id",
    "username",
    "action",
    "entity",
    "entity_id",
    "admdvs",
    "before",
    "after",
    "note",
)


def pending_audit(session: Session) -> list[dict[str, Any]]:
    """The audit rows of the session's transaction not written yet."""
    found: list[dict[str, Any]] | None = session.info.get(_PENDING)
    if found is None:
        found = session.info[_PENDING] = []
    return found


@cache
def _audit_insert(dialect: str) -> Any:
    """The insert of a transaction's audit rows: on PostgreSQL one prepared statement whatever their
    number (parallel arrays unnested into rows), elsewhere an executemany."""
    from yibao.audit.models import AuditEntry  # the audit table is part of every transaction

    if dialect != "postgresql":
        return insert(cast(Table, AuditEntry.__table__))
    return audit_rows_insert(prefix="")


def audit_rows_insert(*, prefix: str) -> Any:
    """``INSERT INTO audit_entry SELECT … FROM unnest(…)`` of audit rows bound as parallel arrays
    named `prefix` + column (PostgreSQL); usable as a CTE of a larger statement."""
    from yibao.audit.models import AuditEntry  # the audit table is part of every transaction

    table = cast(Table, AuditEntry.__table__)
    rows = (
        func.unnest(*(bindparam(prefix + name, type_=ARRAY(table.c[name].type)) for name in AUDIT_COLUMNS))
        .table_valued(*(column(name, table.c[name].type) for name in AUDIT_COLUMNS))
        .render_derived(name=f"{prefix}rows")
    )
    return insert(table).from_select(list(AUDIT_COLUMNS), select(*(rows.c[name] for name in AUDIT_COLUMNS)))


def audit_arrays(rows: list[dict[str, Any]], *, prefix: str) -> dict[str, list[Any]]:
    """The parameters of `audit_rows_insert` for these rows."""
    return {prefix + name: [row[name] for row in rows] for name in AUDIT_COLUMNS}


def commit_with(session: Session, statements: list[tuple[Any, dict[str, Any]]]) -> None:
    """Commit the session's transaction together with these last statements (run in order): on
    PostgreSQL the pending audit rows, the statements and the COMMIT go out in one round trip.
    A failing statement raises and nothing is committed (the caller rolls back)."""
    session.flush()
    rows = session.info.pop(_PENDING, None)
    conn = session.connection()
    if rows and conn.dialect.name == "postgresql":
        statements = [(_audit_insert("postgresql"), audit_arrays(rows, prefix="")), *statements]
    elif rows:
        session.info[_PENDING] = rows  # written by the commit below, as usual
    fetch_each(conn, statements, commit=True)
    session.commit()  # on PostgreSQL already committed: SQLAlchemy closes its transaction, sends nothing


@event.listens_for(Session, "before_commit")
def write_pending_audit(session: Session) -> None:
    """Write the transaction's pending audit rows (just before it commits, or when flushed)."""
    rows = session.info.pop(_PENDING, None)
    if not rows:
        return
    conn = session.connection()
    stmt = _audit_insert(conn.dialect.name)
    if conn.dialect.name == "postgresql":
        fetch_all(conn, stmt, audit_arrays(rows, prefix=""))
    else:
        conn.execute(stmt, rows)


@event.listens_for(Session, "after_soft_rollback")
def _drop_audit(session: Session, previous: Any) -> None:
    """A rolled-back transaction leaves no audit rows (a savepoint's rollback keeps the outer ones)."""
    if previous.parent is None and not previous.nested:
        session.info.pop(_PENDING, None)
