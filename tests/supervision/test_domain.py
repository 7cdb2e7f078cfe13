"""Pure supervision rules: worked examples named after their clause, state machines, invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao.domain import supervision as s
from yibao.domain.errors import BusinessError


def test_001_art40_in_bed_rate_below_95_percent_refuses_the_shortfall() -> None:
    # 40 inpatients counted, 36 in bed: 90.00% < 95%. The 95% line is ceil(40 × 0.95) = 38 persons,
    # 2 short of it; each costs the average stay standard (9072.81 yuan, 001 第3篇) → 18145.62 yuan.
    out = s.judge_round(40, 36, standard_fen=907281)
    assert (out.rate_bp, out.below_threshold, out.shortfall, out.refused_fen) == (9000, True, 2, 1814562)


def test_001_art40_clean_twin_at_95_percent_refuses_nothing() -> None:
    out = s.judge_round(40, 38, standard_fen=907281)
    assert (out.rate_bp, out.below_threshold, out.shortfall, out.refused_fen) == (9500, False, 0, 0)


def test_001_art40_line_rounds_up_to_whole_persons() -> None:
    # 21 counted, 19 present: 90.48%; line ceil(19.95) = 20 → 1 short.
    out = s.judge_round(21, 19, standard_fen=100)
    assert (out.rate_bp, out.shortfall, out.refused_fen) == (9048, 1, 100)


def test_round_counts_must_make_sense() -> None:
    with pytest.raises(BusinessError) as exc:
        s.judge_round(3, 4, standard_fen=0)
    assert exc.value.code == "ROUND_COUNTS"


def test_report_reward_worked_example_progressive_tiers() -> None:
    # Typical table: 5% up to 100,000 yuan, 3% up to 1,000,000, 1% above; floor 200, cap 200,000 yuan.
    table = s.DEFAULT_REWARDS
    assert s.reward_for(0, table) == 0
    assert s.reward_for(100000, table) == 20000  # 1,000 yuan × 5% = 50 yuan → floor 200 yuan
    assert s.reward_for(30000000, table) == 500000 + 600000  # 300,000 yuan: 5,000 + 6,000 = 11,000 yuan
    assert s.reward_for(10**10, table) == 20000000  # capped at 200,000 yuan


def test_reward_rounds_once_half_up() -> None:
    table = s.RewardTable(tiers=(s.RewardTier(None, 333),), min_fen=0, max_fen=10**9)
    assert s.reward_for(150, table) == 5  # 4.995 fen → 5


def test_reward_table_rules() -> None:
    bad = s.RewardTable(tiers=(s.RewardTier(500, 100), s.RewardTier(100, 20000)), min_fen=10, max_fen=5)
    with pytest.raises(BusinessError) as exc:
        s.check_reward_table(bad)
    assert {"TIERS_OPEN_END", "TIERS_ORDER", "RATE_RANGE", "REWARD_BOUNDS"} <= {
        e.code for e in exc.value.errors
    }
    assert s.check_reward_table(s.DEFAULT_REWARDS)


def test_001_p4_fine_2_to_5_times() -> None:
    ok = s.check_decision(
        kind=s.DecisionKind.FINE,
        target_type=s.TargetType.INSTITUTION,
        fixmedins_type="1",
        amount_fen=1000000,
        fine_pct=250,
        months=None,
        referral_to=None,
        violation=None,
    )
    assert ok.penalty_fen == 2500000  # 10,000 yuan × 2.5 = 25,000 yuan
    for pct in (199, 501, None):
        with pytest.raises(BusinessError) as exc:
            s.check_decision(
                kind=s.DecisionKind.FINE,
                target_type=s.TargetType.INSTITUTION,
                fixmedins_type="1",
                amount_fen=1000000,
                fine_pct=pct,
                months=None,
                referral_to=None,
                violation=None,
            )
        assert exc.value.code == "FINE_MULTIPLE_RANGE"


@pytest.mark.parametrize(
    ("kind", "months", "ok"),
    [
        ("1", 2, True),
        ("1", 6, True),
        ("1", 7, False),
        ("1", 1, False),
        ("2", 6, True),
        ("2", 12, True),
        ("2", 5, False),
    ],
)
def test_001_art39_art45_suspension_months(kind: str, months: int, ok: bool) -> None:
    def decide() -> s.DecisionTerms:
        return s.check_decision(
            kind=s.DecisionKind.SUSPENSION,
            target_type=s.TargetType.INSTITUTION,
            fixmedins_type=kind,
            amount_fen=0,
            fine_pct=None,
            months=months,
            referral_to=None,
            violation=None,
        )

    if ok:
        assert decide().months == months
    else:
        with pytest.raises(BusinessError) as exc:
            decide()
        assert exc.value.code == "SUSPEND_MONTHS_RANGE"


def test_referral_names_a_body_and_points_concern_doctors() -> None:
    with pytest.raises(BusinessError) as exc:
        s.check_decision(
            kind=s.DecisionKind.REFERRAL,
            target_type=s.TargetType.INSTITUTION,
            fixmedins_type="1",
            amount_fen=0,
            fine_pct=None,
            months=None,
            referral_to="court",
            violation=None,
        )
    assert exc.value.code == "REFERRAL_BODY"
    with pytest.raises(BusinessError) as exc2:
        s.check_decision(
            kind=s.DecisionKind.DOCTOR_POINTS,
            target_type=s.TargetType.INSTITUTION,
            fixmedins_type="1",
            amount_fen=0,
            fine_pct=None,
            months=None,
            referral_to=None,
            violation=None,
        )
    assert {e.code for e in exc2.value.errors} == {"TARGET_KIND", "REQUIRED"}


def test_penalty_without_decision_document_is_refused() -> None:
    with pytest.raises(BusinessError) as exc:
        s.check_document_no("  ")
    assert exc.value.code == "DECISION_DOCUMENT_REQUIRED"
    assert s.check_document_no(" 医保罚字〔2026〕1号 ") == "医保罚字〔2026〕1号"


def test_state_machines_refuse_illegal_moves_with_a_reason() -> None:
    with pytest.raises(BusinessError) as exc:
        s.inspection_next(s.InspectionStatus.PLANNED, s.InspectionAction.CLOSE)
    assert exc.value.code == "INSPECTION_TRANSITION" and "现场检查中" in exc.value.message
    assert (
        s.inspection_next(s.InspectionStatus.PLANNED, s.InspectionAction.START) is s.InspectionStatus.ONSITE
    )
    with pytest.raises(BusinessError) as exc2:
        s.report_next(s.ReportStatus.RECEIVED, s.ReportAction.REWARD)
    assert exc2.value.code == "REPORT_TRANSITION"
    with pytest.raises(BusinessError) as exc3:
        s.decision_next(s.DecisionStatus.ISSUED, "withdraw")
    assert exc3.value.code == "DECISION_TRANSITION"


def test_inspection_team_of_two_and_joint_departments() -> None:
    with pytest.raises(BusinessError) as exc:
        s.check_team(s.InspectionKind.JOINT, ["王"], [])
    assert {e.code for e in exc.value.errors} == {"TEAM_TOO_SMALL", "JOINT_DEPARTMENTS"}
    assert s.check_team(s.InspectionKind.FLIGHT, [" 王 ", "李"], []) == ["王", "李"]


def test_serious_decisions_are_disclosed() -> None:
    assert s.serious(s.DecisionKind.SUSPENSION, 0, 1000000)
    assert s.serious(s.DecisionKind.FINE, 1000000, 1000000)
    assert not s.serious(s.DecisionKind.FINE, 999999, 1000000)
    assert not s.serious(s.DecisionKind.DOCTOR_POINTS, 0, 0)


def test_five_checkpoints_must_all_be_answered() -> None:
    answers = dict.fromkeys(s.CHECKPOINTS, True) | {"disease_drug": False}
    assert s.failed_checkpoints(answers) == ["disease_drug"]
    with pytest.raises(BusinessError) as exc:
        s.failed_checkpoints({"card_person": True})
    assert exc.value.code == "CHECKPOINTS"


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 10**7))
def test_round_refusal_never_exceeds_the_line(total: int, present: int, standard: int) -> None:
    present = min(present, total)
    out = s.judge_round(total, present, standard_fen=standard)
    assert 0 <= out.rate_bp <= s.BP
    assert out.shortfall <= total - present
    assert out.below_threshold == (
        out.shortfall > 0 or (total > 0 and present * s.BP < s.IN_BED_THRESHOLD_BP * total)
    )
    assert out.refused_fen == out.shortfall * standard


@given(st.integers(0, 10**11), st.integers(0, 10**11))
def test_reward_is_monotone_and_bounded(x: int, y: int) -> None:
    low, high = sorted((x, y))
    r_low, r_high = s.reward_for(low, s.DEFAULT_REWARDS), s.reward_for(high, s.DEFAULT_REWARDS)
    assert r_low <= r_high <= s.DEFAULT_REWARDS.max_fen
