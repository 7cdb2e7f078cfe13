"""Admission through its entry points: the REST API (with a multipart document), the CLI, the console
forms and the one-screen institution page."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.institutions.helpers import add_institution, supervisor
from yibao.assessment import service as assessment
from yibao.bootstrap import Container
from yibao.cli import app
from yibao.institutions import service
from yibao.staff import service as staff
from yibao.supervision import service as supervision

CODE = "H43990100009"
APP = "/api/v1/institutions/applications"
SCORES = {
    "management": 12,
    "service_windows": 8,
    "price_notice": 10,
    "it_network": 18,
    "medical_quality": 20,
    "drug_stock": 16,
}


def test_api_walks_the_admission_and_refuses_a_skipped_step(
    app_client: TestClient, admin_headers: dict[str, str], container: Container
) -> None:
    add_institution(container, CODE)
    h = admin_headers
    created = app_client.post(
        f"/api/v1/institutions/{CODE}/applications",
        headers=h,
        json={
            "day": "2026-03-02",
            "licence_no": "PDY1",
            "opened_on": "2025-03-01",
            "systems_connected_on": "2026-02-20",
        },
    )
    assert created.status_code == 201, created.text
    number = created.json()["application_no"]
    skipped = app_client.post(
        f"{APP}/{number}/notice", headers=h, json={"begin": "2026-03-10", "end": "2026-03-16"}
    )
    assert skipped.status_code == 409 and skipped.json()["error"]["code"] == "APPLICATION_TRANSITION"
    for kind in ("licence", "business"):
        up = app_client.post(
            f"{APP}/{number}/documents",
            headers=h,
            data={"kind": kind},
            files={"file": (f"{kind}.pdf", b"%PDF " + kind.encode(), "application/pdf")},
        )
        assert up.status_code == 201, up.text
    doc_id = up.json()["id"]
    download = app_client.get(f"{APP}/{number}/documents/{doc_id}", headers=h)
    assert download.content == b"%PDF business"
    checked = app_client.post(f"{APP}/{number}/check", headers=h, json={"day": "2026-03-02"})
    assert checked.json()["status"] == "eligible"
    assessed = app_client.post(
        f"{APP}/{number}/assess",
        headers=h,
        json={"scores": SCORES, "assessors": ["王", "李"], "day": "2026-03-05"},
    )
    assert (assessed.json()["status"], assessed.json()["score"]) == ("assessed", 84)
    app_client.post(f"{APP}/{number}/notice", headers=h, json={"begin": "2026-03-10", "end": "2026-03-16"})
    objection = app_client.post(
        f"{APP}/{number}/objections", headers=h, json={"day": "2026-03-11", "content": "门诊时间短"}
    )
    assert objection.status_code == 201
    answered = app_client.post(
        f"{APP}/{number}/objections/{objection.json()['id']}/answer",
        headers=h,
        json={"outcome": "dismissed", "answer": "不影响定点条件", "day": "2026-03-12"},
    )
    assert answered.json()["status"] == "dismissed"
    closed = app_client.post(f"{APP}/{number}/close", headers=h, json={"day": "2026-03-17"})
    assert closed.json()["status"] == "approved"
    signed = app_client.post(
        f"{APP}/{number}/sign",
        headers=h,
        json={"begin": "2026-04-01", "day": "2026-03-25", "terms_profile": "general"},
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["agreement_no"] == "XY2026-000001"
    app_client.post("/console/login", data={"username": "admin", "password": "admin-pass-123"})
    printable = app_client.get(f"/console/institutions/{CODE}/certificate")
    assert (
        printable.status_code == 200
        and "ZG43990120260001" in printable.text
        and "DY43990100001" in printable.text
    )
    history = app_client.get(f"/api/v1/institutions/{CODE}/history", headers=h).json()
    assert history["certificates"][0]["plaque_no"] == "DY43990100001"
    assert history["agreements"][0]["end"] == "2027-03-31"
    listed = app_client.get(APP, headers=h, params={"status": "signed"}).json()
    assert listed["total"] == 1 and listed["items"][0]["application_no"] == number
    checklist = app_client.get("/api/v1/institutions/checklists/439901/1", headers=h).json()
    assert (checklist["source"], checklist["pass_mark"]) == ("default", 70)


def test_api_refuses_applying_inside_a_ban_naming_its_end(
    app_client: TestClient, admin_headers: dict[str, str], container: Container
) -> None:
    add_institution(
        container, "P43990100008", fixmedins_type="2", hosp_lv=None, agreement_begin=date(2024, 1, 1)
    )
    terminated = app_client.post(
        "/api/v1/institutions/P43990100008/agreement",
        headers=admin_headers,
        json={"action": "terminate", "day": "2025-01-10", "reason": "违规较重"},
    )
    assert terminated.status_code == 200
    ban = app_client.post(
        "/api/v1/institutions/P43990100008/bans",
        headers=admin_headers,
        json={"kind": "no_renew", "years": 4, "begin": "2025-01-10", "reason": "违规较重，造成一定影响"},
    )
    assert ban.status_code == 201 and ban.json()[0]["end"] == "2029-01-09"
    refused = app_client.post(
        "/api/v1/institutions/P43990100008/applications", headers=admin_headers, json={"day": "2026-01-01"}
    )
    assert refused.status_code == 409
    assert (
        refused.json()["error"]["code"] == "REENTRY_BAN_NO_RENEW"
        and "2029-01-09" in refused.json()["error"]["message"]
    )


def test_cli_walks_the_admission(cli_env: Container, tmp_path: Path) -> None:
    runner = CliRunner()
    add_institution(cli_env, CODE)
    ok = runner.invoke(
        app,
        [
            "institutions",
            "apply",
            CODE,
            "--day",
            "2026-03-02",
            "--licence-no",
            "PDY1",
            "--opened-on",
            "2025-03-01",
            "--systems-on",
            "2026-02-20",
        ],
    )
    assert ok.exit_code == 0, ok.output
    number = "SQ2026-000001"
    early = runner.invoke(app, ["institutions", "sign", number, "--begin", "2026-04-01"])
    assert early.exit_code == 2 and "APPLICATION_TRANSITION" in early.output
    doc = tmp_path / "licence.pdf"
    doc.write_bytes(b"%PDF")
    for kind in ("licence", "business"):
        assert (
            runner.invoke(app, ["institutions", "document", number, str(doc), "--kind", kind]).exit_code == 0
        )
    updated = runner.invoke(app, ["institutions", "application-update", number, "--contact", "李主任"])
    assert updated.exit_code == 0, updated.output
    checked = runner.invoke(app, ["institutions", "check", number, "--day", "2026-03-02"])
    assert "资格审查通过" in checked.output and "开业满一年" in checked.output
    args = ["institutions", "assess", number, "--assessor", "王", "--assessor", "李", "--day", "2026-03-05"]
    for key, value in SCORES.items():
        args += ["--score", f"{key}={value}"]
    assessed = runner.invoke(app, args)
    assert "评估得分 84" in assessed.output, assessed.output
    runner.invoke(app, ["institutions", "notice", number, "--begin", "2026-03-10", "--end", "2026-03-16"])
    runner.invoke(app, ["institutions", "close", number, "--day", "2026-03-17"])
    signed = runner.invoke(
        app,
        [
            "institutions",
            "sign",
            number,
            "--begin",
            "2026-04-01",
            "--day",
            "2026-03-25",
            "--terms-profile",
            "general",
        ],
    )
    assert signed.exit_code == 0 and "XY2026-000001" in signed.output
    suspended = runner.invoke(
        app,
        [
            "institutions",
            "agreement",
            CODE,
            "--action",
            "suspend",
            "--day",
            "2026-06-01",
            "--until",
            "2026-07-31",
            "--reason",
            "限期整改",
        ],
    )
    assert suspended.exit_code == 0, suspended.output
    shown = runner.invoke(app, ["institutions", "history", CODE])
    assert "DY43990100001" in shown.output and "暂停协议" in shown.output


def _signed_in(app_client: TestClient, container: Container) -> TestClient:
    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    app_client.post("/console/login", data={"username": "admin", "password": "admin-pass-123"})
    return app_client


def test_console_application_form_errors_then_steps(app_client: TestClient, container: Container) -> None:
    add_institution(container, CODE)
    client = _signed_in(app_client, container)
    bad = client.post(
        "/console/institutions/applications", data={"fixmedins_code": CODE, "opened_on": "2026-13-01"}
    )
    assert bad.status_code == 422 and "opened_on" in bad.text
    done = client.post(
        "/console/institutions/applications",
        data={"fixmedins_code": CODE, "day": "2026-03-02", "licence_no": "PDY1", "opened_on": "2025-03-01"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    url = done.headers["location"]
    checked = client.post(f"{url}/step", data={"step": "check", "day": "2026-03-02"})
    assert (
        checked.status_code == 200
        and "资格审查未通过" in checked.text
        and "尚未完成医保信息系统联网验收" in checked.text
    )
    fixed = client.post(f"{url}/step", data={"step": "facts", "systems_connected_on": "2026-02-20"})
    assert fixed.status_code == 200 and "2026-02-20" in fixed.text
    skipped = client.post(f"{url}/step", data={"step": "close", "day": "2026-04-01"})
    assert skipped.status_code == 409 and "APPLICATION_TRANSITION" in skipped.text
    page = client.get(url)
    assert 'id="document-form"' in page.text and 'id="check-form"' in page.text
    export = client.get("/console/institutions/applications/export.xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("申请编号", "机构编码", "机构名称", "受理日期", "状态")
    assert rows[1][0] == "SQ2026-000001" and rows[1][4] == "资格审查未通过"


def test_the_institution_page_shows_everything_on_one_screen(
    app_client: TestClient, container: Container
) -> None:
    add_institution(container, CODE, agreement_begin=date(2026, 1, 1))
    with container.uow(supervisor()) as uow:
        assessment.set_terms(
            uow=uow,
            fixmedins_code=CODE,
            year=2026,
            terms=[{"code": "satisfaction", "target": 9000, "weight": 100}],
        )
    with container.uow(supervisor()) as uow:
        assessment.assess(uow=uow, fixmedins_code=CODE, period="2026-01", actuals={"satisfaction": 8100})
    with container.uow(supervisor()) as uow:
        supervision.create_decision(
            uow=uow,
            target_type="institution",
            kind="recovery",
            fixmedins_code=CODE,
            amount=120000,
            reason="串换项目",
        )
    with container.uow(supervisor()) as uow:
        service.change_agreement(
            uow=uow, fixmedins_code=CODE, action="change", day=date(2026, 2, 1), reason="床位由100张增至120张"
        )
    client = _signed_in(app_client, container)
    page = client.get(f"/console/institutions/{CODE}")
    assert page.status_code == 200
    text = page.text
    for anchor in (
        'id="history-table"',
        'id="agreement-records"',
        'id="ban-table"',
        'id="score-chart"',
        'id="indicator-chart"',
        'id="assessment-table"',
        'id="decision-table"',
        'id="doctor-table"',
    ):
        assert anchor in text
    assert "床位由100张增至120张" in text and "串换项目" in text and "2026-01" in text
    assert "/static/vendor/echarts.min.js" in text
    # 81% of 90% → 100 × 8100/9000 = 90.00 points on the chart.
    assert '"points": [90.0]' in text and '"periods": ["2026-01"]' in text
    missing = client.get(f"/console/institutions/{CODE}/certificate")
    assert missing.status_code == 404 and "CERTIFICATE_NOT_FOUND" in missing.text


def test_an_institution_operator_sees_its_own_page_with_the_sections_it_may_not_read_explained(
    container: Container,
) -> None:
    from tests.factories import make_actor
    from yibao.core.security import Role

    add_institution(container, CODE, agreement_begin=date(2026, 1, 1))
    operator = make_actor(Role.INSTITUTION, institution_code=CODE, username="his")
    with container.uow(operator) as uow:
        overview = service.institution_overview(uow=uow, fixmedins_code=CODE, day=date(2026, 2, 1))
    assert overview.institution.fixmedins_code == CODE and overview.history.agreements
    assert overview.assessments is None and overview.inspections is None
    assert set(overview.notes) >= {"assessments", "supervision"}
    assert overview.applications == [] and overview.chart["periods"] == []
