"""The review REST API: a declaration reviewed through HTTP; refusals in the one error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.review.helpers import HOSPITAL, LINE_FEN, PERIOD, settled_month
from yibao.bootstrap import Container
from yibao.core.excel import XLSX_MEDIA_TYPE

API = "/api/v1/review"


def test_declaration_review_and_deductions_through_the_api(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    month = settled_month(container, bills=2)
    h = admin_headers
    listed = app_client.get(
        f"{API}/to-declare", params={"fixmedins_code": HOSPITAL, "period": PERIOD}, headers=h
    )
    assert listed.status_code == 200 and len(listed.json()) == 2
    declared = [{k: s[k] for k in ("setl_id", "medfee_sumamt", "fund_pay_sumamt")} for s in listed.json()]
    check = app_client.post(
        f"{API}/check",
        json={"fixmedins_code": HOSPITAL, "period": PERIOD, "settlements": declared[:1]},
        headers=h,
    )
    assert (
        check.status_code == 200 and check.json()["complete"] is False and len(check.json()["missing"]) == 1
    )
    made = app_client.post(
        f"{API}/declarations",
        json={"fixmedins_code": HOSPITAL, "period": PERIOD, "settlements": declared},
        headers=h,
    )
    assert made.status_code == 201, made.text
    decl_no = made.json()["decl_no"]
    assert made.json()["late"] is True  # declared "today", long after 5 April 2024
    again = app_client.post(
        f"{API}/declarations", json={"fixmedins_code": HOSPITAL, "period": PERIOD}, headers=h
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "DECLARATION_EXISTS"

    item = app_client.post(
        f"{API}/declarations/{decl_no}/items", json={"setl_id": month.setl_ids[0], "bkkp_sn": "3"}, headers=h
    )
    assert item.status_code == 201, item.text
    item_id = item.json()["id"]
    assert item.json()["declared_fen"] == LINE_FEN["3"] and item.json()["status"] == "pending"
    decided = app_client.post(
        f"{API}/items/{item_id}/decision",
        json={"action": "deduct", "reason_code": "NOT_COVERED", "amount_fen": 10_000, "note": "丙类"},
        headers=h,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "deducted" and decided.json()["answer_due"]
    twice = app_client.post(f"{API}/items/{item_id}/decision", json={"action": "deduct"}, headers=h)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "REVIEW_ITEM_STATE"
    accepted = app_client.post(f"{API}/items/{item_id}/answer", json={"action": "accept"}, headers=h)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"

    totals = app_client.get(f"{API}/deductions", params={"admdvs": "439901", "period": PERIOD}, headers=h)
    assert totals.json() == [
        {
            "fixmedins_code": HOSPITAL,
            "setl_id": month.setl_ids[0],
            "amount_fen": 10_000,
            "reason_code": "NOT_COVERED",
        }
    ]
    detail = app_client.get(f"{API}/declarations/{decl_no}", headers=h).json()
    assert detail["confirmed_fen"] == 10_000 and [e["action"] for e in detail["events"]][-1] == "accept"
    queue = app_client.get(f"{API}/items", params={"status": "accepted", "period": PERIOD}, headers=h).json()
    assert queue["total"] == 1
    xlsx = app_client.get(f"{API}/declarations/{decl_no}/export.xlsx", headers=h)
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == XLSX_MEDIA_TYPE

    csv_text = (
        "finding_id,rule_id,rule_name,rule_family,scope,bkkp_sn,mdtrt_id,setl_id,psn_no,fixmedins_code,"
        "dr_code,vola_amt,sev_deg,evidence\n"
        f"F1,GZ1,重复收费,duplicate_charge,line,2,,{month.setl_ids[1]},,{HOSPITAL},,10.00,3,同日两次\n"
    )
    imported = app_client.post(
        f"{API}/findings/import",
        files={"file": ("findings.csv", csv_text.encode(), "text/csv")},
        data={"admdvs": "439901", "period": PERIOD},
        headers=h,
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 1


def test_refusals_use_the_one_error_shape(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    settled_month(container, bills=1)
    h = admin_headers
    bad = app_client.post(
        f"{API}/declarations", json={"fixmedins_code": HOSPITAL, "period": "2024-3"}, headers=h
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "REVIEW_PERIOD_FORMAT"
    missing = app_client.get(f"{API}/declarations/NOPE", headers=h)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "DECLARATION_NOT_FOUND"
    no_item = app_client.post(f"{API}/items/999/answer", json={"action": "accept"}, headers=h)
    assert no_item.status_code == 404
    params = app_client.post(
        f"{API}/parameters",
        json={"admdvs": "439901", "begin": "2024-01-01", "repeat_multipliers": "2,9"},
        headers=h,
    )
    assert params.status_code == 422 and params.json()["error"]["code"] == "REVIEW_PARAM_RANGE"
    day = app_client.put(
        f"{API}/calendar", json={"day": "2024-10-01", "kind": "holiday", "name": "国庆节"}, headers=h
    )
    assert day.status_code == 200
    assert app_client.get(f"{API}/calendar", headers=h).json()[0]["name"] == "国庆节"
    assert app_client.get(f"{API}/declarations", headers={}).status_code == 401
