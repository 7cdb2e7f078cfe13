"""Pure rules of institutions and doctors: agreement state machine, settlement, qualification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao.domain import institutions as rules
from yibao.domain.errors import BusinessError, ErrorKind
from yibao.domain.institutions import AgreementAction as A
from yibao.domain.institutions import AgreementState
from yibao.domain.institutions import AgreementStatus as S


@dataclass
class Inst:
    """A stand-in for the Institution model (the rules only read these attributes)."""

    agreement_status: str = "active"
    agreement_begin: date | None = date(2025, 1, 1)
    agreement_end: date | None = date(2025, 12, 31)
    suspended_until: date | None = None
    status_since: date | None = date(2025, 1, 1)
    active: bool = True


@dataclass
class Doc:
    status: str = "active"
    suspended_until: date | None = None
    status_since: date | None = date(2025, 1, 1)


DAY = date(2025, 6, 1)
SIGNED = AgreementState(S.ACTIVE, date(2025, 1, 1), date(2025, 12, 31), None, date(2025, 1, 1))


# ---- months arithmetic --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 12, 31), 2, date(2026, 2, 28)),
        (date(2025, 11, 15), 2, date(2026, 1, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
    ],
)
def test_add_months_clips_to_the_last_day_of_the_month(day: date, months: int, expected: date) -> None:
    assert rules.add_months(day, months) == expected


def test_agreement_of_one_year_ends_the_day_before_its_anniversary() -> None:
    # 001: 签订协议有效期一般为1年
    assert rules.default_agreement_end(date(2025, 1, 1)) == date(2025, 12, 31)
    assert rules.default_agreement_end(date(2024, 2, 29)) == date(2025, 2, 27)


# ---- legal transitions --------------------------------------------------------------------------


def test_sign_activates_an_application_for_one_year_by_default() -> None:
    state = rules.transition(AgreementState(S.APPLYING), A.SIGN, day=DAY, begin=date(2025, 7, 1))
    assert (state.status, state.begin, state.end, state.status_since) == (
        S.ACTIVE,
        date(2025, 7, 1),
        date(2026, 6, 30),
        DAY,
    )


def test_sign_with_an_explicit_end() -> None:
    state = rules.transition(
        AgreementState(S.APPLYING), A.SIGN, day=DAY, begin=date(2025, 7, 1), end=date(2025, 12, 31)
    )
    assert state.end == date(2025, 12, 31)


def test_renew_continues_the_day_after_the_old_end() -> None:
    state = rules.transition(SIGNED, A.RENEW, day=date(2025, 12, 20))
    assert (state.status, state.begin, state.end) == (S.ACTIVE, date(2026, 1, 1), date(2026, 12, 31))


def test_renew_after_expiry_with_a_later_begin() -> None:
    expired = AgreementState(S.EXPIRED, SIGNED.begin, SIGNED.end, None, date(2026, 1, 2))
    state = rules.transition(expired, A.RENEW, day=date(2026, 3, 1), begin=date(2026, 3, 1))
    assert (state.status, state.begin, state.end) == (S.ACTIVE, date(2026, 3, 1), date(2027, 2, 28))


def test_suspend_with_until_and_resume() -> None:
    suspended = rules.transition(SIGNED, A.SUSPEND, day=DAY, until=date(2025, 8, 31), reason="违规整改")
    assert (suspended.status, suspended.suspended_until, suspended.reason) == (
        S.SUSPENDED,
        date(2025, 8, 31),
        "违规整改",
    )
    resumed = rules.transition(suspended, A.RESUME, day=date(2025, 7, 1))
    assert (resumed.status, resumed.suspended_until, resumed.begin, resumed.end) == (
        S.ACTIVE,
        None,
        SIGNED.begin,
        SIGNED.end,
    )


def test_expire_only_after_the_last_day() -> None:
    state = rules.transition(SIGNED, A.EXPIRE, day=date(2026, 1, 1))
    assert state.status is S.EXPIRED
    with pytest.raises(BusinessError) as info:
        rules.transition(SIGNED, A.EXPIRE, day=date(2025, 12, 31))
    assert (info.value.code, info.value.kind) == ("AGREEMENT_NOT_ENDED", ErrorKind.CONFLICT)


@pytest.mark.parametrize("status", [S.APPLYING, S.ACTIVE, S.SUSPENDED, S.EXPIRED])
def test_terminate_from_every_live_status(status: S) -> None:
    state = rules.transition(
        AgreementState(status, SIGNED.begin, SIGNED.end), A.TERMINATE, day=DAY, reason="严重违规"
    )
    assert (state.status, state.reason, state.status_since) == (S.TERMINATED, "严重违规", DAY)


# ---- illegal transitions ------------------------------------------------------------------------

LEGAL = {
    A.SIGN: {S.APPLYING},
    A.RENEW: {S.ACTIVE, S.EXPIRED},
    A.SUSPEND: {S.ACTIVE},
    A.RESUME: {S.SUSPENDED},
    A.EXPIRE: {S.ACTIVE},
    A.TERMINATE: {S.APPLYING, S.ACTIVE, S.SUSPENDED, S.EXPIRED},
    A.REAPPLY: {S.TERMINATED},
    A.CHANGE: {S.ACTIVE, S.SUSPENDED},
}
ILLEGAL = [(status, action) for action in A for status in S if status not in LEGAL[action]]


@pytest.mark.parametrize(("status", "action"), ILLEGAL, ids=str)
def test_illegal_transition_is_refused_with_a_stable_code_and_chinese_reason(status: S, action: A) -> None:
    state = AgreementState(status, SIGNED.begin, SIGNED.end)
    with pytest.raises(BusinessError) as info:
        rules.transition(state, action, day=date(2026, 6, 1), begin=DAY, reason="原因")
    assert info.value.code == "AGREEMENT_TRANSITION"
    assert info.value.kind is ErrorKind.CONFLICT
    assert rules.AGREEMENT_STATUS_ZH[status] in info.value.message
    assert rules.AGREEMENT_ACTION_ZH[action] in info.value.message


def test_terminated_leaves_only_by_a_new_application() -> None:
    assert [a for a, allowed in LEGAL.items() if S.TERMINATED in allowed] == [A.REAPPLY]


@pytest.mark.parametrize(
    ("state", "action", "kwargs", "code", "field"),
    [
        (AgreementState(S.APPLYING), A.SIGN, {}, "REQUIRED", "begin"),
        (AgreementState(S.APPLYING), A.SIGN, {"begin": DAY, "end": date(2025, 5, 1)}, "PERIOD_ORDER", "end"),
        (SIGNED, A.RENEW, {"begin": date(2025, 12, 31)}, "AGREEMENT_RENEW_OVERLAP", "begin"),
        (SIGNED, A.SUSPEND, {}, "AGREEMENT_REASON", "reason"),
        (SIGNED, A.SUSPEND, {"reason": "x", "until": date(2025, 5, 1)}, "PERIOD_ORDER", "until"),
        (SIGNED, A.TERMINATE, {"reason": "  "}, "AGREEMENT_REASON", "reason"),
        (SIGNED, A.TERMINATE, {"reason": "长" * 256}, "TOO_LONG", "reason"),
    ],
)
def test_bad_transition_input_names_the_field(
    state: AgreementState, action: A, kwargs: dict[str, object], code: str, field: str
) -> None:
    with pytest.raises(BusinessError) as info:
        rules.transition(state, action, day=DAY, **kwargs)  # type: ignore[arg-type]
    assert (info.value.code, info.value.field) == (code, field)
    assert f"字段 {field}" in info.value.message


# ---- can_settle ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inst", "day", "expected"),
    [
        (Inst(), date(2025, 1, 1), (True, "OK")),
        (Inst(), date(2025, 12, 31), (True, "OK")),
        (Inst(), date(2024, 12, 31), (False, "AGREEMENT_NOT_STARTED")),
        (
            Inst(agreement_status="applying", agreement_begin=None, agreement_end=None),
            DAY,
            (False, "AGREEMENT_NOT_SIGNED"),
        ),
        (Inst(active=False), DAY, (False, "INSTITUTION_INACTIVE")),
        (
            Inst(agreement_status="suspended", status_since=date(2025, 5, 1)),
            DAY,
            (False, "AGREEMENT_SUSPENDED"),
        ),
        (Inst(agreement_status="suspended", status_since=date(2025, 5, 1)), date(2025, 4, 30), (True, "OK")),
        (
            Inst(
                agreement_status="suspended", status_since=date(2025, 5, 1), suspended_until=date(2025, 5, 31)
            ),
            DAY,
            (True, "OK"),
        ),
        (
            Inst(agreement_status="terminated", status_since=date(2025, 5, 1)),
            DAY,
            (False, "AGREEMENT_TERMINATED"),
        ),
        (Inst(agreement_status="terminated", status_since=date(2025, 5, 1)), date(2025, 4, 1), (True, "OK")),
    ],
)
def test_can_settle_on_a_day(inst: Inst, day: date, expected: tuple[bool, str]) -> None:
    assert rules.can_settle(inst, day) == expected
    assert expected[1] in rules.SETTLE_REASONS


def test_not_renewed_within_two_months_suspends_settlement() -> None:
    # 001: 协议到期定点医疗机构应及时续签协议，逾期2个月仍未续签的，将暂停定点单位结算服务
    inst = Inst()  # agreement ends 2025-12-31
    assert rules.can_settle(inst, date(2026, 1, 1)) == (True, "AGREEMENT_RENEWAL_GRACE")
    assert rules.can_settle(inst, date(2026, 2, 28)) == (True, "AGREEMENT_RENEWAL_GRACE")
    assert rules.can_settle(inst, date(2026, 3, 1)) == (False, "AGREEMENT_NOT_RENEWED")
    assert rules.SETTLE_REASONS["AGREEMENT_NOT_RENEWED"] == "协议到期2个月未续签，暂停结算"
    assert rules.effective_status(inst, date(2026, 1, 15)) is S.EXPIRED
    assert rules.effective_status(inst, date(2026, 3, 1)) is S.SUSPENDED
    assert rules.effective_status(Inst(agreement_status="expired"), date(2026, 3, 1)) is S.SUSPENDED


def test_renewal_restores_settlement_after_the_grace() -> None:
    inst = Inst()
    renewed = rules.transition(rules.state_of(inst), A.RENEW, day=date(2026, 3, 5))
    inst.agreement_begin, inst.agreement_end = renewed.begin, renewed.end
    assert rules.can_settle(inst, date(2026, 3, 5)) == (True, "OK")


def test_effective_status_of_a_lapsed_suspension_is_active() -> None:
    inst = Inst(
        agreement_status="suspended", status_since=date(2025, 5, 1), suspended_until=date(2025, 5, 31)
    )
    assert rules.effective_status(inst, date(2025, 5, 15)) is S.SUSPENDED
    assert rules.effective_status(inst, DAY) is S.ACTIVE


@given(
    begin=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    offset=st.integers(min_value=-400, max_value=800),
)
def test_settlement_is_allowed_exactly_from_begin_through_end_plus_two_months(
    begin: date, offset: int
) -> None:
    end = rules.default_agreement_end(begin)
    inst = Inst(agreement_begin=begin, agreement_end=end, status_since=begin)
    day = begin + timedelta(days=offset)
    allowed, _code = rules.can_settle(inst, day)
    assert allowed == (begin <= day <= rules.add_months(end, 2))


# ---- codes and levels ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["H43990100001", "P43990100001", "ABCD", "X" * 32])
def test_good_institution_codes(code: str) -> None:
    assert rules.check_fixmedins_code(code) == code


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("", "REQUIRED"),
        ("H1", "FIXMEDINS_CODE_FORMAT"),
        ("h43990100001", "FIXMEDINS_CODE_FORMAT"),
        ("X" * 33, "FIXMEDINS_CODE_FORMAT"),
        ("H-001", "FIXMEDINS_CODE_FORMAT"),
    ],
)
def test_bad_institution_codes(code: str, error: str) -> None:
    with pytest.raises(BusinessError) as info:
        rules.check_fixmedins_code(code)
    assert (info.value.code, info.value.field) == (error, "fixmedins_code")


def test_a_medical_institution_needs_a_level_and_a_pharmacy_has_none() -> None:
    rules.check_level_for_type("1", "5")
    rules.check_level_for_type("2", None)
    rules.check_level_for_type("4", None)
    with pytest.raises(BusinessError) as info:
        rules.check_level_for_type("1", None)
    assert info.value.code == "HOSP_LV_REQUIRED"
    with pytest.raises(BusinessError) as info:
        rules.check_level_for_type("2", "5")
    assert info.value.code == "HOSP_LV_PHARMACY"


# ---- doctors ------------------------------------------------------------------------------------

K = rules.DoctorKind


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("110430100004567", K.DOCTOR),
        ("110430100004567", K.NURSE),
        ("D43990100001", K.DOCTOR),
        ("d4399010000001", K.DOCTOR),
        ("Y43990100000001", K.PHARMACIST),
        ("N43990112345", K.NURSE),
    ],
)
def test_good_practising_codes(code: str, kind: rules.DoctorKind) -> None:
    assert rules.check_dr_code(code, kind) == code.upper()


@pytest.mark.parametrize(
    ("code", "kind", "error"),
    [
        ("", K.DOCTOR, "REQUIRED"),
        ("11043010000456", K.DOCTOR, "DR_CODE_FORMAT"),
        ("D4399010001", K.DOCTOR, "DR_CODE_FORMAT"),
        ("D439901000000001", K.DOCTOR, "DR_CODE_FORMAT"),
        ("X43990100001", K.DOCTOR, "DR_CODE_FORMAT"),
        ("Y43990100001", K.DOCTOR, "DR_CODE_KIND"),
        ("D43990100001", K.PHARMACIST, "DR_CODE_KIND"),
    ],
)
def test_bad_practising_codes(code: str, kind: rules.DoctorKind, error: str) -> None:
    with pytest.raises(BusinessError) as info:
        rules.check_dr_code(code, kind)
    assert (info.value.code, info.value.field) == (error, "dr_code")


DS = rules.DoctorStatus
DA = rules.DoctorAction


def test_doctor_suspend_resume_cancel() -> None:
    active = rules.DoctorState(DS.ACTIVE)
    suspended = rules.doctor_transition(
        active, DA.SUSPEND, day=DAY, until=date(2025, 12, 31), reason="扣满6分"
    )
    assert (suspended.status, suspended.suspended_until, suspended.status_since) == (
        DS.SUSPENDED,
        date(2025, 12, 31),
        DAY,
    )
    assert rules.doctor_transition(suspended, DA.RESUME, day=date(2026, 1, 1)).status is DS.ACTIVE
    assert rules.doctor_transition(suspended, DA.CANCEL, day=DAY, reason="严重违规").status is DS.CANCELLED
    assert rules.doctor_transition(active, DA.CANCEL, day=DAY, reason="严重违规").status is DS.CANCELLED


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (DS.SUSPENDED, DA.SUSPEND),
        (DS.ACTIVE, DA.RESUME),
        (DS.CANCELLED, DA.RESUME),
        (DS.CANCELLED, DA.SUSPEND),
        (DS.CANCELLED, DA.CANCEL),
    ],
)
def test_illegal_doctor_transitions(status: rules.DoctorStatus, action: rules.DoctorAction) -> None:
    with pytest.raises(BusinessError) as info:
        rules.doctor_transition(rules.DoctorState(status), action, day=DAY, until=DAY, reason="x")
    assert (info.value.code, info.value.kind) == ("DOCTOR_TRANSITION", ErrorKind.CONFLICT)
    assert rules.DOCTOR_STATUS_ZH[status] in info.value.message


@pytest.mark.parametrize(
    ("action", "kwargs", "code", "field"),
    [
        (DA.SUSPEND, {"until": DAY}, "DOCTOR_REASON", "reason"),
        (DA.SUSPEND, {"reason": "x"}, "REQUIRED", "until"),
        (DA.SUSPEND, {"reason": "x", "until": date(2025, 1, 1)}, "PERIOD_ORDER", "until"),
        (DA.CANCEL, {}, "DOCTOR_REASON", "reason"),
        (DA.CANCEL, {"reason": "长" * 256}, "TOO_LONG", "reason"),
    ],
)
def test_bad_doctor_status_input(
    action: rules.DoctorAction, kwargs: dict[str, object], code: str, field: str
) -> None:
    with pytest.raises(BusinessError) as info:
        rules.doctor_transition(rules.DoctorState(DS.ACTIVE), action, day=DAY, **kwargs)  # type: ignore[arg-type]
    assert (info.value.code, info.value.field) == (code, field)


@pytest.mark.parametrize(
    ("doc", "day", "expected"),
    [
        (Doc(), DAY, (True, "OK")),
        (Doc("suspended", date(2025, 12, 31), date(2025, 5, 1)), DAY, (False, "DOCTOR_SUSPENDED")),
        (Doc("suspended", date(2025, 12, 31), date(2025, 5, 1)), date(2026, 1, 1), (True, "OK")),
        (Doc("suspended", date(2025, 12, 31), date(2025, 5, 1)), date(2025, 4, 30), (True, "OK")),
        (Doc("cancelled", None, date(2025, 5, 1)), DAY, (False, "DOCTOR_CANCELLED")),
        (Doc("cancelled", None, date(2025, 5, 1)), date(2030, 1, 1), (False, "DOCTOR_CANCELLED")),
        (Doc("cancelled", None, date(2025, 5, 1)), date(2025, 4, 30), (True, "OK")),
    ],
)
def test_qualification_on_a_day(doc: Doc, day: date, expected: tuple[bool, str]) -> None:
    # 002: 将医保医师服务情况与医保医师医疗保险处方权挂钩
    assert rules.qualification_on(doc, day) == expected


def test_points_count_per_year_and_six_points_reach_suspension() -> None:
    # 002: 扣分达6分以上的暂停或取消医保医师资格
    assert rules.points_in_year(2025, 4, 2025) == 4
    assert rules.points_in_year(2025, 4, 2026) == 0
    assert not rules.reaches_suspension(5)
    assert rules.reaches_suspension(6)


# ---- admission and re-entry bans (001 第6篇) -------------------------------------------------------------


def _facts(**kw: object) -> rules.EligibilityFacts:
    base: dict[str, object] = {
        "licence_no": "PDY1",
        "licence_valid_until": date(2026, 3, 2),
        "opened_on": date(2024, 2, 29),
        "systems_connected_on": date(2026, 3, 2),
        "documents": frozenset({"licence", "business"}),
    }
    base.update(kw)
    return rules.EligibilityFacts(**base)  # type: ignore[arg-type]


def test_001_art2_eligibility_on_the_boundary_days() -> None:
    # A licence valid through the day of the check passes; opened on 29 Feb → a year on 28 Feb next year.
    assert rules.one_year_open_on(date(2024, 2, 29)) == date(2025, 2, 28)
    results = rules.check_eligibility(_facts(), date(2026, 3, 2))
    assert all(r.passed for r in results)
    late = rules.check_eligibility(_facts(licence_valid_until=date(2026, 3, 1)), date(2026, 3, 2))
    assert [r.code for r in late if not r.passed] == ["LICENCE"]
    future = rules.check_eligibility(_facts(systems_connected_on=date(2026, 3, 3)), date(2026, 3, 2))
    assert [r.reason for r in future if not r.passed] == ["联网验收日期 2026-03-03 晚于审查日 2026-03-02"]


def test_checklist_weights_must_sum_to_100_and_scores_stay_within_each_weight() -> None:
    items = [rules.ChecklistItem("a", "甲", 60), rules.ChecklistItem("b", "乙", 40)]
    checklist = rules.check_checklist(items, 75)
    result = rules.score_checklist(checklist, {"a": 45, "b": 30})
    assert (result.total, result.passed) == (75, True)
    assert rules.score_checklist(checklist, {"a": 45, "b": 29}).passed is False
    with pytest.raises(BusinessError) as weights:
        rules.check_checklist(items[:1], 75)
    assert weights.value.code == "CHECKLIST_WEIGHTS"
    with pytest.raises(BusinessError) as dup:
        rules.check_checklist([rules.ChecklistItem("a", "甲", 50), rules.ChecklistItem("a", "乙", 50)], 60)
    assert dup.value.code == "CHECKLIST_ITEM"
    assert sum(i.weight for c in rules.DEFAULT_CHECKLISTS.values() for i in c.items) == 200


def test_001_art45_ban_periods_and_the_one_in_force() -> None:
    three = rules.Ban(
        rules.BanKind.NO_RENEW, date(2024, 12, 20), rules.ban_end(date(2024, 12, 20), 3), "a", "r", "x"
    )
    assert three.end == date(2027, 12, 19)
    forever = rules.Ban(rules.BanKind.PERMANENT, date(2026, 1, 1), None, "m", "r", "y")
    assert rules.ban_in_force([three], date(2027, 12, 19)) is three
    assert rules.ban_in_force([three], date(2027, 12, 20)) is None
    assert rules.ban_in_force([three, forever], date(2026, 6, 1)) is forever
    assert rules.ban_in_force([three, forever], date(2024, 12, 19)) is None
    error = rules.refuse_banned(three, "申请定点")
    assert (error.code, error.kind) == (
        "REENTRY_BAN_NO_RENEW",
        ErrorKind.CONFLICT,
    ) and "2027-12-19" in error.message


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(min_value=1, max_value=5)
)
def test_a_ban_of_n_years_holds_through_its_last_day_and_not_after(begin: date, years: int) -> None:
    ban = rules.Ban(rules.BanKind.NO_RENEW, begin, rules.ban_end(begin, years), "m", "r", "x")
    assert ban.end is not None
    assert rules.ban_in_force([ban], ban.end) is ban
    assert rules.ban_in_force([ban], ban.end + timedelta(days=1)) is None


def test_notice_ends_only_after_its_last_day_with_every_objection_answered() -> None:
    end = date(2026, 3, 16)
    with pytest.raises(BusinessError) as early:
        rules.notice_outcome(end, end, 0, 0)
    assert early.value.code == "NOTICE_NOT_ENDED"
    with pytest.raises(BusinessError) as open_:
        rules.notice_outcome(end, date(2026, 3, 17), 1, 0)
    assert open_.value.code == "OBJECTION_OPEN"
    assert rules.notice_outcome(end, date(2026, 3, 17), 0, 0) is True
    assert rules.notice_outcome(end, date(2026, 3, 17), 0, 1) is False


def test_plaque_numbers_per_region_and_kind() -> None:
    assert rules.plaque_number("439901", "1", 1) == "DY43990100001"
    assert rules.plaque_number("439901", "2", 12) == "DD43990100012"
    assert rules.certificate_number("439901", 2026, 3) == "ZG43990120260003"
    assert rules.check_plaque_no(" dy-0001 ") == "DY-0001"
    with pytest.raises(BusinessError) as bad:
        rules.check_plaque_no("标牌1")
    assert bad.value.code == "PLAQUE_FORMAT"
