"""Console pages of settlement: visits, a visit's lines and settlements, a settlement explained in Chinese."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from yibao.console.deps import ConsoleUow
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.security import Perm
from yibao.core.validation import parse_local_moment
from yibao.domain.errors import BusinessError, invalid
from yibao.reference.lookup import dictionaries
from yibao.settlement import service

router = APIRouter(prefix="/console/settlement", include_in_schema=False)
NAV = [NavItem("/console/settlement/visits", "结算", "Settlement", Perm.SETTLEMENT_READ, order=40)]

AMOUNT_LABELS = [
    ("medfee_sumamt", "医疗费总额", "Total medical cost"),
    ("fulamt_ownpay_amt", "全自费", "Fully self-paid"),
    ("overlmt_selfpay", "超限价自付", "Above price cap"),
    ("preselfpay_amt", "先行自付（乙类）", "Self-pay first (class B)"),
    ("inscp_scp_amt", "政策范围内费用", "Policy-range cost"),
    ("act_pay_dedc", "起付线", "Deductible"),
    ("hifp_pay", "统筹基金支付", "Basic fund"),
    ("pool_prop_selfpay", "统筹段个人自付", "Co-payment in the pooled band"),
    ("cvlserv_pay", "公务员医疗补助", "Civil-servant subsidy"),
    ("hifmi_pay", "大额/大病保险", "Large-amount / serious illness"),
    ("maf_pay", "医疗救助", "Medical assistance"),
    ("fund_pay_sumamt", "基金支付合计", "Funds in total"),
    ("psn_part_amt", "个人负担合计", "Personal part"),
    ("acct_pay", "个人账户支付", "Personal account"),
    ("psn_cash_pay", "现金支付", "Cash"),
    ("balc", "账户余额", "Account balance after"),
]


@router.get("/visits")
def visits(
    request: Request,
    uow: ConsoleUow,
    psn_no: str | None = None,
    fixmedins_code: str | None = None,
    page: int = 1,
) -> Response:
    try:
        result = service.list_visits(
            uow=uow, psn_no=psn_no or None, fixmedins_code=fixmedins_code or None, page=max(page, 1), size=20
        )
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))
    names = dictionaries(uow.session)
    return render(
        request,
        "settlement/visits.html",
        actor=uow.actor,
        page=result,
        names=names,
        filters={"psn_no": psn_no or "", "fixmedins_code": fixmedins_code or ""},
    )


def _visit_page(
    request: Request,
    uow: ConsoleUow,
    mdtrt_id: str,
    *,
    error: BusinessError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    try:
        view = service.get_visit(uow=uow, mdtrt_id=mdtrt_id)
        checks = service.identity_checks(uow=uow, mdtrt_id=mdtrt_id)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))
    return render(
        request,
        "settlement/visit.html",
        actor=uow.actor,
        view=view,
        checks=checks,
        methods=service.IDENTITY_CHECK_METHODS,
        names=dictionaries(uow.session),
        error=error,
        form=form or {},
        status_code=error_status(error) if error is not None else 200,
    )


@router.get("/visits/{mdtrt_id}")
def visit(request: Request, mdtrt_id: str, uow: ConsoleUow) -> Response:
    return _visit_page(request, uow, mdtrt_id)


@router.post("/visits/{mdtrt_id}/identity-checks")
def record_identity_check(
    request: Request,
    mdtrt_id: str,
    uow: ConsoleUow,
    check_time: str = Form(""),
    method: str = Form(""),
    matched: str = Form(""),
) -> Response:
    """人证核验登记 from the visit page: the time is Beijing time as typed (yyyy-MM-dd HH:mm)."""
    form = {"check_time": check_time, "method": method, "matched": matched}
    try:
        moment = parse_local_moment(check_time, field="check_time", label="核验时间")
        if matched not in ("1", "0"):
            raise invalid("IDENTITY_CHECK_RESULT", "matched", "字段 matched（核验结果）须选择 相符 或 不符")
        service.record_identity_check(
            uow=uow, mdtrt_id=mdtrt_id, check_time=moment, method=method, matched=matched == "1"
        )
    except BusinessError as exc:
        return _visit_page(request, uow, mdtrt_id, error=exc, form=form)
    return redirect(f"/console/settlement/visits/{mdtrt_id}#identity-checks")


@router.get("/settlements/{setl_id}")
def settlement(request: Request, setl_id: str, uow: ConsoleUow) -> Response:
    try:
        view = service.get_settlement(uow=uow, setl_id=setl_id)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))
    return render(
        request,
        "settlement/settlement.html",
        actor=uow.actor,
        view=view,
        labels=AMOUNT_LABELS,
        names=dictionaries(uow.session),
    )


@router.post("/settlements/{setl_id}/reverse")
def reverse(request: Request, setl_id: str, uow: ConsoleUow) -> Response:
    try:
        reversal = service.reverse(uow=uow, setl_id=setl_id, request_id=f"console-{uuid.uuid4().hex}")
    except BusinessError as exc:
        view = (
            service.get_settlement(uow=uow, setl_id=setl_id) if exc.code != "SETTLEMENT_NOT_FOUND" else None
        )
        if view is None:
            return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
        return render(
            request,
            "settlement/settlement.html",
            actor=uow.actor,
            view=view,
            labels=AMOUNT_LABELS,
            names=dictionaries(uow.session),
            error=exc,
            status_code=error_status(exc),
        )
    return redirect(f"/console/settlement/settlements/{reversal.setl_id}")
