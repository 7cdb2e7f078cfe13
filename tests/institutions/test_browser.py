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


def test_admission_from_application_to_signed_agreement(
    live_server: str, page: Page, container: Container, tmp_path: Path
) -> None:
    from tests.institutions.helpers import add_institution

    add_institution(container, "H43990100009")
    licence = tmp_path / "licence.pdf"
    licence.write_bytes(b"%PDF-1.4 licence")
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/institutions/H43990100009")
    page.click("#apply-here")
    page.fill("#f-day", "2026-03-02")
    page.fill("#f-licence_no", "PDY43990120240001")
    page.fill("#f-opened_on", "2025-03-01")
    page.fill("#f-systems_connected_on", "2026-02-20")
    page.click("#application-submit")
    page.wait_for_selector("#application-status")
    assert "已受理" in page.inner_text("#application-status")
    for kind in ("licence", "business"):
        page.select_option("#f-kind", kind)
        page.set_input_files("#f-file", str(licence))
        page.click("#document-submit")
        page.wait_for_selector("#document-list")
    assert page.inner_text("#document-list").count("licence.pdf") == 2
    page.fill("#f-day", "2026-03-02")
    page.click("#check-submit")
    page.wait_for_selector("#check-table")
    assert "资格审查通过" in page.inner_text("#application-status")
    scores = {"management": 12, "service_windows": 8, "price_notice": 10, "it_network": 18,
              "medical_quality": 20, "drug_stock": 16}  # fmt: skip
    for code, value in scores.items():
        page.fill(f"#f-score_{code}", str(value))
    page.fill("#f-assessors", "王评审，李评审")
    page.fill("#f-day", "2026-03-05")
    page.click("#assess-submit")
    page.wait_for_selector("#checklist-total")
    assert "84" in page.inner_text("#checklist-total")
    page.fill("#f-notice_begin", "2026-03-10")
    page.fill("#f-notice_end", "2026-03-16")
    page.click("#notice-submit")
    page.wait_for_selector("#objection-form")
    page.fill("#f-objection_day", "2026-03-12")
    page.fill("#f-content", "停车位不足")
    page.click("#objection-submit")
    page.wait_for_selector("#answer-form")
    page.select_option("#f-outcome", "dismissed")
    page.fill("#f-answer", "与定点条件无关")
    page.fill("#f-answer_day", "2026-03-13")
    page.click("#answer-submit")
    page.wait_for_selector("#close-form")
    page.fill("#f-day", "2026-03-16")
    page.click("#close-submit")
    assert "NOTICE_NOT_ENDED" in page.inner_text("#error-summary")
    page.fill("#f-day", "2026-03-17")
    page.click("#close-submit")
    page.wait_for_selector("#sign-form")
    assert "已认定定点资格" in page.inner_text("#application-status")
    page.fill("#f-begin", "2026-04-01")
    page.fill("#f-day", "2026-03-25")
    page.select_option("#f-terms_profile", "general")
    page.click("#sign-submit")
    page.wait_for_selector("#application-agreement")
    assert "XY2026-000001" in page.inner_text("#application-agreement")
    page.goto(f"{live_server}/console/institutions/H43990100009")
    assert "DY43990100001" in page.inner_text("#certificates")
    assert "2027-03-31" in page.inner_text("#agreement-records")
    assert "签订协议" in page.inner_text("#history-table")
