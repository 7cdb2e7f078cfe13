"""Console pages of the interface: credentials issued and revoked, message log searched, reconciliations."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.interface.helpers import his_world
from tests.interface.scenario import register
from tests.settlement.helpers import HOSPITAL
from yibao.bootstrap import Container
from yibao.interface.models import Credential
from yibao.staff import service as staff


def _signed_in(client: TestClient, container: Container) -> TestClient:
    with container.uow() as uow:
        staff.ensure_admin(uow=uow, username="admin", password="admin-pass-123")
    client.post("/console/login", data={"username": "admin", "password": "admin-pass-123"})
    return client


def test_issue_revoke_and_read_the_message_log(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = register(his, world.worker)
    his.ok(
        "3201",
        {
            "data": {
                "clr_type": "11",
                "setl_optins": "439901",
                "stmt_begndate": "2024-03-01",
                "stmt_enddate": "2024-03-01",
                "medfee_sumamt": "1.00",
                "fund_pay_sumamt": "0",
                "acct_pay": "0",
                "fixmedins_setl_cnt": "1",
                "fixmedins_refd_setl_flag": "0",
            }
        },
    )
    client = _signed_in(app_client, container)
    assert HOSPITAL in client.get("/console/interface").text
    bad = client.post("/console/interface/credentials/new", data={"fixmedins_code": "H0"})
    assert bad.status_code == 404 and 'id="err-fixmedins_code"' in bad.text
    created = client.post("/console/interface/credentials/new", data={"fixmedins_code": HOSPITAL})
    assert created.status_code == 200 and 'id="secret"' in created.text
    with container.uow() as uow:
        keys = [c.access_key for c in uow.session.scalars(select(Credential).where(Credential.active))]
    assert len(keys) == 2
    client.post(f"/console/interface/credentials/{keys[-1]}/revoke")
    with container.uow() as uow:
        assert len(uow.session.scalars(select(Credential).where(Credential.active)).all()) == 1
    log = client.get("/console/interface/messages", params={"q": mdtrt_id}).text
    assert "2201" in log and mdtrt_id in log
    assert "<td>9001</td>" not in log and "<td>2201</td>" in log
    msgid = log.split("/console/interface/messages/")[1].split('"')[0]
    detail = client.get(f"/console/interface/messages/{msgid}").text
    assert 'id="response"' in detail and mdtrt_id in detail
    assert client.get("/console/interface/messages/none").status_code == 404
    recon = client.get("/console/interface/reconciliations").text
    assert "不平" in recon and "fixmedins_setl_cnt" in recon
    export = client.get("/console/interface/credentials/export.xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
