"""DIP (按病种分值付费): worked examples by hand, named after the clause, and the batch path's agreement."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.domain import dip
from yibao.domain.errors import BusinessError

# History for year 2025 (weights 1:2:7 for 2022, 2023, 2024), threshold 3 cases for a core packet.
HISTORY = [
    dip.HistoryCase(2022, "K35.200", "47.0100", 100_000),
    dip.HistoryCase(2023, "K35.200", "47.0100", 120_000),
    dip.HistoryCase(2024, "K35.200", "47.0100", 130_000),
    dip.HistoryCase(2024, "K35.201", "47.0100", 150_000),  # same 亚目 K35.2 → same packet
    dip.HistoryCase(2024, "J18.000", None, 40_000),
    dip.HistoryCase(2024, "J18.000", None, 50_000),
    dip.HistoryCase(2024, "J18.001", None, 60_000),
    dip.HistoryCase(2024, "J18.900", None, 30_000),  # 1 case < 3 → comprehensive packet J18|保守治疗
    dip.HistoryCase(2021, "K35.200", "47.0100", 999_999),  # older than three years: ignored
]


@pytest.fixture(scope="module")
def table() -> dip.PacketTable:
    return dip.build_packets(HISTORY, year=2025, threshold=3)


def test_packets_core_by_threshold_and_the_rest_grouped(table: dip.PacketTable) -> None:
    """核心病种 ≥ 3 cases: K35.2|47.0100 (4), J18.0|保守治疗 (3); J18.9 (1) goes to 综合病种 J18|保守治疗."""
    core = {k for k, p in table.packets.items() if p.core}
    assert core == {"K35.2|47.0100", "J18.0|保守治疗"}
    assert table.packets["J18|保守治疗"].cases == 1
    assert table.packet_of("J18.900", None) is table.packets["J18|保守治疗"]
    assert table.packet_of("K35.200", "47.0100") is table.packets["K35.2|47.0100"]


def test_score_from_weighted_average_cost_1_2_7(table: dip.PacketTable) -> None:
    """分值 = 1:2:7 weighted average of the packet / that of all cases × 100.

    K35.2: (1×100,000 + 2×120,000 + 7×140,000) / 10 = 132,000.
    All cases: 2022 100,000; 2023 120,000; 2024 460,000/6 = 76,666.67 →
    (100,000 + 240,000 + 536,666.67) / 10 = 87,666.67.
    Score K35.2 = 132,000 / 87,666.67 × 100 = 150.5703; J18.0 (only 2024) = 50,000 / … = 57.0342;
    J18 comprehensive = 30,000 / … = 34.2205.
    """
    assert table.packets["K35.2|47.0100"].average_fen == Decimal(132_000)
    assert table.packets["K35.2|47.0100"].score == Decimal("150.5703")
    assert table.packets["J18.0|保守治疗"].score == Decimal("57.0342")
    assert table.packets["J18|保守治疗"].score == Decimal("34.2205")


def test_case_points_normal_low_and_high_deviation(table: dip.PacketTable) -> None:
    """费用偏差病例: < 50 %: score × cost / average; > 2×: ((ratio − 2) + 1) × score."""
    normal = dip.case_points(table, diag_code="K35.200", oprn_code="47.0100", total_fen=132_000)
    assert (normal.category, normal.points) == ("normal", Decimal("150.5703"))
    low = dip.case_points(table, diag_code="K35.200", oprn_code="47.0100", total_fen=60_000)
    assert (low.category, low.points) == ("low", Decimal("68.4410"))  # 150.5703 × 60,000/132,000
    high = dip.case_points(table, diag_code="K35.200", oprn_code="47.0100", total_fen=330_000)
    assert (high.category, high.points) == ("high", Decimal("225.8555"))  # (2.5 − 2 + 1) × 150.5703
    # clean twins at the thresholds: exactly 50 % and exactly 2× are normal
    assert (
        dip.case_points(table, diag_code="K35.200", oprn_code="47.0100", total_fen=66_000).category
        == "normal"
    )
    assert (
        dip.case_points(table, diag_code="K35.200", oprn_code="47.0100", total_fen=264_000).category
        == "normal"
    )


def test_level_coefficient(table: dip.PacketTable) -> None:
    """等级系数 0.9: 57.0342 × 0.9 = 51.33078 → 51.3308."""
    cp = dip.case_points(
        table, diag_code="J18.000", oprn_code=None, total_fen=50_000, level_coef=Decimal("0.9")
    )
    assert cp.points == Decimal("51.3308")


def test_budget_and_settlement_point_values_monthly_and_annual_clearing() -> None:
    """预算点值 / 结算点值 and the clearing of one institution.

    Budget 85,000,000 fen for 1,000,000 expected points → 85 fen/point. H1's January 400 points
    (self-pay 4,000) → pre-settled 400 × 85 − 4,000 = 30,000; February 600 points (self-pay 6,000)
    → 45,000; prepaid 75,000. Year: cleared budget 90,000,000 for 1,000,000 actual points → 90 fen;
    H1 1,000 points × 90 − 10,000 = 80,000; clearing pays 80,000 − 75,000 = 5,000 fen.
    """
    budget_pv = dip.budget_point_value(budget_fen=85_000_000, expected_points=Decimal(1_000_000))
    assert budget_pv == Decimal(85)
    january = dip.fund_amount(points=Decimal(400), point_value=budget_pv, self_pay_fen=4_000)
    february = dip.fund_amount(points=Decimal(600), point_value=budget_pv, self_pay_fen=6_000)
    assert (january, february) == (30_000, 45_000)
    settle_pv = dip.settlement_point_value(cleared_budget_fen=90_000_000, actual_points=Decimal(1_000_000))
    year = dip.fund_amount(points=Decimal(1000), point_value=settle_pv, self_pay_fen=10_000)
    assert year - (january + february) == 5_000


def test_point_values_refuse_zero_points() -> None:
    with pytest.raises(BusinessError):
        dip.budget_point_value(budget_fen=1, expected_points=Decimal(0))
    with pytest.raises(BusinessError):
        dip.build_packets([], year=2025)


def test_unmatched_case_points_from_cost(table: dip.PacketTable) -> None:
    cp = dip.case_points(table, diag_code="Z99.999", oprn_code=None, total_fen=87_667)
    assert cp.category == "unmatched"
    assert cp.points == Decimal("100.0004")


def _both_paths(
    table: dip.PacketTable, chosen: list[tuple[str, str | None]], costs: list[int], coefs: list[Decimal]
) -> list[tuple[int, int]]:
    """(batch, scalar) points in 10⁻⁴ for each case."""
    arrays = dip.PacketArrays.of(table)
    idx = arrays.lookup(table, [c[0] for c in chosen], [c[1] for c in chosen])
    batch = dip.case_points_e4(
        arrays,
        idx,
        np.array(costs, dtype=np.int64),
        np.array([int(c * 10_000) for c in coefs], dtype=np.int64),
    )
    out = []
    for (diag, oprn), cost, coef, got in zip(chosen, costs, coefs, batch, strict=True):
        want = dip.case_points(table, diag_code=diag, oprn_code=oprn, total_fen=cost, level_coef=coef)
        out.append((int(got), int(want.points * 10_000)))
    return out


COMBOS = [("K35.200", "47.0100"), ("J18.000", None), ("J18.900", None), ("Z99.999", None)]


@settings(max_examples=200, deadline=None)
@given(
    cases=st.lists(
        st.tuples(
            st.integers(0, 3),
            st.integers(-1_000_000, 10**13),  # fen: refunds below 0, amounts far beyond int64 products
            st.integers(1, 30_000).map(lambda e4: Decimal(e4) / 10_000),  # level coefficient, 4 places
        ),
        min_size=1,
        max_size=60,
    )
)
def test_batch_path_equals_the_scalar_path_on_every_case(
    table: dip.PacketTable, cases: list[tuple[int, int, Decimal]]
) -> None:
    """The integer batch path gives exactly the scalar path's points (no float, no ±1 tolerance),
    including deviation cases, half ties and amounts whose products leave int64."""
    pairs = _both_paths(table, [COMBOS[c[0]] for c in cases], [c[1] for c in cases], [c[2] for c in cases])
    assert all(got == want for got, want in pairs), pairs


@settings(max_examples=100, deadline=None)
@given(
    history=st.lists(
        st.tuples(st.integers(2022, 2024), st.integers(0, 3), st.integers(1, 3_000_000)),
        min_size=1,
        max_size=30,
    ),
    costs=st.lists(st.integers(0, 10_000_000), min_size=1, max_size=30),
)
def test_batch_path_equals_the_scalar_path_for_any_table(
    history: list[tuple[int, int, int]], costs: list[int]
) -> None:
    """Tables built from any history (averages that are not whole fen): both paths agree exactly."""
    table = dip.build_packets(
        [dip.HistoryCase(y, COMBOS[k][0], COMBOS[k][1], cost) for y, k, cost in history],
        year=2025,
        threshold=2,
    )
    chosen = [COMBOS[i % 4] for i in range(len(costs))]
    coefs = [Decimal("0.9"), Decimal(1), Decimal("1.0333")]
    pairs = _both_paths(table, chosen, costs, [coefs[i % 3] for i in range(len(costs))])
    assert all(got == want for got, want in pairs), pairs


@pytest.mark.parametrize(
    ("cost", "coef", "points"),
    [
        (330_000, Decimal(1), Decimal("225.8555")),  # (2.5 − 1) × 150.5703 = 225.85545: a half tie, up
        (10**12, Decimal("0.9"), None),  # 10 亿元: the product leaves int64, Python integers take over
    ],
)
def test_batch_path_half_ties_and_huge_amounts(
    table: dip.PacketTable, cost: int, coef: Decimal, points: Decimal | None
) -> None:
    [(got, want)] = _both_paths(table, [COMBOS[0]], [cost], [coef])
    assert got == want
    if points is not None:
        assert Decimal(got) / 10_000 == points


def test_institution_amounts_round_once(table: dip.PacketTable) -> None:
    sums = dip.institution_points(np.array([0, 1, 0]), np.array([1_505_703, 570_342, 1_505_703]), 2)
    assert list(sums) == [3_011_406, 570_342]
    assert dip.amounts_from_points_e4(list(sums), Decimal("85.5")) == [
        25_748,
        4_876,
    ]  # 301.1406 × 85.5 = 25,747.52; 57.0342 × 85.5 = 4,876.42
