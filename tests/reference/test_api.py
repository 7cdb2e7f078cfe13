"""REST API of reference data: any signed-in user reads, administrators load; refusals name the field."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.reference.helpers import ICD9_FILE, copy_reference, restore_reference, user_headers
from yibao.bootstrap import Container
from yibao.core.security import Role

__all__ = ["restore_reference"]

API = "/api/v1/reference"


@pytest.fixture
def reader(container: Container, app_client: TestClient) -> dict[str, str]:
    """An analyst: signed in, no special permission."""
    return user_headers(container, app_client, Role.ANALYST)


def test_reading_needs_a_signed_in_user(app_client: TestClient) -> None:
    response = app_client.get(f"{API}/diagnoses")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTH_REQUIRED"


def test_any_signed_in_user_lists_the_data_set_versions(
    app_client: TestClient, reader: dict[str, str]
) -> None:
    body = app_client.get(f"{API}/datasets", headers=reader).json()
    kinds = {d["kind"]: d for d in body["items"]}
    assert set(kinds) == {
        "dict",
        "icd10",
        "icd9",
        "icd10_map_clinical_2.0",
        "icd10_map_yb_1.0",
        "icd9_map_clinical_3.0",
        "icd9_map_yb_1.0",
    }
    assert kinds["icd10"]["rows"] == 33307 and kinds["icd10"]["end"] is None
    assert kinds["icd10"]["begin"] == "2024-01-01"
    only = app_client.get(f"{API}/datasets", params={"kind": "icd9"}, headers=reader).json()
    assert [d["kind"] for d in only["items"]] == ["icd9"]


def test_an_unknown_data_set_kind_is_a_422_naming_the_field(
    app_client: TestClient, reader: dict[str, str]
) -> None:
    response = app_client.get(f"{API}/datasets", params={"kind": "drg"}, headers=reader)
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["field"] == "kind"


def test_dictionaries_and_their_codes(app_client: TestClient, reader: dict[str, str]) -> None:
    dicts = app_client.get(f"{API}/dicts", headers=reader).json()
    insutype = next(d for d in dicts if d["name"] == "insutype")
    assert insutype["label"] == "险种类型" and insutype["codes"] > 5
    codes = app_client.get(f"{API}/dicts/insutype", params={"q": "310"}, headers=reader).json()
    assert [(c["code"], c["label"]) for c in codes["items"]] == [("310", "职工基本医疗保险")]
    by_label = app_client.get(f"{API}/dicts/insutype", params={"q": "城乡居民"}, headers=reader).json()
    assert "390" in {c["code"] for c in by_label["items"]}


def test_an_unknown_dictionary_is_404(app_client: TestClient, reader: dict[str, str]) -> None:
    response = app_client.get(f"{API}/dicts/no_such_dict", headers=reader)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "DICT_NOT_FOUND"


def test_search_diagnoses_by_code_prefix_and_by_name(app_client: TestClient, reader: dict[str, str]) -> None:
    by_code = app_client.get(f"{API}/diagnoses", params={"q": "A00.", "size": 5}, headers=reader).json()
    assert by_code["items"][0]["code"] == "A00.000" and by_code["items"][0]["gray"] is True
    assert all(i["code"].startswith("A00.") for i in by_code["items"])
    by_name = app_client.get(f"{API}/diagnoses", params={"q": "伤寒性脑膜炎"}, headers=reader).json()
    assert "A01.002+G01*" in {i["code"] for i in by_name["items"]}
    settleable = app_client.get(
        f"{API}/diagnoses", params={"q": "A00.", "gray": "false"}, headers=reader
    ).json()
    assert settleable["total"] > 0 and not any(i["gray"] for i in settleable["items"])
    paged = app_client.get(f"{API}/diagnoses", params={"page": 2, "size": 10}, headers=reader).json()
    assert (paged["total"], paged["page"], len(paged["items"])) == (33307, 2, 10)


def test_one_diagnosis_with_the_codes_mapping_to_it(app_client: TestClient, reader: dict[str, str]) -> None:
    body = app_client.get(f"{API}/diagnoses/{quote('A01.002+G01*')}", headers=reader).json()
    assert (body["name"], body["gray"], body["version"]) == ("伤寒性脑膜炎", False, "yb-2.0")
    sources = {(s["from_edition"], s["from_code"]) for s in body["sources"]}
    assert ("clinical_2.0", "A01.000x003+G01*") in sources


def test_an_unknown_diagnosis_is_404_naming_the_code(app_client: TestClient, reader: dict[str, str]) -> None:
    response = app_client.get(f"{API}/diagnoses/Z99.999x999", headers=reader)
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("ICD_NOT_FOUND", "code")
    assert "Z99.999x999" in error["message"]


def test_procedures_search_and_detail(app_client: TestClient, reader: dict[str, str]) -> None:
    found = app_client.get(f"{API}/procedures", params={"q": "00.01"}, headers=reader).json()
    assert found["items"][0] == {
        "system": "icd9",
        "code": "00.0100",
        "name": "头和颈部血管治疗性超声",
        "gray": True,
        "begin": "2024-01-01",
        "end": None,
    }
    detail = app_client.get(f"{API}/procedures/00.0101", headers=reader).json()
    assert (detail["name"], detail["gray"]) == ("头部血管治疗性超声", False)


def test_crosswalk_by_exact_code_with_the_target_name_and_gray_flag(
    app_client: TestClient, reader: dict[str, str]
) -> None:
    params = {"system": "icd10", "edition": "clinical_2.0", "code": "A01.000x003†G01*"}
    body = app_client.get(f"{API}/crosswalk", params=params, headers=reader).json()
    assert body["items"] == [
        {
            "system": "icd10",
            "from_edition": "clinical_2.0",
            "from_code": "A01.000x003+G01*",
            "from_name": "伤寒并发脑膜炎",
            "to_code": "A01.002+G01*",
            "to_name": "伤寒性脑膜炎",
            "to_gray": False,
        }
    ]
    yb1 = app_client.get(
        f"{API}/crosswalk",
        params={"system": "icd9", "edition": "yb_1.0", "code": "01.3900x003"},
        headers=reader,
    ).json()
    assert [i["to_code"] for i in yb1["items"]] == ["01.0900x006"]


def test_crosswalk_target_missing_from_the_list_has_no_name(
    app_client: TestClient, reader: dict[str, str]
) -> None:
    params = {"system": "icd10", "edition": "clinical_2.0", "code": "P78.300x004"}
    item = app_client.get(f"{API}/crosswalk", params=params, headers=reader).json()["items"][0]
    assert (item["to_code"], item["to_name"]) == ("K30.x00x002", None)


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"system": "icd11"}, "system", "ICD_SYSTEM"),
        ({"system": "icd10", "edition": "clinical_3.0"}, "edition", "ICD_EDITION"),
        ({"system": "icd10", "page": "0"}, "page", "PAGE_RANGE"),
        ({"system": "icd10", "size": "abc"}, "size", "VALIDATION"),
        ({}, "system", "VALIDATION"),
    ],
)
def test_bad_crosswalk_queries_are_422_naming_the_field(
    app_client: TestClient, reader: dict[str, str], params: dict[str, str], field: str, code: str
) -> None:
    response = app_client.get(f"{API}/crosswalk", params=params, headers=reader)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code and error["errors"][0]["field"] == field


def test_a_reader_may_not_load(app_client: TestClient, reader: dict[str, str]) -> None:
    response = app_client.post(f"{API}/load", json={"begin": "2024-01-01"}, headers=reader)
    assert response.status_code == 403


def test_loading_the_loaded_version_again_answers_skipped(
    app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = app_client.post(
        f"{API}/load", json={"begin": "2024-01-01", "only": "icd10"}, headers=admin_headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == [
        {
            "kind": "icd10",
            "version": "yb-2.0",
            "rows": 0,
            "skipped": True,
            "bad_lines": 0,
            "duplicates": 0,
            "notes": [],
            "closed": None,
        }
    ]


@pytest.mark.usefixtures("restore_reference")
def test_an_administrator_loads_a_new_version_through_the_api(
    container: Container,
    app_client: TestClient,
    admin_headers: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = copy_reference(
        container.settings.reference_dir, tmp_path, change={"00.0101": "00.0101 改"}, file=ICD9_FILE
    )
    monkeypatch.setattr(container.settings, "reference_dir", folder)
    body = {"begin": "2025-01-01", "only": "icd9", "version": "yb-2.0-r2"}
    response = app_client.post(f"{API}/load", json=body, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert [(r["kind"], r["rows"], r["closed"]) for r in response.json()] == [("icd9", 13686, "yb-2.0")]
    versions = app_client.get(f"{API}/datasets", params={"kind": "icd9"}, headers=admin_headers).json()[
        "items"
    ]
    assert [(v["version"], v["end"]) for v in versions] == [("yb-2.0-r2", None), ("yb-2.0", "2024-12-31")]
    detail = app_client.get(f"{API}/procedures/00.0101", headers=admin_headers).json()
    assert (detail["name"], detail["version"]) == ("改", "yb-2.0-r2")


def test_a_new_version_name_over_the_same_files_changes_nothing(
    app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {"begin": "2030-01-01", "only": "crosswalk", "version": "renamed"}
    results = app_client.post(f"{API}/load", json=body, headers=admin_headers).json()
    assert len(results) == 4 and all(r["skipped"] and r["version"] == "yb-2.0" for r in results)
    versions = app_client.get(f"{API}/datasets", headers=admin_headers).json()["items"]
    assert all(v["version"] != "renamed" and v["end"] is None for v in versions)


def test_control_characters_in_a_search_are_refused(app_client: TestClient, reader: dict[str, str]) -> None:
    for url in (f"{API}/diagnoses?q=%00", f"{API}/procedures/00%00", f"{API}/crosswalk?system=icd9&code=%01"):
        response = app_client.get(url, headers=reader)
        assert response.status_code == 422, url
        assert response.json()["error"]["code"] == "TEXT_CONTROL"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"begin": "2024-01-01", "only": "drg"}, "only"),
        ({"begin": "2024-13-01"}, "begin"),
        ({"begin": "2024-01-01", "version": "v2"}, "version"),
        ({"begin": "2024-01-01", "extra": 1}, "extra"),
    ],
)
def test_bad_load_requests_are_422_naming_the_field(
    app_client: TestClient, admin_headers: dict[str, str], body: dict[str, object], field: str
) -> None:
    response = app_client.post(f"{API}/load", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["field"] == field
