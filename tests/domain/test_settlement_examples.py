"""Worked examples of the settlement calculation, computed by hand from the test policies.

Amounts are fen. Each test names the policy clause it checks (see tests/domain/settlement_policies.py,
which carries the typical numbers of REQUIREMENTS.md §3).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.domain.settlement_policies import C, employee_policy, line, resident_policy
from yibao.domain.errors import BusinessError
from yibao.domain.settlement import (
    Breakdown,
    CatalogFacts,
    FeeLine,
    PersonFacts,
    VisitFacts,
    net_refunds,
    reverse_delta,
    settle,
    split_line,
)

EMP = employee_policy()
RES = resident_policy()
WORKER = PersonFacts()
INPATIENT_L3 = VisitFacts(med_type="2101", level="3")


def assert_identities(b: Breakdown) -> None:
    """The four identities of every settlement."""
    assert b.medfee_sumamt == b.fund_pay_sumamt + b.psn_part_amt
    assert b.fund_pay_sumamt == b.hifp_pay + b.cvlserv_pay + b.hifmi_pay + b.maf_pay
    assert b.psn_part_amt == b.acct_pay + b.psn_cash_pay
    assert b.medfee_sumamt == b.fulamt_ownpay_amt + b.overlmt_selfpay + b.preselfpay_amt + b.inscp_scp_amt
    assert b.inscp_scp_amt == b.act_pay_dedc + b.hifp_pay + b.pool_prop_selfpay
    assert sum(amount for _, amount in b.fund_details) == b.fund_pay_sumamt


def test_inpatient_deductible_by_level_three_and_ratio_85() -> None:
    """benefits[inpatient].deductible.3 = 800 yuan; ratio.3 = 85%."""
    b = settle(policy=EMP, person=WORKER, visit=INPATIENT_L3, lines=[line("1", 10_000)], ledger={})
    assert b.act_pay_dedc == 80_000
    assert b.hifp_pay == 782_000  # (1,000,000 − 80,000) × 0.85
    assert b.pool_prop_selfpay == 138_000
    assert b.psn_cash_pay == 218_000
    assert b.fund_details == (("310100", 782_000),)
    assert b.ledger_delta == {"admissions": 1, "elig:inpatient": 920_000, "cap:pool": 782_000}
    assert_identities(b)


def test_second_admission_pays_half_the_deductible() -> None:
    """benefits[inpatient].repeat_factors = [1, 0.5]: a 2nd admission at a 二级 hospital pays 250 yuan."""
    visit = VisitFacts(med_type="2101", level="2")
    b = settle(policy=EMP, person=WORKER, visit=visit, lines=[line("1", 5_000)], ledger={"admissions": 1})
    assert b.act_pay_dedc == 25_000
    assert b.hifp_pay == 413_250  # 475,000 × 0.87
    assert_identities(b)


def test_cost_band_is_crossed_inside_one_bill() -> None:
    """benefits[inpatient].bands: +2 points above a cumulative 30,000 yuan of eligible cost in the year."""
    ledger = {"admissions": 1, "elig:inpatient": 2_900_000}
    b = settle(policy=EMP, person=WORKER, visit=INPATIENT_L3, lines=[line("1", 5_000)], ledger=ledger)
    assert b.act_pay_dedc == 40_000  # 2nd admission: 800 × 50%
    # 460,000 eligible: 100,000 below 3,000,000 at 85% + 360,000 above at 87%
    assert b.hifp_pay == 85_000 + 313_200
    assert_identities(b)


def test_retired_get_three_points_more() -> None:
    """benefits[inpatient].retired_add = 0.03: 85% + 3 points at a 三级 hospital."""
    b = settle(
        policy=EMP, person=PersonFacts(retired=True), visit=INPATIENT_L3, lines=[line("1", 10_000)], ledger={}
    )
    assert b.hifp_pay == 809_600  # 920,000 × 0.88


def test_yearly_cap_reached_mid_bill_and_large_amount_takes_over() -> None:
    """caps.pool = 150,000 yuan; hifmi (大额) pays 90% of the eligible cost above the basic cap."""
    ledger = {"cap:pool": 14_950_000}
    b = settle(policy=EMP, person=WORKER, visit=INPATIENT_L3, lines=[line("1", 10_000)], ledger=ledger)
    assert b.hifp_pay == 50_000  # only 500 yuan of room left
    # the room covers 50,000 / 0.85 = 58,823.53 → 58,824 of eligible cost; 861,176 is above the cap
    assert b.hifmi_pay == 775_058  # 861,176 × 0.90 = 775,058.4
    assert b.fund_details == (("310100", 50_000), ("330100", 775_058))
    assert b.ledger_delta["cap:pool"] == 50_000
    assert b.ledger_delta["hifmi_base"] == 861_176
    assert_identities(b)


def test_class_b_item_pays_its_self_pay_first_ratio() -> None:
    """乙类 self-pay-first (先行自付) 10%, then the 一级 deductible of 200 yuan and 90%."""
    lines = [line("1", 1_000, CatalogFacts("02", selfpay_ratio=Decimal("0.10"))), line("2", 1_000)]
    b = settle(
        policy=EMP, person=WORKER, visit=VisitFacts(med_type="2101", level="1"), lines=lines, ledger={}
    )
    assert (b.preselfpay_amt, b.inscp_scp_amt) == (10_000, 190_000)
    assert b.act_pay_dedc == 20_000
    assert b.hifp_pay == 153_000  # 170,000 × 0.90
    assert_identities(b)


def test_class_b_without_a_catalog_ratio_uses_the_policy_default() -> None:
    """default_selfpay_ratio = 10% when the catalog gives no ratio for a 乙类 item."""
    split = split_line(line("1", 500, CatalogFacts("02")), EMP)
    assert (split.preselfpay, split.inscp) == (5_000, 45_000)


def test_price_above_the_cap_is_stripped_before_self_pay_first() -> None:
    """Price cap (最高限价) 50.00 yuan, price 60.00 × 10: 100 yuan over the cap, then 乙类 10%."""
    item = CatalogFacts("02", selfpay_ratio=Decimal("0.10"), price_cap=Decimal(5_000))
    fee = FeeLine(sn="1", amount=60_000, price=Decimal(6_000), quantity=Decimal(10), item=item)
    split = split_line(fee, EMP)
    assert (split.fulamt_ownpay, split.overlmt_selfpay, split.preselfpay, split.inscp) == (
        0,
        10_000,
        5_000,
        45_000,
    )


def test_class_c_and_unmapped_items_are_fully_self_paid() -> None:
    """丙类 and items outside the catalog or not mapped (目录外/未对码) are 全自费."""
    b = settle(
        policy=EMP,
        person=WORKER,
        visit=INPATIENT_L3,
        lines=[line("1", 300, C), line("2", 200, None)],
        ledger={},
    )
    assert b.fulamt_ownpay_amt == 50_000
    assert b.inscp_scp_amt == 0 and b.hifp_pay == 0 and b.act_pay_dedc == 0
    assert b.psn_cash_pay == 50_000
    assert "丙类" in b.lines[0].reason and "未对码" in b.lines[1].reason
    assert_identities(b)


def test_poor_group_tilt_in_basic_fund_serious_illness_and_assistance() -> None:
    """group_tilts[2303] 低保: deductible −50%, +5 points in the basic fund and in 大病; maf[2303] 70%."""
    poor = PersonFacts(groups=frozenset({"2303"}))
    b = settle(policy=RES, person=poor, visit=INPATIENT_L3, lines=[line("1", 100_000)], ledger={})
    assert b.act_pay_dedc == 50_000  # 三级 1,000 yuan × 50%
    assert b.hifp_pay == 5_970_000  # 9,950,000 × (55% + 5)
    # personal policy-range burden 50,000 + 3,980,000 = 4,030,000; 大病 deductible 15,000 × 50%
    assert b.hifmi_pay == 2_132_000  # (4,030,000 − 750,000) × (60% + 5)
    assert b.maf_pay == 1_328_600  # (4,030,000 − 2,132,000) × 70%, within the 30,000-yuan limit
    assert b.psn_cash_pay == 569_400
    assert_identities(b)


def test_the_same_bill_without_the_poor_group_gets_no_tilt() -> None:
    """Clean twin of the tilt: deductible 15,000 yuan and 60%, no assistance."""
    b = settle(policy=RES, person=PersonFacts(), visit=INPATIENT_L3, lines=[line("1", 100_000)], ledger={})
    assert b.hifmi_pay == 1_833_000  # (4,555,000 − 1,500,000) × 0.60
    assert b.maf_pay == 0


def test_serious_illness_starts_mid_bill_when_the_year_crosses_its_deductible() -> None:
    """hifmi.deductible is yearly: 1,400,000 already counted, so only 100,000 of this base is below it."""
    ledger = {"hifmi_base": 1_400_000}
    b = settle(policy=RES, person=PersonFacts(), visit=INPATIENT_L3, lines=[line("1", 10_000)], ledger=ledger)
    # basic: deductible 100,000, 900,000 × 0.55 = 495,000; burden 505,000; 405,000 above the yearly deductible
    assert b.hifp_pay == 495_000
    assert b.hifmi_pay == 243_000  # 405,000 × 0.60
    assert_identities(b)


def test_extremely_poor_pay_no_deductible_and_assistance_covers_the_rest() -> None:
    """benefits[inpatient].group_tilts[2304] 特困: no deductible, +5 points; maf[2304] pays 100%."""
    b = settle(
        policy=RES,
        person=PersonFacts(groups=frozenset({"2304"})),
        visit=VisitFacts(med_type="2101", level="2"),
        lines=[line("1", 2_000)],
        ledger={},
    )
    assert b.act_pay_dedc == 0
    assert b.hifp_pay == 160_000  # 200,000 × (75% + 5)
    assert b.hifmi_pay == 0  # 40,000 of burden is below the halved yearly deductible
    assert b.maf_pay == 40_000
    assert b.psn_cash_pay == 0
    assert_identities(b)


def test_assistance_yearly_limit_reached() -> None:
    """maf.groups[2303].yearly_limit = 30,000 yuan with 29,900 used: only 100 yuan is left."""
    low_income = PersonFacts(groups=frozenset({"2303"}))
    b = settle(
        policy=RES,
        person=low_income,
        visit=VisitFacts(med_type="2101", level="1"),
        lines=[line("1", 1_000)],
        ledger={"maf_paid": 2_990_000},
    )
    assert b.act_pay_dedc == 10_000  # 一级 200 yuan × 50%
    assert b.hifp_pay == 81_000  # 90,000 × (85% + 5)
    assert b.maf_pay == 10_000  # 19,000 × 70% = 13,300, limited to the 100 yuan left
    assert b.ledger_delta["maf_paid"] == 10_000


def test_account_smaller_than_the_personal_part() -> None:
    """account: the personal account pays what it holds (100 yuan), cash the rest."""
    b = settle(
        policy=EMP,
        person=PersonFacts(account_balance=10_000),
        visit=INPATIENT_L3,
        lines=[line("1", 10_000)],
        ledger={},
    )
    assert b.acct_pay == 10_000
    assert b.psn_cash_pay == 208_000
    assert b.balc == 0
    assert_identities(b)


def test_account_does_not_pay_class_c_items() -> None:
    """account.pays_fulamt = false: a 丙类 line is paid in cash even with money in the account."""
    b = settle(
        policy=EMP,
        person=PersonFacts(account_balance=1_000_000),
        visit=INPATIENT_L3,
        lines=[line("1", 300, C)],
        ledger={},
    )
    assert b.acct_pay == 0 and b.psn_cash_pay == 30_000


def test_outpatient_pooling_yearly_deductible_and_cap() -> None:
    """benefits[outpatient]: deductible 500 a year (400 used), 70% at 一级, cap 3,000 (2,800 used)."""
    ledger = {"dedc:outpatient": 40_000, "cap:outpatient": 280_000}
    b = settle(
        policy=EMP,
        person=WORKER,
        visit=VisitFacts(med_type="11", level="1"),
        lines=[line("1", 500)],
        ledger=ledger,
    )
    assert b.act_pay_dedc == 10_000
    assert b.hifp_pay == 20_000  # 40,000 × 0.70 = 28,000, limited by the 200 yuan left
    assert b.hifmi_pay == 0  # 大额 covers inpatient and chronic care only
    assert b.ledger_delta == {"dedc:outpatient": 10_000, "elig:outpatient": 40_000, "cap:outpatient": 20_000}
    assert_identities(b)


def test_chronic_disease_within_its_own_limit() -> None:
    """benefits[chronic].disease_limits[M01600] = 3,000 yuan a year, 2,800 used: 200 yuan left of 255."""
    person = PersonFacts(registered_diseases=frozenset({"M01600"}))
    visit = VisitFacts(med_type="14", level="2", disease="M01600")
    b = settle(
        policy=EMP, person=person, visit=visit, lines=[line("1", 300)], ledger={"disease:M01600": 280_000}
    )
    assert b.hifp_pay == 20_000  # 30,000 × 85% = 25,500, limited by the disease's room
    assert b.ledger_delta["disease:M01600"] == 20_000 and b.ledger_delta["cap:chronic"] == 20_000
    assert b.hifmi_pay == 0  # a disease limit is not the basic cap: 大额 does not take over


def test_chronic_disease_not_registered_is_refused() -> None:
    """benefits[chronic].registered_diseases: only registered patients settle as 门慢特病."""
    visit = VisitFacts(med_type="14", level="2", disease="M01600")
    with pytest.raises(BusinessError) as info:
        settle(policy=EMP, person=WORKER, visit=visit, lines=[line("1", 300)], ledger={})
    assert info.value.code == "CHRONIC_NOT_REGISTERED"


def test_maternity_fixed_amount() -> None:
    """benefits[maternity].fixed_amount = 3,000 yuan, never more than the policy-range cost."""
    visit = VisitFacts(med_type="52", level="2")
    big = settle(policy=EMP, person=WORKER, visit=visit, lines=[line("1", 4_000)], ledger={})
    small = settle(policy=EMP, person=WORKER, visit=visit, lines=[line("1", 2_000)], ledger={})
    assert (big.hifp_pay, big.psn_cash_pay) == (300_000, 100_000)
    assert (small.hifp_pay, small.psn_cash_pay) == (200_000, 0)


def test_injury_with_a_liable_third_party_is_not_paid() -> None:
    """exclusions.injury_causes: 打架斗殴 is outside the fund; every line becomes 全自费."""
    visit = VisitFacts(med_type="22", level="2", injury_cause="打架斗殴")
    b = settle(policy=EMP, person=WORKER, visit=visit, lines=[line("1", 3_000)], ledger={})
    assert b.fund_pay_sumamt == 0 and b.fulamt_ownpay_amt == 300_000
    assert "打架斗殴" in b.lines[0].reason
    assert_identities(b)


def test_accidental_injury_is_paid_and_goes_to_review() -> None:
    """Clean twin: 无第三方责任意外 is covered; a non-natural injury goes to review (非自然疾病核查)."""
    visit = VisitFacts(med_type="22", level="2", injury_cause="无第三方责任意外")
    b = settle(policy=EMP, person=WORKER, visit=visit, lines=[line("1", 3_000)], ledger={})
    assert b.hifp_pay == 217_500  # (300,000 − 50,000) × 0.87
    assert b.review_required


def test_injury_without_a_recorded_cause_is_refused() -> None:
    """exclusions.injury_med_types: an injury visit must record its cause."""
    with pytest.raises(BusinessError) as info:
        settle(
            policy=EMP,
            person=WORKER,
            visit=VisitFacts(med_type="22", level="2"),
            lines=[line("1", 1)],
            ledger={},
        )
    assert (info.value.code, info.value.field) == ("INJURY_CAUSE_REQUIRED", "injury_cause")


def test_excluded_diagnosis_is_not_paid() -> None:
    """exclusions.diagnosis_prefixes[N97] 不孕不育."""
    visit = VisitFacts(med_type="2101", level="3", diagnoses=("N97.900",))
    b = settle(policy=EMP, person=WORKER, visit=visit, lines=[line("1", 5_000)], ledger={})
    assert b.fund_pay_sumamt == 0 and b.fulamt_ownpay_amt == 500_000
    assert "不孕" in b.lines[0].reason


def test_civil_servant_subsidy_on_the_personal_policy_range_part() -> None:
    """cvlserv.ratio = 60% of deductible + pool_prop_selfpay."""
    b = settle(
        policy=EMP,
        person=PersonFacts(civil_servant=True),
        visit=INPATIENT_L3,
        lines=[line("1", 10_000)],
        ledger={},
    )
    assert b.cvlserv_pay == 130_800  # (80,000 + 138,000) × 0.6
    assert b.psn_cash_pay == 87_200
    assert_identities(b)


def test_reversal_restores_the_ledger_and_settling_again_gives_the_same_result() -> None:
    """冲正: the ledger delta reversed brings every counter back; re-settlement is identical."""
    ledger = {"admissions": 2, "elig:inpatient": 1_000_000, "cap:pool": 900_000}
    first = settle(policy=EMP, person=WORKER, visit=INPATIENT_L3, lines=[line("1", 8_000)], ledger=ledger)
    after = {
        k: ledger.get(k, 0) + first.ledger_delta.get(k, 0) for k in set(ledger) | set(first.ledger_delta)
    }
    restored = {k: after[k] + reverse_delta(first.ledger_delta).get(k, 0) for k in after}
    assert {k: v for k, v in restored.items() if v} == ledger
    again = settle(policy=EMP, person=WORKER, visit=INPATIENT_L3, lines=[line("1", 8_000)], ledger=ledger)
    assert again == first


def test_refund_lines_are_taken_off_the_line_they_name() -> None:
    """Refund lines (退费) with negative quantity net against their original line before the split."""
    original = FeeLine(sn="1", amount=30_000, price=Decimal(10_000), quantity=Decimal(3), item=None)
    refund = FeeLine(
        sn="2", amount=-10_000, price=Decimal(10_000), quantity=Decimal(-1), item=None, refund_of="1"
    )
    other = line("3", 50)
    lines = net_refunds([original, refund, other])
    assert [(f.sn, f.amount, f.quantity) for f in lines] == [
        ("1", 20_000, Decimal(2)),
        ("3", 5_000, Decimal(1)),
    ]
    full = FeeLine(
        sn="4", amount=-20_000, price=Decimal(10_000), quantity=Decimal(-2), item=None, refund_of="1"
    )
    assert [f.sn for f in net_refunds([original, refund, full, other])] == ["3"]


@pytest.mark.parametrize(
    ("refund", "code"),
    [
        (
            FeeLine(
                sn="2", amount=-40_000, price=Decimal(10_000), quantity=Decimal(-4), item=None, refund_of="1"
            ),
            "LINE_NEGATIVE",
        ),
        (
            FeeLine(sn="2", amount=-1, price=Decimal(1), quantity=Decimal(-1), item=None, refund_of="9"),
            "REFUND_UNKNOWN_LINE",
        ),
        (FeeLine(sn="2", amount=0, price=Decimal(1), quantity=Decimal(0), item=None), "LINE_QUANTITY"),
    ],
)
def test_bad_refunds_are_refused(refund: FeeLine, code: str) -> None:
    original = FeeLine(sn="1", amount=30_000, price=Decimal(10_000), quantity=Decimal(3), item=None)
    with pytest.raises(BusinessError) as info:
        net_refunds([original, refund])
    assert info.value.code == code


def test_trace_explains_every_amount_in_chinese() -> None:
    """The trace names the clause and the numbers for each amount (为什么自付这么多)."""
    b = settle(policy=EMP, person=WORKER, visit=INPATIENT_L3, lines=[line("1", 10_000)], ledger={})
    by_key = {item.key: item for item in b.trace}
    assert by_key["act_pay_dedc"].clause == "benefits[inpatient].deductible.3"
    assert "三级医院起付线 800.00元" in by_key["act_pay_dedc"].text
    assert "85%" in by_key["hifp_pay"].text and "7820.00元" in by_key["hifp_pay"].text
    assert by_key["psn_cash_pay"].amount == b.psn_cash_pay
