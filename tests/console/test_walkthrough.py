"""Console walk-through in headless Chromium: sign in, register, see field errors and the audit row."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser import sign_in

pytestmark = pytest.mark.browser


def test_login_create_region_and_see_its_audit_row(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/console/regions")
    assert "/console/login" in page.url  # not signed in: sent to the login page
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/regions/new")
    page.fill("#f-admdvs", "4399")
    page.fill("#f-name", "示范县")
    page.fill("#f-begin", "2020-01-01")
    page.click("#save")
    assert "统筹区编码必须为6位数字" in page.inner_text("#err-admdvs")
    page.fill("#f-admdvs", "439901")
    page.click("#save")
    page.wait_for_url(f"{live_server}/console/regions/439901")
    assert "示范县" in page.inner_text("h1")
    page.goto(f"{live_server}/console/audit?entity=region")
    row = page.inner_text("#audit-table tbody")
    assert "region.create" in row and "admin" in row and "439901" in row


def test_wrong_password_shows_a_chinese_message(live_server: str, page: Page) -> None:
    page.goto(f"{live_server}/console/login")
    page.fill("#f-username", "admin")
    page.fill("#f-password", "wrong-password")
    page.click("#login-submit")
    assert "用户名或密码错误" in page.inner_text("#error-summary")


def test_english_can_be_chosen(live_server: str, page: Page) -> None:
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/regions?lang=en")
    assert page.inner_text("h1") == "Pooling regions"
    page.goto(f"{live_server}/console/regions")
    assert page.inner_text("h1") == "Pooling regions"  # the choice is remembered
