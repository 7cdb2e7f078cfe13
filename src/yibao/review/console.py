"""Console pages of claims review (审核): declarations, queue, decisions, answers, appeals, timeline."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from yibao.console.deps import ConsoleUow, FormData
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.excel import XLSX_MEDIA_TYPE
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.domain import review as rules
from yibao.domain.errors import BusinessError, invalid
from yibao.domain.money import yuan_to_fen
from yibao.review import service

router = APIRouter(prefix="/console/review", include_in_schema=False)
NAV = [NavItem("/console/review", "审核", "Review", Perm.REVIEW_READ, order=50)]
_D = "/console/review/declarations"

LABELS: dict[str, Any] = {
    "item_status": {s.value: z for s, z in rules.ITEM_STATUS_ZH.items()},
    "decl_status": {s.value: z for s, z in rules.DECLARATION_STATUS_ZH.items()},
    "reasons": [(r.value, rules.REASON_ZH[r]) for r in rules.Reason],
    "reason_zh": {r.value: z for r, z in rules.REASON_ZH.items()},
    "action_zh": {a.value: z for a, z in rules.ACTION_ZH.items()}
    | {
        "declare": "申报",
        "start_review": "开始审核",
        "flag": "列入审核",
        "complete": "审核完成",
        "close": "结案",
    },
    "scope_zh": {"line": "明细", "visit": "就诊", "claim": "零星报销"},
}


def _fen(text: str | None, field: str) -> int | None:
    """Yuan typed in a form as fen (blank: none)."""
    if text is None or not text.strip():
        return None
    return yuan_to_fen(text, field=field)


@router.get("")
def declarations(
    request: Request,
    uow: ConsoleUow,
    period: str | None = None,
    fixmedins_code: str | None = None,
    status: str | None = None,
    page: int = 1,
) -> Response:
    filters = {"period": period or "", "fixmedins_code": fixmedins_code or "", "status": status or ""}
    try:
        result = service.list_declarations(
            uow=uow,
            period=period or None,
            fixmedins_code=fixmedins_code or None,
            status=status or None,
            page=max(page, 1),
            size=20,
        )
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))
    return render(
        request, "review/declarations.html", actor=uow.actor, page=result, filters=filters, labels=LABELS
    )


@router.get("/queue")
def queue(
    request: Request,
    uow: ConsoleUow,
    period: str | None = None,
    fixmedins_code: str | None = None,
    status: str | None = None,
    reason_code: str | None = None,
    source: str | None = None,
    page: int = 1,
) -> Response:
    filters = {
        "period": period or "",
        "fixmedins_code": fixmedins_code or "",
        "status": status or "",
        "reason_code": reason_code or "",
        "source": source or "",
    }
    try:
        result = service.review_queue(
            uow=uow,
            period=period or None,
            fixmedins_code=fixmedins_code or None,
            status=status or None,
            reason_code=reason_code or None,
            source=source or None,
            page=max(page, 1),
            size=50,
        )
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))
    return render(request, "review/queue.html", actor=uow.actor, page=result, filters=filters, labels=LABELS)


def _declaration_page(
    request: Request, uow: UnitOfWork, decl_no: str, *, error: BusinessError | None = None, **extra: Any
) -> Response:
    try:
        view = service.get_declaration(uow=uow, decl_no=decl_no)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))
    return render(
        request,
        "review/declaration.html",
        actor=uow.actor,
        view=view,
        labels=LABELS,
        error=error,
        status_code=error_status(error) if error else 200,
        **extra,
    )


@router.get("/declarations/{decl_no}")
def declaration(request: Request, decl_no: str, uow: ConsoleUow) -> Response:
    return _declaration_page(request, uow, decl_no)


@router.get("/declarations/{decl_no}/export.xlsx")
def export(request: Request, decl_no: str, uow: ConsoleUow) -> Response:
    try:
        data = service.export_declaration(uow=uow, decl_no=decl_no)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))
    name = quote(f"审核结果-{decl_no}.xlsx")
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@router.post("/declarations/{decl_no}/items")
def add_item(request: Request, decl_no: str, uow: ConsoleUow, form: FormData) -> Response:
    try:
        service.add_item(
            uow=uow,
            decl_no=decl_no,
            setl_id=form.get("setl_id"),
            bkkp_sn=form.get("bkkp_sn"),
            claim_no=form.get("claim_no"),
            note=form.get("note"),
        )
    except BusinessError as exc:
        return _declaration_page(request, uow, decl_no, error=exc, form=form)
    return redirect(f"{_D}/{quote(decl_no)}#items")


@router.post("/declarations/{decl_no}/return")
def return_declaration(request: Request, decl_no: str, uow: ConsoleUow, form: FormData) -> Response:
    try:
        decl = service.return_declaration(uow=uow, decl_no=decl_no, reason=form.get("reason", ""))
    except BusinessError as exc:
        return _declaration_page(request, uow, decl_no, error=exc, form=form)
    return redirect(f"{_D}/{quote(decl.decl_no)}")


@router.post("/declarations/{decl_no}/complete")
def complete(request: Request, decl_no: str, uow: ConsoleUow) -> Response:
    try:
        service.complete_review(uow=uow, decl_no=decl_no)
    except BusinessError as exc:
        return _declaration_page(request, uow, decl_no, error=exc)
    return redirect(f"{_D}/{quote(decl_no)}")


@router.post("/declarations/{decl_no}/decide-batch")
def decide_batch(request: Request, decl_no: str, uow: ConsoleUow, form: FormData) -> Response:
    try:
        service.decide_batch(uow=uow, decl_no=decl_no, action=form.get("action", ""), note=form.get("note"))
    except BusinessError as exc:
        return _declaration_page(request, uow, decl_no, error=exc)
    return redirect(f"{_D}/{quote(decl_no)}#items")


@router.post("/declarations/{decl_no}/accept-all")
def accept_all(request: Request, decl_no: str, uow: ConsoleUow) -> Response:
    try:
        service.accept_all(uow=uow, decl_no=decl_no)
    except BusinessError as exc:
        return _declaration_page(request, uow, decl_no, error=exc)
    return redirect(f"{_D}/{quote(decl_no)}#items")


def _item_decl(uow: UnitOfWork, item_id: int) -> str | None:
    try:
        item = service.get_item(uow=uow, item_id=item_id)
    except BusinessError:
        return None
    view_decl = service.declaration_no_of(uow=uow, declaration_id=item.declaration_id)
    return view_decl


@router.post("/items/{item_id}/decide")
def decide(request: Request, item_id: int, uow: ConsoleUow, form: FormData) -> Response:
    decl_no = _item_decl(uow, item_id)
    if decl_no is None:
        exc = BusinessError(code="REVIEW_ITEM_NOT_FOUND", message=f"审核条目 {item_id} 不存在")
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    try:
        service.decide(
            uow=uow,
            item_id=item_id,
            action=form.get("action", ""),
            reason_code=form.get("reason_code") or None,
            amount_fen=_fen(form.get("amount"), "amount"),
            note=form.get("note"),
        )
    except BusinessError as exc:
        return _declaration_page(request, uow, decl_no, error=exc, form=form, failed_item=item_id)
    return redirect(f"{_D}/{quote(decl_no)}#item-{item_id}")


@router.post("/items/{item_id}/answer")
def answer(request: Request, item_id: int, uow: ConsoleUow, form: FormData) -> Response:
    decl_no = _item_decl(uow, item_id)
    if decl_no is None:
        exc = BusinessError(code="REVIEW_ITEM_NOT_FOUND", message=f"审核条目 {item_id} 不存在")
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    try:
        service.answer(uow=uow, item_id=item_id, action=form.get("action", ""), note=form.get("note"))
    except BusinessError as exc:
        return _declaration_page(request, uow, decl_no, error=exc, form=form, failed_item=item_id)
    return redirect(f"{_D}/{quote(decl_no)}#item-{item_id}")


@router.get("/declare")
def declare_form(
    request: Request, uow: ConsoleUow, fixmedins_code: str | None = None, period: str | None = None
) -> Response:
    code = fixmedins_code or uow.actor.institution_code or ""
    preview = None
    error = None
    if code and period:
        try:
            preview = service.settlements_to_declare(uow=uow, fixmedins_code=code, period=period)
        except BusinessError as exc:
            error = exc
    return render(
        request,
        "review/declare.html",
        actor=uow.actor,
        form={"fixmedins_code": code, "period": period or ""},
        preview=preview,
        error=error,
        status_code=error_status(error) if error else 200,
    )


@router.post("/declare")
def declare(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    claims: list[service.CashClaimInput] = []
    try:
        if form.get("invoice_no"):
            visit_date = form.get("visit_date") or ""
            try:
                day = date.fromisoformat(visit_date)
            except ValueError as exc:
                raise invalid("DATE_FORMAT", "visit_date", "字段 visit_date 日期格式应为 yyyy-MM-dd") from exc
            claims.append(
                service.CashClaimInput(
                    psn_no=form.get("psn_no", ""),
                    invoice_no=form.get("invoice_no", ""),
                    visit_date=day,
                    medfee_sumamt=_fen(form.get("medfee"), "medfee") or 0,
                    fund_pay_sumamt=_fen(form.get("verified"), "verified") or 0,
                )
            )
        decl = service.declare(
            uow=uow,
            fixmedins_code=form.get("fixmedins_code", ""),
            period=form.get("period", ""),
            cash_claims=claims,
            note=form.get("note"),
        )
    except BusinessError as exc:
        return render(
            request,
            "review/declare.html",
            actor=uow.actor,
            form=form,
            preview=None,
            error=exc,
            status_code=error_status(exc),
        )
    return redirect(f"{_D}/{quote(decl.decl_no)}")


@router.post("/findings")
async def import_findings(
    request: Request,
    uow: ConsoleUow,
    admdvs: str = Form(""),
    period: str = Form(""),
    run_no: str = Form(""),
    file: UploadFile | None = File(None),
) -> Response:
    try:
        if run_no.strip():
            result = service.import_run_findings(uow=uow, run_no=run_no, admdvs=admdvs, period=period)
        else:
            data = await file.read() if file is not None else b""
            name = file.filename if file is not None else ""
            rows = service.read_findings_file(name or "", data)
            result = service.import_findings(uow=uow, admdvs=admdvs, period=period, rows=rows)
    except BusinessError as exc:
        listing = service.list_declarations(uow=uow, size=20)
        return render(
            request,
            "review/declarations.html",
            actor=uow.actor,
            page=listing,
            filters={"period": period, "fixmedins_code": "", "status": ""},
            labels=LABELS,
            error=exc,
            status_code=error_status(exc),
        )
    listing = service.list_declarations(uow=uow, period=period, size=20)
    return render(
        request,
        "review/declarations.html",
        actor=uow.actor,
        page=listing,
        filters={"period": period, "fixmedins_code": "", "status": ""},
        labels=LABELS,
        imported=result,
    )


@router.get("/settings")
def settings_page(request: Request, uow: ConsoleUow, admdvs: str | None = None) -> Response:
    region = admdvs or next(iter(sorted(uow.actor.regions)), "")
    return _settings(request, uow, region)


def _settings(
    request: Request, uow: UnitOfWork, region: str, *, error: BusinessError | None = None, **extra: Any
) -> Response:
    try:
        rows = service.list_parameters(uow=uow, admdvs=region) if region else []
        days = service.list_calendar(uow=uow)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))
    return render(
        request,
        "review/settings.html",
        actor=uow.actor,
        region=region,
        rows=rows,
        days=days,
        defaults=rules.DEFAULT_PARAMETERS,
        error=error,
        status_code=error_status(error) if error else 200,
        **extra,
    )


def _int(form: dict[str, str], name: str, default: int) -> int:
    text = (form.get(name) or "").strip()
    if not text:
        return default
    if not text.lstrip("-").isdigit() or len(text) > 6:
        raise invalid("FIELD_INT", name, f"字段 {name} 必须是整数")
    return int(text)


@router.post("/settings/parameters")
def set_parameters(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    region = form.get("admdvs", "")
    try:
        begin = date.fromisoformat(form.get("begin") or "")
    except ValueError:
        exc = invalid("DATE_FORMAT", "begin", "字段 begin 日期格式应为 yyyy-MM-dd")
        return _settings(request, uow, region, error=exc, form=form)
    try:
        end_text = form.get("end") or ""
        end = date.fromisoformat(end_text) if end_text else None
        d = rules.DEFAULT_PARAMETERS
        service.set_parameters(
            uow=uow,
            admdvs=region,
            begin=begin,
            end=end,
            declare_by_day=_int(form, "declare_by_day", d.declare_by_day),
            answer_working_days=_int(form, "answer_working_days", d.answer_working_days),
            repeat_multipliers=form.get("repeat_multipliers") or "2,3,4,5",
            repeat_window_months=_int(form, "repeat_window_months", d.repeat_window_months),
            absent_multiplier=_int(form, "absent_multiplier", d.absent_multiplier),
        )
    except ValueError:
        exc = invalid("DATE_FORMAT", "end", "字段 end 日期格式应为 yyyy-MM-dd")
        return _settings(request, uow, region, error=exc, form=form)
    except BusinessError as exc:
        return _settings(request, uow, region, error=exc, form=form)
    return redirect(f"/console/review/settings?admdvs={quote(region)}")


@router.post("/settings/calendar")
def set_calendar(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    region = form.get("admdvs", "")
    try:
        try:
            day = date.fromisoformat(form.get("day") or "")
        except ValueError as err:
            raise invalid("DATE_FORMAT", "day", "字段 day 日期格式应为 yyyy-MM-dd") from err
        service.set_calendar_day(uow=uow, day=day, kind=form.get("kind", ""), name=form.get("name"))
    except BusinessError as exc:
        return _settings(request, uow, region, error=exc, form=form)
    return redirect(f"/console/review/settings?admdvs={quote(region)}")
