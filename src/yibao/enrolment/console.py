"""Console pages of enrolment: persons (list, enrol form, detail, import, export), units, arrears."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response

from yibao.console.deps import ConsoleUow, FormData
from yibao.console.nav import NavItem
from yibao.console.templating import error_status, redirect, render
from yibao.core.excel import XLSX_MEDIA_TYPE, write_xlsx
from yibao.core.paging import MAX_PAGE_SIZE
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import parse_date, require_date
from yibao.domain.enrolment import ENTRY_NAMES_ZH, STATUS_NAMES_ZH
from yibao.domain.errors import BusinessError
from yibao.enrolment import service

router = APIRouter(prefix="/console/enrolment", include_in_schema=False)
NAV = [
    NavItem("/console/enrolment/persons", "参保人", "Persons", Perm.ENROL_READ, order=20),
    NavItem("/console/enrolment/units", "参保单位", "Units", Perm.ENROL_READ, order=21),
    NavItem("/console/enrolment/arrears", "欠费", "Arrears", Perm.ENROL_READ, order=22),
    NavItem(
        "/console/enrolment/contributions/import",
        "缴费文件导入",
        "Contribution file",
        Perm.ENROL_WRITE,
        order=23,
    ),
]
_NAMES = {"statuses": STATUS_NAMES_ZH, "entry_names": ENTRY_NAMES_ZH, "genders": service.GENDERS}


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(
        data, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": f"attachment; filename={filename}"}
    )


def _refused(request: Request, uow: UnitOfWork, exc: BusinessError) -> Response:
    return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=error_status(exc))


# ============================================================================================ persons
@router.get("/persons")
def persons_page(
    request: Request, uow: ConsoleUow, q: str | None = None, certno: str | None = None, page: int = 1
) -> Response:
    try:
        result = service.list_persons(uow=uow, q=q or None, certno=certno or None, page=max(page, 1), size=20)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return render(request, "enrolment/persons_list.html", actor=uow.actor, page=result, q=q, certno=certno)


@router.get("/persons/export.xlsx")
def persons_export(request: Request, uow: ConsoleUow, q: str | None = None) -> Response:
    try:
        rows = service.export_persons(uow=uow, q=q or None)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return _xlsx(write_xlsx("参保人", service.EXPORT_HEADERS, rows), "persons.xlsx")


def _enrol_form(
    request: Request, uow: UnitOfWork, form: dict[str, str], error: BusinessError | None
) -> Response:
    return render(
        request,
        "enrolment/person_form.html",
        actor=uow.actor,
        options=service.form_options(uow=uow),
        form=form,
        error=error,
        status_code=error_status(error) if error else 200,
    )


@router.get("/persons/new")
def enrol_page(request: Request, uow: ConsoleUow) -> Response:
    regions = sorted(uow.actor.regions)
    form = {"insutype": "310", "psn_type": "11", "admdvs": regions[0] if len(regions) == 1 else ""}
    return _enrol_form(request, uow, form, None)


@router.post("/persons/new")
def enrol(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    try:
        person = service.enrol(
            uow=uow,
            certno=form.get("certno", ""),
            name=form.get("name", ""),
            phone=form.get("phone"),
            admdvs=form.get("admdvs", ""),
            insutype=form.get("insutype", ""),
            psn_type=form.get("psn_type", ""),
            begin=form.get("begin"),
            unit_uscc=form.get("unit_uscc"),
            idet_type=form.get("idet_type"),
            disa_lv=form.get("disa_lv"),
        )
    except BusinessError as exc:
        uow.rollback()
        return _enrol_form(request, uow, form, exc)
    return redirect(f"/console/enrolment/persons/{person.psn_no}")


@router.get("/persons/import")
def import_page(request: Request, uow: ConsoleUow) -> Response:
    return render(
        request, "enrolment/import.html", actor=uow.actor, report=None, columns=service.IMPORT_COLUMNS
    )


@router.post("/persons/import")
def import_file(request: Request, uow: ConsoleUow, file: UploadFile = File(...)) -> Response:
    try:
        report = service.import_persons(uow=uow, filename=file.filename or "", data=file.file.read())
    except BusinessError as exc:
        uow.rollback()
        return render(
            request,
            "enrolment/import.html",
            actor=uow.actor,
            report=None,
            columns=service.IMPORT_COLUMNS,
            error=exc,
            status_code=error_status(exc),
        )
    return render(
        request,
        "enrolment/import.html",
        actor=uow.actor,
        report=report,
        columns=service.IMPORT_COLUMNS,
        status_code=200 if report.ok else 422,
    )


@router.get("/contributions/import")
def contributions_import_page(request: Request, uow: ConsoleUow) -> Response:
    """上传缴费文件 (the county's contribution file, CSV/XLSX in yuan), all or nothing."""
    return render(
        request,
        "enrolment/contributions_import.html",
        actor=uow.actor,
        batch=None,
        columns=service.CONTRIBUTION_COLUMNS,
    )


@router.post("/contributions/import")
def contributions_import(request: Request, uow: ConsoleUow, file: UploadFile = File(...)) -> Response:
    """Record the uploaded contribution file through `import_contributions`; a refused file lists every
    bad row (row, field, code, message) and stores nothing."""
    try:
        batch = service.import_contributions(uow=uow, filename=file.filename or "", data=file.file.read())
    except BusinessError as exc:
        uow.rollback()
        return render(
            request,
            "enrolment/contributions_import.html",
            actor=uow.actor,
            batch=None,
            columns=service.CONTRIBUTION_COLUMNS,
            error=exc,
            rows=getattr(exc, "rows", []),
            status_code=error_status(exc),
        )
    return render(
        request,
        "enrolment/contributions_import.html",
        actor=uow.actor,
        batch=batch,
        columns=service.CONTRIBUTION_COLUMNS,
    )


@router.get("/arrears")
def arrears_page(request: Request, uow: ConsoleUow, admdvs: str | None = None, page: int = 1) -> Response:
    try:
        result = service.list_arrears(uow=uow, admdvs=admdvs or None, page=max(page, 1), size=50)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return render(request, "enrolment/arrears.html", actor=uow.actor, page=result, admdvs=admdvs or "")


def _detail(
    request: Request,
    uow: UnitOfWork,
    psn_no: str,
    *,
    error: BusinessError | None = None,
    form: dict[str, str] | None = None,
    ledger_page: int = 1,
) -> Response:
    try:
        person = service.get_person(uow=uow, psn_no=psn_no)
        relations = service.list_relations(uow=uow, psn_no=psn_no)
        contributions = service.list_contributions(uow=uow, psn_no=psn_no)
        months = service.contribution_months(uow=uow, psn_no=psn_no)
        transfers = service.list_transfers(uow=uow, psn_no=psn_no)
        account: Any = None
        try:
            account = service.get_account(uow=uow, psn_no=psn_no, page=max(ledger_page, 1), size=20)
        except BusinessError as exc:
            if exc.code != "ACCOUNT_NOT_FOUND":
                raise
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    return render(
        request,
        "enrolment/person_detail.html",
        actor=uow.actor,
        person=person,
        relations=relations,
        contributions=contributions,
        months=months,
        transfers=transfers,
        account=account,
        error=error,
        form=form or {},
        status_code=error_status(error) if error else 200,
        **_NAMES,
    )


@router.get("/persons/{psn_no}")
def person_page(request: Request, psn_no: str, uow: ConsoleUow, ledger_page: int = 1) -> Response:
    return _detail(request, uow, psn_no, ledger_page=ledger_page)


@router.post("/persons/{psn_no}/contributions")
def record_contribution(request: Request, psn_no: str, uow: ConsoleUow, form: FormData) -> Response:
    try:
        base = form.get("base_wage", "").strip()
        service.record_contribution(
            uow=uow,
            psn_no=psn_no,
            relation_id=int(rid) if (rid := form.get("relation_id", "")).isdigit() else 0,
            period=form.get("period", ""),
            unit_fen=service.parse_yuan(form.get("unit"), field_name="unit"),
            individual_fen=service.parse_yuan(form.get("individual"), field_name="individual"),
            subsidy_fen=service.parse_yuan(form.get("subsidy"), field_name="subsidy"),
            base_wage_fen=service.parse_yuan(base, field_name="base_wage") if base else None,
            paid_on=parse_date(form.get("paid_on"), field="paid_on", required=False),
        )
    except BusinessError as exc:
        uow.rollback()
        return _detail(request, uow, psn_no, error=exc, form=form)
    return redirect(f"/console/enrolment/persons/{psn_no}#contributions")


@router.post("/persons/{psn_no}/contributions/{contribution_id}/pay")
def pay_contribution(
    request: Request, psn_no: str, contribution_id: int, uow: ConsoleUow, form: FormData
) -> Response:
    try:
        service.pay_contribution(
            uow=uow,
            psn_no=psn_no,
            contribution_id=contribution_id,
            paid_on=require_date(form.get("paid_on"), field="paid_on"),
        )
    except BusinessError as exc:
        uow.rollback()
        return _detail(request, uow, psn_no, error=exc, form=form)
    return redirect(f"/console/enrolment/persons/{psn_no}#contributions")


@router.post("/persons/{psn_no}/relations/{relation_id}/status")
def change_status(
    request: Request, psn_no: str, relation_id: int, uow: ConsoleUow, form: FormData
) -> Response:
    try:
        service.change_relation_status(
            uow=uow,
            psn_no=psn_no,
            relation_id=relation_id,
            status=form.get("status", ""),
            end=parse_date(form.get("end"), field="end", required=False),
        )
    except BusinessError as exc:
        uow.rollback()
        return _detail(request, uow, psn_no, error=exc, form=form)
    return redirect(f"/console/enrolment/persons/{psn_no}#relations")


@router.post("/persons/{psn_no}/transfer")
def transfer(request: Request, psn_no: str, uow: ConsoleUow, form: FormData) -> Response:
    try:
        service.transfer_person(
            uow=uow,
            psn_no=psn_no,
            to_admdvs=form.get("to_admdvs", ""),
            on=require_date(form.get("on"), field="on"),
        )
    except BusinessError as exc:
        uow.rollback()
        return _detail(request, uow, psn_no, error=exc, form=form)
    return redirect(f"/console/enrolment/persons/{psn_no}#transfers")


# ============================================================================================== units
@router.get("/units")
def units_page(request: Request, uow: ConsoleUow, q: str | None = None, page: int = 1) -> Response:
    try:
        result = service.list_units(uow=uow, q=q or None, page=max(page, 1), size=20)
    except BusinessError as exc:
        return _refused(request, uow, exc)
    return render(request, "enrolment/units_list.html", actor=uow.actor, page=result, q=q)


@router.get("/units/export.xlsx")
def units_export(request: Request, uow: ConsoleUow, q: str | None = None) -> Response:
    try:
        units = service.list_units(uow=uow, q=q or None, page=1, size=MAX_PAGE_SIZE).items
    except BusinessError as exc:
        return _refused(request, uow, exc)
    rows = [[u.uscc, u.name, u.admdvs, u.unit_type, u.status, u.contact_name, u.begin, u.end] for u in units]
    headers = ["统一社会信用代码", "单位名称", "统筹区", "单位类型", "状态", "联系人", "开始日期", "结束日期"]
    return _xlsx(write_xlsx("参保单位", headers, rows), "units.xlsx")


def _unit_form(
    request: Request, uow: UnitOfWork, form: dict[str, str], error: BusinessError | None
) -> Response:
    return render(
        request,
        "enrolment/unit_form.html",
        actor=uow.actor,
        options=service.form_options(uow=uow),
        form=form,
        error=error,
        status_code=error_status(error) if error else 200,
    )


@router.get("/units/new")
def unit_new_page(request: Request, uow: ConsoleUow) -> Response:
    regions = sorted(uow.actor.regions)
    return _unit_form(
        request, uow, {"unit_type": "enterprise", "admdvs": regions[0] if len(regions) == 1 else ""}, None
    )


@router.post("/units/new")
def unit_create(request: Request, uow: ConsoleUow, form: FormData) -> Response:
    try:
        unit = service.create_unit(
            uow=uow,
            uscc=form.get("uscc", ""),
            name=form.get("name", ""),
            admdvs=form.get("admdvs", ""),
            unit_type=form.get("unit_type", ""),
            begin=require_date(form.get("begin"), field="begin"),
            end=parse_date(form.get("end"), field="end", required=False),
            contact_name=form.get("contact_name"),
            contact_phone=form.get("contact_phone"),
        )
    except BusinessError as exc:
        uow.rollback()
        return _unit_form(request, uow, form, exc)
    return redirect(f"/console/enrolment/units/{unit.uscc}")


@router.get("/units/{uscc}")
def unit_page(request: Request, uscc: str, uow: ConsoleUow) -> Response:
    try:
        unit = service.get_unit(uow=uow, uscc=uscc)
        members = service.unit_member_count(uow=uow, uscc=uscc)
    except BusinessError as exc:
        return render(request, "not_found.html", actor=uow.actor, error=exc, status_code=404)
    options = service.form_options(uow=uow)
    return render(
        request,
        "enrolment/unit_detail.html",
        actor=uow.actor,
        unit=unit,
        members=members,
        unit_types=dict(options.unit_types),
        unit_statuses=dict(options.unit_statuses),
    )
