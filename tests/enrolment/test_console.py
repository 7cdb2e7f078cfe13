"""Console pages of enrolment (server-rendered, through the HTTP client): forms, masking, import report."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.enrolment.helpers import add_unit, certno, enrol, relation_id
from tests.factories import add_region
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.enrolment import service
from yibao.staff import service as staff


def _sign_in(container: Container, client: TestClient, role: str = "admin", region: str = "439901") -> None:
    if role == "admin":
        with container.uow(SYSTEM) as uow:
            staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
        username, password = "admin", "admin-pass-123"
    else:
        username, password = f"{role}1", "password-123"
        with container.uow(SYSTEM) as uow:
            staff.create_user(
                uow=uow,
                username=username,
                password=password,
                display_name=username,
                roles=[role],
                regions=[region],
            )
    client.cookies.clear()
    response = client.post("/console/login", data={"username": username, "password": password})
    assert response.status_code == 200, response.text


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)<', html, re.S)
    assert match, f"#{element_id} missing"
    return match.group(1).strip()


def test_enrol_form_shows_field_errors_then_saves(container: Container, app_client: TestClient) -> None:
    add_region(container)
    _sign_in(container, app_client)
    form = app_client.get("/console/enrolment/persons/new")
    assert form.status_code == 200 and 'id="save"' in form.text and "职工基本医疗保险" in form.text
    data = {
        "certno": "110101198001011230",
        "name": "",
        "admdvs": "439901",
        "insutype": "310",
        "psn_type": "11",
        "begin": "2024-01-01",
    }
    refused = app_client.post("/console/enrolment/persons/new", data=data)
    assert refused.status_code == 422
    assert "身份证号校验位错误" in _text(refused.text, "err-certno")
    assert "不能为空" in _text(refused.text, "err-name")
    data.update(certno=certno(), name="张三")
    saved = app_client.post("/console/enrolment/persons/new", data=data, follow_redirects=False)
    assert (
        saved.status_code == 303
        and saved.headers["location"] == "/console/enrolment/persons/4399010000000001"
    )
    detail = app_client.get(saved.headers["location"])
    assert _text(detail.text, "person-certno") == certno()
    listed = app_client.get("/console/enrolment/persons?q=张")
    assert "4399010000000001" in listed.text


def test_detail_masks_the_id_for_roles_without_the_permission(
    container: Container, app_client: TestClient
) -> None:
    add_region(container)
    person = enrol(container)
    _sign_in(container, app_client, "analyst")
    detail = app_client.get(f"/console/enrolment/persons/{person.psn_no}")
    assert _text(detail.text, "person-certno") == "110***********" + certno()[-4:]
    assert certno() not in detail.text
    assert 'id="contribution-form"' not in detail.text  # readers get no write forms
    export = app_client.get("/console/enrolment/persons/export.xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"


def test_detail_sections_contributions_and_transfer(container: Container, app_client: TestClient) -> None:
    add_region(container)
    add_region(container, "439902", "乙县")
    person = enrol(container)
    rid = relation_id(container, person.psn_no)
    _sign_in(container, app_client)
    url = f"/console/enrolment/persons/{person.psn_no}"
    bad = app_client.post(
        f"{url}/contributions", data={"relation_id": str(rid), "period": "2024-01", "individual": "1.234"}
    )
    assert bad.status_code == 422 and "最多两位小数" in bad.text
    ok = app_client.post(
        f"{url}/contributions",
        data={
            "relation_id": str(rid),
            "period": "2024-01",
            "individual": "100.00",
            "base_wage": "5000",
            "paid_on": "2024-01-20",
        },
    )
    assert ok.status_code == 200
    assert _text(ok.text, "account-balance") == "100.00" and _text(ok.text, "paid-months") == "1"
    moved = app_client.post(f"{url}/transfer", data={"to_admdvs": "439902", "on": "2024-02-01"})
    assert moved.status_code == 200
    transfers = moved.text.split('id="transfers-table"')[1].split("</table>")[0]
    assert "<td>439901</td><td>439902</td>" in transfers
    with container.uow(SYSTEM) as uow:
        assert service.get_person(uow=uow, psn_no=person.psn_no).admdvs == "439902"


def test_import_page_lists_row_errors(container: Container, app_client: TestClient) -> None:
    add_region(container)
    _sign_in(container, app_client)
    csv_bad = f"certno,name,admdvs,insutype,psn_type,begin\n{certno()},,439901,390,15,2024-01-01\n"
    page = app_client.post(
        "/console/enrolment/persons/import", files={"file": ("p.csv", csv_bad.encode(), "text/csv")}
    )
    assert page.status_code == 422 and 'id="import-errors"' in page.text and "REQUIRED" in page.text
    csv_ok = f"certno,name,admdvs,insutype,psn_type,begin\n{certno()},张三,439901,390,15,2024-01-01\n"
    page = app_client.post(
        "/console/enrolment/persons/import", files={"file": ("p.csv", csv_ok.encode(), "text/csv")}
    )
    assert page.status_code == 200 and 'id="import-ok"' in page.text


def test_units_pages_and_arrears(container: Container, app_client: TestClient) -> None:
    add_region(container)
    code = add_unit(container)
    person = enrol(container, unit_uscc=code)
    with container.uow(SYSTEM) as uow:
        service.record_contribution(
            uow=uow,
            psn_no=person.psn_no,
            relation_id=relation_id(container, person.psn_no),
            period="2024-01",
            individual_fen=100,
            base_wage_fen=5000,
        )
    _sign_in(container, app_client)
    assert code in app_client.get("/console/enrolment/units").text
    assert _text(app_client.get(f"/console/enrolment/units/{code}").text, "unit-members") == "1"
    refused = app_client.post(
        "/console/enrolment/units/new",
        data={
            "uscc": "X",
            "name": "乙",
            "admdvs": "439901",
            "unit_type": "enterprise",
            "begin": "2020-01-01",
        },
    )
    assert refused.status_code == 422 and "统一社会信用代码必须为18位" in refused.text
    arrears = app_client.get("/console/enrolment/arrears")
    assert person.psn_no in arrears.text and "2024-01" in arrears.text
    assert app_client.get("/console/enrolment/persons/4399019999999999").status_code == 404
