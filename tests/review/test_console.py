"""Review console pages: declare as the hospital, review, answer, appeal, second review, timeline."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.review.helpers import HOSPITAL, PERIOD, settled_month
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.staff import service as staff

DECL = f"SB-{HOSPITAL}-202403"


def _users(container: Container) -> None:
    with container.uow(SYSTEM) as uow:
        for name, roles, code in (
            ("rev-a", ["reviewer"], None),
            ("rev-b", ["reviewer"], None),
            ("op-h", ["institution"], HOSPITAL),
            ("op-c", ["institution"], "H43990100002"),
        ):
            staff.create_user(
                uow=uow,
                username=name,
                password="pass-word-123",
                display_name=name,
                roles=roles,
                regions=["439901"],
                institution_code=code,
            )


def _as(client: TestClient, name: str) -> TestClient:
    client.cookies.clear()
    response = client.post("/console/login", data={"username": name, "password": "pass-word-123"})
    assert response.status_code in (200, 303), response.text
    return client


def test_declare_review_answer_appeal_through_the_pages(app_client: TestClient, container: Container) -> None:
    month = settled_month(container, bills=1)
    _users(container)
    c = _as(app_client, "op-h")
    preview = c.get("/console/review/declare", params={"period": PERIOD})
    assert preview.status_code == 200 and month.setl_ids[0][:16] in preview.text
    made = c.post("/console/review/declare", data={"fixmedins_code": HOSPITAL, "period": PERIOD})
    assert made.status_code == 200 and DECL in made.text and "逾期申报" in made.text
    refused = c.post("/console/review/declare", data={"fixmedins_code": HOSPITAL, "period": PERIOD})
    assert refused.status_code == 409 and "DECLARATION_EXISTS" in refused.text

    c = _as(app_client, "rev-a")
    assert DECL in c.get("/console/review").text
    flagged = c.post(
        f"/console/review/declarations/{DECL}/items", data={"setl_id": month.setl_ids[0], "bkkp_sn": "3"}
    )
    assert flagged.status_code == 200 and "待审核" in flagged.text
    too_much = c.post(
        "/console/review/items/1/decide",
        data={"action": "deduct", "reason_code": "NOT_COVERED", "amount": "300.01"},
    )
    assert too_much.status_code == 422 and "REVIEW_AMOUNT_OVER_DECLARED" in too_much.text
    decided = c.post(
        "/console/review/items/1/decide",
        data={"action": "deduct", "reason_code": "NOT_COVERED", "amount": "120.00", "note": "丙类"},
    )
    assert decided.status_code == 200 and "拒付待回复" in decided.text
    queue = c.get("/console/review/queue", params={"status": "deducted"}).text
    assert "120.00" in queue

    foreign = _as(app_client, "op-c").get(f"/console/review/declarations/{DECL}")
    assert foreign.status_code == 404
    c = _as(app_client, "op-h")
    appealed = c.post("/console/review/items/1/answer", data={"action": "appeal", "note": "已审批"})
    assert appealed.status_code == 200 and "申诉待复审" in appealed.text

    c = _as(app_client, "rev-a")
    same = c.post("/console/review/items/1/decide", data={"action": "uphold"})
    assert same.status_code == 409 and "REVIEW_SAME_REVIEWER" in same.text
    c = _as(app_client, "rev-b")
    upheld = c.post("/console/review/items/1/decide", data={"action": "uphold", "amount": "100.00"})
    assert upheld.status_code == 200 and "复审维持" in upheld.text
    page = c.get(f"/console/review/declarations/{DECL}").text
    assert "rev-b" in page and "op-h" in page and "100.00" in page  # the timeline names everyone
    english = c.get(f"/console/review/declarations/{DECL}", params={"lang": "en"}).text
    assert "Timeline" in english
    xlsx = c.get(f"/console/review/declarations/{DECL}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_parameters_and_holidays_page(app_client: TestClient, container: Container) -> None:
    from tests.factories import add_region

    add_region(container)
    _users(container)
    c = _as(app_client, "rev-a")
    page = c.get("/console/review/settings")
    assert page.status_code == 200 and "2,3,4,5" in page.text  # the defaults are shown
    saved = c.post(
        "/console/review/settings/parameters",
        data={
            "admdvs": "439901",
            "begin": "2025-01-01",
            "repeat_multipliers": "3,5",
            "answer_working_days": "7",
        },
    )
    assert saved.status_code == 200 and "3,5" in saved.text
    overlap = c.post("/console/review/settings/parameters", data={"admdvs": "439901", "begin": "2025-06-01"})
    assert overlap.status_code == 409 and "REVIEW_PARAM_OVERLAP" in overlap.text
    bad = c.post(
        "/console/review/settings/parameters",
        data={"admdvs": "439901", "begin": "2020-01-01", "end": "2020-12-31", "repeat_multipliers": "1"},
    )
    assert bad.status_code == 422 and "REVIEW_PARAM_RANGE" in bad.text
    day = c.post(
        "/console/review/settings/calendar",
        data={"admdvs": "439901", "day": "2025-10-01", "kind": "holiday", "name": "国庆节"},
    )
    assert day.status_code == 200 and "国庆节" in day.text
    wrong = c.post("/console/review/settings/calendar", data={"day": "not-a-day", "kind": "holiday"})
    assert wrong.status_code == 422
