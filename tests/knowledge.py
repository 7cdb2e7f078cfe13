"""The published monitoring knowledge (batches 1–8 and the gray ICD codes) for tests whose point is
not the load itself.

The first call of a run loads it through `service.load_knowledge`; every later call writes the very
rows that load wrote (the version, its ~18,000 knowledge rows and the audit entry, with fresh times)
in three bulk statements, then drops the in-memory tables like the service does. That costs a
fraction of a second instead of several seconds of ORM inserts per test. The tests of the load
itself (versioning, reactivation, the CLI command) call the service directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.db import utcnow
from yibao.core.security import SYSTEM
from yibao.monitoring import lookup, service
from yibao.monitoring.models import KnowledgeRow, KnowledgeVersion

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
KNOWLEDGE = REFERENCE / "monitoring" / "knowledge"
ICD = REFERENCE / "icd"

_ACTION = "monitoring.knowledge.load"
_snapshot: dict[str, Any] = {}


def load_knowledge(container: Container) -> None:
    """Make the published knowledge the active version of this (knowledge-free) database."""
    with container.engine.connect() as conn:
        versions = conn.execute(select(func.count()).select_from(KnowledgeVersion)).scalar_one()
    if versions or not _snapshot:
        with container.uow(SYSTEM) as uow:
            service.load_knowledge(uow=uow, folder=KNOWLEDGE, icd_dir=ICD)
        if not versions:
            _take_snapshot(container)
        return
    now = utcnow()
    with container.engine.begin() as conn:
        version_id = conn.execute(
            insert(KnowledgeVersion).returning(KnowledgeVersion.id),
            [{**_snapshot["version"], "loaded_at": now}],
        ).scalar_one()
        conn.execute(insert(KnowledgeRow), [{**row, "version_id": version_id} for row in _snapshot["rows"]])
        conn.execute(insert(AuditEntry), [{**_snapshot["audit"], "at": now}])
    lookup.invalidate()


def _take_snapshot(container: Container) -> None:
    with container.engine.connect() as conn:
        version = conn.execute(select(KnowledgeVersion)).one()._asdict()
        rows = conn.execute(
            select(
                KnowledgeRow.tbl, KnowledgeRow.code, KnowledgeRow.a, KnowledgeRow.b, KnowledgeRow.n
            ).order_by(KnowledgeRow.id)
        ).all()
        audit = conn.execute(select(AuditEntry).where(AuditEntry.action == _ACTION)).one()._asdict()
    del version["id"], audit["id"]
    _snapshot["version"] = version
    _snapshot["rows"] = [row._asdict() for row in rows]
    _snapshot["audit"] = audit
