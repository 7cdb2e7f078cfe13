"""Concurrent settlements for the same person never spend the same cap or account balance twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select

from tests.settlement.helpers import build_world, fee, open_visit, request_id
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain.errors import BusinessError
from yibao.enrolment import service as enrolment
from yibao.enrolment.models import AccountEntry
from yibao.settlement import repository, service
from yibao.settlement.models import LedgerCounter, Settlement

BILLS = 6


def test_parallel_bills_share_the_yearly_cap_and_the_account_exactly(container: Container) -> None:
    """caps.pool = 150,000 yuan: six 60,000-yuan stays settled at once pay exactly the cap, no more."""
    world = build_world(container, account_fen=100_000)
    visits = []
    for n in range(BILLS):
        day = f"2024-0{n + 2}-01"
        mdtrt_id = open_visit(container, world.worker, day=day)
        with container.uow(SYSTEM) as uow:
            service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "60000.00", day=day)])
        visits.append(mdtrt_id)

    def settle(mdtrt_id: str) -> Settlement:
        with container.uow(SYSTEM) as uow:
            return service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())

    with ThreadPoolExecutor(max_workers=BILLS) as pool:
        results = list(pool.map(settle, visits))

    assert sum(r.hifp_pay for r in results) == 15_000_000
    assert sum(r.acct_pay for r in results) == 100_000
    with container.uow(SYSTEM) as uow:
        counters = {c.counter: c.amount for c in uow.session.scalars(select(LedgerCounter))}
        balance = enrolment.get_account(uow=uow, psn_no=world.worker).balance
    assert counters["cap:pool"] == 15_000_000
    assert counters["admissions"] == BILLS
    assert balance == 0
    for r in results:
        assert r.medfee_sumamt == r.fund_pay_sumamt + r.acct_pay + r.psn_cash_pay


def test_concurrent_repeats_of_one_request_answer_the_first_settlement(container: Container) -> None:
    """Idempotency under concurrency: eight copies of one request settle once and all see that settlement."""
    world = build_world(container)
    mdtrt_id = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "1000.00")])
    rid = request_id()

    def settle(_: int) -> str:
        with container.uow(SYSTEM) as uow:
            return service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=rid).setl_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(settle, range(8)))
    assert len(ids) == 1
    with container.uow(SYSTEM) as uow:
        assert len(uow.session.scalars(select(Settlement)).all()) == 1


def test_a_balance_spent_since_it_was_read_refuses_the_whole_settlement(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The account debit written with the settlement takes the money only if the balance still covers
    it: when it no longer does, nothing of the settlement is kept (all or nothing)."""
    world = build_world(container, account_fen=100_000)
    mdtrt_id = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "60000.00")])
    read = repository._counters_and_balance

    def stale(rows: Any) -> tuple[dict[str, int], int | None]:
        counters, balance = read(rows)
        return counters, None if balance is None else balance + 50_000  # money spent meanwhile

    monkeypatch.setattr(repository, "_counters_and_balance", stale)
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as refused:
        service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    assert refused.value.code == "ACCOUNT_INSUFFICIENT"
    with container.uow(SYSTEM) as uow:
        assert uow.session.scalars(select(Settlement)).all() == []
        assert uow.session.scalars(select(AccountEntry).where(AccountEntry.amount < 0)).all() == []
        assert enrolment.get_account(uow=uow, psn_no=world.worker).balance == 100_000
        assert uow.session.scalars(select(LedgerCounter)).all() == []
    monkeypatch.undo()
    with container.uow(SYSTEM) as uow:
        settled = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    assert settled.acct_pay == 100_000  # the same bill settles once the balance is read as it is
    with container.uow(SYSTEM) as uow:
        entries = uow.session.scalars(select(AccountEntry).where(AccountEntry.amount < 0)).all()
        assert [(e.amount, e.balance_after, e.reference) for e in entries] == [(-100_000, 0, settled.setl_id)]


def test_a_later_bill_of_the_year_is_refused_too_when_its_balance_read_is_stale(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same guard on a later bill of the year, whose counters and balance come with the year lock
    (one pipeline on PostgreSQL) rather than from a separate read."""
    world = build_world(container, account_fen=100_000)
    first = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=first, fees=[fee("1", "ZL001", "100.00")])
    with container.uow(SYSTEM) as uow:
        service.settle(uow=uow, mdtrt_id=first, request_id=request_id())
    with container.uow(SYSTEM) as uow:
        balance = enrolment.get_account(uow=uow, psn_no=world.worker).balance
    assert 0 < balance < 100_000  # the first bill took part of the account
    later = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=later, fees=[fee("1", "ZL001", "60000.00")])
    read = repository._counters_and_balance

    def stale(rows: Any) -> tuple[dict[str, int], int | None]:
        counters, found = read(rows)
        return counters, None if found is None else found + 50_000  # money spent meanwhile

    monkeypatch.setattr(repository, "_counters_and_balance", stale)
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as refused:
        service.settle(uow=uow, mdtrt_id=later, request_id=request_id())
    assert refused.value.code == "ACCOUNT_INSUFFICIENT"
    with container.uow(SYSTEM) as uow:
        assert len(uow.session.scalars(select(Settlement)).all()) == 1
        assert len(uow.session.scalars(select(AccountEntry).where(AccountEntry.amount < 0)).all()) == 1
        assert enrolment.get_account(uow=uow, psn_no=world.worker).balance == balance
    monkeypatch.undo()
    with container.uow(SYSTEM) as uow:
        settled = service.settle(uow=uow, mdtrt_id=later, request_id=request_id())
    assert settled.acct_pay == balance  # the account pays what is left once it is read as it is
