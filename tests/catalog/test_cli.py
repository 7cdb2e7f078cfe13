"""`yibao catalog`: import, show, export, mappings; refusals print the code and exit 2."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from yibao.bootstrap import Container
from yibao.cli import app
from yibao.core.excel import read_xlsx_rows

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalog"
runner = CliRunner()


def test_import_show_export_and_mappings(cli_env: Container, tmp_path: Path) -> None:
    done = runner.invoke(app, ["catalog", "import", str(EXAMPLES / "services.csv"), "--list-type", "service"])
    assert done.exit_code == 0, done.output
    assert "已导入" in done.output and "6" in done.output
    shown = runner.invoke(app, ["catalog", "show", "003105120040000"])
    assert shown.exit_code == 0, shown.output
    assert "儿童前牙树脂冠修复" in shown.output and "20%" in shown.output and "限0至17周岁" in shown.output
    out = tmp_path / "catalog.xlsx"
    exported = runner.invoke(app, ["catalog", "export", str(out), "--kind", "service"])
    assert exported.exit_code == 0, exported.output
    assert len(read_xlsx_rows(out.read_bytes())) == 6
    listed = runner.invoke(app, ["catalog", "mappings"])
    assert listed.exit_code == 0, listed.output


def test_refusals_exit_with_code_2(cli_env: Container, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("国家编码,名称,开始日期,收费项目等级\n12,x,2024-01-01,01\n", encoding="utf-8")
    refused = runner.invoke(app, ["catalog", "import", str(bad), "--list-type", "service"])
    assert refused.exit_code == 2
    assert "CATALOG_CODE_FORMAT" in refused.output and "第2行" in refused.output
    missing = runner.invoke(app, ["catalog", "show", "003105120040000"])
    assert missing.exit_code == 2 and "CATALOG_ITEM_NOT_FOUND" in missing.output
