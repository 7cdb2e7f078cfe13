"""Supervision use cases: inspections, ward rounds (001 第40条), reports with rewards, decisions that
act (settlement refuses a suspended institution, a doctor's points suspend prescribing), disclosure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.assessment.helpers import DOCTOR, assessor, world_with_drugs
from tests.factories import make_actor
from tests.settlement.helpers import HOSPITAL, open_visit
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Role
from yibao.domain.errors import BusinessError
from yibao.institutions import service as institutions
from yibao.supervision import service

TEAM = ["王稽核", "李稽核"]


def test_flight_inspection_with_findings_and_evidence(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow:
        view = service.create_inspection(
            uow=uow,
            fixmedins_code=HOSPITAL,
            kind="flight",
            planned_on=date(2024, 3, 1),
            team=TEAM,
            scope="住院病历与药品进销存",
        )
    number = view.inspection_no
    assert number == "JC2024-000001" and view.status == "planned" and view.kind_name == "飞行检查"
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as early:
        service.add_finding(uow=uow, inspection_no=number, category="挂床住院", description="x", amount=100)
    assert early.value.code == "INSPECTION_NOT_ONSITE"
    with container.uow(assessor()) as uow:
        service.change_inspection(uow=uow, inspection_no=number, action="start", day=date(2024, 3, 1))
    with container.uow(assessor()) as uow:
        service.add_finding(
            uow=uow,
            inspection_no=number,
            category="挂床住院",
            description="3床病人不在院",
            amount=450000,
            psn_no="P001",
        )
    with container.uow(assessor()) as uow:
        ev = service.add_evidence(
            uow=uow,
            inspection_no=number,
            filename="现场照片.jpg",
            data=b"\xff\xd8photo",
            media_type="image/jpeg",
        )
    assert ev.size == 7 and len(ev.sha256) == 64
    with container.uow(assessor()) as uow:
        closed = service.change_inspection(
            uow=uow, inspection_no=number, action="close", day=date(2024, 3, 2), conclusion="查实挂床1例"
        )
    assert closed.status == "closed" and closed.findings_amount == 450000
    with container.uow(assessor()) as uow:
        shown = service.show_inspection(uow=uow, inspection_no=number)
        name, media, data = service.get_evidence(uow=uow, inspection_no=number, evidence_id=ev.id)
    assert len(shown.evidence) == 1 and (name, media, data) == (
        "现场照片.jpg",
        "image/jpeg",
        b"\xff\xd8photo",
    )
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as illegal:
        service.change_inspection(uow=uow, inspection_no=number, action="cancel", day=date(2024, 3, 3))
    assert illegal.value.code == "INSPECTION_TRANSITION"
    with container.uow(assessor()) as uow:
        assert service.show_inspection(uow=uow, inspection_no=number).status == "closed"  # nothing changed


def test_joint_inspection_needs_departments_and_a_team_of_two(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as exc:
        service.create_inspection(
            uow=uow, fixmedins_code=HOSPITAL, kind="joint", planned_on=date(2024, 3, 1), team=["王"], scope=""
        )
    assert {e.code for e in exc.value.errors} == {"TEAM_TOO_SMALL", "JOINT_DEPARTMENTS", "REQUIRED"}
    with container.uow(assessor()) as uow:
        view = service.create_inspection(
            uow=uow,
            fixmedins_code=HOSPITAL,
            kind="joint",
            planned_on=date(2024, 3, 1),
            team=TEAM,
            scope="联合检查",
            departments=["卫生健康委", "市场监管局"],
        )
    assert view.departments == ["卫生健康委", "市场监管局"]


def _patients(total: int, present: int) -> list[dict[str, object]]:
    return [
        {"psn_no": f"P{n:04d}", "name": f"病人{n}", "bed_no": str(n), "present": n < present}
        for n in range(total)
    ]


def test_001_art40_ward_round_below_95_percent(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow:
        view = service.record_ward_round(
            uow=uow,
            fixmedins_code=HOSPITAL,
            round_at=datetime(2024, 3, 5, 2, 0, tzinfo=UTC),
            inspectors=TEAM,
            patients=_patients(40, 36),
            standard_fen=907281,
        )
    assert (view.total, view.present, view.rate_bp, view.shortfall, view.refused_fen) == (
        40,
        36,
        9000,
        2,
        1814562,
    )
    assert view.below_threshold and view.day == date(2024, 3, 5)
    with container.uow(assessor()) as uow:
        absent = service.absent_patients(
            uow=uow, fixmedins_code=HOSPITAL, begin=date(2024, 3, 1), end=date(2024, 3, 31)
        )
    assert [a["psn_no"] for a in absent] == ["P0036", "P0037", "P0038", "P0039"]


def test_ward_round_feeds_the_in_bed_indicator_of_the_assessment(container: Container) -> None:
    from yibao.assessment import service as assessment

    world_with_drugs(container)
    with container.uow(assessor()) as uow:
        service.record_ward_round(
            uow=uow,
            fixmedins_code=HOSPITAL,
            round_at=datetime(2024, 3, 5, 2, tzinfo=UTC),
            inspectors=TEAM,
            patients=_patients(20, 19),
            standard_fen=0,
        )
    terms = [{"code": "in_bed_rate", "target": 9500, "weight": 100}]
    with container.uow(assessor()) as uow:
        assessment.set_terms(uow=uow, fixmedins_code=HOSPITAL, year=2024, terms=terms)
    with container.uow(assessor()) as uow:
        view = assessment.assess(uow=uow, fixmedins_code=HOSPITAL, period="2024-03")
    assert view.items[0]["actual"] == 9500 and view.score == 10000


def test_ward_round_bad_input(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as exc:
        service.record_ward_round(
            uow=uow,
            fixmedins_code=HOSPITAL,
            round_at=datetime(2024, 3, 5, tzinfo=UTC),
            inspectors=["王"],
            patients=[{"psn_no": "P1", "present": "yes"}, {"psn_no": "P1", "present": True}],
            standard_fen=-1,
        )
    assert {e.code for e in exc.value.errors} == {
        "TEAM_TOO_SMALL",
        "PRESENT_REQUIRED",
        "ROUND_DUPLICATE",
        "MONEY_NEGATIVE",
    }


def test_report_reward_worked_example_and_anonymity(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow:
        report = service.create_report(
            uow=uow,
            admdvs="439901",
            received_on=date(2024, 3, 1),
            channel="phone",
            anonymous=True,
            fixmedins_code=HOSPITAL,
            content="某医院挂床住院",
        )
    assert report.reporter_name is None and report.claim_code
    analyst = make_actor(Role.ANALYST, username="analyst")
    with container.uow(analyst) as uow:
        assert service.show_report(uow=uow, report_no=report.report_no).claim_code is None  # protected
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as early:
        service.change_report(uow=uow, report_no=report.report_no, action="reward", day=date(2024, 3, 2))
    assert early.value.code == "REPORT_TRANSITION"
    with container.uow(assessor()) as uow:
        service.change_report(uow=uow, report_no=report.report_no, action="accept", day=date(2024, 3, 2))
    with container.uow(assessor()) as uow:
        done = service.change_report(
            uow=uow,
            report_no=report.report_no,
            action="substantiate",
            day=date(2024, 4, 1),
            recovered=30000000,
        )
    # 300,000 yuan recovered: 100,000 × 5% + 200,000 × 3% = 11,000 yuan (typical tiers).
    assert (done.status, done.recovered, done.reward) == ("substantiated", 30000000, 1100000)
    with container.uow(assessor()) as uow:
        paid = service.change_report(
            uow=uow, report_no=report.report_no, action="reward", day=date(2024, 4, 10)
        )
    assert paid.status == "rewarded" and paid.reward_paid_on == date(2024, 4, 10)


def test_reward_tiers_are_configured_per_region_with_a_period(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow:
        service.set_config(
            uow=uow,
            admdvs="439901",
            kind="rewards",
            begin=date(2024, 1, 1),
            body={"tiers": [{"upto_fen": None, "rate_bp": 200}], "min_fen": 0, "max_fen": 10**9},
        )
    with container.uow(assessor()) as uow:
        r = service.create_report(
            uow=uow,
            admdvs="439901",
            received_on=date(2024, 3, 1),
            channel="web",
            anonymous=False,
            reporter_name="张三",
            reporter_phone="13800000000",
            fixmedins_code=HOSPITAL,
            content="串换药品",
        )
    with container.uow(assessor()) as uow:
        service.change_report(uow=uow, report_no=r.report_no, action="accept", day=date(2024, 3, 2))
    with container.uow(assessor()) as uow:
        done = service.change_report(
            uow=uow, report_no=r.report_no, action="substantiate", day=date(2024, 3, 3), recovered=1000000
        )
    assert done.reward == 20000  # 2% of 10,000 yuan


def test_report_bad_input(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as exc:
        service.create_report(
            uow=uow,
            admdvs="439901",
            received_on=date(2024, 3, 1),
            channel="fax",
            anonymous=True,
            reporter_name="张三",
            content="",
        )
    assert {e.code for e in exc.value.errors} == {
        "REPORT_CHANNEL",
        "ANONYMOUS_WITH_IDENTITY",
        "REQUIRED",
        "REPORT_SUBJECT",
    }


def test_decision_suspension_refuses_settlement_and_is_disclosed(container: Container) -> None:
    world = world_with_drugs(container)
    with container.uow(assessor()) as uow:
        draft = service.create_decision(
            uow=uow,
            target_type="institution",
            fixmedins_code=HOSPITAL,
            kind="suspension",
            months=2,
            reason="挂床住院情节严重",
        )
    assert draft.status == "draft"
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as no_doc:
        service.issue_decision(uow=uow, decision_no=draft.decision_no, document_no=" ", day=date(2024, 4, 1))
    assert no_doc.value.code == "DECISION_DOCUMENT_REQUIRED"
    with container.uow(SYSTEM) as uow:  # nothing changed
        assert (
            institutions.settlement_allowed(uow=uow, fixmedins_code=HOSPITAL, day=date(2024, 4, 2))[0] is True
        )
    with container.uow(assessor()) as uow:
        issued = service.issue_decision(
            uow=uow, decision_no=draft.decision_no, document_no="医保处字〔2024〕3号", day=date(2024, 4, 1)
        )
    assert issued.status == "issued" and issued.until == date(2024, 5, 31) and issued.disclose
    with pytest.raises(BusinessError) as refused:
        open_visit(container, world.worker, day="2024-04-15")
    assert refused.value.code == "INSTITUTION_SUSPENDED"
    open_visit(container, world.worker, day="2024-06-01")  # after the two months
    with container.uow(assessor()) as uow:
        listed = service.disclosure_list(uow=uow)
    assert [d.decision_no for d in listed.items] == [draft.decision_no]
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as twice:
        service.issue_decision(uow=uow, decision_no=draft.decision_no, document_no="x", day=date(2024, 4, 2))
    assert twice.value.code == "DECISION_TRANSITION"


def test_decision_fine_and_doctor_points(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow:
        fine = service.create_decision(
            uow=uow,
            target_type="institution",
            fixmedins_code=HOSPITAL,
            kind="fine",
            amount=500000,
            fine_pct=300,
            reason="串换项目",
        )
    assert fine.penalty == 1500000  # 5,000 yuan × 3
    with container.uow(assessor()) as uow:
        issued = service.issue_decision(
            uow=uow, decision_no=fine.decision_no, document_no="罚〔2024〕1号", day=date(2024, 4, 1)
        )
    assert issued.disclose  # 15,000 yuan ≥ the typical 10,000 yuan threshold
    with container.uow(assessor()) as uow:
        pts = service.create_decision(
            uow=uow,
            target_type="doctor",
            dr_code=DOCTOR,
            kind="doctor_points",
            violation="false_admission",
            reason="挂床",
        )
    with container.uow(assessor()) as uow:
        service.issue_decision(
            uow=uow, decision_no=pts.decision_no, document_no="扣〔2024〕1号", day=date(2024, 4, 1)
        )
    with container.uow(SYSTEM) as uow:
        assert (
            institutions.doctor_qualification(uow=uow, dr_code=DOCTOR, day=date(2024, 4, 2))[1]
            == "DOCTOR_SUSPENDED"
        )
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as bad:
        service.create_decision(
            uow=uow,
            target_type="institution",
            fixmedins_code=HOSPITAL,
            kind="fine",
            amount=500000,
            fine_pct=600,
            reason="x",
        )
    assert bad.value.code == "FINE_MULTIPLE_RANGE"


def test_monitoring_case_opens_an_inspection_and_drafts_a_decision(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow:
        view = service.open_inspection_from_case(
            uow=uow,
            case_id="MC2024-0007",
            fixmedins_code=HOSPITAL,
            summary="疑似分解住院",
            team=TEAM,
            planned_on=date(2024, 5, 1),
            amount=123456,
        )
    assert (view.source, view.source_ref, view.kind) == ("monitoring", "MC2024-0007", "special")
    assert "MC2024-0007" in view.scope and "1234.56" in view.scope
    with container.uow(assessor()) as uow:
        draft = service.decide_from_case(
            uow=uow,
            case_id="MC2024-0007",
            target_type="institution",
            fixmedins_code=HOSPITAL,
            kind="recovery",
            amount=123456,
            reason="分解住院",
        )
    assert (draft.status, draft.source, draft.source_ref, draft.penalty) == (
        "draft",
        "monitoring",
        "MC2024-0007",
        123456,
    )


def test_other_regions_see_nothing(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow:
        view = service.create_inspection(
            uow=uow,
            fixmedins_code=HOSPITAL,
            kind="routine",
            planned_on=date(2024, 3, 1),
            team=TEAM,
            scope="日常",
        )
    outsider = make_actor(Role.SUPERVISOR, regions=("430100",), username="outsider")
    with container.uow(outsider) as uow, pytest.raises(BusinessError) as exc:
        service.show_inspection(uow=uow, inspection_no=view.inspection_no)
    assert exc.value.code == "INSPECTION_NOT_FOUND"
    with container.uow(outsider) as uow:
        assert service.list_inspections(uow=uow).total == 0
