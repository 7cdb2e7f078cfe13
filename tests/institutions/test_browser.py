"""Console walk-through in headless Chromium: register, sign the agreement, import with errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser import sign_in
from tests.factories import add_region
from tests.institutions.helpers import csv_bytes
from yibao.bootstrap import Container

pytestmark = pytest.mark.browser


def test_register_sign_and_see_the_agreement(live_server: str, page: Page, container: Container) -> None:
    add_region(container)
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/institutions/new")
    page.fill("#f-fixmedins_code", "H43990100001")
    page.fill("#f-name", "示范县人民医院")
    page.fill("#f-admdvs", "439901")
    page.select_option("#f-fixmedins_type", "1")
    page.click("#save")
    assert "医院等级" in page.inner_text("#err-hosp_lv")
    page.select_option("#f-hosp_lv", "5")
    page.click("#save")
    page.wait_for_url(f"{live_server}/console/institutions/H43990100001")
    assert "申请中" in page.inner_text("#agreement-status")
    page.select_option("#f-action", "sign")
    page.fill("#f-begin", "2025-01-01")
    page.fill("#f-day", "2025-01-01")
    page.click("#agreement-submit")
    page.wait_for_selector("#agreement-period")
    assert "2025-12-31" in page.inner_text("#agreement-period")
    page.goto(f"{live_server}/console/institutions?q=示范")
    assert "H43990100001" in page.inner_text("#institution-table")


def test_import_shows_the_row_error_report(
    live_server: str, page: Page, container: Container, tmp_path: Path
) -> None:
    add_region(container)
    bad = tmp_path / "institutions.csv"
    bad.write_bytes(
        csv_bytes(
            [["fixmedins_code", "name", "fixmedins_type", "hosp_lv", "admdvs"], ["x", "", "1", "5", "439901"]]
        )
    )
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/institutions/import")
    page.set_input_files("#f-file", str(bad))
    page.click("#save")
    report = page.inner_text("#import-errors")
    assert "FIXMEDINS_CODE_FORMAT" in report and "name" in report and "2" in report
