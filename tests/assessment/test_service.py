"""Assessment use cases end to end: purchase report → stock rate → score → grade → consequence that
really acts (settlement refuses the institution), doctor points that suspend prescribing."""

from __future__ import annotations

from datetime import date

import pytest

from tests.assessment.helpers import (
    DOCTOR,
    PATENT,
    WESTERN_LISTED,
    WESTERN_OUTSIDE,
    assessor,
    report_row,
    world_with_drugs,
)
from tests.factories import make_actor
from tests.settlement.helpers import HOSPITAL, open_visit
from yibao.assessment import service
from yibao.bootstrap import Container
from yibao.core.imports import ImportRefusedError
from yibao.core.security import SYSTEM, Role
from yibao.domain import assessment as rules
from yibao.domain.errors import BusinessError
from yibao.institutions import service as institutions

MARCH_ROWS = [report_row(c) for c in WESTERN_LISTED + WESTERN_OUTSIDE + PATENT]


def _raw(rows: list[dict[str, str]]) -> list[rules.RawPurchaseRow]:
    return [rules.RawPurchaseRow(**r) for r in rows]


def test_stock_rate_from_a_monthly_purchase_report(container: Container) -> None:
    world_with_drugs(container)
    operator = make_actor(Role.INSTITUTION, institution_code=HOSPITAL, username="his")
    with container.uow(operator) as uow:
        view = service.submit_purchase_report(
            uow=uow, fixmedins_code=HOSPITAL, period="2024-03", rows=_raw(MARCH_ROWS)
        )
    # 001 第3篇: 17 of 20 western drugs in the catalog → 85.00%; 1 of 2 patent → 50.00%.
    assert view.stock["western"] == {"listed": 17, "total": 20, "rate_bp": 8500}
    assert view.stock["patent"] == {"listed": 1, "total": 2, "rate_bp": 5000}
    with container.uow(assessor()) as uow:
        shown = service.show_report(uow=uow, fixmedins_code=HOSPITAL, period="2024-03")
    assert shown.line_count == 22 and shown.lines[0]["purchase_price"] == 120


def test_report_rows_are_refused_row_by_row_and_nothing_is_stored(container: Container) -> None:
    world_with_drugs(container)
    rows = [
        report_row(WESTERN_LISTED[0]),
        report_row("XZ99999999999"),  # unknown
        report_row(WESTERN_LISTED[1], day="2024-04-01"),  # outside March
        report_row(WESTERN_LISTED[2], quantity="-5"),  # negative
    ]
    with container.uow(assessor()) as uow, pytest.raises(ImportRefusedError) as exc:
        service.submit_purchase_report(uow=uow, fixmedins_code=HOSPITAL, period="2024-03", rows=_raw(rows))
    assert [(r.row, r.code) for r in exc.value.rows] == [
        (2, "DRUG_CODE_UNKNOWN"),
        (3, "DATE_OUTSIDE_PERIOD"),
        (4, "QUANTITY_NEGATIVE"),
    ]
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as missing:
        service.show_report(uow=uow, fixmedins_code=HOSPITAL, period="2024-03")
    assert missing.value.code == "REPORT_NOT_FOUND"


def test_an_institution_reports_only_for_itself(container: Container) -> None:
    world_with_drugs(container)
    other = make_actor(Role.INSTITUTION, institution_code="H43990100002", username="other")
    with container.uow(other) as uow, pytest.raises(BusinessError) as exc:
        service.submit_purchase_report(
            uow=uow, fixmedins_code=HOSPITAL, period="2024-03", rows=_raw(MARCH_ROWS)
        )
    assert exc.value.code == "AUTH_INSTITUTION"


def _pharmacy_like_terms(container: Container) -> None:
    terms = [
        {"code": "stock_rate_western", "target": 8500, "weight": 40},
        {"code": "stock_rate_patent", "target": 5000, "weight": 20},
        {"code": "in_bed_rate", "target": 9500, "weight": 20},
        {"code": "violations", "target": 0, "weight": 20, "method": "deduct", "per_unit": 1000},
    ]
    with container.uow(assessor()) as uow:
        service.set_terms(uow=uow, fixmedins_code=HOSPITAL, year=2024, profile="general", terms=terms)


def test_assessment_score_grade_and_consequence_worked_example(container: Container) -> None:
    world_with_drugs(container)
    _pharmacy_like_terms(container)
    with container.uow(assessor()) as uow:
        service.submit_purchase_report(
            uow=uow, fixmedins_code=HOSPITAL, period="2024-03", rows=_raw(MARCH_ROWS)
        )
    # Western 85% meets (40), patent 50% meets (20), in-bed 76% against 95% → 20 × 76/95 = 16.00,
    # violations 3 → 20 − 3 × 10 = 0. Total 76.00 → grade C (合格, ≥70):
    # coefficient 98%, 20% deposit withheld.
    with container.uow(assessor()) as uow:
        view = service.assess(
            uow=uow, fixmedins_code=HOSPITAL, period="2024Q1", actuals={"in_bed_rate": 7600, "violations": 3}
        )
    assert view.score == 7600 and view.grade == "C"
    assert (
        view.consequence["payment_coefficient_bp"] == 9800 and view.consequence["withhold_deposit_bp"] == 2000
    )
    measured = {i["code"]: i for i in view.items}
    assert (
        measured["stock_rate_western"]["actual"] == 8500
        and measured["stock_rate_western"]["source"] == "measured"
    )
    assert measured["in_bed_rate"]["source"] == "manual" and measured["in_bed_rate"]["points"] == 1600
    with container.uow(assessor()) as uow:
        applied = service.apply_consequence(
            uow=uow, fixmedins_code=HOSPITAL, period="2024Q1", day=date(2024, 4, 10)
        )
    assert applied.applied_on == date(2024, 4, 10) and "结算系数98.00%" in (applied.applied_note or "")
    with container.uow(SYSTEM) as uow:
        assert service.payment_terms(uow=uow, fixmedins_code=HOSPITAL, day=date(2024, 5, 1)) == (9800, 2000)
        assert service.payment_terms(uow=uow, fixmedins_code=HOSPITAL, day=date(2024, 4, 9)) == (10000, 0)


def test_grade_e_suspends_the_agreement_and_settlement_refuses_the_institution(container: Container) -> None:
    world = world_with_drugs(container)
    _pharmacy_like_terms(container)
    actuals = {"stock_rate_western": 4000, "stock_rate_patent": 0, "in_bed_rate": 5000, "violations": 5}
    with container.uow(assessor()) as uow:
        view = service.assess(uow=uow, fixmedins_code=HOSPITAL, period="2024-03", actuals=actuals)
    assert view.grade == "E" and view.consequence["suspend_months"] == 3
    # Before the consequence is carried out the hospital still settles.
    open_visit(container, world.worker, day="2024-04-10")
    with container.uow(assessor()) as uow:
        service.apply_consequence(uow=uow, fixmedins_code=HOSPITAL, period="2024-03", day=date(2024, 4, 15))
    with container.uow(SYSTEM) as uow:
        allowed, code, _reason = institutions.settlement_allowed(
            uow=uow, fixmedins_code=HOSPITAL, day=date(2024, 5, 1)
        )
    assert (allowed, code) == (False, "AGREEMENT_SUSPENDED")
    with pytest.raises(BusinessError) as exc:
        open_visit(container, world.worker, day="2024-05-01")
    assert exc.value.code == "INSTITUTION_SUSPENDED" and "暂停" in exc.value.message
    # Three months: 2024-04-15 .. 2024-07-14; the next day settles again.
    with container.uow(SYSTEM) as uow:
        assert (
            institutions.settlement_allowed(uow=uow, fixmedins_code=HOSPITAL, day=date(2024, 7, 14))[0]
            is False
        )
        assert (
            institutions.settlement_allowed(uow=uow, fixmedins_code=HOSPITAL, day=date(2024, 7, 15))[0]
            is True
        )
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as again:
        service.assess(uow=uow, fixmedins_code=HOSPITAL, period="2024-03", actuals=actuals)
    assert again.value.code == "ASSESSMENT_APPLIED"


def test_next_years_terms_are_lowered_after_a_grade_d(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow:
        service.set_terms(uow=uow, fixmedins_code=HOSPITAL, year=2024, profile="general")
    actuals = {
        "stock_rate_western": 8500,
        "stock_rate_patent": 5000,
        "cost_per_visit": 20000,
        "cost_per_stay": 900000,
        "length_of_stay": 1000,
        "self_pay_share": 2500,
        "in_bed_rate": 9500,
        "satisfaction": 9000,
        "violations": 4,
        "doctor_points": 20,
    }
    with container.uow(assessor()) as uow:
        view = service.assess(uow=uow, fixmedins_code=HOSPITAL, period="2024", actuals=actuals)
    assert view.score == 8500  # 100 − violations 10 − doctor points 5 → 85.00 → B
    actuals["violations"], actuals["satisfaction"], actuals["in_bed_rate"] = 4, 4500, 6000
    with container.uow(assessor()) as uow:
        view = service.assess(uow=uow, fixmedins_code=HOSPITAL, period="2024", actuals=actuals)
    # satisfaction 5 × 45/90 = 2.50, in-bed 10 × 60/95 = 6.32, violations and points 0:
    # 15 + 10 + 10 + 15 + 10 + 10 + 6.32 + 2.50 = 78.82 → C under the typical table.
    assert (view.score, view.grade) == (7882, "C")
    with container.uow(assessor()) as uow:
        service.set_config(
            uow=uow,
            admdvs="439901",
            kind="grades_1",
            begin=date(2024, 1, 1),
            body={
                "grades": [
                    {"grade": "A", "label": "合格", "min_score": 8000},
                    {
                        "grade": "D",
                        "label": "基本合格",
                        "min_score": 0,
                        "consequence": {"lower_next_year_bp": 500},
                    },
                ]
            },
        )
    with container.uow(assessor()) as uow:
        view = service.assess(uow=uow, fixmedins_code=HOSPITAL, period="2024", actuals=actuals)
    assert view.grade == "D" and view.config_source.startswith("config:")
    with container.uow(assessor()) as uow:
        service.apply_consequence(uow=uow, fixmedins_code=HOSPITAL, period="2024", day=date(2025, 1, 20))
    with container.uow(assessor()) as uow:
        terms = service.set_terms(uow=uow, fixmedins_code=HOSPITAL, year=2025, profile="general")
    by_code = {t.code: t.target for t in terms.terms}
    assert terms.lowered_bp == 500
    assert (
        by_code["cost_per_visit"] == 19000 and by_code["cost_per_stay"] == 855000
    )  # 200 → 190 yuan, 9000 → 8550


def test_assessment_without_terms_or_values_is_refused(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as exc:
        service.assess(uow=uow, fixmedins_code=HOSPITAL, period="2024-03")
    assert exc.value.code == "TERMS_NOT_FOUND"
    _pharmacy_like_terms(container)
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as missing:
        service.assess(uow=uow, fixmedins_code=HOSPITAL, period="2024-03")
    assert missing.value.code == "ACTUAL_MISSING" and "stock_rate_western" in missing.value.message
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as unknown:
        service.assess(uow=uow, fixmedins_code=HOSPITAL, period="2024-03", actuals={"satisfaction": 1})
    assert unknown.value.code == "ACTUAL_UNKNOWN"


def test_002_six_points_suspend_the_doctor_and_prescriptions_are_refused(container: Container) -> None:
    world = world_with_drugs(container)
    with container.uow(assessor()) as uow:
        first = service.deduct_points(uow=uow, dr_code=DOCTOR, violation="swap_items", day=date(2024, 3, 1))
    assert (first.points, first.year_total, first.outcome, first.fixmedins_code) == (3, 3, "none", HOSPITAL)
    with container.uow(SYSTEM) as uow:
        assert institutions.doctor_qualification(uow=uow, dr_code=DOCTOR, day=date(2024, 3, 2))[0] is True
    with container.uow(assessor()) as uow:
        second = service.deduct_points(uow=uow, dr_code=DOCTOR, violation="swap_items", day=date(2024, 3, 10))
    assert (second.year_total, second.outcome) == (6, "suspend")
    with container.uow(SYSTEM) as uow:
        allowed, code, _reason = institutions.doctor_qualification(
            uow=uow, dr_code=DOCTOR, day=date(2024, 3, 11), fixmedins_code=HOSPITAL
        )
        doctor = institutions.show_doctor(uow=uow, dr_code=DOCTOR)
    assert (allowed, code) == (False, "DOCTOR_SUSPENDED")
    assert doctor.suspended_until == date(2024, 9, 9)  # six months (typical table)
    # Settlement refuses the suspended doctor's visits from the suspension on; earlier days pass.
    open_visit(container, world.worker, med_type="11", day="2024-03-02", dr_code=DOCTOR)
    with pytest.raises(BusinessError) as refused:
        open_visit(container, world.worker, med_type="11", day="2024-03-11", dr_code=DOCTOR)
    assert (refused.value.code, refused.value.field) == ("DOCTOR_NOT_QUALIFIED", "dr_code")
    with container.uow(assessor()) as uow:
        points = service.doctor_points(uow=uow, dr_code=DOCTOR, year=2024)
    assert points.points == 6 and [e.outcome for e in points.entries] == ["none", "suspend"]
    # A repeat the next year (suspended within the last 3 years) cancels for good.
    with container.uow(assessor()) as uow:
        service.deduct_points(uow=uow, dr_code=DOCTOR, violation="false_admission", day=date(2025, 2, 1))
    with container.uow(SYSTEM) as uow:
        assert (
            institutions.doctor_qualification(uow=uow, dr_code=DOCTOR, day=date(2030, 1, 1))[1]
            == "DOCTOR_CANCELLED"
        )


def test_points_reset_each_year(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow:
        service.deduct_points(uow=uow, dr_code=DOCTOR, violation="swap_items", day=date(2024, 3, 1))
    with container.uow(assessor()) as uow:
        assert service.reset_year(uow=uow, admdvs="439901", year=2025) == 1
    with container.uow(assessor()) as uow:
        assert service.doctor_points(uow=uow, dr_code=DOCTOR, year=2025).points == 0
        assert service.doctor_points(uow=uow, dr_code=DOCTOR, year=2024).points == 3
    with container.uow(assessor()) as uow:
        entry = service.deduct_points(uow=uow, dr_code=DOCTOR, violation="swap_items", day=date(2025, 3, 1))
    assert (entry.year_total, entry.outcome) == (3, "none")  # 2024's 3 points no longer count


def test_training_records_and_bad_input(container: Container) -> None:
    world_with_drugs(container)
    with container.uow(assessor()) as uow:
        service.add_training(uow=uow, dr_code=DOCTOR, day=date(2024, 5, 1), topic="医保政策培训", hours=4)
    with container.uow(assessor()) as uow:
        assert service.doctor_points(uow=uow, dr_code=DOCTOR, year=2024).trainings[0]["hours"] == 4
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as exc:
        service.add_training(uow=uow, dr_code=DOCTOR, day=date(2024, 5, 1), topic="", hours=0)
    assert exc.value.code == "REQUIRED"
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as unknown:
        service.deduct_points(uow=uow, dr_code=DOCTOR, violation="nope", day=date(2024, 3, 1))
    assert unknown.value.code == "VIOLATION_UNKNOWN"


def test_config_versions_have_periods_and_are_checked(container: Container) -> None:
    world_with_drugs(container)
    body = service.default_body("points") | {"suspend_at": 8}
    with container.uow(assessor()) as uow:
        service.set_config(uow=uow, admdvs="439901", kind="points", begin=date(2024, 1, 1), body=body)
    with container.uow(assessor()) as uow:
        service.set_config(
            uow=uow,
            admdvs="439901",
            kind="points",
            begin=date(2025, 1, 1),
            body=service.default_body("points"),
        )
    with container.uow(assessor()) as uow:
        configs = service.list_configs(uow=uow)
    assert [(c.begin, c.end) for c in configs] == [
        (date(2024, 1, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), None),
    ]
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as overlap:
        service.set_config(uow=uow, admdvs="439901", kind="points", begin=date(2024, 6, 1), body=body)
    assert overlap.value.code == "CONFIG_OVERLAP"
    with container.uow(assessor()) as uow, pytest.raises(BusinessError) as bad:
        service.set_config(
            uow=uow,
            admdvs="439901",
            kind="grades_2",
            begin=date(2026, 1, 1),
            body={
                "grades": [
                    {"grade": "E", "label": "差", "min_score": 0, "consequence": {"suspend_months": 3}}
                ]
            },
        )
    assert bad.value.code == "SUSPEND_MONTHS_RANGE"
    # 2024 table: 8 points suspend, so 6 points do not.
    with container.uow(assessor()) as uow:
        service.deduct_points(uow=uow, dr_code=DOCTOR, violation="false_admission", day=date(2024, 3, 1))
    with container.uow(SYSTEM) as uow:
        assert institutions.doctor_qualification(uow=uow, dr_code=DOCTOR, day=date(2024, 3, 2))[0] is True
