"""Payment console pages over HTTP: overview, grouping with its reason path, tables, clearing statement."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.factories import add_region
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.payment import service
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
    for url in ("/console/payment", "/console/payment/group"):
        assert app_client.get(url, follow_redirects=False).status_code == 303


def test_grouping_page_shows_the_reason_path(app_client: TestClient, container: Container) -> None:
    client = _signed_in(app_client, container)
    page = client.get(
        "/console/payment/group", params={"gend": "1", "age": "65", "diag_codes": "I63.900|I50.900"}
    )
    assert page.status_code == 200
    assert "BR21" in page.text
    assert "严重并发症/合并症（MCC" in page.text
    assert 'id="reason-path"' in page.text
    english = client.get(
        "/console/payment/group", params={"lang": "en", "gend": "1", "age": "65", "diag_codes": "X99.999"}
    )
    assert "Reason path" in english.text and "DRG_DX_UNKNOWN" in english.text


def test_grouping_page_names_a_bad_field(app_client: TestClient, container: Container) -> None:
    client = _signed_in(app_client, container)
    page = client.get("/console/payment/group", params={"gend": "1", "age": "abc", "diag_codes": "I63.900"})
    assert page.status_code == 422
    assert "DRG_FIELD_INVALID" in page.text


def test_overview_table_and_clearing_statement(app_client: TestClient, container: Container) -> None:
    add_region(container)
    path = container.settings.reference_dir / "drg-payment" / "苏州2023.csv"
    with container.uow(SYSTEM) as uow:
        table = service.load_table(
            uow=uow,
            admdvs="439901",
            name="苏州2023",
            text=path.read_text("utf-8"),
            begin=date(2023, 1, 1),
            end=None,
        )
    client = _signed_in(app_client, container)
    overview = client.get("/console/payment")
    assert "苏州2023" in overview.text
    rows = client.get(f"/console/payment/tables/{table.id}", params={"q": "AA19"})
    assert "心脏移植" in rows.text
    run = client.post(
        "/console/payment/clearings",
        data={"admdvs": "439901", "period_kind": "month", "period": "2023-02"},
        follow_redirects=False,
    )
    assert run.status_code == 303
    statement = client.get(run.headers["location"])
    assert "清算单" in statement.text and 'id="balanced"' in statement.text and "合计" in statement.text
    assert 'id="pdf-link"' in statement.text
    pdf = client.get(run.headers["location"] + "/statement.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    bad = client.post(
        "/console/payment/clearings", data={"admdvs": "439901", "period_kind": "month", "period": "x"}
    )
    assert bad.status_code == 422 and "CLEARING_PERIOD" in bad.text
    assert client.get("/console/payment/clearings/99999").status_code == 404
