"""Invariants over random review histories: no item refuses more than it declared, and the totals
clearing reads reconcile to the fen with the items and the declaration page."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from tests.review.helpers import PERIOD, declare, operator, reviewer, settled_month
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain.errors import BusinessError
from yibao.domain.review import DEDUCTING_STATES, ItemStatus, Reason, effective_status
from yibao.review import service

REASONS = [r.value for r in Reason]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_review_histories_keep_the_invariants(container: Container, seed: int) -> None:
    rnd = random.Random(seed)
    month = settled_month(container, bills=2)
    decl = declare(container)
    ids = []
    with container.uow(reviewer()) as uow:
        for setl_id in month.setl_ids:
            for sn in ("1", "2", "3", None):
                ids.append(service.add_item(uow=uow, decl_no=decl.decl_no, setl_id=setl_id, bkkp_sn=sn).id)
    day = date(2024, 4, 8)
    for _ in range(60):
        item_id = rnd.choice(ids)
        action = rnd.choice(["deduct", "clear", "accept", "appeal", "uphold", "overturn"])
        day += timedelta(days=rnd.choice([0, 0, 1, 3]))
        try:
            if action in ("accept", "appeal"):
                with container.uow(operator()) as uow:
                    service.answer(uow=uow, item_id=item_id, action=action, note="理由", today=day)
            else:
                with container.uow(SYSTEM) as uow:
                    declared = service.get_item(uow=uow, item_id=item_id).declared_fen
                amount = rnd.choice([None, rnd.randint(-5, declared + 5)])
                who = rnd.choice(["reviewer-a", "reviewer-b"])
                with container.uow(reviewer(who)) as uow:
                    service.decide(
                        uow=uow,
                        item_id=item_id,
                        action=action,
                        reason_code=rnd.choice(REASONS) if action == "deduct" else None,
                        amount_fen=amount if action in ("deduct", "uphold") else None,
                        today=day,
                    )
        except BusinessError:
            pass  # refusals are part of the walk; they store nothing
    with container.uow(SYSTEM) as uow:
        items = [service.get_item(uow=uow, item_id=i) for i in ids]
        totals = service.confirmed_deductions(uow=uow, admdvs="439901", period=PERIOD, today=day)
        view = service.get_declaration(uow=uow, decl_no=decl.decl_no, today=day)
    for item in items:
        assert 0 <= item.refused_fen <= item.declared_fen
        assert item.penalty_fen == item.refused_fen * (item.multiplier - 1)
    final = [
        i for i in items if effective_status(ItemStatus(i.status), i.answer_due, day) in DEDUCTING_STATES
    ]
    assert sum(t.amount_fen for t in totals) == sum(i.total_fen for i in final) == view.confirmed_fen
    assert view.refused_fen + view.penalty_fen == view.confirmed_fen
    assert sum(view.by_reason.values()) == view.confirmed_fen
    # Every change of state is on the timeline.
    moved = sum(1 for e in view.events if e.item_id is not None and e.from_status is not None)
    assert moved == sum(1 for i in items if i.status != "pending") + sum(
        1 for i in items if i.status in ("accepted", "appealed", "upheld", "overturned", "accepted_silent")
    ) + sum(1 for i in items if i.status in ("upheld", "overturned"))
