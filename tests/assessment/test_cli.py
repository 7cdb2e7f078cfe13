"""`yibao assessment …` and `yibao supervision …`: the main commands and a refusal with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.assessment.helpers import DOCTOR, PATENT, WESTERN_LISTED, WESTERN_OUTSIDE, world_with_drugs
from tests.institutions.helpers import csv_bytes
from tests.settlement.helpers import HOSPITAL
from yibao.bootstrap import Container
from yibao.cli import app

runner = CliRunner()


def test_report_terms_assess_points(cli_env: Container, tmp_path: Path) -> None:
    world_with_drugs(cli_env)
    header = [
        "drug_code",
        "drug_name",
        "maker",
        "channel",
        "purchase_day",
        "quantity",
        "purchase_price",
        "sale_price",
    ]
    rows = [
        [c, "药", "厂", "平台", "2024-03-02", "10", "1.00", "1.10"]
        for c in WESTERN_LISTED + WESTERN_OUTSIDE + PATENT
    ]
    path = tmp_path / "march.csv"
    path.write_bytes(csv_bytes([header, *rows]))
    out = runner.invoke(app, ["assessment", "report", HOSPITAL, str(path), "--period", "2024-03"])
    assert out.exit_code == 0, out.output
    assert "西药备药率 17/20 = 85.00%" in out.output
    assert (
        runner.invoke(
            app, ["assessment", "terms", HOSPITAL, "--year", "2024", "--profile", "pharmacy"]
        ).exit_code
        == 0
    )
    out = runner.invoke(
        app,
        [
            "assessment",
            "assess",
            HOSPITAL,
            "--period",
            "2024-03",
            "--actual",
            "satisfaction=9000",
            "--actual",
            "violations=0",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "信用等级 A" in out.output
    out = runner.invoke(
        app, ["assessment", "points", DOCTOR, "--violation", "false_admission", "--day", "2024-03-01"]
    )
    assert out.exit_code == 0 and "suspend" in out.output
    bad = runner.invoke(app, ["assessment", "assess", HOSPITAL, "--period", "2024-13"])
    assert bad.exit_code == 2 and "PERIOD_FORMAT" in bad.output


def test_supervision_round_and_decision(cli_env: Container, tmp_path: Path) -> None:
    world_with_drugs(cli_env)
    spec = {
        "fixmedins_code": HOSPITAL,
        "round_at": "2024-03-05T10:00:00+08:00",
        "inspectors": ["王", "李"],
        "patients": [{"psn_no": f"P{n}", "present": n < 36} for n in range(40)],
        "standard_fen": 907281,
    }
    path = tmp_path / "round.json"
    path.write_text(json.dumps(spec), "utf-8")
    out = runner.invoke(app, ["supervision", "round", str(path)])
    assert out.exit_code == 0, out.output
    assert "36/40 = 90.00%" in out.output and "18145.62" in out.output
    out = runner.invoke(
        app,
        [
            "supervision",
            "decide",
            "--target-type",
            "institution",
            "--kind",
            "fine",
            "--reason",
            "串换",
            "--code",
            HOSPITAL,
            "--amount",
            "100000",
            "--fine-pct",
            "200",
        ],
    )
    assert out.exit_code == 0, out.output
    number = out.output.split()[1]
    refused = runner.invoke(
        app, ["supervision", "issue", number, "--document-no", " ", "--day", "2024-04-01"]
    )
    assert refused.exit_code == 2 and "DECISION_DOCUMENT_REQUIRED" in refused.output
    assert (
        runner.invoke(
            app, ["supervision", "issue", number, "--document-no", "罚1号", "--day", "2024-04-01"]
        ).exit_code
        == 0
    )
