"""The function clearing reads: only final deductions (accepted, silence, upheld after appeal)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.review.helpers import (
    HOSPITAL,
    LINE_FEN,
    PERIOD,
    answer,
    decide,
    declare,
    flag,
    reviewer,
    settled_month,
)
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain.errors import BusinessError
from yibao.domain.review import DeductionTotal
from yibao.review import service


def test_only_final_deductions_reach_clearing(container: Container) -> None:
    """001 第6篇: accepted, silent past 5 working days, upheld — in; open, cleared, overturned — out."""
    month = settled_month(container, bills=3)
    s1, s2, s3 = month.setl_ids
    decl = declare(container)
    accepted = flag(container, decl.decl_no, s1, "3")  # 300.00 丙类 line
    upheld = flag(container, decl.decl_no, s2, "3")
    silent = flag(container, decl.decl_no, s3, "2")  # 20.00 乙类 line
    still_open = flag(container, decl.decl_no, s1, "2")
    cleared = flag(container, decl.decl_no, s2, "2")
    overturned = flag(container, decl.decl_no, s3, "3")

    decide(container, accepted, "deduct", amount=10_000)  # 100.00 yuan of the 300.00 line
    answer(container, accepted, "accept")
    decide(container, upheld, "deduct", reason="NOT_COVERED")  # the whole line by default
    answer(container, upheld, "appeal", note="该药品属于医保目录")
    decide(container, upheld, "uphold", who="reviewer-b")
    decide(container, silent, "deduct", reason="EXCESS_QUANTITY", amount=500)  # due 2024-04-15, no answer
    decide(container, still_open, "deduct", today=date(2024, 4, 15), amount=700)  # due 2024-04-22
    decide(container, cleared, "clear")
    decide(container, overturned, "deduct", reason="DUPLICATE_CHARGE")
    answer(container, overturned, "appeal", note="并非重复收费")
    decide(container, overturned, "overturn", who="reviewer-b")

    with container.uow(reviewer()) as uow:
        rows = service.confirmed_deductions(uow=uow, admdvs="439901", period=PERIOD, today=date(2024, 4, 16))
    assert rows == sorted(
        [
            DeductionTotal(HOSPITAL, s1, 10_000, "OVER_PRICE_CAP"),
            DeductionTotal(HOSPITAL, s2, LINE_FEN["3"], "NOT_COVERED"),
            DeductionTotal(HOSPITAL, s3, 500, "EXCESS_QUANTITY"),
        ],
        key=lambda d: (d.fixmedins_code, d.setl_id or "", d.reason_code),
    )
    # On the deadline day itself the silent one is still open.
    with container.uow(reviewer()) as uow:
        on_due = service.confirmed_deductions(
            uow=uow, admdvs="439901", period=PERIOD, today=date(2024, 4, 15)
        )
    assert sum(r.amount_fen for r in on_due) == 10_000 + LINE_FEN["3"]


def test_several_items_of_one_settlement_and_reason_sum_into_one_row(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    a = flag(container, decl.decl_no, month.setl_ids[0], "2")
    b = flag(container, decl.decl_no, month.setl_ids[0], "3")
    for item, amount in ((a, 1_000), (b, 2_500)):
        decide(container, item, "deduct", amount=amount)
        answer(container, item, "accept")
    with container.uow(SYSTEM) as uow:
        rows = service.confirmed_deductions(uow=uow, admdvs="439901", period=PERIOD, today=date(2024, 4, 9))
    assert rows == [DeductionTotal(HOSPITAL, month.setl_ids[0], 3_500, "OVER_PRICE_CAP")]


def test_clean_month_has_no_deductions_and_bad_period_is_refused(container: Container) -> None:
    settled_month(container, bills=1)
    declare(container)
    with container.uow(SYSTEM) as uow:
        assert service.confirmed_deductions(uow=uow, admdvs="439901", period=PERIOD) == []
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
        service.confirmed_deductions(uow=uow, admdvs="439901", period="2024-13")
    assert err.value.code == "REVIEW_PERIOD_FORMAT"
    with container.uow(reviewer()) as uow, pytest.raises(BusinessError) as err:
        service.confirmed_deductions(uow=uow, admdvs="430100", period=PERIOD)
    assert err.value.code == "AUTH_REGION"
