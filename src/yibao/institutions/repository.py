"""Queries on designated institutions and insurance doctors (always filtered to the caller's regions)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.institutions.models import Institution


class InstitutionRepository:
    """Designated institutions and their departments."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_code(self, fixmedins_code: str) -> Institution | None:
        return self.session.scalar(select(Institution).where(Institution.fixmedins_code == fixmedins_code))

    def add(self, institution: Institution) -> None:
        self.session.add(institution)
