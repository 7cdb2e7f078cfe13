"""The `yibao` command: --help on every command, refusals print the code and exit 2."""

from __future__ import annotations

from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from yibao.bootstrap import Container
from yibao.cli import app

runner = CliRunner()


def _command_paths() -> list[list[str]]:
    root = get_command(app)
    paths: list[list[str]] = []

    def walk(cmd: Any, prefix: list[str]) -> None:
        paths.append(prefix)
        for name, sub in getattr(cmd, "commands", {}).items():  # groups (typer may bring its own click)
            walk(sub, [*prefix, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "yibao")
def test_every_command_has_help(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_region_add_and_refusal(cli_env: Container) -> None:
    ok = runner.invoke(app, ["regions", "add", "439901", "示范县"])
    assert ok.exit_code == 0, ok.output
    assert "439901" in runner.invoke(app, ["regions", "list"]).output
    bad = runner.invoke(app, ["regions", "add", "4399", "坏"])
    assert bad.exit_code == 2
    assert "ADMDVS_FORMAT" in bad.output
