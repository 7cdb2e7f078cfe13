"""Queries of the assessment area, always filtered to the actor's regions where lists are concerned.

Reads other areas' models by business code (institution, catalog drugs, settlements, ward rounds,
decisions) to compute the actual values of agreement terms in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import TypeVar

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from yibao.assessment.models import (
    AgreementTerms,
    Assessment,
    AssessmentConfig,
    DoctorPointEntry,
    DoctorTraining,
    PurchaseReport,
)
from yibao.catalog.models import CatalogItem
from yibao.core.paging import Page, check_paging
from yibao.institutions.models import Doctor, DoctorLink, Institution
from yibao.settlement.models import Settlement, Visit
from yibao.supervision.models import Decision, WardRound

_CHINA = timezone(timedelta(hours=8))
T = TypeVar("T")


def _utc_bounds(begin: date, end: date) -> tuple[datetime, datetime]:
    """The instants of Beijing days begin..end (inclusive) as [from, to)."""
    start = datetime.combine(begin, time.min, tzinfo=_CHINA)
    stop = datetime.combine(end + timedelta(days=1), time.min, tzinfo=_CHINA)
    return start.astimezone(UTC), stop.astimezone(UTC)


class AssessmentRepository:
    """Persistence of configurations, terms, reports, assessments, points and trainings."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    # ---- institutions and doctors (read by code) ----

    def institution(self, code: str) -> Institution | None:
        return self.session.scalar(select(Institution).where(Institution.fixmedins_code == code))

    def institution_names(self, codes: Iterable[str]) -> dict[str, str]:
        wanted = set(codes)
        if not wanted:
            return {}
        rows = self.session.execute(
            select(Institution.fixmedins_code, Institution.name).where(Institution.fixmedins_code.in_(wanted))
        )
        return {c: n for c, n in rows}

    def doctors_with_points(self, regions: frozenset[str] | None, year: int, at_least: int) -> list[Doctor]:
        """Qualified doctors with at least `at_least` points deducted in `year`, most points first."""
        stmt = select(Doctor).where(
            Doctor.status == "active", Doctor.points_year == year, Doctor.points_deducted >= at_least
        )
        if regions is not None:
            stmt = stmt.where(Doctor.admdvs.in_(regions))
        return list(self.session.scalars(stmt.order_by(Doctor.points_deducted.desc(), Doctor.dr_code)))

    def doctor(self, dr_code: str) -> Doctor | None:
        return self.session.scalar(select(Doctor).where(Doctor.dr_code == dr_code))

    def doctor_institutions(self, dr_code: str, day: date) -> list[str]:
        """The institutions where the doctor practises on `day`."""
        rows = self.session.scalars(
            select(DoctorLink.fixmedins_code)
            .join(Doctor, Doctor.id == DoctorLink.doctor_id)
            .where(
                Doctor.dr_code == dr_code,
                DoctorLink.begin <= day,
                or_(DoctorLink.end.is_(None), DoctorLink.end >= day),
            )
        )
        return list(rows)

    # ---- configuration ----

    def configs(self, admdvs: str, kind: str) -> list[AssessmentConfig]:
        return list(
            self.session.scalars(
                select(AssessmentConfig)
                .where(AssessmentConfig.admdvs == admdvs, AssessmentConfig.kind == kind)
                .order_by(AssessmentConfig.begin)
            )
        )

    def all_configs(self, regions: frozenset[str] | None) -> list[AssessmentConfig]:
        stmt = select(AssessmentConfig).order_by(
            AssessmentConfig.admdvs, AssessmentConfig.kind, AssessmentConfig.begin
        )
        if regions is not None:
            stmt = stmt.where(AssessmentConfig.admdvs.in_(regions))
        return list(self.session.scalars(stmt))

    # ---- terms ----

    def terms(self, code: str, year: int) -> AgreementTerms | None:
        return self.session.scalar(
            select(AgreementTerms).where(AgreementTerms.fixmedins_code == code, AgreementTerms.year == year)
        )

    # ---- purchase reports ----

    def report(self, code: str, period: str) -> PurchaseReport | None:
        return self.session.scalar(
            select(PurchaseReport).where(
                PurchaseReport.fixmedins_code == code, PurchaseReport.period == period
            )
        )

    def reports(
        self, regions: frozenset[str] | None, code: str | None, page: int, size: int
    ) -> Page[PurchaseReport]:
        stmt = select(PurchaseReport)
        if regions is not None:
            stmt = stmt.where(PurchaseReport.admdvs.in_(regions))
        if code:
            stmt = stmt.where(PurchaseReport.fixmedins_code == code)
        return self._page(
            stmt.order_by(PurchaseReport.period.desc(), PurchaseReport.fixmedins_code), page, size
        )

    def reports_between(self, code: str, first: str, last: str) -> list[PurchaseReport]:
        return list(
            self.session.scalars(
                select(PurchaseReport).where(
                    PurchaseReport.fixmedins_code == code,
                    PurchaseReport.period >= first,
                    PurchaseReport.period <= last,
                )
            )
        )

    def drug_versions(self, codes: Iterable[str], admdvs: str) -> list[CatalogItem]:
        wanted = set(codes)
        if not wanted:
            return []
        return list(
            self.session.scalars(
                select(CatalogItem).where(
                    CatalogItem.kind == "drug",
                    CatalogItem.code.in_(wanted),
                    or_(CatalogItem.admdvs.is_(None), CatalogItem.admdvs == admdvs),
                )
            )
        )

    # ---- actual values from other areas ----

    def settlement_figures(self, code: str, begin: date, end: date) -> dict[str, int]:
        """Outpatient and inpatient counts and sums of settled bills of the period, stays' days."""
        start, stop = _utc_bounds(begin, end)
        inpatient = Visit.med_type.like("2%")
        row = self.session.execute(
            select(
                func.count(case((~inpatient, 1))),
                func.coalesce(func.sum(case((~inpatient, Settlement.medfee_sumamt))), 0),
                func.count(case((inpatient, 1))),
                func.coalesce(func.sum(case((inpatient, Settlement.medfee_sumamt))), 0),
                func.coalesce(func.sum(Settlement.medfee_sumamt), 0),
                func.coalesce(func.sum(Settlement.fund_pay_sumamt), 0),
            )
            .join(Visit, Visit.id == Settlement.visit_id)
            .where(
                Settlement.fixmedins_code == code,
                Settlement.kind == "settlement",
                Settlement.status == "settled",
                Settlement.mid_stay.is_(False),
                Settlement.settled_at >= start,
                Settlement.settled_at < stop,
            )
        ).one()
        stays = self.session.execute(
            select(Visit.begntime, Visit.endtime)
            .join(Settlement, Settlement.visit_id == Visit.id)
            .where(
                Settlement.fixmedins_code == code,
                Settlement.kind == "settlement",
                Settlement.status == "settled",
                Settlement.mid_stay.is_(False),
                Settlement.settled_at >= start,
                Settlement.settled_at < stop,
                inpatient,
                Visit.endtime.is_not(None),
            )
        ).all()
        days = sum(
            max(1, (e.astimezone(_CHINA).date() - b.astimezone(_CHINA).date()).days)
            for b, e in stays
            if e is not None
        )
        return {
            "visits": int(row[0]),
            "visit_fee": int(row[1]),
            "stays": int(row[2]),
            "stay_fee": int(row[3]),
            "total_fee": int(row[4]),
            "fund_pay": int(row[5]),
            "stay_days": days,
            "stays_with_days": len(stays),
        }

    def round_counts(self, code: str, begin: date, end: date) -> tuple[int, int]:
        """(persons counted, persons in bed) over the ward rounds of the period."""
        row = self.session.execute(
            select(
                func.coalesce(func.sum(WardRound.total), 0), func.coalesce(func.sum(WardRound.present), 0)
            ).where(WardRound.fixmedins_code == code, WardRound.day >= begin, WardRound.day <= end)
        ).one()
        return int(row[0]), int(row[1])

    def violations(self, code: str, begin: date, end: date) -> int:
        """Issued decisions against the institution in the period (查实违规次数)."""
        return int(
            self.session.scalar(
                select(func.count(Decision.id)).where(
                    Decision.fixmedins_code == code,
                    Decision.target_type == "institution",
                    Decision.status == "issued",
                    Decision.kind != "doctor_points",
                    Decision.issued_on >= begin,
                    Decision.issued_on <= end,
                )
            )
            or 0
        )

    def institution_points(self, code: str, begin: date, end: date) -> int:
        return int(
            self.session.scalar(
                select(func.coalesce(func.sum(DoctorPointEntry.points), 0)).where(
                    DoctorPointEntry.fixmedins_code == code,
                    DoctorPointEntry.day >= begin,
                    DoctorPointEntry.day <= end,
                )
            )
            or 0
        )

    # ---- assessments ----

    def assessment(self, code: str, period: str) -> Assessment | None:
        return self.session.scalar(
            select(Assessment).where(Assessment.fixmedins_code == code, Assessment.period == period)
        )

    def assessments(
        self,
        regions: frozenset[str] | None,
        *,
        code: str | None,
        period: str | None,
        grade: str | None,
        page: int,
        size: int,
        by_score: bool = False,
    ) -> Page[Assessment]:
        stmt = select(Assessment)
        if regions is not None:
            stmt = stmt.where(Assessment.admdvs.in_(regions))
        if code:
            stmt = stmt.where(Assessment.fixmedins_code == code)
        if period:
            stmt = stmt.where(Assessment.period == period)
        if grade:
            stmt = stmt.where(Assessment.grade == grade)
        order = (
            (Assessment.score.desc(), Assessment.fixmedins_code)
            if by_score
            else (Assessment.period.desc(), Assessment.fixmedins_code)
        )
        return self._page(stmt.order_by(*order), page, size)

    def latest_applied(self, code: str, day: date) -> Assessment | None:
        return self.session.scalar(
            select(Assessment)
            .where(
                Assessment.fixmedins_code == code,
                Assessment.applied_on.is_not(None),
                Assessment.applied_on <= day,
            )
            .order_by(Assessment.applied_on.desc(), Assessment.id.desc())
            .limit(1)
        )

    # ---- doctor points and trainings ----

    def point_entries(self, dr_code: str, year: int | None = None) -> list[DoctorPointEntry]:
        stmt = select(DoctorPointEntry).where(DoctorPointEntry.dr_code == dr_code)
        if year is not None:
            stmt = stmt.where(DoctorPointEntry.year == year)
        return list(self.session.scalars(stmt.order_by(DoctorPointEntry.day, DoctorPointEntry.id)))

    def points_page(
        self, regions: frozenset[str] | None, *, dr_code: str | None, year: int | None, page: int, size: int
    ) -> Page[DoctorPointEntry]:
        stmt = select(DoctorPointEntry)
        if regions is not None:
            stmt = stmt.where(DoctorPointEntry.admdvs.in_(regions))
        if dr_code:
            stmt = stmt.where(DoctorPointEntry.dr_code == dr_code)
        if year:
            stmt = stmt.where(DoctorPointEntry.year == year)
        return self._page(stmt.order_by(DoctorPointEntry.day.desc(), DoctorPointEntry.id.desc()), page, size)

    def suspensions_since(self, dr_code: str, since: date) -> int:
        return int(
            self.session.scalar(
                select(func.count(DoctorPointEntry.id)).where(
                    DoctorPointEntry.dr_code == dr_code,
                    DoctorPointEntry.outcome == "suspend",
                    DoctorPointEntry.day >= since,
                )
            )
            or 0
        )

    def stale_doctors(self, admdvs: str, year: int) -> list[Doctor]:
        return list(
            self.session.scalars(select(Doctor).where(Doctor.admdvs == admdvs, Doctor.points_year < year))
        )

    def trainings(self, dr_code: str) -> list[DoctorTraining]:
        return list(
            self.session.scalars(
                select(DoctorTraining)
                .where(DoctorTraining.dr_code == dr_code)
                .order_by(DoctorTraining.day.desc())
            )
        )

    def _page(self, stmt: Select[tuple[T]], page: int, size: int) -> Page[T]:
        check_paging(page, size)
        total = self.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        items = list(self.session.scalars(stmt.limit(size).offset((page - 1) * size)))
        return Page(items=items, total=int(total), page=page, size=size)
