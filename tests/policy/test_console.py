"""Console pages of benefit policies: list with filters, detail by section, upload with error report, diff."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.policy.helpers import (
    EMPLOYEES_2024,
    RESIDENTS_2024,
    RESIDENTS_2025,
    change,
    count_versions,
    load,
    sample,
    setup_region,
)
from yibao.bootstrap import Container
from yibao.core.excel import XLSX_MEDIA_TYPE
from yibao.core.security import SYSTEM
from yibao.staff import service as staff


def _sign_in(client: TestClient, username: str, password: str) -> TestClient:
    response = client.post(
        "/console/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def admin_client(container: Container, app_client: TestClient) -> TestClient:
    setup_region(container)
    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    return _sign_in(app_client, "admin", "admin-pass-123")


@pytest.fixture
def reader_client(container: Container, app_client: TestClient) -> TestClient:
    setup_region(container)
    with container.uow(SYSTEM) as uow:
        staff.create_user(
            uow=uow,
            username="reader",
            password="user-pass-123",
            display_name="读者",
            roles=["analyst"],
            regions=["439901"],
        )
    return _sign_in(app_client, "reader", "user-pass-123")


def _upload(client: TestClient, name: str, text: str) -> object:
    return client.post(
        "/console/policy/load",
        files={"file": (name, text.encode(), "application/toml")},
        follow_redirects=False,
    )


def test_pages_need_a_session(app_client: TestClient) -> None:
    response = app_client.get("/console/policy", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/console/login")


def test_an_upload_shows_the_new_version_with_every_section(admin_client: TestClient) -> None:
    response = _upload(admin_client, EMPLOYEES_2024, sample(EMPLOYEES_2024))
    assert response.status_code == 303  # type: ignore[attr-defined]
    html = admin_client.get(response.headers["location"]).text  # type: ignore[attr-defined]
    assert "已载入新版本" in html
    for section in (
        "policy-general",
        "policy-caps",
        "benefit-0-levels",
        "benefit-0-bands",
        "benefit-2-diseases",
        "policy-cvlserv",
        "policy-hifmi",
        "policy-account",
        "policy-exclusions",
        "policy-injury-causes",
    ):
        assert f'id="{section}"' in html, section
    assert "起付线（元）" in html and "800.00" in html and "85%" in html and "+3%" in html
    assert "150000.00" in html and "定额支付" in html and "3000.00" in html
    assert "女性不孕症治疗" in html and "不予支付" in html and "打架斗殴" in html


def test_the_residents_detail_shows_tilts_tiers_and_assistance(
    admin_client: TestClient, container: Container
) -> None:
    row = load(container, sample(RESIDENTS_2024)).policy
    html = admin_client.get(f"/console/policy/{row.id}").text
    for section in ("benefit-0-tilts", "policy-hifmi-tiers", "policy-hifmi-tilts", "policy-maf"):
        assert f'id="{section}"' in html, section
    assert "无个人账户" in html and "个人负担的政策范围内费用" in html and "60000.00" in html


def test_a_broken_upload_lists_each_key_path_and_stores_nothing(
    admin_client: TestClient, container: Container
) -> None:
    text = change(change(sample(EMPLOYEES_2024), "pool", "1.5"), "default_selfpay_ratio", "0.1")
    response = _upload(admin_client, "bad.toml", text)
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert 'id="load-errors"' in html and "caps.pool" in html and "default_selfpay_ratio" in html
    assert "年度封顶线 › pool" in html and "POLICY_FLOAT" in html
    assert count_versions(container) == 0
    missing = admin_client.post("/console/policy/load", files={"other": ("x", b"")})
    assert missing.status_code == 422 and 'id="err-file"' in missing.text


def test_the_list_filters_and_exports(admin_client: TestClient, container: Container) -> None:
    for name in (EMPLOYEES_2024, RESIDENTS_2024, RESIDENTS_2025):
        load(container, sample(name))
    html = admin_client.get("/console/policy").text
    assert 'id="policies"' in html and 'href="/console/policy"' in html and "待遇政策" in html
    assert 'id="load"' in html
    only = admin_client.get("/console/policy", params={"insutype": "390", "on": "2024-06-01"}).text
    assert "城乡居民基本医疗保险待遇政策（2024）" in only and "（2025）" not in only and "职工" not in only
    bad = admin_client.get("/console/policy", params={"on": "2024-02-30"})
    assert bad.status_code == 422 and "DATE_FORMAT" in bad.text
    export = admin_client.get("/console/policy/export.xlsx", params={"insutype": "390"})
    assert export.headers["content-type"] == XLSX_MEDIA_TYPE
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][0] == "编号"


def test_the_diff_page_lists_the_changed_keys(admin_client: TestClient, container: Container) -> None:
    old = load(container, sample(RESIDENTS_2024)).policy.id
    new = load(container, sample(RESIDENTS_2025)).policy.id
    chooser = admin_client.get("/console/policy/diff").text
    assert 'id="diff-form"' in chooser and 'id="diff-table"' not in chooser
    html = admin_client.get("/console/policy/diff", params={"a": old, "b": new}).text
    assert 'id="diff-table"' in html and "caps.pool" in html and "100000.00 元" in html
    assert "120000.00 元" in html and "55%" in html and "60%" in html and "支付比例 › 三级" in html
    detail = admin_client.get(f"/console/policy/{new}").text
    assert f"/console/policy/diff?a={old}&b={new}" in detail
    missing = admin_client.get("/console/policy/diff", params={"a": old, "b": 999})
    assert missing.status_code == 404 and "POLICY_NOT_FOUND" in missing.text


def test_a_reader_sees_policies_but_not_the_load_button(
    reader_client: TestClient, container: Container
) -> None:
    row = load(container, sample(EMPLOYEES_2024)).policy
    html = reader_client.get("/console/policy").text
    assert f'id="policy-{row.id}"' in html and 'id="load"' not in html
    assert reader_client.get(f"/console/policy/{row.id}").status_code == 200
    refused = _upload(reader_client, "x.toml", change(sample(EMPLOYEES_2024), "version", '"x"'))
    assert refused.status_code == 403  # type: ignore[attr-defined]


def test_a_version_of_another_region_is_not_found(admin_client: TestClient, container: Container) -> None:
    with container.uow(SYSTEM) as uow:
        staff.create_user(
            uow=uow,
            username="neighbour",
            password="user-pass-123",
            display_name="邻市",
            roles=["admin"],
            regions=["439902"],
        )
    row = load(container, sample(EMPLOYEES_2024)).policy
    admin_client.cookies.clear()
    _sign_in(admin_client, "neighbour", "user-pass-123")
    assert admin_client.get(f"/console/policy/{row.id}").status_code == 404
    assert f'id="policy-{row.id}"' not in admin_client.get("/console/policy").text


def test_the_pages_render_in_english(admin_client: TestClient, container: Container) -> None:
    row = load(container, sample(EMPLOYEES_2024)).policy
    html = admin_client.get(f"/console/policy/{row.id}", params={"lang": "en"}).text
    assert "Deductible (yuan)" in html and "Cost bands" in html and "Exclusions" in html
    assert "Nth admission factors" in html and "#1 100%" in html and "#2 50%" in html
    assert "Load a policy file" in admin_client.get("/console/policy/load").text
