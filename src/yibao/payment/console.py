"""Console pages of payment methods and clearing: grouping with its reason path, payment tables,
payment methods, clearing statements with a chart and the Excel download."""

from __future__ import annotations

import json
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from yibao.console.deps import ConsoleUow, FormData
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.clock import LOCAL_TZ
from yibao.core.excel import XLSX_MEDIA_TYPE
from yibao.core.security import Perm
from yibao.core.validation import parse_date, require_date
from yibao.domain.errors import BusinessError, invalid
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


@router.get(f"{_P}/tables/{{table_id:int}}")
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


# ---------------------------------------------------------------- payment methods (支付方式配置)

_METHOD_FIELDS = ("admdvs", "fixmedins_code", "insutype", "method", "begin", "end", "params")


def _method_page(
    request: Request, uow: ConsoleUow, form: dict[str, str], error: BusinessError | None = None
) -> Response:
    return render(
        request,
        "payment/method_form.html",
        actor=uow.actor,
        form=form,
        methods=service.METHODS,
        names=service.METHOD_NAMES,
        examples={k: json.dumps(v, ensure_ascii=False) for k, v in service.METHOD_EXAMPLES.items()},
        error=error,
        status_code=error_status(error) if error else 200,
    )


@router.get(f"{_P}/methods/new")
def method_form(request: Request, uow: ConsoleUow) -> Response:
    """配置支付方式: region default or one institution, scheme and period, with the terms."""
    return _method_page(
        request,
        uow,
        {"method": "drg", "params": json.dumps(service.METHOD_EXAMPLES["drg"], ensure_ascii=False)},
    )


@router.post(f"{_P}/methods")
def method_save(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    values = {k: form.get(k, "").strip() for k in _METHOD_FIELDS}
    try:
        service.set_method(
            uow=uow,
            admdvs=values["admdvs"],
            method=values["method"],
            params=service.params_from_text(values["params"]),
            begin=require_date(values["begin"], field="begin"),
            end=parse_date(values["end"], field="end", required=False),
            fixmedins_code=values["fixmedins_code"] or None,
            insutype=values["insutype"] or None,
        )
    except BusinessError as exc:
        return _method_page(request, uow, values, exc)
    return redirect(f"{_P}#method-list")


# ---------------------------------------------------------------- DRG tables (付费标准导入)

_TABLE_FIELDS = ("admdvs", "name", "begin", "end", "reference")


def _table_page(
    request: Request,
    uow: ConsoleUow,
    container: ContainerDep,
    form: dict[str, str],
    error: BusinessError | None = None,
) -> Response:
    return render(
        request,
        "payment/table_form.html",
        actor=uow.actor,
        form=form,
        references=service.reference_table_names(container.settings.reference_dir),
        error=error,
        status_code=error_status(error) if error else 200,
    )


@router.get(f"{_P}/tables/new")
def table_form(request: Request, uow: ConsoleUow, container: ContainerDep) -> Response:
    """导入付费标准: upload a regional table (CSV) or pick one of the published tables."""
    return _table_page(request, uow, container, {})


@router.post(f"{_P}/tables")
async def table_load(request: Request, uow: ConsoleUow, container: ContainerDep) -> Response:
    submitted = await request.form()
    values = {k: str(submitted.get(k) or "").strip() for k in _TABLE_FIELDS}
    upload = submitted.get("file")
    try:
        begin = parse_date(values["begin"], field="begin", required=False)
        end = parse_date(values["end"], field="end", required=False)
        if values["reference"]:
            table = service.load_reference_table(
                uow=uow,
                admdvs=values["admdvs"],
                reference_dir=container.settings.reference_dir,
                name=values["reference"],
                begin=begin,
                end=end,
            )
        else:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise invalid("REQUIRED", "file", "字段 file：请选择付费标准文件，或选择参考数据中的付费标准")
            if begin is None:
                raise invalid("REQUIRED", "begin", "字段 begin：请填写生效日期")
            text = service.decode_table_file(await upload.read())
            table = service.load_table(
                uow=uow,
                admdvs=values["admdvs"],
                name=values["name"] or upload.filename.rsplit(".", 1)[0],
                text=text,
                begin=begin,
                end=end,
                source=upload.filename,
            )
    except BusinessError as exc:
        return _table_page(request, uow, container, values, exc)
    return redirect(f"{_P}/tables/{table.id}")


@router.post(f"{_P}/tables/reference")
def table_load_all(request: Request, uow: ConsoleUow, form: FormData, container: ContainerDep) -> Response:
    """导入全部 27 个参考付费标准 for a region, each valid for the year in its name."""
    try:
        service.load_reference_tables(
            uow=uow, admdvs=form.get("admdvs", ""), reference_dir=container.settings.reference_dir
        )
    except BusinessError as exc:
        return _table_page(request, uow, container, {"admdvs": form.get("admdvs", "")}, exc)
    return redirect(f"{_P}#table-list")
