"""One transaction per call: the gateway's reads, the business write and the message row commit
together; a repeat answers the first answer; a refusal at any point stores nothing."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from tests.interface.helpers import clinic_his, fee_row, his_world, new_msgid
from tests.interface.scenario import register, settle_data
from yibao.bootstrap import Container
from yibao.core.db import utcnow
from yibao.domain.errors import conflict
from yibao.interface import service
from yibao.interface.models import Message, SignIn
from yibao.interface.nhsa import registry
from yibao.interface.nhsa import settle as settle_handlers
from yibao.interface.nhsa.envelope import Call, Result
from yibao.interface.nhsa.gateway import signed_headers
from yibao.interface.nhsa.jsontext import dumps, loads, python_dumps
from yibao.interface.repository import InterfaceRepository
from yibao.settlement.models import Settlement, SettlementFund, Visit


def _count(container: Container, model: Any) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _registration(psn_no: str) -> dict[str, Any]:
    return {
        "data": {"psn_no": psn_no, "insutype": "310", "begntime": "2024-03-01 09:00:00", "ipt_otp_no": "M1"}
    }


def _direct(container: Container, access_key: str, secret: str, body: bytes) -> dict[str, Any]:
    """The call as the route serves it (call_service), from a thread of its own."""
    headers = signed_headers(access_key=access_key, secret=secret, now_ms=int(time.time() * 1000))
    text = service.call_service(
        new_uow=container.uow,
        secret_key=container.settings.secret_key,
        headers=headers,
        body=body,
        now=utcnow(),
    )
    answer = loads(text)
    assert isinstance(answer, dict)
    return answer


def test_a_call_is_one_transaction_with_one_commit(container: Container, app_client: TestClient) -> None:
    """2207 (settlement): the gateway's reads, the settlement and the message row in one commit."""
    world, his = his_world(container, app_client)
    mdtrt_id = register(his, world.worker)
    his.ok("2204", {"feedetail": [fee_row("1", mdtrt_id, world.worker, "ZL001", "30.00")]})
    commits: list[int] = []
    listener = lambda _conn: commits.append(1)  # noqa: E731
    event.listen(container.engine, "commit", listener)
    try:
        out = his.ok("2207", settle_data(world.worker, mdtrt_id, "30.00"))
    finally:
        event.remove(container.engine, "commit", listener)
    assert out["setlinfo"]["setl_id"]
    assert len(commits) == 1
    with container.uow() as uow:
        row = uow.session.scalars(select(Message).where(Message.infno == "2207")).one()
        assert row.setl_id == out["setlinfo"]["setl_id"]


def test_a_settlement_is_answered_from_what_it_wrote_with_no_rollback_and_no_read_back(
    container: Container, app_client: TestClient
) -> None:
    """2206 and 2207 read the visit with the person in one go and 2207 answers its funds as written:
    no ROLLBACK (it would make the driver drop every prepared statement of the connection), on
    PostgreSQL a fixed handful of statements, and the answer equals what is stored."""
    world, his = his_world(container, app_client)
    mdtrt_id = register(his, world.worker)
    his.ok("2204", {"feedetail": [fee_row("1", mdtrt_id, world.worker, "ZL001", "3000.00")]})
    data = settle_data(world.worker, mdtrt_id, "3000.00")
    rollbacks: list[int] = []
    statements: dict[str, list[str]] = {"2206": [], "2207": []}
    current = ["2206"]
    on_rollback = lambda _conn: rollbacks.append(1)  # noqa: E731

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements[current[0]].append(statement)

    event.listen(container.engine, "rollback", on_rollback)
    event.listen(container.engine, "before_cursor_execute", record)
    try:
        his.ok("2206", data)
        current[0] = "2207"
        out = his.ok("2207", data)
    finally:
        event.remove(container.engine, "rollback", on_rollback)
        event.remove(container.engine, "before_cursor_execute", record)
    assert rollbacks == []
    if container.engine.dialect.name == "postgresql":
        # gateway read; visit, person, relations; the settlement's five reads; its write; the message row
        assert len(statements["2207"]) == 11, statements["2207"]
        assert not any("setl_settlement_fund" in s.split("FROM", 1)[-1][:40] for s in statements["2207"])
    with container.uow() as uow:
        row = uow.session.scalars(
            select(Settlement).where(Settlement.setl_id == out["setlinfo"]["setl_id"])
        ).one()
        stored = uow.session.scalars(
            select(SettlementFund).where(SettlementFund.settlement_id == row.id).order_by(SettlementFund.id)
        ).all()
    assert [(d["fund_pay_type"], d["fund_payamt"]) for d in out["setldetail"]] == [
        (f.fund_pay_type, Decimal(f.amount) / 100) for f in stored
    ]
    assert stored and out["setlinfo"]["psn_no"] == world.worker and out["setlinfo"]["psn_name"]


def test_a_replay_after_the_merged_write_returns_the_first_answer(
    container: Container, app_client: TestClient
) -> None:
    world, his = his_world(container, app_client)
    msgid = new_msgid()
    first = his.call("2201", _registration(world.worker), msgid=msgid)
    again = his.call("2201", _registration(world.worker), msgid=msgid)
    assert first["infcode"] == 0, first["err_msg"]
    assert again == first
    assert _count(container, Visit) == 1
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).where(Message.msgid == msgid)) == 1
    # the clean twin: a new msgid opens a second visit
    his.ok("2201", _registration(world.worker))
    assert _count(container, Visit) == 2


def test_concurrent_repeats_of_a_registration_open_one_visit(
    container: Container, app_client: TestClient
) -> None:
    """A registration has no request id of its own: the message row committed with the visit is what
    makes a racing repeat answer the first visit instead of leaving a second one behind."""
    world, his = his_world(container, app_client)
    body = dumps(his.envelope("2201", _registration(world.worker), msgid=new_msgid())).encode()
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: _direct(container, his.access_key, his.secret, body), range(8)))
    assert all(a["infcode"] == 0 for a in answers), [a["err_msg"] for a in answers]
    assert len({a["output"]["data"]["mdtrt_id"] for a in answers}) == 1
    assert _count(container, Visit) == 1


def test_a_refusal_after_the_settlement_was_written_stores_nothing(
    container: Container, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settlement service commits inside 2207; a refusal later in the same call (here: building
    the answer) rolls the settlement back with it, so the HIS never holds a refusal for a settlement
    that stayed. The same msgid then settles normally."""
    world, his = his_world(container, app_client)
    mdtrt_id = register(his, world.worker)
    his.ok("2204", {"feedetail": [fee_row("1", mdtrt_id, world.worker, "ZL001", "30.00")]})
    messages = _count(container, Message)

    def refuse(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        raise conflict("ANSWER_REFUSED", "应答无法生成（测试）", "output")

    monkeypatch.setattr(settle_handlers, "settlement_output", refuse)
    msgid = new_msgid()
    data = settle_data(world.worker, mdtrt_id, "30.00")
    assert his.refused("2207", data, "ANSWER_REFUSED", msgid=msgid)
    assert _count(container, Settlement) == 0
    assert _count(container, Message) == messages
    with container.uow() as uow:
        visit = uow.session.scalars(select(Visit).where(Visit.mdtrt_id == mdtrt_id)).one()
        assert visit.status == "open"
    monkeypatch.undo()
    out = his.ok("2207", data, msgid=msgid)
    assert out["setlinfo"]["medins_setl_id"] == msgid
    assert _count(container, Settlement) == 1


def test_a_message_row_that_cannot_be_stored_takes_the_business_write_with_it(
    container: Container, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, his = his_world(container, app_client)
    messages = _count(container, Message)

    def broken(self: InterfaceRepository, values: dict[str, object]) -> None:
        raise RuntimeError("message log unavailable")

    monkeypatch.setattr(InterfaceRepository, "add_message", broken)
    answer = his.call("2201", _registration(world.worker))
    assert answer["infcode"] == -1 and answer["err_msg"].startswith("[SYSTEM_ERROR]")
    assert _count(container, Visit) == 0
    assert _count(container, Message) == messages


def test_a_rollback_after_a_commit_in_a_call_answers_system_error_and_stores_nothing(
    container: Container, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step that commits and later rolls back would lose work it believes kept: refused whole."""
    world, his = his_world(container, app_client)
    sign_ins = _count(container, SignIn)

    def commit_then_rollback(call: Call) -> Result:
        with call.uow() as uow:
            uow.session.add(
                SignIn(
                    sign_no="LOST0001",
                    fixmedins_code=call.fixmedins_code,
                    admdvs=call.admdvs,
                    opter_no="0001",
                    mac="-",
                    ip="-",
                    sign_time=call.now,
                    signed_out_at=None,
                )
            )
            uow.commit()
            uow.rollback()
        return Result({})

    def commit_only(call: Call) -> Result:
        with call.uow() as uow:
            uow.session.add(
                SignIn(
                    sign_no="KEPT0001",
                    fixmedins_code=call.fixmedins_code,
                    admdvs=call.admdvs,
                    opter_no="0001",
                    mac="-",
                    ip="-",
                    sign_time=call.now,
                    signed_out_at=None,
                )
            )
            uow.commit()
        return Result({})

    monkeypatch.setitem(registry.HANDLERS, "1101", commit_then_rollback)
    answer = his.call("1101", {"data": {"psn_no": world.worker}})
    assert answer["err_msg"].startswith("[SYSTEM_ERROR]")
    assert _count(container, SignIn) == sign_ins
    # the clean twin: committing without a rollback keeps the row with the message
    monkeypatch.setitem(registry.HANDLERS, "1101", commit_only)
    assert his.call("1101", {"data": {"psn_no": world.worker}})["infcode"] == 0
    assert _count(container, SignIn) == sign_ins + 1


@pytest.mark.database_free
def test_answers_are_written_by_orjson_exactly_as_the_python_writer() -> None:
    values: list[Any] = [
        {"medfee_sumamt": Decimal("12.30"), "cnt": Decimal("1E+2"), "pric": Decimal("0.000001")},
        {"nested": [1, '中文\n"引号"', None, True, False, (1, 2)], 7: "int key"},
        {"day": date(2024, 3, 1), "at": datetime(2024, 3, 1, 9, 30)},
        {"big": 10**30, "neg": Decimal("-0.00")},
    ]
    for value in values:
        assert dumps(value) == python_dumps(value)
    assert dumps({"a": Decimal("12.30")}) == '{"a":12.30}'


def test_the_gateway_read_refuses_another_institutions_or_a_closed_sign_in(
    container: Container, app_client: TestClient
) -> None:
    """The msgid and the sign-in come from one statement: a sign_no of another institution, an
    unknown one and a signed-out one are refused (nothing stored); the hospital's own open one serves."""
    world, his = his_world(container, app_client)
    clinic = clinic_his(container, app_client)
    own = his.sign_no
    messages = _count(container, Message)
    his.sign_no = clinic.sign_no
    his.refused("1101", {"data": {"psn_no": world.worker}}, "SIGN_NO_INVALID")
    his.sign_no = "NO-SUCH-SIGN-IN"
    his.refused("1101", {"data": {"psn_no": world.worker}}, "SIGN_NO_INVALID")
    assert _count(container, Message) == messages
    his.sign_no = own
    assert his.ok("1101", {"data": {"psn_no": world.worker}})["baseinfo"]["psn_no"] == world.worker
    clinic.ok("9002", {"signOut": {"sign_no": clinic.sign_no, "opter_no": "0001"}})
    clinic.refused("1101", {"data": {"psn_no": world.worker}}, "SIGN_NO_INVALID")
