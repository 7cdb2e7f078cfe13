"""The policy in force for the settlement hot path: an in-memory index per database.

The index maps (admdvs, insutype) to the versions sorted by begin date; it is rebuilt when a version
is loaded (the newest id or load time changes) or after `invalidate()`.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.domain.policy import Policy
from yibao.policy.document import load_document
from yibao.policy.models import PolicyVersion


@dataclass
class PolicyIndex:
    """Every policy version of a database: (admdvs, insutype) → versions by begin date."""

    generation: tuple[int, datetime | None] = (-1, None)
    begins: dict[tuple[str, str], list[date]] = field(default_factory=dict)
    policies: dict[tuple[str, str], list[Policy]] = field(default_factory=dict)

    def in_force(self, admdvs: str, insutype: str, day: date) -> Policy | None:
        """The version whose period contains `day` (periods never overlap)."""
        begins = self.begins.get((admdvs, insutype))
        if not begins:
            return None
        index = bisect.bisect_right(begins, day) - 1
        if index < 0:
            return None
        policy = self.policies[(admdvs, insutype)][index]
        return policy if policy.end is None or day <= policy.end else None


_lock = threading.Lock()
_cache: dict[str, PolicyIndex] = {}


def _database(session: Session) -> str:
    bind = session.get_bind()
    return str(bind.engine.url if hasattr(bind, "engine") else bind)


def _generation(session: Session) -> tuple[int, datetime | None]:
    row = session.execute(select(func.max(PolicyVersion.id), func.max(PolicyVersion.loaded_at))).one()
    return int(row[0] or 0), row[1]


def policy_index(session: Session) -> PolicyIndex:
    """The index of every version, cached per database and rebuilt after a load."""
    key = _database(session)
    generation = _generation(session)
    cached = _cache.get(key)
    if cached is not None and cached.generation == generation:
        return cached
    with _lock:
        fresh = PolicyIndex(generation=generation)
        rows = session.execute(
            select(PolicyVersion.admdvs, PolicyVersion.insutype, PolicyVersion.document).order_by(
                PolicyVersion.admdvs, PolicyVersion.insutype, PolicyVersion.begin
            )
        )
        for admdvs, insutype, document in rows:
            policy = load_document(document)
            fresh.begins.setdefault((admdvs, insutype), []).append(policy.begin)
            fresh.policies.setdefault((admdvs, insutype), []).append(policy)
        _cache[key] = fresh
        return fresh


def policy_in_force(session: Session, admdvs: str, insutype: str, day: date) -> Policy | None:
    """The benefit policy of a region and scheme in force on `day`, or None."""
    return policy_index(session).in_force(admdvs, insutype, day)


def invalidate() -> None:
    """Forget every cached index (after a load or in tests)."""
    with _lock:
        _cache.clear()
