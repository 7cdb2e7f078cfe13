"""Renewal (续签) needs the new year's measurable terms; an agreement not renewed 2 months after it ended
suspends settlement, and the national interface refuses the hospital with a clear code (001: 逾期2个月仍未
续签的，将暂停定点单位结算服务)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.institutions.helpers import add_institution, supervisor
from tests.interface.helpers import his_world
from tests.interface.scenario import CERT
from tests.settlement.helpers import HOSPITAL as SETTLING_HOSPITAL
from yibao.assessment import service as assessment
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain.errors import BusinessError
from yibao.institutions import service
from yibao.institutions.models import AgreementRecord, Institution

CODE = "H43990100021"


def _signed(container: Container) -> None:
    add_institution(container, CODE, agreement_begin=date(2025, 1, 1), agreement_end=date(2025, 12, 31))


def _records(container: Container) -> int:
    with container.uow(SYSTEM) as uow:
        return int(
            uow.session.scalar(
                select(func.count())
                .select_from(AgreementRecord)
                .where(AgreementRecord.fixmedins_code == CODE)
            )
            or 0
        )


def test_renewal_without_the_new_years_terms_is_refused_and_changes_nothing(container: Container) -> None:
    _signed(container)
    before = _records(container)
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as exc:
        service.change_agreement(uow=uow, fixmedins_code=CODE, action="renew", day=date(2025, 12, 20))
    assert exc.value.code == "TERMS_REQUIRED" and exc.value.field == "terms_profile"
    assert "2026 年度协议指标" in exc.value.message
    with container.uow(supervisor()) as uow:
        view = service.get_institution(uow=uow, fixmedins_code=CODE)
    assert view.agreement_end == date(2025, 12, 31) and _records(container) == before
    # the clean twin: with a template the renewal and the 2026 terms are stored together
    with container.uow(supervisor()) as uow:
        renewed = service.change_agreement(
            uow=uow, fixmedins_code=CODE, action="renew", day=date(2025, 12, 20), terms_profile="general"
        )
    assert (renewed.agreement_begin, renewed.agreement_end) == (date(2026, 1, 1), date(2026, 12, 31))
    with container.uow(supervisor()) as uow:
        assert assessment.show_terms(uow=uow, fixmedins_code=CODE, year=2026).profile == "general"


def test_terms_set_beforehand_in_assessment_are_enough_to_renew(container: Container) -> None:
    _signed(container)
    with container.uow(supervisor()) as uow:
        assessment.set_terms(uow=uow, fixmedins_code=CODE, year=2026, profile="specialist")
    with container.uow(supervisor()) as uow:
        renewed = service.change_agreement(uow=uow, fixmedins_code=CODE, action="renew", day=date(2026, 1, 5))
    assert renewed.agreement_end == date(2026, 12, 31)
    with container.uow(supervisor()) as uow:  # the terms stay as assessment set them
        assert assessment.show_terms(uow=uow, fixmedins_code=CODE, year=2026).profile == "specialist"


def _register(his: object, psn_no: str, begntime: str) -> dict[str, object]:
    data = CERT | {
        "psn_no": psn_no,
        "insutype": "310",
        "begntime": begntime,
        "psn_type": "11",
        "ipt_otp_no": "MZ0001",
        "dept_code": "A01",
        "dept_name": "内科",
        "caty": "A03",
    }
    return his.call("2201", {"data": data})  # type: ignore[attr-defined, no-any-return]


def test_late_renewal_suspends_settlement_and_the_interface_refuses_with_a_clear_code(
    container: Container, app_client: TestClient
) -> None:
    """Agreement 2023-01-01 to 2023-12-31: the grace runs to 2024-02-29 (end + 2 months, end of
    February); a visit on 2024-03-01 is refused (INSTITUTION_SUSPENDED, 协议到期2个月未续签) until renewed."""
    world, his = his_world(container, app_client)
    with container.uow(SYSTEM) as uow:
        uow.session.execute(
            update(Institution)
            .where(Institution.fixmedins_code == SETTLING_HOSPITAL)
            .values(agreement_begin=date(2023, 1, 1), agreement_end=date(2023, 12, 31))
        )
        uow.commit()
    with container.uow(SYSTEM) as uow:
        assert service.settlement_allowed(uow=uow, fixmedins_code=SETTLING_HOSPITAL, day=date(2024, 2, 29))[
            :2
        ] == (True, "AGREEMENT_RENEWAL_GRACE")
        assert service.settlement_allowed(
            uow=uow, fixmedins_code=SETTLING_HOSPITAL, day=date(2024, 3, 1)
        ) == (
            False,
            "AGREEMENT_NOT_RENEWED",
            "协议到期2个月未续签，暂停结算",
        )
    inside = _register(his, world.worker, "2024-02-29 09:00:00")
    assert inside["infcode"] == 0, inside["err_msg"]  # the clean twin: last day of the grace
    late = _register(his, world.worker, "2024-03-01 09:00:00")
    assert late["infcode"] == -1
    message = str(late["err_msg"])
    assert message.startswith("[INSTITUTION_SUSPENDED]") and "协议到期2个月未续签，暂停结算" in message
    with container.uow(SYSTEM) as uow:
        service.change_agreement(
            uow=uow,
            fixmedins_code=SETTLING_HOSPITAL,
            action="renew",
            day=date(2024, 3, 5),
            terms_profile="general",
        )
    again = _register(his, world.worker, "2024-03-01 09:00:00")
    assert again["infcode"] == 0, again["err_msg"]
