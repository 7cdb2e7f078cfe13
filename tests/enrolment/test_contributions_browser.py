"""Chromium: an agency clerk uploads the county's contribution file on the console (缴费文件导入); a file
with a bad row stores nothing and lists the row, a good file is recorded and credits the account."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy import func, select

from tests.browser import sign_in
from tests.enrolment.helpers import enrol
from tests.factories import add_region
from tests.settlement.helpers import load_policy
from yibao.bootstrap import Container
from yibao.enrolment.models import Contribution

HEADER = "个人编号,险种,缴费期间,单位缴费,个人缴费,财政补助,缴费基数,缴费日期\n"


def test_clerk_uploads_a_contribution_file_all_or_nothing(
    container: Container, live_server: str, page: Page, tmp_path: Path
) -> None:
    add_region(container, "439901", "示范市")
    load_policy(container, "439901-390-2024.toml")
    employee = enrol(container).psn_no
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + f"{employee},310,2024-01,480.00,120.00,,6000,2024-01-10\n"
        + f"{employee},310,2024-02,4.801,120.00,,6000,\n",  # three decimals: refused, nothing stored
        encoding="utf-8",
    )
    good = tmp_path / "2024缴费.csv"
    good.write_text(HEADER + f"{employee},310,2024-01,480.00,120.00,,6000,2024-01-10\n", encoding="utf-8")

    sign_in(page, live_server)
    page.goto(f"{live_server}/console/enrolment/persons")
    page.click("text=缴费文件导入")
    page.wait_for_selector("#contributions-form")
    assert "个人编号" in page.inner_text("#contributions-form")

    page.set_input_files("#f-file", str(bad))
    page.click("#save")
    page.wait_for_selector("#import-errors")
    errors = page.inner_text("#import-errors")
    assert "3" in errors and "unit" in errors and "MONEY_PRECISION" in errors
    assert "未登记任何缴费" in page.inner_text("#error-summary")
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Contribution)) == 0

    page.set_input_files("#f-file", str(good))
    page.click("#save")
    page.wait_for_selector("#import-ok")
    assert "1 笔" in page.inner_text("#import-ok") and "120.00" in page.inner_text("#import-ok")
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Contribution)) == 1
