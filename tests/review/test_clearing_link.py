"""Clearing withholds exactly the review's final deductions (the payment area reads confirmed_deductions)."""

from __future__ import annotations

from sqlalchemy import select

from tests.review.helpers import HOSPITAL, PERIOD, answer, decide, declare, flag, settled_month
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.payment import service as payment
from yibao.payment.models import ClearingLine


def test_monthly_clearing_deducts_what_review_confirmed(container: Container) -> None:
    month = settled_month(container, bills=2)
    decl = declare(container)
    final = flag(container, decl.decl_no, month.setl_ids[0], "3")
    still_open = flag(container, decl.decl_no, month.setl_ids[1], "3")
    decide(container, final, "deduct", reason="DUPLICATE_CHARGE", amount=12_345)
    answer(container, final, "accept")
    decide(container, still_open, "deduct", amount=999)  # appealed: not final, not withheld
    answer(container, still_open, "appeal", note="收费符合规定")
    with container.uow(SYSTEM) as uow:
        clearing = payment.run_clearing(
            uow=uow,
            admdvs="439901",
            period_kind="month",
            period=PERIOD,
            reference_dir=container.settings.reference_dir,
        )
    assert clearing.deductions_source == "review"
    with container.uow(SYSTEM) as uow:
        lines = {
            line.fixmedins_code: line
            for line in uow.session.scalars(
                select(ClearingLine).where(ClearingLine.clearing_id == clearing.id)
            )
        }
    assert lines[HOSPITAL].deducted == 12_345
