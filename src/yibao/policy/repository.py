"""Queries on benefit policy versions."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yibao.core.paging import Page, paginate
from yibao.policy.models import PolicyVersion


class PolicyRepository:
    """Policy versions, always filtered to what the caller may see."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, policy_id: int) -> PolicyVersion | None:
        return self.session.get(PolicyVersion, policy_id)

    def by_key(self, admdvs: str, insutype: str, version: str) -> PolicyVersion | None:
        return self.session.scalar(
            select(PolicyVersion).where(
                PolicyVersion.admdvs == admdvs,
                PolicyVersion.insutype == insutype,
                PolicyVersion.version == version,
            )
        )

    def of_scheme(self, admdvs: str, insutype: str, *, lock: bool = False) -> list[PolicyVersion]:
        """Every version of a region × scheme, by begin date (locked for update when asked)."""
        stmt = (
            select(PolicyVersion)
            .where(PolicyVersion.admdvs == admdvs, PolicyVersion.insutype == insutype)
            .order_by(PolicyVersion.begin)
        )
        if lock:
            stmt = stmt.with_for_update()
        return list(self.session.scalars(stmt))

    def search(
        self,
        *,
        regions: frozenset[str] | None,
        admdvs: str | None,
        insutype: str | None,
        on: date | None,
        q: str | None,
        page: int,
        size: int,
    ) -> Page[PolicyVersion]:
        stmt = select(PolicyVersion).order_by(
            PolicyVersion.admdvs, PolicyVersion.insutype, PolicyVersion.begin.desc()
        )
        if regions is not None:
            stmt = stmt.where(PolicyVersion.admdvs.in_(regions))
        if admdvs:
            stmt = stmt.where(PolicyVersion.admdvs == admdvs)
        if insutype:
            stmt = stmt.where(PolicyVersion.insutype == insutype)
        if on is not None:
            stmt = stmt.where(
                PolicyVersion.begin <= on, or_(PolicyVersion.end.is_(None), PolicyVersion.end >= on)
            )
        if q:
            stmt = stmt.where(or_(PolicyVersion.name.contains(q), PolicyVersion.version.contains(q)))
        return paginate(self.session, stmt, page=page, size=size)

    def add(self, version: PolicyVersion) -> None:
        self.session.add(version)
