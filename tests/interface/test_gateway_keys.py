"""The gateway keeps an active key in memory after its first call; a revocation still refuses at once
in this process, and within the recheck interval when another process revokes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from tests.interface.helpers import His, issue
from tests.settlement.helpers import build_world
from yibao.bootstrap import Container
from yibao.core.db import utcnow
from yibao.core.security import SYSTEM
from yibao.interface import lookup, service
from yibao.interface.models import Credential

_PERSON = {"psn_no": "nobody", "mdtrt_cert_type": "02", "mdtrt_cert_no": "nobody"}


def _signed_in(container: Container, app_client: TestClient) -> His:
    """The hospital of the settlement world with a key of its own, signed in."""
    access_key, secret = issue(container)
    his = His(app_client, access_key, secret)
    his.sign_in_now()
    return his


@pytest.fixture(autouse=True)
def _world(container: Container) -> None:
    build_world(container)


def _credential_reads(container: Container, his: His) -> int:
    """How many statements read the credentials table during one call."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "ifc_credential" in statement:
            seen.append(statement)

    event.listen(container.engine, "before_cursor_execute", record)
    try:
        his.call("1101", {"data": _PERSON})
    finally:
        event.remove(container.engine, "before_cursor_execute", record)
    return len(seen)


def test_a_key_is_read_once_and_then_served_from_memory(
    container: Container, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup.KEYS, "recheck_seconds", 3600.0)
    his = _signed_in(container, app_client)
    assert _credential_reads(container, his) == 0  # the sign-in already read it


def test_a_key_revoked_here_is_refused_on_the_next_call(
    container: Container, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup.KEYS, "recheck_seconds", 3600.0)  # no help from the recheck
    his = _signed_in(container, app_client)
    first = his.call("1101", {"data": _PERSON})
    assert not str(first["err_msg"] or "").startswith("[GATEWAY")  # past the gateway
    with container.uow(SYSTEM) as uow:
        service.revoke_credential(uow=uow, access_key=his.access_key)
    answer = his.send(his.envelope("1101", {"data": _PERSON}))
    assert answer["infcode"] == -1 and str(answer["err_msg"]).startswith("[GATEWAY_ACCESS_KEY]")


def test_a_key_revoked_by_another_process_is_refused_after_the_recheck(
    container: Container, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup.KEYS, "recheck_seconds", 0.0)  # compare with the stored rows every call
    his = _signed_in(container, app_client)
    other = _signed_in(container, app_client)  # the clean twin: its key stays active
    with container.engine.begin() as conn:  # as the CLI of another process would, behind this one's back
        conn.execute(
            update(Credential)
            .where(Credential.access_key == his.access_key)
            .values(active=False, revoked_at=utcnow())
        )
    answer = his.send(his.envelope("1101", {"data": _PERSON}))
    assert answer["infcode"] == -1 and str(answer["err_msg"]).startswith("[GATEWAY_ACCESS_KEY]")
    still = other.send(other.envelope("1101", {"data": _PERSON}))
    assert not str(still["err_msg"] or "").startswith("[GATEWAY")
