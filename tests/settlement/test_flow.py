"""Real-time settlement through the service: register, upload, pre-settle, settle, reverse, query."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from tests.factories import add_region, make_actor
from tests.settlement.helpers import (
    CLINIC,
    DRUG_B,
    HOSPITAL,
    World,
    at,
    build_world,
    fee,
    open_visit,
    request_id,
)
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.clock import LOCAL_TZ
from yibao.core.security import SYSTEM, Role
from yibao.domain.errors import BusinessError
from yibao.enrolment import service as enrolment
from yibao.settlement import service
from yibao.settlement.models import LedgerCounter, Settlement


@pytest.fixture
def world(container: Container) -> World:
    return build_world(container, account_fen=100_000)


def _bill(container: Container, mdtrt_id: str) -> None:
    """甲类 10,000 yuan + 乙类 10 × 2.00 (cap 1.50) + 丙类 300 yuan."""
    with container.uow(SYSTEM) as uow:
        service.upload_fees(
            uow=uow,
            mdtrt_id=mdtrt_id,
            fees=[
                fee("1", "ZL001", "10000.00"),
                fee("2", "YP001", "2.00", cnt="10"),
                fee("3", "YP002", "300.00"),
            ],
        )


def _balance(container: Container, psn_no: str) -> int:
    with container.uow(SYSTEM) as uow:
        return enrolment.get_account(uow=uow, psn_no=psn_no).balance


def _counters(container: Container) -> dict[str, int]:
    with container.uow(SYSTEM) as uow:
        return {c.counter: c.amount for c in uow.session.scalars(select(LedgerCounter)) if c.amount}


def test_inpatient_bill_settles_every_fen_and_updates_ledger_and_account(
    container: Container, world: World
) -> None:
    """Employee policy: 三级 deductible 800, 85%; 乙类 over cap and 10% first; 丙类 self-paid; account."""
    mdtrt_id = open_visit(container, world.worker)
    _bill(container, mdtrt_id)
    with container.uow(SYSTEM) as uow:
        preview = service.pre_settle(uow=uow, mdtrt_id=mdtrt_id)
    with container.uow(SYSTEM) as uow:
        row = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    assert row.medfee_sumamt == 1_032_000
    assert (row.fulamt_ownpay_amt, row.overlmt_selfpay, row.preselfpay_amt) == (30_000, 500, 150)
    assert row.inscp_scp_amt == 1_001_350
    assert row.act_pay_dedc == 80_000
    assert row.hifp_pay == 783_148  # 921,350 × 0.85 = 783,147.5, half up
    assert row.acct_pay == 100_000 and row.psn_cash_pay == 148_852
    assert row.medfee_sumamt == row.fund_pay_sumamt + row.acct_pay + row.psn_cash_pay
    assert (preview.hifp_pay, preview.acct_pay, preview.psn_cash_pay) == (783_148, 100_000, 148_852)
    assert _balance(container, world.worker) == 0
    assert _counters(container) == {"admissions": 1, "elig:inpatient": 921_350, "cap:pool": 783_148}
    with container.uow(SYSTEM) as uow:
        view = service.get_visit(uow=uow, mdtrt_id=mdtrt_id)
        assert view.visit.status == "settled"
        assert [(line.feedetl_sn, line.fulamt_ownpay, line.overlmt_selfpay) for line in view.lines] == [
            ("1", 0, 0),
            ("2", 0, 500),
            ("3", 30_000, 0),
        ]
        audit = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "settlement.settle"))
        assert audit is not None and audit.entity_id == row.setl_id
        assert audit.username == SYSTEM.username and audit.admdvs == row.insu_admdvs
        assert json.loads(audit.after or "")["hifp_pay"] == 783_148
        # The debit's row (written inside the settlement's own statement on PostgreSQL) says what was
        # taken and what is left, in the same text as every other audit row.
        debit = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.debit"))
        assert debit is not None and (debit.entity, debit.entity_id) == ("account", world.worker)
        assert debit.after == (f'{{"amount": -100000, "balance_after": 0, "reference": "{row.setl_id}"}}')
        assert debit.at.tzinfo is not None and debit.admdvs == row.insu_admdvs


def test_pre_settlement_writes_nothing(container: Container, world: World) -> None:
    mdtrt_id = open_visit(container, world.worker)
    _bill(container, mdtrt_id)
    with container.uow(SYSTEM) as uow:
        service.pre_settle(uow=uow, mdtrt_id=mdtrt_id)
    assert _counters(container) == {}
    assert _balance(container, world.worker) == 100_000
    with container.uow(SYSTEM) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Settlement)) == 0


def test_the_same_request_id_returns_the_first_result_and_writes_nothing_more(
    container: Container, world: World
) -> None:
    mdtrt_id = open_visit(container, world.worker)
    _bill(container, mdtrt_id)
    rid = request_id()
    with container.uow(SYSTEM) as uow:
        first = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=rid)
    with container.uow(SYSTEM) as uow:
        again = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=rid)
    assert again.setl_id == first.setl_id
    with container.uow(SYSTEM) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Settlement)) == 1
        with pytest.raises(BusinessError) as info:
            service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
        assert info.value.code == "VISIT_CLOSED"
    assert _counters(container)["cap:pool"] == 783_148


def test_reversal_restores_ledger_and_account_and_resettlement_is_identical(
    container: Container, world: World
) -> None:
    """冲正 is the exact inverse; settling again afterwards gives the same breakdown."""
    mdtrt_id = open_visit(container, world.worker)
    _bill(container, mdtrt_id)
    with container.uow(SYSTEM) as uow:
        first = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    with container.uow(SYSTEM) as uow:
        reversal = service.reverse(uow=uow, setl_id=first.setl_id, request_id=request_id())
    assert reversal.hifp_pay == -first.hifp_pay and reversal.init_setl_id == first.setl_id
    assert _counters(container) == {}
    assert _balance(container, world.worker) == 100_000
    with container.uow(SYSTEM) as uow:
        second = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    amounts = ("medfee_sumamt", "act_pay_dedc", "hifp_pay", "acct_pay", "psn_cash_pay")
    assert [getattr(second, a) for a in amounts] == [getattr(first, a) for a in amounts]
    with container.uow(SYSTEM) as uow:
        with pytest.raises(BusinessError) as info:
            service.reverse(uow=uow, setl_id=first.setl_id, request_id=request_id())
        assert info.value.code == "SETTLEMENT_REVERSED"
        with pytest.raises(BusinessError) as info:
            service.reverse(uow=uow, setl_id=reversal.setl_id, request_id=request_id())
        assert info.value.code == "NOT_REVERSIBLE"


def test_second_admission_of_the_year_pays_half_the_deductible(container: Container, world: World) -> None:
    """benefits[inpatient].repeat_factors through the stored ledger: 800 then 400 yuan."""
    deductibles = []
    for day in ("2024-03-01", "2024-05-01"):
        mdtrt_id = open_visit(container, world.worker, day=day)
        with container.uow(SYSTEM) as uow:
            service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "1000.00", day=day)])
        with container.uow(SYSTEM) as uow:
            deductibles.append(
                service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id()).act_pay_dedc
            )
    assert deductibles == [80_000, 40_000]


def test_refund_lines_reduce_the_bill(container: Container, world: World) -> None:
    mdtrt_id = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "100.00", cnt="3")])
    with container.uow(SYSTEM) as uow:
        service.upload_fees(
            uow=uow, mdtrt_id=mdtrt_id, fees=[fee("2", "ZL001", "100.00", cnt="-1", refund_of="1")]
        )
    with container.uow(SYSTEM) as uow:
        row = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    assert row.medfee_sumamt == 20_000


def test_unmapped_items_are_fully_self_paid(container: Container, world: World) -> None:
    """An institution code with no approved mapping (未对码) is accepted and paid by the patient."""
    mdtrt_id = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "UNMAPPED9", "50.00")])
    with container.uow(SYSTEM) as uow:
        b = service.pre_settle(uow=uow, mdtrt_id=mdtrt_id)
    assert b.fulamt_ownpay_amt == 5_000 and b.fund_pay_sumamt == 0
    assert "未对码" in b.lines[0].reason


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"pric": 0}, "FEE_PRICE", "pric"),
        ({"cnt": 0}, "FEE_QUANTITY", "cnt"),
        ({"det_item_fee_sumamt": 990}, "FEE_AMOUNT_MISMATCH", "det_item_fee_sumamt"),
        ({"fee_ocur_time": at("2024-02-01")}, "FEE_TIME_RANGE", "fee_ocur_time"),
        (
            {"init_feedetl_sn": "nope", "cnt": -1, "det_item_fee_sumamt": -1000},
            "REFUND_UNKNOWN_LINE",
            "init_feedetl_sn",
        ),
    ],
)
def test_bad_fee_lines_are_refused_and_nothing_is_stored(
    container: Container, world: World, change: dict[str, object], code: str, field: str
) -> None:
    from dataclasses import replace
    from decimal import Decimal

    mdtrt_id = open_visit(container, world.worker)
    good = fee("1", "ZL001", "10.00")
    values = {k: (Decimal(v) if k in ("pric", "cnt") else v) for k, v in change.items()}
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as info:
        service.upload_fees(
            uow=uow, mdtrt_id=mdtrt_id, fees=[good, replace(fee("2", "ZL001", "10.00"), **values)]
        )
    assert (info.value.code, info.value.field) == (code, field)
    with container.uow(SYSTEM) as uow:
        assert service.get_visit(uow=uow, mdtrt_id=mdtrt_id).lines == []


def test_duplicate_line_numbers_are_refused(container: Container, world: World) -> None:
    mdtrt_id = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "10.00")])
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as info:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "10.00")])
    assert info.value.code == "FEE_DUPLICATE_SN"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"psn_no": "439901999999"}, "PERSON_NOT_FOUND"),
        ({"day": "2019-06-01"}, "NO_ACTIVE_RELATION"),
        ({"med_type": "9999"}, "DICT_CODE"),
        ({"diagnoses": ["S82.200"]}, "ICD_GRAY"),
        ({"diagnoses": []}, "DIAGNOSIS_REQUIRED"),
    ],
)
def test_bad_visit_registrations_are_refused(
    container: Container, world: World, kwargs: dict[str, object], code: str
) -> None:
    psn_no = str(kwargs.pop("psn_no", world.worker))
    with pytest.raises(BusinessError) as info:
        open_visit(container, psn_no, **kwargs)  # type: ignore[arg-type]
    assert info.value.code == code


def test_waiting_period_is_refused(container: Container, world: World) -> None:
    from tests.settlement.helpers import person_id

    with container.uow(SYSTEM) as uow:
        waiting = enrolment.enrol(
            uow=uow,
            certno=person_id(7),
            name="王等待",
            admdvs="439901",
            insutype="390",
            psn_type="1701",
            begin=date(2024, 1, 1),
            waiting_end=date(2024, 3, 31),
        ).psn_no
    with pytest.raises(BusinessError) as info:
        open_visit(container, waiting, day="2024-03-15")
    assert info.value.code == "WAITING_PERIOD"
    assert open_visit(container, waiting, day="2024-04-01")


def test_suspended_institution_cannot_settle(container: Container, world: World) -> None:
    from yibao.institutions import service as institutions

    with container.uow(SYSTEM) as uow:
        institutions.change_agreement(
            uow=uow,
            fixmedins_code=CLINIC,
            action="suspend",
            day=date(2024, 2, 1),
            until=date(2024, 12, 31),
            reason="违规暂停",
        )
    with pytest.raises(BusinessError) as info:
        open_visit(container, world.worker, institution=CLINIC, day="2024-03-01")
    assert info.value.code == "INSTITUTION_SUSPENDED"


def test_discharge_before_admission_is_refused(container: Container, world: World) -> None:
    mdtrt_id = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as info:
        service.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=at("2024-02-01"))
    assert info.value.code == "DATES_ORDER"


def test_an_institution_acts_only_for_itself_and_a_region_sees_only_its_visits(
    container: Container, world: World
) -> None:
    clinic_operator = make_actor(Role.INSTITUTION, institution_code=CLINIC)
    with pytest.raises(BusinessError) as info:
        open_visit(container, world.worker, institution=HOSPITAL, actor=clinic_operator)
    assert info.value.code == "AUTH_FORBIDDEN"
    mdtrt_id = open_visit(container, world.worker, institution=HOSPITAL)
    with container.uow(clinic_operator) as uow, pytest.raises(BusinessError) as info:
        service.get_visit(uow=uow, mdtrt_id=mdtrt_id)
    assert info.value.code == "VISIT_NOT_FOUND"
    add_region(container, "439902", "乙县")
    other = make_actor(Role.CLERK, regions=("439902",))
    with container.uow(other) as uow:
        assert service.list_visits(uow=uow).total == 0
        with pytest.raises(BusinessError):
            service.get_visit(uow=uow, mdtrt_id=mdtrt_id)


def test_mid_stay_settlement_pays_the_deductible_once_per_admission(
    container: Container, world: World
) -> None:
    """中途结算: the second settlement of the same stay pays no deductible and counts no new admission."""
    mdtrt_id = open_visit(container, world.worker)
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "10000.00")])
    with container.uow(SYSTEM) as uow:
        first = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id(), mid_stay=True)
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("2", "ZL001", "2000.00", day="2024-03-15")])
        service.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=at("2024-03-16"))
    with container.uow(SYSTEM) as uow:
        final = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    assert (first.act_pay_dedc, first.hifp_pay) == (80_000, 782_000)
    assert (final.act_pay_dedc, final.hifp_pay) == (0, 170_000)  # 200,000 × 0.85
    assert _counters(container)["admissions"] == 1
    with container.uow(SYSTEM) as uow:
        assert service.get_visit(uow=uow, mdtrt_id=mdtrt_id).visit.status == "settled"


def test_a_stay_across_the_new_year_settles_with_the_policy_and_ledger_of_the_discharge_year(
    container: Container, world: World
) -> None:
    """跨年度住院: discharged 2025-01-03, so the 2025 resident policy (三级 60%) and the 2025 ledger apply."""
    from tests.settlement.helpers import load_policy

    load_policy(container, "439901-390-2025.toml")
    mdtrt_id = open_visit(container, world.resident, day="2024-12-28")
    with container.uow(SYSTEM) as uow:
        service.upload_fees(
            uow=uow,
            mdtrt_id=mdtrt_id,
            fees=[
                fee("1", "ZL001", "3000.00", day="2024-12-28"),
                fee("2", "ZL001", "2000.00", day="2025-01-02"),
            ],
        )
        service.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=at("2025-01-03"))
    with container.uow(SYSTEM) as uow:
        row = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    assert (row.year, row.policy_version) == (2025, "2025")
    assert row.act_pay_dedc == 100_000  # 三级 1,000 yuan
    assert row.hifp_pay == 240_000  # 400,000 × 0.60 (2024 would have paid 55%)
    with container.uow(SYSTEM) as uow:
        assert (
            service.ledger(uow=uow, psn_no=world.resident, insutype="390", year=2025)["cap:pool"] == 240_000
        )
        assert service.ledger(uow=uow, psn_no=world.resident, insutype="390", year=2024) == {}


def test_a_discharge_on_new_years_morning_in_beijing_belongs_to_the_new_year(
    container: Container, world: World
) -> None:
    """跨年度住院, by the region's clock: discharged 2025-01-01 06:00 Beijing time (2024-12-31 22:00 UTC),
    so the 2025 policy (三级 60%) and the 2025 ledger apply, not those of the UTC date."""
    from tests.settlement.helpers import load_policy

    load_policy(container, "439901-390-2025.toml")
    mdtrt_id = open_visit(container, world.resident, day="2024-12-28")
    with container.uow(SYSTEM) as uow:
        service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "5000.00", day="2024-12-28")])
        service.discharge(uow=uow, mdtrt_id=mdtrt_id, endtime=datetime(2025, 1, 1, 6, tzinfo=LOCAL_TZ))
    with container.uow(SYSTEM) as uow:
        row = service.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    assert (row.year, row.policy_version) == (2025, "2025")
    assert row.hifp_pay == 240_000  # (500,000 − 100,000) × 0.60
    with container.uow(SYSTEM) as uow:
        assert service.ledger(uow=uow, psn_no=world.resident, insutype="390", year=2024) == {}


def test_a_new_catalog_version_prices_the_next_bill_of_the_same_day(
    container: Container, world: World
) -> None:
    """限价 (002 §3), versioned: the cap of 乙类 YP001 falls from 1.50 to 1.00 yuan from 2024-02-01 (变更);
    a bill of 2024-03-01 pre-settled before the change strips 10 × 0.50, one after it 10 × 1.00."""
    from yibao.catalog import service as catalog

    def over_cap() -> int:
        mdtrt_id = open_visit(container, world.worker)
        with container.uow(SYSTEM) as uow:
            service.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "YP001", "2.00", cnt="10")])
        with container.uow(SYSTEM) as uow:
            return service.pre_settle(uow=uow, mdtrt_id=mdtrt_id).overlmt_selfpay

    assert over_cap() == 500
    with container.uow(SYSTEM) as uow:
        catalog.add_version(
            uow=uow,
            code=DRUG_B,
            fields={
                "name": "地塞米松磷酸钠注射液",
                "chrgitm_lv": "02",
                "selfpay_ratio": "0.10",
                "price_cap": "1.00",
                "begin": "2024-02-01",
            },
        )
    assert over_cap() == 1_000


def test_diagnoses_are_stored_as_the_icd_list_spells_them_whatever_case_the_his_sends(
    container: Container, world: World
) -> None:
    # ICD-10 医保版 2.0 writes 高血压 as I10.x00x002 (lower-case x); a HIS sending I10.X00X002 means the same.
    mdtrt_id = open_visit(container, world.worker, diagnoses=["i10.X00X002", "j18.900"])
    with container.uow(SYSTEM) as uow:
        assert service.get_visit(uow=uow, mdtrt_id=mdtrt_id).visit.diagnoses == "I10.x00x002|J18.900"
