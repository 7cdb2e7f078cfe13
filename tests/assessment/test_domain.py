"""Pure assessment rules: worked examples named after their clause, and invariants."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao.domain import assessment as a
from yibao.domain.errors import BusinessError


def test_001_p3_stock_rate_western_85_percent_worked_example() -> None:
    # 001 第3篇: 西药备药率 ≥85%, 中成药 ≥50%. 20 distinct western drugs in stock, 17 in the catalog
    # → 17/20 = 85.00%; 4 patent drugs, 2 in the catalog → 50.00%; herbal pieces stay out of "all".
    stocked = {f"XA{n:05d}": n < 17 for n in range(20)} | {f"ZA{n:05d}": n < 2 for n in range(4)}
    stocked |= {"TA00001": False}
    rates = a.stock_rates(stocked)
    assert (rates["western"].listed, rates["western"].total, rates["western"].rate_bp) == (17, 20, 8500)
    assert rates["patent"].rate_bp == 5000
    assert (rates["all"].listed, rates["all"].total, rates["all"].rate_bp) == (
        19,
        24,
        7917,
    )  # 79.1666…% half up
    assert rates["herbal"].total == 1 and rates["herbal"].rate_bp == 0


def test_001_p3_stock_rate_below_target_scores_in_proportion() -> None:
    term = a.Term("stock_rate_western", 8500, 15)  # 15 points
    assert a.met(term, 8500) and a.score_term(term, 8500) == 1500
    # 80% against 85%: 15 × 80/85 = 14.1176… → 14.12 points (hundredths, half up)
    assert not a.met(term, 8000) and a.score_term(term, 8000) == 1412


def test_001_p3_self_pay_share_at_most_25_percent() -> None:
    term = a.Term("self_pay_share", 2500, 10)
    assert a.score_term(term, 2500) == 1000  # exactly 25% meets
    assert a.score_term(term, 3000) == 833  # 10 × 25/30 = 8.333… → 8.33


def test_deduct_method_takes_points_per_violation_never_below_zero() -> None:
    term = a.Term("violations", 0, 10, a.Method.DEDUCT, 500)  # 5 points per violation
    assert a.score_term(term, 0) == 1000
    assert a.score_term(term, 1) == 500
    assert a.score_term(term, 3) == 0


def test_score_needs_every_actual_value() -> None:
    terms = a.DEFAULT_TERMS["pharmacy"]
    with pytest.raises(BusinessError) as exc:
        a.score(terms, {"stock_rate_western": 9000})
    assert exc.value.code == "ACTUAL_MISSING" and "stock_rate_patent" in exc.value.message


def test_default_terms_add_up_to_100_points() -> None:
    for terms in a.DEFAULT_TERMS.values():
        assert a.check_terms(terms)


def test_terms_with_bad_weights_codes_and_targets_are_refused_all_at_once() -> None:
    terms = [
        a.Term("nope", 1, 50),
        a.Term("satisfaction", 12000, 0),
        a.Term("violations", 0, 50, a.Method.DEDUCT),
    ]
    with pytest.raises(BusinessError) as exc:
        a.check_terms(terms)
    codes = {e.code for e in exc.value.errors}
    assert {"INDICATOR_UNKNOWN", "TARGET_RANGE", "WEIGHT_RANGE", "PER_UNIT_REQUIRED"} <= codes


def test_grade_and_consequence_of_the_typical_medical_table() -> None:
    bands = a.check_grades(a.DEFAULT_GRADES[a.MEDICAL], a.MEDICAL)
    assert a.grade_for(bands, 9000).grade == "A"
    assert a.grade_for(bands, 8999).grade == "B"
    e = a.grade_for(bands, 5999)
    assert e.grade == "E" and e.consequence.suspend_months == 3 and e.consequence.lower_next_year_bp == 1000
    assert "暂停协议3个月" in e.consequence.summary()


def test_001_art39_suspension_2_to_6_months_and_lowering_5_to_10_percent() -> None:
    bad = [
        a.GradeBand(
            "A", "优", 0, a.Consequence(suspend_months=7, lower_next_year_bp=300, permanent_exit=True)
        )
    ]
    with pytest.raises(BusinessError) as exc:
        a.check_grades(bad, a.MEDICAL)
    codes = {e.code for e in exc.value.errors}
    assert codes == {"SUSPEND_MONTHS_RANGE", "LOWERING_RANGE", "PERMANENT_EXIT_PHARMACY"}
    clean = [a.GradeBand("A", "优", 0, a.Consequence(suspend_months=6, lower_next_year_bp=1000))]
    assert a.check_grades(clean, a.MEDICAL)


def test_001_art45_pharmacy_6_to_12_months_3_to_5_years_permanent_exit() -> None:
    with pytest.raises(BusinessError) as exc:
        a.check_grades(
            [a.GradeBand("E", "差", 0, a.Consequence(suspend_months=3, no_renew_years=6))], a.PHARMACY
        )
    assert {e.code for e in exc.value.errors} == {"SUSPEND_MONTHS_RANGE", "NO_RENEW_RANGE"}
    ok = a.Consequence(suspend_months=12, no_renew_years=5, permanent_exit=True)
    assert a.check_grades([a.GradeBand("E", "差", 0, ok)], a.PHARMACY)


def test_001_art39_next_year_money_targets_lowered() -> None:
    terms = [a.Term("cost_per_stay", 907281, 50), a.Term("in_bed_rate", 9500, 50)]
    lowered = a.lower_terms(terms, 500)  # 5%: 9072.81 yuan × 0.95 = 8619.1695 → 8619.17 yuan
    assert lowered[0].target == 861917 and lowered[1].target == 9500


@pytest.mark.parametrize(
    ("key", "kind", "begin", "end"),
    [
        ("2026-02", a.PeriodKind.MONTH, date(2026, 2, 1), date(2026, 2, 28)),
        ("2026Q4", a.PeriodKind.QUARTER, date(2026, 10, 1), date(2026, 12, 31)),
        ("2026", a.PeriodKind.YEAR, date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_periods(key: str, kind: a.PeriodKind, begin: date, end: date) -> None:
    p = a.parse_period(key)
    assert (p.kind, p.begin, p.end) == (kind, begin, end)


@pytest.mark.parametrize("bad", ["2026-13", "26-01", "2026Q5", "", "abc"])
def test_bad_periods_are_refused(bad: str) -> None:
    with pytest.raises(BusinessError) as exc:
        a.parse_period(bad)
    assert exc.value.code == "PERIOD_FORMAT"


def _row(**kw: str) -> a.RawPurchaseRow:
    base = {
        "drug_code": "XA01ABD075A002010100483",
        "drug_name": "地塞米松",
        "maker": "示范制药",
        "channel": "省集中采购平台",
        "purchase_day": "2026-03-05",
        "quantity": "100",
        "purchase_price": "1.20",
        "sale_price": "1.50",
    }
    base.update(kw)
    return a.RawPurchaseRow(**base)


def test_purchase_row_rules_unknown_code_date_outside_negative_quantity() -> None:
    march = a.parse_period("2026-03")
    known = {"XA01ABD075A002010100483"}
    line, errors = a.check_purchase_row(_row(), march, known)
    assert errors == [] and line is not None and line.purchase_price == 120 and line.quantity == 100
    _l, errors = a.check_purchase_row(
        _row(drug_code="XB9900000000", purchase_day="2026-04-01", quantity="-3", sale_price="-1"),
        march,
        known,
    )
    assert {e.code for e in errors} == {
        "DRUG_CODE_UNKNOWN",
        "DATE_OUTSIDE_PERIOD",
        "QUANTITY_NEGATIVE",
        "MONEY_NEGATIVE",
    }
    _l, errors = a.check_purchase_row(_row(drug_code="123", maker="", purchase_price="1.234"), march, known)
    assert {e.code for e in errors} == {"DRUG_CODE_FORMAT", "REQUIRED", "MONEY_FORMAT"}


def test_002_six_points_suspend_the_doctor() -> None:
    table = a.DEFAULT_POINTS
    rule = table.rule("swap_items")  # 3 points
    total, outcome = a.points_outcome(
        table, year_points=0, rule=rule, status="active", suspensions_recently=0
    )
    assert (total, outcome) == (3, a.DoctorOutcome.NONE)
    total, outcome = a.points_outcome(
        table, year_points=3, rule=rule, status="active", suspensions_recently=0
    )
    assert (total, outcome) == (6, a.DoctorOutcome.SUSPEND)


def test_002_repeated_or_severe_cancel_permanently() -> None:
    table = a.DEFAULT_POINTS
    assert (
        a.points_outcome(
            table, year_points=0, rule=table.rule("forged_records"), status="active", suspensions_recently=0
        )[1]
        is a.DoctorOutcome.CANCEL
    )
    repeat = a.points_outcome(
        table, year_points=4, rule=table.rule("split_prescription"), status="active", suspensions_recently=1
    )
    assert repeat == (6, a.DoctorOutcome.CANCEL)
    many = a.points_outcome(
        table,
        year_points=10,
        rule=table.rule("split_prescription"),
        status="suspended",
        suspensions_recently=1,
    )
    assert many == (12, a.DoctorOutcome.CANCEL)
    # Already suspended this year and still below the cancel line: no second suspension.
    again = a.points_outcome(
        table, year_points=6, rule=table.rule("no_consent"), status="suspended", suspensions_recently=1
    )
    assert again == (7, a.DoctorOutcome.NONE)


def test_points_table_rules() -> None:
    bad = a.PointsTable(
        rules=(a.PointRule("x", "x", 0), a.PointRule("x", "y", 13)), suspend_at=12, cancel_at=6
    )
    with pytest.raises(BusinessError) as exc:
        a.check_points_table(bad)
    assert {"POINTS_RANGE", "RULE_DUPLICATE", "THRESHOLD_ORDER"} <= {e.code for e in exc.value.errors}
    with pytest.raises(BusinessError) as unknown:
        a.DEFAULT_POINTS.rule("nope")
    assert unknown.value.code == "VIOLATION_UNKNOWN"


# ---- invariants ----------------------------------------------------------------------------------------

_codes = st.sampled_from(sorted(a.INDICATORS))


@given(
    code=_codes,
    target=st.integers(0, 2_000_000),
    weight=st.integers(1, 100),
    x=st.integers(0, 2_000_000),
    y=st.integers(0, 2_000_000),
    deduct=st.booleans(),
    per_unit=st.integers(1, 2000),
)
def test_term_score_is_monotone_and_bounded(
    code: str, target: int, weight: int, x: int, y: int, deduct: bool, per_unit: int
) -> None:
    term = a.Term(
        code, target, weight, a.Method.DEDUCT if deduct else a.Method.RATIO, per_unit if deduct else 0
    )
    low, high = sorted((x, y))
    s_low, s_high = a.score_term(term, low), a.score_term(term, high)
    assert 0 <= s_low <= weight * 100 and 0 <= s_high <= weight * 100
    if term.kind.direction is a.Direction.AT_LEAST:
        assert s_low <= s_high  # more of a good thing never scores less
    else:
        assert s_low >= s_high  # more of a bad thing never scores more
    if a.met(term, high if term.kind.direction is a.Direction.AT_LEAST else low):
        best = high if term.kind.direction is a.Direction.AT_LEAST else low
        assert a.score_term(term, best) == weight * 100


@given(st.integers(0, 10000), st.integers(0, 10000), st.sampled_from([a.MEDICAL, a.PHARMACY]))
def test_grade_is_monotone_in_the_score(x: int, y: int, kind: str) -> None:
    bands = a.DEFAULT_GRADES[kind]
    low, high = sorted((x, y))
    g_low, g_high = a.grade_for(bands, low), a.grade_for(bands, high)
    assert g_low.min_score <= g_high.min_score
    assert a.severity(g_low.consequence) >= a.severity(g_high.consequence)  # a lower score is never lighter


@given(st.dictionaries(st.from_regex(r"[XZT][A-Z0-9]{6}", fullmatch=True), st.booleans(), max_size=40))
def test_stock_rate_between_0_and_100_percent(stocked: dict[str, bool]) -> None:
    for rate in a.stock_rates(stocked).values():
        assert 0 <= rate.listed <= rate.total and 0 <= rate.rate_bp <= a.BP
