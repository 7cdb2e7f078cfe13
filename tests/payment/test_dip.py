"""DIP (按病种分值付费) as an online clearing method: worked examples by hand named after the clause,
then the clearing service over settlements (monthly pre-settlement by the budget point value,
quarterly settlement, annual clearing by the settlement point value)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from tests.settlement.helpers import CLINIC, HOSPITAL, World, at, build_world, fee, open_visit, request_id
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain import dip
from yibao.domain.errors import BusinessError
from yibao.payment import service
from yibao.payment.models import Clearing
from yibao.settlement import service as settlement
from yibao.settlement.models import Settlement

REGION = "439901"

# -- worked example by hand --------------------------------------------------------------------
# History 2023 (only year with cases, so the 1:2:7 weights reduce to that year):
#   K35.200 × 2 at 1,000.00 yuan, I63.900 × 2 at 3,000.00, J18.900 × 1 at 2,000.00
#   overall average = 10,000.00 / 5 = 2,000.00 yuan = 200,000 fen
#   scores: K35.2|保守治疗 = 1,000/2,000 × 100 = 50; I63.9|保守治疗 = 150; J18|保守治疗 (综合) = 100
#   expected points (the 2023 cases) = 50 + 50 + 150 + 150 + 100 = 500
# Budget 2024 = 10,000.00 yuan → 预算点值 = 1,000,000 / 500 = 2,000 fen per point.
HISTORY = [
    dip.HistoryCase(2023, "K35.200", None, 100_000),
    dip.HistoryCase(2023, "K35.200", None, 100_000),
    dip.HistoryCase(2023, "I63.900", None, 300_000),
    dip.HistoryCase(2023, "I63.900", None, 300_000),
    dip.HistoryCase(2023, "J18.900", None, 200_000),
]
# 2024 cases:
#   H1 K35.200 cost 1,000.00 (ratio 1, normal): 50 points; own share 200.00
#   H1 I63.900 cost 7,000.00 (ratio 7/3 > 2, high): ((7/3 − 2) + 1) × 150 = 200 points; own 1,000.00
#   H2 I63.900 cost 1,200.00 (ratio 0.4 < 0.5, low): 150 × 0.4 = 60 × level 0.9 = 54 points; own 300.00
#   H2 A00.000 no packet: 1,000.00 / 2,000.00 × 100 = 50 points; own 100.00
# H1 = 250 points, own 1,200.00; H2 = 104 points, own 400.00; actual points 354.
CASES_2024 = [
    dip.SettledDipCase("H1", "K35.200", None, 100_000, 20_000),
    dip.SettledDipCase("H1", "I63.900", None, 700_000, 100_000),
    dip.SettledDipCase("H2", "I63.900", None, 120_000, 30_000, Decimal("0.9")),
    dip.SettledDipCase("H2", "A00.000", None, 100_000, 10_000, Decimal("0.9")),
]


@pytest.fixture
def table() -> dip.PacketTable:
    return dip.build_packets(HISTORY, year=2024, threshold=2)


@pytest.mark.database_free
def test_clause_budget_point_value_from_budget_and_expected_points(table: dip.PacketTable) -> None:
    """预算点值 = 年度预算 ÷ 预计总分值: 1,000,000 fen ÷ 500 points = 2,000 fen per point."""
    history_2023 = [dip.SettledDipCase("H", c.diag_code, None, c.total_fen, 0) for c in HISTORY]
    expected = dip.expected_points(table, history_2023)
    assert expected == Decimal("500.0000")
    assert dip.budget_point_value(budget_fen=1_000_000, expected_points=expected) == 2000


@pytest.mark.database_free
def test_clause_monthly_pre_settlement_by_the_budget_point_value(table: dip.PacketTable) -> None:
    """月度预结算 = Σ 病例分值 × 预算点值 − 参保人自付: H1 250 × 2,000 − 120,000 = 380,000 fen;
    H2 104 × 2,000 − 40,000 = 168,000 fen."""
    out = {a.fixmedins_code: a for a in dip.clear_period(table, CASES_2024, Decimal(2000))}
    assert out["H1"].points == 250 and out["H2"].points == 104
    assert (out["H1"].amount_fen, out["H1"].own_fen, out["H1"].fund_fen) == (500_000, 120_000, 380_000)
    assert (out["H2"].amount_fen, out["H2"].own_fen, out["H2"].fund_fen) == (208_000, 40_000, 168_000)
    assert out["H1"].categories == {"normal": 1, "high": 1}
    assert out["H2"].categories == {"low": 1, "unmatched": 1}


@pytest.mark.database_free
def test_clause_annual_clearing_by_the_settlement_point_value(table: dip.PacketTable) -> None:
    """结算点值 = 清算总额 ÷ 年度实际总分值: 531,000 ÷ 354 = 1,500 fen per point; H1 250 × 1,500 −
    120,000 = 255,000; H2 104 × 1,500 − 40,000 = 116,000; the amounts share out the whole budget."""
    actual = sum((a.points for a in dip.clear_period(table, CASES_2024, Decimal(1))), Decimal(0))
    assert actual == 354
    pv = dip.settlement_point_value(cleared_budget_fen=531_000, actual_points=actual)
    assert pv == 1500
    out = {a.fixmedins_code: a for a in dip.clear_period(table, CASES_2024, pv)}
    assert out["H1"].fund_fen == 255_000 and out["H2"].fund_fen == 116_000
    assert out["H1"].amount_fen + out["H2"].amount_fen == 531_000


# -- the clearing service over settlements ------------------------------------------------------

DIAGNOSES = ["I63.900", "K35.200", "E10.000"]


def _inpatient(container: Container, psn_no: str, institution: str, settled: datetime, n: int) -> str:
    day = "2024-01-05"
    mdtrt_id = open_visit(container, psn_no, institution=institution, day=day, diagnoses=[DIAGNOSES[n % 3]])
    with container.uow(SYSTEM) as uow:
        settlement.upload_fees(
            uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", f"{1500 + 700 * n}.00", day=day)]
        )
    with container.uow(SYSTEM) as uow:
        settlement.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=at(day) + timedelta(days=5))
    with container.uow(SYSTEM) as uow:
        setl_id = settlement.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id()).setl_id
    with container.uow(SYSTEM) as uow:
        uow.session.execute(
            update(Settlement).where(Settlement.setl_id == setl_id).values(settled_at=settled)
        )
        uow.commit()
    return setl_id


DIP_TERMS = {"budget_fen": 2_000_000, "cleared_budget_fen": 1_800_000, "threshold": 1}


@pytest.fixture
def dip_year(container: Container) -> World:
    world = build_world(container)
    with container.uow(SYSTEM) as uow:
        service.set_method(uow=uow, admdvs=REGION, method="dip", params=DIP_TERMS, begin=date(2023, 1, 1))
        service.set_method(
            uow=uow,
            admdvs=REGION,
            fixmedins_code=CLINIC,
            method="dip",
            params={**DIP_TERMS, "level_coef": "0.8"},
            begin=date(2023, 1, 1),
        )
    for n in range(6):  # history: settled in 2023
        who = world.worker if n % 2 else world.resident
        _inpatient(container, who, HOSPITAL if n < 4 else CLINIC, datetime(2023, 3 + n, 10, tzinfo=UTC), n)
    for n in range(6):  # the year cleared
        who = world.worker if n % 2 else world.resident
        month = 1 + n % 3
        _inpatient(
            container, who, CLINIC if n % 2 else HOSPITAL, datetime(2024, month, 20, tzinfo=UTC), n + 1
        )
    return world


def test_dip_clears_months_quarter_and_year_online(container: Container, dip_year: World) -> None:
    """The region's DIP terms: packets from the 2023 settlements, 预算点值 for months and the
    quarter, 结算点值 for the year; the clinic's own row adds level coefficient 0.8 in the same pool;
    the year's amounts share out the cleared budget to the fen and every run reconciles."""
    ref = container.settings.reference_dir
    with container.uow(SYSTEM) as uow:
        for m in (1, 2, 3):
            service.run_clearing(
                uow=uow,
                admdvs=REGION,
                period_kind="month",
                period=f"2024-{m:02d}",
                reference_dir=ref,
                deductions={},
            )
        quarter = service.run_clearing(
            uow=uow, admdvs=REGION, period_kind="quarter", period="2024Q1", reference_dir=ref, deductions={}
        )
        annual = service.run_clearing(
            uow=uow, admdvs=REGION, period_kind="year", period="2024", reference_dir=ref, deductions={}
        )
    with container.uow(SYSTEM) as uow:
        for run in service.list_clearings(uow=uow, admdvs=REGION):
            assert service.reconcile(uow=uow, clearing_id=run.id).balanced, run.period
        _, q_lines, _ = service.get_clearing(uow=uow, clearing_id=quarter.id)
        _, y_lines, _ = service.get_clearing(uow=uow, clearing_id=annual.id)
        q = {line.fixmedins_code: json.loads(line.detail)["dip"] for line in q_lines}
        y = {line.fixmedins_code: json.loads(line.detail)["dip"] for line in y_lines}
        assert {line.method for line in y_lines} == {"dip"}
        assert q[HOSPITAL]["point_value_kind"] == "预算点值" and y[HOSPITAL]["point_value_kind"] == "结算点值"
        # one pool: the same point value for both institutions
        assert q[HOSPITAL]["point_value"] == q[CLINIC]["point_value"]
        assert y[HOSPITAL]["point_value"] == y[CLINIC]["point_value"]
        # 预算点值 = budget ÷ the 2023 cases' points
        assert Decimal(q[HOSPITAL]["budget_point_value"]) == (
            Decimal(2_000_000) / Decimal(q[HOSPITAL]["expected_points"])
        ).quantize(Decimal("0.000001"))
        # the year's amounts (points × 结算点值, rounded once each) share out the cleared budget
        shared = sum(d["amount_fen"] for d in y.values())
        assert abs(shared - 1_800_000) <= len(y)
        # method amount = outpatient (none here) + points × point value − the insured's share
        for line in y_lines:
            d = y[line.fixmedins_code]
            assert line.method_amount == d["amount_fen"] - d["own_fen"]
            assert sum(d["categories"].values()) == 3
        # months, quarter and year telescope: all orders = the annual method amount
        paid: dict[str, int] = {}
        for run in service.list_clearings(uow=uow, admdvs=REGION):
            for order in service.get_clearing(uow=uow, clearing_id=run.id)[2]:
                paid[order.fixmedins_code] = paid.get(order.fixmedins_code, 0) + order.amount
        assert paid == {line.fixmedins_code: line.method_amount for line in y_lines}


def test_dip_terms_are_checked_and_no_history_refuses_the_clearing(container: Container) -> None:
    """A DIP row needs a positive budget and a threshold ≥ 1; without three years of history the
    packets cannot be scored (DIP_NO_HISTORY) and the clearing stores nothing."""
    world = build_world(container)
    with container.uow(SYSTEM) as uow:
        for params, code in (
            ({}, "PAYMENT_PARAM_MISSING"),
            ({"budget_fen": 0}, "PAYMENT_PARAM_INT"),
            ({"budget_fen": 100, "threshold": 0}, "PAYMENT_PARAM_INT"),
            ({"budget_fen": 100, "expected_points": "-3"}, "PAYMENT_PARAM_NUMBER"),
            ({"budget_fen": 100, "expected_points": 5.5}, "PAYMENT_PARAM_NUMBER"),
        ):
            with pytest.raises(BusinessError) as err:
                service.set_method(
                    uow=uow, admdvs=REGION, method="dip", params=params, begin=date(2024, 1, 1)
                )
            assert err.value.code == code, params
            assert "params." in err.value.message
        service.set_method(uow=uow, admdvs=REGION, method="dip", params=DIP_TERMS, begin=date(2024, 1, 1))
    _inpatient(container, world.worker, HOSPITAL, datetime(2024, 2, 20, tzinfo=UTC), 0)
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
        service.run_clearing(
            uow=uow,
            admdvs=REGION,
            period_kind="month",
            period="2024-02",
            reference_dir=container.settings.reference_dir,
            deductions={},
        )
    assert err.value.code == "DIP_NO_HISTORY"
    with container.uow(SYSTEM) as uow:
        assert uow.session.scalars(select(Clearing)).all() == []
