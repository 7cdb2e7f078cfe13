"""A simulated HIS for the interface tests: signed calls through the HTTP endpoint."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.settlement.helpers import CLINIC, HOSPITAL, World, build_world
from tests.settlement.test_pharmacy import PHARMACY, add_pharmacy
from yibao.bootstrap import Container
from yibao.core.clock import LOCAL_TZ
from yibao.core.security import SYSTEM
from yibao.interface import service
from yibao.interface.nhsa.gateway import signed_headers
from yibao.interface.nhsa.jsontext import dumps, loads

ENDPOINT = "/fsi/api/rsfComIfsService/callService"
_counter = itertools.count(1)


def issue(container: Container, fixmedins_code: str = HOSPITAL) -> tuple[str, str]:
    """A fresh (access_key, secret) for an institution."""
    with container.uow(SYSTEM) as uow:
        created = service.create_credential(
            uow=uow, fixmedins_code=fixmedins_code, secret_key=container.settings.secret_key
        )
    return created.credential.access_key, created.secret


def new_msgid(fixmedins_code: str = HOSPITAL) -> str:
    """fixmedins_code (12) + yyyyMMddHHmmss (14) + a 4-digit sequence: 30 characters."""
    return f"{fixmedins_code}{datetime.now(LOCAL_TZ):%Y%m%d%H%M%S}{next(_counter) % 10000:04d}"


@dataclass
class His:
    """One hospital system: its credential, its sign-in, and a way to call a transaction."""

    client: TestClient
    access_key: str
    secret: str
    fixmedins_code: str = HOSPITAL
    sign_no: str | None = None
    log: list[dict[str, Any]] = field(default_factory=list)

    def headers(self, **override: str) -> dict[str, str]:
        headers = signed_headers(
            access_key=self.access_key, secret=self.secret, now_ms=int(time.time() * 1000)
        )
        headers.update(override)
        return headers

    def envelope(
        self, infno: str, data: dict[str, Any], *, msgid: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "infno": infno,
            "msgid": msgid or new_msgid(self.fixmedins_code),
            "mdtrtarea_admvs": "439901",
            "insuplc_admdvs": "439901",
            "recer_sys_code": "FSI_LOCAL",
            "dev_no": "",
            "dev_safe_info": "",
            "cainfo": "",
            "signtype": "SM2",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "0001",
            "opter_name": "收费员",
            "inf_time": datetime.now(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            "fixmedins_code": self.fixmedins_code,
            "fixmedins_name": "示范市第一人民医院",
            "sign_no": self.sign_no or "",
            "input": data,
        }
        body.update(extra)
        return body

    def send(self, body: Any, *, headers: dict[str, str] | None = None) -> dict[str, Any]:
        text = body if isinstance(body, str | bytes) else dumps(body)
        response = self.client.post(ENDPOINT, content=text, headers=headers or self.headers())
        assert response.status_code == 200, response.text
        answer = loads(response.content)
        assert isinstance(answer, dict)
        self.log.append(answer)
        return answer

    def call(self, infno: str, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return self.send(self.envelope(infno, data, **kwargs))

    def ok(self, infno: str, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        answer = self.call(infno, data, **kwargs)
        assert answer["infcode"] == 0, answer["err_msg"]
        output = answer["output"]
        assert isinstance(output, dict)
        return output

    def refused(self, infno: str, data: dict[str, Any], code: str, **kwargs: Any) -> str:
        answer = self.call(infno, data, **kwargs)
        assert answer["infcode"] == -1, answer
        message = str(answer["err_msg"])
        assert message.startswith(f"[{code}]"), message
        return message

    def sign_in_now(self) -> str:
        out = self.ok("9001", {"signIn": {"opter_no": "0001", "mac": "00-11-22-33-44-55", "ip": "10.0.0.8"}})
        self.sign_no = str(out["signinoutb"]["sign_no"])
        return self.sign_no


def his_world(container: Container, client: TestClient, *, account_fen: int = 0) -> tuple[World, His]:
    """The settlement world, a credential for the hospital, and a signed-in HIS."""
    world = build_world(container, account_fen=account_fen)
    access_key, secret = issue(container)
    his = His(client, access_key, secret)
    his.sign_in_now()
    return world, his


def clinic_his(container: Container, client: TestClient) -> His:
    """A signed-in HIS for the clinic (another institution of the same region)."""
    access_key, secret = issue(container, CLINIC)
    his = His(client, access_key, secret, fixmedins_code=CLINIC)
    his.sign_in_now()
    return his


def fee_row(
    sn: str, mdtrt_id: str, psn_no: str, code: str, price: str, cnt: str = "1", **extra: Any
) -> dict[str, Any]:
    """A national fee line: price and total in yuan as text, as most HIS send them."""
    total = (Decimal(price) * Decimal(cnt)).quantize(Decimal("0.01"))
    row = {
        "feedetl_sn": sn,
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "chrg_bchno": "B1",
        "rx_circ_flag": "0",
        "fee_ocur_time": "2024-03-01 10:00:00",
        "med_list_codg": "",
        "medins_list_codg": code,
        "det_item_fee_sumamt": str(total),
        "cnt": cnt,
        "pric": price,
        "bilg_dept_codg": "A01",
        "bilg_dept_name": "内科",
        "bilg_dr_codg": "D001",
        "bilg_dr_name": "王医生",
        "hosp_appr_flag": "1",
    }
    row.update(extra)
    return row


def pharmacy_his(container: Container, client: TestClient) -> His:
    """A signed-in pharmacy system (示范大药房)."""
    add_pharmacy(container)
    access_key, secret = issue(container, PHARMACY)
    his = His(client, access_key, secret, fixmedins_code=PHARMACY)
    his.sign_in_now()
    return his
