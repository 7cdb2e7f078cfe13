"""Console walk-through in headless Chromium: group a case, read the reason path, run a clearing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser import sign_in
from tests.factories import add_region
from yibao.bootstrap import Container

pytestmark = pytest.mark.browser


def test_group_a_case_and_clear_a_month(live_server: str, page: Page, container: Container) -> None:
    add_region(container)
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/payment")
    page.click("#group-link")
    page.select_option("#gend", "1")
    page.fill("#age", "70")
    page.fill("#diag_codes", "J44.900|J96.000")
    page.click("#group-submit")
    page.wait_for_selector("#group-result")
    assert page.inner_text("#drg-code") == "ET21"
    steps = page.locator("#reason-path li")
    assert steps.count() == 3
    assert "J96.000" in steps.nth(2).inner_text()
    page.goto(f"{live_server}/console/payment")
    page.fill("#admdvs", "439901")
    page.select_option("#period_kind", "quarter")
    page.fill("#period", "2024Q1")
    page.click("#clearing-submit")
    page.wait_for_selector("#statement")
    assert "平衡" in page.inner_text("#balanced")
    pdf = page.request.get(live_server + page.get_attribute("#pdf-link", "href"))
    assert pdf.ok and pdf.body()[:5] == b"%PDF-"


def test_configure_a_method_and_load_a_published_table(
    live_server: str, page: Page, container: Container
) -> None:
    """The forms: a published DRG table loaded by name, then a DRG method using it (example terms
    filled by the button), then a refused overlap shown beside the field."""
    add_region(container)
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/payment")
    page.click("#table-new-link")
    page.fill("#f-admdvs", "439901")
    page.select_option("#f-reference", "北京2022")
    page.click("#table-save")
    page.wait_for_selector("text=北京2022")
    page.goto(f"{live_server}/console/payment")
    assert "北京2022" in page.inner_text("#table-list")
    page.click("#method-new-link")
    page.fill("#f-admdvs", "439901")
    page.fill("#f-fixmedins_code", "H43990100001")
    page.select_option("#f-method", "drg")
    page.fill("#f-params", "")
    page.click("#example")
    assert "北京2022" in page.input_value("#f-params")
    page.fill("#f-begin", "2022-01-01")
    page.click("#method-save")
    page.wait_for_selector("#method-list")
    assert "base_rate_fen" in page.inner_text("#method-list")
    page.goto(f"{live_server}/console/payment/methods/new")
    page.fill("#f-admdvs", "439901")
    page.fill("#f-fixmedins_code", "H43990100001")
    page.select_option("#f-method", "per_diem")
    page.click("#example")
    page.fill("#f-begin", "2022-06-01")
    page.click("#method-save")
    page.wait_for_selector("#err-begin")
    assert "PAYMENT_METHOD_OVERLAP" in page.inner_text("#error-summary")
