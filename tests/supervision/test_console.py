"""Console pages of supervision render and export."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from tests.assessment.helpers import assessor, world_with_drugs
from tests.settlement.helpers import HOSPITAL
from yibao.bootstrap import Container
from yibao.supervision import service


def test_pages_render_and_export(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow:
        i = service.create_inspection(
            uow=uow,
            fixmedins_code=HOSPITAL,
            kind="flight",
            planned_on=date(2024, 3, 1),
            team=["王", "李"],
            scope="飞行检查",
        )
    with container.uow(assessor()) as uow:
        rnd = service.record_ward_round(
            uow=uow,
            fixmedins_code=HOSPITAL,
            round_at=datetime(2024, 3, 1, 2, tzinfo=UTC),
            inspectors=["王", "李"],
            patients=[{"psn_no": "P1", "present": False}],
            standard_fen=100,
        )
    with container.uow(assessor()) as uow:
        rep = service.create_report(
            uow=uow,
            admdvs="439901",
            received_on=date(2024, 3, 1),
            channel="web",
            anonymous=True,
            fixmedins_code=HOSPITAL,
            content="举报",
        )
    with container.uow(assessor()) as uow:
        dec = service.create_decision(
            uow=uow,
            target_type="institution",
            fixmedins_code=HOSPITAL,
            kind="recovery",
            amount=100,
            reason="追回",
        )
    r = app_client.post(
        "/console/login", data={"username": "admin", "password": "admin-pass-123"}, follow_redirects=False
    )
    assert r.status_code in (302, 303)
    for url, text in [
        ("/console/supervision", "稽核检查"),
        (f"/console/supervision/inspections/{i.inspection_no}", "飞行检查"),
        ("/console/supervision/rounds", "在床率"),
        (f"/console/supervision/rounds/{rnd.round_no}", "不在床"),
        ("/console/supervision/checks", "探望"),
        ("/console/supervision/reports", "举报线索"),
        (f"/console/supervision/reports/{rep.report_no}", "查询码"),
        ("/console/supervision/decisions", "处理决定"),
        (f"/console/supervision/decisions/{dec.decision_no}", "拟处理"),
        ("/console/supervision/disclosure", "信息披露"),
    ]:
        resp = app_client.get(url)
        assert resp.status_code == 200 and text in resp.text, url
    for url in ("inspections.xlsx", "rounds.xlsx", "reports.xlsx", "decisions.xlsx", "disclosure.xlsx"):
        resp = app_client.get(f"/console/supervision/{url}")
        assert resp.status_code == 200 and resp.content[:2] == b"PK", url
    bad = app_client.post(
        "/console/supervision/rounds",
        data={
            "fixmedins_code": HOSPITAL,
            "round_at": "2024-03-01T10:00",
            "inspectors": "王,李",
            "standard": "1.00",
            "patients": "P1,甲,1,yes",
        },
    )
    assert bad.status_code == 422 and "ROUND_LINE" in bad.text
    assert app_client.get("/console/supervision/decisions/JD1999-000001").status_code == 404
