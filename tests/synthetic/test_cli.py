"""`yibao generate` on the command line: a tiny region is written; impossible knobs fail naming the option."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from yibao.cli import app

runner = CliRunner()


def test_generate_writes_every_table_and_the_labels(tmp_path: Path) -> None:
    out = tmp_path / "region"
    result = runner.invoke(
        app,
        ["generate", "--persons", "300", "--months", "1", "--out", str(out), "--rate-split-admission", "0.5"],
    )
    assert result.exit_code == 0, result.output
    names = {p.stem for p in out.glob("*.parquet")}
    assert names == {
        "mdtrt_d", "setl_d", "fee_list_d", "setl_list_diag_d", "setl_list_oprn_d", "fixmedins_b", "psn_b",
        "ward_round_d", "identity_check_d", "special_drug_b", "labels",
    }  # fmt: skip
    assert pq.read_table(out / "psn_b.parquet").num_rows == 300
    assert "条明细" in result.output


def test_generate_injects_at_least_the_outlier_hospitals_asked_for(tmp_path: Path) -> None:
    """provider_outlier: `--outliers 3` labels three fast-growing hospitals (the rate alone: one here)."""
    out = tmp_path / "region"
    result = runner.invoke(
        app, ["generate", "--persons", "20000", "--months", "1", "--outliers", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    labels = pq.read_table(out / "labels.parquet").to_pylist()
    outliers = {r["fixmedins_code"] for r in labels if r["rule_family"] == "provider_outlier"}
    assert len(outliers) == 3 and all(
        r["scope"] == "institution" for r in labels if r["rule_family"] == "provider_outlier"
    )


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--persons", "-5"], "--persons"),
        (["--months", "0"], "--months"),
        (["--admdvs", "4399"], "--admdvs"),
        (["--rate-split-admission", "1.5"], "--rate-split-admission"),
        (["--rate-bed-hanging", "-0.1"], "--rate-bed-hanging"),
        (["--format", "xlsx"], "--format"),
        (["--outliers", "-1"], "--outliers"),
    ],
)
def test_impossible_knobs_fail_before_any_work_naming_the_option(
    tmp_path: Path, args: list[str], option: str
) -> None:
    out = tmp_path / "never"
    result = runner.invoke(app, ["generate", "--out", str(out), *args])
    assert result.exit_code == 2
    assert option in result.output
    assert not out.exists()


def test_unwritable_out_folder_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["generate", "--persons", "10", "--out", str(blocker / "sub")])
    assert result.exit_code == 2
    assert "--out" in result.output
