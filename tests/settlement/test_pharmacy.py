"""Pharmacy purchase (药店购药): visit, lines and settlement in one unit of work, once per request id."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import make_actor
from tests.settlement.helpers import DRUG_B, DRUG_C, World, at, build_world, fee, request_id
from yibao.bootstrap import Container
from yibao.catalog import service as catalog
from yibao.core.security import SYSTEM, Role
from yibao.domain.errors import BusinessError
from yibao.enrolment import service as enrolment
from yibao.institutions import service as institutions
from yibao.settlement import service
from yibao.settlement.models import FeeLine, Settlement, Visit

PHARMACY = "P43990100001"


def add_pharmacy(container: Container, code: str = PHARMACY) -> None:
    """A retail pharmacy (定点零售药店, type 2) with approved mappings YP001 → 乙类, YP002 → 丙类."""
    with container.uow(SYSTEM) as uow:
        institutions.create_institution(
            uow=uow,
            fixmedins_code=code,
            name="示范大药房",
            fixmedins_type="2",
            admdvs="439901",
            agreement_begin=date(2020, 1, 1),
            agreement_end=date(2030, 12, 31),
        )
    operator = make_actor(Role.INSTITUTION, institution_code=code, username=f"op-{code}")
    for own, hilist in (("YP001", DRUG_B), ("YP002", DRUG_C)):
        with container.uow(operator) as uow:
            mapping = catalog.submit_mapping(
                uow=uow,
                fixmedins_code=code,
                medins_list_codg=own,
                medins_list_name=own,
                hilist_code=hilist,
                begin=date(2024, 1, 1),
            )
        with container.uow(SYSTEM) as uow:
            catalog.approve_mapping(uow=uow, mapping_id=mapping.id)


@pytest.fixture
def world(container: Container) -> World:
    built = build_world(container, account_fen=100_000)
    add_pharmacy(container)
    return built


LINES = [fee("1", "YP001", "2.00", cnt="10"), fee("2", "YP002", "300.00")]


def _buy(container: Container, psn_no: str, rid: str, **extra: object) -> Settlement:
    with container.uow(make_actor(Role.INSTITUTION, institution_code=PHARMACY)) as uow:
        return service.purchase(
            uow=uow,
            psn_no=psn_no,
            fixmedins_code=PHARMACY,
            begntime=at("2024-03-01"),
            fees=extra.pop("fees", LINES),  # type: ignore[arg-type]
            request_id=rid,
            **extra,  # type: ignore[arg-type]
        )


def _count(container: Container, model: type) -> int:
    with container.uow(SYSTEM) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_purchase_settles_from_the_account_what_the_policy_lets_it_pay(
    container: Container, world: World
) -> None:
    """No basic-fund rule for 41 (药店购药): 乙类 10 × 2.00 (cap 1.50 → 5.00 over cap, 10% of 15.00 =
    1.50 first, 13.50 in range), 丙类 300.00 self-paid; the account pays 1.50 + 13.50 = 15.00."""
    row = _buy(container, world.worker, request_id())
    assert row.medfee_sumamt == 32_000
    assert (row.fulamt_ownpay_amt, row.overlmt_selfpay, row.preselfpay_amt) == (30_000, 500, 150)
    assert row.inscp_scp_amt == 1_350 and row.fund_pay_sumamt == 0
    assert (row.acct_pay, row.psn_cash_pay) == (1_500, 30_500)
    with container.uow(SYSTEM) as uow:
        assert enrolment.get_account(uow=uow, psn_no=world.worker).balance == 98_500
        visit = uow.session.scalars(select(Visit)).one()
        assert (visit.med_type, visit.status, visit.fixmedins_code) == ("41", "settled", PHARMACY)
        assert {line.status for line in uow.session.scalars(select(FeeLine))} == {"settled"}


def test_repeat_of_a_request_id_answers_the_first_settlement_and_opens_no_second_visit(
    container: Container, world: World
) -> None:
    rid = request_id()
    first = _buy(container, world.worker, rid)
    again = _buy(container, world.worker, rid)
    assert again.setl_id == first.setl_id
    assert (_count(container, Visit), _count(container, FeeLine), _count(container, Settlement)) == (1, 2, 1)


def test_request_id_of_another_person_is_refused(container: Container, world: World) -> None:
    rid = request_id()
    _buy(container, world.worker, rid)
    with pytest.raises(BusinessError) as caught:
        _buy(container, world.resident, rid)
    assert caught.value.code == "REQUEST_ID_REUSED"


def test_refusal_at_settlement_leaves_no_visit_and_no_lines(container: Container, world: World) -> None:
    """2023 has no policy in force: the settle step refuses after registration and upload ran in the unit."""
    pharmacist = make_actor(Role.INSTITUTION, institution_code=PHARMACY)
    with container.uow(pharmacist) as uow, pytest.raises(BusinessError) as late:
        service.purchase(
            uow=uow,
            psn_no=world.worker,
            fixmedins_code=PHARMACY,
            begntime=at("2023-03-01"),
            fees=[fee("1", "YP001", "2.00", day="2023-03-01")],
            request_id=request_id(),
        )
    assert late.value.code == "POLICY_MISSING"
    assert (_count(container, Visit), _count(container, FeeLine), _count(container, Settlement)) == (0, 0, 0)


def test_refusal_at_upload_leaves_no_visit(container: Container, world: World) -> None:
    bad = [fee("1", "YP001", "2.00"), fee("1", "YP002", "3.00")]
    with pytest.raises(BusinessError) as caught:
        _buy(container, world.worker, request_id(), fees=bad)
    assert caught.value.code == "FEE_DUPLICATE_SN"
    assert (_count(container, Visit), _count(container, FeeLine)) == (0, 0)


def test_clean_twin_of_the_refusals_settles(container: Container, world: World) -> None:
    row = _buy(container, world.worker, request_id(), fees=[fee("1", "YP001", "1.00", cnt="3")])
    assert row.medfee_sumamt == 300 and row.status == "settled"


def test_quote_computes_the_same_bill_and_writes_nothing(container: Container, world: World) -> None:
    with container.uow(make_actor(Role.INSTITUTION, institution_code=PHARMACY)) as uow:
        quote = service.quote_purchase(
            uow=uow, psn_no=world.worker, fixmedins_code=PHARMACY, begntime=at("2024-03-01"), fees=LINES
        )
    assert (quote.breakdown.acct_pay, quote.breakdown.psn_cash_pay) == (1_500, 30_500)
    assert [(line.feedetl_sn, line.overlmt_selfpay, line.fulamt_ownpay) for line in quote.lines] == [
        ("1", 500, 0),
        ("2", 0, 30_000),
    ]
    assert quote.visit.mdtrt_id and quote.visit.med_type == "41"
    assert (_count(container, Visit), _count(container, FeeLine), _count(container, Settlement)) == (0, 0, 0)
    row = _buy(container, world.worker, request_id())
    assert (row.acct_pay, row.psn_cash_pay) == (quote.breakdown.acct_pay, quote.breakdown.psn_cash_pay)


def test_reversal_restores_the_account_and_withdraws_the_purchase(container: Container, world: World) -> None:
    row = _buy(container, world.worker, request_id())
    rid = request_id()
    with container.uow(make_actor(Role.INSTITUTION, institution_code=PHARMACY)) as uow:
        undo = service.reverse_purchase(uow=uow, setl_id=row.setl_id, request_id=rid)
    with container.uow(make_actor(Role.INSTITUTION, institution_code=PHARMACY)) as uow:
        again = service.reverse_purchase(uow=uow, setl_id=row.setl_id, request_id=rid)
    assert again.setl_id == undo.setl_id and undo.acct_pay == -1_500
    with container.uow(SYSTEM) as uow:
        assert enrolment.get_account(uow=uow, psn_no=world.worker).balance == 100_000
        assert uow.session.scalars(select(Visit)).one().status == "cancelled"
        assert {line.status for line in uow.session.scalars(select(FeeLine))} == {"cancelled"}
    assert _count(container, Settlement) == 2


def test_another_institution_cannot_buy_for_the_pharmacy(container: Container, world: World) -> None:
    hospital = make_actor(Role.INSTITUTION, institution_code="H43990100001")
    with container.uow(hospital) as uow, pytest.raises(BusinessError) as caught:
        service.purchase(
            uow=uow,
            psn_no=world.worker,
            fixmedins_code=PHARMACY,
            begntime=at("2024-03-01"),
            fees=LINES,
            request_id=request_id(),
        )
    assert caught.value.kind.name == "FORBIDDEN"
    assert _count(container, Visit) == 0
