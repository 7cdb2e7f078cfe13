"""Outpatient and inpatient flows through the signed envelope, cancellations and 冲正 by msgid."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.interface.helpers import fee_row, his_world, new_msgid
from tests.interface.scenario import admission, inpatient, outpatient, register, settle_data
from yibao.bootstrap import Container
from yibao.interface.models import Message
from yibao.settlement.models import FeeLine, Settlement, Visit

ACCOUNT_FEN = 10_000


def test_outpatient_flow_settles_and_reverses(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client, account_fen=ACCOUNT_FEN)
    out = outpatient(his, world.worker)
    assert out["1101"]["baseinfo"]["psn_no"] == world.worker
    assert out["2001"]["trtinfo"][0]["trt_enjymnt_flag"] == "1"
    pre, setl = out["2206"]["setlinfo"], out["2207"]["setlinfo"]
    assert setl["medfee_sumamt"] == Decimal("629.00")
    for name in ("medfee_sumamt", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "hifp_pay"):
        assert pre[name] == setl[name], name
    assert setl["fund_pay_sumamt"] + setl["psn_part_amt"] == setl["medfee_sumamt"]
    assert str(setl["medins_setl_id"]).startswith(his.fixmedins_code)  # the sender's msgid of the 2207
    assert out["2207"]["setldetail"] and setl["hifp_pay"] > 0
    assert sum(row["fund_payamt"] for row in out["2207"]["setldetail"]) == setl["fund_pay_sumamt"]
    assert all(row["fund_pay_type_name"] for row in out["2207"]["setldetail"])
    assert [r["feedetl_sn"] for r in out["5204"]["feedetail"]] == ["1", "2", "3"]
    assert out["5203"]["setlinfo"]["fixmedins_name"] == "示范市第一人民医院"
    reversal = out["2208"]["setlinfo"]
    assert reversal["medfee_sumamt"] == -setl["medfee_sumamt"]
    assert reversal["setl_id"] != setl["setl_id"]
    with container.uow() as uow:
        statuses = sorted(s.status for s in uow.session.scalars(select(Settlement)))
    assert statuses == ["reversal", "reversed"]


def test_inpatient_flow_settles_discharges_and_reverses(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    out = inpatient(his, world.worker)
    assert out["2303"]["setlinfo"]["fund_pay_sumamt"] == out["2304"]["setlinfo"]["fund_pay_sumamt"]
    assert out["2304"]["setlinfo"]["clr_type"] == "21"
    assert out["2305"]["setlinfo"]["medfee_sumamt"] == -out["2304"]["setlinfo"]["medfee_sumamt"]
    with container.uow() as uow:
        visit = uow.session.scalars(select(Visit)).one()
    assert visit.endtime is not None and visit.status == "discharged"


def test_medfee_sumamt_must_match_the_uploaded_lines(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = register(his, world.worker)
    his.ok("2204", {"feedetail": [fee_row("1", mdtrt_id, world.worker, "ZL001", "30.00")]})
    message = his.refused("2207", settle_data(world.worker, mdtrt_id, "31.00"), "MEDFEE_MISMATCH")
    assert "medfee_sumamt" in message
    with container.uow() as uow:
        assert uow.session.scalars(select(Settlement)).all() == []


def test_cancellations_of_fees_and_visits(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = register(his, world.worker)
    his.ok("2204", {"feedetail": [fee_row("1", mdtrt_id, world.worker, "ZL001", "30.00")]})
    his.ok("2204", {"feedetail": [fee_row("2", mdtrt_id, world.worker, "YP001", "1.00", chrg_bchno="B2")]})
    his.ok("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "B2", "psn_no": world.worker}})
    his.refused(
        "2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "B9", "psn_no": world.worker}}, "BATCH_UNKNOWN"
    )
    with container.uow() as uow:
        lines = {line.feedetl_sn: line.status for line in uow.session.scalars(select(FeeLine))}
    assert lines == {"1": "uploaded", "2": "cancelled"}
    his.ok("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "0000", "psn_no": world.worker}})
    his.ok("2202", {"data": {"mdtrt_id": mdtrt_id, "psn_no": world.worker, "ipt_otp_no": "MZ0001"}})
    inpatient_id = admission(his, world.worker)
    his.ok("2301", {"feedetail": [fee_row("1", inpatient_id, world.worker, "ZL001", "30.00")]})
    his.ok("2302", {"data": {"feedetl_sn": "1", "mdtrt_id": inpatient_id, "psn_no": world.worker}})
    his.refused("2405", {"data": {"mdtrt_id": inpatient_id, "psn_no": world.worker}}, "NOT_DISCHARGED")
    his.ok("2404", {"data": {"mdtrt_id": inpatient_id, "psn_no": world.worker}})
    with container.uow() as uow:
        assert {v.status for v in uow.session.scalars(select(Visit))} == {"cancelled"}


def test_reversal_by_original_msgid_undoes_a_settlement_once(
    container: Container, app_client: TestClient
) -> None:
    world, his = his_world(container, app_client)
    mdtrt_id = register(his, world.worker)
    his.ok("2204", {"feedetail": [fee_row("1", mdtrt_id, world.worker, "ZL001", "30.00")]})
    settle_msgid = new_msgid()
    his.ok("2207", settle_data(world.worker, mdtrt_id, "30.00"), msgid=settle_msgid)
    data = {"data": {"psn_no": world.worker, "omsgid": settle_msgid, "oinfno": "2207"}}
    out = his.ok("2601", data)
    assert out["setlinfo"]["medfee_sumamt"] == Decimal("-30.00")
    his.refused("2601", data, "ALREADY_REVERSED")
    his.refused(
        "2601", {"data": {"psn_no": world.worker, "omsgid": "x" * 30, "oinfno": "2207"}}, "ORIGINAL_NOT_FOUND"
    )
    with container.uow() as uow:
        original = uow.session.scalars(select(Message).where(Message.msgid == settle_msgid)).one()
        assert original.reversed_by is not None
        assert sorted(s.status for s in uow.session.scalars(select(Settlement))) == ["reversal", "reversed"]


def test_benefit_check_reports_a_missing_relation(container: Container, app_client: TestClient) -> None:
    world, his = his_world(container, app_client)
    data = {
        "psn_no": world.resident,
        "insutype": "310",
        "fixmedins_code": his.fixmedins_code,
        "med_type": "11",
        "begntime": "2024-03-01 09:00:00",
    }
    row = his.ok("2001", {"data": data})["trtinfo"][0]
    assert row["trt_enjymnt_flag"] == "0" and "310" in row["trt_chk_rslt"]
