"""REST API round trips for the catalogs and code mapping, with 422 field errors."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.catalog.helpers import DRUG_CODE, add_institution, add_user
from tests.factories import login
from yibao.bootstrap import Container
from yibao.core.excel import read_xlsx_rows
from yibao.core.security import Role

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalog"

DRUG = {
    "kind": "drug",
    "code": DRUG_CODE,
    "name": "地塞米松磷酸钠注射液",
    "dosform": "170000",
    "chrgitm_lv": "02",
    "selfpay_ratio": "0.10",
    "price_cap": 150,
    "begin": "2024-01-01",
    "restrictions": {"hosp_levels": ["3", "2"], "inpatient_only": True, "insutypes": ["310"]},
}


def test_item_round_trip_with_versions(app_client: TestClient, admin_headers: dict[str, str]) -> None:
    created = app_client.post("/api/v1/catalog/items", headers=admin_headers, json=DRUG)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["selfpay_ratio"], body["selfpay_bp"], body["price_cap"]) == ("0.1000", 1000, 150)
    assert body["restrictions"]["hosp_levels"] == ["2", "3"]
    assert body["restriction_text"] == ["限二级、三级医疗机构", "限住院", "限险种 310"]
    changed = app_client.post(
        f"/api/v1/catalog/items/{DRUG_CODE}/versions",
        headers=admin_headers,
        json={"name": "地塞米松磷酸钠注射液", "chrgitm_lv": "01", "begin": "2025-01-01", "price_cap": 120},
    )
    assert changed.status_code == 201, changed.text
    versions = app_client.get(f"/api/v1/catalog/items/{DRUG_CODE}", headers=admin_headers).json()
    assert [(v["begin"], v["end"], v["chrgitm_lv"]) for v in versions] == [
        ("2024-01-01", "2024-12-31", "02"),
        ("2025-01-01", None, "01"),
    ]
    on = app_client.get("/api/v1/catalog/items", headers=admin_headers, params={"on": "2024-06-01"}).json()
    assert on["total"] == 1 and on["items"][0]["price_cap"] == 150
    overlap = app_client.post(
        f"/api/v1/catalog/items/{DRUG_CODE}/versions",
        headers=admin_headers,
        json={"name": "x", "chrgitm_lv": "01", "begin": "2025-01-01"},
    )
    assert overlap.status_code == 409
    assert overlap.json()["error"]["code"] == "CATALOG_VERSION_OVERLAP"


def test_item_field_errors_answer_422(app_client: TestClient, admin_headers: dict[str, str]) -> None:
    bad = app_client.post(
        "/api/v1/catalog/items",
        headers=admin_headers,
        json={**DRUG, "code": "XA01", "selfpay_ratio": None, "restrictions": {"gend": "3"}},
    )
    assert bad.status_code == 422
    fields = {e["field"]: e["code"] for e in bad.json()["error"]["errors"]}
    assert fields == {
        "code": "CATALOG_CODE_FORMAT",
        "selfpay_ratio": "CATALOG_RATIO_REQUIRED",
        "restr_gend": "CATALOG_RESTR_SEX",
    }
    malformed = app_client.post(
        "/api/v1/catalog/items",
        headers=admin_headers,
        json={"kind": "drug", "code": DRUG_CODE, "selfpay_ratio": 0.1, "price_cap": "1.50", "begin": "x"},
    )
    assert malformed.status_code == 422
    fields_m = {e["field"] for e in malformed.json()["error"]["errors"]}
    assert fields_m == {"name", "chrgitm_lv", "selfpay_ratio", "price_cap", "begin"}
    assert app_client.get("/api/v1/catalog/items", headers=admin_headers).json()["total"] == 0


def test_import_and_export_over_http(app_client: TestClient, admin_headers: dict[str, str]) -> None:
    good = app_client.post(
        "/api/v1/catalog/import",
        headers=admin_headers,
        data={"list_type": "consumable"},
        files={"file": ("consumables.csv", (EXAMPLES / "consumables.csv").read_bytes(), "text/csv")},
    )
    assert good.status_code == 200, good.text
    assert good.json()["created"] == 5
    bad = app_client.post(
        "/api/v1/catalog/import",
        headers=admin_headers,
        data={"list_type": "consumable"},
        files={
            "file": (
                "bad.csv",
                "国家编码,名称,开始日期,收费项目等级\nC1,x,2024-01-01,01\nC2,,2024-01-01,09\n".encode(),
                "text/csv",
            )
        },
    )
    assert bad.status_code == 422
    errors = bad.json()["error"]["errors"]
    assert {e["field"] for e in errors} == {"rows.2.code", "rows.3.code", "rows.3.name", "rows.3.chrgitm_lv"}
    exported = app_client.get(
        "/api/v1/catalog/export.xlsx", headers=admin_headers, params={"kind": "consumable"}
    )
    assert exported.status_code == 200
    assert len(read_xlsx_rows(exported.content)) == 5


def test_mapping_round_trip_between_operator_and_reviewer(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert app_client.post("/api/v1/catalog/items", headers=admin_headers, json=DRUG).status_code == 201
    add_institution(container, "H43990100001", "439901")
    add_user(container, "his1", Role.INSTITUTION, institution_code="H43990100001")
    add_user(container, "rev1", Role.REVIEWER, region="439901")
    add_user(container, "rev2", Role.REVIEWER, region="439902")
    his = login(app_client, "his1", "pass-word-123")
    rev1 = login(app_client, "rev1", "pass-word-123")
    rev2 = login(app_client, "rev2", "pass-word-123")
    body = {
        "fixmedins_code": "H43990100001",
        "medins_list_codg": "YP-0001",
        "medins_list_name": "地塞米松针",
        "hilist_code": DRUG_CODE,
        "begin": "2024-02-01",
    }
    submitted = app_client.post("/api/v1/mappings", headers=his, json=body)
    assert submitted.status_code == 201, submitted.text
    mapping_id = submitted.json()["id"]
    other = app_client.post("/api/v1/mappings", headers=his, json={**body, "fixmedins_code": "H2"})
    assert other.status_code == 403 and other.json()["error"]["code"] == "MAPPING_OWN_INSTITUTION"
    missing = app_client.post("/api/v1/mappings", headers=his, json={"fixmedins_code": "H43990100001"})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["error"]["errors"]} == {
        "medins_list_codg", "medins_list_name", "hilist_code", "begin",
    }  # fmt: skip
    assert app_client.post(f"/api/v1/mappings/{mapping_id}/approve", headers=his).status_code == 403
    assert app_client.post(f"/api/v1/mappings/{mapping_id}/approve", headers=rev2).status_code == 404
    assert app_client.get("/api/v1/mappings", headers=rev2).json()["total"] == 0
    no_reason = app_client.post(f"/api/v1/mappings/{mapping_id}/reject", headers=rev1, json={"reason": ""})
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    approved = app_client.post(f"/api/v1/mappings/{mapping_id}/approve", headers=rev1)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = app_client.post(f"/api/v1/mappings/{mapping_id}/approve", headers=rev1)
    assert again.status_code == 409 and again.json()["error"]["code"] == "MAPPING_STATE"
    resolved = app_client.get(
        "/api/v1/mappings/resolve",
        headers=his,
        params={"fixmedins_code": "H43990100001", "medins_list_codg": "YP-0001", "day": "2024-03-01"},
    )
    assert resolved.status_code == 200 and resolved.json()["code"] == DRUG_CODE
    revoked = app_client.post(
        f"/api/v1/mappings/{mapping_id}/revoke", headers=rev1, json={"end": "2024-06-30", "reason": "停用"}
    )
    assert revoked.status_code == 200 and revoked.json()["end"] == "2024-06-30"
    mine = app_client.get("/api/v1/mappings", headers=his).json()
    assert [m["status"] for m in mine["items"]] == ["revoked"]


def test_catalog_api_requires_sign_in(app_client: TestClient) -> None:
    assert app_client.get("/api/v1/catalog/items").status_code == 401
    assert app_client.get("/api/v1/mappings").status_code == 401
