"""Queries of the supervision area, filtered to the actor's regions for lists."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from yibao.core.paging import Page, check_paging
from yibao.institutions.models import Doctor, Institution
from yibao.supervision.models import (
    Decision,
    Evidence,
    Inspection,
    PatientCheck,
    SupervisionConfig,
    WardRound,
    WhistleReport,
)

T = TypeVar("T")


class SupervisionRepository:
    """Persistence of inspections, rounds, checks, reports, decisions and configuration."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    def institution(self, code: str) -> Institution | None:
        return self.session.scalar(select(Institution).where(Institution.fixmedins_code == code))

    def doctor(self, code: str) -> Doctor | None:
        return self.session.scalar(select(Doctor).where(Doctor.dr_code == code))

    def next_number(self, model: Any, column: Any, prefix: str) -> str:
        """The next running number of a prefix (e.g. JC2026-000001)."""
        last = self.session.scalar(
            select(column).where(column.like(f"{prefix}%")).order_by(column.desc()).limit(1)
        )
        seq = int(str(last)[len(prefix) :]) + 1 if last else 1
        return f"{prefix}{seq:06d}"

    def configs(self, admdvs: str, kind: str) -> list[SupervisionConfig]:
        return list(
            self.session.scalars(
                select(SupervisionConfig)
                .where(SupervisionConfig.admdvs == admdvs, SupervisionConfig.kind == kind)
                .order_by(SupervisionConfig.begin)
            )
        )

    def all_configs(self, regions: frozenset[str] | None) -> list[SupervisionConfig]:
        stmt = select(SupervisionConfig).order_by(
            SupervisionConfig.admdvs, SupervisionConfig.kind, SupervisionConfig.begin
        )
        if regions is not None:
            stmt = stmt.where(SupervisionConfig.admdvs.in_(regions))
        return list(self.session.scalars(stmt))

    def inspection(self, number: str) -> Inspection | None:
        return self.session.scalar(select(Inspection).where(Inspection.inspection_no == number))

    def evidence(self, inspection_id: int, evidence_id: int) -> Evidence | None:
        return self.session.scalar(
            select(Evidence).where(Evidence.inspection_id == inspection_id, Evidence.id == evidence_id)
        )

    def evidence_list(self, inspection_id: int) -> list[Evidence]:
        return list(
            self.session.scalars(
                select(Evidence).where(Evidence.inspection_id == inspection_id).order_by(Evidence.id)
            )
        )

    def ward_round(self, number: str) -> WardRound | None:
        return self.session.scalar(select(WardRound).where(WardRound.round_no == number))

    def report(self, number: str) -> WhistleReport | None:
        return self.session.scalar(select(WhistleReport).where(WhistleReport.report_no == number))

    def decision(self, number: str) -> Decision | None:
        return self.session.scalar(select(Decision).where(Decision.decision_no == number))

    def absent_patients(self, code: str, begin: date, end: date) -> list[tuple[WardRound, Any]]:
        rounds = self.session.scalars(
            select(WardRound).where(
                WardRound.fixmedins_code == code, WardRound.day >= begin, WardRound.day <= end
            )
        )
        return [(r, p) for r in rounds for p in r.patients if not p.present]

    def page(
        self,
        model: type[T],
        regions: frozenset[str] | None,
        *,
        filters: dict[str, Any],
        order: Any,
        page: int,
        size: int,
    ) -> Page[T]:
        check_paging(page, size)
        stmt: Select[tuple[T]] = select(model)
        if regions is not None:
            column: Any = model.admdvs  # type: ignore[attr-defined]
            stmt = stmt.where(column.in_(regions))
        for name, value in filters.items():
            if value is not None and value != "":
                stmt = stmt.where(getattr(model, name) == value)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        items = list(self.session.scalars(stmt.order_by(*order).limit(size).offset((page - 1) * size)))
        return Page(items=items, total=int(total), page=page, size=size)

    def disclosed(self, regions: frozenset[str] | None, page: int, size: int) -> Page[Decision]:
        check_paging(page, size)
        stmt = select(Decision).where(Decision.disclose.is_(True), Decision.status == "issued")
        if regions is not None:
            stmt = stmt.where(Decision.admdvs.in_(regions))
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        items = list(
            self.session.scalars(
                stmt.order_by(Decision.disclosed_on.desc(), Decision.id.desc())
                .limit(size)
                .offset((page - 1) * size)
            )
        )
        return Page(items=items, total=int(total), page=page, size=size)

    def patient_checks(
        self, regions: frozenset[str] | None, code: str | None, page: int, size: int
    ) -> Page[PatientCheck]:
        return self.page(
            PatientCheck,
            regions,
            filters={"fixmedins_code": code},
            order=(PatientCheck.day.desc(), PatientCheck.id.desc()),
            page=page,
            size=size,
        )

    def decisions_from(self, source: str, source_ref: str) -> list[Decision]:
        """Decisions drafted from one source record (a monitoring case, an inspection …), oldest first."""
        return list(
            self.session.scalars(
                select(Decision)
                .where(Decision.source == source, Decision.source_ref == source_ref)
                .order_by(Decision.id)
            )
        )
