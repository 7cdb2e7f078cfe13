"""Institution and doctor console pages over HTTP: lists, forms with field errors, detail, import, export."""

from __future__ import annotations

import io
from datetime import date

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.factories import add_region
from tests.institutions.helpers import add_doctor, add_institution, csv_bytes, resident_id
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
    for url in ("/console/institutions", "/console/doctors"):
        response = app_client.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/console/login")


def test_create_form_shows_field_errors_then_saves(app_client: TestClient, container: Container) -> None:
    add_region(container)
    client = _signed_in(app_client, container)
    form = {"fixmedins_code": "h1", "name": "", "fixmedins_type": "1", "hosp_lv": "", "admdvs": "439901"}
    bad = client.post("/console/institutions/new", data=form)
    assert bad.status_code == 422
    assert (
        'id="err-fixmedins_code"' in bad.text
        and 'id="err-name"' in bad.text
        and 'id="err-hosp_lv"' in bad.text
    )
    assert "H43990100001" not in client.get("/console/institutions").text
    form.update(
        {
            "fixmedins_code": "H43990100001",
            "name": "示范县人民医院",
            "hosp_lv": "5",
            "agreement_begin": "2025-01-01",
        }
    )
    ok = client.post("/console/institutions/new", data=form, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/console/institutions/H43990100001"
    detail = client.get("/console/institutions/H43990100001").text
    assert "示范县人民医院" in detail and "2025-12-31" in detail and 'id="agreement-status"' in detail


def test_list_search_and_export(app_client: TestClient, container: Container) -> None:
    add_institution(container, "H43990100001", name="示范县人民医院")
    add_institution(container, "P43990100002", name="康民大药房", fixmedins_type="2", hosp_lv=None)
    client = _signed_in(app_client, container)
    page = client.get("/console/institutions", params={"q": "大药房"}).text
    assert "P43990100002" in page and "H43990100001" not in page
    filtered = client.get("/console/institutions", params={"fixmedins_type": "1"}).text
    assert "H43990100001" in filtered and "P43990100002" not in filtered
    export = client.get("/console/institutions/export.xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "H43990100001",
        "P43990100002",
    ]


def test_edit_agreement_and_departments_on_the_detail_page(
    app_client: TestClient, container: Container
) -> None:
    add_institution(container)
    client = _signed_in(app_client, container)
    bad_edit = client.post(
        "/console/institutions/H43990100001/edit", data={"name": "", "fixmedins_type": "1", "hosp_lv": "5"}
    )
    assert bad_edit.status_code == 422 and 'id="err-name"' in bad_edit.text
    ok_edit = client.post(
        "/console/institutions/H43990100001/edit",
        data={"name": "示范县中心医院", "fixmedins_type": "1", "hosp_lv": "5", "active": "1"},
        follow_redirects=False,
    )
    assert ok_edit.status_code == 303
    illegal = client.post("/console/institutions/H43990100001/agreement", data={"action": "resume"})
    assert illegal.status_code == 409 and "AGREEMENT_TRANSITION" in illegal.text
    signed = client.post(
        "/console/institutions/H43990100001/agreement",
        data={"action": "sign", "begin": "2025-01-01", "day": "2025-01-01"},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    bad_dept = client.post(
        "/console/institutions/H43990100001/departments",
        data={"dept_code": "NK01", "dept_name": "内科", "caty": "ZZ", "dept_begin": "2025-01-01"},
    )
    assert bad_dept.status_code == 422 and "DICT_CODE" in bad_dept.text
    client.post(
        "/console/institutions/H43990100001/departments",
        data={"dept_code": "NK01", "dept_name": "内科", "caty": "A03", "dept_begin": "2025-01-01"},
    )
    add_doctor(container, fixmedins_code="H43990100001", dept_code="NK01", begin=date(2025, 1, 1))
    detail = client.get("/console/institutions/H43990100001").text
    assert (
        "示范县中心医院" in detail
        and "NK01" in detail
        and "D43990100001" in detail
        and "2025-12-31" in detail
    )
    assert client.get("/console/institutions/H43990100999").status_code == 404


def test_doctor_pages(app_client: TestClient, container: Container) -> None:
    add_institution(container)
    client = _signed_in(app_client, container)
    bad = client.post(
        "/console/doctors/new",
        data={"kind": "doctor", "dr_code": "D1", "name": "张医生", "certno": "123", "admdvs": "439901"},
    )
    assert bad.status_code == 422 and 'id="err-dr_code"' in bad.text and 'id="err-certno"' in bad.text
    ok = client.post(
        "/console/doctors/new",
        data={
            "kind": "doctor",
            "dr_code": "D43990100001",
            "name": "张医生",
            "certno": resident_id(1),
            "admdvs": "439901",
            "fixmedins_code": "H43990100001",
            "begin": "2025-01-01",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/console/doctors/D43990100001"
    no_until = client.post(
        "/console/doctors/D43990100001/status", data={"action": "suspend", "reason": "扣分"}
    )
    assert no_until.status_code == 422 and 'id="err-until"' in no_until.text
    client.post(
        "/console/doctors/D43990100001/status",
        data={"action": "suspend", "reason": "扣分", "until": "2099-01-01"},
    )
    detail = client.get("/console/doctors/D43990100001").text
    assert "2099-01-01" in detail and "DOCTOR_SUSPENDED" in detail and resident_id(1) in detail
    listed = client.get("/console/doctors", params={"status": "suspended"}).text
    assert "D43990100001" in listed and "示范县人民医院" in listed
    overlap = client.post(
        "/console/doctors/D43990100001/links", data={"fixmedins_code": "H43990100001", "begin": "2025-03-01"}
    )
    assert overlap.status_code == 409 and "DOCTOR_LINK_OVERLAP" in overlap.text
    export = client.get("/console/doctors/export.xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [c.value for c in sheet[2]][:2] == ["D43990100001", "张医生"]


def test_import_page_lists_every_bad_row(app_client: TestClient, container: Container) -> None:
    add_region(container)
    client = _signed_in(app_client, container)
    assert client.get("/console/institutions/import").status_code == 200
    bad = csv_bytes(
        [
            ["fixmedins_code", "name", "fixmedins_type", "hosp_lv", "admdvs"],
            ["H43990100001", "好", "1", "5", "439901"],
            ["x", "", "1", "5", "439901"],
        ]
    )
    refused = client.post(
        "/console/institutions/import",
        data={"kind": "institutions"},
        files={"file": ("i.csv", bad, "text/csv")},
    )
    assert refused.status_code == 422
    assert 'id="import-errors"' in refused.text and "FIXMEDINS_CODE_FORMAT" in refused.text
    assert "H43990100001" not in client.get("/console/institutions").text
    good = csv_bytes(
        [
            ["dr_code", "name", "certno", "kind", "admdvs"],
            ["D43990100001", "张", resident_id(1), "医师", "439901"],
        ]
    )
    accepted = client.post(
        "/console/institutions/import", data={"kind": "doctors"}, files={"file": ("d.csv", good, "text/csv")}
    )
    assert accepted.status_code == 200 and 'id="import-ok"' in accepted.text
    assert "D43990100001" in client.get("/console/doctors").text
