"""Catalog rules (三目录与医用耗材): item codes, 甲/乙/丙 classes and self-pay-first ratios, versions,
payment restrictions (限定支付范围) and price caps (最高限价).

Pure: no database and no clock. The settlement engine calls `item_valid_on`, `check_restrictions`,
`applicable_cap` and `over_cap` with the facts of one fee line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Protocol, TypeVar

from yibao.domain.errors import BusinessError, FieldError, collect, conflict, invalid
from yibao.domain.identity import age_on
from yibao.domain.money import Fen, yuan_to_fen
from yibao.domain.periods import HasPeriod, check_order, overlaps, valid_on

# ---------------------------------------------------------------- kinds and national dictionaries

DRUG = "drug"  # 药品（西药、中成药、中药饮片……）
SERVICE = "service"  # 医疗服务项目
CONSUMABLE = "consumable"  # 医用耗材
FACILITY = "facility"  # 服务设施（床位费等）

KINDS: dict[str, str] = {DRUG: "药品", SERVICE: "医疗服务项目", CONSUMABLE: "医用耗材", FACILITY: "服务设施"}
KINDS_EN: dict[str, str] = {
    DRUG: "Drug",
    SERVICE: "Medical service item",
    CONSUMABLE: "Medical consumable",
    FACILITY: "Service facility",
}

# Dictionary list_type (目录类别) codes each kind may carry. The national dictionary has no own code
# for service facilities: bed fees and the like sit in the service-item code space (201) or in 105 其他.
LIST_TYPES: dict[str, tuple[str, ...]] = {
    DRUG: ("101", "102", "103", "104", "106"),
    SERVICE: ("201",),
    CONSUMABLE: ("301",),
    FACILITY: ("201", "105"),
}
DEFAULT_LIST_TYPE: dict[str, str] = {DRUG: "101", SERVICE: "201", CONSUMABLE: "301", FACILITY: "201"}

CLASS_A = "01"  # 甲类
CLASS_B = "02"  # 乙类
CLASS_C = "03"  # 丙类
CLASSES: dict[str, str] = {CLASS_A: "甲类", CLASS_B: "乙类", CLASS_C: "丙类"}

FULL = 10_000  # 100% in basis points (万分比)

TIERS: dict[str, str] = {"1": "一级及以下", "2": "二级", "3": "三级"}  # dictionary lmtpric_hosp_lv
# Dictionary hosp_lv (医院等级) → price tier: 三级特等/甲/乙/丙/无等 → 3; 二级* → 2; 一级*, 无等级 → 1.
_TIER_OF_HOSP_LV: dict[str, str] = {
    "1": "3", "2": "3", "3": "3", "4": "3", "12": "3",
    "5": "2", "6": "2", "7": "2", "13": "2",
    "8": "1", "9": "1", "10": "1", "14": "1", "11": "1",
}  # fmt: skip

WORK_INJURY = "work_injury"  # 限工伤保险
MATERNITY = "maternity"  # 限生育保险
BENEFITS: dict[str, str] = {WORK_INJURY: "工伤保险", MATERNITY: "生育保险"}
SEXES: dict[str, str] = {"1": "男", "2": "女"}  # dictionary gend

# National code shapes accepted (see docs/catalog.md).
_DRUG_WESTERN = re.compile(r"^[XZ][0-9A-Z]{22}$")  # 西药 X / 中成药 Z, 23 characters
_DRUG_HERBAL = re.compile(r"^T[0-9A-Z]{9,22}$")  # 中药饮片 / 配方颗粒: T + 9..22
_DRUG_LOCAL = re.compile(r"^[A-Z][0-9A-Z]{9,29}$")  # 自制剂 / 民族药: a letter + 9..29
_SERVICE = re.compile(r"^[0-9][0-9A-Z]{14}$")  # 医疗服务项目: 15 characters, first a digit
_CONSUMABLE = re.compile(r"^C(?:[0-9]{19}|[0-9]{26})$")  # 医用耗材: C + 19 or C + 26 digits
_FACILITY = re.compile(r"^[0-9A-Z]{5,30}$")  # 服务设施: 5..30 letters/digits


def code_rule(kind: str, list_type: str) -> tuple[re.Pattern[str], str]:
    """The pattern a national code of this kind and list type must match, and its Chinese description."""
    if kind == DRUG:
        if list_type == "101":
            return _DRUG_WESTERN, "西药/中成药编码为23位，首位X或Z，其余为大写字母或数字"
        if list_type in ("102", "106"):
            return _DRUG_HERBAL, "中药饮片/配方颗粒编码为T开头，共10至23位大写字母或数字"
        return _DRUG_LOCAL, "自制剂/民族药编码为字母开头，共10至30位大写字母或数字"
    if kind == SERVICE:
        return _SERVICE, "医疗服务项目编码为15位，首位为数字，其余为数字或大写字母"
    if kind == CONSUMABLE:
        return _CONSUMABLE, "医用耗材编码为C开头，后接19位或26位数字（共20或27位）"
    return _FACILITY, "服务设施编码为5至30位大写字母或数字"


def check_code(kind: str, list_type: str, value: str | None, *, field: str = "code") -> str:
    """Refuse a national code that does not have the shape of its kind; return it upper-cased."""
    code = (value or "").strip().upper()
    if not code:
        raise invalid("REQUIRED", field, f"字段 {field}（国家编码）不能为空")
    pattern, rule = code_rule(kind, list_type)
    if not pattern.match(code):
        raise invalid("CATALOG_CODE_FORMAT", field, f"字段 {field} 编码 {code} 格式错误：{rule}")
    return code


def hospital_tier(hosp_lv: str | None) -> str | None:
    """The price/restriction tier (1 一级及以下, 2 二级, 3 三级) of a hosp_lv code; None if unknown."""
    if hosp_lv is None:
        return None
    return _TIER_OF_HOSP_LV.get(hosp_lv.strip())


# ---------------------------------------------------------------- ratios and classes


def parse_ratio(value: object, *, field: str = "selfpay_ratio") -> int | None:
    """A self-pay ratio as basis points: a fraction "0.1" (at most 4 decimals) or a percent "10%".

    Floats are refused; blank is None.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool | float):
        raise invalid(
            "CATALOG_RATIO_FORMAT",
            field,
            f"字段 {field} 比例必须以字符串给出（如 0.10 或 10%），不接受浮点数",
        )
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = Decimal(text.rstrip("%").strip())
    except InvalidOperation as exc:
        raise invalid("CATALOG_RATIO_FORMAT", field, f"字段 {field} 不是有效比例：{value!r}") from exc
    if not number.is_finite():
        raise invalid("CATALOG_RATIO_FORMAT", field, f"字段 {field} 不是有效比例：{value!r}")
    bp = number * (100 if percent else FULL)
    if bp != bp.to_integral_value():
        raise invalid(
            "CATALOG_RATIO_FORMAT", field, f"字段 {field} 比例精度最多到0.01%（万分之一）：{value!r}"
        )
    if not 0 <= bp <= FULL:
        raise invalid("CATALOG_RATIO_RANGE", field, f"字段 {field} 先行自付比例必须在0到100%之间：{value!r}")
    return int(bp)


def format_ratio(bp: int) -> str:
    """Basis points shown as a percent ("10%", "12.5%")."""
    number = (Decimal(bp) / 100).normalize()
    return f"{number:f}%"


def ratio_fraction(bp: int) -> str:
    """Basis points as a 4-decimal fraction string ("0.1000"), the API form."""
    return f"{Decimal(bp) / FULL:.4f}"


def check_class_ratio(chrgitm_lv: str, selfpay_bp: int | None, *, field: str = "selfpay_ratio") -> int:
    """Settle the self-pay-first ratio (先行自付比例) by class: 甲类 0, 丙类 100%, 乙类 given in 0..100%."""
    if chrgitm_lv == CLASS_A:
        if selfpay_bp not in (None, 0):
            raise invalid("CATALOG_RATIO_CLASS_A", field, f"字段 {field} 甲类项目先行自付比例必须为0")
        return 0
    if chrgitm_lv == CLASS_C:
        if selfpay_bp not in (None, FULL):
            raise invalid(
                "CATALOG_RATIO_CLASS_C", field, f"字段 {field} 丙类项目全部自付，先行自付比例必须为100%"
            )
        return FULL
    if chrgitm_lv == CLASS_B:
        if selfpay_bp is None:
            raise invalid(
                "CATALOG_RATIO_REQUIRED", field, f"字段 {field} 乙类项目必须填写先行自付比例（0到100%）"
            )
        return selfpay_bp
    raise invalid(
        "DICT_CODE",
        "chrgitm_lv",
        f"字段 chrgitm_lv 收费项目等级必须是 01甲类/02乙类/03丙类，实际为 {chrgitm_lv!r}",
    )


# ---------------------------------------------------------------- restrictions


@dataclass(frozen=True)
class Restrictions:
    """Payment restrictions (限定支付范围) of one item version; empty fields restrict nothing."""

    gend: str | None = None  # 限定性别: gend 1 男 / 2 女
    age_min: int | None = None  # 最小年龄（周岁，含）
    age_max: int | None = None  # 最大年龄（周岁，含）
    hosp_levels: frozenset[str] = frozenset()  # 限定医院等级 tiers 1/2/3; empty = any
    inpatient_only: bool = False  # 限住院
    benefit_only: str | None = None  # 限工伤/生育: work_injury / maternity
    insutypes: frozenset[str] = frozenset()  # 限定险种 insutype codes; empty = any
    max_days: int | None = None  # 单次处方最多天数
    indication: str | None = None  # 限定支付范围（适应症文字，人工审核）

    @property
    def any(self) -> bool:
        """Whether the version restricts anything at all."""
        return bool(describe_restrictions(self))


@dataclass(frozen=True)
class PatientFacts:
    """What the restrictions need to know about the insured person."""

    gend: str | None  # gend code
    birth_date: date | None


@dataclass(frozen=True)
class VisitFacts:
    """What the restrictions need to know about the visit and the fee line."""

    day: date  # the service date (the domain never reads the clock)
    hosp_lv: str | None  # the institution's hosp_lv code (None for pharmacies)
    inpatient: bool
    insutype: str | None
    work_injury: bool = False
    maternity: bool = False
    days: int | None = None  # days of supply on the prescription line


@dataclass(frozen=True)
class Violation:
    """A restriction a fee line breaks: stable code, the restriction field and a Chinese message."""

    code: str
    field: str
    message: str


def check_restrictions(item: Restrictions, patient: PatientFacts, visit: VisitFacts) -> list[Violation]:
    """Every payment restriction the fee line breaks (empty when the fund may pay it)."""
    out: list[Violation] = []
    if item.gend is not None and patient.gend != item.gend:
        out.append(
            Violation(
                "RESTRICT_SEX",
                "gend",
                f"限{SEXES.get(item.gend, item.gend)}性使用，参保人性别为 {patient.gend or '未知'}",
            )
        )
    if item.age_min is not None or item.age_max is not None:
        age = age_on(patient.birth_date, visit.day) if patient.birth_date else None
        low = item.age_min if item.age_min is not None else 0
        high = item.age_max if item.age_max is not None else 200
        if age is None or not low <= age <= high:
            out.append(
                Violation(
                    "RESTRICT_AGE",
                    "age",
                    f"限{low}至{high}周岁使用，参保人年龄为 {age if age is not None else '未知'}",
                )
            )
    if item.hosp_levels:
        tier = hospital_tier(visit.hosp_lv)
        if tier not in item.hosp_levels:
            allowed = "、".join(TIERS[t] for t in sorted(item.hosp_levels) if t in TIERS)
            out.append(
                Violation(
                    "RESTRICT_HOSP_LEVEL",
                    "hosp_levels",
                    f"限{allowed}医疗机构使用，本机构等级为 {TIERS.get(tier or '', '未定级')}",
                )
            )
    if item.inpatient_only and not visit.inpatient:
        out.append(Violation("RESTRICT_INPATIENT", "inpatient_only", "限住院使用，本次为门诊"))
    if item.benefit_only == WORK_INJURY and not visit.work_injury:
        out.append(Violation("RESTRICT_BENEFIT", "benefit_only", "限工伤保险支付，本次非工伤就医"))
    if item.benefit_only == MATERNITY and not visit.maternity:
        out.append(Violation("RESTRICT_BENEFIT", "benefit_only", "限生育保险支付，本次非生育就医"))
    if item.insutypes and visit.insutype not in item.insutypes:
        allowed = "、".join(sorted(item.insutypes))
        out.append(
            Violation(
                "RESTRICT_INSUTYPE",
                "insutypes",
                f"限险种 {allowed} 支付，本次险种为 {visit.insutype or '未知'}",
            )
        )
    if item.max_days is not None and visit.days is not None and visit.days > item.max_days:
        out.append(
            Violation("RESTRICT_DAYS", "max_days", f"单次处方限{item.max_days}天，本次为{visit.days}天")
        )
    return out


def describe_restrictions(item: Restrictions) -> list[str]:
    """The restrictions in Chinese, one phrase each, for pages and exports."""
    lines: list[str] = []
    if item.gend:
        lines.append(f"限{SEXES.get(item.gend, item.gend)}性")
    if item.age_min is not None or item.age_max is not None:
        if item.age_max is None:
            lines.append(f"限{item.age_min}周岁及以上")
        elif item.age_min is None:
            lines.append(f"限{item.age_max}周岁及以下")
        else:
            lines.append(f"限{item.age_min}至{item.age_max}周岁")
    if item.hosp_levels:
        lines.append("限" + "、".join(TIERS.get(t, t) for t in sorted(item.hosp_levels)) + "医疗机构")
    if item.inpatient_only:
        lines.append("限住院")
    if item.benefit_only:
        lines.append(f"限{BENEFITS.get(item.benefit_only, item.benefit_only)}")
    if item.insutypes:
        lines.append("限险种 " + "、".join(sorted(item.insutypes)))
    if item.max_days is not None:
        lines.append(f"单次处方限{item.max_days}天")
    if item.indication:
        lines.append(f"限定支付范围：{item.indication}")
    return lines


# ---------------------------------------------------------------- versions

V = TypeVar("V", bound=HasPeriod)


def item_valid_on(versions: Sequence[V], day: date) -> V | None:
    """The version of one item in force on `day` (None when the item is not in the catalog that day)."""
    return valid_on(list(versions), day)


def plan_version(
    versions: Iterable[V], begin: date, end: date | None, *, code: str, change: bool
) -> tuple[V | None, date | None]:
    """Decide where a new version [begin, end] goes among the existing ones of the same code.

    With `change` (变更), the version in force on `begin` that began earlier is closed the day
    before; it may not run on past the new version's own end. Any other overlap is refused with
    CATALOG_VERSION_OVERLAP naming the conflicting version. Returns (version to close, its new end).
    """
    check_order(begin, end)
    new = _Span(begin, end)
    closing: V | None = None
    for version in versions:
        if not overlaps(version, new):
            continue
        closable = (
            change
            and closing is None
            and version.begin < begin
            and (version.end is None or end is None or version.end <= end)
        )
        if not closable:
            raise _overlap(code, version)
        closing = version
    return closing, (begin - timedelta(days=1)) if closing is not None else None


@dataclass(frozen=True)
class _Span:
    begin: date
    end: date | None


def _overlap(code: str, version: HasPeriod) -> BusinessError:
    ident = getattr(version, "id", None)
    label = f"{version.begin}—{version.end or '长期'}"
    which = f"（版本 {ident}）" if ident is not None else ""
    return conflict(
        "CATALOG_VERSION_OVERLAP",
        f"字段 begin：编码 {code} 的新版本与已有版本 {label}{which} 有效期重叠",
        "begin",
    )


# ---------------------------------------------------------------- code mapping (对码) states

SUBMITTED = "submitted"
APPROVED = "approved"
REJECTED = "rejected"
REVOKED = "revoked"
MAPPING_STATES: dict[str, str] = {
    SUBMITTED: "待审核",
    APPROVED: "已通过",
    REJECTED: "已驳回",
    REVOKED: "已撤销",
}
_TRANSITIONS: dict[tuple[str, str], str] = {
    (SUBMITTED, "approve"): APPROVED,
    (SUBMITTED, "reject"): REJECTED,
    (APPROVED, "revoke"): REVOKED,
}
_ACTIONS_ZH = {"approve": "审核通过", "reject": "驳回", "revoke": "撤销"}


def mapping_transition(status: str, action: str) -> str:
    """The state a mapping moves to: submitted → approved/rejected, approved → revoked; else refused."""
    target = _TRANSITIONS.get((status, action))
    if target is None:
        raise conflict(
            "MAPPING_STATE",
            f"字段 status：对码状态为{MAPPING_STATES.get(status, status)}，"
            f"不能{_ACTIONS_ZH.get(action, action)}",
            "status",
        )
    return target


def mapping_in_force(status: str) -> bool:
    """Whether a mapping in this state is used (inside its period): approved, or revoked up to its end."""
    return status in (APPROVED, REVOKED)


# ---------------------------------------------------------------- price caps


def applicable_cap(
    price_cap: Fen | None, tier_caps: Mapping[str, Fen | None], hosp_lv: str | None
) -> Fen | None:
    """The price cap for an institution: its tier's cap if set, else the item's single cap."""
    tier = hospital_tier(hosp_lv)
    if tier is not None and tier_caps.get(tier) is not None:
        return tier_caps[tier]
    return price_cap


def over_cap(price_fen: Fen, quantity: Decimal | int, cap_fen: Fen | None) -> Fen:
    """The amount above the price cap (超限价金额), which the fund does not pay (002 §3).

    (price - cap) × quantity, rounded half up to the fen here — the one rounding place of this
    calculation. Zero when there is no cap or the price is within it. Quantities may be decimal
    (0.5 支); floats are refused.
    """
    if isinstance(quantity, bool | float):
        raise invalid(
            "CATALOG_QUANTITY_FORMAT", "quantity", "字段 quantity 数量必须为整数或 Decimal，不接受浮点数"
        )
    if cap_fen is None or price_fen <= cap_fen:
        return 0
    excess = Decimal(price_fen - cap_fen) * Decimal(quantity)
    return int(excess.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------- validating an item


class CodeBook(Protocol):
    """The national dictionaries the item checks need."""

    def has(self, dict_name: str, code: str) -> bool: ...


KIND_FIELDS: dict[str, frozenset[str]] = {
    DRUG: frozenset({"generic_name", "dosform", "spec", "manufacturer", "price_cap"}),
    SERVICE: frozenset(
        {"unit", "med_chrgitm_type", "price_cap", "price_cap_lv1", "price_cap_lv2", "price_cap_lv3"}
    ),
    CONSUMABLE: frozenset({"spec", "manufacturer", "price_cap", "high_value", "unit"}),
    FACILITY: frozenset({"unit", "price_cap", "price_cap_lv1", "price_cap_lv2", "price_cap_lv3"}),
}
TYPE_FIELDS = frozenset().union(*KIND_FIELDS.values())


@dataclass
class ItemSpec:
    """A checked catalog item version, ready to store."""

    kind: str
    code: str
    list_type: str
    name: str
    begin: date
    end: date | None
    chrgitm_lv: str
    selfpay_bp: int
    admdvs: str | None = None
    generic_name: str | None = None
    dosform: str | None = None
    spec: str | None = None
    manufacturer: str | None = None
    unit: str | None = None
    med_chrgitm_type: str | None = None
    high_value: bool = False
    price_cap: Fen | None = None
    price_cap_lv1: Fen | None = None
    price_cap_lv2: Fen | None = None
    price_cap_lv3: Fen | None = None
    restrictions: Restrictions = field(default_factory=Restrictions)


_TRUE = {"1", "true", "是", "y", "yes", "t"}
_FALSE = {"", "0", "false", "否", "n", "no", "f"}
_BENEFIT_ALIASES = {"工伤": WORK_INJURY, "生育": MATERNITY, WORK_INJURY: WORK_INJURY, MATERNITY: MATERNITY}


def _text(raw: Mapping[str, object], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _codes(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set | frozenset):
        items = [str(v).strip() for v in value]
    else:
        items = re.split(r"[,，;；/\s]+", str(value))
    return sorted({i.strip() for i in items if i and i.strip()})


def validate_item(kind: str, raw: Mapping[str, object], codebook: CodeBook) -> ItemSpec:  # noqa: PLR0915
    """Check one catalog row (API body, form or file row) and return it typed; every broken field reported.

    Money fields are yuan strings with at most two decimals; the ratio is a fraction or a percent.
    """
    errors: list[FieldError] = []

    def guard(fn: Callable[[], object]) -> object:
        try:
            return fn()
        except BusinessError as exc:
            errors.extend(exc.errors or [FieldError(exc.field or "body", exc.code, exc.message)])
            return None

    if kind not in KINDS:
        raise invalid(
            "CATALOG_KIND", "kind", f"字段 kind 目录类型必须是 {'/'.join(KINDS)} 之一，实际为 {kind!r}"
        )
    list_type = _text(raw, "list_type") or DEFAULT_LIST_TYPE[kind]
    if list_type not in LIST_TYPES[kind]:
        errors.append(
            FieldError(
                "list_type",
                "CATALOG_LIST_TYPE",
                f"字段 list_type 目录类别 {list_type} 不适用于{KINDS[kind]}"
                f"，可选：{'/'.join(LIST_TYPES[kind])}",
            )
        )
    elif not codebook.has("list_type", list_type):
        errors.append(
            FieldError(
                "list_type", "DICT_CODE", f"字段 list_type 的值 {list_type!r} 不是字典 list_type 中的有效代码"
            )
        )
    code = guard(lambda: check_code(kind, list_type, _text(raw, "code")))
    name = _text(raw, "name")
    if not name:
        errors.append(FieldError("name", "REQUIRED", "字段 name（名称）不能为空"))
    elif len(name) > 200:
        errors.append(FieldError("name", "TOO_LONG", "字段 name（名称）不能超过200个字符"))
    begin = guard(lambda: _date(raw, "begin", required=True))
    end = guard(lambda: _date(raw, "end", required=False))
    if isinstance(begin, date) and isinstance(end, date):
        guard(lambda: check_order(begin, end))
    lv = _text(raw, "chrgitm_lv")
    if lv not in CLASSES:
        errors.append(
            FieldError(
                "chrgitm_lv",
                "DICT_CODE",
                f"字段 chrgitm_lv 收费项目等级必须是 01甲类/02乙类/03丙类，实际为 {lv!r}",
            )
        )
    bp = guard(lambda: parse_ratio(raw.get("selfpay_ratio")))
    selfpay = (
        guard(lambda: check_class_ratio(lv, bp if isinstance(bp, int) else None)) if lv in CLASSES else None
    )
    admdvs = _text(raw, "admdvs")
    if admdvs is not None and not re.match(r"^\d{6}$", admdvs):
        errors.append(
            FieldError("admdvs", "ADMDVS_FORMAT", f"字段 admdvs 统筹区编码必须为6位数字，实际为 {admdvs!r}")
        )

    allowed = KIND_FIELDS[kind]
    for name_ in sorted(TYPE_FIELDS - allowed):
        if _text(raw, name_) is not None and not (name_ == "high_value" and _text(raw, name_) in _FALSE):
            errors.append(
                FieldError(
                    name_, "CATALOG_FIELD_NOT_APPLICABLE", f"字段 {name_} 不适用于{KINDS[kind]}，请留空"
                )
            )
    texts: dict[str, str | None] = {}
    for name_, limit, label in (
        ("generic_name", 200, "通用名"),
        ("spec", 200, "规格"),
        ("manufacturer", 200, "生产企业"),
        ("unit", 32, "计价单位"),
    ):
        value = _text(raw, name_) if name_ in allowed else None
        if value is not None and len(value) > limit:
            errors.append(FieldError(name_, "TOO_LONG", f"字段 {name_}（{label}）不能超过{limit}个字符"))
        texts[name_] = value
    dosform = _text(raw, "dosform") if kind == DRUG else None
    if dosform is not None and not codebook.has("drug_dosform", dosform):
        errors.append(
            FieldError(
                "dosform",
                "DICT_CODE",
                f"字段 dosform 的值 {dosform!r} 不是字典 drug_dosform（药品剂型）中的有效代码",
            )
        )
    chrg_type = _text(raw, "med_chrgitm_type") if kind == SERVICE else None
    if kind == SERVICE and chrg_type is None:
        errors.append(
            FieldError("med_chrgitm_type", "REQUIRED", "字段 med_chrgitm_type（医疗收费项目类别）不能为空")
        )
    elif chrg_type is not None and not codebook.has("med_chrgitm_type", chrg_type):
        errors.append(
            FieldError(
                "med_chrgitm_type",
                "DICT_CODE",
                f"字段 med_chrgitm_type 的值 {chrg_type!r} 不是字典 med_chrgitm_type"
                "（医疗收费项目类别）中的有效代码",
            )
        )
    high_value = False
    if kind == CONSUMABLE:
        flag = (_text(raw, "high_value") or "").lower()
        if flag in _TRUE:
            high_value = True
        elif flag not in _FALSE:
            errors.append(
                FieldError(
                    "high_value",
                    "CATALOG_FLAG",
                    f"字段 high_value 高值耗材标志必须是 是/否 或 1/0，实际为 {flag!r}",
                )
            )
    caps: dict[str, int | None] = {}
    for name_ in ("price_cap", "price_cap_lv1", "price_cap_lv2", "price_cap_lv3"):
        caps[name_] = _money(raw, name_, errors) if name_ in allowed else None
    restrictions = _restrictions(raw, codebook, errors)
    if errors:
        raise collect(errors)
    assert isinstance(code, str) and name and isinstance(begin, date) and lv and isinstance(selfpay, int)
    return ItemSpec(
        kind=kind,
        code=code,
        list_type=list_type,
        name=name,
        begin=begin,
        end=end if isinstance(end, date) else None,
        chrgitm_lv=lv,
        selfpay_bp=selfpay,
        admdvs=admdvs,
        generic_name=texts["generic_name"],
        dosform=dosform,
        spec=texts["spec"],
        manufacturer=texts["manufacturer"],
        unit=texts["unit"],
        med_chrgitm_type=chrg_type,
        high_value=high_value,
        price_cap=caps["price_cap"],
        price_cap_lv1=caps["price_cap_lv1"],
        price_cap_lv2=caps["price_cap_lv2"],
        price_cap_lv3=caps["price_cap_lv3"],
        restrictions=restrictions,
    )


def _date(raw: Mapping[str, object], name: str, *, required: bool) -> date | None:
    value = raw.get(name)
    if isinstance(value, date):
        return value
    text = _text(raw, name)
    if text is None:
        if required:
            raise invalid("REQUIRED", name, f"字段 {name} 日期不能为空")
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise invalid("DATE_FORMAT", name, f"字段 {name} 日期格式应为 yyyy-MM-dd，实际为 {text!r}") from exc


def _money(raw: Mapping[str, object], name: str, errors: list[FieldError]) -> int | None:
    text = _text(raw, name)
    if text is None:
        return None
    if isinstance(raw.get(name), float):
        errors.append(
            FieldError(name, "MONEY_NOT_DECIMAL", f"字段 {name} 金额必须以字符串或整数给出，不接受浮点数")
        )
        return None
    try:
        fen = yuan_to_fen(text, field=name)
    except BusinessError as exc:
        errors.append(FieldError(name, exc.code, exc.message))
        return None
    if fen < 0:
        errors.append(FieldError(name, "MONEY_NEGATIVE", f"字段 {name} 金额不能为负数"))
        return None
    return fen


def _int(
    raw: Mapping[str, object], name: str, errors: list[FieldError], *, low: int, high: int
) -> int | None:
    value = raw.get(name)
    text = _text(raw, name)
    if text is None:
        return None
    if isinstance(value, bool | float) or not re.match(r"^\d+$", text):
        errors.append(FieldError(name, "CATALOG_INT", f"字段 {name} 必须是非负整数，实际为 {text!r}"))
        return None
    number = int(text)
    if not low <= number <= high:
        errors.append(
            FieldError(name, "CATALOG_RANGE", f"字段 {name} 必须在{low}到{high}之间，实际为 {number}")
        )
        return None
    return number


def _restrictions(raw: Mapping[str, object], codebook: CodeBook, errors: list[FieldError]) -> Restrictions:
    gend = _text(raw, "restr_gend")
    if gend is not None and gend not in SEXES:
        errors.append(
            FieldError(
                "restr_gend", "CATALOG_RESTR_SEX", f"字段 restr_gend 限定性别必须是 1男/2女，实际为 {gend!r}"
            )
        )
        gend = None
    age_min = _int(raw, "restr_age_min", errors, low=0, high=150)
    age_max = _int(raw, "restr_age_max", errors, low=0, high=150)
    if age_min is not None and age_max is not None and age_max < age_min:
        errors.append(
            FieldError(
                "restr_age_max",
                "CATALOG_RESTR_AGE",
                f"字段 restr_age_max 最大年龄（{age_max}）不能小于最小年龄（{age_min}）",
            )
        )
    levels = _codes(raw.get("restr_hosp_levels"))
    bad_levels = [lv for lv in levels if lv not in TIERS]
    if bad_levels:
        errors.append(
            FieldError(
                "restr_hosp_levels",
                "CATALOG_RESTR_LEVEL",
                "字段 restr_hosp_levels 医院等级必须是 1一级及以下/2二级/3三级，"
                f"实际含 {','.join(bad_levels)}",
            )
        )
    flag = (_text(raw, "restr_inpatient_only") or "").lower()
    inpatient_only = flag in _TRUE
    if not inpatient_only and flag not in _FALSE:
        errors.append(
            FieldError(
                "restr_inpatient_only",
                "CATALOG_FLAG",
                f"字段 restr_inpatient_only 限住院标志必须是 是/否 或 1/0，实际为 {flag!r}",
            )
        )
    benefit_text = _text(raw, "restr_benefit_only")
    benefit = _BENEFIT_ALIASES.get(benefit_text or "") if benefit_text else None
    if benefit_text and benefit is None:
        errors.append(
            FieldError(
                "restr_benefit_only",
                "CATALOG_RESTR_BENEFIT",
                "字段 restr_benefit_only 必须是 work_injury（工伤）或 maternity（生育），"
                f"实际为 {benefit_text!r}",
            )
        )
    insutypes = _codes(raw.get("restr_insutypes"))
    bad_types = [t for t in insutypes if not codebook.has("insutype", t)]
    if bad_types:
        errors.append(
            FieldError(
                "restr_insutypes",
                "DICT_CODE",
                f"字段 restr_insutypes 的值 {','.join(bad_types)} 不是字典 insutype（险种类型）中的有效代码",
            )
        )
    max_days = _int(raw, "restr_max_days", errors, low=1, high=366)
    indication = _text(raw, "restr_indication")
    if indication is not None and len(indication) > 1000:
        errors.append(
            FieldError(
                "restr_indication", "TOO_LONG", "字段 restr_indication（限定支付范围）不能超过1000个字符"
            )
        )
    return Restrictions(
        gend=gend,
        age_min=age_min,
        age_max=age_max,
        hosp_levels=frozenset(levels) - frozenset(bad_levels),
        inpatient_only=inpatient_only,
        benefit_only=benefit,
        insutypes=frozenset(insutypes),
        max_days=max_days,
        indication=indication,
    )
