"""`yibao review …`: declare, list, flag, decide, answer, appeal, close-overdue, export, deductions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.review.helpers import HOSPITAL, PERIOD, settled_month
from yibao.bootstrap import Container
from yibao.cli import app
from yibao.core.excel import read_xlsx_table

runner = CliRunner()


@pytest.fixture
def cli_env(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    monkeypatch.setenv("YIBAO_DATABASE_URL", container.settings.database_url)
    monkeypatch.setenv("COLUMNS", "240")
    from yibao.settings import get_settings

    get_settings.cache_clear()
    yield container
    get_settings.cache_clear()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, ["review", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_month_from_declaration_to_upheld_appeal(cli_env: Container, tmp_path: Path) -> None:
    month = settled_month(cli_env, bills=1)
    claims = tmp_path / "claims.csv"
    claims.write_text("psn_no,invoice_no,visit_date,medfee,verified\nP9,INV9,2024-03-10,500.00,350.00\n")
    out = _ok(["declare", HOSPITAL, PERIOD, "--claims", str(claims), "--by", "op-h"])
    decl_no = f"SB-{HOSPITAL}-202403"
    assert decl_no in out and "零星报销 1 笔" in out
    assert decl_no in _ok(["list", "--period", PERIOD])
    _ok(["flag", decl_no, "--setl-id", month.setl_ids[0], "--bkkp-sn", "3", "--by", "rev-a"])
    _ok(["flag", decl_no, "--claim-no", "C0001", "--by", "rev-a"])
    decided = _ok(["decide", "1", "deduct", "--reason", "NOT_COVERED", "--amount", "120.00", "--by", "rev-a"])
    assert "120.00" in decided and "回复期限" in decided
    _ok(["decide", "2", "clear", "--by", "rev-a"])
    _ok(["appeal", "1", "--note", "有审批", "--by", "op-h"])
    same = runner.invoke(app, ["review", "decide", "1", "uphold", "--by", "rev-a"])
    assert same.exit_code == 2 and "REVIEW_SAME_REVIEWER" in same.output
    _ok(["decide", "1", "uphold", "--by", "rev-b"])
    _ok(["complete", decl_no, "--by", "rev-a"])
    shown = _ok(["show", decl_no])
    assert "uphold" in shown and "rev-b" in shown and "closed" in shown
    totals = _ok(["deductions", "439901", PERIOD])
    assert "NOT_COVERED" in totals and "120.00" in totals
    target = tmp_path / "result.xlsx"
    _ok(["export", decl_no, "--out", str(target)])
    assert read_xlsx_table(target.read_bytes())[1][16] == "复审维持"
    assert "1" in _ok(["list", "--items", "--item-status", "upheld"])


def test_silence_job_and_refusals(cli_env: Container) -> None:
    month = settled_month(cli_env, bills=1)
    _ok(["declare", HOSPITAL, PERIOD])
    decl_no = f"SB-{HOSPITAL}-202403"
    _ok(["flag", decl_no, "--setl-id", month.setl_ids[0], "--bkkp-sn", "2"])
    _ok(["decide", "1", "deduct", "--reason", "EXCESS_QUANTITY"])
    _ok(["holiday", "2099-01-01", "--name", "元旦"])
    assert "0 条" in _ok(["close-overdue"])
    assert "1 条" in _ok(["close-overdue", "--today", "2099-12-31"])
    late = runner.invoke(app, ["review", "answer", "1", "accept"])
    assert late.exit_code == 2 and "REVIEW_ITEM_STATE" in late.output
    bad = runner.invoke(app, ["review", "declare", HOSPITAL, "2024-13"])
    assert bad.exit_code == 2 and "REVIEW_PERIOD_FORMAT" in bad.output


def test_region_parameters_from_the_command_line(cli_env: Container) -> None:
    from tests.factories import add_region

    add_region(cli_env)
    assert "未设置参数" in _ok(["params", "439901"])
    out = _ok(["params", "439901", "--begin", "2025-01-01", "--repeat-multipliers", "2,4"])
    assert "2025-01-01" in out and "2,4" in out
    bad = runner.invoke(
        app, ["review", "params", "439901", "--begin", "2026-01-01", "--repeat-multipliers", "9"]
    )
    assert bad.exit_code == 2 and "REVIEW_PARAM" in bad.output
