"""REST API of benefit policies: load (JSON or file), list, show, diff, in force, schema; refusals."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import login
from tests.policy.helpers import (
    EMPLOYEES_2024,
    RESIDENTS_2024,
    RESIDENTS_2025,
    change,
    count_versions,
    sample,
    setup_region,
)
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.staff import service as staff


@pytest.fixture
def headers(container: Container, admin_headers: dict[str, str]) -> dict[str, str]:
    setup_region(container)
    return admin_headers


def _load(client: TestClient, headers: dict[str, str], name: str) -> dict[str, object]:
    response = client.post("/api/v1/policies", json={"toml": sample(name), "filename": name}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_policy_is_loaded_as_json_then_listed_and_shown(
    app_client: TestClient, headers: dict[str, str]
) -> None:
    body = _load(app_client, headers, EMPLOYEES_2024)
    assert body["status"] == "loaded" and body["closed"] == []
    policy_id = body["policy"]["id"]  # type: ignore[index]
    listing = app_client.get("/api/v1/policies", params={"insutype": "310"}, headers=headers).json()
    assert listing["total"] == 1 and listing["items"][0]["version"] == "2024"
    detail = app_client.get(f"/api/v1/policies/{policy_id}", headers=headers).json()
    assert detail["document"]["caps"]["pool"] == "150000.00"
    assert detail["source"] == sample(EMPLOYEES_2024) and detail["filename"] == EMPLOYEES_2024
    again = app_client.post("/api/v1/policies", json={"toml": sample(EMPLOYEES_2024)}, headers=headers)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"


def test_a_policy_file_is_uploaded_as_multipart(app_client: TestClient, headers: dict[str, str]) -> None:
    files = {"file": (RESIDENTS_2024, sample(RESIDENTS_2024).encode(), "application/toml")}
    response = app_client.post("/api/v1/policies", files=files, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["policy"]["filename"] == RESIDENTS_2024


def test_a_newer_version_closes_the_old_one_and_the_diff_lists_the_changes(
    app_client: TestClient, headers: dict[str, str]
) -> None:
    old = _load(app_client, headers, RESIDENTS_2024)["policy"]["id"]  # type: ignore[index]
    body = _load(app_client, headers, RESIDENTS_2025)
    assert [c["version"] for c in body["closed"]] == ["2024"]  # type: ignore[attr-defined]
    new = body["policy"]["id"]  # type: ignore[index]
    diff = app_client.get(f"/api/v1/policies/{old}/diff/{new}", headers=headers).json()
    changes = {c["path"]: c for c in diff["changes"]}
    assert changes["caps.pool"] == {
        "path": "caps.pool",
        "old": "100000.00",
        "new": "120000.00",
        "unit": "yuan",
    }
    assert changes["benefits.0.ratio.3"]["new"] == "0.60"
    in_force = app_client.get(
        "/api/v1/policies/in-force",
        params={"admdvs": "439901", "insutype": "390", "on": "2024-07-01"},
        headers=headers,
    )
    assert in_force.status_code == 200 and in_force.json()["id"] == old
    on = app_client.get("/api/v1/policies", params={"on": "2025-02-01"}, headers=headers).json()
    assert [r["version"] for r in on["items"]] == ["2025"]


def test_a_broken_file_answers_422_with_every_key_path(
    container: Container, app_client: TestClient, headers: dict[str, str]
) -> None:
    text = change(change(sample(EMPLOYEES_2024), "pool", "1.5"), "default_selfpay_ratio", "0.1")
    response = app_client.post("/api/v1/policies", json={"toml": text}, headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "POLICY_INVALID"
    assert {e["field"] for e in error["errors"]} == {"caps.pool", "default_selfpay_ratio"}
    assert count_versions(container) == 0


def test_a_body_without_toml_answers_422_naming_the_field(
    app_client: TestClient, headers: dict[str, str]
) -> None:
    response = app_client.post("/api/v1/policies", json={"text": "x"}, headers=headers)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["error"]["errors"]} == {"toml", "text"}
    empty = app_client.post("/api/v1/policies", files={"other": ("a", b"")}, headers=headers)
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "file"


def test_an_overlap_answers_409(app_client: TestClient, headers: dict[str, str]) -> None:
    _load(app_client, headers, RESIDENTS_2024)
    text = change(sample(RESIDENTS_2024), "version", '"again"')
    response = app_client.post("/api/v1/policies", json={"toml": text}, headers=headers)
    assert response.status_code == 409 and response.json()["error"]["code"] == "POLICY_OVERLAP"


def test_the_schema_is_served(app_client: TestClient, headers: dict[str, str]) -> None:
    schema = app_client.get("/api/v1/policies/schema", headers=headers).json()
    assert "benefits" in schema["properties"] and "BenefitRule" in schema["$defs"]


def test_users_of_another_region_get_404_and_cannot_load(
    container: Container, app_client: TestClient, headers: dict[str, str]
) -> None:
    policy_id = _load(app_client, headers, EMPLOYEES_2024)["policy"]["id"]  # type: ignore[index]
    with container.uow(SYSTEM) as uow:
        staff.create_user(
            uow=uow,
            username="neighbour",
            password="user-pass-123",
            display_name="邻市管理员",
            roles=["admin"],
            regions=["439902"],
        )
    other = login(app_client, "neighbour", "user-pass-123")
    assert app_client.get(f"/api/v1/policies/{policy_id}", headers=other).status_code == 404
    assert app_client.get("/api/v1/policies", headers=other).json()["total"] == 0
    params = {"admdvs": "439901", "insutype": "310", "on": "2024-05-01"}
    assert app_client.get("/api/v1/policies/in-force", params=params, headers=other).status_code == 404
    text = change(sample(EMPLOYEES_2024), "version", '"x"')
    assert app_client.post("/api/v1/policies", json={"toml": text}, headers=other).status_code == 403


def test_reading_needs_a_signed_in_user(app_client: TestClient) -> None:
    assert app_client.get("/api/v1/policies").status_code == 401
