"""Use cases for designated institutions (定点医药机构), departments and insurance doctors (医保医师)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from yibao.core.db import utcnow
from yibao.core.imports import ImportRefusedError, RowError
from yibao.core.paging import Page
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import optional_text, parse_date, require_admdvs, require_text
from yibao.domain import institutions as rules
from yibao.domain.errors import (
    BusinessError,
    ErrorKind,
    FieldError,
    choice,
    collect,
    conflict,
    invalid,
    not_found,
)
from yibao.domain.identity import check_uscc, mask_id, parse_resident_id
from yibao.domain.periods import Period, check_order, overlaps
from yibao.institutions.files import SourceRow, read_rows
from yibao.institutions.models import (
    AgreementEvent,
    AgreementRecord,
    Application,
    ApplicationDocument,
    ApplicationStep,
    Ban,
    Certificate,
    ChecklistConfig,
    Department,
    Doctor,
    DoctorLink,
    Institution,
    Objection,
)
from yibao.institutions.repository import AdmissionRepository, DoctorRepository, InstitutionRepository
from yibao.reference.lookup import Dictionaries, dictionaries

Progress = Callable[[int, int], None]
_CHINA = timezone(timedelta(hours=8))
_DEPT_CODE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


def today() -> date:
    """Today's date in China (the business day of the pooling region)."""
    return utcnow().astimezone(_CHINA).date()


def _errors_of(exc: BusinessError) -> list[FieldError]:
    return list(exc.errors) or [FieldError(exc.field or "", exc.code, exc.message)]


def _check(errors: list[FieldError], fn: Callable[[], object]) -> object:
    """Run one field check, collecting its error instead of raising."""
    try:
        return fn()
    except BusinessError as exc:
        errors.extend(_errors_of(exc))
        return None


# ---- institutions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstitutionFields:
    """Checked registry fields of an institution."""

    fixmedins_code: str
    name: str
    fixmedins_type: str
    hosp_lv: str | None
    admdvs: str
    address: str | None
    uscc: str | None


def _check_institution(
    *,
    dicts: Dictionaries,
    fixmedins_code: str | None,
    name: str | None,
    fixmedins_type: str | None,
    hosp_lv: str | None,
    admdvs: str | None,
    address: str | None,
    uscc: str | None,
) -> tuple[InstitutionFields | None, list[FieldError]]:
    """Every field checked at once: the values, or every broken rule."""
    errors: list[FieldError] = []
    code = _check(errors, lambda: rules.check_fixmedins_code(fixmedins_code))
    text = _check(errors, lambda: require_text(name, field="name", max_len=128, label="机构名称"))
    kind = _check(errors, lambda: dicts.require("fixmedins_type", fixmedins_type, field="fixmedins_type"))
    level = (hosp_lv or "").strip() or None
    if level is not None:
        _check(errors, lambda: dicts.require("hosp_lv", level, field="hosp_lv"))
    if isinstance(kind, str):
        _check(errors, lambda: rules.check_level_for_type(kind, level))
    region = _check(errors, lambda: require_admdvs(admdvs))
    addr = _check(errors, lambda: optional_text(address, field="address", max_len=255, label="地址"))
    credit_text = (uscc or "").strip()
    credit = _check(errors, lambda: check_uscc(credit_text)) if credit_text else None
    if errors:
        return None, errors
    return (
        InstitutionFields(
            fixmedins_code=str(code),
            name=str(text),
            fixmedins_type=str(kind),
            hosp_lv=level,
            admdvs=str(region),
            address=addr if isinstance(addr, str) else None,
            uscc=credit if isinstance(credit, str) else None,
        ),
        [],
    )


def _require_region_exists(repo: InstitutionRepository, admdvs: str) -> None:
    if admdvs not in repo.existing_regions([admdvs]):
        raise invalid("REGION_NOT_FOUND", "admdvs", f"字段 admdvs 统筹区 {admdvs} 不存在")


def create_institution(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    name: str,
    fixmedins_type: str,
    admdvs: str,
    hosp_lv: str | None = None,
    address: str | None = None,
    uscc: str | None = None,
    agreement_begin: date | None = None,
    agreement_end: date | None = None,
) -> InstitutionView:
    """Register a designated institution (status applying, or active when an agreement period is given)."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    uow.actor.require_region(require_admdvs(admdvs))
    values, errors = _check_institution(
        dicts=dictionaries(uow.session),
        fixmedins_code=fixmedins_code,
        name=name,
        fixmedins_type=fixmedins_type,
        hosp_lv=hosp_lv,
        admdvs=admdvs,
        address=address,
        uscc=uscc,
    )
    if values is None:
        raise collect(errors)
    repo = InstitutionRepository(uow.session)
    _require_region_exists(repo, values.admdvs)
    if repo.by_code(values.fixmedins_code) is not None:
        raise conflict(
            "INSTITUTION_EXISTS",
            f"字段 fixmedins_code：定点机构 {values.fixmedins_code} 已存在",
            "fixmedins_code",
        )
    institution = _new_institution(values, agreement_begin, agreement_end)
    repo.add(institution)
    uow.flush()
    _record_registered(uow, institution)
    uow.audit(
        action="institution.create",
        entity="institution",
        entity_id=institution.fixmedins_code,
        admdvs=institution.admdvs,
        after=institution.snapshot(),
    )
    uow.commit()
    return _view(institution, dictionaries(uow.session), today())


def _new_institution(values: InstitutionFields, begin: date | None, end: date | None) -> Institution:
    now = utcnow()
    institution = Institution(
        fixmedins_code=values.fixmedins_code,
        name=values.name,
        fixmedins_type=values.fixmedins_type,
        hosp_lv=values.hosp_lv,
        admdvs=values.admdvs,
        address=values.address,
        uscc=values.uscc,
        agreement_status=rules.AgreementStatus.APPLYING.value,
        active=True,
        created_at=now,
        updated_at=now,
        departments=[],
    )
    if begin is not None:
        state = rules.transition(
            rules.AgreementState(rules.AgreementStatus.APPLYING),
            rules.AgreementAction.SIGN,
            day=begin,
            begin=begin,
            end=end,
        )
        _apply_state(institution, state)
    elif end is not None:
        raise invalid(
            "REQUIRED", "agreement_begin", "字段 agreement_begin 给出协议结束日期时必须给出开始日期"
        )
    return institution


def _record_registered(uow: UnitOfWork, institution: Institution) -> None:
    """An institution registered with an agreement already in force (存量协议): its first history row
    and agreement record."""
    if institution.agreement_begin is None:
        return
    day = institution.status_since or institution.agreement_begin
    _record_event(uow, institution, "register", None, day, reason="登记时已签订协议")
    _add_agreement_record(uow, institution, "sign", day, None)


def _apply_state(institution: Institution, state: rules.AgreementState) -> None:
    institution.agreement_status = state.status.value
    institution.agreement_begin = state.begin
    institution.agreement_end = state.end
    institution.suspended_until = state.suspended_until
    institution.status_since = state.status_since
    institution.status_reason = state.reason


def update_institution(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    name: str | None = None,
    fixmedins_type: str | None = None,
    hosp_lv: str | None = None,
    address: str | None = None,
    uscc: str | None = None,
    active: bool | None = None,
) -> InstitutionView:
    """Change registry fields (None leaves a field unchanged, "" clears an optional one)."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    institution = get_institution(uow=uow, fixmedins_code=fixmedins_code)
    before = institution.snapshot()
    values, errors = _check_institution(
        dicts=dictionaries(uow.session),
        fixmedins_code=institution.fixmedins_code,
        name=institution.name if name is None else name,
        fixmedins_type=institution.fixmedins_type if fixmedins_type is None else fixmedins_type,
        hosp_lv=institution.hosp_lv if hosp_lv is None else hosp_lv,
        admdvs=institution.admdvs,
        address=institution.address if address is None else address,
        uscc=institution.uscc if uscc is None else uscc,
    )
    if values is None:
        raise collect(errors)
    institution.name = values.name
    institution.fixmedins_type = values.fixmedins_type
    institution.hosp_lv = values.hosp_lv
    institution.address = values.address
    institution.uscc = values.uscc
    if active is not None:
        institution.active = active
    after = institution.snapshot()
    if after != before:
        institution.updated_at = utcnow()
        uow.audit(
            action="institution.update",
            entity="institution",
            entity_id=institution.fixmedins_code,
            admdvs=institution.admdvs,
            before=before,
            after=after,
        )
    uow.commit()
    return _view(institution, dictionaries(uow.session), today())


def get_institution(*, uow: UnitOfWork, fixmedins_code: str) -> Institution:
    """The institution with this code, if it exists inside the actor's regions (else NOT FOUND)."""
    code = (fixmedins_code or "").strip()
    institution = InstitutionRepository(uow.session).by_code(code)
    if institution is None or not uow.actor.sees_region(institution.admdvs):
        raise not_found(
            "INSTITUTION_NOT_FOUND", f"字段 fixmedins_code：定点机构 {code} 不存在", "fixmedins_code"
        )
    return institution


@dataclass(frozen=True)
class InstitutionView:
    """An institution as shown to users: the registry, the agreement as it stands today."""

    fixmedins_code: str
    name: str
    fixmedins_type: str
    fixmedins_type_name: str | None
    hosp_lv: str | None
    hosp_lv_name: str | None
    admdvs: str
    address: str | None
    uscc: str | None
    agreement_status: str
    effective_status: str
    agreement_begin: date | None
    agreement_end: date | None
    renewal_deadline: date | None
    suspended_until: date | None
    status_since: date | None
    status_reason: str | None
    active: bool
    can_settle_today: bool
    settle_code: str
    settle_reason: str
    updated_at: datetime


def _view(institution: Institution, dicts: Dictionaries, day: date) -> InstitutionView:
    allowed, code = rules.can_settle(institution, day)
    end = institution.agreement_end
    return InstitutionView(
        fixmedins_code=institution.fixmedins_code,
        name=institution.name,
        fixmedins_type=institution.fixmedins_type,
        fixmedins_type_name=dicts.label("fixmedins_type", institution.fixmedins_type),
        hosp_lv=institution.hosp_lv,
        hosp_lv_name=dicts.label("hosp_lv", institution.hosp_lv) if institution.hosp_lv else None,
        admdvs=institution.admdvs,
        address=institution.address,
        uscc=institution.uscc,
        agreement_status=institution.agreement_status,
        effective_status=rules.effective_status(institution, day).value,
        agreement_begin=institution.agreement_begin,
        agreement_end=end,
        renewal_deadline=rules.renewal_deadline(end) if end else None,
        suspended_until=institution.suspended_until,
        status_since=institution.status_since,
        status_reason=institution.status_reason,
        active=institution.active,
        can_settle_today=allowed,
        settle_code=code,
        settle_reason=rules.SETTLE_REASONS[code],
        updated_at=institution.updated_at,
    )


def _require_read(uow: UnitOfWork, fixmedins_code: str | None = None) -> None:
    if fixmedins_code is not None and uow.actor.institution_code == fixmedins_code:
        return  # an institution operator may read its own institution
    uow.actor.require(Perm.INSTITUTION_READ)


def show_institution(*, uow: UnitOfWork, fixmedins_code: str, day: date | None = None) -> InstitutionView:
    """One institution with its agreement as it stands on `day` (today by default)."""
    _require_read(uow, fixmedins_code)
    institution = get_institution(uow=uow, fixmedins_code=fixmedins_code)
    return _view(institution, dictionaries(uow.session), day or today())


def list_institutions(
    *,
    uow: UnitOfWork,
    q: str | None = None,
    admdvs: str | None = None,
    fixmedins_type: str | None = None,
    agreement_status: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[InstitutionView]:
    """Institutions in the actor's regions, searched by code, name or address and filtered."""
    _require_read(uow)
    result = InstitutionRepository(uow.session).search(
        regions=uow.actor.region_filter(),
        q=(q or "").strip() or None,
        admdvs=(admdvs or "").strip() or None,
        fixmedins_type=(fixmedins_type or "").strip() or None,
        agreement_status=(agreement_status or "").strip() or None,
        page=page,
        size=size,
    )
    dicts, day = dictionaries(uow.session), today()
    return Page(items=[_view(i, dicts, day) for i in result.items], total=result.total, page=page, size=size)


def change_agreement(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    action: str,
    day: date | None = None,
    begin: date | None = None,
    end: date | None = None,
    until: date | None = None,
    reason: str | None = None,
    commit: bool = True,
    terms_profile: str | None = None,
) -> InstitutionView:
    """Apply an agreement action (sign, renew, suspend, resume, expire, terminate) on `day` (today).

    A renewal (续签) needs the measurable terms of the new agreement's year: already set in the
    assessment area, or set now from `terms_profile`; otherwise it is refused (TERMS_REQUIRED) and
    nothing changes. `commit=False` leaves the commit to the caller's unit of work (an assessment or a
    supervision decision that suspends the agreement as part of its own transaction).
    """
    uow.actor.require(Perm.INSTITUTION_WRITE)
    act = choice(rules.AgreementAction, action, code="AGREEMENT_ACTION", field="action", label="协议操作")
    institution = get_institution(uow=uow, fixmedins_code=fixmedins_code)
    when = day or today()
    if act is rules.AgreementAction.REAPPLY:
        raise conflict(
            "REAPPLY_BY_APPLICATION",
            "字段 action：被解除协议的机构须提交定点申请（资格审查、评估、公示后签约）才能重新定点",
            "action",
        )
    if act is rules.AgreementAction.SIGN:
        for application in _admission(uow).applications_of(institution.fixmedins_code):
            if rules.ApplicationStatus(application.status) in rules.APPLICATION_OPEN:
                raise conflict(
                    "APPLICATION_OPEN",
                    f"字段 action：机构有办理中的定点申请 {application.application_no}，须按申请流程签约",
                    "action",
                )
    if act in (rules.AgreementAction.SIGN, rules.AgreementAction.RENEW):
        _refuse_if_banned(uow, institution, when, rules.AGREEMENT_ACTION_ZH[act])
    before = institution.snapshot()
    reason_before = institution.status_reason
    state = rules.transition(
        rules.state_of(institution),
        act,
        day=when,
        begin=begin,
        end=end,
        until=until,
        reason=reason,
    )
    profile = (terms_profile or "").strip() or None
    terms_year = state.begin.year if state.begin is not None else when.year
    renew_terms = act is rules.AgreementAction.RENEW and not _admission(uow).has_terms(
        institution.fixmedins_code, terms_year
    )
    if renew_terms and profile is None:
        raise conflict(
            "TERMS_REQUIRED",
            f"字段 terms_profile：续签须有 {terms_year} 年度协议指标（可量化条款）；机构 "
            f"{institution.fixmedins_code} 尚未设定，请先在考核模块设定，或选择指标模板"
            "（general/specialist/pharmacy）",
            "terms_profile",
        )
    _apply_state(institution, state)
    if act is rules.AgreementAction.CHANGE:
        institution.status_reason = reason_before  # a change leaves the status and its reason
    institution.updated_at = utcnow()
    if act in (rules.AgreementAction.SIGN, rules.AgreementAction.RENEW):
        _add_agreement_record(uow, institution, act.value, when, None)
    if act is rules.AgreementAction.TERMINATE:
        _revoke_certificates(uow, institution, when)
    _record_event(
        uow, institution, act.value, str(before["agreement_status"]), when, until=until, reason=reason
    )
    uow.audit(
        action=f"institution.agreement.{act.value}",
        entity="institution",
        entity_id=institution.fixmedins_code,
        admdvs=institution.admdvs,
        before=before,
        after=institution.snapshot(),
        note=state.reason,
    )
    if renew_terms:
        # The assessment area owns the terms and its use case commits: the renewal and the new year's
        # terms are stored together, or not at all when the terms are refused.
        from yibao.assessment import service as assessment

        assessment.set_terms(
            uow=uow, fixmedins_code=institution.fixmedins_code, year=terms_year, profile=profile
        )
    elif commit:
        uow.commit()
    return _view(institution, dictionaries(uow.session), today())


@dataclass(frozen=True)
class RenewalDue:
    """An agreement to renew (续签提醒): ending soon, or ended and inside the 2-month grace."""

    fixmedins_code: str
    name: str
    admdvs: str
    agreement_end: date
    stage: str  # expiring / grace
    due: date  # the agreement's last day, or the grace's last day (settlement suspended after it)


def agreements_to_renew(*, uow: UnitOfWork, day: date, within_days: int = 60) -> list[RenewalDue]:
    """Agreements in the actor's regions that call for renewal on `day`: ending within `within_days`,
    or ended and still in the 2-month grace; soonest due first."""
    uow.actor.require(Perm.INSTITUTION_READ)
    if not 0 <= within_days <= 366:
        raise invalid("WITHIN_DAYS_RANGE", "within_days", "字段 within_days 提前提醒天数须为0至366天")
    first = rules.add_months(day, -rules.RENEWAL_GRACE_MONTHS) - timedelta(
        days=4
    )  # month-end clipping: filtered exactly below
    rows = InstitutionRepository(uow.session).agreements_ending(
        uow.actor.region_filter(), first, day + timedelta(days=within_days), rules.RENEWAL_REMINDER_STATUSES
    )
    out = []
    for inst in rows:
        found = rules.renewal_reminder(inst.agreement_status, inst.agreement_end, day, within_days)
        if found is not None and inst.agreement_end is not None:
            stage, due = found
            out.append(
                RenewalDue(inst.fixmedins_code, inst.name, inst.admdvs, inst.agreement_end, stage, due)
            )
    return sorted(out, key=lambda r: (r.due, r.fixmedins_code))


def settlement_allowed(*, uow: UnitOfWork, fixmedins_code: str, day: date) -> tuple[bool, str, str]:
    """Whether the institution may settle on `day`: (allowed, reason code, Chinese reason)."""
    institution = get_institution(uow=uow, fixmedins_code=fixmedins_code)
    allowed, code = rules.can_settle(institution, day)
    return allowed, code, rules.SETTLE_REASONS[code]


# ---- departments ----------------------------------------------------------------------------------


def _check_dept_code(value: str | None, *, field: str = "dept_code") -> str:
    code = (value or "").strip()
    if not code:
        raise invalid("REQUIRED", field, f"字段 {field}（科室编码）不能为空")
    if not _DEPT_CODE.match(code):
        raise invalid(
            "DEPT_CODE_FORMAT", field, f"字段 {field} 科室编码须为1至32位字母、数字、点、下划线或短横线"
        )
    return code


def add_department(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    dept_code: str,
    name: str,
    caty: str,
    begin: date,
    end: date | None = None,
) -> Department:
    """Add a department (科室) with its national category (科别, dictionary dept) to an institution."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    institution = get_institution(uow=uow, fixmedins_code=fixmedins_code)
    errors: list[FieldError] = []
    code = _check(errors, lambda: _check_dept_code(dept_code))
    text = _check(errors, lambda: require_text(name, field="name", max_len=64, label="科室名称"))
    category = _check(errors, lambda: dictionaries(uow.session).require("dept", caty, field="caty"))
    _check(errors, lambda: check_order(begin, end))
    if errors:
        raise collect(errors)
    repo = InstitutionRepository(uow.session)
    if repo.department(institution, str(code)) is not None:
        raise conflict("DEPT_EXISTS", f"字段 dept_code：科室 {code} 已存在", "dept_code")
    dept = Department(dept_code=str(code), name=str(text), caty=str(category), begin=begin, end=end)
    institution.departments.append(dept)
    uow.flush()
    uow.audit(
        action="institution.dept.create",
        entity="institution",
        entity_id=institution.fixmedins_code,
        admdvs=institution.admdvs,
        after=dept.snapshot(),
    )
    uow.commit()
    return dept


def update_department(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    dept_code: str,
    name: str | None = None,
    caty: str | None = None,
    end: date | None = None,
    clear_end: bool = False,
) -> Department:
    """Rename a department, change its category, or set/clear its last day."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    institution = get_institution(uow=uow, fixmedins_code=fixmedins_code)
    dept = InstitutionRepository(uow.session).department(institution, dept_code)
    if dept is None:
        raise not_found("DEPT_NOT_FOUND", f"字段 dept_code：科室 {dept_code} 不存在", "dept_code")
    before = dept.snapshot()
    if name is not None:
        dept.name = require_text(name, field="name", max_len=64, label="科室名称")
    if caty is not None:
        dept.caty = dictionaries(uow.session).require("dept", caty, field="caty")
    if end is not None or clear_end:
        check_order(dept.begin, None if clear_end else end)
        dept.end = None if clear_end else end
    uow.audit(
        action="institution.dept.update",
        entity="institution",
        entity_id=institution.fixmedins_code,
        admdvs=institution.admdvs,
        before=before,
        after=dept.snapshot(),
    )
    uow.commit()
    return dept


def list_departments(*, uow: UnitOfWork, fixmedins_code: str) -> list[Department]:
    """The departments of an institution, by code."""
    _require_read(uow, fixmedins_code)
    return list(get_institution(uow=uow, fixmedins_code=fixmedins_code).departments)


# ---- doctors --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoctorLinkView:
    """A doctor's practice at an institution."""

    fixmedins_code: str
    fixmedins_name: str | None
    dept_code: str | None
    begin: date
    end: date | None


@dataclass(frozen=True)
class DoctorView:
    """A doctor as shown to users: certno masked unless the actor may see it, today's qualification."""

    dr_code: str
    name: str
    certno: str
    kind: str
    admdvs: str
    status: str
    suspended_until: date | None
    status_since: date | None
    status_reason: str | None
    points_year: int
    points_deducted: int
    qualified_today: bool
    qualification_code: str
    links: list[DoctorLinkView] = field(default_factory=list)


def _doctor_view(uow: UnitOfWork, doctor: Doctor, names: dict[str, str], day: date) -> DoctorView:
    allowed, code = rules.qualification_on(doctor, day)
    certno = doctor.certno if uow.actor.has(Perm.PERSON_SENSITIVE) else mask_id(doctor.certno)
    return DoctorView(
        dr_code=doctor.dr_code,
        name=doctor.name,
        certno=certno,
        kind=doctor.kind,
        admdvs=doctor.admdvs,
        status=doctor.status,
        suspended_until=doctor.suspended_until,
        status_since=doctor.status_since,
        status_reason=doctor.status_reason,
        points_year=day.year,
        points_deducted=rules.points_in_year(doctor.points_year, doctor.points_deducted, day.year),
        qualified_today=allowed,
        qualification_code=code,
        links=[
            DoctorLinkView(
                fixmedins_code=link.fixmedins_code,
                fixmedins_name=names.get(link.fixmedins_code),
                dept_code=link.dept_code,
                begin=link.begin,
                end=link.end,
            )
            for link in doctor.links
        ],
    )


def _institution_names(uow: UnitOfWork, doctors: list[Doctor]) -> dict[str, str]:
    codes = {link.fixmedins_code for d in doctors for link in d.links}
    return {c: i.name for c, i in InstitutionRepository(uow.session).by_codes(codes).items()}


def _parse_kind(kind: str | None) -> rules.DoctorKind:
    value = (kind or "").strip()
    by_zh = {zh: k for k, zh in rules.DOCTOR_KIND_ZH.items()}
    if value in by_zh:
        return by_zh[value]
    label = "人员类别（医师/药师/护士）"
    return choice(rules.DoctorKind, value, code="DOCTOR_KIND", field="kind", label=label)


@dataclass(frozen=True)
class DoctorFields:
    """Checked registry fields of a doctor."""

    dr_code: str
    name: str
    certno: str
    kind: rules.DoctorKind
    admdvs: str


def _check_doctor(
    *, dr_code: str | None, name: str | None, certno: str | None, kind: str | None, admdvs: str | None
) -> tuple[DoctorFields | None, list[FieldError]]:
    errors: list[FieldError] = []
    parsed_kind = _check(errors, lambda: _parse_kind(kind))
    code = None
    if isinstance(parsed_kind, rules.DoctorKind):
        code = _check(errors, lambda: rules.check_dr_code(dr_code, parsed_kind))
    text = _check(errors, lambda: require_text(name, field="name", max_len=64, label="姓名"))
    resident = _check(errors, lambda: parse_resident_id(certno or "", field="certno"))
    region = _check(errors, lambda: require_admdvs(admdvs))
    if errors:
        return None, errors
    assert isinstance(parsed_kind, rules.DoctorKind)
    return (
        DoctorFields(
            dr_code=str(code),
            name=str(text),
            certno=getattr(resident, "number", ""),
            kind=parsed_kind,
            admdvs=str(region),
        ),
        [],
    )


def _new_doctor(values: DoctorFields, day: date) -> Doctor:
    now = utcnow()
    return Doctor(
        dr_code=values.dr_code,
        name=values.name,
        certno=values.certno,
        kind=values.kind.value,
        admdvs=values.admdvs,
        status=rules.DoctorStatus.ACTIVE.value,
        status_since=day,
        points_year=day.year,
        points_deducted=0,
        created_at=now,
        updated_at=now,
        links=[],
    )


def create_doctor(
    *,
    uow: UnitOfWork,
    dr_code: str,
    name: str,
    certno: str,
    kind: str,
    admdvs: str,
    fixmedins_code: str | None = None,
    dept_code: str | None = None,
    begin: date | None = None,
) -> DoctorView:
    """Register an insurance doctor/pharmacist/nurse (one code per person), optionally at an institution."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    uow.actor.require_region(require_admdvs(admdvs))
    values, errors = _check_doctor(dr_code=dr_code, name=name, certno=certno, kind=kind, admdvs=admdvs)
    if values is None:
        raise collect(errors)
    _require_region_exists(InstitutionRepository(uow.session), values.admdvs)
    repo = DoctorRepository(uow.session)
    if repo.by_code(values.dr_code) is not None:
        raise conflict("DOCTOR_EXISTS", f"字段 dr_code：医保医师 {values.dr_code} 已存在", "dr_code")
    if values.certno in repo.existing_certnos([values.certno]):
        raise conflict(
            "DOCTOR_CERTNO_EXISTS", "字段 certno：该身份证号已登记为医保医师（一人一码）", "certno"
        )
    day = today()
    doctor = _new_doctor(values, day)
    if fixmedins_code:
        doctor.links.append(_new_link(uow, doctor, fixmedins_code, dept_code, begin or day, None))
    repo.add(doctor)
    uow.flush()
    uow.audit(
        action="doctor.create",
        entity="doctor",
        entity_id=doctor.dr_code,
        admdvs=doctor.admdvs,
        after=_audit(doctor),
    )
    uow.commit()
    return _doctor_view(uow, doctor, _institution_names(uow, [doctor]), today())


def _audit(doctor: Doctor) -> dict[str, object]:
    snap = doctor.snapshot()
    snap["certno"] = mask_id(doctor.certno)  # the audit trail never holds a full ID number
    return snap


def _new_link(
    uow: UnitOfWork, doctor: Doctor, fixmedins_code: str, dept_code: str | None, begin: date, end: date | None
) -> DoctorLink:
    institution = get_institution(uow=uow, fixmedins_code=fixmedins_code)
    dept = (dept_code or "").strip() or None
    if dept is not None and InstitutionRepository(uow.session).department(institution, dept) is None:
        raise invalid(
            "DEPT_NOT_FOUND", "dept_code", f"字段 dept_code 科室 {dept} 不是机构 {fixmedins_code} 的科室"
        )
    check_order(begin, end)
    link = DoctorLink(fixmedins_code=institution.fixmedins_code, dept_code=dept, begin=begin, end=end)
    for other in doctor.links:
        if other.fixmedins_code == link.fixmedins_code and overlaps(other, link):
            raise conflict(
                "DOCTOR_LINK_OVERLAP",
                f"字段 begin：该医师在机构 {fixmedins_code} 已有重叠的执业期间（{other.begin} 起）",
                "begin",
            )
    return link


def get_doctor(*, uow: UnitOfWork, dr_code: str) -> Doctor:
    """The doctor with this practising code, if inside the actor's regions (else NOT FOUND)."""
    code = (dr_code or "").strip().upper()
    doctor = DoctorRepository(uow.session).by_code(code)
    if doctor is None or not uow.actor.sees_region(doctor.admdvs):
        raise not_found("DOCTOR_NOT_FOUND", f"字段 dr_code：医保医师 {code} 不存在", "dr_code")
    return doctor


def show_doctor(*, uow: UnitOfWork, dr_code: str) -> DoctorView:
    """One doctor as users see it (certno masked unless the actor holds person:sensitive)."""
    _require_read(uow)
    doctor = get_doctor(uow=uow, dr_code=dr_code)
    return _doctor_view(uow, doctor, _institution_names(uow, [doctor]), today())


def list_doctors(
    *,
    uow: UnitOfWork,
    q: str | None = None,
    fixmedins_code: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[DoctorView]:
    """Doctors in the actor's regions, searched by code or name (or exact certno with person:sensitive)."""
    _require_read(uow)
    text = (q or "").strip() or None
    result = DoctorRepository(uow.session).search(
        regions=uow.actor.region_filter(),
        q=text,
        certno=text.upper() if text and uow.actor.has(Perm.PERSON_SENSITIVE) else None,
        fixmedins_code=(fixmedins_code or "").strip() or None,
        status=(status or "").strip() or None,
        kind=(kind or "").strip() or None,
        page=page,
        size=size,
    )
    names, day = _institution_names(uow, result.items), today()
    return Page(
        items=[_doctor_view(uow, d, names, day) for d in result.items],
        total=result.total,
        page=page,
        size=size,
    )


def update_doctor(*, uow: UnitOfWork, dr_code: str, name: str) -> DoctorView:
    """Correct a doctor's name."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    doctor = get_doctor(uow=uow, dr_code=dr_code)
    before = _audit(doctor)
    doctor.name = require_text(name, field="name", max_len=64, label="姓名")
    return _save_doctor(uow, doctor, "doctor.update", before)


def _save_doctor(
    uow: UnitOfWork,
    doctor: Doctor,
    action: str,
    before: dict[str, object],
    note: str | None = None,
    commit: bool = True,
) -> DoctorView:
    """Stamp, audit and commit a change of a doctor's record; answer the doctor as the caller sees it."""
    doctor.updated_at = utcnow()
    uow.flush()
    uow.audit(
        action=action,
        entity="doctor",
        entity_id=doctor.dr_code,
        admdvs=doctor.admdvs,
        before=before,
        after=_audit(doctor),
        note=note,
    )
    if commit:
        uow.commit()
    return _doctor_view(uow, doctor, _institution_names(uow, [doctor]), today())


def link_doctor(
    *,
    uow: UnitOfWork,
    dr_code: str,
    fixmedins_code: str,
    begin: date,
    dept_code: str | None = None,
    end: date | None = None,
) -> DoctorView:
    """Record that a doctor practises at an institution (in a department) from `begin`."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    doctor = get_doctor(uow=uow, dr_code=dr_code)
    before = _audit(doctor)
    doctor.links.append(_new_link(uow, doctor, fixmedins_code, dept_code, begin, end))
    return _save_doctor(uow, doctor, "doctor.link", before)


def end_doctor_link(*, uow: UnitOfWork, dr_code: str, fixmedins_code: str, end: date) -> DoctorView:
    """End a doctor's open practice at an institution on `end` (the last day)."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    doctor = get_doctor(uow=uow, dr_code=dr_code)
    link = next((lk for lk in doctor.links if lk.fixmedins_code == fixmedins_code and lk.end is None), None)
    if link is None:
        raise not_found(
            "DOCTOR_LINK_NOT_FOUND",
            f"字段 fixmedins_code：该医师在机构 {fixmedins_code} 没有未结束的执业记录",
            "fixmedins_code",
        )
    before = _audit(doctor)
    check_order(link.begin, end)
    link.end = end
    return _save_doctor(uow, doctor, "doctor.unlink", before)


def change_doctor_status(
    *,
    uow: UnitOfWork,
    dr_code: str,
    action: str,
    day: date | None = None,
    until: date | None = None,
    reason: str | None = None,
    commit: bool = True,
) -> DoctorView:
    """Suspend (until a day), resume or cancel a doctor's insurance qualification; audited.

    `commit=False` leaves the commit to the caller (points reaching 6 suspend inside the deduction).
    """
    uow.actor.require(Perm.INSTITUTION_WRITE)
    act = choice(rules.DoctorAction, action, code="DOCTOR_ACTION", field="action", label="资格操作")
    doctor = get_doctor(uow=uow, dr_code=dr_code)
    before = _audit(doctor)
    state = rules.doctor_transition(
        rules.DoctorState(rules.DoctorStatus(doctor.status), doctor.suspended_until, doctor.status_since),
        act,
        day=day or today(),
        until=until,
        reason=reason,
    )
    doctor.status = state.status.value
    doctor.suspended_until = state.suspended_until
    doctor.status_since = state.status_since
    doctor.status_reason = state.reason
    return _save_doctor(uow, doctor, f"doctor.{act.value}", before, note=state.reason, commit=commit)


def record_doctor_points(*, uow: UnitOfWork, dr_code: str, year: int, points: int) -> DoctorView:
    """Store a doctor's deducted points of `year` (积分, kept by the assessment area); the caller
    commits. A new year starts again from the points given (yearly reset)."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    doctor = get_doctor(uow=uow, dr_code=dr_code)
    before = _audit(doctor)
    doctor.points_year = year
    doctor.points_deducted = points
    return _save_doctor(uow, doctor, "doctor.points", before, commit=False)


def doctor_qualification(
    *, uow: UnitOfWork, dr_code: str, day: date, fixmedins_code: str | None = None
) -> tuple[bool, str, str]:
    """Whether the doctor may prescribe on insurance on `day` (at `fixmedins_code` when given)."""
    doctor = get_doctor(uow=uow, dr_code=dr_code)
    allowed, code = rules.qualification_on(doctor, day)
    if allowed and fixmedins_code is not None:
        at = [lk for lk in doctor.links if lk.fixmedins_code == fixmedins_code]
        if not any(lk.begin <= day and (lk.end is None or day <= lk.end) for lk in at):
            return False, "DOCTOR_NOT_AT_INSTITUTION", f"该医师 {day} 不在机构 {fixmedins_code} 执业"
    return allowed, code, rules.QUALIFICATION_REASONS[code]


# ---- bulk import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    """What an accepted import stored."""

    created: int
    codes: list[str]


def _refuse_rows(rows: list[RowError], total: int) -> ImportRefusedError:
    bad = len({r.row for r in rows})
    return ImportRefusedError(
        code="IMPORT_ROWS",
        message=f"导入文件共 {total} 行数据，其中 {bad} 行有错误，未导入任何数据",
        field=None,
        kind=ErrorKind.INVALID,
        errors=[FieldError(f"row{r.row}.{r.field}", r.code, f"第{r.row}行 {r.message}") for r in rows],
        rows=rows,
    )


_INSTITUTION_COLUMNS = {
    "fixmedins_code": "fixmedins_code",
    "定点机构编码": "fixmedins_code",
    "机构编码": "fixmedins_code",
    "name": "name",
    "机构名称": "name",
    "名称": "name",
    "fixmedins_type": "fixmedins_type",
    "机构类型": "fixmedins_type",
    "hosp_lv": "hosp_lv",
    "医院等级": "hosp_lv",
    "admdvs": "admdvs",
    "统筹区": "admdvs",
    "统筹区编码": "admdvs",
    "address": "address",
    "地址": "address",
    "uscc": "uscc",
    "统一社会信用代码": "uscc",
    "agreement_begin": "agreement_begin",
    "协议开始日期": "agreement_begin",
    "agreement_end": "agreement_end",
    "协议结束日期": "agreement_end",
}
_DOCTOR_COLUMNS = {
    "dr_code": "dr_code",
    "执业编码": "dr_code",
    "医师编码": "dr_code",
    "name": "name",
    "姓名": "name",
    "certno": "certno",
    "身份证号": "certno",
    "kind": "kind",
    "人员类别": "kind",
    "admdvs": "admdvs",
    "统筹区": "admdvs",
    "统筹区编码": "admdvs",
    "fixmedins_code": "fixmedins_code",
    "定点机构编码": "fixmedins_code",
    "机构编码": "fixmedins_code",
    "dept_code": "dept_code",
    "科室编码": "dept_code",
    "begin": "begin",
    "执业开始日期": "begin",
}


def _optional_date(errors: list[FieldError], cells: dict[str, str], name: str) -> date | None:
    """A blank or yyyy-MM-dd date cell; a bad one is collected into `errors`."""
    try:
        return parse_date(cells.get(name), field=name, required=False)
    except BusinessError as exc:
        errors.extend(_errors_of(exc))
        return None


@dataclass
class _Unique:
    """A key that must be new: not stored yet and not repeated in the file."""

    column: str
    stored: set[str]
    exists_code: str
    exists_message: str
    label: str
    seen: dict[str, int] = field(default_factory=dict)

    def check(self, row: int, value: str) -> list[RowError]:
        if value in self.stored:
            return [RowError(row, self.column, self.exists_code, self.exists_message.format(value=value))]
        if value in self.seen:
            message = f"字段 {self.column} {self.label} {value} 与第{self.seen[value]}行重复"
            return [RowError(row, self.column, "IMPORT_DUPLICATE", message)]
        self.seen[value] = row
        return []


def _scope_errors(uow: UnitOfWork, row: int, admdvs: str, regions: set[str]) -> list[RowError]:
    if admdvs not in regions:
        return [RowError(row, "admdvs", "REGION_NOT_FOUND", f"字段 admdvs 统筹区 {admdvs} 不存在")]
    if not uow.actor.sees_region(admdvs):
        return [RowError(row, "admdvs", "AUTH_REGION", f"字段 admdvs：当前用户无权操作统筹区 {admdvs}")]
    return []


def import_institutions(
    *, uow: UnitOfWork, data: bytes, filename: str, progress: Progress | None = None
) -> ImportReport:
    """Register institutions from a CSV/Excel file, all or nothing (every bad row is reported)."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    source = read_rows(
        data,
        filename,
        aliases=_INSTITUTION_COLUMNS,
        required=frozenset({"fixmedins_code", "name", "fixmedins_type", "admdvs"}),
    )
    dicts = dictionaries(uow.session)
    repo = InstitutionRepository(uow.session)
    codes = _Unique(
        "fixmedins_code",
        set(repo.by_codes(r.cells.get("fixmedins_code", "").strip() for r in source)),
        "INSTITUTION_EXISTS",
        "字段 fixmedins_code 定点机构 {value} 已存在",
        "定点机构编码",
    )
    regions = repo.existing_regions(r.cells.get("admdvs", "").strip() for r in source)
    problems: list[RowError] = []
    ready: list[tuple[SourceRow, Institution]] = []
    for row in source:
        cells = row.cells
        values, errors = _check_institution(
            dicts=dicts,
            fixmedins_code=cells.get("fixmedins_code"),
            name=cells.get("name"),
            fixmedins_type=cells.get("fixmedins_type"),
            hosp_lv=cells.get("hosp_lv"),
            admdvs=cells.get("admdvs"),
            address=cells.get("address"),
            uscc=cells.get("uscc"),
        )
        begin = _optional_date(errors, cells, "agreement_begin")
        end = _optional_date(errors, cells, "agreement_end")
        row_errors = [RowError(row.number, e.field, e.code, e.message) for e in errors]
        if values is not None:
            row_errors += _scope_errors(uow, row.number, values.admdvs, regions)
            row_errors += codes.check(row.number, values.fixmedins_code)
        if values is not None and not row_errors:
            try:
                ready.append((row, _new_institution(values, begin, end)))
            except BusinessError as exc:
                row_errors += [RowError(row.number, e.field, e.code, e.message) for e in _errors_of(exc)]
        problems += row_errors
    if problems:
        raise _refuse_rows(problems, len(source))
    for done, (_row, institution) in enumerate(ready, start=1):
        repo.add(institution)
        _record_registered(uow, institution)
        uow.audit(
            action="institution.import",
            entity="institution",
            entity_id=institution.fixmedins_code,
            admdvs=institution.admdvs,
            after=institution.snapshot(),
            note=filename,
        )
        if progress is not None:
            progress(done, len(ready))
    uow.flush()
    uow.commit()
    return ImportReport(created=len(ready), codes=[i.fixmedins_code for _r, i in ready])


def import_doctors(
    *, uow: UnitOfWork, data: bytes, filename: str, progress: Progress | None = None
) -> ImportReport:
    """Register doctors (with their institution) from a CSV/Excel file, all or nothing."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    source = read_rows(
        data,
        filename,
        aliases=_DOCTOR_COLUMNS,
        required=frozenset({"dr_code", "name", "certno", "kind", "admdvs"}),
    )
    irepo = InstitutionRepository(uow.session)
    drepo = DoctorRepository(uow.session)
    regions = irepo.existing_regions(r.cells.get("admdvs", "").strip() for r in source)
    institutions = irepo.by_codes(r.cells.get("fixmedins_code", "").strip() for r in source)
    day = today()
    problems: list[RowError] = []
    ready: list[Doctor] = []
    codes = _Unique(
        "dr_code",
        drepo.existing_codes(r.cells.get("dr_code", "").strip().upper() for r in source),
        "DOCTOR_EXISTS",
        "字段 dr_code 医保医师 {value} 已存在",
        "执业编码",
    )
    certnos = _Unique(
        "certno",
        set(drepo.existing_certnos(r.cells.get("certno", "").strip().upper() for r in source)),
        "DOCTOR_CERTNO_EXISTS",
        "字段 certno 该身份证号已登记为医保医师（一人一码）",
        "身份证号",
    )
    for row in source:
        cells = row.cells
        values, errors = _check_doctor(
            dr_code=cells.get("dr_code"),
            name=cells.get("name"),
            certno=cells.get("certno"),
            kind=cells.get("kind"),
            admdvs=cells.get("admdvs"),
        )
        begin = _optional_date(errors, cells, "begin")
        row_errors = [RowError(row.number, e.field, e.code, e.message) for e in errors]
        fixmedins = (cells.get("fixmedins_code") or "").strip()
        dept = (cells.get("dept_code") or "").strip() or None
        institution = institutions.get(fixmedins) if fixmedins else None
        if fixmedins and (institution is None or not uow.actor.sees_region(institution.admdvs)):
            row_errors.append(
                RowError(
                    row.number,
                    "fixmedins_code",
                    "INSTITUTION_NOT_FOUND",
                    f"字段 fixmedins_code 定点机构 {fixmedins} 不存在",
                )
            )
        elif institution is not None and dept and irepo.department(institution, dept) is None:
            row_errors.append(
                RowError(
                    row.number,
                    "dept_code",
                    "DEPT_NOT_FOUND",
                    f"字段 dept_code 科室 {dept} 不是机构 {fixmedins} 的科室",
                )
            )
        elif dept and not fixmedins:
            row_errors.append(
                RowError(
                    row.number,
                    "fixmedins_code",
                    "REQUIRED",
                    "字段 fixmedins_code 填写科室时必须填写定点机构编码",
                )
            )
        if values is not None:
            row_errors += _scope_errors(uow, row.number, values.admdvs, regions)
            row_errors += codes.check(row.number, values.dr_code)
            row_errors += certnos.check(row.number, values.certno)
        if values is not None and not row_errors:
            doctor = _new_doctor(values, day)
            if institution is not None:
                start = begin or day
                doctor.links.append(
                    DoctorLink(
                        fixmedins_code=institution.fixmedins_code, dept_code=dept, begin=start, end=None
                    )
                )
            ready.append(doctor)
        problems += row_errors
    if problems:
        raise _refuse_rows(problems, len(source))
    for done, doctor in enumerate(ready, start=1):
        drepo.add(doctor)
        uow.audit(
            action="doctor.import",
            entity="doctor",
            entity_id=doctor.dr_code,
            admdvs=doctor.admdvs,
            after=_audit(doctor),
            note=filename,
        )
        if progress is not None:
            progress(done, len(ready))
    uow.flush()
    uow.commit()
    return ImportReport(created=len(ready), codes=[d.dr_code for d in ready])


def institution_doctors(*, uow: UnitOfWork, fixmedins_code: str) -> list[DoctorView]:
    """The doctors who practise (or practised) at an institution, for its detail page."""
    _require_read(uow, fixmedins_code)
    get_institution(uow=uow, fixmedins_code=fixmedins_code)
    return list_doctors(uow=uow, fixmedins_code=fixmedins_code, page=1, size=500).items


def form_options(*, uow: UnitOfWork) -> dict[str, list[tuple[str, str]]]:
    """Choices for the console forms: dictionary codes, statuses, actions and kinds with Chinese labels."""
    dicts = dictionaries(uow.session)
    return {
        "fixmedins_type": dicts.options("fixmedins_type"),
        "hosp_lv": sorted(dicts.options("hosp_lv"), key=lambda o: int(o[0]) if o[0].isdigit() else 0),
        "dept": dicts.options("dept"),
        "agreement_status": [(s.value, zh) for s, zh in rules.AGREEMENT_STATUS_ZH.items()],
        "agreement_action": [
            (a.value, zh)
            for a, zh in rules.AGREEMENT_ACTION_ZH.items()
            if a is not rules.AgreementAction.REAPPLY  # re-entry goes through an application
        ],
        "doctor_kind": [(k.value, zh) for k, zh in rules.DOCTOR_KIND_ZH.items()],
        "doctor_status": [(s.value, zh) for s, zh in rules.DOCTOR_STATUS_ZH.items()],
        "doctor_action": [(a.value, zh) for a, zh in rules.DOCTOR_ACTION_ZH.items()],
        **form_admission_options(),
    }


# ---- admission (定点准入): application → eligibility → assessment → notice → agreement ----------------

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def _admission(uow: UnitOfWork) -> AdmissionRepository:
    return AdmissionRepository(uow.session)


def _record_event(
    uow: UnitOfWork,
    institution: Institution,
    action: str,
    from_status: str | None,
    day: date,
    *,
    until: date | None = None,
    reason: str | None = None,
) -> None:
    """Append one row of the agreement's state history (who, when, the day it takes effect)."""
    _admission(uow).add(
        AgreementEvent(
            fixmedins_code=institution.fixmedins_code,
            admdvs=institution.admdvs,
            action=action,
            from_status=from_status,
            to_status=institution.agreement_status,
            day=day,
            begin=institution.agreement_begin,
            end=institution.agreement_end,
            until=until,
            reason=(reason or "")[:255] or None,
            actor=uow.actor.username,
            at=utcnow(),
        )
    )


def bans_of(uow: UnitOfWork, institution: Institution) -> list[rules.Ban]:
    """Every re-entry ban of an institution: recorded by hand, decided by an applied assessment
    (药店 N年内不再续签 / 永久退出), or carried by an issued supervision decision terminating the
    agreement (its ban years or permanent exit; a pharmacy at least 3 years, 001 第四十五条)."""
    repo = _admission(uow)
    out = [
        rules.Ban(rules.BanKind(b.kind), b.begin, b.end, b.source, b.source_ref, b.reason)
        for b in repo.bans(institution.fixmedins_code)
    ]
    for a in repo.applied_assessments(institution.fixmedins_code):
        c = json.loads(a.consequence)
        assert a.applied_on is not None
        label = f"{a.period}考核{a.grade}级（{a.grade_label}）"
        if c.get("permanent_exit"):
            out.append(
                rules.Ban(
                    rules.BanKind.PERMANENT,
                    a.applied_on,
                    None,
                    "assessment",
                    f"考核 {a.period}",
                    f"{label}：永久退出",
                )
            )
        elif int(c.get("no_renew_years") or 0) > 0:
            years = int(c["no_renew_years"])
            out.append(
                rules.Ban(
                    rules.BanKind.NO_RENEW,
                    a.applied_on,
                    rules.ban_end(a.applied_on, years),
                    "assessment",
                    f"考核 {a.period}",
                    f"{label}：{years}年内不再续签",
                )
            )
    pharmacy = institution.fixmedins_type == rules.RETAIL_PHARMACY
    for d in repo.issued_terminations(institution.fixmedins_code):
        start = d.effective_on or d.issued_on
        if start is None:
            continue
        ref = f"处理决定 {d.decision_no} {d.document_no or ''}".strip()
        if d.ban_permanent:
            out.append(
                rules.Ban(
                    rules.BanKind.PERMANENT, start, None, "supervision", ref, "稽核处理解除药店协议，永久退出"
                )
            )
            continue
        # decisions drafted before bans were recorded: a pharmacy's lower bound of 3 years
        years = d.ban_years or (rules.PHARMACY_TERMINATION_BAN_YEARS if pharmacy else 0)
        if years > 0:
            who = "药店" if pharmacy else "机构"
            out.append(
                rules.Ban(
                    rules.BanKind.NO_RENEW,
                    start,
                    rules.ban_end(start, years),
                    "supervision",
                    ref,
                    f"稽核处理解除{who}协议，{years}年内不再续签（001 第四十五条）",
                )
            )
    return out


def _refuse_if_banned(uow: UnitOfWork, institution: Institution, day: date, action: str) -> None:
    ban = rules.ban_in_force(bans_of(uow, institution), day)
    if ban is not None:
        raise rules.refuse_banned(ban, action)


@dataclass(frozen=True)
class BanView:
    """A re-entry ban as shown: kind, period (end None: permanent), source and whether it holds today."""

    kind: str
    kind_name: str
    begin: date
    end: date | None
    source: str
    source_ref: str
    reason: str
    in_force: bool


def institution_bans(*, uow: UnitOfWork, fixmedins_code: str, day: date | None = None) -> list[BanView]:
    """The institution's re-entry bans, oldest first, each marked if it holds on `day` (today)."""
    _require_read(uow, fixmedins_code)
    institution = get_institution(uow=uow, fixmedins_code=fixmedins_code)
    when = day or today()
    return [
        BanView(
            b.kind.value,
            rules.BAN_KIND_ZH[b.kind],
            b.begin,
            b.end,
            b.source,
            b.source_ref,
            b.reason,
            b.begin <= when and (b.end is None or when <= b.end),
        )
        for b in sorted(bans_of(uow, institution), key=lambda b: b.begin)
    ]


def record_ban(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    kind: str,
    begin: date,
    reason: str,
    years: int | None = None,
    decision_no: str | None = None,
) -> list[BanView]:
    """Record a re-entry ban by hand (禁入期): N years (1–5) or a permanent exit (pharmacies only, 001
    第四十五条), from `begin`; when it follows a supervision decision, the decision must be an issued
    termination of this institution."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    institution = get_institution(uow=uow, fixmedins_code=fixmedins_code)
    ban_kind = choice(rules.BanKind, kind, code="BAN_KIND", field="kind", label="禁入类别")
    text = require_text(reason, field="reason", max_len=255, label="禁入原因")
    repo = _admission(uow)
    source, ref = "manual", "人工登记"
    number = (decision_no or "").strip()
    if number:
        decision = repo.decision(number)
        if (
            decision is None
            or decision.fixmedins_code != institution.fixmedins_code
            or decision.kind != "termination"
            or decision.status != "issued"
        ):
            raise invalid(
                "BAN_DECISION",
                "decision_no",
                f"字段 decision_no 处理决定 {number} 不是对机构 {institution.fixmedins_code} "
                "已签发的解除协议决定",
            )
        source, ref = "supervision", f"处理决定 {number}"
    end: date | None
    if ban_kind is rules.BanKind.PERMANENT:
        if institution.fixmedins_type != rules.RETAIL_PHARMACY:
            raise invalid(
                "PERMANENT_EXIT_PHARMACY", "kind", "字段 kind 永久退出仅用于定点零售药店（001 第四十五条）"
            )
        end = None
    else:
        if years is None or not 1 <= years <= 5:
            raise invalid("BAN_YEARS", "years", f"字段 years 禁入年限须为1至5年，实际为 {years}")
        end = rules.ban_end(begin, years)
    row = Ban(
        fixmedins_code=institution.fixmedins_code,
        admdvs=institution.admdvs,
        kind=ban_kind.value,
        begin=begin,
        end=end,
        source=source,
        source_ref=ref,
        reason=text,
        created_by=uow.actor.username,
        created_at=utcnow(),
    )
    repo.add(row)
    uow.flush()
    _record_event(uow, institution, "ban", institution.agreement_status, begin, until=end, reason=text)
    uow.audit(
        action="institution.ban",
        entity="institution",
        entity_id=institution.fixmedins_code,
        admdvs=institution.admdvs,
        after={"kind": ban_kind.value, "begin": begin, "end": end, "source_ref": ref, "reason": text},
    )
    uow.commit()
    return institution_bans(uow=uow, fixmedins_code=institution.fixmedins_code)


# ---- agreement records, certificates, history -----------------------------------------------------------


@dataclass(frozen=True)
class AgreementRecordView:
    agreement_no: str
    kind: str
    begin: date
    end: date
    terms_year: int
    application_no: str | None
    signed_on: date
    signed_by: str


@dataclass(frozen=True)
class CertificateView:
    certificate_no: str
    plaque_no: str
    application_no: str | None
    issued_on: date
    revoked_on: date | None


@dataclass(frozen=True)
class EventView:
    action: str
    action_name: str
    from_status: str | None
    to_status: str
    day: date
    begin: date | None
    end: date | None
    until: date | None
    reason: str | None
    actor: str
    at: datetime


_EVENT_ZH = {
    **{a.value: zh for a, zh in rules.AGREEMENT_ACTION_ZH.items()},
    "register": "登记（存量协议）",
    "ban": "登记禁入期",
}


@dataclass(frozen=True)
class AgreementHistory:
    """An institution's signed agreements, its certificates and plaques, and the state history."""

    agreements: list[AgreementRecordView]
    certificates: list[CertificateView]
    events: list[EventView]


def agreement_history(*, uow: UnitOfWork, fixmedins_code: str) -> AgreementHistory:
    """The agreements (newest first), certificates and every state change (oldest first)."""
    _require_read(uow, fixmedins_code)
    institution = get_institution(uow=uow, fixmedins_code=fixmedins_code)
    repo = _admission(uow)
    return AgreementHistory(
        [
            AgreementRecordView(
                a.agreement_no,
                a.kind,
                a.begin,
                a.end,
                a.terms_year,
                a.application_no,
                a.signed_on,
                a.signed_by,
            )
            for a in repo.agreements(institution.fixmedins_code)
        ],
        [
            CertificateView(c.certificate_no, c.plaque_no, c.application_no, c.issued_on, c.revoked_on)
            for c in repo.certificates(institution.fixmedins_code)
        ],
        [
            EventView(
                e.action,
                _EVENT_ZH.get(e.action, e.action),
                e.from_status,
                e.to_status,
                e.day,
                e.begin,
                e.end,
                e.until,
                e.reason,
                e.actor,
                e.at,
            )
            for e in repo.events(institution.fixmedins_code)
        ],
    )


def _add_agreement_record(
    uow: UnitOfWork, institution: Institution, kind: str, day: date, application_no: str | None
) -> AgreementRecord:
    repo = _admission(uow)
    assert institution.agreement_begin is not None and institution.agreement_end is not None
    row = AgreementRecord(
        agreement_no=repo.next_number(AgreementRecord.agreement_no, f"XY{institution.agreement_begin.year}-"),
        fixmedins_code=institution.fixmedins_code,
        admdvs=institution.admdvs,
        kind=kind,
        begin=institution.agreement_begin,
        end=institution.agreement_end,
        terms_year=institution.agreement_begin.year,
        application_no=application_no,
        signed_on=day,
        signed_by=uow.actor.username,
        created_at=utcnow(),
    )
    repo.add(row)
    uow.flush()
    return row


def _revoke_certificates(uow: UnitOfWork, institution: Institution, day: date) -> None:
    """Take back the certificate and plaque of a terminated institution (证、牌应予以收回)."""
    for cert in _admission(uow).certificates(institution.fixmedins_code):
        if cert.revoked_on is None:
            cert.revoked_on = day


# ---- checklists (评估表) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistView:
    """A checklist in force: its items and pass mark, and where it comes from (default or configured)."""

    admdvs: str
    fixmedins_type: str
    begin: date | None
    end: date | None
    items: list[dict[str, object]]
    pass_mark: int
    source: str


def _checklist(repo: AdmissionRepository, admdvs: str, fixmedins_type: str, day: date) -> ChecklistView:
    row = repo.checklist_in_force(admdvs, fixmedins_type, day)
    if row is None:
        d = rules.default_checklist(fixmedins_type)
        items = [{"code": i.code, "label": i.label, "weight": i.weight} for i in d.items]
        return ChecklistView(admdvs, fixmedins_type, None, None, items, d.pass_mark, "default")
    return ChecklistView(
        admdvs, fixmedins_type, row.begin, row.end, json.loads(row.items), row.pass_mark, f"config:{row.id}"
    )


def checklist_in_force(
    *, uow: UnitOfWork, admdvs: str, fixmedins_type: str, day: date | None = None
) -> ChecklistView:
    """The assessment checklist of a region and kind of institution on `day` (the typical one if none)."""
    _require_read(uow)
    region = require_admdvs(admdvs)
    if not uow.actor.sees_region(region):
        raise not_found("REGION_NOT_FOUND", f"字段 admdvs 统筹区 {region} 不存在", "admdvs")
    return _checklist(_admission(uow), region, (fixmedins_type or "").strip(), day or today())


def set_checklist(
    *,
    uow: UnitOfWork,
    admdvs: str,
    fixmedins_type: str,
    begin: date,
    items: list[dict[str, Any]],
    pass_mark: int,
    end: date | None = None,
) -> ChecklistView:
    """Configure a region's checklist for a kind of institution from `begin` (items with weights summing
    to 100, a pass mark); periods of the same region and kind may not overlap."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    region = require_admdvs(admdvs)
    uow.actor.require_region(region)
    kind = dictionaries(uow.session).require("fixmedins_type", fixmedins_type, field="fixmedins_type")
    check_order(begin, end)
    parsed: list[rules.ChecklistItem] = []
    for i, raw in enumerate(items or []):
        try:
            parsed.append(
                rules.ChecklistItem(str(raw["code"]).strip(), str(raw["label"]).strip(), int(raw["weight"]))
            )
        except (KeyError, TypeError, ValueError):
            raise invalid(
                "CHECKLIST_ITEM", f"items[{i}]", f"字段 items[{i}] 须含 code、label、weight（整数）"
            ) from None
    checklist = rules.check_checklist(parsed, pass_mark, field="checklist")
    repo = _admission(uow)
    for other in repo.checklist_rows(region, kind):
        if overlaps(other, Period(begin, end)):
            raise conflict(
                "CHECKLIST_OVERLAP",
                f"字段 begin：与 {other.begin} 起的评估表期间重叠（统筹区 {region}，机构类型 {kind}）",
                "begin",
            )
    row = ChecklistConfig(
        admdvs=region,
        fixmedins_type=kind,
        begin=begin,
        end=end,
        items=json.dumps(
            [{"code": i.code, "label": i.label, "weight": i.weight} for i in checklist.items],
            ensure_ascii=False,
        ),
        pass_mark=checklist.pass_mark,
        created_by=uow.actor.username,
        created_at=utcnow(),
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="institution.checklist",
        entity="institution_checklist",
        entity_id=row.id,
        admdvs=region,
        after={
            "fixmedins_type": kind,
            "begin": begin,
            "end": end,
            "items": json.loads(row.items),
            "pass_mark": pass_mark,
        },
    )
    uow.commit()
    return _checklist(repo, region, kind, begin)


# ---- applications ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentView:
    id: int
    kind: str
    kind_name: str
    filename: str
    media_type: str
    size: int
    sha256: str
    note: str | None
    uploaded_by: str


@dataclass(frozen=True)
class StepView:
    action: str
    action_name: str
    from_status: str | None
    to_status: str
    day: date
    note: str | None
    actor: str
    at: datetime


@dataclass(frozen=True)
class ObjectionView:
    id: int
    received_on: date
    objector: str | None
    content: str
    status: str
    answer: str | None
    answered_on: date | None
    answered_by: str | None


@dataclass(frozen=True)
class ApplicationView:
    """An application with everything recorded on it so far."""

    application_no: str
    fixmedins_code: str
    name: str
    admdvs: str
    fixmedins_type: str
    status: str
    status_name: str
    submitted_on: date
    licence_no: str | None
    licence_valid_until: date | None
    opened_on: date | None
    systems_connected_on: date | None
    contact: str | None
    note: str | None
    checks: list[dict[str, Any]]
    checked_on: date | None
    checklist: list[dict[str, Any]]
    score: int | None
    pass_mark: int | None
    assessors: str | None
    assessed_on: date | None
    notice_begin: date | None
    notice_end: date | None
    notice_where: str | None
    closed_on: date | None
    signed_on: date | None
    agreement_no: str | None
    reason: str | None
    created_by: str
    documents: list[DocumentView] = field(default_factory=list)
    steps: list[StepView] = field(default_factory=list)
    objections: list[ObjectionView] = field(default_factory=list)


_STEP_ZH = {**{a.value: zh for a, zh in rules.APPLICATION_ACTION_ZH.items()}, "submit": "提交申请"}


def _application_view(uow: UnitOfWork, row: Application, *, full: bool = True) -> ApplicationView:
    repo = _admission(uow)
    institution = InstitutionRepository(uow.session).by_code(row.fixmedins_code)
    status = rules.ApplicationStatus(row.status)
    return ApplicationView(
        application_no=row.application_no,
        fixmedins_code=row.fixmedins_code,
        name=institution.name if institution else "",
        admdvs=row.admdvs,
        fixmedins_type=row.fixmedins_type,
        status=row.status,
        status_name=rules.APPLICATION_STATUS_ZH[status],
        submitted_on=row.submitted_on,
        licence_no=row.licence_no,
        licence_valid_until=row.licence_valid_until,
        opened_on=row.opened_on,
        systems_connected_on=row.systems_connected_on,
        contact=row.contact,
        note=row.note,
        checks=json.loads(row.checks) if row.checks else [],
        checked_on=row.checked_on,
        checklist=json.loads(row.checklist) if row.checklist else [],
        score=row.score,
        pass_mark=row.pass_mark,
        assessors=row.assessors,
        assessed_on=row.assessed_on,
        notice_begin=row.notice_begin,
        notice_end=row.notice_end,
        notice_where=row.notice_where,
        closed_on=row.closed_on,
        signed_on=row.signed_on,
        agreement_no=row.agreement_no,
        reason=row.reason,
        created_by=row.created_by,
        documents=[
            DocumentView(
                d.id,
                d.kind,
                rules.DOCUMENT_KINDS.get(d.kind, d.kind),
                d.filename,
                d.media_type,
                d.size,
                d.sha256,
                d.note,
                d.uploaded_by,
            )
            for d in (repo.documents(row.id) if full else [])
        ],
        steps=[
            StepView(
                s.action,
                _STEP_ZH.get(s.action, s.action),
                s.from_status,
                s.to_status,
                s.day,
                s.note,
                s.actor,
                s.at,
            )
            for s in (repo.steps(row.id) if full else [])
        ],
        objections=[
            ObjectionView(
                o.id, o.received_on, o.objector, o.content, o.status, o.answer, o.answered_on, o.answered_by
            )
            for o in (repo.objections(row.id) if full else [])
        ],
    )


def _application(uow: UnitOfWork, number: str) -> Application:
    code = (number or "").strip()
    row = _admission(uow).application(code)
    if row is None or not uow.actor.sees_region(row.admdvs):
        raise not_found(
            "APPLICATION_NOT_FOUND", f"字段 application_no：定点申请 {code} 不存在", "application_no"
        )
    return row


def _step(
    uow: UnitOfWork,
    row: Application,
    action: str,
    before: str | None,
    day: date,
    note: str | None = None,
) -> None:
    """Record the step (who, when, from which status to which) and its audit row."""
    _admission(uow).add(
        ApplicationStep(
            application_id=row.id,
            action=action,
            from_status=before,
            to_status=row.status,
            day=day,
            note=note,
            actor=uow.actor.username,
            at=utcnow(),
        )
    )
    row.updated_at = utcnow()
    uow.audit(
        action=f"institution.application.{action}",
        entity="institution_application",
        entity_id=row.application_no,
        admdvs=row.admdvs,
        before={"status": before} if before else None,
        after={"status": row.status, "day": day, "fixmedins_code": row.fixmedins_code},
        note=note,
    )


def _status_zh(row: Application) -> str:
    return rules.APPLICATION_STATUS_ZH[rules.ApplicationStatus(row.status)]


def _advance(row: Application, action: rules.ApplicationAction, *, passed: bool = True) -> str:
    before = row.status
    row.status = rules.application_next(rules.ApplicationStatus(row.status), action, passed=passed).value
    return before


def submit_application(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    day: date | None = None,
    licence_no: str | None = None,
    licence_valid_until: date | None = None,
    opened_on: date | None = None,
    systems_connected_on: date | None = None,
    contact: str | None = None,
    note: str | None = None,
) -> ApplicationView:
    """Receive an application for designation (定点申请) of a registered institution with the facts it
    is checked on. Only an institution without an agreement (applying) or with a terminated one may
    apply, one open application at a time, and never inside a re-entry ban; a terminated institution
    re-enters the `applying` state (recorded in its history)."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    institution = get_institution(uow=uow, fixmedins_code=fixmedins_code)
    when = day or today()
    status = rules.AgreementStatus(institution.agreement_status)
    if status not in (rules.AgreementStatus.APPLYING, rules.AgreementStatus.TERMINATED):
        raise conflict(
            "APPLICATION_NOT_NEEDED",
            f"字段 fixmedins_code：机构 {institution.fixmedins_code} 协议状态为"
            f"“{rules.AGREEMENT_STATUS_ZH[status]}”，应续签或变更协议，不能重新申请定点",
            "fixmedins_code",
        )
    repo = _admission(uow)
    for other in repo.applications_of(institution.fixmedins_code):
        if rules.ApplicationStatus(other.status) in rules.APPLICATION_OPEN:
            raise conflict(
                "APPLICATION_OPEN",
                f"字段 fixmedins_code：机构已有办理中的定点申请 {other.application_no}",
                "fixmedins_code",
            )
    _refuse_if_banned(uow, institution, when, "申请定点")
    licence = optional_text(licence_no, field="licence_no", max_len=64, label="许可证编号")
    if opened_on is not None and opened_on > when:
        raise invalid(
            "OPENED_IN_FUTURE", "opened_on", f"字段 opened_on 开业日期 {opened_on} 不能晚于申请日 {when}"
        )
    now = utcnow()
    row = Application(
        application_no=repo.next_number(Application.application_no, f"SQ{when.year}-"),
        fixmedins_code=institution.fixmedins_code,
        admdvs=institution.admdvs,
        fixmedins_type=institution.fixmedins_type,
        status=rules.ApplicationStatus.SUBMITTED.value,
        submitted_on=when,
        licence_no=licence,
        licence_valid_until=licence_valid_until,
        opened_on=opened_on,
        systems_connected_on=systems_connected_on,
        contact=optional_text(contact, field="contact", max_len=64, label="联系人"),
        note=optional_text(note, field="note", max_len=255, label="说明"),
        created_by=uow.actor.username,
        created_at=now,
        updated_at=now,
    )
    repo.add(row)
    uow.flush()
    if status is rules.AgreementStatus.TERMINATED:
        before = institution.snapshot()
        state = rules.transition(
            rules.state_of(institution),
            rules.AgreementAction.REAPPLY,
            day=when,
            reason=f"定点申请 {row.application_no}",
        )
        _apply_state(institution, state)
        institution.updated_at = now
        _record_event(
            uow, institution, "reapply", status.value, when, reason=f"定点申请 {row.application_no}"
        )
        uow.audit(
            action="institution.agreement.reapply",
            entity="institution",
            entity_id=institution.fixmedins_code,
            admdvs=institution.admdvs,
            before=before,
            after=institution.snapshot(),
        )
    _step(uow, row, "submit", None, when, note)
    uow.commit()
    return _application_view(uow, row)


def update_application(
    *,
    uow: UnitOfWork,
    application_no: str,
    licence_no: str | None = None,
    licence_valid_until: date | None = None,
    opened_on: date | None = None,
    systems_connected_on: date | None = None,
    contact: str | None = None,
) -> ApplicationView:
    """Correct the recorded facts before the eligibility check passes (None leaves a fact unchanged)."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    row = _application(uow, application_no)
    if row.status not in (rules.ApplicationStatus.SUBMITTED.value, rules.ApplicationStatus.INELIGIBLE.value):
        raise conflict(
            "APPLICATION_FACTS_LOCKED",
            f"字段 application_no：申请状态为“{_status_zh(row)}”，资格审查通过后不能修改申请事实",
            "application_no",
        )
    before = {
        "licence_no": row.licence_no,
        "licence_valid_until": row.licence_valid_until,
        "opened_on": row.opened_on,
        "systems_connected_on": row.systems_connected_on,
        "contact": row.contact,
    }
    if licence_no is not None:
        row.licence_no = optional_text(licence_no, field="licence_no", max_len=64, label="许可证编号")
    if licence_valid_until is not None:
        row.licence_valid_until = licence_valid_until
    if opened_on is not None:
        row.opened_on = opened_on
    if systems_connected_on is not None:
        row.systems_connected_on = systems_connected_on
    if contact is not None:
        row.contact = optional_text(contact, field="contact", max_len=64, label="联系人")
    row.updated_at = utcnow()
    uow.audit(
        action="institution.application.update",
        entity="institution_application",
        entity_id=row.application_no,
        admdvs=row.admdvs,
        before=before,
        after={
            "licence_no": row.licence_no,
            "licence_valid_until": row.licence_valid_until,
            "opened_on": row.opened_on,
            "systems_connected_on": row.systems_connected_on,
            "contact": row.contact,
        },
    )
    uow.commit()
    return _application_view(uow, row)


def add_document(
    *,
    uow: UnitOfWork,
    application_no: str,
    kind: str,
    filename: str,
    data: bytes,
    media_type: str | None = None,
    note: str | None = None,
) -> DocumentView:
    """Attach a document to an open application (申请材料), kept with its SHA-256 (at most 10 MB)."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    row = _application(uow, application_no)
    if rules.ApplicationStatus(row.status) not in rules.APPLICATION_OPEN:
        raise conflict(
            "APPLICATION_CLOSED", "字段 application_no：申请已办结，不能再添加材料", "application_no"
        )
    doc_kind = (kind or "").strip()
    if doc_kind not in rules.DOCUMENT_KINDS:
        raise invalid(
            "DOCUMENT_KIND",
            "kind",
            f"字段 kind 材料类别 {kind!r} 无效，可选：{'/'.join(rules.DOCUMENT_KINDS)}",
        )
    name = require_text(filename, field="filename", max_len=255, label="文件名")
    if not data:
        raise invalid("DOCUMENT_EMPTY", "file", "字段 file 申请材料文件为空")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise invalid("DOCUMENT_TOO_LARGE", "file", "字段 file 申请材料文件不能超过10MB")
    digest = hashlib.sha256(data).hexdigest()
    doc = ApplicationDocument(
        application_id=row.id,
        kind=doc_kind,
        filename=name,
        media_type=(media_type or "application/octet-stream")[:128],
        size=len(data),
        sha256=digest,
        content=data,
        note=optional_text(note, field="note", max_len=255, label="说明"),
        uploaded_at=utcnow(),
        uploaded_by=uow.actor.username,
    )
    _admission(uow).add(doc)
    uow.flush()
    uow.audit(
        action="institution.application.document",
        entity="institution_application",
        entity_id=row.application_no,
        admdvs=row.admdvs,
        after={"kind": doc_kind, "filename": name, "size": len(data), "sha256": digest},
    )
    uow.commit()
    return DocumentView(
        doc.id,
        doc_kind,
        rules.DOCUMENT_KINDS[doc_kind],
        name,
        doc.media_type,
        doc.size,
        digest,
        doc.note,
        doc.uploaded_by,
    )


def get_document(*, uow: UnitOfWork, application_no: str, document_id: int) -> tuple[str, str, bytes]:
    """A document of an application: (filename, media type, bytes)."""
    _require_read(uow)
    row = _application(uow, application_no)
    doc = _admission(uow).document(row.id, document_id)
    if doc is None:
        raise not_found(
            "DOCUMENT_NOT_FOUND", f"字段 document_id：申请材料 {document_id} 不存在", "document_id"
        )
    return doc.filename, doc.media_type, doc.content


def check_application(*, uow: UnitOfWork, application_no: str, day: date | None = None) -> ApplicationView:
    """Run the eligibility checks (资格审查) on `day`: licence, one year open, systems connected, the
    required documents. Each check is recorded pass/fail with its reason; the application becomes
    eligible only when all pass (else ineligible, and may be checked again after corrections)."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    row = _application(uow, application_no)
    when = day or today()
    facts = rules.EligibilityFacts(
        licence_no=row.licence_no,
        licence_valid_until=row.licence_valid_until,
        opened_on=row.opened_on,
        systems_connected_on=row.systems_connected_on,
        documents=frozenset(_admission(uow).document_kinds(row.id)),
    )
    results = rules.check_eligibility(facts, when)
    passed = all(r.passed for r in results)
    before = _advance(row, rules.ApplicationAction.CHECK, passed=passed)
    row.checks = json.dumps([asdict(r) for r in results], ensure_ascii=False)
    row.checked_on = when
    failed = "；".join(f"{r.name}：{r.reason}" for r in results if not r.passed)
    _step(uow, row, "check", before, when, failed or "全部资格条件符合")
    uow.commit()
    return _application_view(uow, row)


def assess_application(
    *,
    uow: UnitOfWork,
    application_no: str,
    scores: dict[str, int],
    assessors: list[str] | None = None,
    day: date | None = None,
) -> ApplicationView:
    """Score the on-site professional assessment (专业评估) on the region's checklist in force: every
    item 0 to its weight; the total reaching the pass mark passes, otherwise the application fails."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    row = _application(uow, application_no)
    when = day or today()
    rules.application_next(rules.ApplicationStatus(row.status), rules.ApplicationAction.ASSESS)
    team = [a.strip() for a in (assessors or []) if a and a.strip()]
    if len(team) < 2:
        raise invalid("ASSESSORS_TOO_FEW", "assessors", "字段 assessors 现场评估至少须有2名评估人员")
    view = _checklist(_admission(uow), row.admdvs, row.fixmedins_type, when)
    checklist = rules.Checklist(
        tuple(
            rules.ChecklistItem(str(i["code"]), str(i["label"]), int(str(i["weight"]))) for i in view.items
        ),
        view.pass_mark,
    )
    result = rules.score_checklist(checklist, {str(k): int(v) for k, v in (scores or {}).items()})
    before = _advance(row, rules.ApplicationAction.ASSESS, passed=result.passed)
    row.checklist = json.dumps(result.items, ensure_ascii=False)
    row.score, row.pass_mark = result.total, result.pass_mark
    row.assessors = "、".join(team)[:255]
    row.assessed_on = when
    verdict = "达到" if result.passed else "未达到"
    _step(
        uow,
        row,
        "assess",
        before,
        when,
        f"评估得分 {result.total}，{verdict}合格分 {result.pass_mark}（{view.source}）",
    )
    uow.commit()
    return _application_view(uow, row)


def publish_notice(
    *,
    uow: UnitOfWork,
    application_no: str,
    begin: date,
    end: date,
    where: str | None = None,
) -> ApplicationView:
    """Put the assessed application on public notice (社会公示) from `begin` through `end`."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    row = _application(uow, application_no)
    rules.application_next(rules.ApplicationStatus(row.status), rules.ApplicationAction.PUBLISH)
    rules.check_notice_period(begin, end)
    before = _advance(row, rules.ApplicationAction.PUBLISH)
    row.notice_begin, row.notice_end = begin, end
    row.notice_where = optional_text(where, field="where", max_len=255, label="公示地点")
    _step(
        uow,
        row,
        "publish",
        before,
        begin,
        f"公示期 {begin} 至 {end}{'，' + row.notice_where if row.notice_where else ''}",
    )
    uow.commit()
    return _application_view(uow, row)


def add_objection(
    *, uow: UnitOfWork, application_no: str, day: date, content: str, objector: str | None = None
) -> ObjectionView:
    """Record an objection received during the notice (公示异议); the objector may stay anonymous."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    row = _application(uow, application_no)
    if row.status != rules.ApplicationStatus.NOTICE.value:
        raise conflict(
            "APPLICATION_NOT_IN_NOTICE", "字段 application_no：申请不在公示期，不能登记异议", "application_no"
        )
    assert row.notice_begin is not None and row.notice_end is not None
    rules.check_objection_day(row.notice_begin, row.notice_end, day)
    text = require_text(content, field="content", max_len=2000, label="异议内容")
    objection = Objection(
        application_id=row.id,
        received_on=day,
        objector=optional_text(objector, field="objector", max_len=64, label="异议人"),
        content=text,
        status="open",
        created_by=uow.actor.username,
        created_at=utcnow(),
    )
    _admission(uow).add(objection)
    uow.flush()
    uow.audit(
        action="institution.application.objection",
        entity="institution_application",
        entity_id=row.application_no,
        admdvs=row.admdvs,
        after={"objection": objection.id, "day": day, "anonymous": objection.objector is None},
    )
    uow.commit()
    return ObjectionView(objection.id, day, objection.objector, text, "open", None, None, None)


def answer_objection(
    *, uow: UnitOfWork, application_no: str, objection_id: int, outcome: str, answer: str, day: date
) -> ObjectionView:
    """Answer an objection after looking into it: upheld (成立: no designation) or dismissed (不成立)."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    row = _application(uow, application_no)
    objection = _admission(uow).objection(row.id, objection_id)
    if objection is None:
        raise not_found(
            "OBJECTION_NOT_FOUND", f"字段 objection_id：异议 {objection_id} 不存在", "objection_id"
        )
    if objection.status != "open":
        raise conflict(
            "OBJECTION_ANSWERED",
            f"字段 objection_id：异议 {objection_id} 已于 {objection.answered_on} 处理",
            "objection_id",
        )
    if outcome not in ("upheld", "dismissed"):
        raise invalid(
            "OBJECTION_OUTCOME", "outcome", "字段 outcome 处理结果须为 upheld（成立）或 dismissed（不成立）"
        )
    if day < objection.received_on:
        raise invalid(
            "PERIOD_ORDER", "day", f"字段 day 处理日期 {day} 不能早于异议日期 {objection.received_on}"
        )
    objection.status = outcome
    objection.answer = require_text(answer, field="answer", max_len=255, label="处理意见")
    objection.answered_on, objection.answered_by = day, uow.actor.username
    uow.audit(
        action="institution.application.objection.answer",
        entity="institution_application",
        entity_id=row.application_no,
        admdvs=row.admdvs,
        after={"objection": objection.id, "outcome": outcome, "answer": objection.answer, "day": day},
    )
    uow.commit()
    return ObjectionView(
        objection.id,
        objection.received_on,
        objection.objector,
        objection.content,
        objection.status,
        objection.answer,
        objection.answered_on,
        objection.answered_by,
    )


def close_notice(*, uow: UnitOfWork, application_no: str, day: date | None = None) -> ApplicationView:
    """End the notice after its last day: with every objection answered and none upheld the designation
    is granted (认定定点资格), an upheld objection means no designation."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    row = _application(uow, application_no)
    when = day or today()
    rules.application_next(rules.ApplicationStatus(row.status), rules.ApplicationAction.CLOSE)
    assert row.notice_end is not None
    objections = _admission(uow).objections(row.id)
    open_count = sum(1 for o in objections if o.status == "open")
    upheld = sum(1 for o in objections if o.status == "upheld")
    approved = rules.notice_outcome(row.notice_end, when, open_count, upheld)
    before = _advance(row, rules.ApplicationAction.CLOSE, passed=approved)
    row.closed_on = when
    if not approved:
        row.reason = f"公示期内有 {upheld} 件异议成立，不予认定"
    note = f"公示期满，异议 {len(objections)} 件（成立 {upheld} 件）"
    _step(uow, row, "close", before, when, note)
    uow.commit()
    return _application_view(uow, row)


def _issue_certificate(
    uow: UnitOfWork, institution: Institution, row: Application, day: date, plaque_no: str | None
) -> Certificate:
    """The certificate and plaque (证书与标牌): numbers generated per region, or a plaque number given by
    hand (unique)."""
    repo = _admission(uow)
    seq: int | None
    if plaque_no is not None and plaque_no.strip():
        plaque = rules.check_plaque_no(plaque_no)
        seq = None
    else:
        seq = repo.next_plaque_seq(institution.admdvs)
        plaque = rules.plaque_number(institution.admdvs, institution.fixmedins_type, seq)
    taken = repo.plaque_taken(plaque)
    if taken is not None:
        raise conflict(
            "PLAQUE_EXISTS",
            f"字段 plaque_no：标牌编号 {plaque} 已发给机构 {taken.fixmedins_code}"
            f"（证书 {taken.certificate_no}）",
            "plaque_no",
        )
    cert = Certificate(
        fixmedins_code=institution.fixmedins_code,
        admdvs=institution.admdvs,
        certificate_no=rules.certificate_number(
            institution.admdvs, day.year, repo.next_certificate_seq(institution.admdvs, day.year)
        ),
        plaque_no=plaque,
        plaque_seq=seq,
        application_no=row.application_no,
        issued_on=day,
        revoked_on=None,
        created_at=utcnow(),
    )
    repo.add(cert)
    return cert


def sign_application(
    *,
    uow: UnitOfWork,
    application_no: str,
    begin: date,
    end: date | None = None,
    day: date | None = None,
    plaque_no: str | None = None,
    terms_profile: str | None = None,
) -> ApplicationView:
    """Sign the agreement of an approved application (签订协议): one year from `begin` by default, never
    inside a re-entry ban; its measurable terms are the assessment area's terms of the first year
    (already set, or set now from `terms_profile`); the certificate and plaque are issued."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    row = _application(uow, application_no)
    when = day or today()
    rules.application_next(rules.ApplicationStatus(row.status), rules.ApplicationAction.SIGN)
    institution = get_institution(uow=uow, fixmedins_code=row.fixmedins_code)
    _refuse_if_banned(uow, institution, when, "签订协议")
    repo = _admission(uow)
    profile = (terms_profile or "").strip() or None
    if profile is None and not repo.has_terms(institution.fixmedins_code, begin.year):
        raise conflict(
            "TERMS_REQUIRED",
            f"字段 terms_profile：机构 {institution.fixmedins_code} 尚未设定 {begin.year} 年度协议指标，"
            "请先在考核模块设定，或选择指标模板（general/specialist/pharmacy）",
            "terms_profile",
        )
    before_inst = institution.snapshot()
    from_status = institution.agreement_status
    state = rules.transition(
        rules.state_of(institution),
        rules.AgreementAction.SIGN,
        day=when,
        begin=begin,
        end=end,
        reason=f"定点申请 {row.application_no}",
    )
    _apply_state(institution, state)
    institution.updated_at = utcnow()
    record = _add_agreement_record(uow, institution, "sign", when, row.application_no)
    cert = _issue_certificate(uow, institution, row, when, plaque_no)
    _record_event(
        uow,
        institution,
        "sign",
        from_status,
        when,
        reason=f"定点申请 {row.application_no}，协议 {record.agreement_no}",
    )
    uow.audit(
        action="institution.agreement.sign",
        entity="institution",
        entity_id=institution.fixmedins_code,
        admdvs=institution.admdvs,
        before=before_inst,
        after={**institution.snapshot(), "agreement_no": record.agreement_no, "plaque_no": cert.plaque_no},
    )
    before = _advance(row, rules.ApplicationAction.SIGN)
    row.signed_on, row.agreement_no = when, record.agreement_no
    _step(
        uow,
        row,
        "sign",
        before,
        when,
        f"协议 {record.agreement_no}（{record.begin} 至 {record.end}），"
        f"证书 {cert.certificate_no}，标牌 {cert.plaque_no}",
    )
    uow.flush()
    if profile is not None and not repo.has_terms(institution.fixmedins_code, begin.year):
        # The assessment area owns the terms; its use case commits this unit of work, so the signing
        # above and the terms are stored together (or not at all when the terms are refused).
        from yibao.assessment import service as assessment

        assessment.set_terms(
            uow=uow, fixmedins_code=institution.fixmedins_code, year=begin.year, profile=profile
        )
    else:
        uow.commit()
    return _application_view(uow, row)


def end_application(
    *, uow: UnitOfWork, application_no: str, action: str, reason: str, day: date | None = None
) -> ApplicationView:
    """Refuse (reject 不予认定) or withdraw (withdraw 撤回) an open application, with the reason."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    row = _application(uow, application_no)
    act = choice(rules.ApplicationAction, action, code="APPLICATION_ACTION", field="action", label="申请操作")
    if act not in (rules.ApplicationAction.REJECT, rules.ApplicationAction.WITHDRAW):
        raise invalid(
            "APPLICATION_ACTION", "action", "字段 action 只能为 reject（不予认定）或 withdraw（撤回）"
        )
    text = require_text(reason, field="reason", max_len=255, label="原因")
    when = day or today()
    before = _advance(row, act)
    row.reason = text
    _step(uow, row, act.value, before, when, text)
    uow.commit()
    return _application_view(uow, row)


def show_application(*, uow: UnitOfWork, application_no: str) -> ApplicationView:
    """One application with its documents, steps and objections."""
    _require_read(uow)
    return _application_view(uow, _application(uow, application_no))


def list_applications(
    *,
    uow: UnitOfWork,
    status: str | None = None,
    fixmedins_code: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[ApplicationView]:
    """Applications in the actor's regions, newest first."""
    _require_read(uow)
    result = _admission(uow).search_applications(
        regions=uow.actor.region_filter(),
        status=(status or "").strip() or None,
        fixmedins_code=(fixmedins_code or "").strip() or None,
        page=page,
        size=size,
    )
    return Page([_application_view(uow, r, full=False) for r in result.items], result.total, page, size)


# ---- the institution on one screen ---------------------------------------------------------------------


@dataclass(frozen=True)
class InstitutionOverview:
    """Everything about an institution on one screen: its agreement and history, bans, applications,
    this year's terms, assessments with chart data, supervision cases and decisions, doctors with
    points. Sections of other areas are read through their services; a section the actor may not
    read is None with the reason in `notes`."""

    institution: InstitutionView
    history: AgreementHistory
    bans: list[BanView]
    applications: list[ApplicationView]
    year: int
    terms: Any | None
    assessments: list[Any] | None
    chart: dict[str, Any]
    inspections: list[Any] | None
    decisions: list[Any] | None
    doctors: list[DoctorView]
    doctor_points: dict[str, int]
    notes: dict[str, str]


def _chart_data(assessments: list[Any]) -> dict[str, Any]:
    """Chart series: the score of each period (oldest first) and, for the latest assessment, the points
    earned against the full weight of every indicator (both in points, so they share one axis)."""
    ordered = sorted(assessments, key=lambda a: (a.period_begin, a.period_end))
    latest = max(assessments, key=lambda a: (a.period_end, a.period_begin), default=None)
    return {
        "periods": [a.period for a in ordered],
        "scores": [round(a.score / 100, 2) for a in ordered],
        "latest_period": latest.period if latest else None,
        "labels": [str(i.get("zh", i.get("code", ""))) for i in (latest.items if latest else [])],
        "weights": [int(i.get("weight", 0)) for i in (latest.items if latest else [])],
        "points": [round(int(i.get("points", 0)) / 100, 2) for i in (latest.items if latest else [])],
    }


def institution_overview(
    *, uow: UnitOfWork, fixmedins_code: str, day: date | None = None
) -> InstitutionOverview:
    """The one-screen view of an institution (机构综合页)."""
    from yibao.assessment import service as assessment
    from yibao.supervision import service as supervision

    when = day or today()
    view = show_institution(uow=uow, fixmedins_code=fixmedins_code, day=when)
    code = view.fixmedins_code
    notes: dict[str, str] = {}

    def guarded(section: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except BusinessError as exc:
            if exc.kind not in (ErrorKind.FORBIDDEN, ErrorKind.NOT_FOUND):
                raise
            notes[section] = exc.message
            return None

    assessments = guarded(
        "assessments", lambda: assessment.list_assessments(uow=uow, fixmedins_code=code, size=100).items
    )
    terms = guarded("terms", lambda: assessment.show_terms(uow=uow, fixmedins_code=code, year=when.year))
    inspections = guarded(
        "supervision", lambda: supervision.list_inspections(uow=uow, fixmedins_code=code, size=100).items
    )
    decisions = guarded(
        "supervision", lambda: supervision.list_decisions(uow=uow, fixmedins_code=code, size=100).items
    )
    doctors = guarded("doctors", lambda: institution_doctors(uow=uow, fixmedins_code=code)) or []
    applications = (
        list_applications(uow=uow, fixmedins_code=code, size=100).items
        if uow.actor.has(Perm.INSTITUTION_READ)
        else []
    )
    return InstitutionOverview(
        institution=view,
        history=agreement_history(uow=uow, fixmedins_code=code),
        bans=institution_bans(uow=uow, fixmedins_code=code, day=when),
        applications=applications,
        year=when.year,
        terms=terms,
        assessments=assessments,
        chart=_chart_data(assessments or []),
        inspections=inspections,
        decisions=decisions,
        doctors=doctors,
        doctor_points={
            d.dr_code: rules.points_in_year(d.points_year, d.points_deducted, when.year) for d in doctors
        },
        notes=notes,
    )


def form_admission_options() -> dict[str, list[tuple[str, str]]]:
    """Choices of the admission forms: statuses, document kinds, ban kinds, objection outcomes."""
    return {
        "application_status": [(s.value, zh) for s, zh in rules.APPLICATION_STATUS_ZH.items()],
        "document_kind": list(rules.DOCUMENT_KINDS.items()),
        "ban_kind": [(k.value, zh) for k, zh in rules.BAN_KIND_ZH.items()],
        "objection_outcome": [("dismissed", "异议不成立"), ("upheld", "异议成立")],
        "terms_profile": [("general", "综合医院"), ("specialist", "专科医院"), ("pharmacy", "定点药店")],
    }
