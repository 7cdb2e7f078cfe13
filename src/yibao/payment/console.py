"""Console pages of payment methods and clearing: grouping with its reason path, payment tables,
payment methods, clearing statements with a chart and the Excel download."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yibao.console.deps import ConsoleUow, FormData
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.clock import LOCAL_TZ
from yibao.core.excel import XLSX_MEDIA_TYPE
from yibao.core.security import Perm
from yibao.core.validation import parse_date
from yibao.domain.errors import BusinessError
from yibao.domain.money import yuan_to_fen
from yibao.payment import service
from yibao.web.deps import ContainerDep

router = APIRouter(include_in_schema=False)
NAV = [NavItem("/console/payment", "支付与清算", "Payment", Perm.PAYMENT_READ, order=60)]
_P = "/console/payment"
_GROUP_FIELDS = ("case_id", "gend", "age", "age_days", "weight_g", "ipt_days", "diag_codes", "oprn_codes")


def _refused(request: Request, uow: ConsoleUow, exc: BusinessError) -> Response:
    return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))


@router.get(_P)
def overview(request: Request, uow: ConsoleUow) -> Response:
    try:
        tables = service.list_tables(uow=uow)
        methods = service.list_methods(uow=uow)
        clearings = service.list_clearings(uow=uow)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return render(
        request, "payment/overview.html", actor=uow.actor, tables=tables, methods=methods, clearings=clearings
    )


@router.get(f"{_P}/group")
def group_page(request: Request, uow: ConsoleUow, container: ContainerDep) -> Response:
    """分组: the form, and with codes given the result with its reason path."""
    params = dict(request.query_params)
    form = {k: params.get(k, "") for k in (*_GROUP_FIELDS, "admdvs", "table", "on", "total_yuan")}
    outcome = None
    error = None
    if form["diag_codes"]:
        try:
            case = service.case_from_fields({**form, "case_id": form["case_id"] or "console"})
            total = None
            if form["total_yuan"]:
                total = yuan_to_fen(form["total_yuan"], field="total_yuan")
            outcome = service.group_case(
                uow=uow,
                reference_dir=container.settings.reference_dir,
                case=case,
                admdvs=form["admdvs"] or None,
                table=form["table"] or None,
                on=parse_date(form["on"] or None, field="on", required=False)
                or datetime.now(LOCAL_TZ).date(),
                total_fen=total,
            )
        except BusinessError as exc:
            error = exc
    return render(
        request,
        "payment/group.html",
        actor=uow.actor,
        form=form,
        outcome=outcome,
        error=error,
        status_code=error_status(error) if error else 200,
    )


@router.get(f"{_P}/tables/{{table_id}}")
def table_detail(request: Request, uow: ConsoleUow, table_id: int, q: str | None = None) -> Response:
    try:
        table = service.get_table(uow=uow, table_id=table_id)
        rows = service.table_rows(uow=uow, table_id=table_id, q=q, limit=300)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return render(request, "payment/table.html", actor=uow.actor, table=table, rows=rows, q=q or "")


@router.post(f"{_P}/clearings")
def clearing_run(request: Request, uow: ConsoleUow, form: FormData, container: ContainerDep) -> Response:
    try:
        clearing = service.run_clearing(
            uow=uow,
            admdvs=form.get("admdvs", ""),
            period_kind=form.get("period_kind", ""),
            period=form.get("period", ""),
            reference_dir=container.settings.reference_dir,
        )
    except BusinessError as exc:
        tables = service.list_tables(uow=uow)
        methods = service.list_methods(uow=uow)
        clearings = service.list_clearings(uow=uow)
        return render(
            request,
            "payment/overview.html",
            actor=uow.actor,
            tables=tables,
            methods=methods,
            clearings=clearings,
            error=exc,
            form=form,
            status_code=error_status(exc),
        )
    return redirect(f"{_P}/clearings/{clearing.id}")


@router.get(f"{_P}/clearings/{{clearing_id}}")
def clearing_detail(request: Request, uow: ConsoleUow, clearing_id: int) -> Response:
    try:
        clearing, lines, orders = service.get_clearing(uow=uow, clearing_id=clearing_id)
        check = service.reconcile(uow=uow, clearing_id=clearing_id)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    chart = {
        "codes": [line.fixmedins_code for line in lines],
        "declared": [line.declared / 100 for line in lines],
        "deducted": [line.deducted / 100 for line in lines],
        "payable": [line.payable / 100 for line in lines],
    }
    return render(
        request,
        "payment/clearing.html",
        actor=uow.actor,
        clearing=clearing,
        lines=lines,
        orders=orders,
        rows=service.statement_rows(lines),
        headers=service.STATEMENT_HEADERS,
        check=check,
        chart=chart,
    )


@router.get(f"{_P}/clearings/{{clearing_id}}/statement.xlsx")
def clearing_excel(
    request: Request, uow: ConsoleUow, clearing_id: int, fixmedins_code: str | None = None
) -> Response:
    try:
        data = service.statement_xlsx(uow=uow, clearing_id=clearing_id, fixmedins_code=fixmedins_code or None)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f"attachment; filename=clearing-{clearing_id}.xlsx"},
    )


@router.get(f"{_P}/clearings/{{clearing_id}}/statement.pdf")
def clearing_pdf(
    request: Request, uow: ConsoleUow, clearing_id: int, fixmedins_code: str | None = None
) -> Response:
    try:
        data = service.statement_pdf(uow=uow, clearing_id=clearing_id, fixmedins_code=fixmedins_code or None)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename=clearing-{clearing_id}.pdf"},
    )
