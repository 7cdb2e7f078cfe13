"""Console pages of supervision (稽核): inspections with findings and evidence, ward rounds, patient
checks, whistleblower reports, decisions and the disclosure list; Excel exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from yibao.console.deps import ConsoleUow, FormData
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.excel import XLSX_MEDIA_TYPE, write_xlsx
from yibao.core.paging import MAX_PAGE_SIZE
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import require_date
from yibao.domain.errors import BusinessError, invalid
from yibao.domain.money import yuan_to_fen
from yibao.supervision import service

router = APIRouter(include_in_schema=False)
NAV = [NavItem("/console/supervision", "稽核", "Supervision", Perm.SUPERVISE_READ, order=46)]
_S = "/console/supervision"
_CHINA = timezone(timedelta(hours=8))


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(
        data, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": f"attachment; filename={filename}"}
    )


def _render(request: Request, uow: UnitOfWork, template: str, status: int = 200, **context: Any) -> Response:
    return render(
        request, template, actor=uow.actor, options=service.form_options(), status_code=status, **context
    )


def _refused(request: Request, uow: UnitOfWork, exc: BusinessError) -> Response:
    return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))


def _fen(form: dict[str, str], name: str) -> int:
    text = (form.get(name) or "").strip()
    return yuan_to_fen(text, field=name) if text else 0


def _int(form: dict[str, str], name: str) -> int | None:
    text = (form.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise invalid("INTEGER_FORMAT", name, f"字段 {name} 须为非负整数")
    return int(text)


def _page(
    request: Request, uow: UnitOfWork, template: str, load: Callable[[], Any], name: str = "page"
) -> Response:
    """A page showing what `load` reads (under `name`), or the refusal when it is refused."""
    try:
        value = load()
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return _render(request, uow, template, form={}, **{name: value})


def _submit(
    request: Request,
    uow: UnitOfWork,
    form: dict[str, str],
    act: Callable[[], str],
    template: str,
    reload: Callable[[], Any],
    name: str = "page",
) -> Response:
    """Carry out a form: on success go where `act` says; when refused, show the page again with the
    form as entered and the error beside its field."""
    try:
        target = act()
    except BusinessError as exc:
        return _render(request, uow, template, error_status(exc), form=form, error=exc, **{name: reload()})
    return redirect(target)


def _lines(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").replace("，", ",").replace("、", ",").split(",") if x.strip()]


# ---- inspections ---------------------------------------------------------------------------------


@router.get(_S)
def inspections(
    request: Request, uow: ConsoleUow, fixmedins_code: str | None = None, page: int = 1
) -> Response:
    return _page(
        request,
        uow,
        "supervision/inspections.html",
        lambda: service.list_inspections(uow=uow, fixmedins_code=fixmedins_code, page=max(page, 1)),
    )


@router.post(_S)
def inspection_create(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    def act() -> str:
        view = service.create_inspection(
            uow=uow,
            fixmedins_code=form.get("fixmedins_code", ""),
            kind=form.get("kind", ""),
            planned_on=require_date(form.get("planned_on"), field="planned_on"),
            team=_lines(form.get("team")),
            scope=form.get("scope", ""),
            departments=_lines(form.get("departments")),
        )
        return f"{_S}/inspections/{view.inspection_no}"

    return _submit(
        request, uow, form, act, "supervision/inspections.html", lambda: service.list_inspections(uow=uow)
    )


@router.get(f"{_S}/inspections.xlsx")
def inspections_export(uow: ConsoleUow) -> Response:
    rows = service.list_inspections(uow=uow, size=MAX_PAGE_SIZE).items
    data = write_xlsx(
        "检查",
        [
            "编号",
            "类型",
            "机构编码",
            "机构名称",
            "计划日期",
            "状态",
            "检查组",
            "范围",
            "问题金额（元）",
            "结论",
            "来源",
        ],
        [
            [
                i.inspection_no,
                i.kind_name,
                i.fixmedins_code,
                i.fixmedins_name,
                i.planned_on,
                i.status_name,
                "、".join(i.team),
                i.scope,
                i.findings_amount / 100,
                i.conclusion,
                i.source_ref or i.source,
            ]
            for i in rows
        ],
    )
    return _xlsx(data, "inspections.xlsx")


@router.get(f"{_S}/inspections/{{number}}")
def inspection(request: Request, uow: ConsoleUow, number: str) -> Response:
    return _page(
        request,
        uow,
        "supervision/inspection.html",
        lambda: service.show_inspection(uow=uow, inspection_no=number),
        name="i",
    )


@router.post(f"{_S}/inspections/{{number}}/action")
def inspection_action(request: Request, uow: ConsoleUow, number: str, form: FormData) -> Response:
    try:
        service.change_inspection(
            uow=uow,
            inspection_no=number,
            action=form.get("action", ""),
            day=require_date(form.get("day"), field="day"),
            conclusion=form.get("conclusion") or None,
        )
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return redirect(f"{_S}/inspections/{number}")


@router.post(f"{_S}/inspections/{{number}}/findings")
def inspection_finding(request: Request, uow: ConsoleUow, number: str, form: FormData) -> Response:
    def act() -> str:
        service.add_finding(
            uow=uow,
            inspection_no=number,
            category=form.get("category", ""),
            description=form.get("description", ""),
            amount=_fen(form, "amount"),
            psn_no=form.get("psn_no") or None,
            dr_code=form.get("dr_code") or None,
        )
        return f"{_S}/inspections/{number}"

    return _submit(
        request,
        uow,
        form,
        act,
        "supervision/inspection.html",
        lambda: service.show_inspection(uow=uow, inspection_no=number),
        name="i",
    )


@router.post(f"{_S}/inspections/{{number}}/evidence")
async def inspection_evidence(
    request: Request, uow: ConsoleUow, number: str, file: UploadFile = File(...), note: str = Form("")
) -> Response:
    try:
        service.add_evidence(
            uow=uow,
            inspection_no=number,
            filename=file.filename or "",
            data=await file.read(),
            media_type=file.content_type,
            note=note or None,
        )
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return redirect(f"{_S}/inspections/{number}")


@router.get(f"{_S}/inspections/{{number}}/evidence/{{evidence_id}}")
def inspection_evidence_file(request: Request, uow: ConsoleUow, number: str, evidence_id: int) -> Response:
    from urllib.parse import quote

    try:
        name, media, data = service.get_evidence(uow=uow, inspection_no=number, evidence_id=evidence_id)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return Response(
        data, media_type=media, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
    )


# ---- ward rounds ----------------------------------------------------------------------------------


def _patients(text: str | None) -> list[dict[str, Any]]:
    """Lines "人员编号,姓名,床号,在床(1/0)" into patient rows; a bad line is refused."""
    rows: list[dict[str, Any]] = []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        cells = [c.strip() for c in raw.replace("，", ",").split(",")]
        if not any(cells):
            continue
        if len(cells) != 4 or cells[3] not in ("1", "0"):
            raise invalid(
                "ROUND_LINE",
                "patients",
                f"字段 patients 第{n}行应为 人员编号,姓名,床号,在床(1/0)，实际为 {raw!r}",
            )
        rows.append({"psn_no": cells[0], "name": cells[1], "bed_no": cells[2], "present": cells[3] == "1"})
    return rows


@router.get(f"{_S}/rounds")
def rounds(request: Request, uow: ConsoleUow, fixmedins_code: str | None = None, page: int = 1) -> Response:
    return _page(
        request,
        uow,
        "supervision/rounds.html",
        lambda: service.list_rounds(uow=uow, fixmedins_code=fixmedins_code, page=max(page, 1)),
    )


@router.post(f"{_S}/rounds")
def round_create(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    def act() -> str:
        text = (form.get("round_at") or "").strip()
        try:
            at = datetime.fromisoformat(text).replace(tzinfo=_CHINA)
        except ValueError as exc:
            raise invalid(
                "DATETIME_FORMAT", "round_at", "字段 round_at 查房时间格式应为 yyyy-MM-ddTHH:mm"
            ) from exc
        view = service.record_ward_round(
            uow=uow,
            fixmedins_code=form.get("fixmedins_code", ""),
            round_at=at,
            inspectors=_lines(form.get("inspectors")),
            patients=_patients(form.get("patients")),
            standard_fen=_fen(form, "standard"),
        )
        return f"{_S}/rounds/{view.round_no}"

    return _submit(request, uow, form, act, "supervision/rounds.html", lambda: service.list_rounds(uow=uow))


@router.get(f"{_S}/rounds.xlsx")
def rounds_export(uow: ConsoleUow) -> Response:
    rows = service.list_rounds(uow=uow, size=MAX_PAGE_SIZE).items
    data = write_xlsx(
        "查房",
        [
            "编号",
            "机构编码",
            "机构名称",
            "查房时间",
            "在院人数",
            "在床人数",
            "在床率",
            "标准",
            "低于标准人次",
            "拒付（元）",
        ],
        [
            [
                r.round_no,
                r.fixmedins_code,
                r.fixmedins_name,
                r.round_at.astimezone(_CHINA).strftime("%Y-%m-%d %H:%M"),
                r.total,
                r.present,
                f"{r.rate_bp / 100:.2f}%",
                f"{r.threshold_bp / 100:.2f}%",
                r.shortfall,
                r.refused_fen / 100,
            ]
            for r in rows
        ],
    )
    return _xlsx(data, "ward-rounds.xlsx")


@router.get(f"{_S}/rounds/{{number}}")
def round_detail(request: Request, uow: ConsoleUow, number: str) -> Response:
    return _page(
        request, uow, "supervision/round.html", lambda: service.show_round(uow=uow, round_no=number), name="r"
    )


# ---- patient checks -------------------------------------------------------------------------------


@router.get(f"{_S}/checks")
def checks(request: Request, uow: ConsoleUow, page: int = 1) -> Response:
    return _page(
        request,
        uow,
        "supervision/checks.html",
        lambda: service.list_patient_checks(uow=uow, page=max(page, 1)),
    )


@router.post(f"{_S}/checks")
def check_create(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    def act() -> str:
        service.record_patient_check(
            uow=uow,
            fixmedins_code=form.get("fixmedins_code", ""),
            psn_no=form.get("psn_no", ""),
            mode=form.get("mode", ""),
            day=require_date(form.get("day"), field="day"),
            checks={k: form.get(f"ck_{k}") == "1" for k, _zh in service.form_options()["checkpoints"]},
            mdtrt_id=form.get("mdtrt_id") or None,
            note=form.get("note") or None,
        )
        return f"{_S}/checks"

    return _submit(
        request, uow, form, act, "supervision/checks.html", lambda: service.list_patient_checks(uow=uow)
    )


# ---- reports ----------------------------------------------------------------------------------------


@router.get(f"{_S}/reports")
def reports(request: Request, uow: ConsoleUow, status: str | None = None, page: int = 1) -> Response:
    return _page(
        request,
        uow,
        "supervision/reports.html",
        lambda: service.list_reports(uow=uow, status=status, page=max(page, 1)),
    )


@router.post(f"{_S}/reports")
def report_create(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    def act() -> str:
        view = service.create_report(
            uow=uow,
            admdvs=form.get("admdvs", ""),
            received_on=require_date(form.get("received_on"), field="received_on"),
            channel=form.get("channel", ""),
            content=form.get("content", ""),
            anonymous=form.get("anonymous") == "1",
            reporter_name=form.get("reporter_name") or None,
            reporter_phone=form.get("reporter_phone") or None,
            fixmedins_code=form.get("fixmedins_code") or None,
            dr_code=form.get("dr_code") or None,
            psn_no=form.get("psn_no") or None,
        )
        return f"{_S}/reports/{view.report_no}"

    return _submit(request, uow, form, act, "supervision/reports.html", lambda: service.list_reports(uow=uow))


@router.get(f"{_S}/reports.xlsx")
def reports_export(uow: ConsoleUow) -> Response:
    rows = service.list_reports(uow=uow, size=MAX_PAGE_SIZE).items
    data = write_xlsx(
        "举报",
        [
            "编号",
            "受理日期",
            "渠道",
            "匿名",
            "被举报机构",
            "被举报医师",
            "状态",
            "追回（元）",
            "奖励（元）",
            "奖励发放日期",
        ],
        [
            [
                r.report_no,
                r.received_on,
                r.channel,
                "是" if r.anonymous else "否",
                r.fixmedins_code,
                r.dr_code,
                r.status_name,
                r.recovered / 100,
                r.reward / 100,
                r.reward_paid_on,
            ]
            for r in rows
        ],
    )
    return _xlsx(data, "reports.xlsx")


@router.get(f"{_S}/reports/{{number}}")
def report_detail(request: Request, uow: ConsoleUow, number: str) -> Response:
    return _page(
        request,
        uow,
        "supervision/report.html",
        lambda: service.show_report(uow=uow, report_no=number),
        name="r",
    )


@router.post(f"{_S}/reports/{{number}}/action")
def report_action(request: Request, uow: ConsoleUow, number: str, form: FormData) -> Response:
    def act() -> str:
        recovered = (form.get("recovered") or "").strip()
        service.change_report(
            uow=uow,
            report_no=number,
            action=form.get("action", ""),
            day=require_date(form.get("day"), field="day"),
            note=form.get("note") or None,
            recovered=yuan_to_fen(recovered, field="recovered") if recovered else None,
        )
        return f"{_S}/reports/{number}"

    return _submit(
        request,
        uow,
        form,
        act,
        "supervision/report.html",
        lambda: service.show_report(uow=uow, report_no=number),
        name="r",
    )


# ---- decisions and disclosure -------------------------------------------------------------------------


@router.get(f"{_S}/decisions")
def decisions(request: Request, uow: ConsoleUow, page: int = 1) -> Response:
    return _page(
        request, uow, "supervision/decisions.html", lambda: service.list_decisions(uow=uow, page=max(page, 1))
    )


@router.post(f"{_S}/decisions")
def decision_create(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    def act() -> str:
        view = service.create_decision(
            uow=uow,
            target_type=form.get("target_type", ""),
            kind=form.get("kind", ""),
            reason=form.get("reason", ""),
            fixmedins_code=form.get("fixmedins_code") or None,
            dr_code=form.get("dr_code") or None,
            psn_no=form.get("psn_no") or None,
            amount=_fen(form, "amount"),
            fine_pct=_int(form, "fine_pct"),
            months=_int(form, "months"),
            referral_to=form.get("referral_to") or None,
            violation=form.get("violation") or None,
            inspection_no=form.get("inspection_no") or None,
            ban_years=_int(form, "ban_years"),
            ban_permanent=form.get("ban_permanent") == "1",
        )
        return f"{_S}/decisions/{view.decision_no}"

    return _submit(
        request, uow, form, act, "supervision/decisions.html", lambda: service.list_decisions(uow=uow)
    )


@router.post(f"{_S}/cases")
def case_take_up(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    """Take up a confirmed monitoring case: the result (deductions, decisions, findings left aside) is
    shown above the decisions."""
    try:
        taken = service.take_up_case(
            uow=uow,
            case_no=form.get("case_no", ""),
            fine_pct=_int(form, "case_fine_pct") or 0,
            reason=form.get("case_reason") or None,
            team=_lines(form.get("case_team")),
        )
    except BusinessError as exc:
        page = service.list_decisions(uow=uow)
        return _render(
            request, uow, "supervision/decisions.html", error_status(exc), page=page, form=form, error=exc
        )
    return _render(
        request, uow, "supervision/decisions.html", page=service.list_decisions(uow=uow), form={}, taken=taken
    )


@router.get(f"{_S}/decisions.xlsx")
def decisions_export(uow: ConsoleUow) -> Response:
    return _decisions_xlsx(
        service.list_decisions(uow=uow, size=MAX_PAGE_SIZE).items, "处理决定", "decisions.xlsx"
    )


@router.get(f"{_S}/disclosure.xlsx")
def disclosure_export(uow: ConsoleUow) -> Response:
    return _decisions_xlsx(
        service.disclosure_list(uow=uow, size=MAX_PAGE_SIZE).items, "信息披露", "disclosure.xlsx"
    )


def _decisions_xlsx(rows: list[service.DecisionView], sheet: str, filename: str) -> Response:
    data = write_xlsx(
        sheet,
        [
            "编号",
            "决定书文号",
            "对象类型",
            "对象",
            "机构编码",
            "处理",
            "金额（元）",
            "倍数",
            "处罚金额（元）",
            "月数",
            "状态",
            "签发日期",
            "理由",
        ],
        [
            [
                d.decision_no,
                d.document_no,
                d.target_type,
                d.target_name,
                d.fixmedins_code,
                d.kind_name,
                d.amount / 100,
                d.fine_pct / 100 if d.fine_pct else None,
                d.penalty / 100,
                d.months or None,
                d.status_name,
                d.issued_on,
                d.reason,
            ]
            for d in rows
        ],
    )
    return _xlsx(data, filename)


@router.get(f"{_S}/decisions/{{number}}")
def decision_detail(request: Request, uow: ConsoleUow, number: str) -> Response:
    return _page(
        request,
        uow,
        "supervision/decision.html",
        lambda: service.show_decision(uow=uow, decision_no=number),
        name="d",
    )


@router.post(f"{_S}/decisions/{{number}}/issue")
def decision_issue(request: Request, uow: ConsoleUow, number: str, form: FormData) -> Response:
    def act() -> str:
        service.issue_decision(
            uow=uow,
            decision_no=number,
            document_no=form.get("document_no", ""),
            day=require_date(form.get("day"), field="day"),
        )
        return f"{_S}/decisions/{number}"

    return _submit(
        request,
        uow,
        form,
        act,
        "supervision/decision.html",
        lambda: service.show_decision(uow=uow, decision_no=number),
        name="d",
    )


@router.get(f"{_S}/reminders")
def reminders_page(request: Request, uow: ConsoleUow, within_days: int = 60, margin: int = 2) -> Response:
    return _page(
        request,
        uow,
        "supervision/reminders.html",
        lambda: service.reminders(uow=uow, within_days=within_days, margin=margin),
        name="found",
    )


@router.get(f"{_S}/disclosure")
def disclosure(request: Request, uow: ConsoleUow, page: int = 1) -> Response:
    return _page(
        request,
        uow,
        "supervision/disclosure.html",
        lambda: service.disclosure_list(uow=uow, page=max(page, 1)),
    )
