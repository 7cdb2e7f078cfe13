"""The policy in force for the settlement hot path: an in-memory index per database engine.

The index maps (admdvs, insutype) to the versions sorted by begin date. It costs no query on the
hot path: a load in this process (`policy.service.load_policy`) calls `invalidate()`, which bumps a
generation counter, and the next lookup rebuilds the index. A load made by another process (the CLI
next to a running server) is seen within `RECHECK_SECONDS`: at most that often one cheap statement
(`max(id), max(loaded_at)` of the versions) tells whether the stored versions changed.
"""

from __future__ import annotations

import bisect
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from yibao.domain.policy import Policy
from yibao.policy.document import load_document
from yibao.policy.models import PolicyVersion

RECHECK_SECONDS = 1.0  # how stale a version loaded by another process may be seen


@dataclass
class PolicyIndex:
    """Every policy version of a database: (admdvs, insutype) → versions by begin date."""

    generation: tuple[int, datetime | None] = (-1, None)  # the stored versions it was built from
    local: int = -1  # the in-process generation (`invalidate()` count) it was built at
    checked: float = 0.0  # monotonic time the stored versions were last compared
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
_cache: weakref.WeakKeyDictionary[Engine, PolicyIndex] = weakref.WeakKeyDictionary()
_local = 0  # bumped by every `invalidate()`


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _generation(session: Session) -> tuple[int, datetime | None]:
    row = session.execute(select(func.max(PolicyVersion.id), func.max(PolicyVersion.loaded_at))).one()
    return int(row[0] or 0), row[1]


def policy_index(session: Session) -> PolicyIndex:
    """The index of every version, cached per database engine and rebuilt after a load."""
    engine = _engine(session)
    local = _local
    now = time.monotonic()
    cached = _cache.get(engine)
    if cached is not None and cached.local == local and now - cached.checked < RECHECK_SECONDS:
        return cached
    generation = _generation(session)
    if cached is not None and cached.local == local and cached.generation == generation:
        cached.checked = now
        return cached
    with _lock:
        fresh = PolicyIndex(generation=generation, local=local, checked=now)
        rows = session.execute(
            select(PolicyVersion.admdvs, PolicyVersion.insutype, PolicyVersion.document).order_by(
                PolicyVersion.admdvs, PolicyVersion.insutype, PolicyVersion.begin
            )
        )
        for admdvs, insutype, document in rows:
            policy = load_document(document)
            fresh.begins.setdefault((admdvs, insutype), []).append(policy.begin)
            fresh.policies.setdefault((admdvs, insutype), []).append(policy)
        _cache[engine] = fresh
        return fresh


def policy_in_force(session: Session, admdvs: str, insutype: str, day: date) -> Policy | None:
    """The benefit policy of a region and scheme in force on `day`, or None."""
    return policy_index(session).in_force(admdvs, insutype, day)


def invalidate() -> None:
    """Forget every cached index (called after a load is committed, and by tests)."""
    global _local  # noqa: PLW0603 - the one generation counter of this process
    with _lock:
        _local += 1
        _cache.clear()
