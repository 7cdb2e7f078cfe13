"""Payment use cases: tables as versions, methods per institution and period, grouping, and the
clearing of a generated year that reconciles to the fen with settlements and deductions."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from tests.factories import add_region, make_actor
from tests.settlement.helpers import CLINIC, HOSPITAL, World, at, build_world, fee, open_visit, request_id
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.excel import read_xlsx_table
from yibao.core.security import SYSTEM, Role
from yibao.domain.drg import GroupCase
from yibao.domain.errors import BusinessError
from yibao.domain.money import yuan_to_fen
from yibao.payment import service
from yibao.payment.models import PaymentMethod, PaymentTableRow
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


# ---------------------------------------------------------------------------- statements (清算单)


def _pdf_pages(data: bytes) -> list[str]:
    assert data[:5] == b"%PDF-"
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _summary_cells(first_page: str) -> list[str]:
    """The summary table's cells as printed: from the header to the reconciliation section."""
    start = first_page.index(service.STATEMENT_HEADERS[0])
    stop = first_page.index("二、对账") if "二、对账" in first_page else len(first_page)
    return [c.strip() for c in first_page[start:stop].split("\n") if c.strip()]


def _institution_figures(page: str) -> dict[str, int]:
    """An institution's section: label → fen, read back from the printed yuan."""
    cells = [c.strip() for c in page.split("\n")]
    labels = ("申报金额", "审核扣款", "支付方式金额", "超额分担", "已预拨", "本次应付")
    return {label: yuan_to_fen(cells[cells.index(label) + 1], field=label) for label in labels}


def test_statements_as_pdf_and_excel_carry_the_same_figures_and_reconcile(
    container: Container, year: World
) -> None:
    """清算单 for 月度预拨 (2024-01…03), 季度结算 (2024Q1) and 年度清算 (2024): the PDF's summary
    cells equal the Excel workbook's, every institution's page reconciles to the fen
    (quarter and year: payable = method amount − sharing − prepaid; month: method × 0.9), the
    declared figures add up to the settlements' fund amounts and the payable to the orders."""
    ref = container.settings.reference_dir
    with container.uow(SYSTEM) as uow:
        runs = [
            service.run_clearing(
                uow=uow,
                admdvs=REGION,
                period_kind="month",
                period=f"2024-{m:02d}",
                reference_dir=ref,
                deductions={HOSPITAL: 500} if m == 3 else {},
            )
            for m in (1, 2, 3)
        ]
        runs.append(
            service.run_clearing(
                uow=uow,
                admdvs=REGION,
                period_kind="quarter",
                period="2024Q1",
                reference_dir=ref,
                deductions={HOSPITAL: 500},
            )
        )
        runs.append(
            service.run_clearing(
                uow=uow,
                admdvs=REGION,
                period_kind="year",
                period="2024",
                reference_dir=ref,
                deductions={HOSPITAL: 12_345},
            )
        )
    with container.uow(SYSTEM) as uow:
        settled = uow.session.scalars(select(Settlement)).all()
        monthly_paid: dict[str, int] = {}
        for run in runs:
            clearing, lines, orders = service.get_clearing(uow=uow, clearing_id=run.id)
            pages = _pdf_pages(service.statement_pdf(uow=uow, clearing_id=run.id))
            assert len(pages) == 1 + len(lines)
            kind = {"month": "月度预拨", "quarter": "季度结算", "year": "年度清算"}[clearing.period_kind]
            assert f"医疗保障基金清算单（{kind}）" in pages[0] and "对账结果：平衡" in pages[0]
            workbook = read_xlsx_table(service.statement_xlsx(uow=uow, clearing_id=run.id))
            excel_cells = [c for row in workbook for c in row if c != ""]
            assert _summary_cells(pages[0]) == excel_cells, clearing.period
            begin, end = clearing.begin, clearing.end
            in_period = [
                s
                for s in settled
                if begin <= (s.settled_at.replace(tzinfo=UTC) + timedelta(hours=8)).date() <= end
            ]
            figures = {}
            for line, page in zip(lines, pages[1:], strict=True):
                assert f"定点机构 {line.fixmedins_code} 清算单" in page
                order = next(o for o in orders if o.fixmedins_code == line.fixmedins_code)
                assert order.order_no in page
                f = _institution_figures(page)
                figures[line.fixmedins_code] = f
                assert f["本次应付"] == order.amount
                if clearing.period_kind == "month":
                    assert f["本次应付"] == (f["支付方式金额"] * 9 + 5) // 10
                    monthly_paid[line.fixmedins_code] = (
                        monthly_paid.get(line.fixmedins_code, 0) + order.amount
                    )
                else:
                    assert f["本次应付"] == f["支付方式金额"] - f["超额分担"] - f["已预拨"]
                if clearing.period_kind == "quarter":
                    assert f["已预拨"] == monthly_paid.get(line.fixmedins_code, 0)
            assert sum(f["申报金额"] for f in figures.values()) == sum(s.fund_pay_sumamt for s in in_period)
            assert sum(f["本次应付"] for f in figures.values()) == sum(o.amount for o in orders)
        annual_deducted = {c: f for c, f in figures.items()}
        assert annual_deducted[HOSPITAL]["审核扣款"] == 12_345
        assert annual_deducted[CLINIC]["超额分担"] > 0  # the clinic's admissions over its cap


def test_one_institution_statement_and_an_unknown_one(container: Container, year: World) -> None:
    """机构清算单: the PDF and Excel of one institution hold its line only; a code that is not in
    the run is refused with the field named."""
    with container.uow(SYSTEM) as uow:
        run = service.run_clearing(
            uow=uow,
            admdvs=REGION,
            period_kind="month",
            period="2024-03",
            reference_dir=container.settings.reference_dir,
            deductions={},
        )
        pages = _pdf_pages(service.statement_pdf(uow=uow, clearing_id=run.id, fixmedins_code=CLINIC))
        assert len(pages) == 2 and CLINIC in pages[1] and HOSPITAL not in "".join(pages)
        rows = read_xlsx_table(service.statement_xlsx(uow=uow, clearing_id=run.id, fixmedins_code=CLINIC))
        assert [r[0] for r in rows] == [service.STATEMENT_HEADERS[0], CLINIC, "合计"]
        with pytest.raises(BusinessError) as err:
            service.statement_pdf(uow=uow, clearing_id=run.id, fixmedins_code="H00000000000")
        assert err.value.code == "CLEARING_LINE_NOT_FOUND" and "fixmedins_code" in err.value.message


@pytest.mark.parametrize(("ceiling", "passed"), [("0.005", False), ("0.0062", True)])
def test_drug_share_of_the_dual_control_comes_from_the_fee_lines(
    container: Container, year: World, ceiling: str, passed: bool
) -> None:
    """Seed 002 双控: 药占比 is one of the indicators of the global budget. The clinic's four
    admissions bill 2,791.00 + 3,082.00 + 3,373.00 + 3,664.00 yuan of services and 4 × 20.00 yuan of
    drugs (YP001 → a catalog drug): 药占比 = 80.00 / 12,990.00 = 0.006159 — above a 0.005 ceiling,
    within 0.0062 (the clean twin)."""
    with container.uow(SYSTEM) as uow:
        row = uow.session.scalars(select(PaymentMethod).where(PaymentMethod.fixmedins_code == CLINIC)).one()
        row.params = json.dumps({**json.loads(row.params), "max_drug_share": ceiling})
        uow.commit()
        annual = service.run_clearing(
            uow=uow,
            admdvs=REGION,
            period_kind="year",
            period="2024",
            reference_dir=container.settings.reference_dir,
            deductions={},
        )
        _, lines, _ = service.get_clearing(uow=uow, clearing_id=annual.id)
    detail = json.loads(next(line for line in lines if line.fixmedins_code == CLINIC).detail)
    assert (detail["drug_fen"], detail["fee_total_fen"]) == (8_000, 1_299_000)
    share = next(i for i in detail["indicators"] if i["name"] == "药占比")
    assert Decimal(share["value"]).quantize(Decimal("0.000001")) == Decimal("0.006159")
    assert share["limit"] == ceiling and share["passed"] is passed


def test_drug_share_ceiling_is_a_ratio(container: Container) -> None:
    """max_drug_share is a decimal string between 0 and 1, refused otherwise with the field named."""
    add_region(container)
    with container.uow(SYSTEM) as uow:
        for bad in ("1.5", 0.3):
            with pytest.raises(BusinessError) as err:
                service.set_method(
                    uow=uow,
                    admdvs=REGION,
                    method="global_budget",
                    params={"per_case_quota_fen": 1, "admission_cap": 1, "max_drug_share": bad},
                    begin=date(2024, 1, 1),
                )
            assert "params.max_drug_share" in err.value.message


def test_clearing_groups_surgical_cases_with_the_procedures_of_the_discharge(container: Container) -> None:
    """CHS-DRG 1.1 in the online clearing: K35.200 with the discharge's main procedure 47.0100
    (腹腔镜下阑尾切除术) is GD15; its clean twin without a procedure stays in the medical group GZ15."""
    world = build_world(container)
    _load(container)
    with container.uow(SYSTEM) as uow:
        service.set_method(
            uow=uow,
            admdvs=REGION,
            fixmedins_code=HOSPITAL,
            method="drg",
            params={"table": "北京2022", "base_rate_fen": 1_500_000},
            begin=date(2024, 1, 1),
        )
    for procedures in ([settlement.ProcedureInput("47.0100", "腹腔镜下阑尾切除术", main=True)], None):
        day = "2024-04-03"
        mdtrt_id = open_visit(container, world.worker, institution=HOSPITAL, day=day, diagnoses=["K35.200"])
        with container.uow(SYSTEM) as uow:
            settlement.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee("1", "ZL001", "9000.00", day=day)])
        with container.uow(SYSTEM) as uow:
            settlement.discharge(
                uow=uow, mdtrt_id=mdtrt_id, endtime=at(day) + timedelta(days=5), procedures=procedures
            )
        with container.uow(SYSTEM) as uow:
            setl_id = settlement.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id()).setl_id
        with container.uow(SYSTEM) as uow:
            uow.session.execute(
                update(Settlement)
                .where(Settlement.setl_id == setl_id)
                .values(settled_at=datetime(2024, 4, 10, tzinfo=UTC))
            )
            uow.commit()
    with container.uow(SYSTEM) as uow:
        run = service.run_clearing(
            uow=uow,
            admdvs=REGION,
            period_kind="month",
            period="2024-04",
            reference_dir=container.settings.reference_dir,
            deductions={},
        )
        _, lines, _ = service.get_clearing(uow=uow, clearing_id=run.id)
    groups = json.loads(next(line for line in lines if line.fixmedins_code == HOSPITAL).detail)["drg_cases"]
    assert sorted(g.split(":")[0] for g in groups) == ["GD15", "GZ15"]
