"""Pooling regions: registry rules, API, region isolation and audit."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import add_region, make_actor
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.security import Actor, Role
from yibao.domain.errors import BusinessError
from yibao.regions import service
from yibao.regions.models import Region


def test_create_region_writes_the_row_and_its_audit_in_one_transaction(
    container: Container, admin: Actor
) -> None:
    with container.uow(admin) as uow:
        region = service.create_region(
            uow=uow, admdvs="439901", name="示范县", level="county", begin=date(2020, 1, 1)
        )
    assert region.admdvs == "439901"
    with container.uow() as uow:
        audit = uow.session.scalars(select(AuditEntry).where(AuditEntry.entity == "region")).one()
    assert audit.action == "region.create"
    assert audit.username == "admin"
    assert '"name": "示范县"' in (audit.after or "")


@pytest.mark.parametrize(
    ("admdvs", "field", "code"),
    [("43990", "admdvs", "ADMDVS_FORMAT"), ("43990A", "admdvs", "ADMDVS_FORMAT")],
)
def test_bad_region_code_is_refused_and_nothing_is_stored(
    container: Container, admin: Actor, admdvs: str, field: str, code: str
) -> None:
    with container.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.create_region(uow=uow, admdvs=admdvs, name="x", level="county", begin=date(2020, 1, 1))
    assert (info.value.code, info.value.field) == (code, field)
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Region)) == 0
        assert uow.session.scalar(select(func.count()).where(AuditEntry.entity == "region")) == 0


def test_dates_out_of_order_are_refused(container: Container, admin: Actor) -> None:
    with container.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.create_region(
            uow=uow, admdvs="439901", name="x", level="county", begin=date(2020, 1, 1), end=date(2019, 1, 1)
        )
    assert info.value.code == "PERIOD_ORDER"


def test_duplicate_region_is_a_conflict(container: Container, admin: Actor) -> None:
    add_region(container)
    with container.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.create_region(uow=uow, admdvs="439901", name="again", level="county", begin=date(2020, 1, 1))
    assert info.value.code == "REGION_EXISTS"


def test_a_user_sees_only_its_regions(container: Container) -> None:
    add_region(container, "439901", "甲县")
    add_region(container, "439902", "乙县")
    clerk = make_actor(Role.CLERK, regions=("439901",))
    with container.uow(clerk) as uow:
        page = service.list_regions(uow=uow)
        assert [r.admdvs for r in page.items] == ["439901"]
        with pytest.raises(BusinessError) as info:
            service.get_region(uow=uow, admdvs="439902")
        assert info.value.code == "REGION_NOT_FOUND"


def test_only_admins_create_regions(container: Container) -> None:
    with container.uow(make_actor(Role.CLERK)) as uow, pytest.raises(BusinessError) as info:
        service.create_region(uow=uow, admdvs="439901", name="x", level="county", begin=date(2020, 1, 1))
    assert info.value.code == "AUTH_FORBIDDEN"


def test_region_api_round_trip_and_field_errors(
    app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = app_client.post(
        "/api/v1/regions",
        headers=admin_headers,
        json={"admdvs": "439901", "name": "示范县", "begin": "2020-01-01"},
    )
    assert created.status_code == 201, created.text
    listed = app_client.get("/api/v1/regions", headers=admin_headers).json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "示范县"
    bad = app_client.post(
        "/api/v1/regions", headers=admin_headers, json={"admdvs": "12", "name": "x", "begin": "2020-01-01"}
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "admdvs"
    assert "统筹区编码" in bad.json()["error"]["message"]
    malformed = app_client.post(
        "/api/v1/regions", headers=admin_headers, json={"admdvs": "439903", "begin": "x"}
    )
    assert malformed.status_code == 422
    fields = {e["field"] for e in malformed.json()["error"]["errors"]}
    assert fields == {"name", "begin"}


def test_api_requires_sign_in(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/regions")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTH_REQUIRED"
