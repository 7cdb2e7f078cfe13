"""Console walk-through in headless Chromium: assess, see the grade, carry out the suspension, and
find the institution refused for settlement."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.assessment.helpers import assessor, world_with_drugs
from tests.browser import sign_in
from tests.settlement.helpers import HOSPITAL
from yibao.assessment import service
from yibao.bootstrap import Container

pytestmark = pytest.mark.browser


def test_assess_grade_e_and_suspend(live_server: str, page: Page, container: Container) -> None:
    world_with_drugs(container)
    terms = [
        {"code": "satisfaction", "target": 9000, "weight": 50},
        {"code": "in_bed_rate", "target": 9500, "weight": 50},
    ]
    with container.uow(assessor()) as uow:
        service.set_terms(uow=uow, fixmedins_code=HOSPITAL, year=2026, terms=terms)
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/assessment/new")
    page.fill("#f-fixmedins_code", HOSPITAL)
    page.fill("#f-period", "2026-10")
    page.fill("#f-actuals", "satisfaction=abc")
    page.click("#save")
    assert "指标=非负整数" in page.inner_text("#err-actuals")
    page.fill("#f-actuals", "satisfaction=4500\nin_bed_rate=5700")
    page.click("#save")
    page.wait_for_url(f"{live_server}/console/assessment/{HOSPITAL}/2026-10")
    # 50 × 45/90 = 25.00 + 50 × 57/95 = 30.00 → 55.00, grade E: suspension 3 months.
    assert page.inner_text("#score") == "55.00"
    assert "E" in page.inner_text("#grade") and "暂停协议3个月" in page.inner_text("#consequence")
    page.click("#apply-submit")
    page.wait_for_selector("#applied")
    assert "暂停协议至" in page.inner_text("#applied")
    page.goto(f"{live_server}/console/institutions/{HOSPITAL}")
    assert "AGREEMENT_SUSPENDED" in page.inner_text("#settle-today")
    page.goto(f"{live_server}/console/assessment/{HOSPITAL}/2026-10/letter")
    assert "55.00" in page.inner_text("#letter-result")
