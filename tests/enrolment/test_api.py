"""REST API round trips of enrolment, field errors, masking by role and region isolation."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.enrolment.helpers import certno, credit_code
from tests.factories import add_region, login
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.staff import service as staff


def _user(container: Container, client: TestClient, username: str, role: str, region: str) -> dict[str, str]:
    with container.uow(SYSTEM) as uow:
        staff.create_user(
            uow=uow,
            username=username,
            password="password-123",
            display_name=username,
            roles=[role],
            regions=[region],
        )
    return login(client, username, "password-123")


def test_enrolment_api_round_trip(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    add_region(container)
    unit = app_client.post(
        "/api/v1/units",
        headers=admin_headers,
        json={
            "uscc": credit_code(1),
            "name": "示范公司",
            "admdvs": "439901",
            "unit_type": "enterprise",
            "begin": "2020-01-01",
        },
    )
    assert unit.status_code == 201, unit.text
    created = app_client.post(
        "/api/v1/persons",
        headers=admin_headers,
        json={
            "certno": certno(),
            "name": "张三",
            "admdvs": "439901",
            "insutype": "310",
            "psn_type": "11",
            "begin": "2024-01-01",
            "unit_uscc": credit_code(1),
        },
    )
    assert created.status_code == 201, created.text
    person = created.json()
    psn_no = person["psn_no"]
    assert (
        person["gend"] == "1" and person["birth_date"] == "1980-01-01" and person["unit_name"] == "示范公司"
    )
    relations = app_client.get(f"/api/v1/persons/{psn_no}/relations", headers=admin_headers).json()
    rid = relations[0]["id"]
    paid = app_client.post(
        f"/api/v1/persons/{psn_no}/contributions",
        headers=admin_headers,
        json={
            "relation_id": rid,
            "period": "2024-01",
            "unit_fen": 40000,
            "individual_fen": 10000,
            "base_wage_fen": 500000,
            "paid_on": "2024-01-20",
        },
    )
    assert paid.status_code == 201, paid.text
    due = app_client.post(
        f"/api/v1/persons/{psn_no}/contributions",
        headers=admin_headers,
        json={"relation_id": rid, "period": "2024-02", "individual_fen": 10000, "base_wage_fen": 500000},
    ).json()
    arrears = app_client.get("/api/v1/arrears?admdvs=439901&today=2024-03-15", headers=admin_headers).json()
    assert [a["period"] for a in arrears["items"]] == ["2024-02"]
    back = app_client.post(
        f"/api/v1/persons/{psn_no}/contributions/{due['id']}/pay",
        headers=admin_headers,
        json={"paid_on": "2024-03-20"},
    )
    assert back.status_code == 200 and back.json()["late"] is True
    contributions = app_client.get(f"/api/v1/persons/{psn_no}/contributions", headers=admin_headers).json()
    assert contributions["paid_months"] == 2 and len(contributions["items"]) == 2
    account = app_client.get(f"/api/v1/persons/{psn_no}/account", headers=admin_headers).json()
    assert account["balance"] == 20000 and account["entries"]["total"] == 2
    add_region(container, "439902", "乙县")
    moved = app_client.post(
        f"/api/v1/persons/{psn_no}/transfers",
        headers=admin_headers,
        json={"to_admdvs": "439902", "on": "2024-04-01"},
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["months"] == 2 and moved.json()["balance_fen"] == 20000
    transfers = app_client.get(f"/api/v1/persons/{psn_no}/transfers", headers=admin_headers).json()
    assert [t["to_admdvs"] for t in transfers] == ["439902"]
    found = app_client.get("/api/v1/persons", params={"certno": certno()}, headers=admin_headers).json()
    assert found["total"] == 1 and found["items"][0]["certno"] == certno()


def test_enrolment_api_field_errors_and_conflicts(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    add_region(container)
    bad = app_client.post(
        "/api/v1/persons",
        headers=admin_headers,
        json={
            "certno": "123",
            "name": "",
            "admdvs": "439901",
            "insutype": "310",
            "psn_type": "11",
            "begin": "2024-01-01",
        },
    )
    assert bad.status_code == 422
    errors = {e["field"]: e["code"] for e in bad.json()["error"]["errors"]}
    assert errors == {"certno": "ID_LENGTH", "name": "REQUIRED"}
    malformed = app_client.post("/api/v1/persons", headers=admin_headers, json={"certno": certno()})
    assert malformed.status_code == 422
    assert {"name", "admdvs", "insutype", "psn_type", "begin"} <= {
        e["field"] for e in malformed.json()["error"]["errors"]
    }
    body = {
        "certno": certno(),
        "name": "张三",
        "admdvs": "439901",
        "insutype": "390",
        "psn_type": "15",
        "begin": "2024-01-01",
    }
    assert app_client.post("/api/v1/persons", headers=admin_headers, json=body).status_code == 201
    again = app_client.post("/api/v1/persons", headers=admin_headers, json=body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "PERSON_EXISTS"
    assert app_client.get("/api/v1/persons/4399019999999999", headers=admin_headers).status_code == 404


def test_api_masks_ids_and_isolates_regions(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    add_region(container, "439901", "甲县")
    add_region(container, "439902", "乙县")
    analyst = _user(container, app_client, "analyst1", "analyst", "439901")
    outsider = _user(container, app_client, "clerk2", "clerk", "439902")
    created = app_client.post(
        "/api/v1/persons",
        headers=admin_headers,
        json={
            "certno": certno(),
            "name": "张三",
            "admdvs": "439901",
            "insutype": "390",
            "psn_type": "15",
            "begin": "2024-01-01",
        },
    ).json()
    shown = app_client.get(f"/api/v1/persons/{created['psn_no']}", headers=analyst).json()
    assert shown["certno"] == "110***********" + certno()[-4:] and shown["certno_masked"] is True
    assert app_client.get(f"/api/v1/persons/{created['psn_no']}", headers=outsider).status_code == 404
    assert app_client.get("/api/v1/persons", headers=outsider).json()["total"] == 0
    refused = app_client.post(
        "/api/v1/persons",
        headers=analyst,
        json={
            "certno": certno(seq=125),
            "name": "x",
            "admdvs": "439901",
            "insutype": "390",
            "psn_type": "15",
            "begin": "2024-01-01",
        },
    )
    assert refused.status_code == 403


def test_import_endpoint_reports_rows(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    add_region(container)
    good = f"certno,name,admdvs,insutype,psn_type,begin\n{certno()},张三,439901,390,15,2024-01-01\n"
    response = app_client.post(
        "/api/v1/persons/import", headers=admin_headers, files={"file": ("p.csv", good.encode(), "text/csv")}
    )
    assert response.status_code == 200 and response.json()["ok"] is True
    assert len(response.json()["created"]) == 1
    bad = f"certno,name,admdvs,insutype,psn_type,begin\n{certno(seq=125)},,439901,390,15,{date(2024, 1, 1)}\n"
    response = app_client.post(
        "/api/v1/persons/import", headers=admin_headers, files={"file": ("p.csv", bad.encode(), "text/csv")}
    )
    assert response.json()["ok"] is False
    assert response.json()["errors"] == [
        {"row": 2, "field": "name", "code": "REQUIRED", "message": "字段 name（姓名）不能为空"}
    ]
