"""Re-entry bans carried by termination decisions (001 第四十五条: a pharmacy's agreement terminated,
no renewal for 3–5 years, or a permanent exit), enforced when the institution applies again."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.institutions.helpers import add_institution, supervisor
from yibao.bootstrap import Container
from yibao.domain import supervision as rules
from yibao.domain.errors import BusinessError, FieldError
from yibao.institutions import service as institutions
from yibao.supervision import service

HOSPITAL = "H43990100019"
PHARMACY = "P43990100018"
PHARMACY_2 = "P43990100017"
ISSUED = date(2025, 5, 1)


def _terminate(container: Container, code: str, **ban: object) -> service.DecisionView:
    with container.uow(supervisor()) as uow:
        draft = service.create_decision(
            uow=uow,
            target_type="institution",
            kind="termination",
            fixmedins_code=code,
            reason="串换药品，骗取医保基金",
            **ban,  # type: ignore[arg-type]
        )
    with container.uow(supervisor()) as uow:
        return service.issue_decision(
            uow=uow, decision_no=draft.decision_no, document_no="医保处字〔2025〕9号", day=ISSUED
        )


def _apply(container: Container, code: str, day: date) -> str:
    with container.uow(supervisor()) as uow:
        return institutions.submit_application(uow=uow, fixmedins_code=code, day=day).status


def _refused_apply(container: Container, code: str, day: date) -> BusinessError:
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as exc:
        institutions.submit_application(uow=uow, fixmedins_code=code, day=day)
    return exc.value


def _pharmacy(container: Container, code: str) -> None:
    add_institution(
        container, code, name="康民大药房", fixmedins_type="2", hosp_lv=None, agreement_begin=date(2024, 1, 1)
    )


def test_a_pharmacy_terminated_for_5_years_may_apply_the_day_after_the_ban(container: Container) -> None:
    """5 years from 2025-05-01: the last banned day is 2030-04-30; 2030-05-01 is accepted."""
    _pharmacy(container, PHARMACY)
    issued = _terminate(container, PHARMACY, ban_years=5)
    assert (issued.ban_years, issued.ban_permanent) == (5, False)
    refused = _refused_apply(container, PHARMACY, date(2030, 4, 30))
    assert refused.code == "REENTRY_BAN_NO_RENEW" and "2030-04-30" in refused.message
    assert issued.decision_no in refused.message and "5年内不再续签" in refused.message
    assert _apply(container, PHARMACY, date(2030, 5, 1)) == "submitted"


def test_a_pharmacy_terminated_with_a_permanent_exit_never_applies_again(container: Container) -> None:
    _pharmacy(container, PHARMACY_2)
    issued = _terminate(container, PHARMACY_2, ban_permanent=True)
    assert (issued.ban_years, issued.ban_permanent) == (None, True)
    refused = _refused_apply(container, PHARMACY_2, date(2045, 1, 1))
    assert refused.code == "REENTRY_BAN_PERMANENT" and "永久退出" in refused.message


def test_a_hospital_ban_is_optional_and_never_permanent(container: Container) -> None:
    add_institution(container, HOSPITAL, agreement_begin=date(2024, 1, 1))
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as permanent:
        service.create_decision(
            uow=uow,
            target_type="institution",
            kind="termination",
            fixmedins_code=HOSPITAL,
            reason="x",
            ban_permanent=True,
        )
    assert permanent.value.code == "PERMANENT_EXIT_PHARMACY"
    with container.uow(supervisor()) as uow:
        assert service.list_decisions(uow=uow, fixmedins_code=HOSPITAL).total == 0  # nothing stored
    _terminate(container, HOSPITAL, ban_years=2)
    refused = _refused_apply(container, HOSPITAL, date(2027, 4, 30))
    assert refused.code == "REENTRY_BAN_NO_RENEW" and "2027-04-30" in refused.message
    assert _apply(container, HOSPITAL, date(2027, 5, 1)) == "submitted"


def _ban(kind: str, target: str, fixmedins_type: str | None, years: int | None, permanent: bool) -> list[str]:
    errors: list[FieldError] = []
    rules.check_ban(
        kind=rules.DecisionKind(kind),
        target_type=rules.TargetType(target),
        fixmedins_type=fixmedins_type,
        ban_years=years,
        ban_permanent=permanent,
        errors=errors,
    )
    return [e.code for e in errors]


def test_ban_rules_name_the_field_and_the_rule() -> None:
    assert _ban("termination", "institution", "2", 2, False) == ["BAN_YEARS_RANGE"]  # pharmacy: 3–5
    assert _ban("termination", "institution", "2", 6, False) == ["BAN_YEARS_RANGE"]
    assert _ban("termination", "institution", "2", 3, True) == ["BAN_YEARS_UNUSED"]
    assert _ban("termination", "institution", "1", None, True) == ["PERMANENT_EXIT_PHARMACY"]
    assert _ban("fine", "institution", "2", 3, False) == ["BAN_UNUSED"]
    assert _ban("termination", "doctor", None, 3, False) == ["BAN_UNUSED"]
    # the clean twins
    assert _ban("termination", "institution", "2", None, False) == []  # a pharmacy: 3 years by default
    assert _ban("termination", "institution", "1", None, False) == []  # a hospital: no ban unless given
    with pytest.raises(BusinessError) as exc:
        rules.check_decision(
            kind=rules.DecisionKind.TERMINATION,
            target_type=rules.TargetType.INSTITUTION,
            fixmedins_type="2",
            amount_fen=0,
            fine_pct=None,
            months=None,
            referral_to=None,
            violation=None,
            ban_years=7,
        )
    assert exc.value.errors[0].field == "ban_years" and "3至5年" in exc.value.errors[0].message


@given(st.integers(min_value=0, max_value=10**9), st.lists(st.integers(min_value=-5, max_value=10**8)))
def test_a_recovery_spread_over_items_never_exceeds_it_nor_any_cap(recover: int, caps: list[int]) -> None:
    parts = rules.allocate_recovery(recover, caps)
    assert len(parts) == len(caps) and sum(parts) <= recover
    assert all(0 <= p <= max(c, 0) for p, c in zip(parts, caps, strict=True))
    assert sum(parts) == min(recover, sum(max(c, 0) for c in caps))
