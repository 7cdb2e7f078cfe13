"""Enrolment walk-through in Chromium: enrol through the form, the ID masked by role, the audit row."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser import sign_in
from tests.enrolment.helpers import certno
from tests.factories import add_region
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.staff import service as staff

pytestmark = pytest.mark.browser


def test_enrol_a_person_and_see_the_id_masked_by_role(
    live_server: str, page: Page, container: Container
) -> None:
    add_region(container)
    with container.uow(SYSTEM) as uow:
        staff.create_user(
            uow=uow,
            username="analyst1",
            password="password-123",
            display_name="分析员",
            roles=["analyst"],
            regions=["439901"],
        )
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/enrolment/persons/new")
    page.fill("#f-certno", certno()[:-1] + ("0" if certno()[-1] != "0" else "1"))
    page.fill("#f-name", "张三")
    page.fill("#f-admdvs", "439901")
    page.select_option("#f-insutype", "310")
    page.select_option("#f-psn_type", "11")
    page.fill("#f-begin", "2024-01-01")
    page.click("#save")
    assert "身份证号校验位错误" in page.inner_text("#err-certno")
    page.fill("#f-certno", certno())
    page.click("#save")
    page.wait_for_url(f"{live_server}/console/enrolment/persons/4399010000000001")
    assert "张三" in page.inner_text("h1")
    assert page.inner_text("#person-certno") == certno()  # the administrator may see the full number
    assert "310" in page.inner_text("#relations-table")
    page.goto(f"{live_server}/console/audit?entity=person")
    row = page.inner_text("#audit-table tbody")
    assert "person.create" in row and "admin" in row and "4399010000000001" in row
    assert certno() not in row  # the audit trail keeps the number masked
    page.click("form.inline button.link")  # sign out
    sign_in(page, live_server, "analyst1", "password-123")
    page.goto(f"{live_server}/console/enrolment/persons/4399010000000001")
    assert page.inner_text("#person-certno") == "110***********" + certno()[-4:]
    page.goto(f"{live_server}/console/enrolment/persons")
    assert certno() not in page.inner_text("#persons-table")
