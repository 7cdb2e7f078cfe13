"""Queries of the monitoring area (rule settings, knowledge versions, runs, cases), filtered to regions."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from yibao.core.paging import Page, paginate
from yibao.monitoring.models import (
    CaseFinding,
    CaseNote,
    CaseRow,
    KnowledgeRow,
    KnowledgeVersion,
    RuleSettingRow,
    RunRow,
)


def _regions(stmt: Select, column: object, regions: frozenset[str] | None) -> Select:  # type: ignore[type-arg]
    if regions is None:
        return stmt
    return stmt.where(or_(column.is_(None), column.in_(sorted(regions))))  # type: ignore[attr-defined]


class MonitoringRepository:
    """Rule settings, knowledge, runs and cases."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- settings and knowledge
    def settings(self, admdvs: str | None = None, rule_id: str | None = None) -> list[RuleSettingRow]:
        stmt = select(RuleSettingRow).order_by(
            RuleSettingRow.rule_id, RuleSettingRow.begin, RuleSettingRow.id
        )
        if admdvs is not None:
            stmt = stmt.where(RuleSettingRow.admdvs == admdvs)
        if rule_id is not None:
            stmt = stmt.where(RuleSettingRow.rule_id == rule_id)
        return list(self.session.scalars(stmt))

    def generation(self) -> tuple[int, int]:
        """Changes to watch: the newest setting id and the active knowledge version id."""
        setting = self.session.scalar(select(RuleSettingRow.id).order_by(RuleSettingRow.id.desc()).limit(1))
        version = self.session.scalar(select(KnowledgeVersion.id).where(KnowledgeVersion.active.is_(True)))
        return int(setting or 0), int(version or 0)

    def active_knowledge(self) -> KnowledgeVersion | None:
        return self.session.scalar(select(KnowledgeVersion).where(KnowledgeVersion.active.is_(True)))

    def knowledge_versions(self) -> list[KnowledgeVersion]:
        return list(self.session.scalars(select(KnowledgeVersion).order_by(KnowledgeVersion.id.desc())))

    def knowledge_version(self, version: str) -> KnowledgeVersion | None:
        return self.session.scalar(select(KnowledgeVersion).where(KnowledgeVersion.version == version))

    def knowledge_rows(
        self, version_id: int
    ) -> Iterable[tuple[str, str, str | None, str | None, int | None]]:
        return self.session.execute(
            select(KnowledgeRow.tbl, KnowledgeRow.code, KnowledgeRow.a, KnowledgeRow.b, KnowledgeRow.n).where(
                KnowledgeRow.version_id == version_id
            )
        ).tuples()

    # ---- runs
    def runs(self, regions: frozenset[str] | None, *, page: int, size: int) -> Page[RunRow]:
        stmt = _regions(select(RunRow).order_by(RunRow.id.desc()), RunRow.admdvs, regions)
        return paginate(self.session, stmt, page=page, size=size)

    def run(self, run_no: str) -> RunRow | None:
        return self.session.scalar(select(RunRow).where(RunRow.run_no == run_no))

    def run_by_id(self, run_id: int) -> RunRow | None:
        return self.session.get(RunRow, run_id)

    # ---- cases
    def cases(
        self,
        regions: frozenset[str] | None,
        *,
        status: str | None,
        fixmedins_code: str | None,
        run_id: int | None,
        page: int,
        size: int,
    ) -> Page[CaseRow]:
        stmt = _regions(
            select(CaseRow).order_by(CaseRow.vola_fen.desc(), CaseRow.id), CaseRow.admdvs, regions
        )
        if status:
            stmt = stmt.where(CaseRow.status == status)
        if fixmedins_code:
            stmt = stmt.where(CaseRow.fixmedins_code == fixmedins_code)
        if run_id is not None:
            stmt = stmt.where(CaseRow.run_id == run_id)
        return paginate(self.session, stmt, page=page, size=size)

    def case(self, case_no: str, *, lock: bool = False) -> CaseRow | None:
        stmt = select(CaseRow).where(CaseRow.case_no == case_no)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalar(stmt)

    def cased_keys(self, run_id: int) -> set[tuple[str, str]]:
        rows = self.session.execute(
            select(CaseRow.fixmedins_code, CaseRow.period).where(CaseRow.run_id == run_id)
        )
        return {(code, period) for code, period in rows}

    def case_findings(self, case_id: int) -> list[CaseFinding]:
        stmt = select(CaseFinding).where(CaseFinding.case_id == case_id).order_by(CaseFinding.vola_fen.desc())
        return list(self.session.scalars(stmt))

    def case_notes(self, case_id: int) -> list[CaseNote]:
        return list(
            self.session.scalars(select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.id))
        )

    def count_cases(self) -> int:
        return len(list(self.session.scalars(select(CaseRow.id))))
