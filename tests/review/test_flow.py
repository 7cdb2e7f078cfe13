"""Declaration, review, answer, appeal and silence through the service (001 第6篇)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from tests.review.helpers import (
    BILL_FEN,
    CLINIC,
    DECIDE_DAY,
    HOSPITAL,
    LINE_FEN,
    PERIOD,
    answer,
    decide,
    declare,
    flag,
    move_to_period,
    operator,
    reviewer,
    settle_bill,
    settled_month,
)
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain.errors import BusinessError
from yibao.domain.review import SettlementAmounts
from yibao.review import service
from yibao.review.models import ReviewItem


def _item(container: Container, item_id: int) -> ReviewItem:
    with container.uow(SYSTEM) as uow:
        return service.get_item(uow=uow, item_id=item_id)


def _refused(fn: object, code: str) -> BusinessError:
    with pytest.raises(BusinessError) as err:
        fn()  # type: ignore[operator]
    assert err.value.code == code, err.value
    return err.value


# -- declaration (月度申报)


def test_001_6_declaration_by_the_5th_holds_every_settlement_to_the_fen(container: Container) -> None:
    month = settled_month(container, bills=2)
    decl = declare(container)
    assert decl.decl_no == f"SB-{HOSPITAL}-202403" and decl.status == "submitted" and not decl.late
    assert decl.settlement_count == 2 and decl.medfee_sumamt == 2 * BILL_FEN
    assert decl.due_date == date(2024, 4, 5)
    with container.uow(SYSTEM) as uow:
        view = service.get_declaration(uow=uow, decl_no=decl.decl_no)
        assert sorted(s.setl_id for s in view.settlements) == sorted(month.setl_ids)
        assert [e.action for e in view.events] == ["declare"]
        audit = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "review.declare"))
        assert audit is not None and audit.entity_id == decl.decl_no


def test_declaration_after_the_5th_is_accepted_and_marked_late(container: Container) -> None:
    settled_month(container, bills=1)
    assert declare(container, today=date(2024, 4, 8)).late


def test_institution_list_with_missing_extra_or_different_settlements_is_refused(
    container: Container,
) -> None:
    month = settled_month(container, bills=2)
    with container.uow(operator()) as uow:
        platform = service.settlements_to_declare(uow=uow, fixmedins_code=HOSPITAL, period=PERIOD)
    good = [SettlementAmounts(p.setl_id, p.medfee_sumamt, p.fund_pay_sumamt) for p in platform]
    missing = good[:1]
    extra = [*good, SettlementAmounts("NOT-OURS", 100, 100)]
    off_by_a_fen = [
        good[0],
        SettlementAmounts(good[1].setl_id, good[1].medfee_sumamt + 1, good[1].fund_pay_sumamt),
    ]
    for bad, code in (
        (missing, "DECLARATION_MISSING"),
        (extra, "DECLARATION_EXTRA"),
        (off_by_a_fen, "DECLARATION_AMOUNT"),
    ):
        err = _refused(lambda bad=bad: declare(container, settlements=bad), code)
        assert err.errors and err.errors[0].field == "settlements"
    with container.uow(SYSTEM) as uow:
        assert service.list_declarations(uow=uow).total == 0  # nothing stored
    decl = declare(container, settlements=list(reversed(good)))  # the clean twin
    assert decl.settlement_count == len(month.setl_ids)


def test_a_reversal_in_the_month_is_declared_with_its_negative_amounts(container: Container) -> None:
    from tests.settlement.helpers import request_id
    from yibao.settlement import service as settlement

    month = settled_month(container, bills=1)
    with container.uow(SYSTEM) as uow:
        reversal = settlement.reverse(uow=uow, setl_id=month.setl_ids[0], request_id=request_id())
    move_to_period(container, [reversal.setl_id], PERIOD, day=20)
    decl = declare(container)
    assert decl.settlement_count == 2 and decl.medfee_sumamt == 0 and decl.fund_pay_sumamt == 0


def test_cash_claims_join_the_declaration_with_their_invoices(container: Container) -> None:
    settled_month(container, bills=1)
    claim = service.CashClaimInput(
        psn_no="P1",
        invoice_no="INV-001",
        visit_date=date(2024, 3, 9),
        medfee_sumamt=50_000,
        fund_pay_sumamt=35_000,
    )
    decl = declare(container, cash_claims=[claim])
    assert (decl.cash_claim_count, decl.cash_medfee_sumamt, decl.cash_fund_pay_sumamt) == (1, 50_000, 35_000)
    # The same invoice can never be claimed again, and a claim must be verified within its invoice.
    settled_month_april = service.CashClaimInput(
        psn_no="P1",
        invoice_no="INV-001",
        visit_date=date(2024, 4, 9),
        medfee_sumamt=50_000,
        fund_pay_sumamt=1,
    )
    _refused(
        lambda: declare(container, "2024-04", today=date(2024, 5, 2), cash_claims=[settled_month_april]),
        "CASH_CLAIM_INVOICE_USED",
    )
    over = service.CashClaimInput(
        psn_no="P1", invoice_no="INV-002", visit_date=date(2024, 4, 9), medfee_sumamt=100, fund_pay_sumamt=101
    )
    _refused(
        lambda: declare(container, "2024-04", today=date(2024, 5, 2), cash_claims=[over]),
        "CASH_CLAIM_VERIFIED",
    )
    wrong_month = service.CashClaimInput(
        psn_no="P1", invoice_no="INV-003", visit_date=date(2024, 3, 9), medfee_sumamt=100, fund_pay_sumamt=50
    )
    _refused(
        lambda: declare(container, "2024-04", today=date(2024, 5, 2), cash_claims=[wrong_month]),
        "CASH_CLAIM_PERIOD",
    )


def test_declaring_twice_an_open_month_or_for_a_foreign_institution_is_refused(container: Container) -> None:
    settled_month(container, bills=1)
    _refused(lambda: declare(container, today=date(2024, 3, 31)), "REVIEW_PERIOD_OPEN")
    declare(container)
    _refused(lambda: declare(container), "DECLARATION_EXISTS")
    with container.uow(operator(CLINIC)) as uow:
        _refused(
            lambda: service.declare(uow=uow, fixmedins_code=HOSPITAL, period=PERIOD, today=date(2024, 4, 3)),
            "AUTH_FORBIDDEN",
        )
    with container.uow(reviewer()) as uow:  # reviewers review, they do not declare
        _refused(
            lambda: service.declare(uow=uow, fixmedins_code=CLINIC, period=PERIOD, today=date(2024, 4, 3)),
            "AUTH_FORBIDDEN",
        )


def test_foreign_institution_sees_neither_the_declaration_nor_its_items(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "3")
    decide(container, item, "deduct")
    with container.uow(operator(CLINIC)) as uow:
        _refused(lambda: service.get_declaration(uow=uow, decl_no=decl.decl_no), "DECLARATION_NOT_FOUND")
        assert service.list_declarations(uow=uow).total == 0
        assert service.review_queue(uow=uow).total == 0
    with container.uow(operator(CLINIC)) as uow:
        _refused(
            lambda: service.answer(uow=uow, item_id=item, action="accept", today=DECIDE_DAY),
            "REVIEW_ITEM_NOT_FOUND",
        )


# -- review: manual decisions


def test_reviewer_deducts_a_line_and_the_institution_is_told_the_deadline(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "3")
    with container.uow(operator()) as uow:  # pending items are the agency's business
        hidden = service.get_declaration(uow=uow, decl_no=decl.decl_no)
    assert hidden.items == [] and all(e.item_id is None for e in hidden.events)
    decide(container, item, "deduct", reason="NOT_COVERED", amount=12_000, note="丙类药品不予支付")
    row = _item(container, item)
    assert (row.status, row.declared_fen, row.refused_fen, row.multiplier, row.penalty_fen) == (
        "deducted",
        LINE_FEN["3"],
        12_000,
        1,
        0,
    )
    assert row.answer_due == date(2024, 4, 15) and row.decided_by == "reviewer-a"
    with container.uow(operator()) as uow:
        view = service.get_declaration(uow=uow, decl_no=decl.decl_no, today=DECIDE_DAY)
    assert [i.id for i in view.items] == [item] and view.open_fen == 12_000 and view.confirmed_fen == 0


def test_deciding_twice_and_refusing_more_than_declared_are_refused(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "2")
    _refused(
        lambda: decide(container, item, "deduct", amount=LINE_FEN["2"] + 1), "REVIEW_AMOUNT_OVER_DECLARED"
    )
    _refused(lambda: decide(container, item, "deduct", reason="NO_SUCH_REASON"), "REVIEW_REASON")
    decide(container, item, "deduct", amount=LINE_FEN["2"])
    _refused(lambda: decide(container, item, "deduct"), "REVIEW_ITEM_STATE")
    _refused(lambda: decide(container, item, "clear"), "REVIEW_ITEM_STATE")
    _refused(lambda: decide(container, item, "accept"), "REVIEW_ACTION")  # institutions accept, not reviewers


def test_visit_level_deduction_is_bounded_by_the_settlement_total(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0])
    decide(container, item, "deduct", reason="NO_ADMISSION_INDICATION")
    assert _item(container, item).refused_fen == BILL_FEN


def test_001_6_repeat_offence_in_a_later_month_costs_2x_then_3x(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    first = flag(container, decl.decl_no, month.setl_ids[0], "3")
    decide(container, first, "deduct", reason="DUPLICATE_CHARGE", amount=10_000)
    answer(container, first, "accept")
    for n, (period, today, times) in enumerate(
        (("2024-04", date(2024, 5, 6), 2), ("2024-05", date(2024, 6, 3), 3))
    ):
        setl = settle_bill(container, month.world.worker)
        move_to_period(container, [setl], period)
        later = declare(container, period, today=today)
        item = flag(container, later.decl_no, setl, "3")
        decide(container, item, "deduct", reason="DUPLICATE_CHARGE", amount=10_000, today=today)
        row = _item(container, item)
        assert (row.prior_offences, row.multiplier, row.refused_fen, row.penalty_fen) == (
            n + 1,
            times,
            10_000,
            10_000 * (times - 1),
        )
        answer(container, item, "accept", today=today)
    # A different reason is a first offence again (the clean twin).
    setl = settle_bill(container, month.world.worker)
    move_to_period(container, [setl], "2024-06")
    june = declare(container, "2024-06", today=date(2024, 7, 2))
    other = flag(container, june.decl_no, setl, "3")
    decide(container, other, "deduct", reason="OVER_PRICE_CAP", amount=10_000, today=date(2024, 7, 2))
    assert _item(container, other).multiplier == 1


def test_001_6_region_parameters_change_the_scale_from_their_begin_date(container: Container) -> None:
    month = settled_month(container, bills=1)
    with container.uow(reviewer()) as uow:
        service.set_parameters(
            uow=uow, admdvs="439901", begin=date(2024, 5, 1), repeat_multipliers="5", answer_working_days=3
        )
    with container.uow(reviewer()) as uow:
        _refused(
            lambda: service.set_parameters(uow=uow, admdvs="439901", begin=date(2024, 6, 1)),
            "REVIEW_PARAM_OVERLAP",
        )
    decl = declare(container)
    first = flag(container, decl.decl_no, month.setl_ids[0], "3")
    decide(container, first, "deduct", reason="DUPLICATE_CHARGE", amount=100)
    answer(container, first, "accept")
    setl = settle_bill(container, month.world.worker)
    move_to_period(container, [setl], "2024-04")
    april = declare(container, "2024-04", today=date(2024, 5, 6))
    item = flag(container, april.decl_no, setl, "3")
    decide(container, item, "deduct", reason="DUPLICATE_CHARGE", amount=100, today=date(2024, 5, 6))
    row = _item(container, item)
    assert row.multiplier == 5 and row.answer_due == date(2024, 5, 9)  # Mon + 3 working days


def test_001_6_absent_patient_with_no_record_costs_10x(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "1")  # the daily bed/exam fee of the stay
    decide(container, item, "deduct", reason="ABSENT_NO_RECORD", amount=5_000)
    answer(container, item, "accept")
    row = _item(container, item)
    assert (row.multiplier, row.refused_fen, row.penalty_fen, row.total_fen) == (10, 5_000, 45_000, 50_000)
    with container.uow(SYSTEM) as uow:
        totals = service.confirmed_deductions(uow=uow, admdvs="439901", period=PERIOD, today=DECIDE_DAY)
    assert [t.amount_fen for t in totals] == [50_000]


# -- the institution's answer, silence, appeal


def test_001_6_five_working_days_silence_is_accepted_by_the_job(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "3")
    decide(container, item, "deduct")
    with container.uow(reviewer()) as uow:
        assert service.close_overdue(uow=uow, today=date(2024, 4, 15)) == 0  # the deadline day still counts
    with container.uow(reviewer()) as uow:
        assert service.close_overdue(uow=uow, today=date(2024, 4, 16)) == 1
    assert _item(container, item).status == "accepted_silent"
    with container.uow(SYSTEM) as uow:
        events = service.get_declaration(uow=uow, decl_no=decl.decl_no).events
    assert events[-1].action == "silence" and events[-1].actor == "system"


def test_001_6_silence_is_applied_on_read_and_a_late_answer_is_refused(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "3")
    decide(container, item, "deduct")
    err = _refused(
        lambda: answer(container, item, "appeal", note="迟到的申诉", today=date(2024, 4, 16)),
        "REVIEW_ANSWER_OVERDUE",
    )
    assert "2024-04-15" in err.message
    assert _item(container, item).status == "accepted_silent"  # recorded although the answer was refused


def test_silence_is_recorded_when_the_declaration_is_read(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "3")
    decide(container, item, "deduct")
    with container.uow(operator()) as uow:
        view = service.get_declaration(uow=uow, decl_no=decl.decl_no, today=date(2024, 5, 1))
    assert view.items[0].status == "accepted_silent" and view.confirmed_fen == LINE_FEN["3"]


def test_001_6_appeal_upheld_by_a_second_reviewer_may_lower_the_amount(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "3")
    decide(container, item, "deduct", reason="NOT_COVERED")
    _refused(lambda: answer(container, item, "appeal"), "REQUIRED")  # an appeal states its grounds
    answer(container, item, "appeal", note="已取得医保办审批", today=date(2024, 4, 15))
    _refused(lambda: decide(container, item, "uphold"), "REVIEW_SAME_REVIEWER")
    _refused(
        lambda: decide(container, item, "uphold", who="reviewer-b", amount=LINE_FEN["3"] + 1),
        "REVIEW_UPHOLD_AMOUNT",
    )
    decide(container, item, "uphold", who="reviewer-b", amount=20_000, note="部分认可")
    row = _item(container, item)
    assert (row.status, row.refused_fen, row.second_by) == ("upheld", 20_000, "reviewer-b")
    # Silence does not apply to an appealed item; the answer was in time.
    with container.uow(SYSTEM) as uow:
        view = service.get_declaration(uow=uow, decl_no=decl.decl_no, today=date(2024, 6, 1))
    assert [e.action for e in view.events] == [
        "declare",
        "start_review",
        "flag",
        "deduct",
        "appeal",
        "uphold",
    ]
    assert [(e.from_status, e.to_status) for e in view.events[3:]] == [
        ("pending", "deducted"),
        ("deducted", "appealed"),
        ("appealed", "upheld"),
    ]
    assert all(e.actor and e.at for e in view.events)


def test_001_6_appeal_overturned_removes_the_deduction(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "3")
    decide(container, item, "deduct")
    answer(container, item, "appeal", note="收费符合限价")
    decide(container, item, "overturn", who="reviewer-b")
    assert _item(container, item).status == "overturned"
    with container.uow(SYSTEM) as uow:
        assert service.confirmed_deductions(uow=uow, admdvs="439901", period=PERIOD) == []


def test_appealing_a_non_final_or_a_final_item_is_refused(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "3")
    with container.uow(operator()) as uow:  # pending: not even visible to the institution
        _refused(
            lambda: service.answer(uow=uow, item_id=item, action="appeal", note="x", today=DECIDE_DAY),
            "REVIEW_ITEM_NOT_FOUND",
        )
    decide(container, item, "deduct")
    answer(container, item, "accept")
    _refused(lambda: answer(container, item, "appeal", note="再申诉"), "REVIEW_ITEM_STATE")


def test_complete_review_needs_no_pending_item_and_closes_when_all_final(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "3")
    with container.uow(reviewer()) as uow:
        _refused(lambda: service.complete_review(uow=uow, decl_no=decl.decl_no), "REVIEW_ITEMS_PENDING")
    decide(container, item, "deduct")
    with container.uow(reviewer()) as uow:
        assert service.complete_review(uow=uow, decl_no=decl.decl_no).status == "reviewed"
    _refused(lambda: flag(container, decl.decl_no, month.setl_ids[0], "2"), "DECLARATION_STATE")
    answer(container, item, "accept")
    with container.uow(SYSTEM) as uow:
        assert service.get_declaration(uow=uow, decl_no=decl.decl_no).declaration.status == "closed"


# -- automatic review: monitoring findings


def _findings_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*service.FINDING_COLUMNS, "dr_code"])
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in writer.fieldnames})
    return out.getvalue().encode()


def _finding(fid: str, setl_id: str, **kw: str) -> dict[str, str]:
    return {
        "finding_id": fid,
        "rule_id": "GZ10000204001000",
        "rule_name": "重复收费",
        "rule_family": "duplicate_charge",
        "scope": "line",
        "bkkp_sn": "3",
        "setl_id": setl_id,
        "fixmedins_code": HOSPITAL,
        "vola_amt": "150.00",
        "sev_deg": "3",
        "evidence": "同日重复收取",
        **kw,
    }


def test_findings_become_pending_items_with_suggested_reason_and_amount(container: Container) -> None:
    month = settled_month(container, bills=2)
    declare(container)
    s1, s2 = month.setl_ids
    data = _findings_csv(
        [
            _finding("F1", s1),
            _finding(
                "F2", s2, scope="visit", bkkp_sn="", rule_family="split_admission", vola_amt="99999999.00"
            ),
            _finding("F3", s1, sev_deg="1"),
            _finding("F4", s1, scope="doctor"),
            _finding("F5", "UNKNOWN"),
            _finding("F6", s1, fixmedins_code=CLINIC),
            _finding("F7", s1, bkkp_sn="99"),
        ]
    )
    rows = service.read_findings_file("findings.csv", data)
    with container.uow(reviewer()) as uow:
        result = service.import_findings(uow=uow, admdvs="439901", period=PERIOD, rows=rows)
    assert result.created == 2 and [fid for fid, _ in result.skipped] == ["F3", "F4", "F5", "F6", "F7"]
    with container.uow(reviewer()) as uow:
        queue = service.review_queue(uow=uow, period=PERIOD, status="pending", source="auto")
    by_finding = {i.finding_id: i for i in queue.items}
    assert (
        by_finding["F1"].suggested_reason == "DUPLICATE_CHARGE" and by_finding["F1"].suggested_fen == 15_000
    )
    assert (
        by_finding["F2"].suggested_reason == "SPLIT_ADMISSION" and by_finding["F2"].suggested_fen == BILL_FEN
    )
    # Importing the same file again adds nothing.
    with container.uow(reviewer()) as uow:
        again = service.import_findings(uow=uow, admdvs="439901", period=PERIOD, rows=rows)
    assert again.created == 0
    # Deducting with the suggestion: reason and amount default to the finding's.
    decide(container, by_finding["F1"].id, "deduct", reason=None)
    row = _item(container, by_finding["F1"].id)
    assert (row.reason_code, row.refused_fen) == ("DUPLICATE_CHARGE", 15_000)


def test_findings_parquet_in_the_warehouse_layout_is_read(container: Container) -> None:
    month = settled_month(container, bills=1)
    declare(container)
    table = pa.table({k: [v] for k, v in _finding("P1", month.setl_ids[0]).items()} | {"sev_deg": [3]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    rows = service.read_findings_file("findings.parquet", buffer.getvalue())
    with container.uow(reviewer()) as uow:
        assert service.import_findings(uow=uow, admdvs="439901", period=PERIOD, rows=rows).created == 1


def test_bad_findings_files_are_refused_as_a_whole(container: Container) -> None:
    month = settled_month(container, bills=1)
    declare(container)
    _refused(
        lambda: service.read_findings_file("findings.csv", b"finding_id,rule_id\nF1,R\n"), "FINDINGS_COLUMN"
    )
    _refused(lambda: service.read_findings_file("findings.txt", b""), "FINDINGS_FILE")
    _refused(lambda: service.read_findings_file("findings.parquet", b"not parquet"), "FINDINGS_FILE")
    rows = service.read_findings_file(
        "f.csv",
        _findings_csv(
            [_finding("G1", month.setl_ids[0]), _finding("G2", month.setl_ids[0], vola_amt="1.234")]
        ),
    )
    with container.uow(reviewer()) as uow:
        err = _refused(
            lambda: service.import_findings(uow=uow, admdvs="439901", period=PERIOD, rows=rows),
            "FINDINGS_REFUSED",
        )
    assert [(e.row, e.field) for e in err.rows] == [(3, "vola_amt")]  # type: ignore[attr-defined]
    nul = [{**_finding("N1", month.setl_ids[0]), "evidence": "a\x00b"}]
    with container.uow(reviewer()) as uow:
        err = _refused(
            lambda: service.import_findings(uow=uow, admdvs="439901", period=PERIOD, rows=nul),
            "FINDINGS_REFUSED",
        )
    assert err.rows[0].code == "FIELD_NUL"  # type: ignore[attr-defined]
    with container.uow(SYSTEM) as uow:
        assert service.review_queue(uow=uow).total == 0


def test_excel_export_lists_items_and_reconciles(container: Container) -> None:
    from yibao.core.excel import read_xlsx_table

    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "3")
    decide(container, item, "deduct", amount=12_345)
    answer(container, item, "accept")
    with container.uow(reviewer()) as uow:
        data = service.export_declaration(uow=uow, decl_no=decl.decl_no)
    table = read_xlsx_table(data)
    assert table[0][:3] == ["条目号", "范围", "结算ID"]
    assert table[1][12] == "123.45" and table[1][16] == "机构认可"
    assert any(row and row[0] == "确认扣款合计(元)" and row[1] == "123.45" for row in table)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    timeline = [list(r) for r in book["时间线"].iter_rows(values_only=True)]
    assert timeline[0][:3] == ["时间", "经办人", "动作"]
    assert [r[2] for r in timeline[1:]] == ["declare", "start_review", "flag", "deduct", "accept"]


def test_injury_settlements_marked_at_settlement_are_queued_for_review(container: Container) -> None:
    """非自然疾病：外伤住院按“无第三方责任”结算后，申报时自动列入审核，核查第三方责任。"""
    from tests.settlement.helpers import fee as fee_line
    from tests.settlement.helpers import open_visit, request_id
    from yibao.settlement import service as settlement

    month = settled_month(container, bills=1)
    mdtrt_id = open_visit(container, month.world.worker, med_type="22", injury_cause="无第三方责任意外")
    with container.uow(SYSTEM) as uow:
        settlement.upload_fees(uow=uow, mdtrt_id=mdtrt_id, fees=[fee_line("1", "ZL001", "2000.00")])
    with container.uow(SYSTEM) as uow:
        injury = settlement.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=request_id())
    assert injury.review_required
    move_to_period(container, [injury.setl_id], PERIOD)
    decl = declare(container)
    assert decl.status == "reviewing"
    with container.uow(reviewer()) as uow:
        queue = service.review_queue(uow=uow, period=PERIOD, status="pending")
    assert [(i.setl_id, i.suggested_reason, i.rule_id) for i in queue.items] == [
        (injury.setl_id, "INJURY_LIABILITY", "YB-SETL-INJURY")
    ]
    assert queue.items[0].suggested_fen == injury.fund_pay_sumamt
    # The ordinary bill of the month is not queued (the clean twin).
    assert month.setl_ids[0] not in {i.setl_id for i in queue.items}


def test_silence_is_recorded_when_the_queue_is_read(container: Container) -> None:
    month = settled_month(container, bills=1)
    decl = declare(container)
    item = flag(container, decl.decl_no, month.setl_ids[0], "3")
    decide(container, item, "deduct")
    with container.uow(reviewer()) as uow:
        on_due = service.review_queue(uow=uow, period=PERIOD, today=date(2024, 4, 15))
    assert [i.status for i in on_due.items] == ["deducted"]
    with container.uow(operator()) as uow:
        after = service.review_queue(uow=uow, period=PERIOD, today=date(2024, 4, 16))
    assert [i.status for i in after.items] == ["accepted_silent"]


def test_findings_of_a_monitoring_run_are_imported_through_the_monitoring_service(
    container: Container, tmp_path: object
) -> None:
    """Automatic review wired to yibao.monitoring: a run's findings.parquet read by run number."""
    from datetime import UTC, datetime
    from pathlib import Path

    from yibao.monitoring.models import RunRow

    month = settled_month(container, bills=1)
    declare(container)
    out = Path(str(tmp_path)) / "run"
    out.mkdir()
    rows = [_finding("R1", month.setl_ids[0]), _finding("R2", month.setl_ids[0], fixmedins_code=CLINIC)]
    table = pa.table({k: [r[k] for r in rows] for k in rows[0]} | {"sev_deg": [3, 3]})
    pq.write_table(table, out / "findings.parquet")
    now = datetime(2024, 4, 6, tzinfo=UTC)
    with container.uow(SYSTEM) as uow:
        uow.session.add(
            RunRow(
                run_no="RUN-T1",
                kind="run",
                engine="duckdb",
                admdvs="439901",
                data_dir=str(tmp_path),
                out_dir=str(out),
                status="done",
                findings=2,
                vola_fen=30_000,
                knowledge_version="-",
                rules="[]",
                summary="{}",
                error=None,
                started_at=now,
                finished_at=now,
                created_by="t",
            )
        )
        uow.commit()
    with container.uow(reviewer()) as uow:
        result = service.import_run_findings(uow=uow, run_no="RUN-T1", admdvs="439901", period=PERIOD)
    assert result.created == 1 and result.skipped_total == 0  # the clinic has no declaration: not read
    with container.uow(reviewer()) as uow:
        _refused(
            lambda: service.import_run_findings(uow=uow, run_no="NOPE", admdvs="439901", period=PERIOD),
            "RUN_NOT_FOUND",
        )


def test_batch_deduct_at_the_suggestions_then_the_institution_accepts_all(container: Container) -> None:
    month = settled_month(container, bills=2)
    decl = declare(container)
    s1, s2 = month.setl_ids
    rows = [
        _finding("B1", s1),
        _finding("B2", s2, bkkp_sn="2", vola_amt="5.00", rule_family="over_price_cap"),
    ]
    with container.uow(reviewer()) as uow:
        service.import_findings(uow=uow, admdvs="439901", period=PERIOD, rows=rows)
    manual = flag(container, decl.decl_no, s1, "1")  # no suggestion: left pending by "deduct all"
    with container.uow(reviewer()) as uow:
        done = service.decide_batch(uow=uow, decl_no=decl.decl_no, action="deduct", today=DECIDE_DAY).done
    assert len(done) == 2 and manual not in done
    with container.uow(reviewer()) as uow:  # naming the manual item explicitly: refused, nothing moves
        err = _refused(
            lambda: service.decide_batch(
                uow=uow, decl_no=decl.decl_no, action="deduct", item_ids=[manual], today=DECIDE_DAY
            ),
            "REVIEW_REASON",
        )
    assert f"条目 {manual}" in err.message
    with container.uow(reviewer()) as uow:
        _refused(
            lambda: service.decide_batch(uow=uow, decl_no=decl.decl_no, action="deduct", item_ids=[done[0]]),
            "REVIEW_BATCH_ITEMS",
        )
    with container.uow(operator()) as uow:
        accepted = service.accept_all(uow=uow, decl_no=decl.decl_no, today=DECIDE_DAY).done
    assert sorted(accepted) == sorted(done)
    with container.uow(SYSTEM) as uow:
        totals = service.confirmed_deductions(uow=uow, admdvs="439901", period=PERIOD, today=DECIDE_DAY)
    assert sorted((t.reason_code, t.amount_fen) for t in totals) == [
        ("DUPLICATE_CHARGE", 15_000),
        ("OVER_PRICE_CAP", 500),
    ]
    with container.uow(operator(CLINIC)) as uow:
        _refused(lambda: service.accept_all(uow=uow, decl_no=decl.decl_no), "DECLARATION_NOT_FOUND")


def test_a_returned_declaration_frees_the_month_and_its_invoices(container: Container) -> None:
    month = settled_month(container, bills=1)
    claim = service.CashClaimInput(
        psn_no="P1",
        invoice_no="INV-R",
        visit_date=date(2024, 3, 9),
        medfee_sumamt=50_000,
        fund_pay_sumamt=35_000,
    )
    first = declare(container, cash_claims=[claim])
    with container.uow(reviewer()) as uow:
        _refused(lambda: service.return_declaration(uow=uow, decl_no=first.decl_no, reason=""), "REQUIRED")
    with container.uow(reviewer()) as uow:
        returned = service.return_declaration(uow=uow, decl_no=first.decl_no, reason="漏报零星报销")
    assert (returned.decl_no, returned.status) == (f"{first.decl_no}-R1", "returned")
    second = declare(container, cash_claims=[claim])  # same month, same invoice: allowed again
    assert second.decl_no == first.decl_no and second.status == "submitted"
    item = flag(container, second.decl_no, month.setl_ids[0], "3")
    with container.uow(reviewer()) as uow:  # under review: no longer returnable
        _refused(
            lambda: service.return_declaration(uow=uow, decl_no=second.decl_no, reason="x"),
            "DECLARATION_STATE",
        )
    with container.uow(SYSTEM) as uow:
        assert service.list_declarations(uow=uow, period=PERIOD).total == 2
        old = service.get_declaration(uow=uow, decl_no=returned.decl_no)
    assert [e.action for e in old.events] == ["declare", "return"] and item
