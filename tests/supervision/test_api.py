"""REST API of supervision: rounds, reports, decisions and the disclosure list over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.assessment.helpers import world_with_drugs
from tests.settlement.helpers import HOSPITAL
from yibao.bootstrap import Container

_S = "/api/v1/supervision"


def test_round_report_decision_over_http(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    world_with_drugs(container)
    patients = [{"psn_no": f"P{n}", "present": n < 36} for n in range(40)]
    r = app_client.post(
        f"{_S}/rounds",
        json={
            "fixmedins_code": HOSPITAL,
            "round_at": "2024-03-05T10:00:00+08:00",
            "inspectors": ["王", "李"],
            "patients": patients,
            "standard_fen": 907281,
        },
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["rate_bp"], r.json()["refused_fen"]) == (9000, 1814562)
    r = app_client.post(
        f"{_S}/decisions",
        json={
            "target_type": "institution",
            "fixmedins_code": HOSPITAL,
            "kind": "termination",
            "reason": "骗保情节特别严重",
        },
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    number = r.json()["decision_no"]
    r = app_client.post(
        f"{_S}/decisions/{number}/issue", json={"document_no": "", "day": "2024-04-01"}, headers=admin_headers
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "DECISION_DOCUMENT_REQUIRED"
    r = app_client.post(
        f"{_S}/decisions/{number}/issue",
        json={"document_no": "解〔2024〕1号", "day": "2024-04-01"},
        headers=admin_headers,
    )
    assert r.status_code == 200 and r.json()["disclose"] is True
    inst = app_client.get(
        f"/api/v1/institutions/{HOSPITAL}/settlement", params={"day": "2024-04-02"}, headers=admin_headers
    ).json()
    assert (inst["allowed"], inst["code"]) == (False, "AGREEMENT_TERMINATED")
    assert app_client.get(f"{_S}/disclosure", headers=admin_headers).json()["total"] == 1


def test_evidence_upload_and_download(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    world_with_drugs(container)
    r = app_client.post(
        f"{_S}/inspections",
        json={
            "fixmedins_code": HOSPITAL,
            "kind": "routine",
            "planned_on": "2024-03-01",
            "team": ["王", "李"],
            "scope": "日常检查",
        },
        headers=admin_headers,
    )
    number = r.json()["inspection_no"]
    r = app_client.post(
        f"{_S}/inspections/{number}/evidence",
        files={"file": ("病历.pdf", b"%PDF-1.4", "application/pdf")},
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    got = app_client.get(f"{_S}/inspections/{number}/evidence/{r.json()['id']}", headers=admin_headers)
    assert got.status_code == 200 and got.content == b"%PDF-1.4"
    missing = app_client.get(f"{_S}/inspections/JC1999-000001", headers=admin_headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "INSPECTION_NOT_FOUND"
