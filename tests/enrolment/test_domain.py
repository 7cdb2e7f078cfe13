"""Pure enrolment rules: schemes, states, duplicate enrolment, periods, waiting periods, account split."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao.domain import enrolment as rules
from yibao.domain.enrolment import (
    AccountPolicy,
    RelationFact,
    RelationStatus,
    WaitingPolicy,
)
from yibao.domain.errors import BusinessError


def fact(insutype: str, begin: date, end: date | None = None, status: str = "active") -> RelationFact:
    return RelationFact("4399010000000001", insutype, "439901", begin, end, RelationStatus(status))


def test_employee_and_resident_schemes_are_basic_supplements_are_not() -> None:
    assert rules.scheme_of("310").basic and rules.scheme_of("390").basic
    assert not rules.scheme_of("320").basic and rules.scheme_of("320").requires == "310"
    assert not rules.scheme_of("330").basic and rules.scheme_of("330").requires == "310"
    assert rules.scheme_of("999").requires is None  # an unlisted scheme stands alone


def test_duplicate_enrolment_overlapping_basic_relation_in_another_scheme_is_found() -> None:
    existing = [fact("390", date(2024, 1, 1), date(2024, 12, 31))]
    clash = rules.find_basic_overlap(insutype="310", begin=date(2024, 6, 1), end=None, existing=existing)
    assert clash == existing[0]
    error = rules.duplicate_error(clash)
    assert error.code == "ENROL_DUPLICATE"
    assert "重复参保" in error.message and "390" in error.message and "439901" in error.message
    assert "2024-01-01—2024-12-31" in error.message


def test_basic_relations_that_follow_each_other_do_not_clash() -> None:
    existing = [fact("390", date(2024, 1, 1), date(2024, 5, 31), "ended")]
    assert (
        rules.find_basic_overlap(insutype="310", begin=date(2024, 6, 1), end=None, existing=existing) is None
    )


def test_supplementary_scheme_needs_an_active_employee_relation_covering_its_period() -> None:
    covering = [fact("310", date(2024, 1, 1))]
    rules.check_supplementary(insutype="330", begin=date(2024, 3, 1), end=None, existing=covering)
    short = [fact("310", date(2024, 1, 1), date(2024, 6, 30))]
    with pytest.raises(BusinessError) as info:
        rules.check_supplementary(insutype="320", begin=date(2024, 3, 1), end=None, existing=short)
    assert info.value.code == "ENROL_BASIC_REQUIRED"
    resident_only = [fact("390", date(2024, 1, 1))]
    with pytest.raises(BusinessError):
        rules.check_supplementary(insutype="330", begin=date(2024, 3, 1), end=None, existing=resident_only)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("active", "suspended", True),
        ("active", "ended", True),
        ("suspended", "active", True),
        ("suspended", "ended", True),
        ("ended", "active", False),
        ("ended", "suspended", False),
        ("active", "active", False),
    ],
)
def test_relation_state_transitions(current: str, target: str, allowed: bool) -> None:
    if allowed:
        rules.check_transition(RelationStatus(current), RelationStatus(target))
    else:
        with pytest.raises(BusinessError) as info:
            rules.check_transition(RelationStatus(current), RelationStatus(target))
        assert info.value.code == "RELATION_STATE"


def test_special_groups_and_disability_level() -> None:
    assert rules.check_special_group("2304", None) == ("2304", None)
    assert rules.check_special_group("2308", "3") == ("2308", "3")
    assert rules.check_special_group("", "") == (None, None)
    for group, level, code in [
        ("2308", None, "DISABILITY_LEVEL"),
        ("2308", "5", "DISABILITY_LEVEL"),
        ("2303", "1", "DISABILITY_LEVEL"),
        ("9999", None, "SPECIAL_GROUP"),
    ]:
        with pytest.raises(BusinessError) as info:
            rules.check_special_group(group, level)
        assert info.value.code == code


def test_person_number_is_region_and_padded_sequence() -> None:
    assert rules.psn_no_for("439901", 42) == "4399010000000042"


def test_periods_employees_by_month_residents_by_year() -> None:
    month = rules.parse_period("2024-02", employee=True)
    assert (month.first_day, month.last_day, month.months, month.due_date) == (
        date(2024, 2, 1),
        date(2024, 2, 29),
        1,
        date(2024, 2, 29),
    )
    year = rules.parse_period("2025", employee=False)
    assert (year.months, year.due_date) == (12, date(2024, 12, 31))  # residents pay before the year
    for text, employee in [("2024-13", True), ("2024", True), ("2024-01", False), ("24-1", True)]:
        with pytest.raises(BusinessError) as info:
            rules.parse_period(text, employee=employee)
        assert info.value.code == "PERIOD_FORMAT"


def test_back_payment_within_three_months_lifts_the_waiting_period_000_part9() -> None:
    """000 第9篇: 对按规定补缴欠费的，取消医保待遇的等待期 (typical: within 3 months)."""
    outcome = rules.back_payment_outcome(
        due_date=date(2024, 1, 31),
        paid_on=date(2024, 4, 15),
        current_waiting_end=date(2024, 6, 30),
        policy=WaitingPolicy(),
    )
    assert outcome.late and outcome.lifts_waiting and outcome.waiting_end is None


def test_back_payment_after_the_allowed_months_starts_a_waiting_period() -> None:
    outcome = rules.back_payment_outcome(
        due_date=date(2024, 1, 31),
        paid_on=date(2024, 6, 10),
        current_waiting_end=None,
        policy=WaitingPolicy(),
    )
    assert outcome.late and not outcome.lifts_waiting
    assert outcome.waiting_end == date(2024, 9, 9)
    assert rules.in_waiting(outcome.waiting_end, date(2024, 9, 9))
    assert not rules.in_waiting(outcome.waiting_end, date(2024, 9, 10))


def test_payment_on_time_is_not_late_and_keeps_the_waiting_period() -> None:
    outcome = rules.back_payment_outcome(
        due_date=date(2024, 1, 31),
        paid_on=date(2024, 1, 20),
        current_waiting_end=date(2024, 3, 1),
        policy=WaitingPolicy(),
    )
    assert not outcome.late and outcome.waiting_end == date(2024, 3, 1)


def test_a_region_can_shorten_the_lifting_window() -> None:
    outcome = rules.back_payment_outcome(
        due_date=date(2024, 1, 31),
        paid_on=date(2024, 3, 15),
        current_waiting_end=None,
        policy=WaitingPolicy(lift_within_months=1, waiting_months=6),
    )
    assert not outcome.lifts_waiting and outcome.waiting_end == date(2024, 9, 14)


def test_account_split_individual_part_fully_plus_a_share_of_the_unit_part() -> None:
    assert (
        rules.account_credit(individual=8000, unit=24000, months=1, retired=False, policy=AccountPolicy())
        == 8000
    )
    policy = AccountPolicy(unit_share=Decimal("0.30"))
    assert rules.account_credit(individual=8000, unit=24001, months=1, retired=False, policy=policy) == 15200
    assert rules.account_credit(individual=0, unit=0, months=1, retired=True, policy=AccountPolicy()) == 6000


def test_contribution_months_count_each_month_once() -> None:
    periods = [rules.parse_period(p, employee=True) for p in ["2024-01", "2024-02", "2024-02"]]
    periods.append(rules.parse_period("2023", employee=False))
    assert rules.contribution_months(periods) == 14


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=12),
)
def test_back_payment_outcome_invariants(due: date, days_late: int, lift: int) -> None:
    from datetime import timedelta

    paid = due + timedelta(days=days_late)
    outcome = rules.back_payment_outcome(
        due_date=due, paid_on=paid, current_waiting_end=None, policy=WaitingPolicy(lift_within_months=lift)
    )
    assert outcome.late == (days_late > 0)
    if outcome.lifts_waiting:
        assert outcome.waiting_end is None
    if outcome.late and not outcome.lifts_waiting:
        assert outcome.waiting_end is not None and outcome.waiting_end >= paid


@given(
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=10**9),
    st.decimals(min_value=0, max_value=1, places=2),
)
def test_account_credit_is_never_below_the_individual_part(
    individual: int, unit: int, share: Decimal
) -> None:
    credit = rules.account_credit(
        individual=individual, unit=unit, months=1, retired=False, policy=AccountPolicy(unit_share=share)
    )
    assert individual <= credit <= individual + unit
