"""`yibao policy`: load (idempotent), list, show, diff, schema; refusals exit with code 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.policy.helpers import (
    EMPLOYEES_2024,
    EXAMPLES,
    RESIDENTS_2024,
    RESIDENTS_2025,
    change,
    sample,
    setup_region,
)
from yibao.bootstrap import Container
from yibao.cli import app
from yibao.policy.document import file_schema

runner = CliRunner()


@pytest.fixture
def cli_env(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """Point the CLI's own bootstrap at the test database (with the sample region)."""
    setup_region(container)
    monkeypatch.setenv("YIBAO_DATABASE_URL", container.settings.database_url)
    from yibao.settings import get_settings

    get_settings.cache_clear()
    yield container
    get_settings.cache_clear()


def test_the_committed_json_schema_is_the_generated_one() -> None:
    committed = json.loads((EXAMPLES / "policy.schema.json").read_text(encoding="utf-8"))
    assert committed == file_schema(), "run: yibao policy schema --out examples/policy/policy.schema.json"


def test_the_schema_command_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    result = runner.invoke(app, ["policy", "schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == file_schema()


def test_files_are_loaded_listed_shown_and_compared(cli_env: Container) -> None:
    files = [str(EXAMPLES / name) for name in (EMPLOYEES_2024, RESIDENTS_2024, RESIDENTS_2025)]
    result = runner.invoke(app, ["policy", "load", *files])
    assert result.exit_code == 0, result.output
    assert result.output.count("已载入") == 3 and "关闭 2024：截止 2024-12-31" in result.output
    again = runner.invoke(app, ["policy", "load", files[0]])
    assert again.exit_code == 0 and "内容相同，未改动" in again.output
    listing = runner.invoke(app, ["policy", "list", "--insutype", "390"])
    assert listing.exit_code == 0 and "2025" in listing.output and "2024-12-31" in listing.output
    shown = runner.invoke(app, ["policy", "show", "1"])
    assert shown.exit_code == 0 and "150000.00" in shown.output
    source = runner.invoke(app, ["policy", "show", "1", "--source"])
    assert "起付线" in source.output
    diff = runner.invoke(app, ["policy", "diff", "2", "3"])
    assert diff.exit_code == 0, diff.output
    assert "caps.pool" in diff.output and "120000.00 元" in diff.output and "55%" in diff.output


def test_a_broken_file_is_refused_with_exit_code_2(cli_env: Container, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(change(sample(EMPLOYEES_2024), "pool", "1.5"), encoding="utf-8")
    result = runner.invoke(app, ["policy", "load", str(bad)])
    assert result.exit_code == 2
    assert "错误 POLICY_FLOAT" in result.output and "caps.pool" in result.output


@pytest.mark.parametrize(
    "args",
    [["show", "99"], ["diff", "98", "99"], ["list", "--on", "2024-02-30"]],
    ids=["show", "diff", "list"],
)
def test_refusals_of_reading_commands_exit_with_code_2(cli_env: Container, args: list[str]) -> None:
    result = runner.invoke(app, ["policy", *args])
    assert result.exit_code == 2 and "错误" in result.output


@pytest.mark.parametrize("command", ["load", "list", "show", "diff", "schema"])
def test_every_command_has_bilingual_help(command: str) -> None:
    result = runner.invoke(app, ["policy", command, "--help"])
    assert result.exit_code == 0
    assert any(ch >= "\u4e00" for ch in result.output) and any(
        ch.isascii() and ch.isalpha() for ch in result.output
    )
