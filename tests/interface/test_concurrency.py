"""Concurrent repeats of one msgid: one settlement, every caller gets the same first answer."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.interface.helpers import fee_row, his_world, new_msgid
from tests.interface.scenario import register, settle_data
from yibao.bootstrap import Container
from yibao.core.db import utcnow
from yibao.interface import service
from yibao.interface.nhsa.gateway import signed_headers
from yibao.interface.nhsa.jsontext import dumps, loads
from yibao.settlement.models import Settlement


def test_concurrent_repeats_settle_once(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = register(his, world.worker)
    his.ok("2204", {"feedetail": [fee_row("1", mdtrt_id, world.worker, "ZL001", "600.00")]})
    body = dumps(his.envelope("2207", settle_data(world.worker, mdtrt_id, "600.00"), msgid=new_msgid()))

    def call(_: int) -> dict[str, object]:
        headers = signed_headers(access_key=his.access_key, secret=his.secret, now_ms=int(time.time() * 1000))
        text = service.call_service(
            new_uow=container.uow,
            secret_key=container.settings.secret_key,
            headers=headers,
            body=body.encode(),
            now=utcnow(),
        )
        answer = loads(text)
        assert isinstance(answer, dict)
        return answer

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(call, range(8)))
    assert all(a["infcode"] == 0 for a in answers), [a["err_msg"] for a in answers]
    setl_ids = {a["output"]["setlinfo"]["setl_id"] for a in answers}  # type: ignore[index]
    assert len(setl_ids) == 1
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Settlement)) == 1
