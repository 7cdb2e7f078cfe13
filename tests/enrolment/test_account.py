"""Personal account (个人账户): debits, reversals, the append-only ledger, and no overdraft under
concurrent debits (runs on the suite's backend: SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import uuid
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.enrolment.helpers import enrol, relation_id
from tests.factories import add_region
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Actor
from yibao.domain.errors import BusinessError
from yibao.enrolment import service
from yibao.enrolment.repository import EnrolmentRepository


def _funded(container: Container, amount: int) -> str:
    """An employee whose account holds `amount` fen from one paid contribution."""
    add_region(container)
    person = enrol(container)
    rid = relation_id(container, person.psn_no)
    with container.uow(SYSTEM) as uow:
        service.record_contribution(
            uow=uow,
            psn_no=person.psn_no,
            relation_id=rid,
            period="2024-01",
            individual_fen=amount,
            base_wage_fen=500000,
            paid_on=date(2024, 1, 15),
        )
    return person.psn_no


def _ledger_matches(container: Container, psn_no: str) -> tuple[int, int]:
    with container.uow() as uow:
        repo = EnrolmentRepository(uow.session)
        account = repo.account_of(psn_no)
        assert account is not None
        return account.balance, repo.ledger_sum(account.id)


def test_debit_and_reversal_keep_ledger_and_balance_equal(container: Container, admin: Actor) -> None:
    psn_no = _funded(container, 10000)
    with container.uow(admin) as uow:
        debit = service.debit_account(uow=uow, psn_no=psn_no, amount=3000, reference="SETL-1")
        assert (debit.entry_type, debit.amount, debit.balance_after) == ("debit_settlement", -3000, 7000)
        reversal = service.reverse_debit(
            uow=uow, psn_no=psn_no, original_reference="SETL-1", reference="REV-1"
        )
        assert (reversal.entry_type, reversal.amount, reversal.balance_after) == ("reversal", 3000, 10000)
        with pytest.raises(BusinessError) as info:
            service.reverse_debit(uow=uow, psn_no=psn_no, original_reference="SETL-1", reference="REV-2")
        assert info.value.code == "DEBIT_REVERSED"
        with pytest.raises(BusinessError) as info:
            service.reverse_debit(uow=uow, psn_no=psn_no, original_reference="NOPE", reference="REV-3")
        assert info.value.code == "DEBIT_NOT_FOUND"
    assert _ledger_matches(container, psn_no) == (10000, 10000)


def test_debit_beyond_the_balance_is_refused_and_stores_nothing(container: Container, admin: Actor) -> None:
    psn_no = _funded(container, 1000)
    with container.uow(admin) as uow:
        with pytest.raises(BusinessError) as info:
            service.debit_account(uow=uow, psn_no=psn_no, amount=1001, reference="SETL-1")
        assert (info.value.code, info.value.field) == ("ACCOUNT_INSUFFICIENT", "amount")
        assert "余额 10.00 元" in info.value.message and "10.01 元" in info.value.message
        with pytest.raises(BusinessError) as info:
            service.debit_account(uow=uow, psn_no=psn_no, amount=0, reference="SETL-2")
        assert info.value.code == "AMOUNT_POSITIVE"
    assert _ledger_matches(container, psn_no) == (1000, 1000)


def test_residents_have_no_account(container: Container, admin: Actor) -> None:
    add_region(container)
    person = enrol(container, insutype="390", psn_type="15")
    with container.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.debit_account(uow=uow, psn_no=person.psn_no, amount=1, reference="SETL-1")
    assert info.value.code == "ACCOUNT_NOT_FOUND"


def test_ledger_is_append_only(container: Container) -> None:
    psn_no = _funded(container, 1000)
    for statement in ("UPDATE enrol_account_entry SET amount = 1", "DELETE FROM enrol_account_entry"):
        with pytest.raises(Exception, match=r"append-only"), container.engine.begin() as conn:
            conn.execute(text(statement))
    assert _ledger_matches(container, psn_no) == (1000, 1000)


def test_balance_cannot_go_negative(container: Container) -> None:
    psn_no = _funded(container, 1000)
    with pytest.raises(Exception, match=r"(?i)check|constraint"), container.engine.begin() as conn:
        conn.execute(text("UPDATE enrol_account SET balance = -1 WHERE psn_no = :p"), {"p": psn_no})


def test_concurrent_debits_never_overdraw_the_account(container: Container) -> None:
    """20 threads each debit 10 yuan from 100 yuan at once: exactly 10 succeed, the balance ends at 0."""
    psn_no = _funded(container, 10000)
    threads_count, amount = 20, 1000
    barrier = threading.Barrier(threads_count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        barrier.wait()
        try:
            with container.uow(SYSTEM) as uow:
                service.debit_account(uow=uow, psn_no=psn_no, amount=amount, reference=f"SETL-{index}")
            result = "ok"
        except BusinessError as exc:
            result = exc.code
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == threads_count
    assert outcomes.count("ok") == 10
    assert outcomes.count("ACCOUNT_INSUFFICIENT") == 10
    balance, ledger = _ledger_matches(container, psn_no)
    assert balance == 0 and ledger == 0
    with container.uow() as uow:
        repo = EnrolmentRepository(uow.session)
        account = repo.account_of(psn_no)
        assert account is not None
        entries = repo.entries(account.id, page=1, size=100).items
    assert all(e.balance_after >= 0 for e in entries)
    debits = sorted((e.balance_after for e in entries if e.entry_type == "debit_settlement"), reverse=True)
    assert debits == [9000 - 1000 * i for i in range(10)]  # every debit saw the one before it


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(["debit", "reverse"]), st.integers(min_value=1, max_value=4000)), max_size=8
    )
)
def test_any_sequence_of_debits_and_reversals_keeps_the_ledger_equal_to_the_balance(
    container: Container, operations: list[tuple[str, int]]
) -> None:
    """Whatever the settlements do, the balance is never negative and equals the sum of the ledger."""
    with container.uow() as uow:
        repo = EnrolmentRepository(uow.session)
        has_account = repo.account_of("4399010000000001") is not None
    psn_no = "4399010000000001" if has_account else _funded(container, 5000)
    with container.uow() as uow:
        start = EnrolmentRepository(uow.session).account_of(psn_no)
        assert start is not None
        expected = start.balance
    debits: list[tuple[str, int]] = []
    for index, (kind, amount) in enumerate(operations):
        reference = f"H-{uuid.uuid4().hex[:12]}-{index}"
        with container.uow(SYSTEM) as uow:
            try:
                if kind == "debit" or not debits:
                    service.debit_account(uow=uow, psn_no=psn_no, amount=amount, reference=reference)
                    debits.append((reference, amount))
                    expected -= amount
                else:
                    original, paid = debits.pop()
                    service.reverse_debit(
                        uow=uow, psn_no=psn_no, original_reference=original, reference=reference
                    )
                    expected += paid
            except BusinessError as exc:
                assert exc.code == "ACCOUNT_INSUFFICIENT" and amount > expected
    balance, ledger = _ledger_matches(container, psn_no)
    assert balance == ledger == expected >= 0
