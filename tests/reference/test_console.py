"""Console pages of reference data: versions, dictionaries, ICD search with gray marking, crosswalks."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.reference.helpers import add_user, console_login
from yibao.bootstrap import Container
from yibao.core.excel import XLSX_MEDIA_TYPE
from yibao.staff import service as staff


@pytest.fixture
def admin_client(container: Container, app_client: TestClient) -> TestClient:
    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    console_login(app_client, "admin", "admin-pass-123")
    return app_client


@pytest.fixture
def reader_client(container: Container, app_client: TestClient) -> TestClient:
    add_user(container, "reader")
    console_login(app_client, "reader", "user-pass-123")
    return app_client


def test_pages_need_a_signed_in_user(app_client: TestClient) -> None:
    response = app_client.get("/console/reference", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert "/console/login" in response.headers["location"]


def test_the_versions_page_lists_every_data_set_for_any_user(reader_client: TestClient) -> None:
    html = reader_client.get("/console/reference").text
    assert 'id="datasets"' in html and "yb-2.0" in html and "hunan-1.1.27" in html
    assert 'href="/console/reference"' in html  # the navigation entry 参考数据
    assert "参考数据" in html
    assert 'id="load-form"' not in html  # only administrators load


def test_an_administrator_sees_the_load_form_and_a_reload_is_skipped(admin_client: TestClient) -> None:
    assert 'id="load-form"' in admin_client.get("/console/reference").text
    response = admin_client.post("/console/reference/load", data={"only": "icd9", "begin": "2024-01-01"})
    assert response.status_code == 200
    assert 'id="load-results"' in response.text and "已加载，跳过" in response.text


def test_a_bad_load_form_is_shown_again_with_the_field_error(admin_client: TestClient) -> None:
    response = admin_client.post("/console/reference/load", data={"only": "icd9", "begin": "2024-02-30"})
    assert response.status_code == 422
    assert 'id="err-begin"' in response.text and "DATE_FORMAT" in response.text


def test_the_dictionary_browser_lists_dictionaries_then_codes(reader_client: TestClient) -> None:
    listing = reader_client.get("/console/reference/dicts", params={"q": "insutype"}).text
    assert 'href="/console/reference/dicts/insutype"' in listing and "险种类型" in listing
    codes = reader_client.get("/console/reference/dicts/insutype").text
    assert 'id="dict-codes"' in codes and "职工基本医疗保险" in codes
    missing = reader_client.get("/console/reference/dicts/no_such_dict")
    assert missing.status_code == 404 and "DICT_NOT_FOUND" in missing.text


def test_icd_search_marks_gray_codes_as_not_settleable(reader_client: TestClient) -> None:
    html = reader_client.get("/console/reference/icd", params={"system": "icd10", "q": "A00.0"}).text
    assert 'id="icd-results"' in html and "A00.000x001" in html
    assert "灰码 不可结算" in html
    only_gray = reader_client.get(
        "/console/reference/icd", params={"system": "icd9", "q": "00.01", "gray": "1"}
    )
    assert "00.0100" in only_gray.text and "00.0101" not in only_gray.text


def test_icd_search_with_an_unknown_system_names_the_field(reader_client: TestClient) -> None:
    response = reader_client.get("/console/reference/icd", params={"system": "icd11"})
    assert response.status_code == 422 and "ICD_SYSTEM" in response.text


def test_the_icd_detail_page_shows_the_gray_badge_and_the_sources(reader_client: TestClient) -> None:
    gray = reader_client.get("/console/reference/icd/icd10/A00.000").text
    assert 'id="icd-detail"' in gray and "灰码 不可结算" in gray
    mapped = reader_client.get("/console/reference/icd/icd10/A01.002%2BG01%2A").text
    assert "A01.000x003+G01*" in mapped and "伤寒并发脑膜炎" in mapped
    assert reader_client.get("/console/reference/icd/icd10/Z99.999").status_code == 404


def test_the_crosswalk_form_converts_a_code_to_the_yb_edition(reader_client: TestClient) -> None:
    empty = reader_client.get("/console/reference/crosswalk").text
    assert 'id="crosswalk-form"' in empty and 'id="crosswalk-results"' not in empty
    params = {"system": "icd10", "edition": "yb_1.0", "code": "A18.800x041"}
    html = reader_client.get("/console/reference/crosswalk", params=params).text
    assert 'id="crosswalk-results"' in html and "A18.300x016" in html


def test_the_crosswalk_form_shows_the_field_error(reader_client: TestClient) -> None:
    params = {"system": "icd10", "edition": "clinical_3.0", "code": "A00.000"}
    response = reader_client.get("/console/reference/crosswalk", params=params)
    assert response.status_code == 422 and 'id="err-edition"' in response.text


def test_icd_search_exports_to_excel(reader_client: TestClient) -> None:
    response = reader_client.get(
        "/console/reference/icd/export.xlsx", params={"system": "icd9", "q": "00.01"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX_MEDIA_TYPE and response.content[:2] == b"PK"


def test_english_labels_are_offered(reader_client: TestClient) -> None:
    html = reader_client.get("/console/reference/icd", params={"q": "A00.000", "lang": "en"}).text
    assert "Gray code, not settleable" in html
