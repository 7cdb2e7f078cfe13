"""Catalog items: registering, versions (变更), overlap refusal, region scope, audit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.catalog.helpers import DRUG_CODE, SERVICE_CODE, add_drug, drug_fields, reviewer, service_fields
from tests.factories import make_actor
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.catalog import service
from yibao.catalog.models import CatalogItem
from yibao.core.security import SYSTEM, Actor, Role
from yibao.domain.errors import BusinessError


def _count(container: Container) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(CatalogItem)) or 0)


def test_create_drug_stores_the_version_and_its_audit_row(container: Container, admin: Actor) -> None:
    with container.uow(admin) as uow:
        item = service.create_item(uow=uow, kind="drug", fields=drug_fields())
    assert (item.code, item.selfpay_bp, item.price_cap, item.list_type) == (DRUG_CODE, 1000, 150, "101")
    with container.uow() as uow:
        audit = uow.session.scalars(select(AuditEntry).where(AuditEntry.entity == "catalog_item")).one()
    assert (audit.action, audit.entity_id, audit.username) == ("catalog.create", DRUG_CODE, "admin")
    assert '"selfpay_bp": 1000' in (audit.after or "")


def test_service_item_keeps_tiered_caps_and_restrictions(container: Container, admin: Actor) -> None:
    with container.uow(admin) as uow:
        item = service.create_item(uow=uow, kind="service", fields=service_fields())
    assert item.tier_caps == {"1": 8000, "2": 9000, "3": 10000}
    assert item.restrictions.age_max == 17
    assert item.selfpay_bp == 0  # 甲类


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"code": "XA01"}, "code", "CATALOG_CODE_FORMAT"),
        ({"chrgitm_lv": "04"}, "chrgitm_lv", "DICT_CODE"),
        ({"selfpay_ratio": ""}, "selfpay_ratio", "CATALOG_RATIO_REQUIRED"),
        ({"chrgitm_lv": "01", "selfpay_ratio": "0.2"}, "selfpay_ratio", "CATALOG_RATIO_CLASS_A"),
        ({"chrgitm_lv": "03", "selfpay_ratio": "0.5"}, "selfpay_ratio", "CATALOG_RATIO_CLASS_C"),
        ({"price_cap": "-1.00"}, "price_cap", "MONEY_NEGATIVE"),
        ({"price_cap": "1.005"}, "price_cap", "MONEY_PRECISION"),
        ({"dosform": "999999"}, "dosform", "DICT_CODE"),
        ({"end": "2023-12-31"}, "end", "PERIOD_ORDER"),
        ({"restr_age_min": "18", "restr_age_max": "6"}, "restr_age_max", "CATALOG_RESTR_AGE"),
        ({"restr_hosp_levels": "4"}, "restr_hosp_levels", "CATALOG_RESTR_LEVEL"),
        ({"list_type": "201"}, "list_type", "CATALOG_LIST_TYPE"),
        ({"unit": "支"}, "unit", "CATALOG_FIELD_NOT_APPLICABLE"),
    ],
)
def test_bad_item_is_refused_naming_the_field_and_nothing_is_stored(
    container: Container, admin: Actor, overrides: dict[str, object], field: str, code: str
) -> None:
    with container.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.create_item(uow=uow, kind="drug", fields=drug_fields(**overrides))
    assert (field, code) in {(e.field, e.code) for e in info.value.errors}
    assert f"字段 {field}" in next(e.message for e in info.value.errors if e.field == field)
    assert _count(container) == 0


def test_the_same_code_twice_is_a_conflict(container: Container, admin: Actor) -> None:
    add_drug(container)
    with container.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.create_item(uow=uow, kind="drug", fields=drug_fields(begin="2025-01-01"))
    assert info.value.code == "CATALOG_ITEM_EXISTS"


def test_a_change_closes_the_old_version_the_day_before(container: Container, admin: Actor) -> None:
    add_drug(container)
    with container.uow(admin) as uow:
        new = service.add_version(
            uow=uow, code=DRUG_CODE, fields=drug_fields(begin="2025-03-01", price_cap="1.20")
        )
    with container.uow(admin) as uow:
        versions = service.get_versions(uow=uow, code=DRUG_CODE)
        assert [(v.begin, v.end, v.price_cap) for v in versions] == [
            (date(2024, 1, 1), date(2025, 2, 28), 150),
            (date(2025, 3, 1), None, 120),
        ]
        assert service.item_on(uow=uow, code=DRUG_CODE, day=date(2025, 2, 28)).price_cap == 150  # type: ignore[union-attr]
        assert service.item_on(uow=uow, code=DRUG_CODE, day=date(2025, 3, 1)).id == new.id  # type: ignore[union-attr]
        assert service.item_on(uow=uow, code=DRUG_CODE, day=date(2023, 12, 31)) is None
        actions = list(
            uow.session.scalars(
                select(AuditEntry.action).where(AuditEntry.entity == "catalog_item").order_by(AuditEntry.id)
            )
        )
    assert actions == ["catalog.create", "catalog.close", "catalog.version"]


def test_a_version_overlapping_another_is_refused_naming_it(container: Container, admin: Actor) -> None:
    first = add_drug(container)
    with container.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.add_version(uow=uow, code=DRUG_CODE, fields=drug_fields(begin="2024-01-01"))
    assert info.value.code == "CATALOG_VERSION_OVERLAP"
    assert f"版本 {first.id}" in info.value.message and "2024-01-01—长期" in info.value.message
    assert _count(container) == 1


def test_a_version_of_another_kind_is_refused(container: Container, admin: Actor) -> None:
    add_drug(container)
    with container.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.add_version(
            uow=uow, code=DRUG_CODE, fields={**service_fields(begin="2025-01-01"), "kind": "service"}
        )
    assert info.value.code == "CATALOG_KIND_MISMATCH"


def test_unknown_code_has_no_versions(container: Container, admin: Actor) -> None:
    with container.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.add_version(uow=uow, code=SERVICE_CODE, fields=service_fields())
    assert info.value.code == "CATALOG_ITEM_NOT_FOUND"


def test_search_by_name_kind_class_and_day(container: Container, admin: Actor) -> None:
    add_drug(container, end="2024-12-31")
    with container.uow(SYSTEM) as uow:
        service.create_item(uow=uow, kind="service", fields=service_fields())
    with container.uow(admin) as uow:
        assert service.list_items(uow=uow, q="地塞").total == 1
        assert service.list_items(uow=uow, q="xa01ab").total == 1
        assert [i.code for i in service.list_items(uow=uow, kind="service").items] == [SERVICE_CODE]
        assert service.list_items(uow=uow, chrgitm_lv="02").total == 1
        assert service.list_items(uow=uow, list_type="201").total == 1
        assert service.list_items(uow=uow, on=date(2025, 1, 1)).total == 1  # the drug ended 2024-12-31


def test_readers_may_not_write(container: Container) -> None:
    clerk = make_actor(Role.CLERK)
    with container.uow(clerk) as uow, pytest.raises(BusinessError) as info:
        service.create_item(uow=uow, kind="drug", fields=drug_fields())
    assert info.value.code == "AUTH_FORBIDDEN"
    with container.uow(make_actor(Role.INSTITUTION, institution_code="H1")) as uow:
        assert service.list_items(uow=uow).total == 0  # institution operators may read


def test_regional_items_are_kept_and_seen_only_in_their_region(container: Container) -> None:
    local = reviewer("439901")
    with container.uow(local) as uow, pytest.raises(BusinessError) as info:
        service.create_item(uow=uow, kind="drug", fields=drug_fields())  # a national row
    assert info.value.code == "CATALOG_NATIONAL_SCOPE"
    with container.uow(local) as uow, pytest.raises(BusinessError) as info:
        service.create_item(uow=uow, kind="drug", fields=drug_fields(admdvs="439902"))
    assert info.value.code == "AUTH_REGION"
    with container.uow(local) as uow:
        service.create_item(uow=uow, kind="drug", fields=drug_fields(admdvs="439901", list_type="101"))
    with container.uow(reviewer("439902")) as uow:
        assert service.list_items(uow=uow).total == 0
        with pytest.raises(BusinessError) as info:
            service.get_versions(uow=uow, code=DRUG_CODE)
        assert info.value.code == "CATALOG_ITEM_NOT_FOUND"
    with container.uow(local) as uow:
        assert service.list_items(uow=uow).total == 1


def test_export_writes_the_import_columns(container: Container, admin: Actor) -> None:
    from yibao.core.excel import read_xlsx_rows

    add_drug(container)
    with container.uow(admin) as uow:
        data = service.export_items(uow=uow, kind="drug")
    rows = read_xlsx_rows(data)
    assert rows[0]["国家编码"] == DRUG_CODE
    assert rows[0]["最高限价(元)"] == "1.50" and rows[0]["先行自付比例"] == "0.1000"
