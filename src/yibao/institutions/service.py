"""Use cases for designated institutions (定点医药机构), departments and insurance doctors (医保医师)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

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
from yibao.domain.periods import check_order, overlaps
from yibao.institutions.files import SourceRow, read_rows
from yibao.institutions.models import Department, Doctor, DoctorLink, Institution
from yibao.institutions.repository import DoctorRepository, InstitutionRepository
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
) -> InstitutionView:
    """Apply an agreement action (sign, renew, suspend, resume, expire, terminate) on `day` (today).

    `commit=False` leaves the commit to the caller's unit of work (an assessment or a supervision
    decision that suspends the agreement as part of its own transaction).
    """
    uow.actor.require(Perm.INSTITUTION_WRITE)
    act = choice(rules.AgreementAction, action, code="AGREEMENT_ACTION", field="action", label="协议操作")
    institution = get_institution(uow=uow, fixmedins_code=fixmedins_code)
    before = institution.snapshot()
    state = rules.transition(
        rules.state_of(institution),
        act,
        day=day or today(),
        begin=begin,
        end=end,
        until=until,
        reason=reason,
    )
    _apply_state(institution, state)
    institution.updated_at = utcnow()
    uow.audit(
        action=f"institution.agreement.{act.value}",
        entity="institution",
        entity_id=institution.fixmedins_code,
        admdvs=institution.admdvs,
        before=before,
        after=institution.snapshot(),
        note=state.reason,
    )
    if commit:
        uow.commit()
    return _view(institution, dictionaries(uow.session), today())


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
        "agreement_action": [(a.value, zh) for a, zh in rules.AGREEMENT_ACTION_ZH.items()],
        "doctor_kind": [(k.value, zh) for k, zh in rules.DOCTOR_KIND_ZH.items()],
        "doctor_status": [(s.value, zh) for s, zh in rules.DOCTOR_STATUS_ZH.items()],
        "doctor_action": [(a.value, zh) for a, zh in rules.DOCTOR_ACTION_ZH.items()],
    }
