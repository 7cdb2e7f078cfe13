"""Console pages of assessment render in Chinese and answer refusals without a server error."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.assessment.helpers import DOCTOR, assessor, world_with_drugs
from tests.settlement.helpers import HOSPITAL
from yibao.assessment import service
from yibao.bootstrap import Container


def _console_login(client: TestClient) -> None:
    r = client.post(
        "/console/login", data={"username": "admin", "password": "admin-pass-123"}, follow_redirects=False
    )
    assert r.status_code in (302, 303), r.text


def test_pages_render(container: Container, app_client: TestClient, admin_headers: dict[str, str]) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow:
        service.set_terms(
            uow=uow,
            fixmedins_code=HOSPITAL,
            year=2024,
            terms=[{"code": "satisfaction", "target": 9000, "weight": 100}],
        )
    with container.uow(assessor()) as uow:
        service.assess(uow=uow, fixmedins_code=HOSPITAL, period="2024", actuals={"satisfaction": 4500})
    with container.uow(assessor()) as uow:
        service.deduct_points(uow=uow, dr_code=DOCTOR, violation="swap_items", day=date(2024, 3, 1))
    _console_login(app_client)
    for url, text in [
        ("/console/assessment", "定点机构考核"),
        (f"/console/assessment/{HOSPITAL}/2024", "考核计分卡"),
        (f"/console/assessment/{HOSPITAL}/2024/letter", "考核结果通知书"),
        ("/console/assessment/ranking?year=2024", "年度考核排名"),
        ("/console/assessment/reports", "药品采购月报"),
        ("/console/assessment/points", "医保医师积分"),
        (f"/console/assessment/doctors/{DOCTOR}?year=2024", "年度积分"),
        ("/console/assessment/new", "考核评分"),
    ]:
        r = app_client.get(url)
        assert r.status_code == 200 and text in r.text, url
    for url in (
        "/console/assessment/export.xlsx",
        "/console/assessment/ranking/2024.xlsx",
        "/console/assessment/points/export.xlsx",
    ):
        r = app_client.get(url)
        assert r.status_code == 200 and r.content[:2] == b"PK", url
    assert app_client.get(f"/console/assessment/{HOSPITAL}/2099").status_code == 404
    bad = app_client.post(
        "/console/assessment/new",
        data={"fixmedins_code": HOSPITAL, "period": "2024", "actuals": "satisfaction=abc"},
    )
    assert bad.status_code == 422 and "ACTUAL_FORMAT" in bad.text and "指标=非负整数" in bad.text
