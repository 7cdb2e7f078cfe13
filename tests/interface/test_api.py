"""REST administration of credentials and the message log: round trip, 422, regions, audit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import add_region, make_actor
from tests.interface.helpers import His, his_world
from tests.settlement.helpers import HOSPITAL
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.security import Role
from yibao.domain.errors import BusinessError
from yibao.interface import service
from yibao.interface.models import Credential


def test_credential_round_trip_and_a_signed_call(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    world, _his = his_world(container, app_client)
    created = app_client.post(
        "/api/v1/interface/credentials", json={"fixmedins_code": HOSPITAL}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"] and body["fixmedins_code"] == HOSPITAL
    his = His(app_client, body["access_key"], body["secret"])
    his.sign_in_now()
    assert his.ok("1101", {"data": {"psn_no": world.worker}})["baseinfo"]["psn_no"] == world.worker
    listed = app_client.get("/api/v1/interface/credentials", headers=admin_headers).json()
    assert listed["total"] == 2 and "secret" not in listed["items"][0]
    messages = app_client.get("/api/v1/interface/messages?infno=1101", headers=admin_headers).json()
    assert messages["total"] == 1
    msgid = messages["items"][0]["msgid"]
    detail = app_client.get(f"/api/v1/interface/messages/{msgid}", headers=admin_headers).json()
    assert '"infcode":0' in detail["response"]
    revoked = app_client.post(
        f"/api/v1/interface/credentials/{body['access_key']}/revoke", headers=admin_headers
    )
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    answer = his.call("1101", {"data": {"psn_no": world.worker}})
    assert answer["err_msg"].startswith("[GATEWAY_ACCESS_KEY]")
    with container.uow() as uow:
        actions = {a.action for a in uow.session.scalars(select(AuditEntry))}
    assert {"credential.create", "credential.revoke", "interface.sign_in"} <= actions


def test_bad_credential_input_is_422_with_the_field(
    container: Container, app_client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = app_client.post("/api/v1/interface/credentials", json={}, headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["field"] == "fixmedins_code"
    missing = app_client.post(
        "/api/v1/interface/credentials", json={"fixmedins_code": "H1"}, headers=admin_headers
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "INSTITUTION_NOT_FOUND"
    with container.uow() as uow:
        assert uow.session.scalars(select(Credential)).all() == []


def test_regions_are_isolated(container: Container, app_client: TestClient) -> None:
    his_world(container, app_client)
    add_region(container, "439902", "另一县")
    outsider = make_actor(Role.SUPERVISOR, regions=("439902",))
    with container.uow(outsider) as uow:
        assert service.list_credentials(uow=uow).total == 0
        assert service.list_messages(uow=uow).total == 0
        try:
            service.create_credential(uow=uow, fixmedins_code=HOSPITAL, secret_key="k" * 40)
        except BusinessError as exc:
            assert exc.code == "INSTITUTION_NOT_FOUND"
        else:
            raise AssertionError("a supervisor of another region issued a credential")
    clerk = make_actor(Role.INSTITUTION, institution_code=HOSPITAL)
    with container.uow(clerk) as uow:
        try:
            service.create_credential(uow=uow, fixmedins_code=HOSPITAL, secret_key="k" * 40)
        except BusinessError as exc:
            assert exc.code == "AUTH_FORBIDDEN"
        else:
            raise AssertionError("an institution operator issued itself a credential")


def test_a_sealed_secret_does_not_open_under_another_key() -> None:
    from yibao.interface.nhsa.gateway import GatewayError, seal, unseal

    sealed = seal("my-secret", "deployment-key-1" * 3)
    assert unseal(sealed, "deployment-key-1" * 3) == "my-secret"
    assert "my-secret" not in sealed
    try:
        unseal(sealed, "deployment-key-2" * 3)
    except GatewayError as exc:
        assert exc.code == "GATEWAY_SECRET_SEAL"
    else:
        raise AssertionError("a sealed secret opened under another key")
