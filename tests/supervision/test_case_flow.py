"""A monitoring case followed to its end: finding → case → confirmed → review deduction withheld by
clearing, and the supervision decisions record the recovery and a fine of 2–5× (001 第4篇, 第6篇)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.factories import make_actor
from tests.institutions.helpers import add_doctor
from tests.review.helpers import DECIDE_DAY, HOSPITAL, PERIOD, answer, declare, settled_month
from tests.settlement.helpers import open_visit
from yibao.assessment import service as assessment
from yibao.assessment.models import DoctorPointEntry
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Role
from yibao.domain.errors import BusinessError, ErrorKind
from yibao.monitoring import service as monitoring
from yibao.monitoring.models import CaseFinding, CaseNote, CaseRow, RunRow
from yibao.payment import service as payment
from yibao.payment.models import ClearingLine
from yibao.review.models import ReviewItem
from yibao.settlement.models import Settlement, Visit
from yibao.supervision import service
from yibao.supervision.models import Decision, Inspection

TEAM = ["王稽核", "李稽核"]


def _case(
    container: Container,
    setl_ids: list[str],
    case_no: str = "C-T0001",
    doctors: tuple[str | None, str | None] = (None, None),
) -> str:
    """The monitoring run found two lines (丙类 300.00 on the first bill, 1,000.00 of the 10,000.00
    甲类 line on the second) and grouped them into one case of the hospital's March; `doctors` are the
    doctor codes the two findings name."""
    now = datetime(2024, 4, 6, tzinfo=UTC)
    with container.uow(SYSTEM) as uow:
        visits = dict(
            uow.session.execute(
                select(Settlement.setl_id, Visit.mdtrt_id)
                .join(Visit, Visit.id == Settlement.visit_id)
                .where(Settlement.setl_id.in_(setl_ids))
            ).all()
        )
        run = RunRow(
            run_no="R-T1",
            kind="run",
            engine="duckdb",
            admdvs="439901",
            data_dir="-",
            out_dir="-",
            status="done",
            findings=2,
            vola_fen=130_000,
            knowledge_version="-",
            rules="[]",
            summary="{}",
            error=None,
            started_at=now,
            finished_at=now,
            created_by="t",
        )
        uow.session.add(run)
        uow.flush()
        case = CaseRow(
            case_no=case_no,
            run_id=run.id,
            admdvs="439901",
            fixmedins_code=HOSPITAL,
            period=PERIOD,
            status="open",
            findings=2,
            vola_fen=130_000,
            recover_fen=None,
            assignee=None,
            decision_note=None,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(case)
        uow.flush()
        for fid, setl_id, line, fen, dr_code in (
            ("F1", setl_ids[0], "3", 30_000, doctors[0]),
            ("F2", setl_ids[1], "1", 100_000, doctors[1]),
        ):
            uow.session.add(
                CaseFinding(
                    case_id=case.id,
                    finding_id=fid,
                    rule_id="GZ10000204001000",
                    rule_name="超标准收费",
                    rule_family="over_price_cap",
                    scope="line",
                    bkkp_sn=line,
                    mdtrt_id=visits[setl_id],
                    psn_no=None,
                    dr_code=dr_code,
                    vola_fen=fen,
                    sev_deg=3,
                    evidence="收费高于政府指导价",
                )
            )
        uow.session.add(CaseNote(case_id=case.id, at=now, by="t", action="open", note=None))
        uow.commit()
    return case_no


def _confirm(container: Container, case_no: str, recover_fen: int) -> None:
    with container.uow(SYSTEM) as uow:
        monitoring.act_on_case(uow=uow, case_no=case_no, action="assign", assignee="稽核员甲")
    with container.uow(SYSTEM) as uow:
        monitoring.act_on_case(uow=uow, case_no=case_no, action="verify", note="调取病历与收费票据")
    with container.uow(SYSTEM) as uow:
        monitoring.act_on_case(
            uow=uow, case_no=case_no, action="confirm", recover_fen=recover_fen, note="超标准收费"
        )


def _refused(container: Container, code: str, **kw: object) -> BusinessError:
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as exc:
        service.take_up_case(uow=uow, **kw)  # type: ignore[arg-type]
    assert exc.value.code == code
    return exc.value


def _count(container: Container, model: type) -> int:
    with container.uow(SYSTEM) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_confirmed_case_is_deducted_in_clearing_and_decided_with_recovery_and_a_triple_fine(
    container: Container,
) -> None:
    """001 第4篇: 追回违规金额并处2–5倍罚款. Recovery 1,200.00 yuan confirmed on a case of 1,300.00:
    the largest finding refuses its full 1,000.00, the 300.00 one the 200.00 left; the fine is
    3 × 1,200.00 = 3,600.00."""
    month = settled_month(container, bills=2)
    declare(container)
    case_no = _case(container, month.setl_ids)
    # the clean twin first: a case still being verified is not taken up, and nothing is written
    _refused(container, "CASE_NOT_CONFIRMED", case_no=case_no, fine_pct=300)
    _confirm(container, case_no, recover_fen=120_000)
    _refused(container, "FINE_MULTIPLE_RANGE", case_no=case_no, fine_pct=600)  # 6×: beyond 5×
    with container.uow(make_actor(Role.SUPERVISOR)) as uow, pytest.raises(BusinessError) as perm:
        service.take_up_case(uow=uow, case_no=case_no, fine_pct=300)  # review deductions: review:write
    assert perm.value.code.startswith("AUTH")
    assert _count(container, Decision) == 0 and _count(container, ReviewItem) == 0

    with container.uow(SYSTEM) as uow:
        taken = service.take_up_case(uow=uow, case_no=case_no, fine_pct=300, team=TEAM, day=DECIDE_DAY)
    assert (taken.recover_fen, taken.deducted_fen, taken.left_aside) == (120_000, 120_000, [])
    # the clean twin of the doctor points: findings naming no doctor penalise nobody
    assert (taken.doctors, taken.doctors_left_aside) == ([], [])
    assert _count(container, DoctorPointEntry) == 0
    assert taken.inspection is not None and taken.inspection.source_ref == case_no
    recovery, fine = taken.decisions
    assert (recovery.kind, recovery.penalty, recovery.status, recovery.source_ref) == (
        "recovery",
        120_000,
        "draft",
        case_no,
    )
    assert (fine.kind, fine.amount, fine.fine_pct, fine.penalty) == ("fine", 120_000, 300, 360_000)
    with container.uow(SYSTEM) as uow:
        items = {
            i.finding_id: i
            for i in uow.session.scalars(select(ReviewItem).where(ReviewItem.id.in_(taken.items)))
        }
    assert {k: (i.status, i.refused_fen) for k, i in items.items()} == {
        "F1": ("deducted", 20_000),
        "F2": ("deducted", 100_000),
    }
    _refused(container, "CASE_TAKEN_UP", case_no=case_no, fine_pct=300)

    # the hospital accepts the first deduction; the second stands by silence after 5 working days
    answer(container, items["F1"].id, "accept")
    with container.uow(SYSTEM) as uow:
        clearing = payment.run_clearing(
            uow=uow,
            admdvs="439901",
            period_kind="month",
            period=PERIOD,
            reference_dir=container.settings.reference_dir,
        )
        line = uow.session.scalar(
            select(ClearingLine).where(
                ClearingLine.clearing_id == clearing.id, ClearingLine.fixmedins_code == HOSPITAL
            )
        )
    assert line is not None and line.deducted == 120_000

    for view, document in ((recovery, "医保追字〔2024〕7号"), (fine, "医保罚字〔2024〕7号")):
        with container.uow(SYSTEM) as uow:
            issued = service.issue_decision(
                uow=uow, decision_no=view.decision_no, document_no=document, day=date(2024, 4, 20)
            )
        assert issued.status == "issued" and not issued.disclose  # below the 10,000.00 yuan disclosure line
    with container.uow(SYSTEM) as uow:
        listed = service.list_decisions(uow=uow, fixmedins_code=HOSPITAL)
    assert sorted((d.kind, d.penalty) for d in listed.items) == [("fine", 360_000), ("recovery", 120_000)]


def test_a_case_without_an_open_declaration_is_decided_and_its_findings_left_aside(
    container: Container,
) -> None:
    """No declaration of the month: nothing to deduct in review; the decisions still record the
    recovery to collect, and each finding says why it was left aside."""
    month = settled_month(container, bills=2)
    case_no = _case(container, month.setl_ids, case_no="C-T0002")
    _confirm(container, case_no, recover_fen=130_000)
    with container.uow(SYSTEM) as uow:
        taken = service.take_up_case(uow=uow, case_no=case_no, fine_pct=200, day=DECIDE_DAY)
    assert taken.deducted_fen == 0 and taken.items == [] and taken.inspection is None
    assert [fid for fid, _ in taken.left_aside] == ["F2", "F1"]  # largest first
    assert all("没有 2024-03 的申报" in why for _, why in taken.left_aside)
    assert [(d.kind, d.penalty) for d in taken.decisions] == [("recovery", 130_000), ("fine", 260_000)]


def test_a_take_up_failing_in_review_keeps_nothing(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or nothing: when the review deduction fails half way (here the second item's decision),
    neither the inspection, the decisions nor the first deduction are kept, and the case can be taken
    up again."""
    month = settled_month(container, bills=2)
    declare(container)
    case_no = _case(container, month.setl_ids, case_no="C-T0003")
    _confirm(container, case_no, recover_fen=120_000)
    decide = service.review.decide
    calls: list[int] = []

    def fail_second(**kw: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise BusinessError("REVIEW_DOWN", "审核服务暂不可用", kind=ErrorKind.CONFLICT)
        return decide(**kw)  # type: ignore[arg-type]

    monkeypatch.setattr(service.review, "decide", fail_second)
    _refused(container, "REVIEW_DOWN", case_no=case_no, fine_pct=300, team=TEAM, day=DECIDE_DAY)
    assert len(calls) == 2
    assert _count(container, Decision) == 0 and _count(container, ReviewItem) == 0
    assert _count(container, Inspection) == 0
    monkeypatch.undo()
    with container.uow(SYSTEM) as uow:
        taken = service.take_up_case(uow=uow, case_no=case_no, fine_pct=300, team=TEAM, day=DECIDE_DAY)
    assert (taken.recover_fen, taken.deducted_fen) == (120_000, 120_000)


def test_take_up_from_the_console_and_the_api(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    month = settled_month(container, bills=2)
    declare(container)
    case_no = _case(container, month.setl_ids, case_no="C-T0003")
    early = app_client.post(
        f"/api/v1/supervision/cases/{case_no}/take-up", json={"fine_pct": 300}, headers=admin_headers
    )
    assert early.status_code == 409 and early.json()["error"]["code"] == "CASE_NOT_CONFIRMED"
    _confirm(container, case_no, recover_fen=130_000)
    signed = app_client.post(
        "/console/login", data={"username": "admin", "password": "admin-pass-123"}, follow_redirects=False
    )
    assert signed.status_code in (302, 303)
    page = app_client.post(
        "/console/supervision/cases",
        data={"case_no": case_no, "case_fine_pct": "250", "case_team": "王稽核，李稽核"},
    )
    assert page.status_code == 200 and 'id="take-up-result"' in page.text
    assert "1300.00" in page.text and "3250.00" in page.text  # recovery, and the fine 2.5 × 1,300.00
    again = app_client.post(
        f"/api/v1/supervision/cases/{case_no}/take-up", json={"fine_pct": 300}, headers=admin_headers
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "CASE_TAKEN_UP"
    bad = app_client.post(
        "/console/supervision/decisions",
        data={
            "target_type": "institution",
            "kind": "termination",
            "fixmedins_code": HOSPITAL,
            "reason": "骗保",
            "ban_permanent": "1",
        },
    )
    assert bad.status_code == 422 and "PERMANENT_EXIT_PHARMACY" in bad.text


DOCTOR = "D43990100001"
OTHER_DOCTOR = "D43990100002"


def _doctor_with_four_points(container: Container, code: str = DOCTOR, seq: int = 1) -> None:
    """A doctor of the hospital with two unreasonable prescriptions this year: 2 + 2 = 4 points."""
    add_doctor(container, code, seq=seq, fixmedins_code=HOSPITAL, begin=date(2024, 1, 1))
    for day in (date(2024, 3, 1), date(2024, 3, 5)):
        with container.uow(SYSTEM) as uow:
            assessment.deduct_points(uow=uow, dr_code=code, violation="unreasonable_prescription", day=day)


def _year_points(container: Container, code: str) -> tuple[int, str]:
    """The doctor's points of 2024 and qualification."""
    with container.uow(SYSTEM) as uow:
        view = assessment.doctor_points(uow=uow, dr_code=code, year=2024)
    return view.points, view.status


def test_issue_6_a_confirmed_case_costs_each_named_doctor_one_violation_and_six_points_suspend(
    container: Container,
) -> None:
    """Issue 6 (确认案件 → 医保医师扣分), 002 扣分达6分暂停: both findings name the doctor, who gets ONE
    `monitoring_confirmed` violation of the typical table (2 points), not two: 4 + 2 = 6 points, so the
    qualification is suspended from the take-up day (8 April) and settlement refuses the doctor's
    visits from then on; a visit the day before passes."""
    month = settled_month(container, bills=2)
    declare(container)
    _doctor_with_four_points(container)
    case_no = _case(container, month.setl_ids, case_no="C-T0004", doctors=(DOCTOR, DOCTOR.lower()))
    _confirm(container, case_no, recover_fen=120_000)
    with container.uow(SYSTEM) as uow:
        taken = service.take_up_case(uow=uow, case_no=case_no, fine_pct=300, day=DECIDE_DAY)
    assert taken.doctors_left_aside == []
    assert [(e.dr_code, e.violation, e.points, e.year_total, e.outcome) for e in taken.doctors] == [
        (DOCTOR, "monitoring_confirmed", 2, 6, "suspend")
    ]
    (entry,) = taken.doctors
    assert (entry.source, entry.source_ref, entry.fixmedins_code, entry.day) == (
        "monitoring",
        case_no,
        HOSPITAL,
        DECIDE_DAY,
    )
    assert entry.note is not None and "2条疑点" in entry.note
    assert _year_points(container, DOCTOR) == (6, "suspended")
    assert _count(container, DoctorPointEntry) == 3  # the two prescriptions and the one case
    open_visit(container, month.world.worker, med_type="11", day="2024-04-07", dr_code=DOCTOR)
    with pytest.raises(BusinessError) as refused:
        open_visit(container, month.world.worker, med_type="11", day="2024-04-08", dr_code=DOCTOR)
    assert (refused.value.code, refused.value.field) == ("DOCTOR_NOT_QUALIFIED", "dr_code")
    _refused(container, "CASE_TAKEN_UP", case_no=case_no, fine_pct=300)  # never a second violation
    assert _year_points(container, DOCTOR) == (6, "suspended")


def test_issue_6_a_doctor_not_in_the_registry_is_left_aside_without_failing(container: Container) -> None:
    """The first finding names a code nobody registered, the second none: no points, the code is
    listed as left aside with why, and the rest of the take-up stands."""
    month = settled_month(container, bills=2)
    declare(container)
    case_no = _case(container, month.setl_ids, case_no="C-T0005", doctors=("D43990199999", None))
    _confirm(container, case_no, recover_fen=120_000)
    with container.uow(SYSTEM) as uow:
        taken = service.take_up_case(uow=uow, case_no=case_no, fine_pct=300, day=DECIDE_DAY)
    assert taken.doctors == []
    assert taken.doctors_left_aside == [("D43990199999", "不是登记的医保医师，未扣分")]
    assert (taken.deducted_fen, len(taken.decisions)) == (120_000, 2)
    assert _count(container, DoctorPointEntry) == 0


def test_issue_6_a_take_up_failing_at_the_second_doctor_keeps_nothing(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or nothing: the first doctor's deduction (named by the largest finding, to 6 points, a
    suspension) went through when the second fails; the points, the suspension, the review deductions
    and the decisions are all gone, and the case is taken up again afterwards."""
    month = settled_month(container, bills=2)
    declare(container)
    _doctor_with_four_points(container)
    add_doctor(container, OTHER_DOCTOR, seq=2, fixmedins_code=HOSPITAL, begin=date(2024, 1, 1))
    case_no = _case(container, month.setl_ids, case_no="C-T0006", doctors=(OTHER_DOCTOR, DOCTOR))
    _confirm(container, case_no, recover_fen=120_000)
    deduct = service.assessment.deduct_points
    calls: list[str] = []

    def fail_second(**kw: object) -> object:
        calls.append(str(kw["dr_code"]))
        if len(calls) == 2:
            raise BusinessError("ASSESSMENT_DOWN", "考核服务暂不可用", kind=ErrorKind.CONFLICT)
        return deduct(**kw)  # type: ignore[arg-type]

    monkeypatch.setattr(service.assessment, "deduct_points", fail_second)
    _refused(container, "ASSESSMENT_DOWN", case_no=case_no, fine_pct=300, day=DECIDE_DAY)
    assert calls == [DOCTOR, OTHER_DOCTOR]
    assert _year_points(container, DOCTOR) == (4, "active")
    assert _count(container, DoctorPointEntry) == 2
    assert _count(container, Decision) == 0 and _count(container, ReviewItem) == 0
    monkeypatch.undo()
    with container.uow(SYSTEM) as uow:
        taken = service.take_up_case(uow=uow, case_no=case_no, fine_pct=300, day=DECIDE_DAY)
    assert [(e.dr_code, e.year_total, e.outcome) for e in taken.doctors] == [
        (DOCTOR, 6, "suspend"),
        (OTHER_DOCTOR, 2, "none"),
    ]


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (4, ([(DOCTOR, 4, 4)], [])),
        (None, ([], [(DOCTOR, "统筹区 439901 的扣分标准没有违规类型 monitoring_confirmed，未扣分")])),
    ],
)
def test_issue_6_the_points_come_from_the_region_table_in_force(
    container: Container, points: int | None, expected: tuple[list[object], list[tuple[str, str]]]
) -> None:
    """The region's own points table decides: with `monitoring_confirmed` at 4 points the doctor gets 4;
    a table without the entry leaves the doctor aside with why, and the take-up still stands."""
    month = settled_month(container, bills=2)
    add_doctor(container, DOCTOR, fixmedins_code=HOSPITAL, begin=date(2024, 1, 1))
    body = assessment.default_body("points")
    body["rules"] = [r for r in body["rules"] if r["code"] != "monitoring_confirmed"]
    if points is not None:
        body["rules"].append({"code": "monitoring_confirmed", "label": "监控确认违规", "points": points})
    with container.uow(SYSTEM) as uow:
        assessment.set_config(uow=uow, admdvs="439901", kind="points", begin=date(2024, 1, 1), body=body)
    case_no = _case(container, month.setl_ids, case_no="C-T0007", doctors=(DOCTOR, None))
    _confirm(container, case_no, recover_fen=120_000)
    with container.uow(SYSTEM) as uow:
        taken = service.take_up_case(uow=uow, case_no=case_no, fine_pct=300, day=DECIDE_DAY)
    penalised, left = expected
    assert [(e.dr_code, e.points, e.year_total) for e in taken.doctors] == penalised
    assert taken.doctors_left_aside == left
    assert len(taken.decisions) == 2
