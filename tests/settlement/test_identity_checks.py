"""人证核验 at a visit: recorded through the service, the API, the CLI and the console page; a mismatch is
kept as the evidence of 冒名就医, and a refused check stores nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.factories import make_actor
from tests.settlement.helpers import CLINIC, World, build_world, open_visit
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.cli import app
from yibao.core.clock import LOCAL_TZ
from yibao.core.security import SYSTEM, Role
from yibao.domain.errors import BusinessError
from yibao.settlement import service
from yibao.settlement.models import IdentityCheck
from yibao.staff import service as staff


@pytest.fixture
def world(container: Container) -> World:
    return build_world(container)


def _beijing(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def _stored(container: Container) -> int:
    with container.uow(SYSTEM) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(IdentityCheck)) or 0)


def test_a_face_check_mismatch_is_kept_with_its_audit_row(container: Container, world: World) -> None:
    mdtrt_id = open_visit(container, world.worker)  # 2024-03-01 09:00 UTC = 17:00 Beijing
    with container.uow(SYSTEM) as uow:
        service.record_identity_check(
            uow=uow, mdtrt_id=mdtrt_id, check_time=_beijing("2024-03-01 17:05"), method="1", matched=False
        )
    with container.uow(SYSTEM) as uow:
        (check,) = service.identity_checks(uow=uow, mdtrt_id=mdtrt_id)
        assert (check.method, check.matched, check.check_time) == ("1", False, _beijing("2024-03-01 17:05"))
        audit = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "visit.identity_check"))
        assert audit is not None and audit.entity_id == mdtrt_id


@pytest.mark.parametrize(
    ("method", "at", "code", "field"),
    [
        ("4", "2024-03-01 17:05", "IDENTITY_CHECK_METHOD", "method"),  # 1 人脸 / 2 指纹 / 3 证卡
        ("1", "2024-02-29 23:59", "IDENTITY_CHECK_TIME", "check_time"),  # the day before the visit began
    ],
)
def test_a_wrong_check_is_refused_and_nothing_is_stored(
    container: Container, world: World, method: str, at: str, code: str, field: str
) -> None:
    mdtrt_id = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as refused:
        service.record_identity_check(
            uow=uow, mdtrt_id=mdtrt_id, check_time=_beijing(at), method=method, matched=True
        )
    assert (refused.value.code, refused.value.field) == (code, field)
    assert _stored(container) == 0


def test_another_institution_cannot_record_a_check_on_this_visit(container: Container, world: World) -> None:
    mdtrt_id = open_visit(container, world.worker)  # at the hospital
    clinic = make_actor(Role.INSTITUTION, institution_code=CLINIC, username="op-clinic")
    with container.uow(clinic) as uow, pytest.raises(BusinessError) as refused:
        service.record_identity_check(
            uow=uow, mdtrt_id=mdtrt_id, check_time=_beijing("2024-03-01 17:05"), method="2", matched=True
        )
    assert refused.value.code == "VISIT_NOT_FOUND"
    assert _stored(container) == 0


def test_checks_through_the_api(
    container: Container, world: World, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    mdtrt_id = open_visit(container, world.worker)
    url = f"/api/v1/visits/{mdtrt_id}/identity-checks"
    made = app_client.post(
        url, headers=admin_headers, json={"check_time": "2024-03-01T17:05:00", "method": "2", "matched": True}
    )
    assert made.status_code == 201, made.text
    assert made.json()["matched"] is True and made.json()["method"] == "2"
    missing = app_client.post(
        url, headers=admin_headers, json={"check_time": "2024-03-01T17:05:00", "method": "2"}
    )
    assert missing.status_code == 422 and missing.json()["error"]["errors"][0]["field"] == "matched"
    listed = app_client.get(url, headers=admin_headers).json()
    assert [(c["method"], c["matched"]) for c in listed] == [("2", True)]


def test_checks_through_the_cli(cli_env: Container, world: World) -> None:
    mdtrt_id = open_visit(cli_env, world.worker)
    runner = CliRunner()
    done = runner.invoke(
        app, ["settlement", "identity-check", mdtrt_id, "--at", "2024-03-01 17:05", "--mismatch"]
    )
    assert done.exit_code == 0, done.output
    assert "人证不符" in done.output
    bad = runner.invoke(app, ["settlement", "identity-check", mdtrt_id, "--at", "yesterday"])
    assert bad.exit_code == 2 and "DATETIME_FORMAT" in bad.output
    assert _stored(cli_env) == 1


def test_checks_from_the_visit_page(container: Container, world: World, app_client: TestClient) -> None:
    mdtrt_id = open_visit(container, world.worker)
    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    app_client.post("/console/login", data={"username": "admin", "password": "admin-pass-123"})
    url = f"/console/settlement/visits/{mdtrt_id}/identity-checks"
    refused = app_client.post(url, data={"check_time": "2024-02-01T08:00", "method": "1", "matched": "0"})
    assert refused.status_code == 422 and "IDENTITY_CHECK_TIME" in refused.text
    assert _stored(container) == 0
    page = app_client.post(url, data={"check_time": "2024-03-01T17:05", "method": "1", "matched": "0"})
    assert page.status_code == 200 and "人证不符" in page.text and "人脸识别" in page.text
    assert _stored(container) == 1
