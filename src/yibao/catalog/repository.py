"""Queries on catalog item versions and code mappings (always filtered to what the caller may see)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from yibao.catalog.models import CatalogItem, CodeMapping
from yibao.core.paging import Page, paginate


def _visible(stmt: Select[tuple[CatalogItem]], regions: frozenset[str] | None) -> Select[tuple[CatalogItem]]:
    """National rows (no admdvs) for everyone, regional rows for actors of that region."""
    if regions is None:
        return stmt
    return stmt.where(or_(CatalogItem.admdvs.is_(None), CatalogItem.admdvs.in_(regions)))


class CatalogRepository:
    """Catalog item versions and hospital code mappings."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ----------------------------------------------------------- items

    def versions(self, code: str, *, regions: frozenset[str] | None = None) -> list[CatalogItem]:
        """Every version of one national code, oldest first (one indexed query on code, begin)."""
        stmt = _visible(select(CatalogItem).where(CatalogItem.code == code), regions)
        return list(self.session.scalars(stmt.order_by(CatalogItem.begin)))

    def versions_of(self, codes: Iterable[str]) -> dict[str, list[CatalogItem]]:
        """Every version of several codes in one query, keyed by code (for imports and settlement)."""
        wanted = sorted(set(codes))
        out: dict[str, list[CatalogItem]] = {code: [] for code in wanted}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            stmt = select(CatalogItem).where(CatalogItem.code.in_(chunk)).order_by(CatalogItem.begin)
            for row in self.session.scalars(stmt):
                out[row.code].append(row)
        return out

    def version_by_id(self, version_id: int) -> CatalogItem | None:
        return self.session.get(CatalogItem, version_id)

    def search(
        self,
        *,
        regions: frozenset[str] | None,
        q: str | None = None,
        kind: str | None = None,
        list_type: str | None = None,
        chrgitm_lv: str | None = None,
        on: date | None = None,
        page: int,
        size: int,
    ) -> Page[CatalogItem]:
        """Versions matching the filters, by code then begin; `on` keeps those in force that day."""
        stmt = _visible(select(CatalogItem), regions).order_by(CatalogItem.code, CatalogItem.begin)
        if q:
            stmt = stmt.where(
                or_(
                    CatalogItem.code.contains(q.upper()),
                    CatalogItem.name.contains(q),
                    CatalogItem.generic_name.contains(q),
                )
            )
        if kind:
            stmt = stmt.where(CatalogItem.kind == kind)
        if list_type:
            stmt = stmt.where(CatalogItem.list_type == list_type)
        if chrgitm_lv:
            stmt = stmt.where(CatalogItem.chrgitm_lv == chrgitm_lv)
        if on is not None:
            stmt = stmt.where(CatalogItem.begin <= on, or_(CatalogItem.end.is_(None), CatalogItem.end >= on))
        return paginate(self.session, stmt, page=page, size=size)

    def add(self, item: CatalogItem) -> None:
        self.session.add(item)

    # ----------------------------------------------------------- mappings

    def mapping(self, mapping_id: int) -> CodeMapping | None:
        return self.session.get(CodeMapping, mapping_id)

    def mappings_of(self, fixmedins_code: str, medins_list_codg: str) -> list[CodeMapping]:
        """Every mapping of one institution's item code, oldest first."""
        stmt = (
            select(CodeMapping)
            .where(
                CodeMapping.fixmedins_code == fixmedins_code,
                CodeMapping.medins_list_codg == medins_list_codg,
            )
            .order_by(CodeMapping.begin, CodeMapping.id)
        )
        return list(self.session.scalars(stmt))

    def search_mappings(
        self,
        *,
        regions: frozenset[str] | None,
        fixmedins_code: str | None = None,
        status: str | None = None,
        q: str | None = None,
        page: int,
        size: int,
    ) -> Page[CodeMapping]:
        """Mappings in the caller's regions, newest first."""
        stmt = select(CodeMapping).order_by(CodeMapping.id.desc())
        if regions is not None:
            stmt = stmt.where(CodeMapping.admdvs.in_(regions))
        if fixmedins_code:
            stmt = stmt.where(CodeMapping.fixmedins_code == fixmedins_code)
        if status:
            stmt = stmt.where(CodeMapping.status == status)
        if q:
            stmt = stmt.where(
                or_(
                    CodeMapping.medins_list_codg.contains(q),
                    CodeMapping.medins_list_name.contains(q),
                    CodeMapping.hilist_code.contains(q.upper()),
                )
            )
        return paginate(self.session, stmt, page=page, size=size)

    def add_mapping(self, mapping: CodeMapping) -> None:
        self.session.add(mapping)
