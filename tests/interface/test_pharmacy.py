"""Pharmacy purchase through the signed envelope: 2101 pre-settlement, 2102 settlement, 2103 reversal."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.interface.helpers import his_world, new_msgid, pharmacy_his
from tests.interface.scenario import drug_row, pharmacy, purchase_data
from tests.settlement.test_pharmacy import PHARMACY
from yibao.bootstrap import Container
from yibao.enrolment.models import Account
from yibao.settlement.models import FeeLine, Settlement, Visit

LINES = [drug_row("1", "YP001", "2.00", cnt="10"), drug_row("2", "YP002", "300.00")]


def _counts(container: Container) -> tuple[int, int, int]:
    with container.uow() as uow:
        return tuple(  # type: ignore[return-value]
            int(uow.session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Visit, FeeLine, Settlement)
        )


def test_pharmacy_purchase_flow(container: Container, app_client: TestClient) -> None:
    """Pharmacy purchase: 乙类 10 × 2.00 (cap 1.50) and 丙类 300.00; no fund for 41, the account pays
    the 1.50 first self-pay and the 13.50 in range, cash pays 300.00 + 5.00 over the cap."""
    world, _hospital = his_world(container, app_client, account_fen=10_000)
    his = pharmacy_his(container, app_client)
    out = pharmacy(his, world.worker)
    pre, setl = out["2101"]["setlinfo"], out["2102"]["setlinfo"]
    assert setl["medfee_sumamt"] == Decimal("320.00")
    assert (setl["acct_pay"], setl["psn_cash_pay"], setl["fund_pay_sumamt"]) == (
        Decimal("15.00"),
        Decimal("305.00"),
        Decimal("0.00"),
    )
    for name in ("medfee_sumamt", "acct_pay", "psn_cash_pay", "overlmt_selfpay", "preselfpay_amt"):
        assert pre[name] == setl[name], name
    assert setl["med_type"] == "41" and setl["clr_type"] == "41"
    assert str(setl["medins_setl_id"]).startswith(PHARMACY)  # the msgid of the 2102
    cut = {row["feedetl_sn"]: row for row in out["2102"]["detlcutinfo"]}
    assert cut["1"]["overlmt_amt"] == Decimal("5.00") and cut["1"]["preselfpay_amt"] == Decimal("1.50")
    assert cut["2"]["fulamt_ownpay_amt"] == Decimal("300.00") and cut["2"]["chrgitm_lv"] == "03"
    assert out["5203"]["setlinfo"]["setl_id"] == setl["setl_id"]
    undo = out["2103"]["setlinfo"]
    assert undo["medfee_sumamt"] == Decimal("-320.00") and undo["acct_pay"] == Decimal("-15.00")
    with container.uow() as uow:
        assert uow.session.scalars(select(Account)).one().balance == 10_000
        assert uow.session.scalars(select(Visit)).one().status == "cancelled"
    assert _counts(container) == (1, 2, 2)  # the pre-settlement stored nothing


def test_repeat_of_a_settlement_msgid_answers_the_first_and_settles_once(
    container: Container, app_client: TestClient
) -> None:
    world, _hospital = his_world(container, app_client, account_fen=10_000)
    his = pharmacy_his(container, app_client)
    msgid = new_msgid(PHARMACY)
    first = his.ok("2102", purchase_data(world.worker, LINES), msgid=msgid)
    again = his.ok("2102", purchase_data(world.worker, LINES), msgid=msgid)
    assert again == first
    assert _counts(container) == (1, 2, 1)


def test_refused_purchase_stores_nothing(container: Container, app_client: TestClient) -> None:
    world, _hospital = his_world(container, app_client)
    his = pharmacy_his(container, app_client)
    wrong_total = purchase_data(world.worker, LINES, medfee_sumamt="321.00")
    assert "input.druginfo.medfee_sumamt" in his.refused("2102", wrong_total, "MEDFEE_MISMATCH")
    twice = [drug_row("1", "YP001", "2.00"), drug_row("1", "YP002", "3.00")]
    his.refused("2102", purchase_data(world.worker, twice), "FEE_DUPLICATE_SN")
    no_policy = purchase_data(
        world.worker,
        [drug_row("1", "YP001", "2.00", fee_ocur_time="2023-03-01 10:00:00")],
        begntime="2023-03-01 10:00:00",
    )
    his.refused("2102", no_policy, "POLICY_MISSING")  # refused at the settle step, after registration
    his.refused("2102", purchase_data(world.worker, LINES, mdtrt_cert_type="09"), "DICT_CODE")
    his.refused("2102", purchase_data(world.worker, LINES, certno=""), "FIELD_REQUIRED")
    assert _counts(container) == (0, 0, 0)
    his.ok("2102", purchase_data(world.worker, LINES))  # the clean twin settles
    assert _counts(container) == (1, 2, 1)


def test_a_resident_buys_with_the_psn_type_1101_answers(container: Container, app_client: TestClient) -> None:
    """人员类别 psn_type: the spec's field is 3 characters long but its dictionary holds 城乡居民 1701, which
    1101 answers for a resident; a pharmacy sending back what 1101 answered settles. Too long is refused."""
    world, _hospital = his_world(container, app_client)
    his = pharmacy_his(container, app_client)
    person = his.ok("1101", {"data": {"mdtrt_cert_type": "02", "psn_no": world.resident}})
    psn_type = person["insuinfo"][0]["psn_type"]
    assert psn_type == "1701"
    his.refused("2102", purchase_data(world.resident, LINES, "390", psn_type="1701001"), "FIELD_LENGTH")
    assert _counts(container) == (0, 0, 0)
    setl = his.ok("2102", purchase_data(world.resident, LINES, "390", psn_type=psn_type))["setlinfo"]
    assert setl["medfee_sumamt"] == Decimal("320.00") and setl["psn_type"] == "1701"
    assert _counts(container) == (1, 2, 1)


def test_reversal_only_of_own_pharmacy_settlements(container: Container, app_client: TestClient) -> None:
    world, hospital = his_world(container, app_client)
    his = pharmacy_his(container, app_client)
    info = his.ok("2102", purchase_data(world.worker, LINES))["setlinfo"]
    keys = {"data": {"psn_no": world.worker, "setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"]}}
    hospital.refused("2103", keys, "VISIT_NOT_FOUND")
    hospital.refused("2208", keys, "VISIT_NOT_FOUND")
    his.ok("2103", keys)
    his.refused("2103", keys, "SETTLEMENT_REVERSED")


def test_a_sale_keeps_the_prescribing_doctor_and_the_days_each_drug_lasts(
    container: Container, app_client: TestClient
) -> None:
    """2102 drugdetail carries 开单医生 (bilg_dr_codg) and 周期天数 (prd_days): kept on the lines, where
    the monitoring of excessive supplies (超量开药) reads them."""
    world, _hospital = his_world(container, app_client, account_fen=10_000)
    his = pharmacy_his(container, app_client)
    rows = [drug_row("1", "YP001", "2.00", cnt="10", bilg_dr_codg="D110105000007", prd_days="10")]
    his.ok("2102", purchase_data(world.worker, rows))
    with container.uow() as uow:
        line = uow.session.scalars(select(FeeLine)).one()
    assert (line.bilg_dr_codg, line.prd_days) == ("D110105000007", Decimal("10.00"))
