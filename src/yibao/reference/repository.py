"""Queries on reference data: data set versions, dictionary codes, ICD codes and crosswalks."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from yibao.core.paging import Page, check_paging, paginate
from yibao.reference.models import DictEntry, IcdCode, IcdCrosswalk, RefDataset


def _in_force(on: date | None) -> ColumnElement[bool]:
    """Data sets in force on a day, or the current ones (no end date) when no day is given."""
    if on is None:
        return RefDataset.end.is_(None)
    return and_(RefDataset.begin <= on, or_(RefDataset.end.is_(None), RefDataset.end >= on))


class ReferenceRepository:
    """Reference rows; they belong to no pooling region, so everyone signed in may read them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # data sets
    def datasets(self, *, kind: str | None, page: int, size: int) -> Page[RefDataset]:
        stmt = select(RefDataset).order_by(RefDataset.kind, RefDataset.begin.desc(), RefDataset.id.desc())
        if kind:
            stmt = stmt.where(RefDataset.kind == kind)
        return paginate(self.session, stmt, page=page, size=size)

    def dataset(self, kind: str, version: str) -> RefDataset | None:
        return self.session.scalar(
            select(RefDataset).where(RefDataset.kind == kind, RefDataset.version == version)
        )

    def open_dataset(self, kind: str) -> RefDataset | None:
        return self.session.scalar(
            select(RefDataset).where(RefDataset.kind == kind, RefDataset.end.is_(None))
        )

    def add(self, dataset: RefDataset) -> None:
        self.session.add(dataset)

    # dictionaries
    def dictionaries(self, *, q: str | None) -> list[tuple[str, str, int]]:
        """(dict_name, dict_label, number of codes) of the dictionaries in force."""
        stmt = (
            select(DictEntry.dict_name, DictEntry.dict_label, func.count())
            .join(RefDataset, RefDataset.id == DictEntry.dataset_id)
            .where(RefDataset.end.is_(None))
            .group_by(DictEntry.dict_name, DictEntry.dict_label)
            .order_by(DictEntry.dict_name)
        )
        if q:
            stmt = stmt.where(or_(DictEntry.dict_name.contains(q), DictEntry.dict_label.contains(q)))
        return [(name, label, int(count)) for name, label, count in self.session.execute(stmt)]

    def dict_codes(self, *, dict_name: str, q: str | None, page: int, size: int) -> Page[DictEntry]:
        stmt = (
            select(DictEntry)
            .join(RefDataset, RefDataset.id == DictEntry.dataset_id)
            .where(RefDataset.end.is_(None), DictEntry.dict_name == dict_name)
            .order_by(DictEntry.code)
        )
        if q:
            stmt = stmt.where(or_(DictEntry.code.startswith(q), DictEntry.label.contains(q)))
        return paginate(self.session, stmt, page=page, size=size)

    # ICD codes
    def _icd(self, system: str, on: date | None) -> Select[tuple[IcdCode]]:
        return (
            select(IcdCode)
            .join(RefDataset, RefDataset.id == IcdCode.dataset_id)
            .where(RefDataset.kind == system, IcdCode.system == system, _in_force(on))
        )

    def search_icd(
        self, *, system: str, q: str | None, gray: bool | None, on: date | None, page: int, size: int
    ) -> Page[IcdCode]:
        stmt = self._icd(system, on).order_by(IcdCode.code)
        if q:
            stmt = stmt.where(or_(IcdCode.code.startswith(q), IcdCode.name.contains(q)))
        if gray is not None:
            stmt = stmt.where(IcdCode.gray.is_(gray))
        return paginate(self.session, stmt, page=page, size=size)

    def icd(self, *, system: str, code: str, on: date | None) -> tuple[IcdCode, RefDataset] | None:
        row = self.session.execute(
            select(IcdCode, RefDataset)
            .join(RefDataset, RefDataset.id == IcdCode.dataset_id)
            .where(RefDataset.kind == system, IcdCode.code == code, _in_force(on))
        ).first()
        return (row[0], row[1]) if row else None

    def icd_names(self, *, system: str, codes: set[str]) -> dict[str, tuple[str, bool]]:
        """(name, gray) of the given codes in the current list."""
        if not codes:
            return {}
        rows = self.session.execute(
            select(IcdCode.code, IcdCode.name, IcdCode.gray)
            .join(RefDataset, RefDataset.id == IcdCode.dataset_id)
            .where(RefDataset.kind == system, RefDataset.end.is_(None), IcdCode.code.in_(codes))
        )
        return {code: (name, bool(gray)) for code, name, gray in rows}

    def current_codes(self, system: str) -> set[str]:
        rows = self.session.scalars(
            select(IcdCode.code)
            .join(RefDataset, RefDataset.id == IcdCode.dataset_id)
            .where(RefDataset.kind == system, RefDataset.end.is_(None))
        )
        return set(rows)

    # crosswalks
    def _crosswalk(self, system: str) -> Select[tuple[IcdCrosswalk]]:
        return (
            select(IcdCrosswalk)
            .join(RefDataset, RefDataset.id == IcdCrosswalk.dataset_id)
            .where(RefDataset.end.is_(None), IcdCrosswalk.system == system)
        )

    def search_crosswalk(
        self, *, system: str, edition: str | None, code: str | None, q: str | None, page: int, size: int
    ) -> Page[IcdCrosswalk]:
        stmt = self._crosswalk(system).order_by(
            IcdCrosswalk.from_edition, IcdCrosswalk.from_code, IcdCrosswalk.id
        )
        if edition:
            stmt = stmt.where(IcdCrosswalk.from_edition == edition)
        if code:
            stmt = stmt.where(IcdCrosswalk.from_code == code)
        if q:
            stmt = stmt.where(
                or_(
                    IcdCrosswalk.from_code.startswith(q),
                    IcdCrosswalk.to_code.startswith(q),
                    IcdCrosswalk.from_name.contains(q),
                )
            )
        return paginate(self.session, stmt, page=page, size=size)

    def crosswalk_sources(self, *, system: str, to_code: str, limit: int = 50) -> list[IcdCrosswalk]:
        """The codes of other editions that map to `to_code`."""
        check_paging(1, limit)
        stmt = (
            self._crosswalk(system)
            .where(IcdCrosswalk.to_code == to_code)
            .order_by(IcdCrosswalk.from_edition, IcdCrosswalk.from_code)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))
