"""The policy in force for the settlement hot path: an in-memory index per database engine.

The index maps (admdvs, insutype) to the versions sorted by begin date. It costs no query on the
hot path: a load in this process (`policy.service.load_policy`) calls `invalidate()`, which bumps a
generation counter, and the next lookup rebuilds the index. A load made by another process (the CLI
next to a running server) is seen within `TABLES.recheck_seconds` (see `yibao.core.cache`): at most
that often one cheap statement (`max(id), max(loaded_at)` of the versions) tells whether the stored
versions changed.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.core.cache import EngineCache
from yibao.domain.policy import Policy
from yibao.policy.document import load_document
from yibao.policy.models import PolicyVersion


@dataclass
class PolicyIndex:
    """Every policy version of a database: (admdvs, insutype) → versions by begin date."""

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


def _generation(session: Session) -> tuple[int, datetime | None]:
    """The newest version id and load time: a load or a reload changes one of them."""
    row = session.execute(select(func.max(PolicyVersion.id), func.max(PolicyVersion.loaded_at))).one()
    return int(row[0] or 0), row[1]


def _build(session: Session) -> PolicyIndex:
    fresh = PolicyIndex()
    rows = session.execute(
        select(PolicyVersion.admdvs, PolicyVersion.insutype, PolicyVersion.document).order_by(
            PolicyVersion.admdvs, PolicyVersion.insutype, PolicyVersion.begin
        )
    )
    for admdvs, insutype, document in rows:
        policy = load_document(document)
        fresh.begins.setdefault((admdvs, insutype), []).append(policy.begin)
        fresh.policies.setdefault((admdvs, insutype), []).append(policy)
    return fresh


TABLES = EngineCache(generation=_generation, build=_build, recheck_seconds=1.0)


def policy_index(session: Session) -> PolicyIndex:
    """The index of every version, held per database engine and rebuilt after a load."""
    return TABLES.get(session)


def policy_in_force(session: Session, admdvs: str, insutype: str, day: date) -> Policy | None:
    """The benefit policy of a region and scheme in force on `day`, or None."""
    return policy_index(session).in_force(admdvs, insutype, day)


def invalidate() -> None:
    """Forget every cached index (called after a load is committed, and by tests)."""
    TABLES.invalidate()
