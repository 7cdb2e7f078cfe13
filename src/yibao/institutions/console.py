"""Console pages for designated institutions and insurance doctors: lists, details, forms, import, export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from yibao.console.deps import ConsoleUow, FormData
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.excel import XLSX_MEDIA_TYPE, write_xlsx
from yibao.core.imports import ImportRefusedError
from yibao.core.paging import MAX_PAGE_SIZE
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import parse_date, require_date
from yibao.domain.errors import BusinessError
from yibao.institutions import service

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("/console/institutions", "定点机构", "Institutions", Perm.INSTITUTION_READ, order=40),
    NavItem("/console/doctors", "医保医师", "Insurance doctors", Perm.INSTITUTION_READ, order=41),
    NavItem(
        "/console/institutions/applications", "定点申请", "Applications", Perm.INSTITUTION_READ, order=42
    ),
]

_I = "/console/institutions"
_D = "/console/doctors"


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(
        data, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": f"attachment; filename={filename}"}
    )


def _page(request: Request, uow: UnitOfWork, template: str, **context: Any) -> Response:
    return render(request, template, actor=uow.actor, options=service.form_options(uow=uow), **context)


def _refused(request: Request, uow: UnitOfWork, exc: BusinessError) -> Response:
    status = error_status(exc)
    return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=status)


# ---- institutions ---------------------------------------------------------------------------------


@router.get(_I)
def institution_list(
    request: Request,
    uow: ConsoleUow,
    q: str | None = None,
    fixmedins_type: str | None = None,
    agreement_status: str | None = None,
    page: int = 1,
) -> Response:
    try:
        result = service.list_institutions(
            uow=uow,
            q=q,
            fixmedins_type=fixmedins_type,
            agreement_status=agreement_status,
            page=max(page, 1),
            size=20,
        )
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return _page(
        request,
        uow,
        "institutions/list.html",
        page=result,
        q=q,
        filters={"fixmedins_type": fixmedins_type or "", "agreement_status": agreement_status or ""},
    )


@router.get(f"{_I}/export.xlsx")
def institution_export(
    uow: ConsoleUow,
    q: str | None = None,
    fixmedins_type: str | None = None,
    agreement_status: str | None = None,
) -> Response:
    rows = service.list_institutions(
        uow=uow,
        q=q,
        fixmedins_type=fixmedins_type,
        agreement_status=agreement_status,
        page=1,
        size=MAX_PAGE_SIZE,
    ).items
    headers = [
        "机构编码",
        "名称",
        "机构类型",
        "医院等级",
        "统筹区",
        "地址",
        "统一社会信用代码",
        "协议状态",
        "今日状态",
        "协议开始",
        "协议结束",
        "今日可结算",
        "原因",
    ]
    data = write_xlsx(
        "定点机构",
        headers,
        [
            [
                i.fixmedins_code, i.name, i.fixmedins_type_name or i.fixmedins_type, i.hosp_lv_name,
                i.admdvs, i.address, i.uscc, i.agreement_status, i.effective_status,
                i.agreement_begin, i.agreement_end, "是" if i.can_settle_today else "否", i.settle_reason,
            ]
            for i in rows
        ],
    )  # fmt: skip
    return _xlsx(data, "institutions.xlsx")


@router.get(f"{_I}/new")
def institution_new(request: Request, uow: ConsoleUow) -> Response:
    return _page(request, uow, "institutions/form.html", form={"fixmedins_type": "1"}, editing=False)


@router.post(f"{_I}/new")
def institution_create(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    try:
        view = service.create_institution(
            uow=uow,
            fixmedins_code=form.get("fixmedins_code", ""),
            name=form.get("name", ""),
            fixmedins_type=form.get("fixmedins_type", ""),
            admdvs=form.get("admdvs", ""),
            hosp_lv=form.get("hosp_lv"),
            address=form.get("address"),
            uscc=form.get("uscc"),
            agreement_begin=parse_date(form.get("agreement_begin"), field="agreement_begin", required=False),
            agreement_end=parse_date(form.get("agreement_end"), field="agreement_end", required=False),
        )
    except BusinessError as exc:
        return _page(
            request,
            uow,
            "institutions/form.html",
            form=form,
            editing=False,
            error=exc,
            status_code=error_status(exc),
        )
    return redirect(f"{_I}/{view.fixmedins_code}")


@router.get(f"{_I}/import")
def import_page(request: Request, uow: ConsoleUow) -> Response:
    return _page(request, uow, "institutions/import.html", kind="institutions", rows=[], report=None)


@router.post(f"{_I}/import")
async def import_upload(
    request: Request, uow: ConsoleUow, kind: str = Form("institutions"), file: UploadFile = File(...)
) -> Response:
    data = await file.read()
    try:
        if kind == "doctors":
            report = service.import_doctors(uow=uow, data=data, filename=file.filename or "")
        else:
            report = service.import_institutions(uow=uow, data=data, filename=file.filename or "")
    except ImportRefusedError as exc:
        return _page(
            request,
            uow,
            "institutions/import.html",
            kind=kind,
            rows=exc.rows,
            report=None,
            error=exc,
            status_code=422,
        )
    except BusinessError as exc:
        return _page(
            request,
            uow,
            "institutions/import.html",
            kind=kind,
            rows=[],
            report=None,
            error=exc,
            status_code=error_status(exc),
        )
    return _page(request, uow, "institutions/import.html", kind=kind, rows=[], report=report)


# ---- admission (定点准入): these fixed paths come before /console/institutions/{code} ---------------------

_A = f"{_I}/applications"


@router.get(_A)
def application_list(
    request: Request, uow: ConsoleUow, status: str | None = None, code: str | None = None, page: int = 1
) -> Response:
    try:
        result = service.list_applications(uow=uow, status=status, fixmedins_code=code, page=max(page, 1))
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return _page(
        request,
        uow,
        "institutions/applications.html",
        page=result,
        filters={"status": status or "", "code": code or ""},
        form={"fixmedins_code": code or ""},
    )


@router.get(f"{_A}/export.xlsx")
def application_export(uow: ConsoleUow, status: str | None = None, code: str | None = None) -> Response:
    rows = service.list_applications(
        uow=uow, status=status, fixmedins_code=code, page=1, size=MAX_PAGE_SIZE
    ).items
    headers = ["申请编号", "机构编码", "机构名称", "受理日期", "状态", "审查日期", "评估得分", "合格分",
               "公示开始", "公示结束", "签订日期", "协议编号", "原因"]  # fmt: skip
    data = write_xlsx(
        "定点申请",
        headers,
        [
            [a.application_no, a.fixmedins_code, a.name, a.submitted_on, a.status_name, a.checked_on, a.score,
             a.pass_mark, a.notice_begin, a.notice_end, a.signed_on, a.agreement_no, a.reason]
            for a in rows
        ],
    )  # fmt: skip
    return _xlsx(data, "applications.xlsx")


@router.post(_A)
def application_submit(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    try:
        view = service.submit_application(
            uow=uow,
            fixmedins_code=form.get("fixmedins_code", ""),
            day=parse_date(form.get("day"), field="day", required=False),
            licence_no=form.get("licence_no"),
            licence_valid_until=parse_date(
                form.get("licence_valid_until"), field="licence_valid_until", required=False
            ),
            opened_on=parse_date(form.get("opened_on"), field="opened_on", required=False),
            systems_connected_on=parse_date(
                form.get("systems_connected_on"), field="systems_connected_on", required=False
            ),
            contact=form.get("contact"),
        )
    except BusinessError as exc:
        result = service.list_applications(uow=uow, page=1)
        return _page(
            request,
            uow,
            "institutions/applications.html",
            page=result,
            filters={"status": "", "code": ""},
            form=form,
            error=exc,
            status_code=error_status(exc),
        )
    return redirect(f"{_A}/{view.application_no}")


def _application_page(request: Request, uow: UnitOfWork, number: str, **context: Any) -> Response:
    try:
        view = service.show_application(uow=uow, application_no=number)
        checklist = service.checklist_in_force(
            uow=uow, admdvs=view.admdvs, fixmedins_type=view.fixmedins_type
        )
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    context.setdefault("form", {})
    return _page(request, uow, "institutions/application.html", app=view, checklist=checklist, **context)


@router.get(f"{_A}/{{number}}")
def application_detail(request: Request, number: str, uow: ConsoleUow) -> Response:
    return _application_page(request, uow, number)


def _step_refused(request: Request, uow: UnitOfWork, number: str, form: Any, exc: BusinessError) -> Response:
    response = _application_page(request, uow, number, form=form, error=exc)
    if response.status_code == 200:
        response.status_code = error_status(exc)
    return response


@router.post(f"{_A}/{{number}}/documents")
async def application_document(
    request: Request,
    number: str,
    uow: ConsoleUow,
    kind: str = Form(""),
    note: str = Form(""),
    file: UploadFile = File(...),
) -> Response:
    data = await file.read()
    try:
        service.add_document(
            uow=uow,
            application_no=number,
            kind=kind,
            filename=file.filename or "",
            data=data,
            media_type=file.content_type,
            note=note,
        )
    except BusinessError as exc:
        return _step_refused(request, uow, number, {"kind": kind, "note": note}, exc)
    return redirect(f"{_A}/{number}#documents")


@router.get(f"{_A}/{{number}}/documents/{{document_id}}")
def application_document_file(number: str, document_id: int, uow: ConsoleUow) -> Response:
    from urllib.parse import quote

    name, media, data = service.get_document(uow=uow, application_no=number, document_id=document_id)
    return Response(
        data, media_type=media, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
    )


@router.post(f"{_A}/{{number}}/step")
def application_step(request: Request, number: str, uow: ConsoleUow, form: FormData) -> Response:
    """One form endpoint per step, chosen by the hidden `step` field."""
    step = form.get("step", "")
    try:
        day = parse_date(form.get("day"), field="day", required=False)
        if step == "check":
            service.check_application(uow=uow, application_no=number, day=day)
        elif step == "facts":
            service.update_application(
                uow=uow,
                application_no=number,
                licence_no=form.get("licence_no") or None,
                licence_valid_until=parse_date(
                    form.get("licence_valid_until"), field="licence_valid_until", required=False
                ),
                opened_on=parse_date(form.get("opened_on"), field="opened_on", required=False),
                systems_connected_on=parse_date(
                    form.get("systems_connected_on"), field="systems_connected_on", required=False
                ),
                contact=form.get("contact") or None,
            )
        elif step == "assess":
            scores: dict[str, int] = {}
            for key, value in form.items():
                if key.startswith("score_"):
                    text = (value or "").strip()
                    if not text.isdigit():
                        raise BusinessError(
                            code="CHECKLIST_SCORE_FORMAT",
                            message=f"字段 {key} 得分须为非负整数，实际为 {value!r}",
                            field=key,
                        )
                    scores[key[len("score_") :]] = int(text)
            assessors = [
                a for a in form.get("assessors", "").replace("，", ",").replace("、", ",").split(",")
            ]
            service.assess_application(
                uow=uow, application_no=number, scores=scores, assessors=assessors, day=day
            )
        elif step == "notice":
            service.publish_notice(
                uow=uow,
                application_no=number,
                begin=require_date(form.get("notice_begin"), field="notice_begin"),
                end=require_date(form.get("notice_end"), field="notice_end"),
                where=form.get("notice_where"),
            )
        elif step == "objection":
            service.add_objection(
                uow=uow,
                application_no=number,
                day=require_date(form.get("objection_day"), field="objection_day"),
                content=form.get("content", ""),
                objector=form.get("objector"),
            )
        elif step == "answer":
            raw_id = form.get("objection_id", "")
            service.answer_objection(
                uow=uow,
                application_no=number,
                objection_id=int(raw_id) if raw_id.isdigit() else 0,
                outcome=form.get("outcome", ""),
                answer=form.get("answer", ""),
                day=require_date(form.get("answer_day"), field="answer_day"),
            )
        elif step == "close":
            service.close_notice(uow=uow, application_no=number, day=day)
        elif step == "sign":
            service.sign_application(
                uow=uow,
                application_no=number,
                begin=require_date(form.get("begin"), field="begin"),
                end=parse_date(form.get("end"), field="end", required=False),
                day=day,
                plaque_no=form.get("plaque_no"),
                terms_profile=form.get("terms_profile"),
            )
        elif step in ("reject", "withdraw"):
            service.end_application(
                uow=uow, application_no=number, action=step, reason=form.get("reason", ""), day=day
            )
        else:
            raise BusinessError(
                code="APPLICATION_ACTION", message=f"字段 step 未知的步骤 {step!r}", field="step"
            )
    except BusinessError as exc:
        return _step_refused(request, uow, number, form, exc)
    return redirect(f"{_A}/{number}")


@router.get(f"{_I}/{{code}}/certificate")
def institution_certificate(request: Request, code: str, uow: ConsoleUow) -> Response:
    """The printable certificate (资格证书) of the institution's current designation."""
    try:
        view = service.show_institution(uow=uow, fixmedins_code=code)
        history = service.agreement_history(uow=uow, fixmedins_code=code)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    cert = next((c for c in history.certificates if c.revoked_on is None), None)
    if cert is None:
        error = BusinessError(
            code="CERTIFICATE_NOT_FOUND",
            message=f"字段 fixmedins_code：机构 {code} 没有有效的定点资格证书",
            field="fixmedins_code",
        )
        return render(request, "not_found.html", actor=uow.actor, error=error, status_code=404)
    agreement = history.agreements[0] if history.agreements else None
    return render(
        request, "institutions/certificate.html", actor=uow.actor, inst=view, cert=cert, agreement=agreement
    )


@router.post(f"{_I}/{{code}}/bans")
def institution_ban(request: Request, code: str, uow: ConsoleUow, form: FormData) -> Response:
    years = (form.get("years") or "").strip()
    return _submit(
        lambda: service.record_ban(
            uow=uow,
            fixmedins_code=code,
            kind=form.get("ban_kind", ""),
            begin=require_date(form.get("ban_begin"), field="ban_begin"),
            reason=form.get("ban_reason", ""),
            years=int(years) if years.isdigit() else None,
            decision_no=form.get("decision_no"),
        ),
        lambda exc: _detail(request, uow, code, form=form, error=exc),
        f"{_I}/{code}#bans",
    )


def _submit(act: Callable[[], object], again: Callable[[BusinessError], Response], target: str) -> Response:
    """Carry out a form: on success go to `target`; when refused, show the page again (`again`) with
    the form and the error, answered with the refusal's status."""
    try:
        act()
    except BusinessError as exc:
        response = again(exc)
        response.status_code = error_status(exc) if response.status_code == 200 else response.status_code
        return response
    return redirect(target)


def _detail(request: Request, uow: UnitOfWork, code: str, **context: Any) -> Response:
    try:
        overview = service.institution_overview(uow=uow, fixmedins_code=code)
        departments = service.list_departments(uow=uow, fixmedins_code=code)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    return _page(
        request,
        uow,
        "institutions/detail.html",
        inst=overview.institution,
        ov=overview,
        departments=departments,
        doctors=overview.doctors,
        **context,
    )


@router.get(f"{_I}/{{code}}")
def institution_detail(request: Request, code: str, uow: ConsoleUow) -> Response:
    return _detail(request, uow, code)


@router.get(f"{_I}/{{code}}/edit")
def institution_edit_page(request: Request, code: str, uow: ConsoleUow) -> Response:
    try:
        view = service.show_institution(uow=uow, fixmedins_code=code)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    form = {k: getattr(view, k) or "" for k in ("name", "fixmedins_type", "hosp_lv", "address", "uscc")}
    form["active"] = "1" if view.active else ""
    return _page(request, uow, "institutions/form.html", form=form, editing=True, inst=view)


@router.post(f"{_I}/{{code}}/edit")
def institution_update(request: Request, code: str, uow: ConsoleUow, form: FormData) -> Response:
    try:
        service.update_institution(
            uow=uow,
            fixmedins_code=code,
            name=form.get("name", ""),
            fixmedins_type=form.get("fixmedins_type", ""),
            hosp_lv=form.get("hosp_lv", ""),
            address=form.get("address", ""),
            uscc=form.get("uscc", ""),
            active=form.get("active") == "1",
        )
    except BusinessError as exc:
        if exc.field == "fixmedins_code":
            return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
        inst = {"fixmedins_code": code}
        return _page(
            request,
            uow,
            "institutions/form.html",
            form=form,
            editing=True,
            inst=inst,
            error=exc,
            status_code=error_status(exc),
        )
    return redirect(f"{_I}/{code}")


@router.post(f"{_I}/{{code}}/agreement")
def institution_agreement(request: Request, code: str, uow: ConsoleUow, form: FormData) -> Response:
    return _submit(
        lambda: service.change_agreement(
            uow=uow,
            fixmedins_code=code,
            action=form.get("action", ""),
            day=parse_date(form.get("day"), field="day", required=False),
            begin=parse_date(form.get("begin"), field="begin", required=False),
            end=parse_date(form.get("end"), field="end", required=False),
            until=parse_date(form.get("until"), field="until", required=False),
            reason=form.get("reason"),
            terms_profile=form.get("terms_profile") or None,
        ),
        lambda exc: _detail(request, uow, code, form=form, error=exc),
        f"{_I}/{code}",
    )


@router.post(f"{_I}/{{code}}/departments")
def institution_department(request: Request, code: str, uow: ConsoleUow, form: FormData) -> Response:
    return _submit(
        lambda: service.add_department(
            uow=uow,
            fixmedins_code=code,
            dept_code=form.get("dept_code", ""),
            name=form.get("dept_name", ""),
            caty=form.get("caty", ""),
            begin=require_date(form.get("dept_begin"), field="dept_begin"),
            end=parse_date(form.get("dept_end"), field="dept_end", required=False),
        ),
        lambda exc: _detail(request, uow, code, form=form, error=exc),
        f"{_I}/{code}#departments",
    )


# ---- doctors --------------------------------------------------------------------------------------


@router.get(_D)
def doctor_list(
    request: Request,
    uow: ConsoleUow,
    q: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    page: int = 1,
) -> Response:
    try:
        result = service.list_doctors(uow=uow, q=q, status=status, kind=kind, page=max(page, 1), size=20)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return _page(
        request,
        uow,
        "institutions/doctor_list.html",
        page=result,
        q=q,
        filters={"status": status or "", "kind": kind or ""},
    )


@router.get(f"{_D}/export.xlsx")
def doctor_export(
    uow: ConsoleUow, q: str | None = None, status: str | None = None, kind: str | None = None
) -> Response:
    rows = service.list_doctors(uow=uow, q=q, status=status, kind=kind, page=1, size=MAX_PAGE_SIZE).items
    headers = [
        "执业编码",
        "姓名",
        "身份证号",
        "类别",
        "统筹区",
        "状态",
        "暂停至",
        "今年扣分",
        "今日可开医保处方",
        "执业机构",
    ]
    data = write_xlsx(
        "医保医师",
        headers,
        [
            [
                d.dr_code, d.name, d.certno, d.kind, d.admdvs, d.status, d.suspended_until,
                d.points_deducted, "是" if d.qualified_today else "否",
                "、".join(lk.fixmedins_code for lk in d.links if lk.end is None),
            ]
            for d in rows
        ],
    )  # fmt: skip
    return _xlsx(data, "doctors.xlsx")


@router.get(f"{_D}/new")
def doctor_new(request: Request, uow: ConsoleUow, fixmedins_code: str | None = None) -> Response:
    form = {"kind": "doctor", "fixmedins_code": fixmedins_code or ""}
    return _page(request, uow, "institutions/doctor_form.html", form=form)


@router.post(f"{_D}/new")
def doctor_create(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    try:
        view = service.create_doctor(
            uow=uow,
            dr_code=form.get("dr_code", ""),
            name=form.get("name", ""),
            certno=form.get("certno", ""),
            kind=form.get("kind", ""),
            admdvs=form.get("admdvs", ""),
            fixmedins_code=form.get("fixmedins_code") or None,
            dept_code=form.get("dept_code") or None,
            begin=parse_date(form.get("begin"), field="begin", required=False),
        )
    except BusinessError as exc:
        return _page(
            request, uow, "institutions/doctor_form.html", form=form, error=exc, status_code=error_status(exc)
        )
    return redirect(f"{_D}/{view.dr_code}")


def _doctor_detail(request: Request, uow: UnitOfWork, code: str, **context: Any) -> Response:
    try:
        view = service.show_doctor(uow=uow, dr_code=code)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    return _page(request, uow, "institutions/doctor_detail.html", doc=view, **context)


@router.get(f"{_D}/{{code}}")
def doctor_detail(request: Request, code: str, uow: ConsoleUow) -> Response:
    return _doctor_detail(request, uow, code)


@router.post(f"{_D}/{{code}}/status")
def doctor_status(request: Request, code: str, uow: ConsoleUow, form: FormData) -> Response:
    return _submit(
        lambda: service.change_doctor_status(
            uow=uow,
            dr_code=code,
            action=form.get("action", ""),
            day=parse_date(form.get("day"), field="day", required=False),
            until=parse_date(form.get("until"), field="until", required=False),
            reason=form.get("reason"),
        ),
        lambda exc: _doctor_detail(request, uow, code, form=form, error=exc),
        f"{_D}/{code}",
    )


@router.post(f"{_D}/{{code}}/links")
def doctor_link(request: Request, code: str, uow: ConsoleUow, form: FormData) -> Response:
    return _submit(
        lambda: service.link_doctor(
            uow=uow,
            dr_code=code,
            fixmedins_code=form.get("fixmedins_code", ""),
            dept_code=form.get("dept_code") or None,
            begin=require_date(form.get("begin"), field="begin"),
            end=parse_date(form.get("end"), field="end", required=False),
        ),
        lambda exc: _doctor_detail(request, uow, code, form=form, error=exc),
        f"{_D}/{code}",
    )
