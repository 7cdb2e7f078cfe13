"""Concurrent submissions and decisions: one wins, the others are refused cleanly (no server error)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.review.helpers import (
    DECIDE_DAY,
    HOSPITAL,
    PERIOD,
    declare,
    flag,
    operator,
    reviewer,
    settled_month,
)
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain.errors import BusinessError
from yibao.review import service


def test_the_same_month_declared_at_once_is_stored_once(container: Container) -> None:
    settled_month(container, bills=1)

    def submit(_: int) -> str:
        try:
            with container.uow(operator()) as uow:
                return service.declare(
                    uow=uow, fixmedins_code=HOSPITAL, period=PERIOD, today=DECIDE_DAY
                ).decl_no
        except BusinessError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(submit, range(6)))
    assert outcomes.count(f"SB-{HOSPITAL}-202403") == 1
    assert set(outcomes) - {f"SB-{HOSPITAL}-202403"} == {"DECLARATION_EXISTS"}
    with container.uow(SYSTEM) as uow:
        assert service.list_declarations(uow=uow).total == 1


def test_one_item_decided_at_once_is_decided_once(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "3")

    def decide(n: int) -> str:
        try:
            with container.uow(reviewer(f"r{n}")) as uow:
                service.decide(uow=uow, item_id=item, action="deduct", reason_code="OTHER", today=DECIDE_DAY)
            return "ok"
        except BusinessError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(decide, range(6)))
    assert outcomes.count("ok") == 1 and set(outcomes) == {"ok", "REVIEW_ITEM_STATE"}
    with container.uow(SYSTEM) as uow:
        events = service.get_declaration(uow=uow, decl_no=decl.decl_no, today=DECIDE_DAY).events
    assert [e.action for e in events].count("deduct") == 1
