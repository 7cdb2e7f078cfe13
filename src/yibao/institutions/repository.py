"""Queries on designated institutions and insurance doctors (always filtered to the caller's regions)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from yibao.assessment.models import AgreementTerms, Assessment
from yibao.core.paging import Page, paginate
from yibao.institutions.models import (
    AgreementEvent,
    AgreementRecord,
    Application,
    ApplicationDocument,
    ApplicationStep,
    Ban,
    Certificate,
    ChecklistConfig,
    Department,
    Doctor,
    DoctorLink,
    Institution,
    Objection,
)
from yibao.regions.models import Region
from yibao.supervision.models import Decision

_CHUNK = 500


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class InstitutionRepository:
    """Designated institutions and their departments."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_code(self, fixmedins_code: str) -> Institution | None:
        return self.session.scalar(select(Institution).where(Institution.fixmedins_code == fixmedins_code))

    def agreements_ending(
        self, regions: frozenset[str] | None, first: date, last: date, statuses: Iterable[str]
    ) -> list[Institution]:
        """Active institutions whose agreement ends between `first` and `last`, soonest first."""
        stmt = select(Institution).where(
            Institution.active.is_(True),
            Institution.agreement_status.in_(list(statuses)),
            Institution.agreement_end >= first,
            Institution.agreement_end <= last,
        )
        if regions is not None:
            stmt = stmt.where(Institution.admdvs.in_(regions))
        return list(
            self.session.scalars(stmt.order_by(Institution.agreement_end, Institution.fixmedins_code))
        )

    def by_codes(self, codes: Iterable[str]) -> dict[str, Institution]:
        """The stored institutions among `codes`, by code (few queries, for imports and views)."""
        found: dict[str, Institution] = {}
        for chunk in _chunks(codes):
            for inst in self.session.scalars(
                select(Institution).where(Institution.fixmedins_code.in_(chunk))
            ):
                found[inst.fixmedins_code] = inst
        return found

    def search(
        self,
        *,
        regions: frozenset[str] | None,
        q: str | None = None,
        admdvs: str | None = None,
        fixmedins_type: str | None = None,
        agreement_status: str | None = None,
        page: int,
        size: int,
    ) -> Page[Institution]:
        stmt = select(Institution).order_by(Institution.fixmedins_code)
        if regions is not None:
            stmt = stmt.where(Institution.admdvs.in_(regions))
        if q:
            stmt = stmt.where(
                or_(
                    Institution.fixmedins_code.contains(q),
                    Institution.name.contains(q),
                    Institution.address.contains(q),
                )
            )
        if admdvs:
            stmt = stmt.where(Institution.admdvs == admdvs)
        if fixmedins_type:
            stmt = stmt.where(Institution.fixmedins_type == fixmedins_type)
        if agreement_status:
            stmt = stmt.where(Institution.agreement_status == agreement_status)
        return paginate(self.session, stmt, page=page, size=size)

    def department(self, institution: Institution, dept_code: str) -> Department | None:
        return next((d for d in institution.departments if d.dept_code == dept_code), None)

    def existing_regions(self, codes: Iterable[str]) -> set[str]:
        """Which of `codes` are registered pooling regions."""
        found: set[str] = set()
        for chunk in _chunks(codes):
            found.update(self.session.scalars(select(Region.admdvs).where(Region.admdvs.in_(chunk))))
        return found

    def add(self, institution: Institution) -> None:
        self.session.add(institution)


class DoctorRepository:
    """Insurance doctors, pharmacists and nurses with their practice links."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_code(self, dr_code: str) -> Doctor | None:
        return self.session.scalar(select(Doctor).where(Doctor.dr_code == dr_code))

    def existing_codes(self, codes: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(codes):
            found.update(self.session.scalars(select(Doctor.dr_code).where(Doctor.dr_code.in_(chunk))))
        return found

    def existing_certnos(self, certnos: Iterable[str]) -> dict[str, str]:
        """certno → dr_code of stored doctors among `certnos`."""
        found: dict[str, str] = {}
        for chunk in _chunks(certnos):
            for certno, code in self.session.execute(
                select(Doctor.certno, Doctor.dr_code).where(Doctor.certno.in_(chunk))
            ):
                found[certno] = code
        return found

    def search(
        self,
        *,
        regions: frozenset[str] | None,
        q: str | None = None,
        certno: str | None = None,
        fixmedins_code: str | None = None,
        status: str | None = None,
        kind: str | None = None,
        page: int,
        size: int,
    ) -> Page[Doctor]:
        stmt = select(Doctor).order_by(Doctor.dr_code)
        if regions is not None:
            stmt = stmt.where(Doctor.admdvs.in_(regions))
        if q:
            conditions = [Doctor.dr_code.contains(q), Doctor.name.contains(q)]
            if certno:
                conditions.append(Doctor.certno == certno)
            stmt = stmt.where(or_(*conditions))
        if fixmedins_code:
            stmt = stmt.where(
                Doctor.id.in_(select(DoctorLink.doctor_id).where(DoctorLink.fixmedins_code == fixmedins_code))
            )
        if status:
            stmt = stmt.where(Doctor.status == status)
        if kind:
            stmt = stmt.where(Doctor.kind == kind)
        return paginate(self.session, stmt, page=page, size=size)

    def add(self, doctor: Doctor) -> None:
        self.session.add(doctor)


class AdmissionRepository:
    """Applications, their documents, steps and objections; agreements, certificates, history, bans.

    Reads the assessment's applied consequences and supervision's issued terminations (by business
    code) to find the re-entry bans they imply; never writes them.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    def next_number(self, column: Any, prefix: str) -> str:
        """The next running number of a prefix (SQ2026-000001)."""
        last = self.session.scalar(
            select(column).where(column.like(f"{prefix}%")).order_by(column.desc()).limit(1)
        )
        seq = int(str(last)[len(prefix) :]) + 1 if last else 1
        return f"{prefix}{seq:06d}"

    def application(self, number: str) -> Application | None:
        return self.session.scalar(select(Application).where(Application.application_no == number))

    def applications_of(self, fixmedins_code: str) -> list[Application]:
        return list(
            self.session.scalars(
                select(Application)
                .where(Application.fixmedins_code == fixmedins_code)
                .order_by(Application.id.desc())
            )
        )

    def search_applications(
        self,
        *,
        regions: frozenset[str] | None,
        status: str | None,
        fixmedins_code: str | None,
        page: int,
        size: int,
    ) -> Page[Application]:
        stmt = select(Application).order_by(Application.id.desc())
        if regions is not None:
            stmt = stmt.where(Application.admdvs.in_(regions))
        if status:
            stmt = stmt.where(Application.status == status)
        if fixmedins_code:
            stmt = stmt.where(Application.fixmedins_code == fixmedins_code)
        return paginate(self.session, stmt, page=page, size=size)

    def documents(self, application_id: int) -> list[ApplicationDocument]:
        return list(
            self.session.scalars(
                select(ApplicationDocument)
                .where(ApplicationDocument.application_id == application_id)
                .order_by(ApplicationDocument.id)
            )
        )

    def document(self, application_id: int, document_id: int) -> ApplicationDocument | None:
        return self.session.scalar(
            select(ApplicationDocument).where(
                ApplicationDocument.application_id == application_id, ApplicationDocument.id == document_id
            )
        )

    def document_kinds(self, application_id: int) -> set[str]:
        return set(
            self.session.scalars(
                select(ApplicationDocument.kind).where(ApplicationDocument.application_id == application_id)
            )
        )

    def steps(self, application_id: int) -> list[ApplicationStep]:
        return list(
            self.session.scalars(
                select(ApplicationStep)
                .where(ApplicationStep.application_id == application_id)
                .order_by(ApplicationStep.id)
            )
        )

    def objections(self, application_id: int) -> list[Objection]:
        return list(
            self.session.scalars(
                select(Objection).where(Objection.application_id == application_id).order_by(Objection.id)
            )
        )

    def objection(self, application_id: int, objection_id: int) -> Objection | None:
        return self.session.scalar(
            select(Objection).where(Objection.application_id == application_id, Objection.id == objection_id)
        )

    def agreements(self, fixmedins_code: str) -> list[AgreementRecord]:
        return list(
            self.session.scalars(
                select(AgreementRecord)
                .where(AgreementRecord.fixmedins_code == fixmedins_code)
                .order_by(AgreementRecord.begin.desc(), AgreementRecord.id.desc())
            )
        )

    def events(self, fixmedins_code: str) -> list[AgreementEvent]:
        return list(
            self.session.scalars(
                select(AgreementEvent)
                .where(AgreementEvent.fixmedins_code == fixmedins_code)
                .order_by(AgreementEvent.id)
            )
        )

    def certificates(self, fixmedins_code: str) -> list[Certificate]:
        return list(
            self.session.scalars(
                select(Certificate)
                .where(Certificate.fixmedins_code == fixmedins_code)
                .order_by(Certificate.id.desc())
            )
        )

    def plaque_taken(self, plaque_no: str) -> Certificate | None:
        return self.session.scalar(select(Certificate).where(Certificate.plaque_no == plaque_no))

    def next_plaque_seq(self, admdvs: str) -> int:
        last = self.session.scalar(
            select(func.max(Certificate.plaque_seq)).where(Certificate.admdvs == admdvs)
        )
        return int(last or 0) + 1

    def next_certificate_seq(self, admdvs: str, year: int) -> int:
        prefix = f"ZG{admdvs}{year}"
        last = self.session.scalar(
            select(Certificate.certificate_no)
            .where(Certificate.certificate_no.like(f"{prefix}%"))
            .order_by(Certificate.certificate_no.desc())
            .limit(1)
        )
        return int(str(last)[len(prefix) :]) + 1 if last else 1

    def bans(self, fixmedins_code: str) -> list[Ban]:
        return list(
            self.session.scalars(
                select(Ban).where(Ban.fixmedins_code == fixmedins_code).order_by(Ban.begin, Ban.id)
            )
        )

    def applied_assessments(self, fixmedins_code: str) -> list[Assessment]:
        """Assessments whose consequence has been carried out (they may bar re-entry)."""
        return list(
            self.session.scalars(
                select(Assessment)
                .where(Assessment.fixmedins_code == fixmedins_code, Assessment.applied_on.is_not(None))
                .order_by(Assessment.applied_on)
            )
        )

    def issued_terminations(self, fixmedins_code: str) -> list[Decision]:
        """Issued supervision decisions terminating the institution's agreement."""
        return list(
            self.session.scalars(
                select(Decision)
                .where(
                    Decision.fixmedins_code == fixmedins_code,
                    Decision.target_type == "institution",
                    Decision.kind == "termination",
                    Decision.status == "issued",
                )
                .order_by(Decision.effective_on)
            )
        )

    def decision(self, decision_no: str) -> Decision | None:
        return self.session.scalar(select(Decision).where(Decision.decision_no == decision_no))

    def has_terms(self, fixmedins_code: str, year: int) -> bool:
        return (
            self.session.scalar(
                select(AgreementTerms.id).where(
                    AgreementTerms.fixmedins_code == fixmedins_code, AgreementTerms.year == year
                )
            )
            is not None
        )

    def checklist_in_force(self, admdvs: str, fixmedins_type: str, day: date) -> ChecklistConfig | None:
        return self.session.scalar(
            select(ChecklistConfig)
            .where(
                ChecklistConfig.admdvs == admdvs,
                ChecklistConfig.fixmedins_type == fixmedins_type,
                ChecklistConfig.begin <= day,
                or_(ChecklistConfig.end.is_(None), ChecklistConfig.end >= day),
            )
            .order_by(ChecklistConfig.begin.desc())
            .limit(1)
        )

    def checklists(self, regions: frozenset[str] | None) -> list[ChecklistConfig]:
        stmt = select(ChecklistConfig).order_by(
            ChecklistConfig.admdvs, ChecklistConfig.fixmedins_type, ChecklistConfig.begin
        )
        if regions is not None:
            stmt = stmt.where(ChecklistConfig.admdvs.in_(regions))
        return list(self.session.scalars(stmt))

    def checklist_rows(self, admdvs: str, fixmedins_type: str) -> list[ChecklistConfig]:
        return list(
            self.session.scalars(
                select(ChecklistConfig).where(
                    ChecklistConfig.admdvs == admdvs, ChecklistConfig.fixmedins_type == fixmedins_type
                )
            )
        )
