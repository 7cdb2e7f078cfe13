"""Use cases for designated institutions (定点医药机构) and insurance doctors (医保医师)."""

from __future__ import annotations

from yibao.core.uow import UnitOfWork
from yibao.domain.errors import not_found
from yibao.institutions.models import Institution
from yibao.institutions.repository import InstitutionRepository


def get_institution(*, uow: UnitOfWork, fixmedins_code: str) -> Institution:
    """The institution with this code, if it exists inside the actor's regions (else NOT FOUND)."""
    code = (fixmedins_code or "").strip()
    institution = InstitutionRepository(uow.session).by_code(code)
    if institution is None or not uow.actor.sees_region(institution.admdvs):
        raise not_found("INSTITUTION_NOT_FOUND", f"定点机构 {code} 不存在", "fixmedins_code")
    return institution
