"""REST API, console pages and the CLI of monitoring, over one hand-made data set."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.knowledge import load_knowledge
from tests.monitoring.test_service import _data
from yibao.bootstrap import Container
from yibao.cli import app
from yibao.core.security import SYSTEM
from yibao.domain.monitoring import LIBRARY
from yibao.monitoring import service
from yibao.staff import service as staff

runner = CliRunner()


def _run(container: Container, tmp: Path) -> str:
    load_knowledge(container)
    with container.uow(SYSTEM) as uow:
        return service.run_batch(
            uow=uow, data_dir=_data(tmp), out_dir=tmp / "out", day=service.today()
        ).run_no


def test_api_rules_settings_runs_findings_and_cases(
    app_client: TestClient, admin_headers: dict[str, str], container: Container, tmp_path: Path
) -> None:
    rules = app_client.get("/api/v1/monitoring/rules", headers=admin_headers).json()
    assert len(rules) == len(LIBRARY) == 41
    assert {r["family"] for r in rules} >= {"split_admission", "duplicate_charge", "upcoding"}
    bad = app_client.post(
        "/api/v1/monitoring/rules/GZ10000101009000/settings",
        headers=admin_headers,
        json={"admdvs": "439901", "enabled": True, "params": {"max_days": "x"}, "begin": "2024-01-01"},
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "RULE_PARAM_TYPE"
    ok = app_client.post(
        "/api/v1/monitoring/rules/GZ10000101009000/settings",
        headers=admin_headers,
        json={"admdvs": "439901", "enabled": True, "params": {"max_days": 15}, "begin": "2024-01-01"},
    )
    assert ok.status_code == 201, ok.text
    run_no = _run(container, tmp_path)
    findings = app_client.get(
        f"/api/v1/monitoring/runs/{run_no}/findings?rule_family=sex_restricted", headers=admin_headers
    ).json()
    assert findings["total"] == 1 and findings["items"][0]["vola_amt"] in ("25.00", 25.0, "25")
    cases = app_client.post(f"/api/v1/monitoring/runs/{run_no}/cases", headers=admin_headers, json={}).json()
    assert len(cases) == 2
    case_no = cases[0]["case_no"]
    act = app_client.post(
        f"/api/v1/monitoring/cases/{case_no}/actions",
        headers=admin_headers,
        json={"action": "dismiss", "note": "已核实收费合理"},
    )
    assert act.status_code == 200 and act.json()["status"] == "dismissed"
    detail = app_client.get(f"/api/v1/monitoring/cases/{case_no}", headers=admin_headers).json()
    assert [n["action"] for n in detail["notes"]] == ["open", "dismiss"]
    missing = app_client.get("/api/v1/monitoring/runs/R0", headers=admin_headers)
    assert missing.status_code == 404


def _signed_in(app_client: TestClient, container: Container) -> TestClient:
    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    response = app_client.post(
        "/console/login", data={"username": "admin", "password": "admin-pass-123"}, follow_redirects=False
    )
    assert response.status_code == 303
    return app_client


def test_console_pages_rules_runs_findings_drill_down_and_cases(
    app_client: TestClient, container: Container, tmp_path: Path
) -> None:
    client = _signed_in(app_client, container)
    run_no = _run(container, tmp_path)
    page = client.get("/console/monitoring/rules?admdvs=439901")
    assert page.status_code == 200 and "分解住院" in page.text and "知识库版本" in page.text
    bad = client.post(
        "/console/monitoring/rules",
        data={"admdvs": "439901", "rule_id": "GZ10000101009000", "params": "nope=1", "begin": "2024-01-01"},
    )
    assert bad.status_code == 422 and "没有参数 nope" in bad.text
    saved = client.post(
        "/console/monitoring/rules",
        data={"admdvs": "439901", "rule_id": "GZ10000101009000", "enabled": "0", "begin": "2024-01-01"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert run_no in client.get("/console/monitoring/runs").text
    findings = client.get(f"/console/monitoring/runs/{run_no}?fixmedins_code=H2")
    assert (
        findings.status_code == 200
        and "医疗服务项目限定频次" in findings.text
        and "阿帕他胺" not in findings.text
    )
    finding_id = findings.text.split(f"/console/monitoring/runs/{run_no}/findings/")[1].split('"')[0]
    drill = client.get(f"/console/monitoring/runs/{run_no}/findings/{finding_id}")
    assert drill.status_code == 200 and "003101000250000" in drill.text
    opened = client.post(
        f"/console/monitoring/runs/{run_no}/cases", data={"min_sev": "1"}, follow_redirects=False
    )
    assert opened.status_code == 303
    listing = client.get(f"/console/monitoring/cases?run_no={run_no}")
    case_no = listing.text.split("/console/monitoring/cases/")[1].split('"')[0]
    refused = client.post(f"/console/monitoring/cases/{case_no}", data={"action": "confirm"})
    assert refused.status_code == 409 and "CASE_STATE" in refused.text
    assigned = client.post(
        f"/console/monitoring/cases/{case_no}",
        data={"action": "assign", "assignee": "稽核员乙"},
        follow_redirects=False,
    )
    assert assigned.status_code == 303
    assert "稽核员乙" in client.get(f"/console/monitoring/cases/{case_no}").text
    assert client.get("/console/monitoring/cases/NOPE").status_code == 404


def test_cli_load_knowledge_list_run_evaluate_and_refuse(cli_env: Container, tmp_path: Path) -> None:
    loaded = runner.invoke(app, ["monitor", "rules", "load-knowledge"])
    assert loaded.exit_code == 0, loaded.output
    listed = runner.invoke(app, ["monitor", "rules", "list"])
    assert listed.exit_code == 0 and "GZ10000204001000" in listed.output
    data = _data(tmp_path)
    out = tmp_path / "out"
    ran = runner.invoke(app, ["monitor", "run", "--data", str(data), "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    assert (out / "findings.parquet").exists() and "疑点 3 条" in ran.output
    refused = runner.invoke(app, ["monitor", "run", "--data", str(tmp_path / "nope"), "--out", str(out)])
    assert refused.exit_code == 2 and "DATA_DIR" in refused.output
    no_labels = runner.invoke(app, ["monitor", "evaluate", "--data", str(data), "--findings", str(out)])
    assert no_labels.exit_code == 2 and "EVAL_FILE_MISSING" in no_labels.output
    disabled = runner.invoke(
        app,
        [
            "monitor",
            "rules",
            "set",
            "GZ10000301004000",
            "--admdvs",
            "439901",
            "--disable",
            "--begin",
            "2024-01-01",
        ],
    )
    assert disabled.exit_code == 0, disabled.output
