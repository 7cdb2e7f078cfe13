"""Benefit policy walk-through in headless Chromium: a broken upload, a good one, the detail, the diff."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser import sign_in
from tests.policy.helpers import EXAMPLES, RESIDENTS_2024, RESIDENTS_2025, change, sample, setup_region
from yibao.bootstrap import Container

pytestmark = pytest.mark.browser


def test_upload_fix_and_compare_two_versions(
    container: Container, live_server: str, page: Page, tmp_path: Path
) -> None:
    setup_region(container)
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/policy")
    page.click("#load")
    bad = tmp_path / "bad.toml"
    bad.write_text(change(sample(RESIDENTS_2024), "pool", "100000.5"), encoding="utf-8")
    page.set_input_files("#f-file", str(bad))
    page.click("#save")
    report = page.inner_text("#load-errors")
    assert "caps.pool" in report and "不接受浮点数" in report and "年度封顶线" in report

    for name in (RESIDENTS_2024, RESIDENTS_2025):
        page.goto(f"{live_server}/console/policy/load")
        page.set_input_files("#f-file", str(EXAMPLES / name))
        page.click("#save")
        page.wait_for_selector("#policy-general")
    assert "2025" in page.inner_text("h1")
    assert "120000.00" in page.inner_text("#policy-caps")
    page.click("#other-versions .diff-link")
    page.wait_for_selector("#diff-table")
    table = page.inner_text("#diff-table")
    assert "caps.pool" in table and "100000.00 元" in table and "120000.00 元" in table
    assert "支付比例 › 三级" in table and "55%" in table and "60%" in table
