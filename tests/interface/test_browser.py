"""Interface console in headless Chromium: issue a credential (field error first), see it, read the log."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser import sign_in
from tests.settlement.helpers import HOSPITAL, build_world
from yibao.bootstrap import Container

pytestmark = pytest.mark.browser


def test_issue_a_credential_from_the_console(container: Container, live_server: str, page: Page) -> None:
    build_world(container)
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/interface")
    page.click("#new-credential")
    page.fill("#f-fixmedins_code", "H00000000000")
    page.click("#save")
    assert "H00000000000" in page.inner_text("#err-fixmedins_code")
    page.fill("#f-fixmedins_code", HOSPITAL)
    page.click("#save")
    secret = page.inner_text("#secret").strip()
    access_key = page.inner_text("#access-key").strip()
    assert len(secret) > 20 and access_key.startswith("AK")
    page.goto(f"{live_server}/console/interface")
    listing = page.inner_text("#credentials")
    assert access_key in listing and secret not in listing
    page.click("#tab-messages")
    assert "暂无数据" in page.inner_text("#messages")
