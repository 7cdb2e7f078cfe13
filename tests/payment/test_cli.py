"""`yibao payment …`: set a method, clear a month with PDF and Excel statements, write a statement later."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from tests.factories import add_region
from yibao.bootstrap import Container
from yibao.cli import app
from yibao.core.excel import read_xlsx_table

runner = CliRunner()
H1, H2 = "H43990100001", "H43990100002"


@pytest.fixture
def cli_env(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    monkeypatch.setenv("YIBAO_DATABASE_URL", container.settings.database_url)
    monkeypatch.setenv("COLUMNS", "240")
    from yibao.settings import get_settings

    get_settings.cache_clear()
    yield container
    get_settings.cache_clear()


def _run(args: list[str], code: int = 0) -> str:
    result = runner.invoke(app, ["payment", *args])
    assert result.exit_code == code, result.output
    return result.output


def test_methods_clearing_and_statements_from_the_command_line(cli_env: Container, tmp_path: Path) -> None:
    add_region(cli_env)
    for code in (H1, H2):
        _run(
            [
                "set-method",
                "--admdvs",
                "439901",
                "--method",
                "fee_for_service",
                "--begin",
                "2024-01-01",
                "--institution",
                code,
                "--params",
                '{"prepay_ratio": "0.8"}',
            ]
        )
    refused = _run(
        [
            "set-method",
            "--admdvs",
            "439901",
            "--method",
            "dip",
            "--begin",
            "2024-01-01",
            "--params",
            "{budget",
        ],
        code=2,
    )
    assert "PAYMENT_PARAMS_JSON" in refused
    pdf, xlsx = tmp_path / "all.pdf", tmp_path / "all.xlsx"
    out = _run(
        [
            "clear",
            "--admdvs",
            "439901",
            "--kind",
            "month",
            "--period",
            "2024-01",
            "--pdf",
            str(pdf),
            "--excel",
            str(xlsx),
        ]
    )
    assert "平衡" in out
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages]
    assert len(pages) == 3 and "医疗保障基金清算单（月度预拨）" in pages[0]
    assert [row[0] for row in read_xlsx_table(xlsx.read_bytes())] == ["定点机构编码", H1, H2, "合计"]
    one = tmp_path / "h2.pdf"
    _run(["statement", "1", "--pdf", str(one), "--institution", H2])
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(one.read_bytes())).pages)
    assert H2 in text and H1 not in text
    assert "REQUIRED" in _run(["statement", "1"], code=2)
    assert "CLEARING_LINE_NOT_FOUND" in _run(
        ["statement", "1", "--pdf", str(one), "--institution", "X1"], code=2
    )
