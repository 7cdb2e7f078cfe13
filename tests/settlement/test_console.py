"""Settlement console pages: the visit with its lines, the settlement explained, reversal from the page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.settlement.helpers import build_world, fee, open_visit, request_id
from yibao.bootstrap import Container
from yibao.cli import app
from yibao.core.security import SYSTEM
from yibao.settings import get_settings
from yibao.settlement import service
from yibao.staff import service as staff


def _signed_in(client: TestClient, container: Container) -> TestClient:
    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    client.post("/console/login", data={"username": "admin", "password": "admin-pass-123"})
    return client


def test_a_clerk_reads_why_the_patient_pays_and_can_reverse(
    app_client: TestClient, container: Container
) -> None:
    world = build_world(container)
    mdtrt_id = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow:
        service.upload_fees(
            uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "10000.00"), fee("2", "YP002", "300")]
        )
    with container.uow(SYSTEM) as uow:
        setl_id = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id()).setl_id
    client = _signed_in(app_client, container)
    listing = client.get("/console/settlement/visits").text
    assert mdtrt_id[:12] in listing
    visit = client.get(f"/console/settlement/visits/{mdtrt_id}").text
    assert "丙类，全额自费" in visit and "300.00" in visit
    page = client.get(f"/console/settlement/settlements/{setl_id}").text
    assert "为什么自付这么多" in page
    assert "三级医院起付线 800.00元" in page
    assert "7820.00" in page and "310100" in page
    reversed_page = client.post(f"/console/settlement/settlements/{setl_id}/reverse")
    assert reversed_page.status_code == 200 and "冲正记录" in reversed_page.text
    again = client.post(f"/console/settlement/settlements/{setl_id}/reverse")
    assert again.status_code == 409 and "SETTLEMENT_REVERSED" in again.text
    english = client.get(f"/console/settlement/settlements/{setl_id}?lang=en").text
    assert "Why do I pay this much?" in english


def test_the_command_line_shows_a_settlement_and_the_ledger(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(container)
    mdtrt_id = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "10000.00")])
    with container.uow(SYSTEM) as uow:
        setl_id = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id()).setl_id
    monkeypatch.setenv("YIBAO_DATABASE_URL", container.settings.database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        shown = runner.invoke(app, ["settlement", "show", setl_id])
        assert shown.exit_code == 0, shown.output
        assert "7820.00" in shown.output and "起付线" in shown.output
        ledger = runner.invoke(app, ["settlement", "ledger", world.worker, "--year", "2024"])
        assert "cap:pool" in ledger.output and "782000" in ledger.output
        missing = runner.invoke(app, ["settlement", "show", "nope"])
        assert missing.exit_code == 2 and "SETTLEMENT_NOT_FOUND" in missing.output
    finally:
        get_settings.cache_clear()
