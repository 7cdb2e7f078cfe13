"""REST API round trips for institutions, departments, agreements, doctors and imports."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import add_region
from tests.institutions.helpers import add_institution, csv_bytes, resident_id
from yibao.bootstrap import Container

INST = {
    "fixmedins_code": "H43990100001",
    "name": "示范县人民医院",
    "fixmedins_type": "1",
    "hosp_lv": "5",
    "admdvs": "439901",
}


def test_institution_round_trip(
    app_client: TestClient, admin_headers: dict[str, str], container: Container
) -> None:
    add_region(container)
    created = app_client.post("/api/v1/institutions", headers=admin_headers, json=INST)
    assert created.status_code == 201, created.text
    assert created.json()["agreement_status"] == "applying"
    signed = app_client.post(
        "/api/v1/institutions/H43990100001/agreement",
        headers=admin_headers,
        json={"action": "sign", "day": "2025-01-01", "begin": "2025-01-01"},
    )
    assert signed.status_code == 200, signed.text
    assert (signed.json()["agreement_status"], signed.json()["agreement_end"]) == ("active", "2025-12-31")
    illegal = app_client.post(
        "/api/v1/institutions/H43990100001/agreement",
        headers=admin_headers,
        json={"action": "sign", "begin": "2025-01-01"},
    )
    assert illegal.status_code == 409
    assert illegal.json()["error"]["code"] == "AGREEMENT_TRANSITION"
    patched = app_client.patch(
        "/api/v1/institutions/H43990100001", headers=admin_headers, json={"address": "人民路1号"}
    )
    assert patched.json()["address"] == "人民路1号"
    listed = app_client.get("/api/v1/institutions", headers=admin_headers, params={"q": "示范"}).json()
    assert listed["total"] == 1 and listed["items"][0]["fixmedins_code"] == "H43990100001"
    detail = app_client.get("/api/v1/institutions/H43990100001", headers=admin_headers).json()
    assert detail["renewal_deadline"] == "2026-02-28"
    check = app_client.get(
        "/api/v1/institutions/H43990100001/settlement", headers=admin_headers, params={"day": "2026-03-01"}
    ).json()
    assert (check["allowed"], check["code"]) == (False, "AGREEMENT_NOT_RENEWED")
    missing = app_client.get("/api/v1/institutions/H43990199999", headers=admin_headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "INSTITUTION_NOT_FOUND"


def test_institution_field_errors_answer_422(
    app_client: TestClient, admin_headers: dict[str, str], container: Container
) -> None:
    add_region(container)
    bad = app_client.post(
        "/api/v1/institutions", headers=admin_headers, json={**INST, "fixmedins_code": "x", "uscc": "1"}
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["error"]["errors"]} == {"fixmedins_code", "uscc"}
    malformed = app_client.post("/api/v1/institutions", headers=admin_headers, json={"name": "x", "extra": 1})
    assert malformed.status_code == 422
    fields = {e["field"] for e in malformed.json()["error"]["errors"]}
    assert {"fixmedins_code", "fixmedins_type", "admdvs", "extra"} <= fields


def test_departments_round_trip(
    app_client: TestClient, admin_headers: dict[str, str], container: Container
) -> None:
    add_institution(container)
    url = "/api/v1/institutions/H43990100001/departments"
    created = app_client.post(
        url,
        headers=admin_headers,
        json={"dept_code": "NK01", "name": "内科", "caty": "A03", "begin": "2025-01-01"},
    )
    assert created.status_code == 201, created.text
    bad = app_client.post(
        url,
        headers=admin_headers,
        json={"dept_code": "NK02", "name": "x", "caty": "ZZZ", "begin": "2025-01-01"},
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "caty"
    patched = app_client.patch(f"{url}/NK01", headers=admin_headers, json={"end": "2025-12-31"})
    assert patched.json()["end"] == "2025-12-31"
    assert [d["dept_code"] for d in app_client.get(url, headers=admin_headers).json()] == ["NK01"]


def test_doctor_round_trip(
    app_client: TestClient, admin_headers: dict[str, str], container: Container
) -> None:
    add_institution(container)
    body = {
        "dr_code": "D43990100001",
        "name": "张医生",
        "certno": resident_id(1),
        "kind": "doctor",
        "admdvs": "439901",
        "fixmedins_code": "H43990100001",
        "begin": "2025-01-01",
    }
    created = app_client.post("/api/v1/doctors", headers=admin_headers, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["links"][0]["fixmedins_name"] == "示范县人民医院"
    suspended = app_client.post(
        "/api/v1/doctors/D43990100001/status",
        headers=admin_headers,
        json={"action": "suspend", "until": "2099-12-31", "reason": "扣满6分"},
    )
    assert suspended.status_code == 200, suspended.text
    assert (suspended.json()["status"], suspended.json()["qualified_today"]) == ("suspended", False)
    again = app_client.post(
        "/api/v1/doctors/D43990100001/status",
        headers=admin_headers,
        json={"action": "suspend", "until": "2099-12-31", "reason": "x"},
    )
    assert again.status_code == 409
    renamed = app_client.patch("/api/v1/doctors/D43990100001", headers=admin_headers, json={"name": "张大夫"})
    assert renamed.json()["name"] == "张大夫"
    linked = app_client.post(
        "/api/v1/doctors/D43990100001/links/end",
        headers=admin_headers,
        json={"fixmedins_code": "H43990100001", "end": "2025-06-30"},
    )
    assert linked.json()["links"][0]["end"] == "2025-06-30"
    relinked = app_client.post(
        "/api/v1/doctors/D43990100001/links",
        headers=admin_headers,
        json={"fixmedins_code": "H43990100001", "begin": "2025-08-01"},
    )
    assert relinked.status_code == 201 and len(relinked.json()["links"]) == 2
    listed = app_client.get("/api/v1/doctors", headers=admin_headers, params={"status": "suspended"}).json()
    assert [d["dr_code"] for d in listed["items"]] == ["D43990100001"]
    bad = app_client.post(
        "/api/v1/doctors", headers=admin_headers, json={**body, "dr_code": "D1", "certno": "1"}
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["error"]["errors"]} == {"dr_code", "certno"}
    assert app_client.get("/api/v1/doctors/D43990100099", headers=admin_headers).status_code == 404


def test_imports_over_multipart(
    app_client: TestClient, admin_headers: dict[str, str], container: Container
) -> None:
    add_region(container)
    good = csv_bytes(
        [
            ["fixmedins_code", "name", "fixmedins_type", "hosp_lv", "admdvs"],
            ["P43990100001", "药房", "2", "", "439901"],
        ]
    )
    response = app_client.post(
        "/api/v1/institutions/import", headers=admin_headers, files={"file": ("i.csv", good, "text/csv")}
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"created": 1, "codes": ["P43990100001"]}
    bad = csv_bytes(
        [["dr_code", "name", "certno", "kind", "admdvs"], ["D1", "x", resident_id(1), "doctor", "439901"]]
    )
    refused = app_client.post(
        "/api/v1/doctors/import", headers=admin_headers, files={"file": ("d.csv", bad, "text/csv")}
    )
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "IMPORT_ROWS"
    assert error["errors"] == [
        {"field": "row2.dr_code", "code": "DR_CODE_FORMAT", "message": error["errors"][0]["message"]}
    ]
    assert error["errors"][0]["message"].startswith("第2行 字段 dr_code")


def test_api_needs_sign_in(app_client: TestClient) -> None:
    assert app_client.get("/api/v1/institutions").status_code == 401
    assert app_client.get("/api/v1/doctors").status_code == 401
