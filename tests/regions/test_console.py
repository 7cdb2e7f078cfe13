"""Region console pages over HTTP: list, create with field errors, edit, export."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.factories import add_region
from yibao.bootstrap import Container
from yibao.staff import service as staff


def _signed_in(app_client: TestClient, container: Container) -> TestClient:
    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    response = app_client.post(
        "/console/login", data={"username": "admin", "password": "admin-pass-123"}, follow_redirects=False
    )
    assert response.status_code == 303
    return app_client


def test_pages_need_a_session(app_client: TestClient) -> None:
    response = app_client.get("/console/regions", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login")


def test_create_form_shows_field_errors_and_stores_nothing(
    app_client: TestClient, container: Container
) -> None:
    client = _signed_in(app_client, container)
    bad = client.post(
        "/console/regions/new", data={"admdvs": "43", "name": "", "level": "county", "begin": "2020-01-01"}
    )
    assert bad.status_code == 422
    assert 'id="err-admdvs"' in bad.text and "6位数字" in bad.text
    assert client.get("/console/regions").text.count("/console/regions/43") == 0


def test_edit_sets_the_last_day_and_export_lists_the_region(
    app_client: TestClient, container: Container
) -> None:
    add_region(container)
    client = _signed_in(app_client, container)
    bad = client.post("/console/regions/439901/edit", data={"name": "新名", "end": "2019-01-01"})
    assert bad.status_code == 422 and "PERIOD_ORDER" in bad.text
    ok = client.post(
        "/console/regions/439901/edit", data={"name": "新名", "end": "2030-12-31"}, follow_redirects=False
    )
    assert ok.status_code == 303
    detail = client.get("/console/regions/439901").text
    assert "新名" in detail and "2030-12-31" in detail
    export = client.get("/console/regions/export.xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [c.value for c in sheet[2]][:2] == ["439901", "新名"]
