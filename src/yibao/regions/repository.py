"""Queries on pooling regions."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yibao.core.paging import Page, paginate
from yibao.regions.models import Region


class RegionRepository:
    """Regions, always filtered to what the caller may see."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_code(self, admdvs: str) -> Region | None:
        return self.session.scalar(select(Region).where(Region.admdvs == admdvs))

    def search(self, *, regions: frozenset[str] | None, q: str | None, page: int, size: int) -> Page[Region]:
        stmt = select(Region).order_by(Region.admdvs)
        if regions is not None:
            stmt = stmt.where(Region.admdvs.in_(regions))
        if q:
            stmt = stmt.where(or_(Region.admdvs.contains(q), Region.name.contains(q)))
        return paginate(self.session, stmt, page=page, size=size)

    def add(self, region: Region) -> None:
        self.session.add(region)
