"""`yibao enrolment …`: add a unit, enrol, import with a row report, show a person and an account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.enrolment.helpers import certno, credit_code
from tests.factories import add_region
from yibao.bootstrap import Container
from yibao.cli import app

runner = CliRunner()


@pytest.fixture
def cli_env(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """Point the CLI's own bootstrap at the test database."""
    from yibao.settings import get_settings

    monkeypatch.setenv("YIBAO_DATABASE_URL", container.settings.database_url)
    get_settings.cache_clear()
    add_region(container)
    yield container
    get_settings.cache_clear()


def test_add_unit_enrol_show_and_account(cli_env: Container) -> None:
    unit = runner.invoke(app, ["enrolment", "add-unit", credit_code(1), "示范公司", "--admdvs", "439901"])
    assert unit.exit_code == 0, unit.output
    enrolled = runner.invoke(
        app,
        [
            "enrolment",
            "enrol",
            certno(),
            "张三",
            "--admdvs",
            "439901",
            "--begin",
            "2024-01-01",
            "--unit",
            credit_code(1),
        ],
    )
    assert enrolled.exit_code == 0, enrolled.output
    assert "4399010000000001" in enrolled.output
    shown = runner.invoke(app, ["enrolment", "show", "4399010000000001"])
    assert shown.exit_code == 0 and "张三" in shown.output and "正常参保" in shown.output
    account = runner.invoke(app, ["enrolment", "account", "4399010000000001"])
    assert account.exit_code == 0 and "0.00" in account.output


def test_refusals_print_the_code_and_exit_2(cli_env: Container, tmp_path: Path) -> None:
    bad = runner.invoke(
        app, ["enrolment", "enrol", "123", "张三", "--admdvs", "439901", "--begin", "2024-01-01"]
    )
    assert bad.exit_code == 2 and "错误 ID_LENGTH" in bad.output
    missing = runner.invoke(app, ["enrolment", "show", "4399019999999999"])
    assert missing.exit_code == 2 and "PERSON_NOT_FOUND" in missing.output
    file = tmp_path / "persons.csv"
    file.write_text(
        f"certno,name,admdvs,insutype,psn_type,begin\n{certno()},,439901,390,15,2024-01-01\n", "utf-8"
    )
    report = runner.invoke(app, ["enrolment", "import", str(file)])
    assert report.exit_code == 2 and "REQUIRED" in report.output and "IMPORT_ROWS" in report.output


def test_import_file(cli_env: Container, tmp_path: Path) -> None:
    file = tmp_path / "persons.csv"
    file.write_text(
        "身份证号,姓名,统筹区,险种,人员类别,参保开始日期\n"
        f"{certno(seq=123)},张三,439901,390,15,2024-01-01\n{certno(seq=124)},李四,439901,390,15,2024-01-01\n",
        "utf-8",
    )
    result = runner.invoke(app, ["enrolment", "import", str(file)])
    assert result.exit_code == 0, result.output
    assert "已导入 2 人" in result.output
