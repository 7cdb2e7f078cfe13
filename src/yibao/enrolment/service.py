"""Use cases of enrolment (参保登记与缴费): units, persons, relations, contributions, accounts, transfers."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from yibao.core.db import utcnow
from yibao.core.imports import ImportRefusedError, RowError, table_rows
from yibao.core.paging import MAX_PAGE_SIZE, Page
from yibao.core.security import Actor, Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import optional_text, parse_date, require_admdvs, require_text
from yibao.domain import enrolment as rules
from yibao.domain.enrolment import (
    AccountPolicy,
    EntryType,
    RelationFact,
    RelationStatus,
    WaitingPolicy,
)
from yibao.domain.errors import BusinessError, ErrorKind, FieldError, collect, conflict, invalid, not_found
from yibao.domain.identity import ResidentId, check_uscc, mask_id, parse_resident_id
from yibao.domain.money import fen_to_yuan, yuan_to_fen
from yibao.domain.periods import check_order
from yibao.domain.policy import Policy, subsidise
from yibao.enrolment.models import (
    RELATION_SNAPSHOT_FIELDS,
    Account,
    AccountEntry,
    Contribution,
    Person,
    Relation,
    Transfer,
    Unit,
)
from yibao.enrolment.repository import EnrolmentRepository, RelationRow
from yibao.policy.lookup import policy_in_force
from yibao.reference.lookup import Dictionaries, dictionaries

DEFAULT_WAITING = WaitingPolicy()
DEFAULT_ACCOUNT = AccountPolicy()
T = TypeVar("T")
_PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")


class _Fields:
    """Collects every broken field rule of an input instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def check(self, fn: Callable[[], T]) -> T | None:
        try:
            return fn()
        except BusinessError as exc:
            self.errors.extend(exc.errors)
            return None

    def add(self, field_name: str, code: str, message: str) -> None:
        self.errors.append(FieldError(field_name, code, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise collect(self.errors)


def _today() -> date:
    return utcnow().date()


def _region_must_exist(repo: EnrolmentRepository, admdvs: str, field_name: str = "admdvs") -> None:
    if not repo.region_exists(admdvs):
        raise invalid("REGION_NOT_FOUND", field_name, f"字段 {field_name}：统筹区 {admdvs} 不存在")


def _phone(value: str | None, field_name: str = "phone") -> str | None:
    text = optional_text(value, field=field_name, max_len=32, label="联系电话")
    if text is not None and not _PHONE.match(text):
        raise invalid("PHONE_FORMAT", field_name, f"字段 {field_name} 联系电话格式错误：{text!r}")
    return text


# =============================================================================================
# Units (参保单位)


def create_unit(
    *,
    uow: UnitOfWork,
    uscc: str,
    name: str,
    admdvs: str,
    unit_type: str,
    begin: date,
    end: date | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
) -> Unit:
    """Register an employer; its credit code must be valid and new, its region must exist."""
    uow.actor.require(Perm.ENROL_WRITE)
    fields = _Fields()
    code = fields.check(lambda: check_uscc(uscc))
    unit_name = fields.check(lambda: require_text(name, field="name", max_len=128, label="单位名称"))
    region = fields.check(lambda: require_admdvs(admdvs))
    kind = fields.check(lambda: rules.check_unit_type(unit_type))
    contact = fields.check(
        lambda: optional_text(contact_name, field="contact_name", max_len=64, label="联系人")
    )
    phone = fields.check(lambda: _phone(contact_phone, "contact_phone"))
    fields.check(lambda: check_order(begin, end))
    fields.raise_if_any()
    assert code is not None and unit_name is not None and region is not None and kind is not None
    uow.actor.require_region(region)
    repo = EnrolmentRepository(uow.session)
    _region_must_exist(repo, region)
    existing = repo.unit_by_uscc(code)
    if existing is not None:
        raise conflict(
            "UNIT_EXISTS",
            f"字段 uscc：统一社会信用代码 {code} 已登记为单位“{existing.name}”（统筹区 {existing.admdvs}）",
            "uscc",
        )
    unit = Unit(
        uscc=code,
        name=unit_name,
        admdvs=region,
        unit_type=kind,
        contact_name=contact,
        contact_phone=phone,
        status="active",
        begin=begin,
        end=end,
    )
    repo.add(unit)
    uow.flush()
    uow.audit(action="unit.create", entity="unit", entity_id=code, admdvs=region, after=unit.snapshot())
    uow.commit()
    return unit


def update_unit(
    *,
    uow: UnitOfWork,
    uscc: str,
    name: str | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    status: str | None = None,
    end: date | None = None,
) -> Unit:
    """Change a unit's name, contact, status or last day."""
    uow.actor.require(Perm.ENROL_WRITE)
    unit = get_unit(uow=uow, uscc=uscc)
    before = unit.snapshot()
    if name is not None:
        unit.name = require_text(name, field="name", max_len=128, label="单位名称")
    if contact_name is not None:
        unit.contact_name = optional_text(contact_name, field="contact_name", max_len=64, label="联系人")
    if contact_phone is not None:
        unit.contact_phone = _phone(contact_phone, "contact_phone")
    if status is not None:
        unit.status = rules.check_unit_status(status)
    if end is not None:
        check_order(unit.begin, end)
        unit.end = end
    uow.audit(
        action="unit.update",
        entity="unit",
        entity_id=unit.uscc,
        admdvs=unit.admdvs,
        before=before,
        after=unit.snapshot(),
    )
    uow.commit()
    return unit


def get_unit(*, uow: UnitOfWork, uscc: str) -> Unit:
    """The unit with this credit code, if the actor may see its region."""
    uow.actor.require(Perm.ENROL_READ)
    unit = EnrolmentRepository(uow.session).unit_by_uscc((uscc or "").strip().upper())
    if unit is None or not uow.actor.sees_region(unit.admdvs):
        raise not_found("UNIT_NOT_FOUND", f"字段 uscc：参保单位 {uscc} 不存在", "uscc")
    return unit


def list_units(
    *, uow: UnitOfWork, q: str | None = None, admdvs: str | None = None, page: int = 1, size: int = 20
) -> Page[Unit]:
    """Units of the actor's regions, searched by credit code or name."""
    uow.actor.require(Perm.ENROL_READ)
    return EnrolmentRepository(uow.session).search_units(
        regions=uow.actor.region_filter(), q=q, admdvs=admdvs, page=page, size=size
    )


def unit_member_count(*, uow: UnitOfWork, uscc: str) -> int:
    """How many persons are registered with the unit."""
    unit = get_unit(uow=uow, uscc=uscc)
    return EnrolmentRepository(uow.session).unit_member_count(unit.id)


# =============================================================================================
# Persons (参保人): what callers see


@dataclass(frozen=True)
class PersonView:
    """A person as shown to one actor: the ID number masked unless the actor holds PERSON_SENSITIVE."""

    psn_no: str
    certno: str
    name: str
    gend: str
    birth_date: date
    phone: str | None
    admdvs: str
    unit_uscc: str | None
    unit_name: str | None
    certno_masked: bool


def shown_certno(actor: Actor, certno: str) -> str:
    """The ID number as this actor may see it."""
    return certno if actor.has(Perm.PERSON_SENSITIVE) else mask_id(certno)


def _view(actor: Actor, person: Person, unit: Unit | None) -> PersonView:
    sensitive = actor.has(Perm.PERSON_SENSITIVE)
    return PersonView(
        psn_no=person.psn_no,
        certno=person.certno if sensitive else mask_id(person.certno),
        name=person.name,
        gend=person.gend,
        birth_date=person.birth_date,
        phone=person.phone,
        admdvs=person.admdvs,
        unit_uscc=unit.uscc if unit else None,
        unit_name=unit.name if unit else None,
        certno_masked=not sensitive,
    )


def _views(uow: UnitOfWork, persons: list[Person]) -> list[PersonView]:
    units = EnrolmentRepository(uow.session).units_by_ids({p.unit_id for p in persons if p.unit_id})
    return [_view(uow.actor, p, units.get(p.unit_id) if p.unit_id else None) for p in persons]


def _person_snapshot(person: Person) -> dict[str, object]:
    return {
        "psn_no": person.psn_no,
        "certno": mask_id(person.certno),  # the audit trail never holds a full ID number
        "name": person.name,
        "gend": person.gend,
        "birth_date": person.birth_date,
        "phone": person.phone,
        "admdvs": person.admdvs,
        "unit_id": person.unit_id,
    }


def _visible_person(uow: UnitOfWork, psn_no: str) -> Person:
    person = EnrolmentRepository(uow.session).person_by_psn_no((psn_no or "").strip())
    if person is None or not uow.actor.sees_region(person.admdvs):
        raise not_found("PERSON_NOT_FOUND", f"字段 psn_no：参保人 {psn_no} 不存在", "psn_no")
    return person


def get_person(*, uow: UnitOfWork, psn_no: str) -> PersonView:
    """The person with this number, if the actor may see the person's region."""
    uow.actor.require(Perm.ENROL_READ)
    return _views(uow, [_visible_person(uow, psn_no)])[0]


def list_persons(
    *,
    uow: UnitOfWork,
    q: str | None = None,
    certno: str | None = None,
    admdvs: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[PersonView]:
    """Persons of the actor's regions, searched by number or name, or by the exact ID number."""
    uow.actor.require(Perm.ENROL_READ)
    found = EnrolmentRepository(uow.session).search_persons(
        regions=uow.actor.region_filter(), q=q, certno=certno, admdvs=admdvs, page=page, size=size
    )
    return Page(items=_views(uow, found.items), total=found.total, page=found.page, size=found.size)


def update_person(
    *, uow: UnitOfWork, psn_no: str, name: str | None = None, phone: str | None = None
) -> PersonView:
    """Correct a person's name or phone (ID number, sex and birth date never change)."""
    uow.actor.require(Perm.ENROL_WRITE)
    person = _visible_person(uow, psn_no)
    before = _person_snapshot(person)
    if name is not None:
        person.name = require_text(name, field="name", max_len=64, label="姓名")
    if phone is not None:
        person.phone = _phone(phone)
    uow.audit(
        action="person.update",
        entity="person",
        entity_id=person.psn_no,
        admdvs=person.admdvs,
        before=before,
        after=_person_snapshot(person),
    )
    uow.commit()
    return get_person(uow=uow, psn_no=person.psn_no)


# =============================================================================================
# Enrolment of a person with a first relation (参保登记)


@dataclass(frozen=True)
class EnrolInput:
    """Checked input of one enrolment."""

    resident: ResidentId
    name: str
    phone: str | None
    admdvs: str
    insutype: str
    psn_type: str
    begin: date
    end: date | None
    unit: Unit | None
    idet_type: str | None
    disa_lv: str | None
    waiting_end: date | None


@dataclass(frozen=True)
class RelationInput:
    """Checked fields of one relation."""

    insutype: str
    psn_type: str
    begin: date
    end: date | None
    idet_type: str | None
    disa_lv: str | None
    waiting_end: date | None


def _check_relation_fields(
    uow: UnitOfWork,
    fields: _Fields,
    *,
    insutype: str,
    psn_type: str,
    begin: date | str | None,
    end: date | str | None,
    idet_type: str | None,
    disa_lv: str | None,
    waiting_end: date | str | None,
    dicts: Dictionaries | None = None,
) -> RelationInput | None:
    """Check the relation fields one by one, collecting every broken rule (None when any is broken)."""
    dicts = dicts or dictionaries(uow.session)
    before = len(fields.errors)
    scheme = fields.check(lambda: dicts.require("insutype", insutype, field="insutype"))
    category = fields.check(lambda: dicts.require("psn_type", psn_type, field="psn_type"))
    first = fields.check(lambda: parse_date(begin, field="begin"))
    last = fields.check(lambda: parse_date(end, field="end", required=False))
    waiting = fields.check(lambda: parse_date(waiting_end, field="waiting_end", required=False))
    group = fields.check(lambda: rules.check_special_group(idet_type, disa_lv))
    if first is not None and last is not None:
        fields.check(lambda: check_order(first, last))
    if len(fields.errors) > before:
        return None
    assert scheme is not None and category is not None and first is not None and group is not None
    return RelationInput(scheme, category, first, last, group[0], group[1], waiting)


class _EnrolLookups:
    """The stored records an enrolment is checked against: read one at a time, or prefetched for a batch
    (one IN query per table) so that a file of many rows costs a fixed number of queries."""

    def __init__(
        self,
        repo: EnrolmentRepository,
        *,
        regions: set[str] | None = None,
        units: dict[str, Unit] | None = None,
        persons: dict[str, Person] | None = None,
    ) -> None:
        self.repo = repo
        self.regions = regions
        self.units = units
        self.persons = persons

    @classmethod
    def prefetch(
        cls, repo: EnrolmentRepository, *, regions: set[str], usccs: set[str], certnos: set[str]
    ) -> _EnrolLookups:
        return cls(
            repo,
            regions=repo.regions_existing(regions),
            units=repo.units_by_usccs(usccs),
            persons=repo.persons_by_certnos(certnos),
        )

    def region_exists(self, admdvs: str) -> bool:
        if self.regions is None:
            return self.repo.region_exists(admdvs)
        return admdvs in self.regions

    def unit(self, uscc: str) -> Unit | None:
        if self.units is None:
            return self.repo.unit_by_uscc(uscc)
        return self.units.get(uscc)

    def person(self, certno: str) -> Person | None:
        if self.persons is None:
            return self.repo.person_by_certno(certno)
        return self.persons.get(certno)


def _check_enrol(
    uow: UnitOfWork,
    *,
    certno: str,
    name: str,
    phone: str | None,
    admdvs: str,
    insutype: str,
    psn_type: str,
    begin: date | str | None,
    end: date | str | None = None,
    unit_uscc: str | None = None,
    idet_type: str | None = None,
    disa_lv: str | None = None,
    waiting_end: date | str | None = None,
    lookups: _EnrolLookups | None = None,
    dicts: Dictionaries | None = None,
) -> EnrolInput:
    """Every rule of an enrolment, format first (all broken fields together), then stored conflicts."""
    fields = _Fields()
    resident = fields.check(lambda: parse_resident_id(certno))
    person_name = fields.check(lambda: require_text(name, field="name", max_len=64, label="姓名"))
    phone_no = fields.check(lambda: _phone(phone))
    region = fields.check(lambda: require_admdvs(admdvs))
    uscc = (unit_uscc or "").strip()
    unit_code = fields.check(lambda: check_uscc(uscc, field="unit_uscc")) if uscc else None
    relation = _check_relation_fields(
        uow,
        fields,
        insutype=insutype,
        psn_type=psn_type,
        begin=begin,
        end=end,
        idet_type=idet_type,
        disa_lv=disa_lv,
        waiting_end=waiting_end,
        dicts=dicts,
    )
    stored = lookups or _EnrolLookups(EnrolmentRepository(uow.session))
    if region is not None and not stored.region_exists(region):
        fields.add("admdvs", "REGION_NOT_FOUND", f"字段 admdvs：统筹区 {region} 不存在")
    if resident is not None and relation is not None and relation.begin < resident.birth_date:
        fields.add(
            "begin", "ENROL_BEFORE_BIRTH", f"字段 begin 参保开始日期（{relation.begin}）不能早于出生日期"
        )
    unit: Unit | None = None
    if unit_code is not None:
        unit = stored.unit(unit_code)
        if unit is None or unit.admdvs != region:
            fields.add(
                "unit_uscc", "UNIT_NOT_FOUND", f"字段 unit_uscc：统筹区 {region} 内没有参保单位 {unit_code}"
            )
            unit = None
        elif unit.status != "active":
            fields.add(
                "unit_uscc",
                "UNIT_INACTIVE",
                f"字段 unit_uscc：参保单位 {unit_code} 不是正常状态，不能登记人员",
            )
    fields.raise_if_any()
    assert resident is not None and person_name is not None and region is not None and relation is not None
    uow.actor.require_region(region)
    existing = stored.person(resident.number)
    if existing is not None:
        raise conflict(
            "PERSON_EXISTS",
            f"字段 certno：该身份证号已登记为参保人（个人编号 {existing.psn_no}，统筹区 {existing.admdvs}）",
            "certno",
        )
    return EnrolInput(
        resident=resident,
        name=person_name,
        phone=phone_no,
        admdvs=region,
        insutype=relation.insutype,
        psn_type=relation.psn_type,
        begin=relation.begin,
        end=relation.end,
        unit=unit,
        idet_type=relation.idet_type,
        disa_lv=relation.disa_lv,
        waiting_end=relation.waiting_end,
    )


def _create_enrolment(uow: UnitOfWork, data: EnrolInput) -> tuple[Person, Relation]:
    repo = EnrolmentRepository(uow.session)
    psn_no = rules.psn_no_for(data.admdvs, repo.next_psn_seq(data.admdvs))
    person = Person(
        psn_no=psn_no,
        certno=data.resident.number,
        name=data.name,
        gend=data.resident.gender,
        birth_date=data.resident.birth_date,
        phone=data.phone,
        admdvs=data.admdvs,
        unit_id=data.unit.id if data.unit else None,
        created_at=utcnow(),
    )
    repo.add(person)
    try:
        uow.flush()
    except IntegrityError as exc:  # the same ID number enrolled at the same moment by someone else
        raise conflict("PERSON_EXISTS", "字段 certno：该身份证号已登记为参保人", "certno") from exc
    uow.audit(
        action="person.create",
        entity="person",
        entity_id=psn_no,
        admdvs=data.admdvs,
        after=_person_snapshot(person),
    )
    relation = _open_relation(
        uow,
        person=person,
        insutype=data.insutype,
        psn_type=data.psn_type,
        admdvs=data.admdvs,
        begin=data.begin,
        end=data.end,
        unit=data.unit,
        idet_type=data.idet_type,
        disa_lv=data.disa_lv,
        waiting_end=data.waiting_end,
    )
    return person, relation


def enrol(
    *,
    uow: UnitOfWork,
    certno: str,
    name: str,
    admdvs: str,
    insutype: str,
    psn_type: str,
    begin: date | str | None,
    phone: str | None = None,
    end: date | str | None = None,
    unit_uscc: str | None = None,
    idet_type: str | None = None,
    disa_lv: str | None = None,
    waiting_end: date | str | None = None,
) -> PersonView:
    """Register a person and the first insurance relation; sex and birth date come from the ID."""
    uow.actor.require(Perm.ENROL_WRITE)
    data = _check_enrol(
        uow,
        certno=certno,
        name=name,
        phone=phone,
        admdvs=admdvs,
        insutype=insutype,
        psn_type=psn_type,
        begin=begin,
        end=end,
        unit_uscc=unit_uscc,
        idet_type=idet_type,
        disa_lv=disa_lv,
        waiting_end=waiting_end,
    )
    person, _ = _create_enrolment(uow, data)
    uow.commit()
    return _view(uow.actor, person, data.unit)


# =============================================================================================
# Insurance relations (参保关系)


def _facts(relations: list[Relation]) -> list[RelationFact]:
    return [
        RelationFact(r.psn_no, r.insutype, r.admdvs, r.begin, r.end, RelationStatus(r.status))
        for r in relations
    ]


def _open_relation(
    uow: UnitOfWork,
    *,
    person: Person,
    insutype: str,
    psn_type: str,
    admdvs: str,
    begin: date,
    end: date | None,
    unit: Unit | None,
    idet_type: str | None,
    disa_lv: str | None,
    waiting_end: date | None,
    note: str | None = None,
) -> Relation:
    """Add a relation after the duplicate-enrolment and supplementary-scheme rules."""
    repo = EnrolmentRepository(uow.session)
    repo.lock_person(person.id)
    existing = _facts(repo.relations_of(person.id))
    clash = rules.find_basic_overlap(insutype=insutype, begin=begin, end=end, existing=existing)
    if clash is not None:
        raise rules.duplicate_error(clash)
    rules.check_supplementary(insutype=insutype, begin=begin, end=end, existing=existing)
    relation = Relation(
        person_id=person.id,
        psn_no=person.psn_no,
        insutype=insutype,
        psn_type=psn_type,
        admdvs=admdvs,
        unit_id=unit.id if unit else None,
        idet_type=idet_type,
        disa_lv=disa_lv,
        begin=begin,
        end=end,
        waiting_end=waiting_end,
        status=RelationStatus.ACTIVE.value,
    )
    repo.add(relation)
    if insutype == rules.EMPLOYEE_BASIC and repo.account_of(person.psn_no) is None:
        repo.add(Account(person_id=person.id, psn_no=person.psn_no, admdvs=admdvs, balance=0))
    uow.flush()
    uow.audit(
        action="relation.create",
        entity="relation",
        entity_id=relation.id,
        admdvs=admdvs,
        after=relation.snapshot(),
        note=note,
    )
    return relation


def add_relation(
    *,
    uow: UnitOfWork,
    psn_no: str,
    insutype: str,
    psn_type: str,
    begin: date | str | None,
    admdvs: str | None = None,
    end: date | str | None = None,
    unit_uscc: str | None = None,
    idet_type: str | None = None,
    disa_lv: str | None = None,
    waiting_end: date | str | None = None,
) -> Relation:
    """Enrol an already registered person in one more scheme (region defaults to the person's)."""
    uow.actor.require(Perm.ENROL_WRITE)
    person = _visible_person(uow, psn_no)
    fields = _Fields()
    region = fields.check(lambda: require_admdvs(admdvs) if admdvs else person.admdvs) or person.admdvs
    relation_in = _check_relation_fields(
        uow,
        fields,
        insutype=insutype,
        psn_type=psn_type,
        begin=begin,
        end=end,
        idet_type=idet_type,
        disa_lv=disa_lv,
        waiting_end=waiting_end,
    )
    repo = EnrolmentRepository(uow.session)
    unit: Unit | None = None
    uscc = (unit_uscc or "").strip().upper()
    if uscc:
        unit = repo.unit_by_uscc(uscc)
        if unit is None or unit.admdvs != region:
            fields.add(
                "unit_uscc", "UNIT_NOT_FOUND", f"字段 unit_uscc：统筹区 {region} 内没有参保单位 {uscc}"
            )
    fields.raise_if_any()
    assert relation_in is not None
    uow.actor.require_region(region)
    _region_must_exist(repo, region)
    if relation_in.begin < person.birth_date:
        raise invalid(
            "ENROL_BEFORE_BIRTH", "begin", f"字段 begin 参保开始日期（{relation_in.begin}）不能早于出生日期"
        )
    relation = _open_relation(
        uow,
        person=person,
        insutype=relation_in.insutype,
        psn_type=relation_in.psn_type,
        admdvs=region,
        begin=relation_in.begin,
        end=relation_in.end,
        unit=unit,
        idet_type=relation_in.idet_type,
        disa_lv=relation_in.disa_lv,
        waiting_end=relation_in.waiting_end,
    )
    uow.commit()
    return relation


def _visible_relation(uow: UnitOfWork, psn_no: str, relation_id: int) -> Relation:
    person = _visible_person(uow, psn_no)
    relation = EnrolmentRepository(uow.session).relation_by_id(relation_id)
    if relation is None or relation.person_id != person.id or not uow.actor.sees_region(relation.admdvs):
        raise not_found(
            "RELATION_NOT_FOUND", f"字段 relation_id：参保关系 {relation_id} 不存在", "relation_id"
        )
    return relation


def list_relations(*, uow: UnitOfWork, psn_no: str) -> list[Relation]:
    """A person's insurance relations, oldest first."""
    uow.actor.require(Perm.ENROL_READ)
    person = _visible_person(uow, psn_no)
    return EnrolmentRepository(uow.session).relations_of(person.id)


def change_relation_status(
    *, uow: UnitOfWork, psn_no: str, relation_id: int, status: str, end: date | None = None
) -> Relation:
    """Suspend, resume or end a relation; ending needs the last day; illegal transitions are refused."""
    uow.actor.require(Perm.ENROL_WRITE)
    relation = _visible_relation(uow, psn_no, relation_id)
    uow.actor.require_region(relation.admdvs)
    target = rules.parse_status(status)
    rules.check_transition(RelationStatus(relation.status), target)
    before = relation.snapshot()
    if target is RelationStatus.ENDED:
        if end is None:
            raise invalid("REQUIRED", "end", "字段 end 终止参保必须填写参保结束日期")
        check_order(relation.begin, end)
        if relation.end is not None and end > relation.end:
            raise invalid("PERIOD_ORDER", "end", f"字段 end 终止日期不能晚于原参保结束日期（{relation.end}）")
        relation.end = end
    relation.status = target.value
    uow.audit(
        action=f"relation.{target.value}",
        entity="relation",
        entity_id=relation.id,
        admdvs=relation.admdvs,
        before=before,
        after=relation.snapshot(),
    )
    if target is RelationStatus.ENDED and end is not None:
        _end_dependants(uow, relation, end)
    uow.commit()
    return relation


def _end_dependants(uow: UnitOfWork, basic: Relation, end: date) -> None:
    """Supplementary relations that need the ended basic relation end with it on the same day."""
    for other in EnrolmentRepository(uow.session).relations_of(basic.person_id):
        if (
            rules.scheme_of(other.insutype).requires == basic.insutype
            and other.status != RelationStatus.ENDED.value
            and other.begin <= end
            and (other.end is None or other.end > end)
        ):
            before = other.snapshot()
            other.end = end
            other.status = RelationStatus.ENDED.value
            uow.audit(
                action="relation.ended",
                entity="relation",
                entity_id=other.id,
                admdvs=other.admdvs,
                before=before,
                after=other.snapshot(),
                note=f"基本医疗保险参保关系 {basic.id} 终止",
            )


# =============================================================================================
# Contributions (缴费), arrears (欠费) and back-payment (补缴)


def _is_monthly(insutype: str) -> bool:
    scheme = rules.scheme_of(insutype)
    return scheme.employee or scheme.requires == rules.EMPLOYEE_BASIC


def record_contribution(
    *,
    uow: UnitOfWork,
    psn_no: str,
    relation_id: int,
    period: str,
    unit_fen: int = 0,
    individual_fen: int = 0,
    subsidy_fen: int = 0,
    base_wage_fen: int | None = None,
    paid_on: date | None = None,
    waiting_policy: WaitingPolicy = DEFAULT_WAITING,
    account_policy: AccountPolicy = DEFAULT_ACCOUNT,
) -> Contribution:
    """Register what is due for one period of a relation; with `paid_on` it is paid at once."""
    uow.actor.require(Perm.ENROL_WRITE)
    relation = _visible_relation(uow, psn_no, relation_id)
    uow.actor.require_region(relation.admdvs)
    parsed = _check_contribution(
        relation,
        period=period,
        unit_fen=unit_fen,
        individual_fen=individual_fen,
        subsidy_fen=subsidy_fen,
        base_wage_fen=base_wage_fen,
    )
    repo = EnrolmentRepository(uow.session)
    if repo.contribution(relation.id, parsed.text) is not None:
        raise conflict("CONTRIBUTION_EXISTS", f"字段 period：缴费期间 {parsed.text} 已登记", "period")
    individual_fen, subsidy_fen = _contribution_subsidy(
        uow, relation, parsed.first_day, individual_fen, subsidy_fen
    )
    row = Contribution(
        relation_id=relation.id,
        psn_no=relation.psn_no,
        admdvs=relation.admdvs,
        insutype=relation.insutype,
        period=parsed.text,
        months=parsed.months,
        unit_fen=unit_fen,
        individual_fen=individual_fen,
        subsidy_fen=subsidy_fen,
        base_wage_fen=base_wage_fen,
        due_date=parsed.due_date,
        paid_on=None,
        late=False,
        account_credit_fen=0,
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="contribution.create",
        entity="contribution",
        entity_id=row.id,
        admdvs=row.admdvs,
        after=row.snapshot(),
    )
    if paid_on is not None:
        _apply_payment(uow, row, relation, paid_on, waiting_policy, account_policy)
    uow.commit()
    return row


@dataclass(frozen=True)
class ContributionInput:
    """One row of a contribution batch: what `record_contribution` takes for one period."""

    psn_no: str
    relation_id: int
    period: str
    unit_fen: int = 0
    individual_fen: int = 0
    subsidy_fen: int = 0
    base_wage_fen: int | None = None
    paid_on: date | None = None
    row: int | None = None  # the row number reported on refusal (a file's line); else its place from 1


@dataclass(frozen=True)
class ContributionBatch:
    """What an accepted contribution batch stored."""

    ids: list[int]  # the new contribution ids, in the order of the rows
    paid: int  # rows paid at once
    credited_fen: int  # credited to personal accounts in all


_CONTRIBUTION_SNAPSHOT = (
    "relation_id",
    "psn_no",
    "insutype",
    "period",
    "unit_fen",
    "individual_fen",
    "subsidy_fen",
    "base_wage_fen",
    "due_date",
    "paid_on",
    "late",
    "account_credit_fen",
)


WRITE_CHUNK = 5000
"""Rows written per statement by the bulk paths (memory stays bounded for files of any size)."""


@dataclass(slots=True)
class _PlannedContribution:
    """One checked row of a batch: the values to insert (as paid, when paid) and what its payment does."""

    values: dict[str, Any]
    pay_action: str | None = None  # contribution.pay / contribution.back_pay when paid at once
    waiting: tuple[RelationRow, dict[str, object], dict[str, object], str, str] | None = None
    credit: tuple[Account, int, int] | None = None  # account, amount, balance after

    def snapshots(self) -> tuple[dict[str, object], dict[str, object]]:
        """The contribution's audit snapshots as registered (unpaid) and as stored."""
        stored = {k: self.values[k] for k in _CONTRIBUTION_SNAPSHOT}
        return {**stored, "paid_on": None, "late": False, "account_credit_fen": 0}, stored


def record_contributions(
    *,
    uow: UnitOfWork,
    rows: Sequence[ContributionInput],
    source: str = "batch",
    waiting_policy: WaitingPolicy = DEFAULT_WAITING,
    account_policy: AccountPolicy = DEFAULT_ACCOUNT,
) -> ContributionBatch:
    """Register (and pay) many periods at once (a county's yearly contribution file), all or nothing.

    The same checks and the same stored rows, ledger lines, balances and audit rows as
    `record_contribution` called row by row in this order (a row sees the periods, waiting periods and
    balances of the rows before it), plus one `contribution.import` audit row naming the count. One read
    per table for the persons, relations, periods and accounts in scope and one write per table, whatever
    the number of rows. A bad row refuses the whole batch: `ImportRefusedError` lists every bad row with
    its number and nothing is stored.
    """
    uow.actor.require(Perm.ENROL_WRITE)
    if not rows:
        raise invalid("CONTRIBUTION_BATCH_EMPTY", "rows", "字段 rows 缴费批次中没有数据行")
    repo = EnrolmentRepository(uow.session)
    persons = repo.person_keys({(r.psn_no or "").strip() for r in rows})
    relations = repo.relation_rows({r.relation_id for r in rows})
    periods = repo.contribution_periods(set(relations))
    accounts = repo.accounts_of({r.psn_no for r in relations.values() if r.insutype == rules.EMPLOYEE_BASIC})
    balances = {a.id: a.balance for a in accounts.values()}
    waiting: dict[int, date | None] = {}
    policies: dict[tuple[str, str, date], Policy | None] = {}
    planned: list[_PlannedContribution] = []
    errors: list[RowError] = []
    for position, item in enumerate(rows, start=1):
        try:
            plan = _plan_contribution(
                uow,
                item,
                persons=persons,
                relations=relations,
                periods=periods,
                accounts=accounts,
                balances=balances,
                waiting=waiting,
                policies=policies,
                waiting_policy=waiting_policy,
                account_policy=account_policy,
            )
        except BusinessError as exc:
            errors.extend(_row_errors(item.row or position, exc))
            continue
        planned.append(plan)
    if errors:
        raise _refused_contributions(errors, len(rows))
    uow.flush()  # rows already pending go first, so the audit keeps the order of the work
    now = utcnow()
    ids: list[int] = []
    credits: dict[int, int] = {}
    for start in range(0, len(planned), WRITE_CHUNK):
        chunk = planned[start : start + WRITE_CHUNK]
        chunk_ids = repo.insert_many_ids(Contribution, [p.values for p in chunk], ("relation_id", "period"))
        ids += chunk_ids
        _write_contribution_chunk(uow, repo, now, chunk, chunk_ids, credits)
    repo.credit_many(credits, accounts.values())
    repo.set_waiting_ends(waiting)
    paid = sum(1 for p in planned if p.pay_action is not None)
    credited = sum(credits.values())
    uow.audit(
        action="contribution.import",
        entity="contribution_batch",
        entity_id=(source or "batch")[:64],
        after={"rows": len(rows), "paid": paid, "credited_fen": credited},
    )
    uow.commit()
    return ContributionBatch(ids=ids, paid=paid, credited_fen=credited)


def _write_contribution_chunk(
    uow: UnitOfWork,
    repo: EnrolmentRepository,
    now: datetime,
    chunk: list[_PlannedContribution],
    ids: list[int],
    credits: dict[int, int],
) -> None:
    """The ledger lines and audit rows of stored contributions, in the order `record_contribution` writes."""
    entries: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    for plan, contribution_id in zip(chunk, ids, strict=True):
        admdvs = plan.values["admdvs"]
        created, stored = plan.snapshots()
        audit.append(
            uow.audit_row(
                at=now,
                action="contribution.create",
                entity="contribution",
                entity_id=contribution_id,
                admdvs=admdvs,
                after=created,
            )
        )
        if plan.waiting is not None:
            relation, before, after, action, note = plan.waiting
            audit.append(
                uow.audit_row(
                    at=now,
                    action=action,
                    entity="relation",
                    entity_id=relation.id,
                    admdvs=relation.admdvs,
                    before=before,
                    after=after,
                    note=note,
                )
            )
        if plan.credit is not None:
            account, amount, balance = plan.credit
            credits[account.id] = credits.get(account.id, 0) + amount
            entries.append(
                {
                    "account_id": account.id,
                    "psn_no": account.psn_no,
                    "entry_type": EntryType.CREDIT_CONTRIBUTION.value,
                    "amount": amount,
                    "balance_after": balance,
                    "reference": f"contribution:{contribution_id}",
                    "reverses_id": None,
                    "at": now,
                }
            )
        if plan.pay_action is not None:
            audit.append(
                uow.audit_row(
                    at=now,
                    action=plan.pay_action,
                    entity="contribution",
                    entity_id=contribution_id,
                    admdvs=admdvs,
                    before=created,
                    after=stored,
                )
            )
    repo.insert_many(AccountEntry, entries)
    repo.insert_audit(audit)


def _refused_contributions(errors: list[RowError], total: int) -> ImportRefusedError:
    bad = sorted({e.row for e in errors})
    shown = "、".join(str(r) for r in bad[:20]) + ("……" if len(bad) > 20 else "")
    return ImportRefusedError(
        code="CONTRIBUTION_ROWS",
        message=f"缴费批次共 {total} 行，其中 {len(bad)} 行有错误（第 {shown} 行），未登记任何缴费",
        field=None,
        kind=ErrorKind.INVALID,
        errors=[FieldError(f"rows.{e.row}.{e.field}", e.code, f"第{e.row}行 {e.message}") for e in errors],
        rows=errors,
    )


def _plan_contribution(
    uow: UnitOfWork,
    item: ContributionInput,
    *,
    persons: dict[str, tuple[int, str]],
    relations: dict[int, RelationRow],
    periods: set[tuple[int, str]],
    accounts: dict[str, Account],
    balances: dict[int, int],
    waiting: dict[int, date | None],
    policies: dict[tuple[str, str, date], Policy | None],
    waiting_policy: WaitingPolicy,
    account_policy: AccountPolicy,
) -> _PlannedContribution:
    """Check one row as `record_contribution` does, against the batch's reads and the rows before it;
    on success the batch state (periods, waiting periods, balances) moves on as the row would move it."""
    psn_no = (item.psn_no or "").strip()
    person = persons.get(psn_no)
    if person is None or not uow.actor.sees_region(person[1]):
        raise not_found("PERSON_NOT_FOUND", f"字段 psn_no：参保人 {item.psn_no} 不存在", "psn_no")
    relation = relations.get(item.relation_id)
    if relation is None or relation.person_id != person[0] or not uow.actor.sees_region(relation.admdvs):
        raise not_found(
            "RELATION_NOT_FOUND", f"字段 relation_id：参保关系 {item.relation_id} 不存在", "relation_id"
        )
    uow.actor.require_region(relation.admdvs)
    parsed = _check_contribution(
        relation,
        period=item.period,
        unit_fen=item.unit_fen,
        individual_fen=item.individual_fen,
        subsidy_fen=item.subsidy_fen,
        base_wage_fen=item.base_wage_fen,
    )
    if (relation.id, parsed.text) in periods:
        raise conflict("CONTRIBUTION_EXISTS", f"字段 period：缴费期间 {parsed.text} 已登记", "period")
    individual_fen, subsidy_fen = item.individual_fen, item.subsidy_fen
    if relation.idet_type is not None:
        key = (relation.admdvs, relation.insutype, parsed.first_day)
        if key not in policies:
            policies[key] = policy_in_force(uow.session, *key)
        policy = policies[key]
        ratio = policy.contribution_subsidies.get(relation.idet_type) if policy is not None else None
        if ratio:
            individual_fen, subsidy_fen = subsidise(individual_fen, subsidy_fen, ratio)
    values: dict[str, Any] = {
        "relation_id": relation.id,
        "psn_no": relation.psn_no,
        "admdvs": relation.admdvs,
        "insutype": relation.insutype,
        "period": parsed.text,
        "months": parsed.months,
        "unit_fen": item.unit_fen,
        "individual_fen": individual_fen,
        "subsidy_fen": subsidy_fen,
        "base_wage_fen": item.base_wage_fen,
        "due_date": parsed.due_date,
        "paid_on": None,
        "late": False,
        "account_credit_fen": 0,
    }
    plan = _PlannedContribution(values=values)
    if item.paid_on is not None:
        current = waiting.get(relation.id, relation.waiting_end)
        outcome = rules.back_payment_outcome(
            due_date=parsed.due_date, paid_on=item.paid_on, current_waiting_end=current, policy=waiting_policy
        )
        values["paid_on"] = item.paid_on
        values["late"] = outcome.late
        if outcome.late and outcome.waiting_end != current:
            before = {**relation.snapshot(), "waiting_end": current}
            plan.waiting = (
                relation,
                before,
                {**before, "waiting_end": outcome.waiting_end},
                "relation.waiting_lifted" if outcome.lifts_waiting else "relation.waiting_started",
                f"缴费期间 {parsed.text} 于 {item.paid_on} 补缴",
            )
        if relation.insutype == rules.EMPLOYEE_BASIC:
            credit = rules.account_credit(
                individual=individual_fen,
                unit=item.unit_fen,
                months=parsed.months,
                retired=rules.is_retired(relation.psn_type),
                policy=account_policy,
            )
            if credit > 0:
                account = accounts.get(relation.psn_no)
                if account is None:
                    raise _no_account(relation.psn_no)
                plan.credit = (account, credit, balances[account.id] + credit)
            values["account_credit_fen"] = credit
        plan.pay_action = "contribution.back_pay" if outcome.late else "contribution.pay"
    # the row is good: the batch moves on as the row moves it
    periods.add((relation.id, parsed.text))
    if plan.waiting is not None:
        waiting[relation.id] = plan.waiting[2]["waiting_end"]  # type: ignore[assignment]
    if plan.credit is not None:
        balances[plan.credit[0].id] = plan.credit[2]
    return plan


def _check_contribution(
    relation: Relation | RelationRow,
    *,
    period: str,
    unit_fen: int,
    individual_fen: int,
    subsidy_fen: int,
    base_wage_fen: int | None,
) -> rules.ContributionPeriod:
    """The period and amounts of a contribution on `relation` (every broken field together), and the
    period inside the relation."""
    errors: list[FieldError] = []
    parsed: rules.ContributionPeriod | None = None
    try:
        parsed = rules.parse_period(period, employee=_is_monthly(relation.insutype))
    except BusinessError as exc:
        errors.extend(exc.errors)
    try:
        rules.check_amounts(
            unit_fen=unit_fen,
            individual_fen=individual_fen,
            subsidy_fen=subsidy_fen,
            base_wage_fen=base_wage_fen,
        )
    except BusinessError as exc:
        errors.extend(exc.errors)
    if (
        relation.insutype == rules.EMPLOYEE_BASIC
        and base_wage_fen is None
        and not rules.is_retired(relation.psn_type)
    ):
        errors.append(FieldError("base_wage_fen", "REQUIRED", "字段 base_wage_fen 职工缴费必须填写缴费基数"))
    if errors:
        raise collect(errors)
    assert parsed is not None
    if parsed.last_day < relation.begin or (relation.end is not None and parsed.first_day > relation.end):
        raise invalid(
            "PERIOD_OUTSIDE",
            "period",
            f"字段 period 缴费期间 {parsed.text} 不在参保关系期间"
            f"（{relation.begin}—{relation.end or '长期'}）内",
        )
    return parsed


def _contribution_subsidy(
    uow: UnitOfWork, relation: Relation, day: date, individual_fen: int, subsidy_fen: int
) -> tuple[int, int]:
    """The individual and subsidy parts after the contribution subsidy of the person's group (参保资助)."""
    if relation.idet_type is None:
        return individual_fen, subsidy_fen
    policy = policy_in_force(uow.session, relation.admdvs, relation.insutype, day)
    ratio = policy.contribution_subsidies.get(relation.idet_type) if policy is not None else None
    if not ratio:
        return individual_fen, subsidy_fen
    return subsidise(individual_fen, subsidy_fen, ratio)


def _apply_payment(
    uow: UnitOfWork,
    row: Contribution,
    relation: Relation,
    paid_on: date,
    waiting_policy: WaitingPolicy,
    account_policy: AccountPolicy,
) -> None:
    """Mark a period paid, apply the waiting-period rule and credit the personal account."""
    before = row.snapshot()
    outcome = rules.back_payment_outcome(
        due_date=row.due_date,
        paid_on=paid_on,
        current_waiting_end=relation.waiting_end,
        policy=waiting_policy,
    )
    row.paid_on = paid_on
    row.late = outcome.late
    if outcome.late and outcome.waiting_end != relation.waiting_end:
        relation_before = relation.snapshot()
        relation.waiting_end = outcome.waiting_end
        uow.audit(
            action="relation.waiting_lifted" if outcome.lifts_waiting else "relation.waiting_started",
            entity="relation",
            entity_id=relation.id,
            admdvs=relation.admdvs,
            before=relation_before,
            after=relation.snapshot(),
            note=f"缴费期间 {row.period} 于 {paid_on} 补缴",
        )
    if relation.insutype == rules.EMPLOYEE_BASIC:
        credit = rules.account_credit(
            individual=row.individual_fen,
            unit=row.unit_fen,
            months=row.months,
            retired=rules.is_retired(relation.psn_type),
            policy=account_policy,
        )
        if credit > 0:
            _post(uow, relation.psn_no, EntryType.CREDIT_CONTRIBUTION, credit, f"contribution:{row.id}")
        row.account_credit_fen = credit
    uow.audit(
        action="contribution.back_pay" if outcome.late else "contribution.pay",
        entity="contribution",
        entity_id=row.id,
        admdvs=row.admdvs,
        before=before,
        after=row.snapshot(),
    )


def pay_contribution(
    *,
    uow: UnitOfWork,
    psn_no: str,
    contribution_id: int,
    paid_on: date,
    waiting_policy: WaitingPolicy = DEFAULT_WAITING,
    account_policy: AccountPolicy = DEFAULT_ACCOUNT,
) -> Contribution:
    """Pay a due period; after its due date this is a back-payment (补缴) that may lift the waiting period."""
    uow.actor.require(Perm.ENROL_WRITE)
    repo = EnrolmentRepository(uow.session)
    row = repo.contribution_by_id(contribution_id)
    person = _visible_person(uow, psn_no)
    if row is None or row.psn_no != person.psn_no or not uow.actor.sees_region(row.admdvs):
        raise not_found(
            "CONTRIBUTION_NOT_FOUND",
            f"字段 contribution_id：缴费记录 {contribution_id} 不存在",
            "contribution_id",
        )
    uow.actor.require_region(row.admdvs)
    if row.paid_on is not None:
        raise conflict(
            "CONTRIBUTION_PAID",
            f"字段 contribution_id：缴费期间 {row.period} 已于 {row.paid_on} 缴清",
            "contribution_id",
        )
    relation = repo.relation_by_id(row.relation_id)
    assert relation is not None
    _apply_payment(uow, row, relation, paid_on, waiting_policy, account_policy)
    uow.commit()
    return row


def list_contributions(*, uow: UnitOfWork, psn_no: str) -> list[Contribution]:
    """A person's contribution periods, oldest first."""
    uow.actor.require(Perm.ENROL_READ)
    person = _visible_person(uow, psn_no)
    return [
        c
        for c in EnrolmentRepository(uow.session).contributions_of(person.psn_no)
        if uow.actor.sees_region(c.admdvs)
    ]


def list_arrears(
    *, uow: UnitOfWork, admdvs: str | None = None, today: date | None = None, page: int = 1, size: int = 50
) -> Page[Contribution]:
    """欠费: periods due before `today` and still unpaid, in the actor's regions."""
    uow.actor.require(Perm.ENROL_READ)
    if admdvs:
        admdvs = require_admdvs(admdvs)
        if not uow.actor.sees_region(admdvs):
            raise not_found("REGION_NOT_FOUND", f"字段 admdvs：统筹区 {admdvs} 不存在", "admdvs")
    return EnrolmentRepository(uow.session).arrears(
        regions=uow.actor.region_filter(), admdvs=admdvs, today=today or _today(), page=page, size=size
    )


def contribution_months(*, uow: UnitOfWork, psn_no: str) -> int:
    """缴费年限 in months: paid months of employee basic insurance, in every region (transfers kept)."""
    uow.actor.require(Perm.ENROL_READ)
    person = _visible_person(uow, psn_no)
    return _paid_employee_months(EnrolmentRepository(uow.session), person.psn_no)


def _paid_employee_months(repo: EnrolmentRepository, psn_no: str) -> int:
    periods = [
        rules.parse_period(c.period, employee=True)
        for c in repo.contributions_of(psn_no)
        if c.insutype == rules.EMPLOYEE_BASIC and c.paid_on is not None
    ]
    return rules.contribution_months(periods)


# =============================================================================================
# Personal account (个人账户)


@dataclass(frozen=True)
class AccountView:
    """A personal account's balance and one page of its ledger (newest first)."""

    psn_no: str
    admdvs: str
    balance: int
    entries: Page[AccountEntry]


def _account(repo: EnrolmentRepository, psn_no: str) -> Account:
    account = repo.account_of(psn_no)
    if account is None:
        raise _no_account(psn_no)
    return account


def _no_account(psn_no: str) -> BusinessError:
    return not_found(
        "ACCOUNT_NOT_FOUND", f"字段 psn_no：参保人 {psn_no} 没有个人账户（仅职工医保参保人有）", "psn_no"
    )


def _post(uow: UnitOfWork, psn_no: str, entry_type: EntryType, amount: int, reference: str) -> AccountEntry:
    """Append a credit (positive) to the ledger and move the balance in the same transaction."""
    repo = EnrolmentRepository(uow.session)
    account = _account(repo, psn_no)
    balance = repo.credit(account, amount)
    entry = AccountEntry(
        account_id=account.id,
        psn_no=psn_no,
        entry_type=entry_type.value,
        amount=amount,
        balance_after=balance,
        reference=reference,
        at=utcnow(),
    )
    repo.add(entry)
    uow.flush()
    return entry


def get_account(*, uow: UnitOfWork, psn_no: str, page: int = 1, size: int = 20) -> AccountView:
    """The balance and a page of the ledger of a person's account."""
    uow.actor.require(Perm.ENROL_READ)
    person = _visible_person(uow, psn_no)
    repo = EnrolmentRepository(uow.session)
    account = _account(repo, person.psn_no)
    return AccountView(
        psn_no=account.psn_no,
        admdvs=account.admdvs,
        balance=account.balance,
        entries=repo.entries(account.id, page=page, size=size),
    )


def debit_account(
    *, uow: UnitOfWork, psn_no: str, amount: int, reference: str, commit: bool = True
) -> AccountEntry:
    """Pay `amount` fen from the personal account (settlement); refused when the balance is short.

    One conditional UPDATE takes the money only if the balance covers it, so concurrent debits can
    never drive it below zero; the ledger line is written in the same transaction. Settlement calls
    this inside its own unit of work with `commit=False`; it checks its own permissions first.
    """
    amount = rules.require_positive(amount)
    ref = require_text(reference, field="reference", max_len=64, label="业务流水号")
    repo = EnrolmentRepository(uow.session)
    account = _account(repo, (psn_no or "").strip())
    balance = repo.debit(account, amount)
    if balance is None:
        current = repo.current_balance(account)
        raise conflict(
            "ACCOUNT_INSUFFICIENT",
            f"字段 amount：个人账户余额不足"
            f"（余额 {fen_to_yuan(current)} 元，需支付 {fen_to_yuan(amount)} 元）",
            "amount",
        )
    entry = AccountEntry(
        account_id=account.id,
        psn_no=account.psn_no,
        entry_type=EntryType.DEBIT_SETTLEMENT.value,
        amount=-amount,
        balance_after=balance,
        reference=ref,
        at=utcnow(),
    )
    repo.add(entry)
    uow.flush()
    uow.audit(
        action="account.debit",
        entity="account",
        entity_id=account.psn_no,
        admdvs=account.admdvs,
        after={"amount": -amount, "balance_after": balance, "reference": ref},
    )
    if commit:
        uow.commit()
    return entry


def reverse_debit(
    *, uow: UnitOfWork, psn_no: str, original_reference: str, reference: str, commit: bool = True
) -> AccountEntry:
    """Give back a settlement debit (冲正) once; a second reversal of the same debit is refused."""
    ref = require_text(reference, field="reference", max_len=64, label="业务流水号")
    repo = EnrolmentRepository(uow.session)
    account = _account(repo, (psn_no or "").strip())
    debit = repo.debit_by_reference(account.id, original_reference)
    if debit is None:
        raise not_found(
            "DEBIT_NOT_FOUND",
            f"字段 original_reference：个人账户没有业务流水号为 {original_reference} 的结算支付",
            "original_reference",
        )
    if repo.reversal_of(debit.id) is not None:
        raise conflict(
            "DEBIT_REVERSED",
            f"字段 original_reference：结算支付 {original_reference} 已冲正",
            "original_reference",
        )
    balance = repo.credit(account, -debit.amount)
    entry = AccountEntry(
        account_id=account.id,
        psn_no=account.psn_no,
        entry_type=EntryType.REVERSAL.value,
        amount=-debit.amount,
        balance_after=balance,
        reference=ref,
        reverses_id=debit.id,
        at=utcnow(),
    )
    repo.add(entry)
    uow.flush()
    uow.audit(
        action="account.reversal",
        entity="account",
        entity_id=account.psn_no,
        admdvs=account.admdvs,
        after={
            "amount": entry.amount,
            "balance_after": balance,
            "reference": ref,
            "reverses": original_reference,
        },
    )
    if commit:
        uow.commit()
    return entry


# =============================================================================================
# Transfer between regions (转移接续)


def transfer_person(*, uow: UnitOfWork, psn_no: str, to_admdvs: str, on: date) -> Transfer:
    """Move the basic relation to another region from `on`: the old one ends the day before, the
    contribution months and the account balance go with the person."""
    uow.actor.require(Perm.ENROL_WRITE)
    person = _visible_person(uow, psn_no)
    target = require_admdvs(to_admdvs, field="to_admdvs")
    repo = EnrolmentRepository(uow.session)
    _region_must_exist(repo, target, "to_admdvs")
    uow.actor.require_region(target, field="to_admdvs")
    relations = repo.relations_of(person.id)
    basic = next(
        (
            r
            for r in relations
            if rules.scheme_of(r.insutype).basic
            and r.status == RelationStatus.ACTIVE.value
            and r.begin < on
            and (r.end is None or on <= r.end)
        ),
        None,
    )
    if basic is None:
        raise conflict(
            "TRANSFER_NO_RELATION",
            f"字段 on：参保人 {person.psn_no} 在 {on} 没有可转出的正常基本医疗保险参保关系",
            "on",
        )
    if basic.admdvs == target:
        raise invalid(
            "TRANSFER_SAME_REGION", "to_admdvs", f"字段 to_admdvs：转入统筹区与转出统筹区相同（{target}）"
        )
    source = basic.admdvs
    uow.actor.require_region(source)
    last_day = on - timedelta(days=1)
    old_ends: dict[int, date | None] = {}
    carried = [
        r
        for r in relations
        if r.admdvs == source
        and r.status != RelationStatus.ENDED.value
        and r.begin <= last_day
        and (r.end is None or on <= r.end)
    ]
    new_relations: list[tuple[Relation, Relation]] = []
    for old in carried:
        before = old.snapshot()
        old_ends[old.id] = old.end
        old.end = last_day
        old.status = RelationStatus.ENDED.value
        uow.audit(
            action="relation.transfer_out",
            entity="relation",
            entity_id=old.id,
            admdvs=source,
            before=before,
            after=old.snapshot(),
        )
    uow.flush()
    for old in sorted(carried, key=lambda r: not rules.scheme_of(r.insutype).basic):
        old_end = old_ends[old.id]
        new = _open_relation(
            uow,
            person=person,
            insutype=old.insutype,
            psn_type=old.psn_type,
            admdvs=target,
            begin=on,
            end=old_end,
            unit=None,
            idet_type=old.idet_type,
            disa_lv=old.disa_lv,
            waiting_end=None,
            note=f"由统筹区 {source} 转入",
        )
        new_relations.append((old, new))
    balance = 0
    account = repo.account_of(person.psn_no)
    if account is not None:
        balance = repo.current_balance(account)
        if balance > 0:
            out_balance = repo.debit(account, balance)
            assert out_balance is not None
            repo.add(
                AccountEntry(
                    account_id=account.id,
                    psn_no=person.psn_no,
                    entry_type=EntryType.TRANSFER_OUT.value,
                    amount=-balance,
                    balance_after=out_balance,
                    reference=f"transfer:{source}->{target}",
                    at=utcnow(),
                )
            )
            uow.flush()
            _post(uow, person.psn_no, EntryType.TRANSFER_IN, balance, f"transfer:{source}->{target}")
        account.admdvs = target
    person_before = _person_snapshot(person)
    person.admdvs = target
    person.unit_id = None
    months = _paid_employee_months(repo, person.psn_no)
    new_basic = next(n for o, n in new_relations if o.id == basic.id)
    transfer = Transfer(
        psn_no=person.psn_no,
        insutype=basic.insutype,
        from_admdvs=source,
        to_admdvs=target,
        from_relation_id=basic.id,
        to_relation_id=new_basic.id,
        transfer_date=on,
        months=months,
        balance_fen=balance,
        at=utcnow(),
    )
    repo.add(transfer)
    uow.flush()
    uow.audit(
        action="person.transfer",
        entity="person",
        entity_id=person.psn_no,
        admdvs=target,
        before=person_before,
        after={**_person_snapshot(person), "transfer": transfer.snapshot()},
    )
    uow.commit()
    return transfer


def list_transfers(*, uow: UnitOfWork, psn_no: str) -> list[Transfer]:
    """A person's transfers between regions, oldest first."""
    uow.actor.require(Perm.ENROL_READ)
    person = _visible_person(uow, psn_no)
    return EnrolmentRepository(uow.session).transfers_of(person.psn_no)


# =============================================================================================
# Bulk import (批量导入) and export of persons

IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "certno": ("certno", "身份证号", "证件号码"),
    "name": ("name", "姓名"),
    "phone": ("phone", "联系电话", "电话"),
    "admdvs": ("admdvs", "统筹区", "统筹区编码"),
    "insutype": ("insutype", "险种", "险种类型"),
    "psn_type": ("psn_type", "人员类别"),
    "begin": ("begin", "参保开始日期", "开始日期"),
    "end": ("end", "参保结束日期", "结束日期"),
    "unit_uscc": ("unit_uscc", "单位统一社会信用代码", "单位代码"),
    "idet_type": ("idet_type", "特殊人群", "人员身份类别"),
    "disa_lv": ("disa_lv", "残疾等级"),
}
REQUIRED_COLUMNS = ("certno", "name", "admdvs", "insutype", "psn_type", "begin")


@dataclass
class ImportReport:
    """The outcome of an import: all rows stored, or none and every error listed."""

    total: int = 0
    created: list[str] = field(default_factory=list)  # psn_no of the persons stored
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _read_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV (UTF-8, with or without BOM, or GB18030) or XLSX file with their row numbers."""
    return table_rows(filename, data, file_code="IMPORT_FILE")


def _canonical(raw: dict[str, str]) -> dict[str, str]:
    return _canonical_with(raw, IMPORT_COLUMNS)


def import_persons(
    *,
    uow: UnitOfWork,
    filename: str,
    data: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Enrol every row of a CSV/XLSX file, all or nothing: any bad row stores nothing and every
    bad row is reported with its row number, field, code and message."""
    uow.actor.require(Perm.ENROL_WRITE)
    rows = _read_rows(filename, data)
    report = ImportReport(total=len(rows))
    if not rows:
        raise invalid("IMPORT_EMPTY", "file", "字段 file 文件中没有数据行")
    header = _canonical({k: "" for k in rows[0][1]})
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise invalid("IMPORT_COLUMNS", "file", f"字段 file 缺少必需的列：{'、'.join(missing)}")
    checked: list[EnrolInput] = []
    seen: dict[str, int] = {}
    steps = len(rows) + 1
    canonical = [(number, _canonical(raw)) for number, raw in rows]
    lookups = _EnrolLookups.prefetch(
        EnrolmentRepository(uow.session),
        regions={(v.get("admdvs") or "").strip() for _, v in canonical},
        usccs={(v.get("unit_uscc") or "").strip().upper() for _, v in canonical} - {""},
        certnos={(v.get("certno") or "").strip().upper() for _, v in canonical},
    )
    dicts = dictionaries(uow.session)
    for index, (number, values) in enumerate(canonical, start=1):
        if progress is not None:
            progress(index, steps)
        try:
            item = _check_enrol(
                uow,
                certno=values.get("certno", ""),
                name=values.get("name", ""),
                phone=values.get("phone"),
                admdvs=values.get("admdvs", ""),
                insutype=values.get("insutype", ""),
                psn_type=values.get("psn_type", ""),
                begin=values.get("begin"),
                end=values.get("end"),
                unit_uscc=values.get("unit_uscc"),
                idet_type=values.get("idet_type"),
                disa_lv=values.get("disa_lv"),
                lookups=lookups,
                dicts=dicts,
            )
        except BusinessError as exc:
            report.errors.extend(_row_errors(number, exc))
            continue
        first = seen.get(item.resident.number)
        if first is not None:
            report.errors.append(
                RowError(
                    number, "certno", "IMPORT_DUPLICATE_ROW", f"字段 certno：与第 {first} 行的身份证号重复"
                )
            )
            continue
        seen[item.resident.number] = number
        try:
            _check_first_relation(item)
        except BusinessError as exc:
            report.errors.extend(_row_errors(number, exc))
            continue
        checked.append(item)
    if report.errors:
        uow.rollback()
        return report
    report.created = _create_enrolments(uow, checked)
    if progress is not None:
        progress(steps, steps)
    uow.audit(
        action="person.import",
        entity="person_import",
        entity_id=(filename or "import")[:64],
        after={"rows": report.total, "created": len(report.created)},
    )
    uow.commit()
    return report


def _row_errors(number: int, exc: BusinessError) -> list[RowError]:
    return [RowError(number, e.field, e.code, e.message) for e in exc.errors] or [
        RowError(number, exc.field or "", exc.code, exc.message)
    ]


def _check_first_relation(item: EnrolInput) -> None:
    """The relation rules `_open_relation` applies, for a person who has no relation yet."""
    clash = rules.find_basic_overlap(insutype=item.insutype, begin=item.begin, end=item.end, existing=[])
    if clash is not None:
        raise rules.duplicate_error(clash)
    rules.check_supplementary(insutype=item.insutype, begin=item.begin, end=item.end, existing=[])


def _create_enrolments(uow: UnitOfWork, items: Sequence[EnrolInput]) -> list[str]:
    """Store checked enrolments of new persons as `_create_enrolment` does one by one (same person
    numbers, relations, accounts and audit rows), with one statement per table for each chunk of rows."""
    if not items:
        return []
    repo = EnrolmentRepository(uow.session)
    uow.flush()  # rows already pending go first, so the audit keeps the order of the work
    counts = Counter(i.admdvs for i in items)
    next_seq = {admdvs: repo.take_psn_seqs(admdvs, n) for admdvs, n in counts.items()}
    psn_nos: list[str] = []
    for item in items:
        psn_nos.append(rules.psn_no_for(item.admdvs, next_seq[item.admdvs]))
        next_seq[item.admdvs] += 1
    now = utcnow()
    for start in range(0, len(items), WRITE_CHUNK):
        _write_enrolment_chunk(
            uow, repo, now, items[start : start + WRITE_CHUNK], psn_nos[start : start + WRITE_CHUNK]
        )
    return psn_nos


def _write_enrolment_chunk(
    uow: UnitOfWork, repo: EnrolmentRepository, now: datetime, items: Sequence[EnrolInput], psn_nos: list[str]
) -> None:
    """Persons, their first relations, accounts (职工) and audit rows of one chunk of an import."""
    persons: list[dict[str, Any]] = [
        {
            "psn_no": psn_no,
            "certno": item.resident.number,
            "name": item.name,
            "gend": item.resident.gender,
            "birth_date": item.resident.birth_date,
            "phone": item.phone,
            "admdvs": item.admdvs,
            "unit_id": item.unit.id if item.unit else None,
            "created_at": now,
        }
        for item, psn_no in zip(items, psn_nos, strict=True)
    ]
    try:
        person_ids = repo.insert_many_ids(Person, persons, ("psn_no",))
    except IntegrityError as exc:  # an ID number enrolled at the same moment by someone else
        raise conflict("PERSON_EXISTS", "字段 certno：该身份证号已登记为参保人", "certno") from exc
    relations = [
        {
            "person_id": person_id,
            "psn_no": person["psn_no"],
            "insutype": item.insutype,
            "psn_type": item.psn_type,
            "admdvs": item.admdvs,
            "unit_id": person["unit_id"],
            "idet_type": item.idet_type,
            "disa_lv": item.disa_lv,
            "begin": item.begin,
            "end": item.end,
            "waiting_end": item.waiting_end,
            "status": RelationStatus.ACTIVE.value,
        }
        for item, person, person_id in zip(items, persons, person_ids, strict=True)
    ]
    relation_ids = repo.insert_many_ids(Relation, relations, ("person_id",))
    repo.insert_many(
        Account,
        [
            {"person_id": r["person_id"], "psn_no": r["psn_no"], "admdvs": r["admdvs"], "balance": 0}
            for r in relations
            if r["insutype"] == rules.EMPLOYEE_BASIC
        ],
    )
    audit: list[dict[str, Any]] = []
    for person, relation, relation_id in zip(persons, relations, relation_ids, strict=True):
        snapshot = {k: person[k] for k in _PERSON_AUDIT_KEYS}
        snapshot["certno"] = mask_id(person["certno"])  # the audit trail never holds a full ID number
        audit.append(
            uow.audit_row(
                at=now,
                action="person.create",
                entity="person",
                entity_id=person["psn_no"],
                admdvs=person["admdvs"],
                after=snapshot,
            )
        )
        relation_snapshot = {"id": relation_id, **{k: relation[k] for k in _RELATION_AUDIT_KEYS}}
        audit.append(
            uow.audit_row(
                at=now,
                action="relation.create",
                entity="relation",
                entity_id=relation_id,
                admdvs=relation["admdvs"],
                after=relation_snapshot,
            )
        )
    repo.insert_audit(audit)


_PERSON_AUDIT_KEYS = ("psn_no", "certno", "name", "gend", "birth_date", "phone", "admdvs", "unit_id")
_RELATION_AUDIT_KEYS = tuple(
    f for f in RELATION_SNAPSHOT_FIELDS if f != "id"
)  # the id comes after the insert


CONTRIBUTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "psn_no": ("psn_no", "个人编号"),
    "insutype": ("insutype", "险种", "险种类型"),
    "relation_id": ("relation_id", "参保关系ID", "参保关系"),
    "period": ("period", "缴费期间", "费款所属期"),
    "unit": ("unit", "单位缴费", "单位缴费（元）"),
    "individual": ("individual", "个人缴费", "个人缴费（元）"),
    "subsidy": ("subsidy", "财政补助", "财政补助（元）"),
    "base_wage": ("base_wage", "缴费基数", "缴费基数（元）"),
    "paid_on": ("paid_on", "缴费日期", "到账日期"),
}


def import_contributions(*, uow: UnitOfWork, filename: str, data: bytes) -> ContributionBatch:
    """Record a contribution file (年度缴费文件, CSV/XLSX; amounts in yuan), all or nothing.

    Each row names the person (`psn_no`) and either the relation (`relation_id`) or the scheme
    (`insutype`: the person's relation of that scheme covering the period). The rows go through
    `record_contributions` with their file row numbers; every bad row is reported and nothing is stored.
    """
    uow.actor.require(Perm.ENROL_WRITE)
    table = table_rows(filename, data, file_code="IMPORT_FILE")
    if not table:
        raise invalid("IMPORT_EMPTY", "file", "字段 file 文件中没有数据行")
    header = {key for key, aliases in CONTRIBUTION_COLUMNS.items() if any(a in table[0][1] for a in aliases)}
    missing = [c for c in ("psn_no", "period") if c not in header]
    if not {"insutype", "relation_id"} & header:
        missing.append("insutype")
    if missing:
        raise invalid("IMPORT_COLUMNS", "file", f"字段 file 缺少必需的列：{'、'.join(missing)}")
    values = [(number, _canonical_with(raw, CONTRIBUTION_COLUMNS)) for number, raw in table]
    repo = EnrolmentRepository(uow.session)
    psn_nos = {v.get("psn_no", "").strip() for _, v in values}
    persons = repo.person_keys(psn_nos)
    relations = repo.relation_rows_of(psn_nos)
    rows: list[ContributionInput] = []
    errors: list[RowError] = []
    for number, v in values:
        try:
            rows.append(_contribution_row(uow, number, v, persons, relations))
        except BusinessError as exc:
            errors.extend(_row_errors(number, exc))
    if errors:
        raise _refused_contributions(errors, len(values))
    return record_contributions(uow=uow, rows=rows, source=(filename or "import")[:64])


def _canonical_with(raw: dict[str, str], columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, aliases in columns.items():
        for alias in aliases:
            if alias in raw:
                out[key] = raw[alias]
                break
    return out


def _contribution_row(
    uow: UnitOfWork,
    number: int,
    v: dict[str, str],
    persons: dict[str, tuple[int, str]],
    relations: dict[str, list[RelationRow]],
) -> ContributionInput:
    """One row of a contribution file as a batch row: amounts as fen, the relation found by scheme."""
    fields = _Fields()
    psn_no = (v.get("psn_no") or "").strip()
    unit = fields.check(lambda: parse_yuan(v.get("unit"), field_name="unit"))
    individual = fields.check(lambda: parse_yuan(v.get("individual"), field_name="individual"))
    subsidy = fields.check(lambda: parse_yuan(v.get("subsidy"), field_name="subsidy"))
    base = (v.get("base_wage") or "").strip()
    base_wage = fields.check(lambda: parse_yuan(base, field_name="base_wage")) if base else None
    paid_on = fields.check(lambda: parse_date(v.get("paid_on"), field="paid_on", required=False))
    relation_text = (v.get("relation_id") or "").strip()
    relation_id: int | None = None
    if relation_text:
        if relation_text.isdigit() and len(relation_text) <= 18:
            relation_id = int(relation_text)
        else:
            fields.add(
                "relation_id", "RELATION_ID", f"字段 relation_id 参保关系ID必须是数字：{relation_text!r}"
            )
    fields.raise_if_any()
    period = (v.get("period") or "").strip()
    if relation_id is None:
        person = persons.get(psn_no)
        if person is None or not uow.actor.sees_region(person[1]):
            raise not_found("PERSON_NOT_FOUND", f"字段 psn_no：参保人 {psn_no} 不存在", "psn_no")
        insutype = (v.get("insutype") or "").strip()
        relation_id = _relation_for(relations.get(psn_no, []), insutype, period)
        if relation_id is None:
            raise not_found(
                "RELATION_NOT_FOUND",
                f"字段 insutype：参保人 {psn_no} 没有险种 {insutype or '（空）'} 的参保关系",
                "insutype",
            )
    return ContributionInput(
        psn_no=psn_no,
        relation_id=relation_id,
        period=period,
        unit_fen=unit or 0,
        individual_fen=individual or 0,
        subsidy_fen=subsidy or 0,
        base_wage_fen=base_wage,
        paid_on=paid_on,
        row=number,
    )


def _relation_for(relations: list[RelationRow], insutype: str, period: str) -> int | None:
    """The person's relation of `insutype` covering the period (the latest one when the period cannot be
    read: the batch then reports the period itself)."""
    own = sorted((r for r in relations if r.insutype == insutype), key=lambda r: (r.begin, r.id))
    if not own:
        return None
    try:
        parsed = rules.parse_period(period, employee=_is_monthly(insutype))
    except BusinessError:
        return own[-1].id
    covering = [r for r in own if r.begin <= parsed.last_day and (r.end is None or parsed.first_day <= r.end)]
    return (covering or own)[-1].id


EXPORT_HEADERS = ["个人编号", "身份证号", "姓名", "性别", "出生日期", "联系电话", "统筹区", "参保单位"]


def export_persons(*, uow: UnitOfWork, q: str | None = None, certno: str | None = None) -> list[list[object]]:
    """Rows of the persons list for Excel, ID numbers masked unless the actor holds PERSON_SENSITIVE."""
    rows: list[list[object]] = []
    page = 1
    while True:
        found = list_persons(uow=uow, q=q, certno=certno, page=page, size=MAX_PAGE_SIZE)
        for p in found.items:
            rows.append(
                [
                    p.psn_no,
                    p.certno,
                    p.name,
                    GENDERS.get(p.gend, p.gend),
                    p.birth_date,
                    p.phone,
                    p.admdvs,
                    p.unit_name,
                ]
            )
        if page >= found.pages:
            return rows
        page += 1


GENDERS = {"1": "男", "2": "女"}


def parse_yuan(value: str | None, *, field_name: str) -> int:
    """A yuan amount typed in a form or file, as fen (blank is zero)."""
    text = (value or "").strip()
    return yuan_to_fen(text, field=field_name) if text else 0


@dataclass(frozen=True)
class FormOptions:
    """Choices offered by the enrolment forms: (code, label) pairs."""

    insutypes: list[tuple[str, str]]
    psn_types: list[tuple[str, str]]
    special_groups: list[tuple[str, str]]
    disability_levels: list[tuple[str, str]]
    unit_types: list[tuple[str, str]]
    unit_statuses: list[tuple[str, str]]


def form_options(*, uow: UnitOfWork) -> FormOptions:
    """The dictionary codes the enrolment forms offer."""
    dicts = dictionaries(uow.session)
    return FormOptions(
        insutypes=dicts.options("insutype"),
        psn_types=dicts.options("psn_type"),
        special_groups=list(rules.SPECIAL_GROUPS.items()),
        disability_levels=[(lv, f"{lv}级") for lv in rules.DISABILITY_LEVELS],
        unit_types=list(rules.UNIT_TYPES.items()),
        unit_statuses=list(rules.UNIT_STATUSES.items()),
    )
