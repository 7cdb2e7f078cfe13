"""The in-visit hot path's tables: the knowledge index and the region settings, held in memory per
database engine and rebuilt when a setting or the active knowledge version changes.

No query on the hot path: a change made in this process (`monitoring.service`) calls `invalidate()`;
a change made by another process is seen within `TABLES.recheck_seconds` (one small query at most that
often; see `yibao.core.cache`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.core.cache import EngineCache
from yibao.domain.monitoring import Knowledge, KnowledgeIndex, RuleSetting, index_knowledge
from yibao.monitoring.models import KnowledgeRow, KnowledgeVersion, RuleSettingRow


@dataclass(frozen=True)
class Loaded:
    """What the in-visit check reads: the knowledge (and its index), its version, every region setting."""

    knowledge: Knowledge
    index: KnowledgeIndex
    version: str | None
    settings: tuple[RuleSetting, ...]


def knowledge_from_rows(rows: object) -> Knowledge:
    """Rebuild the knowledge tables from stored rows (tbl, code, a, b, n)."""
    tables: dict[str, list[object]] = {}
    for tbl, code, a, b, n in rows:  # type: ignore[attr-defined]
        row: object
        if tbl == "sex":
            row = (code, a, b)
        elif tbl in ("child", "insutype", "surgery_group"):
            row = (code, a)
        elif tbl in ("level", "frequency"):
            row = (code, n)
        elif tbl == "course":
            row = (code, a, n)
        elif tbl == "duplicate":
            row = (code, a, b)
        elif tbl == "cycle":
            row = (code, int(a or 1), n)
        else:  # over_age, inpatient, gray_diagnoses
            row = code
        tables.setdefault(tbl, []).append(row)
    return Knowledge(**{name: tuple(sorted(rows_, key=str)) for name, rows_ in tables.items()})  # type: ignore[arg-type]


def _generation(session: Session) -> tuple[int, int]:
    """Changes to watch: the newest setting id and the active knowledge version id."""
    setting = session.scalar(select(RuleSettingRow.id).order_by(RuleSettingRow.id.desc()).limit(1))
    version = session.scalar(select(KnowledgeVersion.id).where(KnowledgeVersion.active.is_(True)))
    return int(setting or 0), int(version or 0)


def settings_of(session: Session) -> tuple[RuleSetting, ...]:
    """Every region's rule settings."""
    return tuple(
        RuleSetting(
            rule_id=s.rule_id,
            admdvs=s.admdvs,
            enabled=s.enabled,
            params=json.loads(s.params),
            begin=s.begin,
            end=s.end,
        )
        for s in session.scalars(select(RuleSettingRow).order_by(RuleSettingRow.id))
    )


def _build(session: Session) -> Loaded:
    active = session.scalar(select(KnowledgeVersion).where(KnowledgeVersion.active.is_(True)))
    knowledge = Knowledge()
    if active is not None:
        rows = session.execute(
            select(KnowledgeRow.tbl, KnowledgeRow.code, KnowledgeRow.a, KnowledgeRow.b, KnowledgeRow.n).where(
                KnowledgeRow.version_id == active.id
            )
        )
        knowledge = knowledge_from_rows(rows)
    return Loaded(
        knowledge=knowledge,
        index=index_knowledge(knowledge),
        version=active.version if active is not None else None,
        settings=settings_of(session),
    )


TABLES = EngineCache(generation=_generation, build=_build, recheck_seconds=1.0)


def loaded(session: Session) -> Loaded:
    """The in-memory tables of this database, rebuilt after a change."""
    return TABLES.get(session)


def invalidate() -> None:
    """Forget every cached table (called after a setting or a knowledge version is committed)."""
    TABLES.invalidate()
