"""`yibao reference`: load (idempotent, with progress), list versions, look codes up; refusals exit 2."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.reference.helpers import ICD9_FILE, copy_reference, restore_reference
from yibao.bootstrap import Container
from yibao.cli import app

__all__ = ["restore_reference"]

runner = CliRunner()


@pytest.fixture
def cli_env(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """Point the CLI's own bootstrap at the test database."""
    monkeypatch.setenv("YIBAO_DATABASE_URL", container.settings.database_url)
    from yibao.settings import get_settings

    get_settings.cache_clear()
    yield container
    get_settings.cache_clear()


def test_loading_the_loaded_versions_again_reports_them_skipped(cli_env: Container) -> None:
    result = runner.invoke(app, ["reference", "load", "--only", "crosswalk"])
    assert result.exit_code == 0, result.output
    assert result.output.count("已加载，跳过") == 4


@pytest.mark.usefixtures("restore_reference")
def test_a_new_version_from_another_folder_is_loaded_and_listed(cli_env: Container, tmp_path: Path) -> None:
    folder = copy_reference(
        cli_env.settings.reference_dir, tmp_path, change={"00.0101": "00.0101 改"}, file=ICD9_FILE
    )
    args = ["reference", "load", "--dir", str(folder), "--only", "icd9", "--begin", "2025-01-01"]
    result = runner.invoke(app, [*args, "--version", "cli-2025"])
    assert result.exit_code == 0, result.output
    assert "13686" in result.output and "关闭 yb-2.0" in result.output
    listing = runner.invoke(app, ["reference", "datasets", "--kind", "icd9"])
    assert "cli-2025" in listing.output and "2024-12-31" in listing.output


def test_looking_a_code_up_shows_the_gray_mark(cli_env: Container) -> None:
    result = runner.invoke(app, ["reference", "icd", "00.0100", "--system", "icd9"])
    assert result.exit_code == 0, result.output
    assert "头和颈部血管治疗性超声" in result.output and "灰码" in result.output
    mapped = runner.invoke(app, ["reference", "icd", "A18.800x041", "--edition", "yb_1.0"])
    assert "A18.300x016" in mapped.output


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["reference", "load", "--only", "drg"], "REF_ONLY"),
        (["reference", "load", "--begin", "2024-02-30"], "DATE_FORMAT"),
        (["reference", "icd", "Z99.999x999"], "ICD_UNKNOWN"),
        (["reference", "icd", "Z99.999x999", "--edition", "clinical_2.0"], "ICD_UNMAPPED"),
        (["reference", "datasets", "--kind", "drg"], "REF_KIND"),
    ],
)
def test_refusals_print_the_code_and_exit_2(cli_env: Container, args: list[str], code: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert code in result.output


@pytest.mark.parametrize("command", ["load", "datasets", "icd"])
def test_every_reference_command_has_bilingual_help(command: str) -> None:
    result = runner.invoke(app, ["reference", command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.output)  # Chinese
    assert any(word in result.output for word in ("Load", "List", "Look"))  # and English
