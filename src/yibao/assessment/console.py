"""Console pages of assessment (考核): scorecards with the grade, the assessment letter, the yearly
ranking, purchase reports, doctors' points; Excel exports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from yibao.assessment import service
from yibao.console.deps import ConsoleUow, FormData
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.excel import XLSX_MEDIA_TYPE, write_xlsx
from yibao.core.imports import ImportRefusedError
from yibao.core.paging import MAX_PAGE_SIZE
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import parse_date, require_date
from yibao.domain.errors import BusinessError, invalid

router = APIRouter(include_in_schema=False)
NAV = [NavItem("/console/assessment", "考核", "Assessment", Perm.ASSESS_READ, order=45)]
_A = "/console/assessment"


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(
        data, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": f"attachment; filename={filename}"}
    )


def _page(request: Request, uow: UnitOfWork, template: str, **context: Any) -> Response:
    return render(request, template, actor=uow.actor, options=service.form_options(), **context)


def _refused(request: Request, uow: UnitOfWork, exc: BusinessError) -> Response:
    return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))


def _shown(request: Request, uow: UnitOfWork, template: str, name: str, load: Callable[[], Any]) -> Response:
    """A page showing what `load` reads (as `name`), or the refusal when it is refused."""
    try:
        value = load()
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return _page(request, uow, template, **{name: value})


def _actuals(text: str) -> dict[str, int]:
    """Lines "indicator=value" (or "indicator value") into a dict; a bad line is refused."""
    values: dict[str, int] = {}
    for n, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, _sep, value = line.replace(" ", "=", 1).partition("=")
        if not value.strip().isdigit():
            raise invalid(
                "ACTUAL_FORMAT", "actuals", f"字段 actuals 第{n}行应为 指标=非负整数，实际为 {line!r}"
            )
        values[name.strip()] = int(value.strip())
    return values


@router.get(_A)
def assessments(
    request: Request,
    uow: ConsoleUow,
    fixmedins_code: str | None = None,
    period: str | None = None,
    page: int = 1,
) -> Response:
    try:
        result = service.list_assessments(
            uow=uow, fixmedins_code=fixmedins_code, period=period, page=max(page, 1)
        )
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return _page(
        request,
        uow,
        "assessment/list.html",
        page=result,
        filters={"fixmedins_code": fixmedins_code or "", "period": period or ""},
    )


@router.get(f"{_A}/export.xlsx")
def assessments_export(
    uow: ConsoleUow, fixmedins_code: str | None = None, period: str | None = None
) -> Response:
    rows = service.list_assessments(
        uow=uow, fixmedins_code=fixmedins_code, period=period, size=MAX_PAGE_SIZE
    ).items
    headers = [
        "机构编码",
        "机构名称",
        "考核期",
        "得分",
        "信用等级",
        "等级名称",
        "处理",
        "执行日期",
        "执行情况",
    ]
    data = write_xlsx(
        "考核结果",
        headers,
        [
            [
                a.fixmedins_code,
                a.name,
                a.period,
                a.score / 100,
                a.grade,
                a.grade_label,
                a.consequence_text,
                a.applied_on,
                a.applied_note,
            ]
            for a in rows
        ],
    )
    return _xlsx(data, "assessments.xlsx")


@router.get(f"{_A}/new")
def assess_form(request: Request, uow: ConsoleUow, fixmedins_code: str | None = None) -> Response:
    return _page(request, uow, "assessment/assess.html", form={"fixmedins_code": fixmedins_code or ""})


@router.post(f"{_A}/new")
def assess_submit(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    try:
        view = service.assess(
            uow=uow,
            fixmedins_code=form.get("fixmedins_code", ""),
            period=form.get("period", ""),
            actuals=_actuals(form.get("actuals", "")),
        )
    except BusinessError as exc:
        return render(
            request,
            "assessment/assess.html",
            actor=uow.actor,
            options=service.form_options(),
            form=form,
            error=exc,
            status_code=error_status(exc),
        )
    return redirect(f"{_A}/{view.fixmedins_code}/{view.period}")


@router.get(f"{_A}/ranking")
def ranking(request: Request, uow: ConsoleUow, year: int | None = None) -> Response:
    chosen = year or service.today().year
    try:
        rows = service.ranking(uow=uow, year=chosen)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return _page(request, uow, "assessment/ranking.html", rows=rows, year=chosen)


@router.get(f"{_A}/ranking/{{year}}.xlsx")
def ranking_export(uow: ConsoleUow, year: int) -> Response:
    rows = service.ranking(uow=uow, year=year)
    data = write_xlsx(
        f"{year}年度考核排名",
        ["名次", "机构编码", "机构名称", "得分", "信用等级", "处理"],
        [
            [n, a.fixmedins_code, a.name, a.score / 100, a.grade, a.consequence_text]
            for n, a in enumerate(rows, start=1)
        ],
    )
    return _xlsx(data, f"ranking-{year}.xlsx")


@router.get(f"{_A}/reports")
def reports(request: Request, uow: ConsoleUow, fixmedins_code: str | None = None, page: int = 1) -> Response:
    try:
        result = service.list_reports(uow=uow, fixmedins_code=fixmedins_code, page=max(page, 1))
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return _page(
        request, uow, "assessment/reports.html", page=result, form={"fixmedins_code": fixmedins_code or ""}
    )


@router.post(f"{_A}/reports")
async def reports_upload(
    request: Request,
    uow: ConsoleUow,
    fixmedins_code: str = Form(""),
    period: str = Form(""),
    file: UploadFile = File(...),
) -> Response:
    try:
        view = service.import_purchase_report(
            uow=uow,
            fixmedins_code=fixmedins_code,
            period=period,
            data=await file.read(),
            filename=file.filename or "",
        )
    except BusinessError as exc:
        result = service.list_reports(uow=uow, page=1)
        rows = exc.rows if isinstance(exc, ImportRefusedError) else []
        return render(
            request,
            "assessment/reports.html",
            actor=uow.actor,
            options=service.form_options(),
            page=result,
            form={"fixmedins_code": fixmedins_code, "period": period},
            error=exc,
            row_errors=rows,
            status_code=error_status(exc),
        )
    return redirect(f"{_A}/reports/{view.fixmedins_code}/{view.period}")


@router.get(f"{_A}/reports/{{code}}/{{period}}")
def report_detail(request: Request, uow: ConsoleUow, code: str, period: str) -> Response:
    return _shown(
        request,
        uow,
        "assessment/report.html",
        "report",
        lambda: service.show_report(uow=uow, fixmedins_code=code, period=period),
    )


@router.get(f"{_A}/points")
def points(
    request: Request, uow: ConsoleUow, dr_code: str | None = None, year: int | None = None, page: int = 1
) -> Response:
    try:
        result = service.list_point_entries(uow=uow, dr_code=dr_code, year=year, page=max(page, 1))
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return _page(request, uow, "assessment/points.html", page=result, form={"dr_code": dr_code or ""})


@router.post(f"{_A}/points")
def points_submit(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    try:
        day = require_date(form.get("day"), field="day")
        entry = service.deduct_points(
            uow=uow,
            dr_code=form.get("dr_code", ""),
            violation=form.get("violation", ""),
            day=day,
            fixmedins_code=form.get("fixmedins_code") or None,
            note=form.get("note") or None,
        )
    except BusinessError as exc:
        return render(
            request,
            "assessment/points.html",
            actor=uow.actor,
            options=service.form_options(),
            page=service.list_point_entries(uow=uow),
            form=form,
            error=exc,
            status_code=error_status(exc),
        )
    return redirect(f"{_A}/doctors/{entry.dr_code}?year={entry.year}")


@router.get(f"{_A}/points/export.xlsx")
def points_export(uow: ConsoleUow, year: int | None = None) -> Response:
    rows = service.list_point_entries(uow=uow, year=year, size=MAX_PAGE_SIZE).items
    data = write_xlsx(
        "医保医师扣分",
        ["医师编码", "机构", "日期", "违规类型", "扣分", "年度累计", "结果", "来源"],
        [
            [
                e.dr_code,
                e.fixmedins_code,
                e.day,
                e.label,
                e.points,
                e.year_total,
                e.outcome,
                e.source_ref or e.source,
            ]
            for e in rows
        ],
    )
    return _xlsx(data, "doctor-points.xlsx")


@router.get(f"{_A}/doctors/{{dr_code}}")
def doctor(request: Request, uow: ConsoleUow, dr_code: str, year: int | None = None) -> Response:
    return _shown(
        request,
        uow,
        "assessment/doctor.html",
        "doc",
        lambda: service.doctor_points(uow=uow, dr_code=dr_code, year=year),
    )


@router.post(f"{_A}/doctors/{{dr_code}}/trainings")
def training_submit(request: Request, uow: ConsoleUow, dr_code: str, form: FormData) -> Response:
    try:
        hours = form.get("hours", "")
        service.add_training(
            uow=uow,
            dr_code=dr_code,
            day=require_date(form.get("day"), field="day"),
            topic=form.get("topic", ""),
            hours=int(hours) if hours.isdigit() else 0,
            provider=form.get("provider") or None,
        )
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return redirect(f"{_A}/doctors/{dr_code}")


@router.get(f"{_A}/{{code}}/{{period}}")
def scorecard(request: Request, uow: ConsoleUow, code: str, period: str) -> Response:
    return _shown(
        request,
        uow,
        "assessment/scorecard.html",
        "a",
        lambda: service.show_assessment(uow=uow, fixmedins_code=code, period=period),
    )


@router.get(f"{_A}/{{code}}/{{period}}/letter")
def letter(request: Request, uow: ConsoleUow, code: str, period: str) -> Response:
    return _shown(
        request,
        uow,
        "assessment/letter.html",
        "a",
        lambda: service.show_assessment(uow=uow, fixmedins_code=code, period=period),
    )


@router.post(f"{_A}/{{code}}/{{period}}/apply")
def apply(request: Request, uow: ConsoleUow, code: str, period: str, form: FormData) -> Response:
    try:
        day = parse_date(form.get("day"), field="day", required=False)
        service.apply_consequence(uow=uow, fixmedins_code=code, period=period, day=day)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return redirect(f"{_A}/{code}/{period}")
