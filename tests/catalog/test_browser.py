"""Catalog console walk-through in headless Chromium: import with an error report, search, a new
version with a field error, and the mapping queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser import sign_in
from tests.catalog.helpers import add_institution
from yibao.bootstrap import Container

pytestmark = pytest.mark.browser

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalog"


def test_import_search_change_and_map(
    live_server: str, page: Page, container: Container, tmp_path: Path
) -> None:
    sign_in(page, live_server)
    bad = tmp_path / "bad.csv"
    bad.write_text("国家编码,名称,开始日期,收费项目等级\nXA01,坏,2024-01-01,01\n", encoding="utf-8")
    page.goto(f"{live_server}/console/catalog/import")
    page.select_option("#f-list_type", "drug")
    page.set_input_files("#f-file", str(bad))
    page.click("#save")
    errors = page.inner_text("#import-errors")
    assert "CATALOG_CODE_FORMAT" in errors and "第2行" in errors
    page.set_input_files("#f-file", str(EXAMPLES / "drugs.csv"))
    page.click("#save")
    assert "7" in page.inner_text("#import-result")

    page.goto(f"{live_server}/console/catalog")
    page.fill("#f-q", "鱼油")
    page.click("#search")
    page.click("#catalog-table a")
    assert "限住院" in page.inner_text("#item-restrictions")
    assert "15%" in page.inner_text("#item-ratio")

    page.click("#new-version")
    page.fill("#f-begin", "2025-01-01")
    page.fill("#f-selfpay_ratio", "")
    page.click("#save")
    assert "乙类项目必须填写先行自付比例" in page.inner_text("#err-selfpay_ratio")
    page.fill("#f-selfpay_ratio", "20%")
    page.click("#save")
    page.wait_for_selector("#versions-table")
    assert "2024-12-31" in page.inner_text("#versions-table")

    add_institution(container, "H43990100001", "439901")
    page.goto(f"{live_server}/console/catalog/mappings")
    page.fill("#f-fixmedins_code", "H43990100001")
    page.fill("#f-hilist_code", "XB05BAA036B001010201234")
    page.fill("#f-medins_list_codg", "YP-100")
    page.fill("#f-medins_list_name", "鱼油脂肪乳 100ml")
    page.fill("#f-begin", "2024-03-01")
    page.click("#save")
    page.click("#approve-1")
    assert "已通过" in page.inner_text("#mapping-1 .state")
