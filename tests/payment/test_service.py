"""Payment use cases: tables as versions, methods per institution and period, grouping, and the
clearing of a generated year that reconciles to the fen with settlements and deductions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import make_actor
from tests.settlement.helpers import CLINIC, HOSPITAL, World, at, build_world, fee, open_visit, request_id
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Role
from yibao.domain.drg import GroupCase
from yibao.domain.errors import BusinessError
from yibao.payment import service
from yibao.payment.models import PaymentTableRow
from yibao.settlement import service as settlement
from yibao.settlement.models import Settlement

REGION = "439901"


def _load(container: Container, name: str = "北京2022", begin: date = date(2024, 1, 1)) -> int:
    path = container.settings.reference_dir / "drg-payment" / "北京2022.csv"
    with container.uow(SYSTEM) as uow:
        table = service.load_table(
            uow=uow,
            admdvs=REGION,
            name=name,
            text=path.read_text("utf-8"),
            begin=begin,
            end=date(2024, 12, 31),
        )
        return table.id


def test_a_table_loads_as_a_version_and_overlaps_are_refused(container: Container) -> None:
    table_id = _load(container)
    with container.uow(SYSTEM) as uow:
        rows = service.table_rows(uow=uow, table_id=table_id, q="BR25")
        assert [r.drg_code for r in rows] == ["BR25"]
        audit = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.table.load"))
        assert audit is not None
    with pytest.raises(BusinessError) as err:
        _load(container, begin=date(2024, 6, 1))
    assert err.value.code == "PAYMENT_TABLE_OVERLAP"
    with container.uow(SYSTEM) as uow:
        assert len(list(uow.session.scalars(select(PaymentTableRow)))) == 696  # nothing more stored


def test_all_27_reference_tables_load_for_a_region(container: Container) -> None:
    with container.uow(SYSTEM) as uow:
        loaded = service.load_reference_tables(
            uow=uow, admdvs=REGION, reference_dir=container.settings.reference_dir
        )
    assert len(loaded) == 27
    with container.uow(SYSTEM) as uow:
        rates = service.rates_in_force(uow=uow, admdvs=REGION, name="常州2022", on=date(2022, 7, 1))
        assert rates["ES25"].base_rate == {"*/310": 1151900, "*/390": 984900}
        with pytest.raises(BusinessError):
            service.rates_in_force(uow=uow, admdvs=REGION, name="常州2022", on=date(2023, 7, 1))


def test_group_case_with_rw_and_payment(container: Container) -> None:
    _load(container)
    with container.uow(SYSTEM) as uow:
        outcome = service.group_case(
            uow=uow,
            reference_dir=container.settings.reference_dir,
            case=GroupCase("c1", "1", 65, diag_codes=("I63.900",), ipt_days=8),
            admdvs=REGION,
            table="北京2022",
            on=date(2024, 5, 1),
            total_fen=1_000_000,
        )
    assert outcome.result.drg == "BR25"
    assert outcome.rw is not None
    assert outcome.payment is not None and outcome.payment.standard_fen > 0


def test_methods_are_validated_and_periods_do_not_overlap(container: Container) -> None:
    with container.uow(SYSTEM) as uow:
        service.set_method(
            uow=uow,
            admdvs=REGION,
            fixmedins_code=HOSPITAL,
            method="global_budget",
            params={"per_case_quota_fen": 800_000, "admission_cap": 1000, "share_over": "0.3"},
            begin=date(2024, 1, 1),
        )
    for method, params, code in [
        ("drg", {"table": "北京2022"}, "PAYMENT_PARAM_MISSING"),
        ("barter", {}, "PAYMENT_METHOD"),
        ("global_budget", {"per_case_quota_fen": 1.5, "admission_cap": 1}, "PAYMENT_PARAM_INT"),
        (
            "global_budget",
            {"per_case_quota_fen": 1, "admission_cap": 1, "share_over": "1.5"},
            "PAYMENT_PARAM_RATIO",
        ),
    ]:
        with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
            service.set_method(uow=uow, admdvs=REGION, method=method, params=params, begin=date(2024, 1, 1))
        assert err.value.code == code
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
        service.set_method(
            uow=uow,
            admdvs=REGION,
            fixmedins_code=HOSPITAL,
            method="fee_for_service",
            params={},
            begin=date(2024, 6, 1),
        )
    assert err.value.code == "PAYMENT_METHOD_OVERLAP"


def test_clerk_reads_but_may_not_run_a_clearing_or_touch_another_region(container: Container) -> None:
    clerk = make_actor(Role.CLERK)
    with container.uow(clerk) as uow:
        assert service.list_clearings(uow=uow) == []
        with pytest.raises(BusinessError) as err:
            service.run_clearing(
                uow=uow,
                admdvs=REGION,
                period_kind="month",
                period="2024-01",
                reference_dir=container.settings.reference_dir,
            )
        assert err.value.kind.value == "forbidden"
    analyst = make_actor(Role.ANALYST)
    with container.uow(analyst) as uow, pytest.raises(BusinessError) as err:
        service.set_method(
            uow=uow, admdvs="110101", method="fee_for_service", params={}, begin=date(2024, 1, 1)
        )
    assert err.value.code == "AUTH_REGION"


# ---------------------------------------------------------------------------- a generated year

DIAGNOSES = ["I63.900", "J44.900|J96.000", "E10.000", "N18.500|J18.900", "C81.000", "K35.200"]


def _inpatient(container: Container, psn_no: str, institution: str, month: int, n: int) -> str:
    day = f"2024-{month:02d}-{3 + n:02d}"
    mdtrt_id = open_visit(
        container,
        psn_no,
        institution=institution,
        day=day,
        diagnoses=DIAGNOSES[(month + n) % len(DIAGNOSES)].split("|"),
    )
    with container.uow(SYSTEM) as uow:
        settlement.upload_fees(
            uow=uow,
            mdtrt_id=mdtrt_id,
            fees=[
                fee("1", "ZL001", f"{2000 + 500 * n + 97 * month}.00", day=day),
                fee("2", "YP001", "2.00", cnt="10", day=day),
            ],
        )
    with container.uow(SYSTEM) as uow:
        settlement.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=at(day) + timedelta(days=4 + n))
    with container.uow(SYSTEM) as uow:
        row = settlement.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
        setl_id = row.setl_id
    with container.uow(SYSTEM) as uow:  # the settlement happened on the day of discharge
        uow.session.execute(
            update(Settlement)
            .where(Settlement.setl_id == setl_id)
            .values(settled_at=datetime(2024, month, 20, 2, tzinfo=UTC))
        )
        uow.commit()
    return setl_id


@pytest.fixture
def year(container: Container) -> World:
    world = build_world(container)
    _load(container)
    with container.uow(SYSTEM) as uow:
        service.set_method(
            uow=uow,
            admdvs=REGION,
            fixmedins_code=HOSPITAL,
            method="drg",
            params={"table": "北京2022", "base_rate_fen": 1_500_000, "prepay_ratio": "0.9"},
            begin=date(2024, 1, 1),
        )
        service.set_method(
            uow=uow,
            admdvs=REGION,
            fixmedins_code=CLINIC,
            method="global_budget",
            params={
                "per_case_quota_fen": 150_000,
                "admission_cap": 3,
                "share_over": "0.3",
                "max_admissions_per_person": "1.10",
            },
            begin=date(2024, 1, 1),
        )
    for month in range(1, 13):
        _inpatient(container, world.worker, HOSPITAL, month, 0)
        if month % 3 == 0:
            _inpatient(container, world.resident, CLINIC, month, 1)
    # one reversal in May: both rows stay in the period and net to zero
    with container.uow(SYSTEM) as uow:
        may = uow.session.scalars(select(Settlement).where(Settlement.fixmedins_code == HOSPITAL)).all()[4]
        reversed_id = may.setl_id
    with container.uow(SYSTEM) as uow:
        settlement.reverse(uow=uow, setl_id=reversed_id, request_id=request_id())
    with container.uow(SYSTEM) as uow:
        uow.session.execute(
            update(Settlement)
            .where(Settlement.init_setl_id == reversed_id)
            .values(settled_at=datetime(2024, 5, 25, tzinfo=UTC))
        )
        uow.commit()
    return world


def test_clearing_a_generated_year_reconciles_to_the_fen(container: Container, year: World) -> None:
    """月预拨 each month, 季度结算 each quarter, 年度清算: every run balances with the settlements and
    the deductions, and the year's orders add up to the annual amount minus the sharing."""
    deductions = {HOSPITAL: 12_345, CLINIC: 0}
    ref = container.settings.reference_dir
    with container.uow(SYSTEM) as uow:
        for month in range(1, 13):
            service.run_clearing(
                uow=uow,
                admdvs=REGION,
                period_kind="month",
                period=f"2024-{month:02d}",
                reference_dir=ref,
                deductions={HOSPITAL: 1_000} if month == 2 else {},
            )
        for q in range(1, 5):
            service.run_clearing(
                uow=uow,
                admdvs=REGION,
                period_kind="quarter",
                period=f"2024Q{q}",
                reference_dir=ref,
                deductions={},
            )
        annual = service.run_clearing(
            uow=uow,
            admdvs=REGION,
            period_kind="year",
            period="2024",
            reference_dir=ref,
            deductions=deductions,
        )
    with container.uow(SYSTEM) as uow:
        for clearing in service.list_clearings(uow=uow, admdvs=REGION):
            check = service.reconcile(uow=uow, clearing_id=clearing.id)
            assert check.balanced, (clearing.period, check)
        _, lines, orders = service.get_clearing(uow=uow, clearing_id=annual.id)
        settled = uow.session.scalars(select(Settlement)).all()
        assert sum(line.declared for line in lines) == sum(s.fund_pay_sumamt for s in settled)
        assert {line.fixmedins_code: line.deducted for line in lines} == deductions
        by_code = {line.fixmedins_code: line for line in lines}
        # the year's payments (months + quarters + the annual order) = annual amount − sharing
        all_orders: dict[str, int] = {}
        for clearing in service.list_clearings(uow=uow, admdvs=REGION):
            for order in service.get_clearing(uow=uow, clearing_id=clearing.id)[2]:
                all_orders[order.fixmedins_code] = all_orders.get(order.fixmedins_code, 0) + order.amount
        for code, line in by_code.items():
            assert all_orders[code] == line.method_amount - line.sharing, code
        # the clinic's 4 admissions exceed its cap of 3: one quarter of its inpatient fund is not recognised
        clinic = by_code[CLINIC]
        assert clinic.method == "global_budget"
        budget = json.loads(clinic.detail)["budget"]
        assert budget["recognised_admissions"] == 3 and budget["budget_fen"] == 450_000
        assert budget["institution_share_fen"] == clinic.sharing
        # 4 admissions of 1 person: 人次人头比 4.0 above 1.10
        assert json.loads(clinic.detail)["indicators"] == [
            {"name": "人次人头比", "value": "4", "limit": "1.10", "passed": False}
        ]
        hospital = by_code[HOSPITAL]
        assert hospital.method == "drg"
        assert sum(o.amount for o in orders) == sum(line.payable for line in lines)
        assert service.statement_xlsx(uow=uow, clearing_id=annual.id)[:2] == b"PK"


def test_clearing_a_period_twice_is_refused_and_bad_periods_named(container: Container, year: World) -> None:
    ref = container.settings.reference_dir
    with container.uow(SYSTEM) as uow:
        service.run_clearing(
            uow=uow, admdvs=REGION, period_kind="month", period="2024-01", reference_dir=ref, deductions={}
        )
    for kind, period, code in [
        ("month", "2024-01", "CLEARING_EXISTS"),
        ("month", "2024-13", "CLEARING_PERIOD"),
        ("week", "1", "CLEARING_PERIOD_KIND"),
    ]:
        with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
            service.run_clearing(
                uow=uow, admdvs=REGION, period_kind=kind, period=period, reference_dir=ref, deductions={}
            )
        assert err.value.code == code


def test_deductions_default_to_the_review_area(container: Container, year: World) -> None:
    """Without deductions given, the clearing asks the review area for confirmed deductions."""
    with container.uow(SYSTEM) as uow:
        clearing = service.run_clearing(
            uow=uow,
            admdvs=REGION,
            period_kind="month",
            period="2024-03",
            reference_dir=container.settings.reference_dir,
        )
    expected = (
        "review"
        if hasattr(__import__("yibao.review.service").review.service, "confirmed_deductions")
        else "none"
    )
    assert clearing.deductions_source == expected


def test_amounts_out_of_range_are_refused_before_storing(container: Container) -> None:
    """A deduction or a term beyond 1,000 亿元 is a typing error: refused with the field, nothing stored."""
    ref = container.settings.reference_dir
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
        service.run_clearing(
            uow=uow,
            admdvs=REGION,
            period_kind="month",
            period="2024-01",
            reference_dir=ref,
            deductions={HOSPITAL: 10**20},
        )
    assert err.value.code == "CLEARING_DEDUCTION"
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as err:
        service.set_method(
            uow=uow,
            admdvs=REGION,
            method="per_diem",
            params={"rate_per_day_fen": 10**19},
            begin=date(2024, 1, 1),
        )
    assert err.value.code == "PAYMENT_PARAM_INT"
    with container.uow(SYSTEM) as uow:
        assert service.list_clearings(uow=uow) == [] and service.list_methods(uow=uow) == []
