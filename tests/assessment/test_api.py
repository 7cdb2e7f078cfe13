"""REST API of assessment: the flow over HTTP, the one error shape, the purchase report import."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.assessment.helpers import (
    DOCTOR,
    PATENT,
    WESTERN_LISTED,
    WESTERN_OUTSIDE,
    report_row,
    world_with_drugs,
)
from tests.institutions.helpers import csv_bytes
from tests.settlement.helpers import HOSPITAL
from yibao.bootstrap import Container

_A = "/api/v1/assessment"


def test_report_assess_apply_over_http(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    world_with_drugs(container)
    rows = [report_row(c) for c in WESTERN_LISTED + WESTERN_OUTSIDE + PATENT]
    r = app_client.post(
        f"{_A}/institutions/{HOSPITAL}/reports",
        json={"period": "2024-03", "rows": rows},
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["stock"]["western"]["rate_bp"] == 8500
    terms = {
        "year": 2024,
        "terms": [
            {"code": "stock_rate_western", "target": 8500, "weight": 60},
            {"code": "satisfaction", "target": 9000, "weight": 40},
        ],
    }
    assert (
        app_client.put(f"{_A}/institutions/{HOSPITAL}/terms", json=terms, headers=admin_headers).status_code
        == 200
    )
    r = app_client.post(
        f"{_A}/institutions/{HOSPITAL}/assessments",
        json={"period": "2024-03", "actuals": {"satisfaction": 9000}},
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["score"], r.json()["grade"]) == (10000, "A")
    r = app_client.post(
        f"{_A}/institutions/{HOSPITAL}/assessments/apply",
        json={"period": "2024-03", "day": "2024-04-01"},
        headers=admin_headers,
    )
    assert r.status_code == 200 and r.json()["applied_on"] == "2024-04-01"
    assert (
        app_client.get(f"{_A}/assessments", params={"period": "2024-03"}, headers=admin_headers).json()[
            "total"
        ]
        == 1
    )


def test_bad_report_rows_answer_422_with_every_row(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    world_with_drugs(container)
    data = csv_bytes(
        [
            ["药品编码", "药品名称", "生产厂家", "购入渠道", "采购日期", "数量", "购入价", "销售价"],
            [WESTERN_LISTED[0], "甲", "厂", "平台", "2024-03-01", "1", "1.00", "1.20"],
            ["XZ00000000000000000000", "乙", "厂", "平台", "2024-02-28", "-1", "1.00", "1.20"],
        ]
    )
    r = app_client.post(
        f"{_A}/institutions/{HOSPITAL}/reports/import",
        data={"period": "2024-03"},
        files={"file": ("march.csv", data, "text/csv")},
        headers=admin_headers,
    )
    assert r.status_code == 422
    codes = {(e["field"], e["code"]) for e in r.json()["error"]["errors"]}
    assert codes == {
        ("row3.drug_code", "DRUG_CODE_UNKNOWN"),
        ("row3.purchase_day", "DATE_OUTSIDE_PERIOD"),
        ("row3.quantity", "QUANTITY_NEGATIVE"),
    }


def test_doctor_points_over_http(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    world_with_drugs(container)
    for day in ("2024-03-01", "2024-03-02"):
        r = app_client.post(
            f"{_A}/doctors/{DOCTOR}/points",
            json={"violation": "swap_items", "day": day},
            headers=admin_headers,
        )
        assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "suspend"
    shown = app_client.get(
        f"{_A}/doctors/{DOCTOR}/points", params={"year": 2024}, headers=admin_headers
    ).json()
    assert shown["points"] == 6 and shown["status"] == "suspended"
    r = app_client.post(
        f"{_A}/doctors/{DOCTOR}/points",
        json={"violation": "nope", "day": "2024-03-03"},
        headers=admin_headers,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "VIOLATION_UNKNOWN"
