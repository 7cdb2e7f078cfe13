"""`yibao institutions …`: add, list, show, import files; refusals print the code and exit 2."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.factories import add_region
from tests.institutions.helpers import csv_bytes, resident_id
from yibao.bootstrap import Container
from yibao.cli import app

runner = CliRunner()


def test_add_list_show(cli_env: Container) -> None:
    add_region(cli_env)
    ok = runner.invoke(
        app,
        [
            "institutions",
            "add",
            "H43990100001",
            "示范县人民医院",
            "--admdvs",
            "439901",
            "--hosp-lv",
            "5",
            "--agreement-begin",
            "2025-01-01",
        ],
    )
    assert ok.exit_code == 0, ok.output
    listed = runner.invoke(app, ["institutions", "list"])
    assert listed.exit_code == 0 and "H43990100001" in listed.output
    shown = runner.invoke(app, ["institutions", "show", "H43990100001"])
    assert shown.exit_code == 0, shown.output
    assert "2025-12-31" in shown.output
    missing = runner.invoke(app, ["institutions", "show", "H43990100099"])
    assert missing.exit_code == 2 and "INSTITUTION_NOT_FOUND" in missing.output


def test_add_refusal_exits_2_with_the_code(cli_env: Container) -> None:
    add_region(cli_env)
    bad = runner.invoke(app, ["institutions", "add", "H43990100001", "医院", "--admdvs", "439901"])
    assert bad.exit_code == 2
    assert "HOSP_LV_REQUIRED" in bad.output


def test_imports(cli_env: Container, tmp_path: Path) -> None:
    add_region(cli_env)
    institutions = tmp_path / "institutions.csv"
    institutions.write_bytes(
        csv_bytes(
            [
                ["fixmedins_code", "name", "fixmedins_type", "hosp_lv", "admdvs"],
                ["H43990100001", "医院", "1", "5", "439901"],
            ]
        )
    )
    ok = runner.invoke(app, ["institutions", "import", str(institutions)])
    assert ok.exit_code == 0, ok.output
    assert "已导入 1 条" in ok.output
    doctors = tmp_path / "doctors.csv"
    doctors.write_bytes(
        csv_bytes(
            [
                ["dr_code", "name", "certno", "kind", "admdvs", "fixmedins_code"],
                ["D43990100001", "张医生", resident_id(1), "doctor", "439901", "H43990100001"],
                ["D43990100002", "", resident_id(2), "doctor", "439901", "H43990100009"],
            ]
        )
    )
    bad = runner.invoke(app, ["institutions", "doctors-import", str(doctors)])
    assert bad.exit_code == 2
    assert "第3行" in bad.output and "INSTITUTION_NOT_FOUND" in bad.output
    shown = runner.invoke(app, ["institutions", "show", "H43990100001"])
    assert "D43990100001" not in shown.output  # nothing stored
