"""One Chromium walk-through of review: the hospital declares, a reviewer deducts, the hospital appeals,
a second reviewer upholds, the timeline shows every step."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser import sign_in
from tests.review.helpers import HOSPITAL, PERIOD, settled_month
from tests.review.test_console import _users
from yibao.bootstrap import Container

DECL = f"SB-{HOSPITAL}-202403"


def test_walk_through_declaration_to_second_review(
    container: Container, live_server: str, page: Page
) -> None:
    month = settled_month(container, bills=1)
    _users(container)
    base = live_server

    sign_in(page, base, "op-h", "pass-word-123")
    page.goto(f"{base}/console/review/declare?period={PERIOD}")
    page.wait_for_selector("#preview-table")
    page.fill("#f-period", PERIOD)
    page.click("#submit-declaration")
    page.wait_for_selector("#decl-no")
    assert page.inner_text("#decl-no") == DECL
    page.click("text=退出")

    sign_in(page, base, "rev-a", "pass-word-123")
    page.goto(f"{base}/console/review")
    page.click(f"text={DECL}")
    page.select_option("#flag-form select[name=setl_id]", month.setl_ids[0])
    page.fill("#flag-form input[name=bkkp_sn]", "3")
    page.click("#flag-form button[type=submit]")
    page.wait_for_selector("#status-1")
    form = page.locator("#item-1 form.decide-form")
    form.locator("select[name=reason_code]").select_option("NOT_COVERED")
    form.locator("input[name=amount]").fill("120.00")
    form.locator("button[value=deduct]").click()
    page.wait_for_selector("#status-1:has-text('拒付待回复')")
    page.click("#complete")
    page.wait_for_selector("#decl-status:has-text('审核完成')")
    page.click("text=退出")

    sign_in(page, base, "op-h", "pass-word-123")
    page.goto(f"{base}/console/review/declarations/{DECL}")
    answer = page.locator("#item-1 form.answer-form")
    answer.locator("input[name=note]").fill("该药品已获医保办审批")
    answer.locator("button[value=appeal]").click()
    page.wait_for_selector("#status-1:has-text('申诉待复审')")
    page.click("text=退出")

    sign_in(page, base, "rev-b", "pass-word-123")
    page.goto(f"{base}/console/review/queue?status=appealed")
    page.click("#queue-table a")
    second = page.locator("#item-1 form.second-form")
    second.locator("input[name=note]").fill("审批不在有效期内")
    second.locator("button[value=uphold]").click()
    page.wait_for_selector("#status-1:has-text('复审维持')")
    page.wait_for_selector("#decl-status:has-text('已结案')")
    timeline = page.inner_text("#timeline")
    for who in ("op-h", "rev-a", "rev-b"):
        assert who in timeline
    assert "120.00" in page.inner_text("#confirmed")
