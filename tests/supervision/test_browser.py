"""Console walk-through in headless Chromium: a ward round below 95%, a suspension decision refused
without its document then issued, and the disclosure list."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.assessment.helpers import world_with_drugs
from tests.browser import sign_in
from tests.settlement.helpers import HOSPITAL
from yibao.bootstrap import Container

pytestmark = pytest.mark.browser


def test_round_decision_disclosure(live_server: str, page: Page, container: Container) -> None:
    world_with_drugs(container)
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/supervision/rounds")
    page.fill("#f-fixmedins_code", HOSPITAL)
    page.fill("#f-round_at", "2026-11-02T10:00")
    page.fill("#f-inspectors", "王稽核，李稽核")
    page.fill("#f-standard", "9072.81")
    page.fill("#f-patients", "\n".join(f"P{n:03d},病人{n},{n},{1 if n < 36 else 0}" for n in range(40)))
    page.click("#save")
    page.wait_for_selector("#round-result")
    assert "36/40 = 90.00%" in page.inner_text("#round-rate")
    assert page.inner_text("#round-refused") == "18145.62"
    page.goto(f"{live_server}/console/supervision/decisions")
    page.select_option("#f-target_type", "institution")
    page.select_option("#f-kind", "suspension")
    page.fill("#f-fixmedins_code", HOSPITAL)
    page.fill("#f-months", "2")
    page.fill("#f-reason", "查房在床率低于95%，挂床住院")
    page.click("#save")
    page.wait_for_selector("#decision-info")
    assert "拟处理" in page.inner_text("#decision-status")
    page.fill("#f-document_no", " ")
    page.fill("#f-day", "2026-11-03")
    page.click("#issue-submit")
    assert "决定书文号" in page.inner_text("#err-document_no")
    page.fill("#f-document_no", "医保处字〔2026〕8号")
    page.click("#issue-submit")
    page.wait_for_selector("#decision-document:has-text('8号')")
    assert "已签发" in page.inner_text("#decision-status")
    page.click("#disclosure-link")
    assert "医保处字〔2026〕8号" in page.inner_text("#disclosure-table")
