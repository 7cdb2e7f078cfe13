"""Queries on designated institutions and insurance doctors (always filtered to the caller's regions)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yibao.core.paging import Page, paginate
from yibao.institutions.models import Department, Doctor, DoctorLink, Institution
from yibao.regions.models import Region

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
