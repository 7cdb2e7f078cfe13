"""The endpoint and the envelope: signature, timestamp, institution, replay, untidy clients, refusals."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.interface.helpers import His, clinic_his, fee_row, his_world, new_msgid
from tests.settlement.helpers import HOSPITAL
from yibao.bootstrap import Container
from yibao.interface.models import Message
from yibao.settlement.models import FeeLine, Settlement, Visit


def _count(container: Container, model: Any) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _register(his: His, psn_no: str, **extra: Any) -> str:
    data = {
        "psn_no": psn_no,
        "insutype": "310",
        "begntime": "2024-03-01 09:00:00",
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": "x",
        "psn_cert_type": "01",
        "certno": "x",
        "psn_type": "11",
        "psn_name": "x",
        "ipt_otp_no": "MZ0001",
        "dept_code": "A01",
        "dept_name": "内科",
        "caty": "A03",
    }
    data.update(extra)
    return str(his.ok("2201", {"data": data})["data"]["mdtrt_id"])


def test_wrong_signature_is_refused_by_the_gateway(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    headers = his.headers(_api_signature="AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    answer = his.send(his.envelope("1101", {"data": {"psn_no": world.worker}}), headers=headers)
    assert answer["infcode"] == -1
    assert answer["err_msg"].startswith("[GATEWAY_SIGNATURE]")
    assert answer["output"] == {}


def test_stale_timestamp_is_refused(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    old = his.headers()
    stale = str(int(time.time() * 1000) - 31 * 60 * 1000)
    from yibao.interface.nhsa.gateway import signed_headers

    stale_headers = signed_headers(access_key=his.access_key, secret=his.secret, now_ms=int(stale))
    answer = his.send(his.envelope("1101", {"data": {"psn_no": world.worker}}), headers=stale_headers)
    assert answer["err_msg"].startswith("[GATEWAY_TIMESTAMP]")
    assert old["_api_timestamp"] != stale


def test_missing_header_and_unknown_key_are_refused(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    headers = his.headers()
    del headers["_api_access_key"]
    answer = his.send(his.envelope("1101", {"data": {"psn_no": world.worker}}), headers=headers)
    assert answer["err_msg"].startswith("[GATEWAY_HEADER_MISSING]")
    other = His(app_client, "AKunknown", his.secret)
    answer = other.send(other.envelope("1101", {"data": {"psn_no": world.worker}}))
    assert answer["err_msg"].startswith("[GATEWAY_ACCESS_KEY]")


def test_institution_acts_only_for_itself(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    body = his.envelope("1101", {"data": {"psn_no": world.worker}}, fixmedins_code="H43990100002")
    answer = his.send(body)
    assert answer["err_msg"].startswith("[AUTH_INSTITUTION]")


def test_another_institutions_visit_is_not_found(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = _register(his, world.worker)
    clinic = clinic_his(container, app_client)
    rows = [fee_row("1", mdtrt_id, world.worker, "YP001", "1.00")]
    message = clinic.refused("2204", {"feedetail": rows}, "VISIT_NOT_FOUND")
    assert "mdtrt_id" in message
    clinic.refused(
        "2202", {"data": {"mdtrt_id": mdtrt_id, "psn_no": world.worker, "ipt_otp_no": "1"}}, "VISIT_NOT_FOUND"
    )
    assert _count(container, FeeLine) == 0


def test_unknown_and_not_enabled_transactions(container: Container, app_client: TestClient) -> None:
    _world, his = his_world(container, app_client)
    assert "交易不存在或未开通" in his.refused("9999", {}, "INFNO_UNKNOWN")
    assert "patient_dtos" in his.refused("3101", {"data": {}}, "FIELD_NODE")  # served by monitoring
    assert "patient_dtos" in his.refused("3102", {"data": {}}, "FIELD_NODE")


def test_sign_in_is_required_and_sign_out_closes_it(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    sign_no = his.sign_no
    his.sign_no = None
    his.refused("1101", {"data": {"psn_no": world.worker}}, "SIGN_NO_INVALID")
    his.sign_no = sign_no
    out = his.ok("9002", {"signOut": {"sign_no": sign_no, "opter_no": "0001"}})
    assert out["signoutoutb"]["sign_time"]
    his.refused("1101", {"data": {"psn_no": world.worker}}, "SIGN_NO_INVALID")


def test_replayed_msgid_returns_the_first_answer_and_settles_once(
    container: Container, app_client: TestClient
) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = _register(his, world.worker)
    his.ok("2204", {"feedetail": [fee_row("1", mdtrt_id, world.worker, "ZL001", "30.00")]})
    data = {
        "data": {
            "psn_no": world.worker,
            "mdtrt_id": mdtrt_id,
            "medfee_sumamt": "30.00",
            "med_type": "11",
            "psn_setlway": "01",
            "chrg_bchno": "B1",
            "insutype": "310",
            "acct_used_flag": "0",
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": "x",
            "psn_cert_type": "01",
            "certno": "x",
            "fulamt_ownpay_amt": "0",
            "overlmt_selfpay": "0",
            "preselfpay_amt": "0",
            "inscp_scp_amt": "30",
        }
    }
    msgid = new_msgid()
    first = his.call("2207", data, msgid=msgid)
    second = his.call("2207", data, msgid=msgid)
    assert first["infcode"] == 0, first["err_msg"]
    assert second == first
    assert _count(container, Settlement) == 1
    other = his.call("2206", data, msgid=msgid)
    assert other["err_msg"].startswith("[MSGID_REUSED]")


def test_untidy_client_is_understood(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = _register(his, world.worker, card_sn="null", atddr_no="NULL", dept_code=12345)
    row = fee_row("1", mdtrt_id, world.worker, "ZL001", "12.345", cnt="2")
    row |= {"det_item_fee_sumamt": 24.69, "cnt": 2, "prd_days": "", "memo": None, "feedetl_sn": 1}
    body = his.envelope("2204", {"feedetail": row}, msgid=new_msgid()[:29], serv_code="X", serv_sign="Y")
    answer = his.send(body)
    assert answer["infcode"] == 0, answer["err_msg"]
    with container.uow() as uow:
        line = uow.session.scalars(select(FeeLine)).one()
        assert line.amount == 2469 and line.feedetl_sn == "1"
        assert line.pric == 1234.5
        visit = uow.session.scalars(select(Visit)).one()
        assert visit.dept_code == "12345" and visit.dr_code is None


def test_really_wrong_input_names_the_field_and_stores_nothing(
    container: Container, app_client: TestClient
) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = _register(his, world.worker)
    before = _count(container, Message)
    bad = [
        (
            {
                "feedetail": [
                    fee_row("1", mdtrt_id, world.worker, "ZL001", "1.00", det_item_fee_sumamt="1.001")
                ]
            },
            "MONEY_PRECISION",
            "det_item_fee_sumamt",
        ),
        (
            {"feedetail": [fee_row("1", mdtrt_id, world.worker, "ZL001", "1.00") | {"cnt": "abc"}]},
            "FIELD_NUMBER",
            "cnt",
        ),
        (
            {"feedetail": [fee_row("1", mdtrt_id, world.worker, "ZL001", "1.00", fee_ocur_time="yesterday")]},
            "FIELD_DATETIME",
            "fee_ocur_time",
        ),
        (
            {"feedetail": [fee_row("", mdtrt_id, world.worker, "ZL001", "1.00")]},
            "FIELD_REQUIRED",
            "feedetl_sn",
        ),
        ({"feedetail": "x"}, "FIELD_NODE", "feedetail"),
    ]
    for data, code, field in bad:
        message = his.refused("2204", data, code)
        assert field in message
    body = his.envelope("2204", {}, msgid="short")
    assert his.send(body)["err_msg"].startswith("[MSGID_LENGTH]")
    assert his.send(b"not json")["err_msg"].startswith("[ENVELOPE_FORMAT]")
    assert his.send(b"[1,2]")["err_msg"].startswith("[ENVELOPE_FORMAT]")
    assert _count(container, FeeLine) == 0
    assert _count(container, Message) == before


def test_the_message_log_keeps_the_first_answer(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    out = his.ok("1101", {"data": {"psn_no": world.worker}})
    assert out["baseinfo"]["psn_no"] == world.worker
    with container.uow() as uow:
        rows = uow.session.scalars(select(Message).where(Message.infno == "1101")).all()
    assert len(rows) == 1 and rows[0].psn_no == world.worker and rows[0].fixmedins_code == HOSPITAL
