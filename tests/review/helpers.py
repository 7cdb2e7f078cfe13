"""A settled month for the review tests: bills at the hospital moved into March 2024, then declared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import update

from tests.factories import make_actor
from tests.settlement.helpers import CLINIC, HOSPITAL, World, build_world, fee, open_visit, request_id
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Actor, Role
from yibao.review import service
from yibao.review.models import Declaration
from yibao.settlement import service as settlement
from yibao.settlement.models import Settlement

PERIOD = "2024-03"
DECLARE_DAY = date(2024, 4, 3)  # before the 5th: on time
DECIDE_DAY = date(2024, 4, 8)  # a Monday: the 5th working day after is Monday 15 April
BILL_FEN = 1_032_000  # 10,000.00 + 10 × 2.00 + 300.00 yuan
LINE_FEN = {"1": 1_000_000, "2": 2_000, "3": 30_000}

__all__ = ["CLINIC", "HOSPITAL"]


@dataclass(frozen=True)
class Month:
    world: World
    setl_ids: list[str]
    period: str


def operator(code: str = HOSPITAL) -> Actor:
    """The hospital's own operator (定点机构操作员)."""
    return make_actor(Role.INSTITUTION, institution_code=code, username=f"op-{code}")


def reviewer(name: str = "reviewer-a") -> Actor:
    return make_actor(Role.REVIEWER, username=name)


def settle_bill(container: Container, psn_no: str, *, institution: str = HOSPITAL) -> str:
    """Settle one inpatient bill of three lines (1: 甲类 10,000.00; 2: 乙类 10 × 2.00; 3: 丙类 300.00)."""
    mdtrt_id = open_visit(container, psn_no, institution=institution)
    with container.uow(SYSTEM) as uow:
        settlement.upload_fees(
            uow=uow,
            mdtrt_id=mdtrt_id,
            fees=[
                fee("1", "ZL001", "10000.00"),
                fee("2", "YP001", "2.00", cnt="10"),
                fee("3", "YP002", "300.00"),
            ],
        )
    with container.uow(SYSTEM) as uow:
        return settlement.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id()).setl_id


def move_to_period(container: Container, setl_ids: list[str], period: str, day: int = 15) -> None:
    """Test setup: the settlements happened in `period` (settlement stamps the real clock)."""
    year, month = (int(x) for x in period.split("-"))
    with container.uow(SYSTEM) as uow:
        uow.session.execute(
            update(Settlement)
            .where(Settlement.setl_id.in_(setl_ids))
            .values(settled_at=datetime(year, month, day, 2, tzinfo=UTC))
        )
        uow.commit()


def settled_month(container: Container, bills: int = 2, *, period: str = PERIOD) -> Month:
    """A world with `bills` settled bills at the hospital in `period` (alternating worker/resident)."""
    world = build_world(container, account_fen=0)
    setl_ids = [settle_bill(container, world.worker if n % 2 == 0 else world.resident) for n in range(bills)]
    move_to_period(container, setl_ids, period)
    return Month(world=world, setl_ids=setl_ids, period=period)


def declare(
    container: Container, period: str = PERIOD, *, today: date = DECLARE_DAY, **kw: object
) -> Declaration:
    with container.uow(operator()) as uow:
        return service.declare(uow=uow, fixmedins_code=HOSPITAL, period=period, today=today, **kw)  # type: ignore[arg-type]


def flag(container: Container, decl_no: str, setl_id: str, bkkp_sn: str | None = None) -> int:
    with container.uow(reviewer()) as uow:
        return service.add_item(uow=uow, decl_no=decl_no, setl_id=setl_id, bkkp_sn=bkkp_sn).id


def decide(
    container: Container,
    item_id: int,
    action: str,
    *,
    who: str = "reviewer-a",
    today: date = DECIDE_DAY,
    reason: str | None = "OVER_PRICE_CAP",
    amount: int | None = None,
    note: str | None = None,
) -> None:
    with container.uow(reviewer(who)) as uow:
        service.decide(
            uow=uow,
            item_id=item_id,
            action=action,
            reason_code=reason if action == "deduct" else None,
            amount_fen=amount,
            note=note,
            today=today,
        )


def answer(
    container: Container, item_id: int, action: str, *, today: date = DECIDE_DAY, note: str | None = None
) -> None:
    with container.uow(operator()) as uow:
        service.answer(uow=uow, item_id=item_id, action=action, note=note, today=today)
