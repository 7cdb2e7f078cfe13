"""Console walk-throughs in headless Chromium: a run's findings, drill-down, a case worked to a decision;
a run started from the console and its indicator charts."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser import sign_in
from tests.monitoring.test_api_console import _run
from tests.monitoring.test_indicators import _region
from yibao.bootstrap import Container

pytestmark = pytest.mark.browser


def test_findings_drill_down_and_a_confirmed_case(
    live_server: str, page: Page, container: Container, tmp_path: Path
) -> None:
    run_no = _run(container, tmp_path)
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/monitoring/rules")
    assert "分解住院" in page.inner_text("#rule-table")
    page.goto(f"{live_server}/console/monitoring/runs")
    page.click(f"text={run_no}")
    page.select_option("#filter-family", "sex_restricted")
    page.click("#filter-submit")
    assert "药品区分性别使用" in page.inner_text("#finding-table")
    page.click("#finding-table a")
    assert "限男性使用" in page.inner_text("#finding-evidence")
    page.goto(f"{live_server}/console/monitoring/runs/{run_no}")
    page.click("#open-cases")
    page.wait_for_url(f"{live_server}/console/monitoring/cases?run_no={run_no}")
    page.click("#case-table a >> nth=0")
    page.select_option("#f-action", "assign")
    page.fill("#f-assignee", "稽核员丙")
    page.click("#case-action-submit")
    assert "已分派" in page.inner_text("#case-status")
    page.select_option("#f-action", "confirm")
    page.fill("#f-recover_amt", "10.00")
    page.click("#case-action-submit")
    assert "已确认" in page.inner_text("#case-status")
    assert "10.00" in page.inner_text("#case-recover")


def test_a_run_started_from_the_console_and_its_indicator_charts(
    live_server: str, page: Page, container: Container, tmp_path: Path
) -> None:
    data = _region(tmp_path)
    sign_in(page, live_server)
    page.goto(f"{live_server}/console/monitoring/runs")
    page.fill("#f-data_dir", str(data))
    page.fill("#f-out_dir", str(tmp_path / "browser-out"))
    page.select_option("#f-engine", "duckdb")
    page.click("#run-start")
    page.wait_for_selector("#finding-table")
    page.click("#run-indicators")
    page.wait_for_selector("#cost-chart canvas")  # ECharts drew the cost-per-visit lines
    assert page.locator("#share-chart canvas").count() == 1
    assert "500.00" in page.inner_text("#indicator-table")
    page.click("#level-department")
    page.wait_for_selector("#cost-chart canvas")
    assert "H1/A03" in page.inner_text("#indicator-table")
