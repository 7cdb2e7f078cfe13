"""REST API of payment: grouping with its reason path, tables, methods, clearing; fuzzing of its routes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import add_region
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.payment import service

P = "/api/v1/payment"


def test_group_answers_the_drg_and_its_reason_path(
    app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {"gend": "1", "age": 65, "diag_codes": ["I63.900", "J18.900"]}
    response = app_client.post(f"{P}/drg/group", json=body, headers=admin_headers)
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["mdc"], data["adrg"], data["drg"]) == ("MDCB", "BR2", "BR23")
    assert data["reasons"][0].startswith("主要诊断 I63.900")


def test_group_bad_codes_go_to_the_error_group_not_an_http_error(
    app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {"gend": "2", "age": 40, "diag_codes": ["A06.800x004+N51.2*"]}
    data = app_client.post(f"{P}/drg/group", json=body, headers=admin_headers).json()
    assert (data["drg"], data["error_code"]) == ("0000", "DRG_SEX_CONFLICT")


def test_group_refuses_malformed_input_with_the_field(
    app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = app_client.post(
        f"{P}/drg/group", json={"gend": "3", "age": 1, "diag_codes": []}, headers=admin_headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"]


def test_methods_and_clearing_round_trip(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    add_region(container)
    created = app_client.post(
        f"{P}/methods",
        json={"admdvs": "439901", "method": "fee_for_service", "params": {}, "begin": "2024-01-01"},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    run = app_client.post(
        f"{P}/clearings",
        json={"admdvs": "439901", "period_kind": "month", "period": "2024-01", "deductions": {}},
        headers=admin_headers,
    )
    assert run.status_code == 201, run.text
    detail = app_client.get(f"{P}/clearings/{run.json()['id']}", headers=admin_headers).json()
    assert detail["balanced"] is True
    again = app_client.post(
        f"{P}/clearings",
        json={"admdvs": "439901", "period_kind": "month", "period": "2024-01", "deductions": {}},
        headers=admin_headers,
    )
    assert again.status_code == 409
    xlsx = app_client.get(f"{P}/clearings/{run.json()['id']}/statement.xlsx", headers=admin_headers)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = app_client.get(f"{P}/clearings/{run.json()['id']}/statement.pdf", headers=admin_headers)
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    assert pdf.headers["content-type"] == "application/pdf"
    unknown = app_client.get(
        f"{P}/clearings/{run.json()['id']}/statement.pdf",
        params={"fixmedins_code": "H00000000000"},
        headers=admin_headers,
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "CLEARING_LINE_NOT_FOUND"
    assert app_client.get(f"{P}/clearings/999999", headers=admin_headers).status_code == 404


def test_tables_list_and_rows(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    add_region(container)
    path = container.settings.reference_dir / "drg-payment" / "西安2020.csv"
    with container.uow(SYSTEM) as uow:
        from datetime import date

        table = service.load_table(
            uow=uow,
            admdvs="439901",
            name="西安2020",
            text=path.read_text("utf-8"),
            begin=date(2020, 1, 1),
            end=None,
        )
    listed = app_client.get(f"{P}/tables", headers=admin_headers).json()
    assert [t["name"] for t in listed] == ["西安2020"]
    rows = app_client.get(f"{P}/tables/{table.id}/rows", params={"q": "AA19"}, headers=admin_headers).json()
    assert rows[0]["rw"] == "118.5785"


def test_routes_need_a_signed_in_user(app_client: TestClient) -> None:
    assert app_client.get(f"{P}/clearings").status_code == 401


# The payment routes are fuzzed with every other route by tests/web/test_api_fuzz.py.


def test_tables_load_from_text_or_a_published_name(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    """POST /tables: the CSV text of a regional table, or a published table by name (its year as the
    period); missing text, an unknown name and an overlapping version are refused with the field."""
    add_region(container)
    text = (container.settings.reference_dir / "drg-payment" / "西安2020.csv").read_text("utf-8")
    body = {"admdvs": "439901", "name": "本市2025", "text": text, "begin": "2025-01-01"}
    created = app_client.post(f"{P}/tables", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    assert created.json()["source"] == "api" and created.json()["row_count"] > 0
    published = app_client.post(
        f"{P}/tables", json={"admdvs": "439901", "reference": "北京2022"}, headers=admin_headers
    )
    assert published.status_code == 201, published.text
    assert (published.json()["begin"], published.json()["end"]) == ("2022-01-01", "2022-12-31")
    for bad, code, field in (
        ({"admdvs": "439901", "name": "x", "begin": "2025-01-01"}, "REQUIRED", "text"),
        ({"admdvs": "439901", "reference": "火星2099"}, "PAYMENT_REFERENCE_UNKNOWN", "reference"),
        (body, "PAYMENT_TABLE_OVERLAP", "begin"),
    ):
        refused = app_client.post(f"{P}/tables", json=bad, headers=admin_headers)
        assert refused.status_code in (409, 422), refused.text
        assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == (code, field)
    assert len(app_client.get(f"{P}/tables", headers=admin_headers).json()) == 2
