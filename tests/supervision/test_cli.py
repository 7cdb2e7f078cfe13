"""`yibao supervision reminders | decide | take-up`: tables in Chinese; refusals print the code, exit 2."""

from __future__ import annotations

from datetime import date

from typer.testing import CliRunner

from tests.institutions.helpers import add_institution
from yibao.bootstrap import Container
from yibao.cli import app

runner = CliRunner()


def test_reminders_ban_years_and_a_refused_take_up(cli_env: Container) -> None:
    add_institution(
        cli_env, "H43990100041", agreement_begin=date(2025, 6, 1), agreement_end=date(2026, 5, 31)
    )
    add_institution(
        cli_env, "P43990100042", fixmedins_type="2", hosp_lv=None, agreement_begin=date(2025, 6, 1)
    )
    shown = runner.invoke(app, ["supervision", "reminders", "--day", "2026-04-10"], env={"COLUMNS": "240"})
    assert shown.exit_code == 0, shown.output
    assert "协议即将到期" in shown.output and "H43990100041" in shown.output
    short = runner.invoke(
        app,
        [
            "supervision",
            "decide",
            "--target-type",
            "institution",
            "--kind",
            "termination",
            "--code",
            "P43990100042",
            "--ban-years",
            "2",
            "--reason",
            "串换药品",
        ],
    )
    assert short.exit_code == 2 and "BAN_YEARS_RANGE" in short.output
    drafted = runner.invoke(
        app,
        [
            "supervision",
            "decide",
            "--target-type",
            "institution",
            "--kind",
            "termination",
            "--code",
            "P43990100042",
            "--permanent",
            "--reason",
            "串换药品",
        ],
    )
    assert drafted.exit_code == 0 and "已拟定" in drafted.output
    missing = runner.invoke(app, ["supervision", "take-up", "C-NONE", "--fine-pct", "300"])
    assert missing.exit_code == 2 and "CASE_NOT_FOUND" in missing.output
