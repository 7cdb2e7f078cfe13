"""Builders for the catalog tests: item fields, institutions and actors."""

from __future__ import annotations

from datetime import date

from tests.factories import make_actor
from yibao.bootstrap import Container
from yibao.catalog import service
from yibao.catalog.models import CatalogItem
from yibao.core.db import utcnow
from yibao.core.security import SYSTEM, Actor, Role
from yibao.institutions.models import Institution

DRUG_CODE = "XA01ABD075A002010100483"
SERVICE_CODE = "003105120040000"
CONSUMABLE_CODE = "C14010218070000110190000165"


def drug_fields(**overrides: object) -> dict[str, object]:
    """A valid 乙类 drug row (yuan strings, ratio as a fraction)."""
    fields: dict[str, object] = {
        "code": DRUG_CODE,
        "name": "地塞米松磷酸钠注射液",
        "generic_name": "地塞米松",
        "dosform": "170000",
        "spec": "1ml:5mg",
        "manufacturer": "示范制药有限公司",
        "chrgitm_lv": "02",
        "selfpay_ratio": "0.10",
        "price_cap": "1.50",
        "begin": "2024-01-01",
    }
    fields.update(overrides)
    return fields


def service_fields(**overrides: object) -> dict[str, object]:
    """A valid 甲类 medical service item with tiered price caps."""
    fields: dict[str, object] = {
        "code": SERVICE_CODE,
        "name": "儿童前牙树脂冠修复",
        "unit": "每牙",
        "med_chrgitm_type": "05",
        "chrgitm_lv": "01",
        "price_cap_lv1": "80.00",
        "price_cap_lv2": "90.00",
        "price_cap_lv3": "100.00",
        "restr_age_max": "17",
        "begin": "2024-01-01",
    }
    fields.update(overrides)
    return fields


def add_drug(container: Container, **overrides: object) -> CatalogItem:
    """Register the sample drug as the system actor."""
    with container.uow(SYSTEM) as uow:
        return service.create_item(uow=uow, kind="drug", fields=drug_fields(**overrides))


def add_institution(
    container: Container, code: str = "H43990100001", admdvs: str = "439901", hosp_lv: str = "5"
) -> None:
    """Insert a designated hospital row directly (the institutions area owns its registry)."""
    now = utcnow()
    with container.uow(SYSTEM) as uow:
        uow.session.add(
            Institution(
                fixmedins_code=code,
                name=f"示范医院{code[-3:]}",
                fixmedins_type="1",
                hosp_lv=hosp_lv,
                admdvs=admdvs,
                agreement_status="active",
                agreement_begin=date(2020, 1, 1),
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
        uow.commit()


def operator(code: str = "H43990100001", region: str = "439901") -> Actor:
    """An institution operator acting for one hospital."""
    return make_actor(Role.INSTITUTION, regions=(region,), institution_code=code, username="his-op")


def reviewer(region: str = "439901") -> Actor:
    """An agency reviewer of one region."""
    return make_actor(Role.REVIEWER, regions=(region,), username=f"reviewer{region}")


def add_user(
    container: Container,
    username: str,
    role: Role,
    *,
    region: str = "439901",
    institution_code: str | None = None,
) -> None:
    """A staff account (password "pass-word-123") for API and console tests."""
    from yibao.staff import service as staff

    with container.uow(SYSTEM) as uow:
        staff.create_user(
            uow=uow,
            username=username,
            password="pass-word-123",
            display_name=username,
            roles=[role.value],
            regions=[region],
            institution_code=institution_code,
        )
