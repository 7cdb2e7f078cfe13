"""Fuzzing the review routes from the OpenAPI description: no 500s, one error shape for refusals.

The same check as tests/web/test_api_fuzz.py, limited to /api/v1/review and run on a declared
month so the generated calls reach past "not found" into the business rules.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from tests.factories import login
from tests.review.helpers import declare, settled_month
from yibao.bootstrap import Container
from yibao.web.app import create_app


@pytest.fixture
def review_app(container: Container) -> Any:
    settled_month(container, bills=1)
    declare(container)
    return create_app(container)


@pytest.fixture
def review_schema(review_app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", review_app).include(path_regex="^/api/v1/review")


@pytest.fixture
def headers(review_app: Any, container: Container) -> dict[str, str]:
    from yibao.staff import service as staff

    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    with TestClient(review_app) as client:
        return login(client, "admin", "admin-pass-123")


schema = schemathesis.pytest.from_fixture("review_schema").include(path_regex="^/api/v1/review")


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_review_routes_never_fail_with_a_server_error(case: Any, headers: dict[str, str]) -> None:
    response = case.call(headers=headers)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
    if response.status_code >= 400:
        body = response.json()
        assert body["error"]["code"], body
        assert body["error"]["message"], body
