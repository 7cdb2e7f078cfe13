"""Payment methods and clearing arithmetic: worked examples by hand, named after the clause."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao.domain import payment as pay
from yibao.domain.errors import BusinessError
from yibao.settings import _find_reference_dir

TABLES = sorted((Path(_find_reference_dir()) / "drg-payment").glob("*.csv"))


def test_all_27_regional_tables_load() -> None:
    assert len(TABLES) == 27
    for path in TABLES:
        rows = pay.parse_payment_table(path.read_text(encoding="utf-8"))
        assert len(rows) > 500, path.name
        priced = [r for r in rows if r.rw or r.points or r.standard]
        assert len(priced) > 0.8 * len(rows), path.name
        assert len({r.drg_code for r in rows}) == len(rows)


def test_table_columns_are_normalised() -> None:
    """吉林2022: 费率/支付标准/低倍/高倍临界值（三级）; 常州2022: 费率 by scheme, 等级系数 by level."""
    jilin = {
        r.drg_code: r for r in pay.parse_payment_table((TABLES[0].parent / "吉林2022.csv").read_text("utf-8"))
    }
    af19 = jilin["AF19"]
    assert af19.rw == Decimal("0.928")
    assert af19.base_rate == {"3/*": 908056}  # 9080.56 yuan
    assert af19.standard == {"3/*": 842676}  # 8426.75968 → half up to the fen
    assert af19.low_threshold == {"3/*": 294937}
    assert af19.high_threshold == {"3/*": 1685352}
    changzhou = pay.parse_payment_table((TABLES[0].parent / "常州2022.csv").read_text("utf-8"))
    es25 = next(r for r in changzhou if r.drg_code == "ES25")
    assert es25.base_rate == {"*/310": 1151900, "*/390": 984900}
    assert es25.level_coef == {"3": Decimal("1.01"), "2": Decimal("0.91")}


def test_table_refuses_a_file_without_drg_columns() -> None:
    with pytest.raises(BusinessError) as err:
        pay.parse_payment_table("编码,名称\nA,B\n")
    assert err.value.code == "PAYMENT_TABLE_COLUMNS"


def test_words_in_number_columns_become_notes_of_the_row() -> None:
    rows = pay.parse_payment_table("DRG编码,DRG名称,RW\nAA19,心脏移植,按项目据实支付\nAB19,肝移植,1.5\n")
    assert rows[0].rw is None and rows[0].single_negotiation
    assert rows[1].rw == Decimal("1.5") and not rows[1].single_negotiation


RATE = pay.DrgRate("BR25", "脑缺血性疾患", Decimal("1.2345"), level_coef={"3": Decimal("1.01")})
PRICING = pay.DrgPricing(base_rate=1_000_000)  # 10,000.00 yuan


def drg_case(total: int, days: int = 8, level: str = "3") -> pay.DrgCase:
    return pay.DrgCase("s1", "BR25", total, days, level=level)


def test_drg_standard_is_base_rate_times_rw_times_level_coefficient() -> None:
    """支付标准 = 基础费率 × RW × 等级系数: 1,000,000 × 1.2345 × 1.01 = 1,246,845 fen."""
    assert pay.standard_of(RATE, PRICING, level="3", insutype="310") == 1_246_845
    # a level without a coefficient in the table uses the region's (1)
    assert pay.standard_of(RATE, PRICING, level="2", insutype="310") == 1_234_500


def test_published_standard_wins_over_the_computation() -> None:
    rate = pay.DrgRate("X", "x", Decimal(1), standard={"3/310": 500_000, "3/390": 450_000})
    assert pay.standard_of(rate, PRICING, level="3", insutype="390") == 450_000


def test_points_tables_use_the_point_value() -> None:
    """银川2023 publishes 标准分值: 77361.96 points × 100 fen/point × 三甲 1.0 = 7,736,196 fen."""
    rate = pay.DrgRate("AH11", "x", None, points=Decimal("77361.96"), level_coef={"3A": Decimal(1)})
    pricing = pay.DrgPricing(base_rate=0, point_value=100)
    assert pay.standard_of(rate, pricing, level="3A", insutype="310") == 7_736_196


def test_low_outlier_below_035_of_standard_is_paid_by_item() -> None:
    """低倍率: cost < 0.35 × standard (1,246,845 × 0.35 = 436,396 fen) → paid by item."""
    low = pay.pay_drg_case(drg_case(436_395), RATE, PRICING)
    assert (low.category, low.paid_fen) == ("low", 436_395)
    twin = pay.pay_drg_case(drg_case(436_396), RATE, PRICING)
    assert (twin.category, twin.paid_fen) == ("normal", 1_246_845)


def test_high_outlier_above_2x_pays_the_excess_by_item() -> None:
    """高倍率: cost 3,000,000 > 2 × 1,246,845 = 2,493,690 → 1,246,845 + 506,310 = 1,753,155 fen."""
    high = pay.pay_drg_case(drg_case(3_000_000), RATE, PRICING)
    assert (high.category, high.paid_fen) == ("high", 1_753_155)
    twin = pay.pay_drg_case(drg_case(2_493_690), RATE, PRICING)
    assert twin.category == "normal"


def test_configurable_outlier_thresholds() -> None:
    strict = pay.DrgPricing(base_rate=1_000_000, low_ratio=Decimal("0.5"), high_ratio=Decimal(3))
    assert pay.pay_drg_case(drg_case(600_000), RATE, strict).category == "low"
    assert pay.pay_drg_case(drg_case(3_000_000), RATE, strict).category == "normal"


def test_published_thresholds_are_used_when_the_table_has_them() -> None:
    rate = pay.DrgRate(
        "AF19",
        "肺移植",
        Decimal("0.928"),
        standard={"3/*": 842676},
        low_threshold={"3/*": 294937},
        high_threshold={"3/*": 1685352},
    )
    assert pay.pay_drg_case(drg_case(294_936), rate, PRICING).category == "low"
    assert pay.pay_drg_case(drg_case(294_937), rate, PRICING).category == "normal"
    assert pay.pay_drg_case(drg_case(1_685_353), rate, PRICING).paid_fen == 842_676 + 1


@pytest.mark.parametrize(
    ("days", "category"), [(1, "excluded"), (2, "excluded"), (3, "normal"), (59, "normal"), (60, "excluded")]
)
def test_stays_of_two_days_or_less_and_60_or_more_are_excluded(days: int, category: str) -> None:
    result = pay.pay_drg_case(drg_case(1_000_000, days=days), RATE, PRICING)
    assert result.category == category
    if category == "excluded":
        assert result.paid_fen == 1_000_000


def test_error_and_negotiated_groups_are_paid_by_item() -> None:
    assert pay.pay_drg_case(pay.DrgCase("s", "0000", 5000, 5), None, PRICING).category == "error"
    assert pay.pay_drg_case(pay.DrgCase("s", "BQY", 5000, 5), None, PRICING).category == "error"
    negotiated = pay.DrgRate("AA19", "心脏移植", None, kind="单议病组")
    assert pay.pay_drg_case(pay.DrgCase("s", "AA19", 5000, 5), negotiated, PRICING).paid_fen == 5000


def test_per_bed_day_with_a_day_cap() -> None:
    """按床日: 45 days, cap 30 × 300.00 yuan = 900,000 fen."""
    assert pay.per_diem(days=45, rate_per_day=30_000, cap_days=30) == 900_000
    assert pay.per_diem(days=20, rate_per_day=30_000, cap_days=30) == 600_000


def test_capitation_for_a_quarter() -> None:
    """按人头: 1,000 enrolled × 120.00 yuan a year × 3/12 = 3,000,000 fen."""
    assert pay.capitation(enrolled=1000, rate_per_head=12_000, months=3) == 3_000_000


def test_single_disease_fixed_price_whatever_the_cost() -> None:
    assert pay.single_disease(fixed_price=500_000, total_fen=900_000, fund_share=Decimal("0.7")) == 350_000


TERMS = pay.DualControl(per_case_quota=800_000, admission_cap=1000)


def test_002_dual_control_overrun_institution_bears_30_percent() -> None:
    """002 双控 + 001 第3篇: quota 8,000 yuan × 1,000 admissions = 800,000,000 fen budget;
    actual 850,000,000 → overrun 50,000,000, institution 15,000,000, fund pays 835,000,000."""
    year = pay.clear_budget_year(TERMS, pay.YearFigures(admissions=1000, inpatient_fund_fen=850_000_000))
    assert year.budget_fen == 800_000_000
    assert year.overrun_fen == 50_000_000
    assert year.institution_share_fen == 15_000_000
    assert year.fund_share_fen == 35_000_000
    assert year.payable_fen == 835_000_000


def test_002_dual_control_admissions_above_the_cap_are_not_paid() -> None:
    """1,100 admissions, cap 1,000: 880,000,000 × 1000/1100 = 800,000,000 recognised, no overrun."""
    year = pay.clear_budget_year(TERMS, pay.YearFigures(admissions=1100, inpatient_fund_fen=880_000_000))
    assert year.recognised_admissions == 1000
    assert year.actual_fen == 800_000_000
    assert year.overrun_fen == 0
    assert year.payable_fen == 800_000_000


def test_002_dual_control_savings_are_carried_over() -> None:
    """900 admissions at 7,600 yuan: budget 720,000,000, actual 684,000,000, 36,000,000 carried."""
    year = pay.clear_budget_year(TERMS, pay.YearFigures(admissions=900, inpatient_fund_fen=684_000_000))
    assert (year.savings_fen, year.carried_fen, year.payable_fen) == (36_000_000, 36_000_000, 684_000_000)
    assert year.institution_share_fen == 0


def test_002_mid_year_adjustment() -> None:
    """实行中期微调: quota × 1.05 and 50 more admissions."""
    adjusted = pay.adjust_mid_year(TERMS, quota_ratio=Decimal("1.05"), cap_delta=50)
    assert (adjusted.per_case_quota, adjusted.admission_cap) == (840_000, 1050)
    with pytest.raises(BusinessError):
        pay.adjust_mid_year(TERMS, cap_delta=-2000)


def test_002_indicators_outpatient_ratio_drug_share_admissions_per_person() -> None:
    """门诊与住院比、药占比、住院人数与人次比 are part of the total control."""
    terms = pay.DualControl(
        per_case_quota=800_000,
        admission_cap=1000,
        min_outpatient_inpatient=Decimal(10),
        max_drug_share=Decimal("0.40"),
        max_admissions_per_person=Decimal("1.10"),
    )
    bad = pay.YearFigures(
        admissions=1000, inpatient_fund_fen=0, outpatient_visits=9000, drug_fen=45, total_fen=100, persons=800
    )
    assert [c.passed for c in pay.check_indicators(terms, bad)] == [False, False, False]
    good = pay.YearFigures(
        admissions=1000,
        inpatient_fund_fen=0,
        outpatient_visits=12000,
        drug_fen=35,
        total_fen=100,
        persons=950,
    )
    assert [c.passed for c in pay.check_indicators(terms, good)] == [True, True, True]


def test_statement_line_payable() -> None:
    line = pay.statement_line(
        fixmedins_code="H1", declared_fen=1_000_000, deducted_fen=20_000, method_fen=None, prepaid_fen=700_000
    )
    assert (line.method_fen, line.payable_fen) == (980_000, 280_000)


def test_monthly_prepayment_spreads_to_the_fen() -> None:
    months = pay.monthly_prepayment(annual_budget_fen=1_000_001, ratio=Decimal("0.9"))
    assert sum(months) == 900_001  # 1,000,001 × 0.9 = 900,000.9 → 900,001
    assert len(set(months[:-1])) == 1


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_allocate_sums_exactly(total: int, weights: list[int]) -> None:
    shares = pay.allocate(total, weights)
    assert sum(shares) == (total if sum(weights) else 0)
    assert all(s >= 0 for s in shares)
