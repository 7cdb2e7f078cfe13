"""The settlement hot path sends a fixed number of statements whatever the number of lines (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.settlement.helpers import build_world, fee, open_visit, request_id
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.monitoring import lookup as rule_tables
from yibao.policy import lookup as policy_tables
from yibao.settlement import service


@pytest.fixture(autouse=True)
def no_recheck_while_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-memory tables recheck the database at most once a second for other processes' changes;
    a slow machine must not turn that into a statement counted here."""
    monkeypatch.setattr(policy_tables.TABLES, "recheck_seconds", 3600.0)
    monkeypatch.setattr(rule_tables.TABLES, "recheck_seconds", 3600.0)


PRE_SETTLEMENT_MAX = 4  # visit+person+institution+account+relations, lines+catalog, ledger (+BEGIN on SQLite)
PRE_SETTLEMENT_POSTGRES = 3  # no transaction: no BEGIN
SETTLEMENT_READS = 5  # visit locked, lines, person-year made if missing, its lock, counters and balance
# (one round trip on PG)
SETTLEMENT_POSTGRES = 6  # the reads, then every write and the audit rows at once
SETTLEMENT_MAX = 12  # the reads after the locks, one write per table, the audit row (+BEGIN on SQLite)


@contextmanager
def counting(container: Container) -> Iterator[list[str]]:
    """Every statement sent to the database inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(container.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(container.engine, "before_cursor_execute", record)


def _bill(container: Container, psn_no: str, lines: int, day: str) -> str:
    """A 2,000-yuan stay of one 甲类 service cut into `lines` equal lines."""
    mdtrt_id = open_visit(container, psn_no, day=day)
    price = f"{2000 / lines:.2f}"
    with container.uow(SYSTEM) as uow:
        service.upload_fees(
            uow=uow, mdtrt_id=mdtrt_id, fees=[fee(str(n), "ZL001", price, day=day) for n in range(lines)]
        )
    return mdtrt_id


def _statements(container: Container, mdtrt_id: str) -> tuple[int, int]:
    with counting(container) as seen, container.uow(SYSTEM) as uow:
        service.pre_settle(uow=uow, mdtrt_id=mdtrt_id)
    pre = len(seen)
    with counting(container) as seen, container.uow(SYSTEM) as uow:
        service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    return pre, len(seen)


def test_a_200_line_bill_takes_as_many_statements_as_a_20_line_bill(container: Container) -> None:
    """Hot path (docs/ARCHITECTURE.md): lines, catalog versions and splits are read and written in bulk."""
    world = build_world(container)
    _statements(container, _bill(container, world.worker, 20, "2024-03-01"))  # the in-memory tables loaded
    first = _bill(container, world.resident, 20, "2024-03-01")  # creates the person's year ledger
    with container.uow(SYSTEM) as uow:
        service.pre_settle(uow=uow, mdtrt_id=first)  # the resident's policy loaded, nothing written
    first_of_year = _statements(container, first)
    twenty = _statements(container, _bill(container, world.resident, 20, "2024-04-01"))
    two_hundred = _statements(container, _bill(container, world.resident, 200, "2024-05-01"))
    assert twenty == two_hundred
    pre, settle = twenty
    assert pre <= PRE_SETTLEMENT_MAX
    assert settle <= SETTLEMENT_MAX
    assert first_of_year[1] <= SETTLEMENT_MAX
    if container.engine.dialect.name == "postgresql":  # the writes go in one statement (CTEs)
        assert (pre, settle) == (PRE_SETTLEMENT_POSTGRES, SETTLEMENT_POSTGRES)
        assert first_of_year == twenty  # the year's row is made among the reads: no extra round trip


def test_a_repeated_request_answers_from_the_first_settlement_in_few_statements(container: Container) -> None:
    """Idempotency costs no recalculation: the repeat finds the first settlement while locking the visit
    (the reads of a settlement, one round trip on PostgreSQL), then answers it with two more reads: the
    first settlement and its fund rows."""
    world = build_world(container)
    mdtrt_id = _bill(container, world.resident, 20, "2024-03-01")
    rid = request_id()
    with container.uow(SYSTEM) as uow:
        first = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=rid)
    with counting(container) as seen, container.uow(SYSTEM) as uow:
        again = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=rid)
    assert again.setl_id == first.setl_id
    postgres = container.engine.dialect.name == "postgresql"
    assert len(seen) == (SETTLEMENT_READS + 2 if postgres else SETTLEMENT_READS + 3)  # + BEGIN on SQLite


FEE_UPLOAD_POSTGRES = 4  # the visit locked, its lines' keys, the mappings (one round trip); the insert


def _upload_statements(container: Container, psn_no: str, lines: int, day: str) -> int:
    mdtrt_id = open_visit(container, psn_no, day=day)
    fees = [fee(str(n), "ZL001", "10.00", day=day) for n in range(lines)]
    with counting(container) as seen, container.uow(SYSTEM) as uow:
        stored = service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=fees, commit=False)
        assert len({line.id for line in stored}) == lines  # every line answered with its own id
    return len(seen)


def test_a_200_line_fee_upload_takes_as_many_statements_as_a_20_line_upload(container: Container) -> None:
    """费用明细上传 (2204/2301): the visit lock, the serial numbers already used, the institution's
    mappings and the insert are a fixed handful of statements whatever the number of lines."""
    world = build_world(container)
    _upload_statements(container, world.resident, 1, "2024-03-01")  # the in-memory tables loaded
    twenty = _upload_statements(container, world.resident, 20, "2024-04-01")
    assert twenty == _upload_statements(container, world.resident, 200, "2024-05-01")
    if container.engine.dialect.name == "postgresql":
        assert twenty == FEE_UPLOAD_POSTGRES
