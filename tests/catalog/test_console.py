"""Catalog console pages over HTTP: search, detail with versions, forms with field errors, import
error table, export, and the mapping queue for operators and reviewers."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.catalog.helpers import DRUG_CODE, add_drug, add_institution, add_user, drug_fields
from yibao.bootstrap import Container
from yibao.core.excel import read_xlsx_rows
from yibao.core.security import Role
from yibao.staff import service as staff

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalog"


def _sign_in(client: TestClient, username: str, password: str) -> TestClient:
    response = client.post(
        "/console/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


def _admin(app_client: TestClient, container: Container) -> TestClient:
    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    return _sign_in(app_client, "admin", "admin-pass-123")


def test_pages_need_a_session(app_client: TestClient) -> None:
    response = app_client.get("/console/catalog", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/console/login")


def test_search_detail_and_export(app_client: TestClient, container: Container) -> None:
    add_drug(container, restr_hosp_levels="2,3", restr_inpatient_only="是")
    client = _admin(app_client, container)
    listed = client.get("/console/catalog", params={"q": "地塞", "kind": "drug", "on": "2024-06-01"})
    assert listed.status_code == 200 and DRUG_CODE in listed.text
    assert client.get("/console/catalog", params={"kind": "service"}).text.count(DRUG_CODE) == 0
    detail = client.get(f"/console/catalog/items/{DRUG_CODE}")
    assert detail.status_code == 200
    assert "限二级、三级医疗机构" in detail.text and "限住院" in detail.text and "10%" in detail.text
    assert client.get("/console/catalog/items/XA01ABD075A002010100999").status_code == 404
    assert client.get(f"/console/catalog/items/{DRUG_CODE}", params={"on": "2024-06-01"}).status_code == 200
    assert client.get(f"/console/catalog/items/{DRUG_CODE}", params={"on": "bad"}).status_code == 422
    exported = client.get("/console/catalog/export.xlsx", params={"kind": "drug"})
    assert exported.status_code == 200 and read_xlsx_rows(exported.content)[0]["国家编码"] == DRUG_CODE


def test_new_item_form_shows_field_errors_then_saves(app_client: TestClient, container: Container) -> None:
    client = _admin(app_client, container)
    assert 'id="save"' in client.get("/console/catalog/new").text
    form = {k: str(v) for k, v in drug_fields().items()} | {"kind": "drug", "high_value": "0"}
    bad = client.post("/console/catalog/new", data={**form, "code": "XA01", "selfpay_ratio": ""})
    assert bad.status_code == 422
    assert 'id="err-code"' in bad.text and 'id="err-selfpay_ratio"' in bad.text
    assert "乙类项目必须填写先行自付比例" in bad.text
    good = client.post("/console/catalog/new", data=form, follow_redirects=False)
    assert good.status_code == 303 and good.headers["location"] == f"/console/catalog/items/{DRUG_CODE}"


def test_new_version_form_is_prefilled_and_closes_the_old_version(
    app_client: TestClient, container: Container
) -> None:
    add_drug(container)
    client = _admin(app_client, container)
    page = client.get(f"/console/catalog/items/{DRUG_CODE}/versions/new")
    assert (
        page.status_code == 200
        and 'value="地塞米松磷酸钠注射液"' in page.text
        and 'value="1.50"' in page.text
    )
    form = {k: str(v) for k, v in drug_fields().items()} | {"kind": "drug", "begin": "2024-01-01"}
    overlap = client.post(f"/console/catalog/items/{DRUG_CODE}/versions/new", data=form)
    assert overlap.status_code == 409 and "CATALOG_VERSION_OVERLAP" in overlap.text
    form["begin"] = "2025-01-01"
    form["price_cap"] = "1.20"
    saved = client.post(f"/console/catalog/items/{DRUG_CODE}/versions/new", data=form)
    assert saved.status_code == 200 and 'id="versions-table"' in saved.text
    assert "2024-12-31" in saved.text and "1.20" in saved.text


def test_import_page_lists_every_bad_row(app_client: TestClient, container: Container) -> None:
    client = _admin(app_client, container)
    bad = "国家编码,名称,开始日期,收费项目等级\n12,x,2024-01-01,01\n001102000050000,,2024-01-01,01\n"
    refused = client.post(
        "/console/catalog/import",
        data={"list_type": "service"},
        files={"file": ("bad.csv", bad.encode(), "text/csv")},
    )
    assert refused.status_code == 422
    assert 'id="import-errors"' in refused.text
    assert (
        refused.text.count('<tr><td class="num">') == 4
    )  # code and charge type of row 2, name and type of row 3
    done = client.post(
        "/console/catalog/import",
        data={"list_type": "facility"},
        files={"file": ("facilities.csv", (EXAMPLES / "facilities.csv").read_bytes(), "text/csv")},
    )
    assert done.status_code == 200 and 'id="import-result"' in done.text
    missing = client.post("/console/catalog/import", data={"list_type": "drug"})
    assert missing.status_code == 422 and 'id="err-file"' in missing.text


def test_mapping_queue_for_operator_and_reviewer(app_client: TestClient, container: Container) -> None:
    add_drug(container)
    add_institution(container, "H43990100001", "439901")
    add_user(container, "his1", Role.INSTITUTION, institution_code="H43990100001")
    add_user(container, "rev1", Role.REVIEWER)
    client = _sign_in(app_client, "his1", "pass-word-123")
    page = client.get("/console/catalog/mappings")
    assert page.status_code == 200 and 'value="H43990100001"' in page.text and "approve-" not in page.text
    form = {
        "fixmedins_code": "H43990100001",
        "medins_list_codg": "YP-0001",
        "medins_list_name": "地塞米松针",
        "hilist_code": DRUG_CODE,
        "begin": "2024-02-01",
    }
    bad = client.post("/console/catalog/mappings/new", data={**form, "hilist_code": "XA01"})
    assert bad.status_code == 422 and 'id="err-hilist_code"' in bad.text
    done = client.post("/console/catalog/mappings/new", data=form)
    assert done.status_code == 200 and "待审核" in done.text
    client.cookies.clear()
    _sign_in(client, "rev1", "pass-word-123")
    queue = client.get("/console/catalog/mappings", params={"status": "submitted"})
    assert 'id="approve-1"' in queue.text
    empty_reason = client.post("/console/catalog/mappings/1/reject", data={"reason": ""})
    assert empty_reason.status_code == 422 and "驳回原因" in empty_reason.text
    approved = client.post("/console/catalog/mappings/1/approve", follow_redirects=True)
    assert approved.status_code == 200 and "已通过" in approved.text and 'id="revoke-1"' in approved.text
