"""Worked examples of the review rules (001 第6篇), computed by hand."""

from __future__ import annotations

from datetime import date

import pytest

from yibao.domain import review as r
from yibao.domain.errors import BusinessError
from yibao.domain.review import Action, Calendar, ItemStatus, Reason, ReviewParameters

P = r.DEFAULT_PARAMETERS


# -- 001 第6篇: repeats cost 2–5× the refused amount; absent patients with no record 10×


def test_001_6_first_offence_costs_the_refused_amount_only() -> None:
    assert r.multiplier(Reason.OVER_PRICE_CAP, 0, P) == 1
    d = r.deduction(declared_fen=30_000, refused_fen=10_000, times=1)
    assert (d.refused_fen, d.penalty_fen, d.total_fen) == (10_000, 0, 10_000)


def test_001_6_repeats_climb_from_2x_to_5x_and_stay_at_5x() -> None:
    assert [r.multiplier(Reason.DUPLICATE_CHARGE, k, P) for k in range(1, 7)] == [2, 3, 4, 5, 5, 5]
    d = r.deduction(declared_fen=30_000, refused_fen=10_000, times=3)  # the second repeat
    assert (d.refused_fen, d.penalty_fen, d.total_fen) == (10_000, 20_000, 30_000)


def test_001_6_region_may_configure_its_own_repeat_scale() -> None:
    strict = ReviewParameters(repeat_multipliers=(3, 5))
    assert [r.multiplier(Reason.UPCODING, k, strict) for k in range(4)] == [1, 3, 5, 5]


def test_001_6_absent_patient_with_no_record_costs_10x_even_the_first_time() -> None:
    assert r.multiplier(Reason.ABSENT_NO_RECORD, 0, P) == 10
    assert r.multiplier(Reason.ABSENT_NO_RECORD, 3, P) == 10
    d = r.deduction(declared_fen=12_345, refused_fen=12_345, times=10)
    assert d.total_fen == 123_450 and d.penalty_fen == 111_105


def test_refused_amount_never_exceeds_the_declared_amount() -> None:
    with pytest.raises(BusinessError) as err:
        r.deduction(declared_fen=2_000, refused_fen=2_001, times=1)
    assert err.value.code == "REVIEW_AMOUNT_OVER_DECLARED"
    with pytest.raises(BusinessError):
        r.deduction(declared_fen=2_000, refused_fen=0, times=1)


@pytest.mark.parametrize(
    "params",
    [
        ReviewParameters(repeat_multipliers=(1, 2)),
        ReviewParameters(repeat_multipliers=(2, 6)),
        ReviewParameters(repeat_multipliers=(4, 3)),
        ReviewParameters(answer_working_days=0),
        ReviewParameters(declare_by_day=31),
    ],
)
def test_parameters_outside_the_policy_ranges_are_refused(params: ReviewParameters) -> None:
    with pytest.raises(BusinessError):
        r.check_parameters(params)


def test_default_parameters_pass_and_multipliers_parse() -> None:
    assert r.check_parameters(P) is P
    assert r.parse_multipliers(" 2, 3,4 ,5") == (2, 3, 4, 5)
    with pytest.raises(BusinessError):
        r.parse_multipliers("2,x")


# -- 001 第6篇: the institution answers within 5 working days; silence = accepted


def test_001_6_five_working_days_skip_the_weekend() -> None:
    assert r.add_working_days(date(2024, 4, 8), 5, Calendar()) == date(2024, 4, 15)  # Mon → next Mon
    assert r.add_working_days(date(2024, 4, 12), 5, Calendar()) == date(2024, 4, 19)  # Fri → next Fri


def test_001_6_five_working_days_skip_national_day_and_count_adjusted_weekends() -> None:
    """2024 国庆: 1–7 Oct off; Sun 29 Sep and Sat 12 Oct are working days (调休)."""
    cal = Calendar(
        holidays=frozenset(date(2024, 10, d) for d in range(1, 8)),
        workdays=frozenset({date(2024, 9, 29), date(2024, 10, 12)}),
    )
    # Fri 27 Sep: 29 Sep (1), 30 Sep (2), 8 Oct (3), 9 Oct (4), 10 Oct (5).
    assert r.add_working_days(date(2024, 9, 27), 5, cal) == date(2024, 10, 10)
    assert not cal.is_working_day(date(2024, 10, 2)) and cal.is_working_day(date(2024, 10, 12))


def test_001_6_silence_after_the_deadline_counts_as_accepted_not_before() -> None:
    due = date(2024, 4, 15)
    assert r.effective_status(ItemStatus.DEDUCTED, due, date(2024, 4, 15)) is ItemStatus.DEDUCTED
    assert r.effective_status(ItemStatus.DEDUCTED, due, date(2024, 4, 16)) is ItemStatus.ACCEPTED_SILENT
    # Only an unanswered deduction falls silent.
    assert r.effective_status(ItemStatus.APPEALED, due, date(2024, 5, 1)) is ItemStatus.APPEALED


# -- the state machine: appeal upheld/overturned, nothing moves out of a final state


def test_001_6_appeal_upheld_and_overturned() -> None:
    s = r.next_status(ItemStatus.PENDING, Action.DEDUCT)
    assert s is ItemStatus.DEDUCTED
    appealed = r.next_status(s, Action.APPEAL)
    assert r.next_status(appealed, Action.UPHOLD) is ItemStatus.UPHELD
    assert r.next_status(appealed, Action.OVERTURN) is ItemStatus.OVERTURNED
    assert ItemStatus.UPHELD in r.DEDUCTING_STATES and ItemStatus.OVERTURNED not in r.DEDUCTING_STATES


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (ItemStatus.DEDUCTED, Action.DEDUCT),  # deciding twice
        (ItemStatus.CLEARED, Action.DEDUCT),
        (ItemStatus.PENDING, Action.APPEAL),  # appealing an undecided item
        (ItemStatus.ACCEPTED, Action.APPEAL),  # appealing a final item
        (ItemStatus.UPHELD, Action.APPEAL),
        (ItemStatus.DEDUCTED, Action.UPHOLD),  # a second review without an appeal
    ],
)
def test_moves_outside_the_state_machine_are_refused(state: ItemStatus, action: Action) -> None:
    with pytest.raises(BusinessError) as err:
        r.next_status(state, action)
    assert err.value.code == "REVIEW_ITEM_STATE"


def test_a_reviewed_declaration_closes_when_every_item_is_final() -> None:
    reviewed = r.DeclarationStatus.REVIEWED
    assert (
        r.declaration_status(reviewed, [ItemStatus.ACCEPTED, ItemStatus.CLEARED])
        is r.DeclarationStatus.CLOSED
    )
    assert r.declaration_status(reviewed, [ItemStatus.ACCEPTED, ItemStatus.APPEALED]) is reviewed
    assert r.declaration_status(r.DeclarationStatus.REVIEWING, []) is r.DeclarationStatus.REVIEWING


# -- declaration: due by the 5th, completeness to the fen


def test_001_6_declaration_due_on_the_5th_of_the_next_month() -> None:
    assert r.declaration_due("2024-03", P) == date(2024, 4, 5)
    assert r.declaration_due("2024-12", P) == date(2025, 1, 5)
    assert r.declaration_due("2024-12", ReviewParameters(declare_by_day=10)) == date(2025, 1, 10)


def test_periods_parse_shift_and_bound() -> None:
    assert r.period_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert r.shift_period("2024-03", -12) == "2023-03" and r.shift_period("2024-12", 1) == "2025-01"
    for bad in ("2024-3", "2024-00", "202403", "abcd-ef", ""):
        with pytest.raises(BusinessError):
            r.parse_period(bad)


S = r.SettlementAmounts


def test_completeness_finds_missing_extra_and_differing_settlements() -> None:
    platform = [S("A", 1000, 800), S("B", 500, 400), S("C", -500, -400)]
    report = r.check_completeness([S("A", 1000, 800), S("B", 500, 401), S("X", 10, 10)], platform)
    assert report.missing == ("C",) and report.extra == ("X",) and report.mismatched == ("B",)
    assert not report.complete
    assert {e.code for e in report.errors()} == {
        "DECLARATION_MISSING",
        "DECLARATION_EXTRA",
        "DECLARATION_AMOUNT",
    }


def test_completeness_clean_twin_reconciles_to_the_fen() -> None:
    platform = [S("A", 1000, 800), S("B", 500, 400), S("C", -500, -400)]
    report = r.check_completeness(list(reversed(platform)), platform)
    assert report.complete and report.errors() == []
    assert (report.declared_medfee, report.declared_fund) == (1000, 800)


def test_a_settlement_declared_twice_is_extra() -> None:
    report = r.check_completeness([S("A", 1, 1), S("A", 1, 1)], [S("A", 1, 1)])
    assert report.extra == ("A",) and not report.complete


def test_findings_rule_families_suggest_reasons() -> None:
    assert r.reason_for_family("split_admission") is Reason.SPLIT_ADMISSION
    assert r.reason_for_family("over_price_cap") is Reason.OVER_PRICE_CAP
    assert r.reason_for_family("something_new") is Reason.OTHER
    assert set(r.REASON_ZH) == set(Reason)


def test_totals_group_by_institution_settlement_and_reason() -> None:
    rows = [
        ("H1", "S1", "A", 100),
        ("H1", "S1", "A", 50),
        ("H1", None, "B", 7),
        ("H0", "S9", "A", 1),
        ("H1", "S2", "A", 0),
    ]
    assert r.totals(rows) == [
        r.DeductionTotal("H0", "S9", 1, "A"),
        r.DeductionTotal("H1", None, 7, "B"),
        r.DeductionTotal("H1", "S1", 150, "A"),
    ]
