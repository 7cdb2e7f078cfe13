"""Fuzzing every REST operation from the OpenAPI description: no 500s, one error shape for refusals."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from tests.factories import add_region, login
from yibao.bootstrap import Container
from yibao.web.app import create_app


@pytest.fixture
def api_app(container: Container) -> Any:
    add_region(container)
    return create_app(container)


@pytest.fixture
def api_schema(api_app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", api_app)


@pytest.fixture
def auth_headers(api_app: Any, container: Container) -> dict[str, str]:
    from yibao.staff import service as staff

    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    with TestClient(api_app) as client:
        return login(client, "admin", "admin-pass-123")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any, auth_headers: dict[str, str]) -> None:
    response = case.call(headers=auth_headers)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
    if response.status_code >= 400:
        body = response.json()
        assert body["error"]["code"], body
        assert body["error"]["message"], body


def test_nul_bytes_in_a_search_are_refused_not_crashed(api_app: Any, auth_headers: dict[str, str]) -> None:
    with TestClient(api_app) as client:
        response = client.get("/api/v1/regions", params={"q": "\x00"}, headers=auth_headers)
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert response.json()["error"]["code"] == "INPUT_UNSTORABLE"
