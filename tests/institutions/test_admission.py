"""Admission of designated institutions (定点准入) end to end, named after the clauses of 001 第6篇:
第二条 licence and one year open, 第三条 application → screening → on-site assessment → public notice →
certificate and plaque, 第四条 one-year agreement, 第十条 systems connected, 第四十五条 re-entry bans."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.institutions.helpers import add_institution, supervisor
from yibao.assessment import service as assessment
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain import institutions as rules
from yibao.domain.errors import BusinessError, ErrorKind
from yibao.institutions import service
from yibao.institutions.models import Application, ApplicationStep, Certificate, Institution
from yibao.supervision import service as supervision

HOSPITAL = "H43990100009"
PHARMACY = "P43990100008"
GOOD_SCORES = {
    "management": 12,
    "service_windows": 8,
    "price_notice": 10,
    "it_network": 18,
    "medical_quality": 20,
    "drug_stock": 16,
}  # 84 of 100, pass mark 70
TEAM = ["王评审", "李评审"]


def _count(container: Container, model: type) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _status(container: Container, code: str) -> str:
    with container.uow() as uow:
        return str(
            uow.session.scalar(select(Institution.agreement_status).where(Institution.fixmedins_code == code))
        )


def _submit(
    container: Container,
    code: str = HOSPITAL,
    *,
    day: date = date(2026, 3, 2),
    opened_on: date = date(2025, 3, 1),
    systems: date | None = date(2026, 2, 20),
    documents: bool = True,
) -> str:
    with container.uow(supervisor()) as uow:
        view = service.submit_application(
            uow=uow,
            fixmedins_code=code,
            day=day,
            licence_no="PDY43990120240001",
            licence_valid_until=date(2030, 12, 31),
            opened_on=opened_on,
            systems_connected_on=systems,
            contact="张院长",
        )
    if documents:
        for kind in ("licence", "business"):
            with container.uow(supervisor()) as uow:
                service.add_document(
                    uow=uow,
                    application_no=view.application_no,
                    kind=kind,
                    filename=f"{kind}.pdf",
                    data=b"%PDF-1.4 " + kind.encode(),
                    media_type="application/pdf",
                )
    return view.application_no


def _approved(container: Container, code: str = HOSPITAL, scores: dict[str, int] | None = None) -> str:
    number = _submit(container, code)
    with container.uow(supervisor()) as uow:
        service.check_application(uow=uow, application_no=number, day=date(2026, 3, 2))
    with container.uow(supervisor()) as uow:
        service.assess_application(
            uow=uow, application_no=number, scores=scores or GOOD_SCORES, assessors=TEAM, day=date(2026, 3, 5)
        )
    with container.uow(supervisor()) as uow:
        service.publish_notice(uow=uow, application_no=number, begin=date(2026, 3, 10), end=date(2026, 3, 16))
    with container.uow(supervisor()) as uow:
        service.close_notice(uow=uow, application_no=number, day=date(2026, 3, 17))
    return number


def test_001_art3_art4_application_to_signed_agreement_with_certificate_and_plaque(
    container: Container,
) -> None:
    add_institution(container, HOSPITAL)
    number = _submit(container)
    assert number == "SQ2026-000001"
    # 第二条: opened 2025-03-01 → one year on 2026-03-01, checked 2026-03-02; 第十条 connected 2026-02-20.
    with container.uow(supervisor()) as uow:
        checked = service.check_application(uow=uow, application_no=number, day=date(2026, 3, 2))
    assert checked.status == "eligible"
    assert [(c["code"], c["passed"]) for c in checked.checks] == [
        ("LICENCE", True),
        ("OPEN_ONE_YEAR", True),
        ("SYSTEMS", True),
        ("DOCUMENTS", True),
    ]
    assert checked.checks[1]["reason"] == "2025-03-01 开业，2026-03-01 起已满一年"
    # Checklist 12 + 8 + 10 + 18 + 20 + 16 = 84 ≥ 70.
    with container.uow(supervisor()) as uow:
        assessed = service.assess_application(
            uow=uow, application_no=number, scores=GOOD_SCORES, assessors=TEAM, day=date(2026, 3, 5)
        )
    assert (assessed.status, assessed.score, assessed.pass_mark) == ("assessed", 84, 70)
    with container.uow(supervisor()) as uow:
        service.publish_notice(
            uow=uow, application_no=number, begin=date(2026, 3, 10), end=date(2026, 3, 16), where="医保局网站"
        )
    with container.uow(supervisor()) as uow:
        objection = service.add_objection(
            uow=uow, application_no=number, day=date(2026, 3, 12), content="该院停车难"
        )
    assert objection.objector is None  # anonymous
    with container.uow(supervisor()) as uow:
        service.answer_objection(
            uow=uow,
            application_no=number,
            objection_id=objection.id,
            outcome="dismissed",
            answer="与定点条件无关",
            day=date(2026, 3, 14),
        )
    with container.uow(supervisor()) as uow:
        closed = service.close_notice(uow=uow, application_no=number, day=date(2026, 3, 17))
    assert closed.status == "approved"
    with container.uow(supervisor()) as uow:
        signed = service.sign_application(
            uow=uow,
            application_no=number,
            begin=date(2026, 4, 1),
            day=date(2026, 3, 25),
            terms_profile="general",
        )
    assert (signed.status, signed.agreement_no) == ("signed", "XY2026-000001")
    assert [s.action for s in signed.steps] == ["submit", "check", "assess", "publish", "close", "sign"]
    assert {s.actor for s in signed.steps} == {"supervisor"}
    # 第四条: one year, 2026-04-01 through 2027-03-31; the settlement check follows.
    with container.uow(supervisor()) as uow:
        inst = service.show_institution(uow=uow, fixmedins_code=HOSPITAL, day=date(2026, 4, 1))
        history = service.agreement_history(uow=uow, fixmedins_code=HOSPITAL)
        terms = assessment.show_terms(uow=uow, fixmedins_code=HOSPITAL, year=2026)
    assert (inst.agreement_status, inst.agreement_begin, inst.agreement_end) == (
        "active",
        date(2026, 4, 1),
        date(2027, 3, 31),
    )
    assert inst.can_settle_today and inst.settle_code == "OK"
    [record] = history.agreements
    assert (record.agreement_no, record.terms_year, record.application_no) == ("XY2026-000001", 2026, number)
    [cert] = history.certificates
    assert (cert.certificate_no, cert.plaque_no, cert.issued_on) == (
        "ZG43990120260001",
        "DY43990100001",
        date(2026, 3, 25),
    )
    assert [(e.action, e.from_status, e.to_status) for e in history.events] == [
        ("sign", "applying", "active")
    ]
    assert terms.profile == "general" and terms.year == 2026


def test_001_art2_opened_less_than_a_year_and_no_network_fail_eligibility_with_reasons(
    container: Container,
) -> None:
    add_institution(container, HOSPITAL)
    number = _submit(container, opened_on=date(2025, 3, 3), systems=None)
    with container.uow(supervisor()) as uow:
        checked = service.check_application(uow=uow, application_no=number, day=date(2026, 3, 2))
    assert checked.status == "ineligible"
    failed = {c["code"]: c["reason"] for c in checked.checks if not c["passed"]}
    assert failed == {
        "OPEN_ONE_YEAR": "2025-03-03 开业，至 2026-03-02 未满一年（2026-03-03 满一年）",
        "SYSTEMS": "尚未完成医保信息系统联网验收",
    }
    # An ineligible application cannot be assessed; nothing changes.
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as exc:
        service.assess_application(uow=uow, application_no=number, scores=GOOD_SCORES, assessors=TEAM)
    assert (exc.value.code, exc.value.kind) == ("APPLICATION_TRANSITION", ErrorKind.CONFLICT)
    assert "资格审查未通过" in exc.value.message
    # The clean twin: facts corrected, checked again the day the year is full.
    with container.uow(supervisor()) as uow:
        service.update_application(uow=uow, application_no=number, systems_connected_on=date(2026, 3, 1))
    with container.uow(supervisor()) as uow:
        again = service.check_application(uow=uow, application_no=number, day=date(2026, 3, 3))
    assert again.status == "eligible" and all(c["passed"] for c in again.checks)


def test_missing_documents_and_an_expired_licence_fail_eligibility(container: Container) -> None:
    add_institution(container, HOSPITAL)
    number = _submit(container, documents=False)
    with container.uow(supervisor()) as uow:
        service.update_application(uow=uow, application_no=number, licence_valid_until=date(2026, 1, 31))
    with container.uow(supervisor()) as uow:
        checked = service.check_application(uow=uow, application_no=number, day=date(2026, 3, 2))
    failed = {c["code"]: c["reason"] for c in checked.checks if not c["passed"]}
    assert failed == {
        "LICENCE": "许可证 PDY43990120240001 已于 2026-01-31 到期",
        "DOCUMENTS": "缺少材料：执业许可证/药品经营许可证、营业执照",
    }


@pytest.mark.parametrize(
    ("step", "code"),
    [
        ("publish", "APPLICATION_TRANSITION"),
        ("sign", "APPLICATION_TRANSITION"),
        ("close", "APPLICATION_TRANSITION"),
    ],
)
def test_skipping_a_step_is_refused_and_nothing_changes(container: Container, step: str, code: str) -> None:
    add_institution(container, HOSPITAL)
    number = _submit(container)
    steps_before = _count(container, ApplicationStep)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as exc:
        if step == "publish":
            service.publish_notice(
                uow=uow, application_no=number, begin=date(2026, 3, 10), end=date(2026, 3, 16)
            )
        elif step == "sign":
            service.sign_application(
                uow=uow, application_no=number, begin=date(2026, 4, 1), terms_profile="general"
            )
        else:
            service.close_notice(uow=uow, application_no=number, day=date(2026, 4, 1))
    assert exc.value.code == code and "已受理" in exc.value.message
    with container.uow(supervisor()) as uow:
        shown = service.show_application(uow=uow, application_no=number)
    assert shown.status == "submitted" and _count(container, ApplicationStep) == steps_before
    assert _status(container, HOSPITAL) == "applying" and _count(container, Certificate) == 0


def test_checklist_below_the_pass_mark_fails_and_bad_scores_are_refused(container: Container) -> None:
    add_institution(container, HOSPITAL)
    number = _submit(container)
    with container.uow(supervisor()) as uow:
        service.check_application(uow=uow, application_no=number, day=date(2026, 3, 2))
    bad = [
        ({**GOOD_SCORES, "it_network": 21}, "CHECKLIST_SCORE_RANGE"),
        ({k: v for k, v in GOOD_SCORES.items() if k != "drug_stock"}, "CHECKLIST_MISSING"),
        ({**GOOD_SCORES, "parking": 3}, "CHECKLIST_UNKNOWN"),
    ]
    for scores, code in bad:
        with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as exc:
            service.assess_application(uow=uow, application_no=number, scores=scores, assessors=TEAM)
        assert exc.value.code == code
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as few:
        service.assess_application(uow=uow, application_no=number, scores=GOOD_SCORES, assessors=["王"])
    assert few.value.code == "ASSESSORS_TOO_FEW"
    # 69 < 70: failed, final.
    low = {**GOOD_SCORES, "medical_quality": 5}
    with container.uow(supervisor()) as uow:
        failed = service.assess_application(uow=uow, application_no=number, scores=low, assessors=TEAM)
    assert (failed.status, failed.score) == ("failed", 69)


def test_a_configured_checklist_replaces_the_typical_one(container: Container) -> None:
    add_institution(container, HOSPITAL)
    items = [
        {"code": "site", "label": "场所", "weight": 40},
        {"code": "staff", "label": "人员", "weight": 60},
    ]
    with container.uow(supervisor()) as uow:
        view = service.set_checklist(
            uow=uow, admdvs="439901", fixmedins_type="1", begin=date(2026, 1, 1), items=items, pass_mark=80
        )
    assert view.source.startswith("config:") and view.pass_mark == 80
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as overlap:
        service.set_checklist(
            uow=uow, admdvs="439901", fixmedins_type="1", begin=date(2026, 6, 1), items=items, pass_mark=80
        )
    assert overlap.value.code == "CHECKLIST_OVERLAP"
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as weights:
        service.set_checklist(
            uow=uow,
            admdvs="439901",
            fixmedins_type="2",
            begin=date(2026, 1, 1),
            items=items[:1],
            pass_mark=80,
        )
    assert weights.value.code == "CHECKLIST_WEIGHTS"
    number = _submit(container)
    with container.uow(supervisor()) as uow:
        service.check_application(uow=uow, application_no=number, day=date(2026, 3, 2))
    with container.uow(supervisor()) as uow:
        done = service.assess_application(
            uow=uow,
            application_no=number,
            scores={"site": 35, "staff": 44},
            assessors=TEAM,
            day=date(2026, 3, 5),
        )
    assert (done.status, done.score, done.pass_mark) == ("failed", 79, 80)


def test_001_art3_an_upheld_objection_during_the_notice_means_no_designation(container: Container) -> None:
    add_institution(container, HOSPITAL)
    number = _submit(container)
    with container.uow(supervisor()) as uow:
        service.check_application(uow=uow, application_no=number, day=date(2026, 3, 2))
    with container.uow(supervisor()) as uow:
        service.assess_application(uow=uow, application_no=number, scores=GOOD_SCORES, assessors=TEAM)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as order:
        service.publish_notice(uow=uow, application_no=number, begin=date(2026, 3, 16), end=date(2026, 3, 10))
    assert order.value.code == "PERIOD_ORDER"
    with container.uow(supervisor()) as uow:
        service.publish_notice(uow=uow, application_no=number, begin=date(2026, 3, 10), end=date(2026, 3, 16))
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as late:
        service.add_objection(uow=uow, application_no=number, day=date(2026, 3, 17), content="迟到的异议")
    assert late.value.code == "OBJECTION_OUTSIDE_NOTICE"
    with container.uow(supervisor()) as uow:
        objection = service.add_objection(
            uow=uow, application_no=number, day=date(2026, 3, 11), content="实际开业不足一年", objector="赵某"
        )
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as early:
        service.close_notice(uow=uow, application_no=number, day=date(2026, 3, 16))
    assert early.value.code == "NOTICE_NOT_ENDED"
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as unanswered:
        service.close_notice(uow=uow, application_no=number, day=date(2026, 3, 17))
    assert unanswered.value.code == "OBJECTION_OPEN"
    with container.uow(supervisor()) as uow:
        service.answer_objection(
            uow=uow,
            application_no=number,
            objection_id=objection.id,
            outcome="upheld",
            answer="经核实属实",
            day=date(2026, 3, 18),
        )
    with container.uow(supervisor()) as uow:
        closed = service.close_notice(uow=uow, application_no=number, day=date(2026, 3, 18))
    assert closed.status == "rejected" and closed.reason == "公示期内有 1 件异议成立，不予认定"


def test_a_duplicate_plaque_number_is_refused_and_nothing_is_signed(container: Container) -> None:
    add_institution(container, HOSPITAL)
    add_institution(container, "H43990100010", name="示范县中医院")
    first = _approved(container)
    second = _approved(container, "H43990100010")
    with container.uow(supervisor()) as uow:
        service.sign_application(
            uow=uow, application_no=first, begin=date(2026, 4, 1), terms_profile="general"
        )
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as exc:
        service.sign_application(
            uow=uow,
            application_no=second,
            begin=date(2026, 4, 1),
            terms_profile="general",
            plaque_no="dy43990100001",
        )
    assert (exc.value.code, exc.value.field) == ("PLAQUE_EXISTS", "plaque_no")
    assert HOSPITAL in exc.value.message
    assert _status(container, "H43990100010") == "applying" and _count(container, Certificate) == 1
    with container.uow(supervisor()) as uow:
        assert service.show_application(uow=uow, application_no=second).status == "approved"
        assert not _terms_exist(uow, "H43990100010")
    # The clean twin: the next number of the region is generated.
    with container.uow(supervisor()) as uow:
        service.sign_application(
            uow=uow, application_no=second, begin=date(2026, 4, 1), terms_profile="general"
        )
    with container.uow(supervisor()) as uow:
        [cert] = service.agreement_history(uow=uow, fixmedins_code="H43990100010").certificates
    assert (cert.plaque_no, cert.certificate_no) == ("DY43990100002", "ZG43990120260002")


def _terms_exist(uow: object, code: str) -> bool:
    from yibao.institutions.repository import AdmissionRepository

    return AdmissionRepository(uow.session).has_terms(code, 2026)  # type: ignore[attr-defined]


def test_signing_needs_the_measurable_terms(container: Container) -> None:
    add_institution(container, HOSPITAL)
    number = _approved(container)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as exc:
        service.sign_application(uow=uow, application_no=number, begin=date(2026, 4, 1))
    assert exc.value.code == "TERMS_REQUIRED" and "2026" in exc.value.message
    with container.uow(supervisor()) as uow:
        assessment.set_terms(uow=uow, fixmedins_code=HOSPITAL, year=2026, profile="general")
    with container.uow(supervisor()) as uow:
        assert (
            service.sign_application(uow=uow, application_no=number, begin=date(2026, 4, 1)).status
            == "signed"
        )


def test_a_direct_sign_or_reapply_cannot_bypass_the_application(container: Container) -> None:
    add_institution(container, HOSPITAL)
    _submit(container)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as exc:
        service.change_agreement(uow=uow, fixmedins_code=HOSPITAL, action="sign", begin=date(2026, 4, 1))
    assert exc.value.code == "APPLICATION_OPEN" and "SQ2026-000001" in exc.value.message
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as twice:
        service.submit_application(uow=uow, fixmedins_code=HOSPITAL, day=date(2026, 3, 3))
    assert twice.value.code == "APPLICATION_OPEN"
    add_institution(container, "H43990100011", agreement_begin=date(2025, 1, 1))
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as active:
        service.submit_application(uow=uow, fixmedins_code="H43990100011")
    assert active.value.code == "APPLICATION_NOT_NEEDED"
    with container.uow(supervisor()) as uow:
        service.change_agreement(
            uow=uow,
            fixmedins_code="H43990100011",
            action="terminate",
            day=date(2025, 6, 1),
            reason="自愿退出",
        )
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as reapply:
        service.change_agreement(uow=uow, fixmedins_code="H43990100011", action="reapply")
    assert reapply.value.code == "REAPPLY_BY_APPLICATION"


def test_changes_suspension_termination_and_renewal_are_dated_states_in_the_history(
    container: Container,
) -> None:
    add_institution(container, HOSPITAL)
    number = _approved(container)
    with container.uow(supervisor()) as uow:
        service.sign_application(
            uow=uow,
            application_no=number,
            begin=date(2026, 4, 1),
            day=date(2026, 3, 25),
            terms_profile="general",
        )
    actions = [
        {"action": "change", "day": date(2026, 5, 1), "reason": "法定代表人变更为李某"},
        {"action": "suspend", "day": date(2026, 6, 1), "until": date(2026, 8, 31), "reason": "限期整改"},
        {"action": "resume", "day": date(2026, 9, 1)},
        {"action": "renew", "day": date(2027, 3, 20), "terms_profile": "general"},
        {"action": "terminate", "day": date(2027, 6, 1), "reason": "严重违规"},
    ]
    for body in actions:
        with container.uow(supervisor()) as uow:
            service.change_agreement(uow=uow, fixmedins_code=HOSPITAL, **body)  # type: ignore[arg-type]
    with container.uow(supervisor()) as uow:
        history = service.agreement_history(uow=uow, fixmedins_code=HOSPITAL)
    assert [(e.action, e.from_status, e.to_status, e.day) for e in history.events] == [
        ("sign", "applying", "active", date(2026, 3, 25)),
        ("change", "active", "active", date(2026, 5, 1)),
        ("suspend", "active", "suspended", date(2026, 6, 1)),
        ("resume", "suspended", "active", date(2026, 9, 1)),
        ("renew", "active", "active", date(2027, 3, 20)),
        ("terminate", "active", "terminated", date(2027, 6, 1)),
    ]
    assert history.events[2].until == date(2026, 8, 31)
    assert history.events[1].reason == "法定代表人变更为李某"
    assert [(a.kind, a.begin, a.end, a.terms_year) for a in history.agreements] == [
        ("renew", date(2027, 4, 1), date(2028, 3, 31), 2027),
        ("sign", date(2026, 4, 1), date(2027, 3, 31), 2026),
    ]
    # 第三条: the certificate and plaque are taken back on termination.
    assert history.certificates[0].revoked_on == date(2027, 6, 1)


def _terminated_pharmacy_by_assessment(container: Container) -> None:
    """A pharmacy graded E (typical table: terminate, no renewal for 3 years), carried out 2024-12-20."""
    add_institution(
        container,
        PHARMACY,
        name="康民大药房",
        fixmedins_type="2",
        hosp_lv=None,
        agreement_begin=date(2024, 1, 1),
    )
    with container.uow(supervisor()) as uow:
        assessment.set_terms(
            uow=uow,
            fixmedins_code=PHARMACY,
            year=2024,
            terms=[{"code": "satisfaction", "target": 9000, "weight": 100}],
        )
    with container.uow(supervisor()) as uow:
        view = assessment.assess(uow=uow, fixmedins_code=PHARMACY, period="2024", actuals={"satisfaction": 0})
    assert view.grade == "E" and view.consequence["no_renew_years"] == 3
    with container.uow(supervisor()) as uow:
        assessment.apply_consequence(uow=uow, fixmedins_code=PHARMACY, period="2024", day=date(2024, 12, 20))


def test_001_art45_pharmacy_no_renewal_for_3_years_refuses_a_new_application(container: Container) -> None:
    _terminated_pharmacy_by_assessment(container)
    assert _status(container, PHARMACY) == "terminated"
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as exc:
        service.submit_application(uow=uow, fixmedins_code=PHARMACY, day=date(2025, 6, 1))
    # 3 years from 2024-12-20: the last banned day is 2027-12-19.
    assert (exc.value.code, exc.value.kind) == ("REENTRY_BAN_NO_RENEW", ErrorKind.CONFLICT)
    assert "2024-12-20 至 2027-12-19" in exc.value.message and "考核 2024" in exc.value.message
    assert _count(container, Application) == 0 and _status(container, PHARMACY) == "terminated"
    with container.uow(supervisor()) as uow:
        [ban] = service.institution_bans(uow=uow, fixmedins_code=PHARMACY, day=date(2025, 6, 1))
    assert (ban.kind, ban.end, ban.source, ban.in_force) == (
        "no_renew",
        date(2027, 12, 19),
        "assessment",
        True,
    )
    # The clean twin: the day after the ban ends the pharmacy may apply, and re-enters `applying`.
    with container.uow(supervisor()) as uow:
        view = service.submit_application(uow=uow, fixmedins_code=PHARMACY, day=date(2027, 12, 20))
    assert view.status == "submitted" and _status(container, PHARMACY) == "applying"
    with container.uow(supervisor()) as uow:
        events = service.agreement_history(uow=uow, fixmedins_code=PHARMACY).events
    assert [e.action for e in events][-2:] == ["terminate", "reapply"]


def test_001_art45_permanent_exit_refuses_forever_and_only_for_pharmacies(container: Container) -> None:
    add_institution(
        container,
        PHARMACY,
        name="康民大药房",
        fixmedins_type="2",
        hosp_lv=None,
        agreement_begin=date(2024, 1, 1),
    )
    add_institution(container, HOSPITAL, agreement_begin=date(2024, 1, 1))
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as hospital:
        service.record_ban(
            uow=uow, fixmedins_code=HOSPITAL, kind="permanent", begin=date(2025, 1, 1), reason="骗保"
        )
    assert hospital.value.code == "PERMANENT_EXIT_PHARMACY"
    with container.uow(supervisor()) as uow:
        service.change_agreement(
            uow=uow,
            fixmedins_code=PHARMACY,
            action="terminate",
            day=date(2025, 1, 1),
            reason="严重违规，社会影响恶劣",
        )
    with container.uow(supervisor()) as uow:
        service.record_ban(
            uow=uow,
            fixmedins_code=PHARMACY,
            kind="permanent",
            begin=date(2025, 1, 1),
            reason="严重违规，永久退出",
        )
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as exc:
        service.submit_application(uow=uow, fixmedins_code=PHARMACY, day=date(2040, 1, 1))
    assert exc.value.code == "REENTRY_BAN_PERMANENT" and "永久退出" in exc.value.message


def test_a_pharmacy_terminated_by_a_supervision_decision_is_barred_for_3_years(container: Container) -> None:
    add_institution(
        container,
        PHARMACY,
        name="康民大药房",
        fixmedins_type="2",
        hosp_lv=None,
        agreement_begin=date(2024, 1, 1),
    )
    add_institution(container, HOSPITAL, agreement_begin=date(2024, 1, 1))
    for code in (PHARMACY, HOSPITAL):
        with container.uow(supervisor()) as uow:
            draft = supervision.create_decision(
                uow=uow, target_type="institution", kind="termination", fixmedins_code=code, reason="串换药品"
            )
        with container.uow(supervisor()) as uow:
            supervision.issue_decision(
                uow=uow,
                decision_no=draft.decision_no,
                document_no="医保处字〔2025〕1号",
                day=date(2025, 5, 1),
            )
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as exc:
        service.submit_application(uow=uow, fixmedins_code=PHARMACY, day=date(2026, 5, 1))
    assert exc.value.code == "REENTRY_BAN_NO_RENEW"
    assert "2028-04-30" in exc.value.message and "处理决定 JD" in exc.value.message
    # A hospital terminated by a decision carries no implied ban (the clean twin) …
    with container.uow(supervisor()) as uow:
        assert (
            service.submit_application(uow=uow, fixmedins_code=HOSPITAL, day=date(2026, 5, 1)).status
            == "submitted"
        )
    # … unless one is recorded against the decision; then applying inside it is refused.
    with container.uow(supervisor()) as uow:
        number = service.list_applications(uow=uow, fixmedins_code=HOSPITAL).items[0].application_no
        service.end_application(uow=uow, application_no=number, action="withdraw", reason="补充材料后再报")
    with container.uow(supervisor()) as uow:
        decisions = supervision.list_decisions(uow=uow, fixmedins_code=HOSPITAL)
        service.record_ban(
            uow=uow,
            fixmedins_code=HOSPITAL,
            kind="no_renew",
            years=2,
            begin=date(2025, 5, 1),
            reason="骗取医保基金",
            decision_no=decisions.items[0].decision_no,
        )
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as banned:
        service.submit_application(uow=uow, fixmedins_code=HOSPITAL, day=date(2026, 6, 1))
    assert banned.value.code == "REENTRY_BAN_NO_RENEW" and "2027-04-30" in banned.value.message


def test_signing_inside_a_ban_is_refused_with_its_end_date(container: Container) -> None:
    add_institution(container, HOSPITAL)
    number = _approved(container)
    with container.uow(supervisor()) as uow:
        service.record_ban(
            uow=uow,
            fixmedins_code=HOSPITAL,
            kind="no_renew",
            years=1,
            begin=date(2026, 3, 20),
            reason="公示后查实虚报材料",
        )
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as exc:
        service.sign_application(
            uow=uow,
            application_no=number,
            begin=date(2026, 4, 1),
            day=date(2026, 3, 25),
            terms_profile="general",
        )
    assert exc.value.code == "REENTRY_BAN_NO_RENEW" and "2027-03-19" in exc.value.message
    assert "签订协议" in exc.value.message
    assert _status(container, HOSPITAL) == "applying" and _count(container, Certificate) == 0


def test_documents_are_kept_with_their_checksum_and_bad_files_refused(container: Container) -> None:
    add_institution(container, HOSPITAL)
    number = _submit(container, documents=False)
    with container.uow(supervisor()) as uow:
        doc = service.add_document(
            uow=uow, application_no=number, kind="licence", filename="许可证.pdf", data=b"abc"
        )
    assert doc.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    with container.uow(supervisor()) as uow:
        assert service.get_document(uow=uow, application_no=number, document_id=doc.id)[2] == b"abc"
    for kind, data, code in [("licence", b"", "DOCUMENT_EMPTY"), ("photo", b"x", "DOCUMENT_KIND")]:
        with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as exc:
            service.add_document(uow=uow, application_no=number, kind=kind, filename="a.pdf", data=data)
        assert exc.value.code == code


def test_an_application_outside_the_region_is_not_found(container: Container) -> None:
    add_institution(container, HOSPITAL)
    number = _submit(container)
    with container.uow(supervisor("439902")) as uow, pytest.raises(BusinessError) as exc:
        service.show_application(uow=uow, application_no=number)
    assert (exc.value.code, exc.value.kind) == ("APPLICATION_NOT_FOUND", ErrorKind.NOT_FOUND)
    with container.uow(SYSTEM) as uow:
        assert service.list_applications(uow=uow).total == 1


@given(
    st.sampled_from(list(rules.ApplicationStatus)),
    st.sampled_from(list(rules.ApplicationAction)),
    st.booleans(),
)
def test_application_steps_go_only_forward_from_the_statuses_allowed(
    status: rules.ApplicationStatus, action: rules.ApplicationAction, passed: bool
) -> None:
    final = {"failed", "rejected", "signed", "withdrawn"}
    try:
        after = rules.application_next(status, action, passed=passed)
    except BusinessError as exc:
        assert exc.code == "APPLICATION_TRANSITION" and rules.APPLICATION_STATUS_ZH[status] in exc.message
        return
    assert status.value not in final
    assert after != status or action is rules.ApplicationAction.CHECK
