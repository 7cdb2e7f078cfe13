"""The policy in force for the hot path: by day, rebuilt after a load, usable by the settlement engine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.policy.helpers import EMPLOYEES_2024, RESIDENTS_2024, RESIDENTS_2025, load, sample, setup_region
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain.settlement import CatalogFacts, FeeLine, PersonFacts, VisitFacts, settle
from yibao.policy import lookup, service


@pytest.fixture
def region(container: Container) -> Container:
    setup_region(container)
    lookup.invalidate()
    return container


def _in_force(container: Container, insutype: str, day: date) -> str | None:
    with container.uow(SYSTEM) as uow:
        policy = lookup.policy_in_force(uow.session, "439901", insutype, day)
        return None if policy is None else policy.version


def test_the_version_in_force_on_a_day_is_found(region: Container) -> None:
    load(region, sample(RESIDENTS_2024))
    load(region, sample(RESIDENTS_2025))
    assert _in_force(region, "390", date(2023, 12, 31)) is None
    assert _in_force(region, "390", date(2024, 1, 1)) == "2024"
    assert _in_force(region, "390", date(2024, 12, 31)) == "2024"
    assert _in_force(region, "390", date(2025, 1, 1)) == "2025"
    assert _in_force(region, "390", date(2031, 7, 1)) == "2025"
    assert _in_force(region, "310", date(2024, 6, 1)) is None


def test_the_index_is_rebuilt_after_a_load(region: Container) -> None:
    load(region, sample(RESIDENTS_2024))
    assert _in_force(region, "390", date(2025, 3, 1)) == "2024"
    with region.uow(SYSTEM) as uow:
        first = lookup.policy_index(uow.session)
        assert lookup.policy_index(uow.session) is first  # cached while nothing is loaded
    load(region, sample(RESIDENTS_2025))
    assert _in_force(region, "390", date(2025, 3, 1)) == "2025"
    with region.uow(SYSTEM) as uow:
        policy = lookup.policy_in_force(uow.session, "439901", "390", date(2024, 3, 1))
        assert policy is not None and policy.end == date(2024, 12, 31)


def test_a_bounded_version_is_not_in_force_after_its_end(region: Container) -> None:
    text = sample(EMPLOYEES_2024).replace("begin = 2024-01-01", "begin = 2024-01-01\nend = 2024-06-30")
    load(region, text)
    assert _in_force(region, "310", date(2024, 6, 30)) == "2024"
    assert _in_force(region, "310", date(2024, 7, 1)) is None


def test_the_service_answers_the_stored_version_in_force(region: Container) -> None:
    row = load(region, sample(EMPLOYEES_2024)).policy
    with region.uow(SYSTEM) as uow:
        assert (
            service.policy_in_force(uow=uow, admdvs="439901", insutype="310", on=date(2024, 5, 1)).id
            == row.id
        )
        with pytest.raises(Exception) as caught:
            service.policy_in_force(uow=uow, admdvs="439901", insutype="310", on=date(2023, 5, 1))
    assert getattr(caught.value, "code", None) == "POLICY_NOT_IN_FORCE"


def test_the_employee_sample_settles_an_inpatient_bill_by_hand(region: Container) -> None:
    """10,000 yuan of 甲类 items at a 三级 hospital, first admission, retired: 800 deductible, 88%."""
    load(region, sample(EMPLOYEES_2024))
    with region.uow(SYSTEM) as uow:
        policy = lookup.policy_in_force(uow.session, "439901", "310", date(2024, 5, 1))
    assert policy is not None
    line = FeeLine("1", 1_000_000, Decimal(1_000_000), Decimal(1), CatalogFacts("01"))
    result = settle(
        policy=policy,
        person=PersonFacts(retired=True),
        visit=VisitFacts(med_type="2101", level="3"),
        lines=[line],
        ledger={},
        use_account=False,
    )
    assert result.act_pay_dedc == 80_000
    assert result.hifp_pay == 809_600  # (10,000 − 800) × (85% + 3%)
