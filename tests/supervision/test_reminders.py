"""Reminders (到期提醒): agreements ending soon or in their 2-month renewal grace, review deductions
awaiting the institution's answer (5 working days), doctors a point or two below suspension (6)."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.factories import make_actor
from tests.institutions.helpers import add_doctor, add_institution
from tests.review.helpers import DECIDE_DAY, HOSPITAL, decide, declare, flag, settled_month
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Role
from yibao.domain import assessment as points_rules
from yibao.domain import institutions as rules
from yibao.institutions.models import Doctor
from yibao.supervision import service

DAY = date(2026, 4, 10)


def _reminders(container: Container, **kw: object) -> service.Reminders:
    with container.uow(SYSTEM) as uow:
        return service.reminders(uow=uow, day=DAY, **kw)  # type: ignore[arg-type]


def test_agreements_ending_or_in_their_grace_and_doctors_near_suspension(container: Container) -> None:
    ends = {
        "H43990100031": date(2026, 5, 31),  # ends in 51 days: expiring
        "H43990100032": date(2026, 2, 28),  # ended; the grace runs to 2026-04-28: 18 days left
        "H43990100033": date(2026, 1, 31),  # grace ended 2026-03-31: already suspended, no reminder
        "H43990100034": date(2026, 12, 31),  # the clean twin: far away
    }
    for code, end in ends.items():
        add_institution(container, code, agreement_begin=date(end.year - 1, end.month, 1), agreement_end=end)
    for seq, points in enumerate((4, 5, 3, 6), start=1):
        add_doctor(container, f"D4399010000{seq}", seq=seq)
        with container.uow(SYSTEM) as uow:
            uow.session.execute(
                update(Doctor)
                .where(Doctor.dr_code == f"D4399010000{seq}")
                .values(
                    points_year=2026, points_deducted=points, status="suspended" if points >= 6 else "active"
                )
            )
            uow.commit()
    found = _reminders(container)
    assert [(r.kind, r.code, r.due, r.days_left) for r in found.items] == [
        ("agreement_grace", "H43990100032", date(2026, 4, 28), 18),
        ("agreement_expiring", "H43990100031", date(2026, 5, 31), 51),
        ("doctor_points", "D43990100002", None, None),
        ("doctor_points", "D43990100001", None, None),
    ]
    assert (
        found.items[0].kind_name == "协议已到期未续签"
        and "2026-04-28 后仍未续签将暂停结算" in found.items[0].detail
    )
    assert "再扣 1 分即暂停" in found.items[2].detail and found.unavailable == []
    # a shorter notice period leaves the agreement ending in 51 days out; a wider margin takes in 3 points
    narrow = _reminders(container, within_days=30, margin=3)
    assert [r.code for r in narrow.items] == ["H43990100032", "D43990100002", "D43990100001", "D43990100003"]


def test_deductions_awaiting_the_institutions_answer(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "3")
    decide(container, item, "deduct", reason="DUPLICATE_CHARGE", amount=12_345)
    with container.uow(SYSTEM) as uow:
        found = service.reminders(uow=uow, day=DECIDE_DAY, within_days=0)
    due = [r for r in found.items if r.kind == "answer_due"]
    assert [(r.code, r.name, r.due, r.days_left) for r in due] == [
        (HOSPITAL, f"审核条目 {item}", date(2024, 4, 15), 7)  # 5 working days after Monday 8 April
    ]
    assert "拒付 123.45 元" in due[0].detail and "逾期未回复视同认可" in due[0].detail


def test_lists_the_actor_may_not_read_are_named_not_shown(container: Container) -> None:
    add_institution(
        container, "H43990100035", agreement_begin=date(2025, 6, 1), agreement_end=date(2026, 5, 31)
    )
    actor = make_actor(Role.SUPERVISOR)
    with container.uow(actor) as uow:
        found = service.reminders(uow=uow, day=DAY)
    assert [r.code for r in found.items] == ["H43990100035"]


def test_reminder_rules_and_their_clean_twins() -> None:
    end = date(2025, 12, 31)
    assert rules.renewal_reminder("active", end, date(2025, 12, 1), 30) == ("expiring", end)
    assert rules.renewal_reminder("active", end, date(2025, 11, 30), 30) is None  # 31 days ahead
    assert rules.renewal_reminder("expired", end, date(2026, 2, 28), 30) == ("grace", date(2026, 2, 28))
    assert rules.renewal_reminder("expired", end, date(2026, 3, 1), 30) is None  # suspended by now
    assert rules.renewal_reminder("terminated", end, date(2025, 12, 1), 30) is None
    assert rules.renewal_reminder("applying", None, date(2025, 12, 1), 30) is None
    assert [p for p in range(9) if points_rules.near_suspension(p, 6, 2)] == [4, 5]


def test_reminders_page_api_and_cli_in_chinese(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    add_institution(
        container, "H43990100036", agreement_begin=date(2025, 6, 1), agreement_end=date(2026, 5, 31)
    )
    api = app_client.get("/api/v1/supervision/reminders", params={"day": "2026-04-10"}, headers=admin_headers)
    assert api.status_code == 200
    assert [(r["kind"], r["code"], r["days_left"]) for r in api.json()["items"]] == [
        ("agreement_expiring", "H43990100036", 51)
    ]
    bad = app_client.get("/api/v1/supervision/reminders", params={"margin": 0}, headers=admin_headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "MARGIN_RANGE"
    signed = app_client.post(
        "/console/login", data={"username": "admin", "password": "admin-pass-123"}, follow_redirects=False
    )
    assert signed.status_code in (302, 303)
    page = app_client.get("/console/supervision/reminders", params={"within_days": 366})
    assert page.status_code == 200 and "到期提醒" in page.text and 'id="reminder-table"' in page.text
