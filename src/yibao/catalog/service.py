"""Use cases for the catalogs (三目录与医用耗材), their prices and hospital code mapping (对码)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from yibao.catalog.models import CatalogItem, CodeMapping
from yibao.catalog.repository import CatalogRepository
from yibao.core.db import utcnow
from yibao.core.excel import write_xlsx
from yibao.core.imports import ImportRefusedError, RowError, table_rows
from yibao.core.paging import MAX_PAGE_SIZE, Page
from yibao.core.security import Perm, Role
from yibao.core.uow import UnitOfWork
from yibao.core.validation import optional_text, require_text
from yibao.domain import catalog as rules
from yibao.domain.errors import BusinessError, ErrorKind, FieldError, conflict, invalid, not_found
from yibao.domain.money import fen_to_yuan
from yibao.domain.periods import check_order, overlaps
from yibao.institutions.models import Institution
from yibao.reference.lookup import dictionaries

# Import/export columns: field name → Chinese header (either is accepted in an import file).
COLUMNS: dict[str, str] = {
    "code": "国家编码",
    "name": "名称",
    "list_type": "目录类别",
    "begin": "开始日期",
    "end": "结束日期",
    "chrgitm_lv": "收费项目等级",
    "selfpay_ratio": "先行自付比例",
    "price_cap": "最高限价(元)",
    "price_cap_lv1": "一级及以下限价(元)",
    "price_cap_lv2": "二级限价(元)",
    "price_cap_lv3": "三级限价(元)",
    "generic_name": "通用名",
    "dosform": "剂型",
    "spec": "规格",
    "manufacturer": "生产企业",
    "unit": "计价单位",
    "med_chrgitm_type": "医疗收费项目类别",
    "high_value": "高值耗材",
    "admdvs": "统筹区",
    "restr_gend": "限定性别",
    "restr_age_min": "最小年龄",
    "restr_age_max": "最大年龄",
    "restr_hosp_levels": "限定医院等级",
    "restr_inpatient_only": "限住院",
    "restr_benefit_only": "限工伤生育",
    "restr_insutypes": "限定险种",
    "restr_max_days": "单次处方最多天数",
    "restr_indication": "限定支付范围",
}
_HEADER_TO_FIELD = {header: name for name, header in COLUMNS.items()} | {name: name for name in COLUMNS}
REQUIRED_COLUMNS = ("code", "name", "begin", "chrgitm_lv")


# ================================================================ catalog items


def _require_scope(uow: UnitOfWork, admdvs: str | None) -> None:
    """National rows are kept by actors of every region; a regional row by an actor of that region."""
    if admdvs is None:
        if not uow.actor.all_regions:
            raise BusinessError(
                code="CATALOG_NATIONAL_SCOPE",
                message="字段 admdvs：全国/全省目录只能由全部统筹区的用户维护，地方目录请填写本统筹区编码",
                field="admdvs",
                kind=ErrorKind.FORBIDDEN,
            )
    else:
        uow.actor.require_region(admdvs)


def _new_row(spec: rules.ItemSpec) -> CatalogItem:
    now = utcnow()
    r = spec.restrictions
    return CatalogItem(
        code=spec.code,
        kind=spec.kind,
        list_type=spec.list_type,
        name=spec.name,
        admdvs=spec.admdvs,
        begin=spec.begin,
        end=spec.end,
        chrgitm_lv=spec.chrgitm_lv,
        selfpay_bp=spec.selfpay_bp,
        price_cap=spec.price_cap,
        price_cap_lv1=spec.price_cap_lv1,
        price_cap_lv2=spec.price_cap_lv2,
        price_cap_lv3=spec.price_cap_lv3,
        generic_name=spec.generic_name,
        dosform=spec.dosform,
        spec=spec.spec,
        manufacturer=spec.manufacturer,
        unit=spec.unit,
        med_chrgitm_type=spec.med_chrgitm_type,
        high_value=spec.high_value,
        restr_gend=r.gend,
        restr_age_min=r.age_min,
        restr_age_max=r.age_max,
        restr_hosp_levels=",".join(sorted(r.hosp_levels)) or None,
        restr_inpatient_only=r.inpatient_only,
        restr_benefit_only=r.benefit_only,
        restr_insutypes=",".join(sorted(r.insutypes)) or None,
        restr_max_days=r.max_days,
        restr_indication=r.indication,
        created_at=now,
        updated_at=now,
    )


def _check_kind(code: str, kind: str, existing: list[CatalogItem]) -> None:
    if existing and existing[0].kind != kind:
        raise invalid(
            "CATALOG_KIND_MISMATCH",
            "kind",
            f"字段 kind：编码 {code} 已登记为{rules.KINDS.get(existing[0].kind, existing[0].kind)}，"
            f"不能作为{rules.KINDS.get(kind, kind)}新增版本",
        )


def create_item(*, uow: UnitOfWork, kind: str, fields: Mapping[str, object]) -> CatalogItem:
    """Register a new national code with its first version; a code already in the catalog is a conflict."""
    uow.actor.require(Perm.CATALOG_WRITE)
    spec = rules.validate_item(kind, fields, dictionaries(uow.session))
    _require_scope(uow, spec.admdvs)
    repo = CatalogRepository(uow.session)
    if repo.versions(spec.code):
        raise conflict(
            "CATALOG_ITEM_EXISTS",
            f"字段 code：编码 {spec.code} 已在目录中，请新增版本（变更）而不是重复登记",
            "code",
        )
    item = _new_row(spec)
    repo.add(item)
    uow.flush()
    uow.audit(
        action="catalog.create",
        entity="catalog_item",
        entity_id=spec.code,
        admdvs=spec.admdvs,
        after=item.snapshot(),
    )
    uow.commit()
    return item


def add_version(*, uow: UnitOfWork, code: str, fields: Mapping[str, object]) -> CatalogItem:
    """Open a new version of an item (变更): the version in force on the new `begin` is closed the day
    before; any other overlap is refused naming the conflicting version."""
    uow.actor.require(Perm.CATALOG_WRITE)
    repo = CatalogRepository(uow.session)
    code = (code or "").strip().upper()
    existing = repo.versions(code)
    if not [v for v in existing if uow.actor.sees_region(v.admdvs)]:
        raise not_found("CATALOG_ITEM_NOT_FOUND", f"目录编码 {code} 不存在", "code")
    kind = str(fields.get("kind") or existing[0].kind)
    _check_kind(code, kind, existing)
    spec = rules.validate_item(kind, {**fields, "code": code}, dictionaries(uow.session))
    _require_scope(uow, spec.admdvs)
    closing, close_end = rules.plan_version(existing, spec.begin, spec.end, code=code, change=True)
    if closing is not None:
        before = closing.snapshot()
        closing.end = close_end
        closing.updated_at = utcnow()
        uow.audit(
            action="catalog.close",
            entity="catalog_item",
            entity_id=code,
            admdvs=closing.admdvs,
            before=before,
            after=closing.snapshot(),
        )
        uow.flush()
    item = _new_row(spec)
    repo.add(item)
    uow.flush()
    uow.audit(
        action="catalog.version",
        entity="catalog_item",
        entity_id=code,
        admdvs=spec.admdvs,
        after=item.snapshot(),
    )
    uow.commit()
    return item


def get_versions(*, uow: UnitOfWork, code: str) -> list[CatalogItem]:
    """Every version of a national code the actor may see, oldest first."""
    uow.actor.require(Perm.CATALOG_READ)
    code = (code or "").strip().upper()
    versions = CatalogRepository(uow.session).versions(code, regions=uow.actor.region_filter())
    if not versions:
        raise not_found("CATALOG_ITEM_NOT_FOUND", f"目录编码 {code} 不存在", "code")
    return versions


def item_on(*, uow: UnitOfWork, code: str, day: date) -> CatalogItem | None:
    """The version of a national code in force on `day`, or None (the settlement engine's lookup)."""
    uow.actor.require(Perm.CATALOG_READ)
    versions = CatalogRepository(uow.session).versions(
        (code or "").strip().upper(), regions=uow.actor.region_filter()
    )
    return rules.item_valid_on(versions, day)


def list_items(
    *,
    uow: UnitOfWork,
    q: str | None = None,
    kind: str | None = None,
    list_type: str | None = None,
    chrgitm_lv: str | None = None,
    on: date | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[CatalogItem]:
    """Item versions the actor may see, searched by code or name, kind, list type, class and date."""
    uow.actor.require(Perm.CATALOG_READ)
    if kind and kind not in rules.KINDS:
        raise invalid("CATALOG_KIND", "kind", f"字段 kind 目录类型必须是 {'/'.join(rules.KINDS)} 之一")
    return CatalogRepository(uow.session).search(
        regions=uow.actor.region_filter(),
        q=(q or "").strip() or None,
        kind=kind or None,
        list_type=list_type or None,
        chrgitm_lv=chrgitm_lv or None,
        on=on,
        page=page,
        size=size,
    )


def form_options(*, uow: UnitOfWork) -> dict[str, list[tuple[str, str]]]:
    """The code lists the catalog forms offer: kinds, list types, classes and national dictionaries."""
    books = dictionaries(uow.session)
    return {
        "kind": list(rules.KINDS.items()),
        "list_type": books.options("list_type"),
        "chrgitm_lv": list(rules.CLASSES.items()),
        "med_chrgitm_type": books.options("med_chrgitm_type"),
        "drug_dosform": books.options("drug_dosform"),
        "gend": list(rules.SEXES.items()),
        "tier": list(rules.TIERS.items()),
        "benefit": list(rules.BENEFITS.items()),
        "insutype": books.options("insutype"),
        "yes_no": [("0", "否"), ("1", "是")],
        "mapping_status": list(rules.MAPPING_STATES.items()),
    }


def item_form(item: CatalogItem) -> dict[str, str]:
    """A stored version as form values (yuan strings, ratio as a fraction), to prefill a new version."""
    values: dict[str, str] = {"kind": item.kind}
    for name in COLUMNS:
        if name == "selfpay_ratio":
            values[name] = rules.ratio_fraction(item.selfpay_bp)
        elif name in ("high_value", "restr_inpatient_only"):
            values[name] = "1" if getattr(item, name) else "0"
        else:
            value = _cell(item, name)
            values[name] = "" if value is None else str(value)
    return values


def kind_of(list_type: str | None) -> str:
    """The catalog kind named by an import/export parameter: a kind (drug/service/consumable/facility)
    or a list_type dictionary code (101..106 → drug, 201 → service, 301 → consumable)."""
    value = (list_type or "").strip()
    if value in rules.KINDS:
        return value
    for kind in (rules.DRUG, rules.SERVICE, rules.CONSUMABLE):
        if value in rules.LIST_TYPES[kind]:
            return kind
    raise invalid(
        "CATALOG_KIND",
        "list_type",
        f"字段 list_type 必须是 drug/service/consumable/facility 或目录类别代码，实际为 {value!r}",
    )


# ---------------------------------------------------------------- import / export


@dataclass(frozen=True)
class ImportResult:
    """What an import stored: new versions and the versions it closed."""

    kind: str
    created: int
    closed: int
    codes: list[str]


def _file_rows(filename: str, data: bytes) -> list[dict[str, str]]:
    return [cells for _, cells in table_rows(filename, data, file_code="CATALOG_IMPORT_FILE")]


def import_items(
    *,
    uow: UnitOfWork,
    list_type: str,
    filename: str,
    data: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import catalog versions of one kind from CSV or Excel, all or nothing.

    Every row is checked like a single entry (a new code opens its first version; a known code is
    changed: the version in force on the row's begin is closed the day before). If any row is bad,
    nothing is stored and every bad row is reported (row number, field, code, Chinese message).
    """
    uow.actor.require(Perm.CATALOG_WRITE)
    kind = kind_of(list_type)
    rows = _file_rows(filename, data)
    if not rows:
        raise invalid("CATALOG_IMPORT_EMPTY", "file", "字段 file 导入文件没有数据行")
    _check_header(rows)
    errors: list[RowError] = []
    books = dictionaries(uow.session)
    specs: list[tuple[int, rules.ItemSpec]] = []
    for index, row in enumerate(rows):
        number = index + 2
        if progress is not None:
            progress(index + 1, len(rows))
        raw = {_HEADER_TO_FIELD[k]: v for k, v in row.items() if k in _HEADER_TO_FIELD}
        try:
            spec = rules.validate_item(kind, raw, books)
            _require_scope(uow, spec.admdvs)
        except BusinessError as exc:
            for e in exc.errors or [FieldError(exc.field or "row", exc.code, exc.message)]:
                errors.append(RowError(number, e.field, e.code, f"第{number}行：{e.message}"))
            continue
        specs.append((number, spec))
    repo = CatalogRepository(uow.session)
    stored = repo.versions_of(spec.code for _, spec in specs)
    planned: dict[str, list[Any]] = {code: list(versions) for code, versions in stored.items()}
    closes: dict[int, tuple[Any, date]] = {}
    accepted: list[rules.ItemSpec] = []
    for number, spec in sorted(specs, key=lambda pair: (pair[1].code, pair[1].begin)):
        versions = planned[spec.code]
        try:
            if versions and versions[0].kind != spec.kind:
                _check_kind(spec.code, spec.kind, versions)
            closing, close_end = rules.plan_version(
                versions, spec.begin, spec.end, code=spec.code, change=True
            )
        except BusinessError as exc:
            errors.append(RowError(number, exc.field or "begin", exc.code, f"第{number}行：{exc.message}"))
            continue
        if closing is not None and close_end is not None:
            if isinstance(closing, CatalogItem):
                closes[closing.id] = (closing, close_end)
            else:
                closing.end = close_end
        versions.append(spec)
        accepted.append(spec)
    if errors:
        raise _refused(errors)
    for closing, close_end in closes.values():
        closing.end = close_end
        closing.updated_at = utcnow()
    for spec in accepted:
        repo.add(_new_row(spec))
    uow.flush()
    codes = sorted({spec.code for spec in accepted})
    uow.audit(
        action="catalog.import",
        entity="catalog_import",
        entity_id=filename[:64] or "import",
        after={
            "kind": kind,
            "rows": len(accepted),
            "closed": sorted(c.id for c, _ in closes.values()),
            "codes": codes[:500],
        },
    )
    uow.commit()
    return ImportResult(kind=kind, created=len(accepted), closed=len(closes), codes=codes)


def _check_header(rows: list[dict[str, str]]) -> None:
    """Refuse unknown columns and missing required ones (reported on row 1)."""
    errors: list[RowError] = []
    header = list(rows[0].keys())
    for h in header:
        if h and h not in _HEADER_TO_FIELD:
            errors.append(RowError(1, h, "CATALOG_IMPORT_COLUMN", f"第1行：未知列 {h}"))
    present = {_HEADER_TO_FIELD[h] for h in header if h in _HEADER_TO_FIELD}
    for name in REQUIRED_COLUMNS:
        if name not in present:
            errors.append(
                RowError(1, name, "CATALOG_IMPORT_COLUMN", f"第1行：缺少必需列 {COLUMNS[name]}（{name}）")
            )
    if errors:
        raise _refused(errors)


def _refused(errors: list[RowError]) -> ImportRefusedError:
    rows = sorted({e.row for e in errors})
    shown = "、".join(str(r) for r in rows[:20]) + ("……" if len(rows) > 20 else "")
    return ImportRefusedError(
        code="CATALOG_IMPORT_ROWS",
        message=f"导入文件有 {len(errors)} 处错误（第 {shown} 行），未导入任何数据",
        field="file",
        kind=ErrorKind.INVALID,
        errors=[FieldError(f"rows.{e.row}.{e.field}", e.code, e.message) for e in errors],
        rows=sorted(errors, key=lambda e: (e.row, e.field)),
    )


def _cell(item: CatalogItem, name: str) -> object:
    value = getattr(item, name)
    if name.startswith("price_cap"):
        return None if value is None else fen_to_yuan(value)
    if name in ("high_value", "restr_inpatient_only"):
        return "是" if value else "否"
    return value


def export_rows(items: list[CatalogItem]) -> tuple[list[str], list[list[object]]]:
    """Headers and rows of a catalog export: the import columns plus kind and self-pay ratio as a fraction."""
    headers = ["目录类型", *COLUMNS.values()]
    out: list[list[object]] = []
    for item in items:
        row: list[object] = [rules.KINDS.get(item.kind, item.kind)]
        for name in COLUMNS:
            if name == "selfpay_ratio":
                row.append(rules.ratio_fraction(item.selfpay_bp))
            else:
                row.append(_cell(item, name))
        out.append(row)
    return headers, out


def export_items(
    *,
    uow: UnitOfWork,
    q: str | None = None,
    kind: str | None = None,
    list_type: str | None = None,
    chrgitm_lv: str | None = None,
    on: date | None = None,
) -> bytes:
    """The item versions matching the filters as an Excel workbook (the columns an import reads)."""
    page = list_items(
        uow=uow, q=q, kind=kind, list_type=list_type, chrgitm_lv=chrgitm_lv, on=on, page=1, size=MAX_PAGE_SIZE
    )
    items = list(page.items)
    number = 2
    while len(items) < page.total:
        items += list_items(
            uow=uow,
            q=q,
            kind=kind,
            list_type=list_type,
            chrgitm_lv=chrgitm_lv,
            on=on,
            page=number,
            size=MAX_PAGE_SIZE,
        ).items
        number += 1
    headers, rows = export_rows(items)
    return write_xlsx("医保目录", headers, rows)


# ================================================================ code mapping (对码)


def _institution(uow: UnitOfWork, fixmedins_code: str) -> Institution:
    code = (fixmedins_code or "").strip()
    if not code:
        raise invalid("REQUIRED", "fixmedins_code", "字段 fixmedins_code（定点机构编码）不能为空")
    actor = uow.actor
    if (Role.INSTITUTION in actor.roles or actor.institution_code) and actor.institution_code != code:
        raise BusinessError(
            code="MAPPING_OWN_INSTITUTION",
            message="字段 fixmedins_code：机构操作员只能为本机构"
            f"（{actor.institution_code or '未绑定'}）提交对码",
            field="fixmedins_code",
            kind=ErrorKind.FORBIDDEN,
        )
    institution = uow.session.scalar(select(Institution).where(Institution.fixmedins_code == code))
    own = actor.institution_code == code
    if institution is None or not (own or actor.sees_region(institution.admdvs)):
        raise not_found("INSTITUTION_NOT_FOUND", f"定点机构 {code} 不存在", "fixmedins_code")
    return institution


def submit_mapping(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    medins_list_codg: str,
    medins_list_name: str,
    hilist_code: str,
    begin: date,
    end: date | None = None,
) -> CodeMapping:
    """An institution submits its own item code for mapping to a national item (对码申报)."""
    uow.actor.require(Perm.MAPPING_SUBMIT)
    institution = _institution(uow, fixmedins_code)
    own_code = require_text(medins_list_codg, field="medins_list_codg", max_len=64, label="医药机构目录编码")
    own_name = require_text(medins_list_name, field="medins_list_name", max_len=200, label="医药机构目录名称")
    national = require_text(hilist_code, field="hilist_code", max_len=32, label="医保目录编码").upper()
    check_order(begin, end)
    repo = CatalogRepository(uow.session)
    versions = [v for v in repo.versions(national) if v.admdvs in (None, institution.admdvs)]
    if not versions:
        raise invalid(
            "MAPPING_ITEM_UNKNOWN", "hilist_code", f"字段 hilist_code 医保目录编码 {national} 不在目录中"
        )
    item = rules.item_valid_on(versions, begin)
    if item is None:
        raise invalid(
            "MAPPING_ITEM_NOT_VALID",
            "hilist_code",
            f"字段 hilist_code 医保目录编码 {national} 在 {begin} 不在有效期内",
        )
    _check_mapping_overlap(repo, institution.fixmedins_code, own_code, begin, end, skip_id=None)
    mapping = CodeMapping(
        fixmedins_code=institution.fixmedins_code,
        admdvs=institution.admdvs,
        medins_list_codg=own_code,
        medins_list_name=own_name,
        hilist_code=national,
        kind=item.kind,
        list_type=item.list_type,
        begin=begin,
        end=end,
        status=rules.SUBMITTED,
        submitted_by=uow.actor.username,
        submitted_at=utcnow(),
    )
    repo.add_mapping(mapping)
    uow.flush()
    uow.audit(
        action="mapping.submit",
        entity="catalog_mapping",
        entity_id=mapping.id,
        admdvs=mapping.admdvs,
        after=mapping.snapshot(),
    )
    uow.commit()
    return mapping


def _check_mapping_overlap(
    repo: CatalogRepository,
    fixmedins_code: str,
    medins_list_codg: str,
    begin: date,
    end: date | None,
    *,
    skip_id: int | None,
) -> None:
    span = _Span(begin, end)
    for other in repo.mappings_of(fixmedins_code, medins_list_codg):
        if other.id == skip_id or other.status == rules.REJECTED:
            continue
        if not overlaps(other, span):
            continue
        label = f"{other.begin}—{other.end or '长期'}"
        if rules.mapping_in_force(other.status):
            raise conflict(
                "MAPPING_EXISTS",
                f"字段 medins_list_codg：本机构编码 {medins_list_codg} 在 {label} "
                f"已有通过的对码（编号 {other.id}）",
                "medins_list_codg",
            )
        raise conflict(
            "MAPPING_PENDING",
            f"字段 medins_list_codg：本机构编码 {medins_list_codg} 在 {label} "
            f"已有待审核的对码（编号 {other.id}）",
            "medins_list_codg",
        )


@dataclass(frozen=True)
class _Span:
    begin: date
    end: date | None


def get_mapping(*, uow: UnitOfWork, mapping_id: int) -> CodeMapping:
    """A mapping the actor may see: its own institution's (operators) or its regions' (agency staff)."""
    uow.actor.require(Perm.CATALOG_READ)
    mapping = CatalogRepository(uow.session).mapping(mapping_id)
    if mapping is None or not _sees_mapping(uow, mapping):
        raise not_found("MAPPING_NOT_FOUND", f"对码记录 {mapping_id} 不存在", "id")
    return mapping


def _sees_mapping(uow: UnitOfWork, mapping: CodeMapping) -> bool:
    actor = uow.actor
    if actor.institution_code or Role.INSTITUTION in actor.roles:
        return mapping.fixmedins_code == actor.institution_code
    return actor.sees_region(mapping.admdvs)


def list_mappings(
    *,
    uow: UnitOfWork,
    fixmedins_code: str | None = None,
    status: str | None = None,
    q: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[CodeMapping]:
    """Mappings the actor may see, newest first; institution operators see only their own institution's."""
    uow.actor.require(Perm.CATALOG_READ)
    actor = uow.actor
    if status and status not in rules.MAPPING_STATES:
        raise invalid("MAPPING_STATUS", "status", f"字段 status 必须是 {'/'.join(rules.MAPPING_STATES)} 之一")
    regions = actor.region_filter()
    if actor.institution_code or Role.INSTITUTION in actor.roles:
        fixmedins_code = actor.institution_code or "-"
        regions = None
    return CatalogRepository(uow.session).search_mappings(
        regions=regions,
        fixmedins_code=(fixmedins_code or "").strip() or None,
        status=status or None,
        q=(q or "").strip() or None,
        page=page,
        size=size,
    )


def _decide(uow: UnitOfWork, mapping_id: int, action: str) -> tuple[CodeMapping, dict[str, object]]:
    uow.actor.require(Perm.MAPPING_APPROVE)
    mapping = CatalogRepository(uow.session).mapping(mapping_id)
    if mapping is None or not uow.actor.sees_region(mapping.admdvs):
        raise not_found("MAPPING_NOT_FOUND", f"对码记录 {mapping_id} 不存在", "id")
    before = mapping.snapshot()
    mapping.status = rules.mapping_transition(mapping.status, action)
    mapping.decided_by = uow.actor.username
    mapping.decided_at = utcnow()
    return mapping, before


def approve_mapping(*, uow: UnitOfWork, mapping_id: int) -> CodeMapping:
    """The agency approves a submitted mapping; from then on it is used for settlement."""
    mapping, before = _decide(uow, mapping_id, "approve")
    repo = CatalogRepository(uow.session)
    _check_mapping_overlap(
        repo, mapping.fixmedins_code, mapping.medins_list_codg, mapping.begin, mapping.end, skip_id=mapping.id
    )
    mapping.reason = None
    uow.audit(
        action="mapping.approve",
        entity="catalog_mapping",
        entity_id=mapping.id,
        admdvs=mapping.admdvs,
        before=before,
        after=mapping.snapshot(),
    )
    uow.commit()
    return mapping


def reject_mapping(*, uow: UnitOfWork, mapping_id: int, reason: str) -> CodeMapping:
    """The agency rejects a submitted mapping, giving the reason."""
    text = require_text(reason, field="reason", max_len=255, label="驳回原因")
    mapping, before = _decide(uow, mapping_id, "reject")
    mapping.reason = text
    uow.audit(
        action="mapping.reject",
        entity="catalog_mapping",
        entity_id=mapping.id,
        admdvs=mapping.admdvs,
        before=before,
        after=mapping.snapshot(),
    )
    uow.commit()
    return mapping


def revoke_mapping(*, uow: UnitOfWork, mapping_id: int, end: date, reason: str | None = None) -> CodeMapping:
    """The agency ends an approved mapping: it is used up to `end` (inclusive), never after."""
    note = optional_text(reason, field="reason", max_len=255, label="撤销原因")
    mapping, before = _decide(uow, mapping_id, "revoke")
    if end < mapping.begin:
        raise invalid("PERIOD_ORDER", "end", f"字段 end（{end}）不能早于对码开始日期（{mapping.begin}）")
    if mapping.end is not None and end > mapping.end:
        raise invalid(
            "MAPPING_REVOKE_END", "end", f"字段 end（{end}）不能晚于对码原结束日期（{mapping.end}）"
        )
    mapping.end = end
    mapping.reason = note
    uow.audit(
        action="mapping.revoke",
        entity="catalog_mapping",
        entity_id=mapping.id,
        admdvs=mapping.admdvs,
        before=before,
        after=mapping.snapshot(),
    )
    uow.commit()
    return mapping


def resolve_mapping(
    *, uow: UnitOfWork, fixmedins_code: str, medins_list_codg: str, day: date
) -> CatalogItem | None:
    """The national item version an institution's own code stands for on `day`, through an approved
    mapping in force that day; None when there is none (the line is then paid by the patient)."""
    uow.actor.require(Perm.CATALOG_READ)
    repo = CatalogRepository(uow.session)
    mappings = [
        m for m in repo.mappings_of(fixmedins_code, medins_list_codg) if rules.mapping_in_force(m.status)
    ]
    mapping = rules.item_valid_on(mappings, day)
    if mapping is None:
        return None
    versions = [v for v in repo.versions(mapping.hilist_code) if v.admdvs in (None, mapping.admdvs)]
    return rules.item_valid_on(versions, day)
