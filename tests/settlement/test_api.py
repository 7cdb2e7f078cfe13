"""The settlement REST API: a bill through HTTP, refusals in the one error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.settlement.helpers import HOSPITAL, build_world
from yibao.bootstrap import Container


def test_a_bill_through_the_api(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    world = build_world(container)
    visit = app_client.post(
        "/api/v1/visits",
        headers=admin_headers,
        json={
            "psn_no": world.worker,
            "fixmedins_code": HOSPITAL,
            "med_type": "2101",
            "begntime": "2024-03-01T09:00:00",
            "diagnoses": ["J18.900"],
        },
    )
    assert visit.status_code == 201, visit.text
    mdtrt_id = visit.json()["mdtrt_id"]
    fees = app_client.post(
        f"/api/v1/visits/{mdtrt_id}/fees",
        headers=admin_headers,
        json={
            "feedetail": [
                {
                    "feedetl_sn": "1",
                    "fee_ocur_time": "2024-03-01T10:00:00",
                    "medins_list_codg": "ZL001",
                    "cnt": "1",
                    "pric": "1000000",
                    "det_item_fee_sumamt": 1_000_000,
                }
            ]
        },
    )
    assert fees.status_code == 201 and fees.json() == {"uploaded": 1, "amount": 1_000_000}
    preview = app_client.post(f"/api/v1/visits/{mdtrt_id}/pre-settlement", headers=admin_headers)
    assert preview.status_code == 200 and preview.json()["hifp_pay"] == 782_000
    assert any("起付线" in item["text"] for item in preview.json()["trace"])
    settled = app_client.post(
        f"/api/v1/visits/{mdtrt_id}/settlement", headers=admin_headers, json={"request_id": "req-1"}
    )
    assert settled.status_code == 200, settled.text
    body = settled.json()
    assert (body["hifp_pay"], body["act_pay_dedc"], body["psn_cash_pay"]) == (782_000, 80_000, 218_000)
    assert body["setldetail"] == [{"fund_pay_type": "310100", "amount": 782_000}]
    again = app_client.post(
        f"/api/v1/visits/{mdtrt_id}/settlement", headers=admin_headers, json={"request_id": "req-1"}
    )
    assert again.json()["setl_id"] == body["setl_id"]
    detail = app_client.get(f"/api/v1/visits/{mdtrt_id}", headers=admin_headers).json()
    assert detail["visit"]["status"] == "settled" and detail["lines"][0]["inscp"] == 1_000_000
    reversal = app_client.post(
        f"/api/v1/settlements/{body['setl_id']}/reversal", headers=admin_headers, json={"request_id": "req-2"}
    )
    assert reversal.status_code == 200 and reversal.json()["hifp_pay"] == -782_000
    ledger = app_client.get(f"/api/v1/persons/{world.worker}/ledger/310/2024", headers=admin_headers)
    assert ledger.json() == {"admissions": 0, "cap:pool": 0, "elig:inpatient": 0}


def test_refusals_name_the_field(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    world = build_world(container)
    bad_type = app_client.post(
        "/api/v1/visits",
        headers=admin_headers,
        json={
            "psn_no": world.worker,
            "fixmedins_code": HOSPITAL,
            "med_type": "abc",
            "begntime": "2024-03-01T09:00:00",
            "diagnoses": ["J18.900"],
        },
    )
    assert bad_type.status_code == 422 and bad_type.json()["error"]["field"] == "med_type"
    missing = app_client.post(
        "/api/v1/visits/nope/settlement", headers=admin_headers, json={"request_id": "r"}
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "VISIT_NOT_FOUND"
    malformed = app_client.post(
        "/api/v1/visits/x/fees",
        headers=admin_headers,
        json={
            "feedetail": [
                {
                    "feedetl_sn": "1",
                    "fee_ocur_time": "yesterday",
                    "medins_list_codg": "ZL001",
                    "cnt": "1",
                    "pric": "-1",
                    "det_item_fee_sumamt": 1,
                }
            ]
        },
    )
    assert malformed.status_code == 422
    assert {e["field"] for e in malformed.json()["error"]["errors"]} == {
        "feedetail.0.fee_ocur_time",
        "feedetail.0.pric",
    }


def test_line_details_and_the_way_of_leaving_through_the_api(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    """开单医生、周期天数、出院带药标志 on a line and 离院方式 at discharge go in and come back out."""
    world = build_world(container)
    mdtrt_id = app_client.post(
        "/api/v1/visits",
        headers=admin_headers,
        json={
            "psn_no": world.worker,
            "fixmedins_code": HOSPITAL,
            "med_type": "2101",
            "begntime": "2024-03-01T09:00:00",
            "diagnoses": ["J18.900"],
        },
    ).json()["mdtrt_id"]
    line = {
        "feedetl_sn": "1",
        "fee_ocur_time": "2024-03-01T10:00:00",
        "medins_list_codg": "YP001",
        "cnt": "14",
        "pric": "200",
        "det_item_fee_sumamt": 2_800,
        "bilg_dept_codg": "A03",
        "bilg_dr_codg": "D110105000001",
        "prd_days": "7",
        "dscg_tkdrug_flag": "1",
    }
    too_long = app_client.post(
        f"/api/v1/visits/{mdtrt_id}/fees",
        headers=admin_headers,
        json={"feedetail": [line | {"prd_days": "100"}]},
    )
    assert too_long.status_code == 422
    assert {e["field"] for e in too_long.json()["error"]["errors"]} == {"feedetail.0.prd_days"}
    assert (
        app_client.post(
            f"/api/v1/visits/{mdtrt_id}/fees", headers=admin_headers, json={"feedetail": [line]}
        ).status_code
        == 201
    )
    left = app_client.post(
        f"/api/v1/visits/{mdtrt_id}/discharge",
        headers=admin_headers,
        json={"endtime": "2024-03-05T09:00:00", "dscg_way": "1"},
    )
    assert left.status_code == 200, left.text
    detail = app_client.get(f"/api/v1/visits/{mdtrt_id}", headers=admin_headers).json()
    assert detail["visit"]["dscg_way"] == "1"
    got = detail["lines"][0]
    assert (got["bilg_dr_codg"], got["prd_days"], got["dscg_tkdrug_flag"]) == ("D110105000001", "7.00", "1")
