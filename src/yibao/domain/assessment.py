"""Assessment of designated institutions (考核) and insurance doctors' points (医保医师积分).

Pure: the caller passes every value and day. Units are integers so results are exact:
rates in basis points (bp, 1/10000: 85% = 8500), money in fen, lengths of stay in hundredths of a
day, counts as counts; scores in hundredths of a point (9050 = 90.50 points).

Sources: 001 第3篇 (备药率: 西药 ≥85%, 中成药 ≥50%, 专科医院 ≥90%; 定点药店 非处方西药 ≥85%,
中成药 ≥75%; 个人负担 ≤25%), 001 第6篇 第28条/第39条/第40条/第45条 (备药率, 暂停2至6个月,
下年度指标下浮5%-10%, 在床率95%, 药店暂停6-12个月/3-5年不续签/永久退出), 002 (医保医师积分:
扣分达6分以上暂停或取消, 屡次违规永久取消, 按年度考核).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from yibao.domain.errors import BusinessError, ErrorKind, FieldError, collect, invalid

BP = 10000  # basis points in one whole
FULL_MARKS = 100  # a scorecard's weights add up to 100 points (typical)


class Direction(StrEnum):
    """Whether an indicator is met at or above its target, or at or below it."""

    AT_LEAST = "at_least"  # ≥ target
    AT_MOST = "at_most"  # ≤ target


class Unit(StrEnum):
    """How an indicator's integer values read."""

    BP = "bp"  # rate in basis points
    FEN = "fen"  # money in fen
    CENTIDAY = "centiday"  # days × 100
    COUNT = "count"  # a count (violations, points)


class Method(StrEnum):
    """How a term turns an actual value into points."""

    RATIO = "ratio"  # met → full weight; missed → weight × actual/target (≥) or target/actual (≤)
    DEDUCT = "deduct"  # weight − per_unit × (units beyond the target), never below 0


@dataclass(frozen=True)
class IndicatorKind:
    """A measurable agreement term (协议指标) the assessment knows how to read."""

    code: str
    zh: str
    unit: Unit
    direction: Direction
    source: str  # where the actual value comes from: reports / settlement / rounds / points / manual


INDICATORS: dict[str, IndicatorKind] = {
    k.code: k
    for k in (
        IndicatorKind("stock_rate_western", "西药备药率", Unit.BP, Direction.AT_LEAST, "reports"),
        IndicatorKind("stock_rate_patent", "中成药备药率", Unit.BP, Direction.AT_LEAST, "reports"),
        IndicatorKind("stock_rate_all", "目录内药品备药率（专科）", Unit.BP, Direction.AT_LEAST, "reports"),
        IndicatorKind("cost_per_visit", "门诊次均费用", Unit.FEN, Direction.AT_MOST, "settlement"),
        IndicatorKind("cost_per_stay", "住院次均费用", Unit.FEN, Direction.AT_MOST, "settlement"),
        IndicatorKind("length_of_stay", "平均住院日", Unit.CENTIDAY, Direction.AT_MOST, "settlement"),
        IndicatorKind("self_pay_share", "个人负担比例", Unit.BP, Direction.AT_MOST, "settlement"),
        IndicatorKind("transfer_rate", "转诊转院率", Unit.BP, Direction.AT_MOST, "manual"),
        IndicatorKind("in_bed_rate", "查房在院在床率", Unit.BP, Direction.AT_LEAST, "rounds"),
        IndicatorKind("satisfaction", "满意度", Unit.BP, Direction.AT_LEAST, "manual"),
        IndicatorKind("violations", "查实违规次数", Unit.COUNT, Direction.AT_MOST, "decisions"),
        IndicatorKind("doctor_points", "医保医师扣分合计", Unit.COUNT, Direction.AT_MOST, "points"),
    )
}

# Money-valued settlement indicators are the ones lowered next year (结算指标下浮).
LOWERED_NEXT_YEAR = frozenset({"cost_per_visit", "cost_per_stay"})


@dataclass(frozen=True)
class Term:
    """One indicator of an agreement with its target and weight (points)."""

    code: str
    target: int
    weight: int
    method: Method = Method.RATIO
    per_unit: int = 0  # DEDUCT: hundredths of a point taken per unit beyond the target

    @property
    def kind(self) -> IndicatorKind:
        return INDICATORS[self.code]


def check_terms(terms: Sequence[Term], *, field: str = "terms") -> list[Term]:
    """Terms that can be scored: known codes once each, targets ≥ 0, weights 1–100 adding up to 100."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, t in enumerate(terms):
        where = f"{field}[{i}]"
        if t.code not in INDICATORS:
            allowed = "/".join(INDICATORS)
            errors.append(
                FieldError(
                    f"{where}.code",
                    "INDICATOR_UNKNOWN",
                    f"字段 {where}.code 指标 {t.code!r} 无效，可选：{allowed}",
                )
            )
            continue
        if t.code in seen:
            errors.append(
                FieldError(f"{where}.code", "INDICATOR_DUPLICATE", f"字段 {where}.code 指标 {t.code} 重复")
            )
        seen.add(t.code)
        if t.target < 0:
            errors.append(
                FieldError(f"{where}.target", "TARGET_NEGATIVE", f"字段 {where}.target 目标值不能为负数")
            )
        if INDICATORS[t.code].unit is Unit.BP and t.target > BP:
            errors.append(
                FieldError(
                    f"{where}.target", "TARGET_RANGE", f"字段 {where}.target 比率目标不能超过10000（100%）"
                )
            )
        if not 1 <= t.weight <= FULL_MARKS:
            errors.append(
                FieldError(f"{where}.weight", "WEIGHT_RANGE", f"字段 {where}.weight 权重须为1至100分")
            )
        if t.method is Method.DEDUCT and t.per_unit <= 0:
            errors.append(
                FieldError(
                    f"{where}.per_unit",
                    "PER_UNIT_REQUIRED",
                    f"字段 {where}.per_unit 扣分法须给出每单位扣分（大于0）",
                )
            )
    if not terms:
        errors.append(FieldError(field, "TERMS_EMPTY", f"字段 {field} 至少需要一项考核指标"))
    elif not errors and sum(t.weight for t in terms) != FULL_MARKS:
        total = sum(t.weight for t in terms)
        errors.append(
            FieldError(field, "WEIGHTS_SUM", f"字段 {field} 各指标权重之和须为100分，实际为 {total}")
        )
    if errors:
        raise collect(errors)
    return list(terms)


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (the one rounding place of scores)."""
    return int((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def score_term(term: Term, actual: int) -> int:
    """Points (hundredths) a term earns for an actual value; never negative, never above its weight."""
    full = term.weight * 100
    actual = max(actual, 0)
    if term.method is Method.DEDUCT:
        beyond = actual - term.target if term.kind.direction is Direction.AT_MOST else term.target - actual
        return max(0, full - term.per_unit * max(0, beyond))
    if term.kind.direction is Direction.AT_LEAST:
        if actual >= term.target:
            return full
        return half_up(full * actual, term.target)  # target > actual ≥ 0, so target > 0
    if actual <= term.target:
        return full
    return min(full, half_up(full * term.target, actual))


@dataclass(frozen=True)
class TermScore:
    """A scored term: target, actual, met or not, points earned."""

    code: str
    zh: str
    target: int
    actual: int
    weight: int
    met: bool
    points: int  # hundredths of a point


def met(term: Term, actual: int) -> bool:
    """Whether the actual value meets the target in the indicator's direction."""
    if term.kind.direction is Direction.AT_LEAST:
        return actual >= term.target
    return actual <= term.target


def score(terms: Sequence[Term], actuals: Mapping[str, int]) -> tuple[int, list[TermScore]]:
    """The total score (hundredths of a point, 0–10000) and each term's points; every term needs a value."""
    missing = [t.code for t in terms if t.code not in actuals]
    if missing:
        names = "、".join(f"{c}（{INDICATORS[c].zh}）" for c in missing)
        raise invalid("ACTUAL_MISSING", "actuals", f"字段 actuals 缺少指标实际值：{names}")
    items = [
        TermScore(
            t.code,
            t.kind.zh,
            t.target,
            actuals[t.code],
            t.weight,
            met(t, actuals[t.code]),
            score_term(t, actuals[t.code]),
        )
        for t in terms
    ]
    return sum(i.points for i in items), items


# ---- grades and consequences ------------------------------------------------------------------------

MEDICAL = "1"  # fixmedins_type 1 定点医疗机构
PHARMACY = "2"  # fixmedins_type 2 定点零售药店


@dataclass(frozen=True)
class Consequence:
    """What a grade brings (考核结果运用): payment, deposit, next year's targets, suspension, exit."""

    payment_coefficient_bp: int = BP  # 结算系数: share of the assessed payment paid
    withhold_deposit_bp: int = 0  # 扣留质量保证金比例
    lower_next_year_bp: int = 0  # 下年度结算指标下浮 (500–1000)
    suspend_months: int = 0  # 暂停协议: medical 2–6, pharmacy 6–12 months
    terminate: bool = False  # 解除协议 / 取消定点资格
    no_renew_years: int = 0  # pharmacies: 3–5 years without renewal (不再续签)
    permanent_exit: bool = False  # pharmacies: 永久退出
    notice: bool = False  # 通报批评
    rectify: bool = False  # 限期整改

    def summary(self) -> str:
        """The consequence in one Chinese line."""
        parts: list[str] = []
        if self.payment_coefficient_bp != BP:
            parts.append(f"结算系数{self.payment_coefficient_bp / 100:.2f}%")
        if self.withhold_deposit_bp:
            parts.append(f"扣留保证金{self.withhold_deposit_bp / 100:.2f}%")
        if self.lower_next_year_bp:
            parts.append(f"下年度指标下浮{self.lower_next_year_bp / 100:.2f}%")
        if self.suspend_months:
            parts.append(f"暂停协议{self.suspend_months}个月")
        if self.no_renew_years:
            parts.append(f"{self.no_renew_years}年内不再续签")
        if self.permanent_exit:
            parts.append("永久退出")
        elif self.terminate:
            parts.append("解除协议")
        if self.notice:
            parts.append("通报批评")
        if self.rectify:
            parts.append("限期整改")
        return "；".join(parts) or "无"


@dataclass(frozen=True)
class GradeBand:
    """A credit grade (信用等级) reached from `min_score` (hundredths of a point) upward."""

    grade: str
    label: str
    min_score: int
    consequence: Consequence = field(default_factory=Consequence)


def _consequence_errors(c: Consequence, fixmedins_type: str, where: str) -> list[FieldError]:
    errors: list[FieldError] = []

    def bad(name: str, code: str, rule: str) -> None:
        errors.append(FieldError(f"{where}.{name}", code, f"字段 {where}.{name} {rule}"))

    if not 0 <= c.payment_coefficient_bp <= BP:
        bad("payment_coefficient_bp", "COEFFICIENT_RANGE", "结算系数须在0至10000（100%）之间")
    if not 0 <= c.withhold_deposit_bp <= BP:
        bad("withhold_deposit_bp", "WITHHOLD_RANGE", "扣留保证金比例须在0至10000之间")
    if c.lower_next_year_bp and not 500 <= c.lower_next_year_bp <= 1000:
        bad("lower_next_year_bp", "LOWERING_RANGE", "下年度指标下浮须为0或500至1000（5%至10%，001 第39条）")
    low, high = (6, 12) if fixmedins_type == PHARMACY else (2, 6)
    if c.suspend_months and not low <= c.suspend_months <= high:
        who = "定点药店" if fixmedins_type == PHARMACY else "定点医疗机构"
        bad(
            "suspend_months",
            "SUSPEND_MONTHS_RANGE",
            f"{who}暂停协议须为0或{low}至{high}个月（001 第39/45条）",
        )
    if c.no_renew_years and (fixmedins_type != PHARMACY or not 3 <= c.no_renew_years <= 5):
        bad("no_renew_years", "NO_RENEW_RANGE", "不再续签年限仅用于定点药店，须为3至5年（001 第45条）")
    if c.permanent_exit and fixmedins_type != PHARMACY:
        bad("permanent_exit", "PERMANENT_EXIT_PHARMACY", "永久退出仅用于定点药店（001 第45条）")
    return errors


def check_grades(
    bands: Sequence[GradeBand], fixmedins_type: str, *, field: str = "grades"
) -> list[GradeBand]:
    """A grade table: distinct grades and thresholds, one band starting at 0, lawful consequences."""
    errors: list[FieldError] = []
    if not bands:
        errors.append(FieldError(field, "GRADES_EMPTY", f"字段 {field} 至少需要一个信用等级"))
    grades = [b.grade for b in bands]
    if len(set(grades)) != len(grades):
        errors.append(FieldError(field, "GRADE_DUPLICATE", f"字段 {field} 信用等级代码重复"))
    mins = [b.min_score for b in bands]
    if len(set(mins)) != len(mins):
        errors.append(FieldError(field, "GRADE_THRESHOLD_DUPLICATE", f"字段 {field} 等级分数线重复"))
    if bands and min(mins) != 0:
        errors.append(FieldError(field, "GRADE_FLOOR", f"字段 {field} 须有一个等级从0分起"))
    for i, b in enumerate(bands):
        if not 0 <= b.min_score <= FULL_MARKS * 100:
            errors.append(
                FieldError(
                    f"{field}[{i}].min_score",
                    "GRADE_THRESHOLD_RANGE",
                    f"字段 {field}[{i}].min_score 分数线须在0至10000（100分）之间",
                )
            )
        errors += _consequence_errors(b.consequence, fixmedins_type, f"{field}[{i}]")
    if errors:
        raise collect(errors)
    return sorted(bands, key=lambda b: b.min_score, reverse=True)


def grade_for(bands: Sequence[GradeBand], points: int) -> GradeBand:
    """The highest band whose threshold the score reaches."""
    ordered = sorted(bands, key=lambda b: b.min_score, reverse=True)
    for band in ordered:
        if points >= band.min_score:
            return band
    return ordered[-1]


def severity(c: Consequence) -> tuple[int, ...]:
    """An order of consequences from lightest to heaviest (used to check a table is monotone)."""
    return (
        int(c.permanent_exit),
        int(c.terminate),
        c.no_renew_years,
        c.suspend_months,
        c.lower_next_year_bp,
        c.withhold_deposit_bp,
        BP - c.payment_coefficient_bp,
    )


# Typical tables: a region loads its own (`yibao assessment config`); these are the defaults offered.
DEFAULT_GRADES: dict[str, list[GradeBand]] = {
    MEDICAL: [
        GradeBand("A", "优秀", 9000),
        GradeBand("B", "良好", 8000),
        GradeBand(
            "C",
            "合格",
            7000,
            Consequence(payment_coefficient_bp=9800, withhold_deposit_bp=2000, rectify=True),
        ),
        GradeBand(
            "D",
            "基本合格",
            6000,
            Consequence(
                payment_coefficient_bp=9500,
                withhold_deposit_bp=5000,
                lower_next_year_bp=500,
                notice=True,
                rectify=True,
            ),
        ),
        GradeBand(
            "E",
            "不合格",
            0,
            Consequence(
                payment_coefficient_bp=9000,
                withhold_deposit_bp=BP,
                lower_next_year_bp=1000,
                suspend_months=3,
                notice=True,
            ),
        ),
    ],
    PHARMACY: [
        GradeBand("A", "优秀", 9000),
        GradeBand("B", "良好", 8000),
        GradeBand("C", "合格", 7000, Consequence(withhold_deposit_bp=2000, rectify=True)),
        GradeBand(
            "D", "基本合格", 6000, Consequence(withhold_deposit_bp=5000, suspend_months=6, notice=True)
        ),
        GradeBand(
            "E",
            "不合格",
            0,
            Consequence(withhold_deposit_bp=BP, terminate=True, no_renew_years=3, notice=True),
        ),
    ],
}

# Typical agreement terms by profile (weights add to 100): targets from 001 where it gives them.
DEFAULT_TERMS: dict[str, list[Term]] = {
    "general": [  # 综合医院
        Term("stock_rate_western", 8500, 15),
        Term("stock_rate_patent", 5000, 10),
        Term("cost_per_visit", 20000, 10),
        Term("cost_per_stay", 900000, 15),
        Term("length_of_stay", 1000, 10),
        Term("self_pay_share", 2500, 10),
        Term("in_bed_rate", 9500, 10),
        Term("satisfaction", 9000, 5),
        Term("violations", 0, 10, Method.DEDUCT, 500),
        Term("doctor_points", 0, 5, Method.DEDUCT, 100),
    ],
    "specialist": [  # 专科医院
        Term("stock_rate_all", 9000, 25),
        Term("cost_per_visit", 20000, 10),
        Term("cost_per_stay", 900000, 15),
        Term("length_of_stay", 1000, 10),
        Term("self_pay_share", 2500, 10),
        Term("in_bed_rate", 9500, 10),
        Term("satisfaction", 9000, 5),
        Term("violations", 0, 10, Method.DEDUCT, 500),
        Term("doctor_points", 0, 5, Method.DEDUCT, 100),
    ],
    "pharmacy": [  # 定点零售药店: 非处方西药供应率 85%, 中成药 75%
        Term("stock_rate_western", 8500, 35),
        Term("stock_rate_patent", 7500, 25),
        Term("satisfaction", 9000, 15),
        Term("violations", 0, 25, Method.DEDUCT, 1000),
    ],
}
PROFILES = {"general": "综合医院", "specialist": "专科医院", "pharmacy": "定点零售药店"}


def lower_terms(terms: Sequence[Term], lowering_bp: int) -> list[Term]:
    """Next year's terms after a lowering (下年度结算指标下浮): money targets cut by the share, half up."""
    if lowering_bp == 0:
        return list(terms)
    return [
        replace(t, target=half_up(t.target * (BP - lowering_bp), BP)) if t.code in LOWERED_NEXT_YEAR else t
        for t in terms
    ]


# ---- periods -----------------------------------------------------------------------------------------


class PeriodKind(StrEnum):
    """How often an assessment runs."""

    MONTH = "month"  # 月度 2026-03
    QUARTER = "quarter"  # 季度 2026Q1
    YEAR = "year"  # 年度 2026


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    """An assessment or report period: its key, kind, first and last day."""

    key: str
    kind: PeriodKind
    begin: date
    end: date


def _month_end(year: int, month: int) -> date:
    return (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)


def parse_period(value: str | None, *, field: str = "period") -> Period:
    """A period key: yyyy-MM (month), yyyyQn (quarter) or yyyy (year)."""
    text = (value or "").strip().upper()
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12 and year >= 1990:
            return Period(text, PeriodKind.MONTH, date(year, month, 1), _month_end(year, month))
    elif m := _QUARTER.match(text):
        year, q = int(m.group(1)), int(m.group(2))
        if year >= 1990:
            return Period(text, PeriodKind.QUARTER, date(year, 3 * q - 2, 1), _month_end(year, 3 * q))
    elif (m := _YEAR.match(text)) and int(text) >= 1990:
        year = int(m.group(1))
        return Period(text, PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31))
    raise invalid(
        "PERIOD_FORMAT",
        field,
        f"字段 {field} 考核期须为 yyyy-MM（月）、yyyyQn（季）或 yyyy（年），实际为 {value!r}",
    )


# ---- monthly drug purchase reports and the stock rate (备药率) ----------------------------------------


class DrugCategory(StrEnum):
    """Drug category read from the national drug code's first letter (医保药品分类与代码)."""

    WESTERN = "western"  # X 西药
    PATENT = "patent"  # Z 中成药
    HERBAL = "herbal"  # T 中药饮片


DRUG_CATEGORY_ZH = {
    DrugCategory.WESTERN: "西药",
    DrugCategory.PATENT: "中成药",
    DrugCategory.HERBAL: "中药饮片",
}
_CATEGORY_LETTER = {"X": DrugCategory.WESTERN, "Z": DrugCategory.PATENT, "T": DrugCategory.HERBAL}
_DRUG_CODE = re.compile(r"^[XZT][A-Z0-9]{4,31}$")


def drug_category(code: str) -> DrugCategory | None:
    """The category of a national drug code (X 西药, Z 中成药, T 中药饮片), or None if malformed."""
    text = code.strip().upper()
    if not _DRUG_CODE.match(text):
        return None
    return _CATEGORY_LETTER[text[0]]


@dataclass(frozen=True)
class PurchaseLine:
    """One checked row of a monthly purchase report (药品采购月报)."""

    drug_code: str
    drug_name: str
    maker: str
    channel: str
    purchase_day: date
    quantity: int
    purchase_price: int  # fen per unit
    sale_price: int  # fen per unit


@dataclass(frozen=True)
class RawPurchaseRow:
    """A purchase report row as received (text cells)."""

    drug_code: str | None
    drug_name: str | None
    maker: str | None
    channel: str | None
    purchase_day: str | None
    quantity: str | None
    purchase_price: str | None  # yuan, at most two decimals
    sale_price: str | None


def _yuan_fen(text: str | None, name: str, errors: list[FieldError]) -> int | None:
    raw = (text or "").strip()
    try:
        value = Decimal(raw)
    except Exception:
        value = None
    if value is None or not value.is_finite() or value != value.quantize(Decimal("0.01")):
        errors.append(
            FieldError(name, "MONEY_FORMAT", f"字段 {name} 不是有效金额（元，最多两位小数）：{raw!r}")
        )
        return None
    if value < 0:
        errors.append(FieldError(name, "MONEY_NEGATIVE", f"字段 {name} 金额不能为负数"))
        return None
    return int(value * 100)


def check_purchase_row(
    row: RawPurchaseRow, period: Period, known_codes: Iterable[str] | set[str]
) -> tuple[PurchaseLine | None, list[FieldError]]:
    """A report row checked: a known national drug code, maker, channel, a day inside the month,
    a quantity ≥ 0 and prices in yuan ≥ 0 — or every broken rule of the row."""
    errors: list[FieldError] = []
    known = known_codes if isinstance(known_codes, set) else set(known_codes)
    code = (row.drug_code or "").strip().upper()
    if drug_category(code) is None:
        errors.append(
            FieldError(
                "drug_code",
                "DRUG_CODE_FORMAT",
                f"字段 drug_code 须为国家医保药品编码（X/Z/T开头），实际为 {row.drug_code!r}",
            )
        )
    elif code not in known:
        errors.append(
            FieldError("drug_code", "DRUG_CODE_UNKNOWN", f"字段 drug_code 药品编码 {code} 不在药品目录库中")
        )
    texts: dict[str, str] = {}
    for name, label, value in (
        ("drug_name", "药品名称", row.drug_name),
        ("maker", "生产厂家", row.maker),
        ("channel", "购入渠道", row.channel),
    ):
        text = (value or "").strip()
        if not text:
            errors.append(FieldError(name, "REQUIRED", f"字段 {name}（{label}）不能为空"))
        elif len(text) > 200:
            errors.append(FieldError(name, "TOO_LONG", f"字段 {name}（{label}）不能超过200个字符"))
        texts[name] = text
    day: date | None = None
    try:
        day = date.fromisoformat((row.purchase_day or "").strip())
    except ValueError:
        errors.append(
            FieldError(
                "purchase_day",
                "DATE_FORMAT",
                f"字段 purchase_day 日期格式应为 yyyy-MM-dd，实际为 {row.purchase_day!r}",
            )
        )
    if day is not None and not period.begin <= day <= period.end:
        errors.append(
            FieldError(
                "purchase_day",
                "DATE_OUTSIDE_PERIOD",
                f"字段 purchase_day 采购日期 {day} 不在报告期 {period.key}（{period.begin}至{period.end}）内",
            )
        )
    quantity: int | None = None
    qty_text = (row.quantity or "").strip()
    if not re.fullmatch(r"-?\d{1,12}", qty_text):
        errors.append(
            FieldError("quantity", "QUANTITY_FORMAT", f"字段 quantity 数量须为整数，实际为 {row.quantity!r}")
        )
    elif int(qty_text) < 0:
        errors.append(
            FieldError("quantity", "QUANTITY_NEGATIVE", f"字段 quantity 数量不能为负数（{qty_text}）")
        )
    else:
        quantity = int(qty_text)
    buy = _yuan_fen(row.purchase_price, "purchase_price", errors)
    sell = _yuan_fen(row.sale_price, "sale_price", errors)
    if errors or day is None or quantity is None or buy is None or sell is None:
        return None, errors
    return PurchaseLine(
        code, texts["drug_name"], texts["maker"], texts["channel"], day, quantity, buy, sell
    ), []


@dataclass(frozen=True)
class StockRate:
    """A stock rate: catalog drugs in stock over all drugs in stock (distinct codes), in bp."""

    category: str
    listed: int
    total: int

    @property
    def rate_bp(self) -> int:
        return half_up(self.listed * BP, self.total) if self.total else 0


def stock_rates(stocked: Mapping[str, bool]) -> dict[str, StockRate]:
    """Stock rates by category from distinct drug codes in stock → whether each is a catalog drug
    (甲类/乙类; 丙类 counts as outside). Keys: western, patent, herbal and all (western + patent)."""
    counts: dict[str, list[int]] = {c.value: [0, 0] for c in DrugCategory}
    counts["all"] = [0, 0]
    for code, listed in stocked.items():
        category = drug_category(code)
        if category is None:
            continue
        for key in (category.value, "all") if category is not DrugCategory.HERBAL else (category.value,):
            counts[key][1] += 1
            counts[key][0] += int(listed)
    return {k: StockRate(k, v[0], v[1]) for k, v in counts.items()}


STOCK_INDICATOR = {"stock_rate_western": "western", "stock_rate_patent": "patent", "stock_rate_all": "all"}


# ---- insurance doctors' points (医保医师积分) ----------------------------------------------------------


@dataclass(frozen=True)
class PointRule:
    """A violation and the points it costs a doctor (扣分标准)."""

    code: str
    label: str
    points: int
    severe: bool = False  # 情节严重: cancels the qualification at once


@dataclass(frozen=True)
class PointsTable:
    """A region's doctor points table: rules, thresholds and the suspension length."""

    rules: tuple[PointRule, ...]
    suspend_at: int = 6  # 扣分达6分以上暂停 (002)
    cancel_at: int = 12  # 再超过一定分值永久取消 (002, typical 12)
    suspend_months: int = 6  # typical
    cancel_on_repeat: bool = True  # 屡次违规 (a second suspension within the memory) cancels
    repeat_years: int = 3  # how many years back a former suspension counts as "repeated" (typical)

    def rule(self, code: str) -> PointRule:
        for r in self.rules:
            if r.code == code:
                return r
        allowed = "/".join(r.code for r in self.rules)
        raise invalid(
            "VIOLATION_UNKNOWN",
            "violation",
            f"字段 violation 违规类型 {code!r} 不在扣分标准中，可选：{allowed}",
        )


def check_points_table(table: PointsTable, *, field: str = "points") -> PointsTable:
    """A points table: distinct codes, 1–12 points a rule, 1 ≤ suspend_at < cancel_at, 1–24 months."""
    errors: list[FieldError] = []
    codes = [r.code for r in table.rules]
    if not codes:
        errors.append(FieldError(f"{field}.rules", "RULES_EMPTY", f"字段 {field}.rules 至少需要一条扣分标准"))
    if len(set(codes)) != len(codes):
        errors.append(FieldError(f"{field}.rules", "RULE_DUPLICATE", f"字段 {field}.rules 违规类型代码重复"))
    for i, r in enumerate(table.rules):
        if not r.code.strip() or not r.label.strip():
            errors.append(
                FieldError(f"{field}.rules[{i}]", "REQUIRED", f"字段 {field}.rules[{i}] 代码和名称不能为空")
            )
        if not 1 <= r.points <= 12:
            errors.append(
                FieldError(
                    f"{field}.rules[{i}].points",
                    "POINTS_RANGE",
                    f"字段 {field}.rules[{i}].points 扣分须为1至12分",
                )
            )
    if not 1 <= table.suspend_at < table.cancel_at:
        errors.append(
            FieldError(
                f"{field}.suspend_at",
                "THRESHOLD_ORDER",
                f"字段 {field}.suspend_at 暂停分值须≥1且小于取消分值 cancel_at",
            )
        )
    if not 1 <= table.suspend_months <= 24:
        errors.append(
            FieldError(
                f"{field}.suspend_months",
                "SUSPEND_MONTHS_RANGE",
                f"字段 {field}.suspend_months 暂停月数须为1至24",
            )
        )
    if not 1 <= table.repeat_years <= 10:
        errors.append(
            FieldError(
                f"{field}.repeat_years", "REPEAT_YEARS_RANGE", f"字段 {field}.repeat_years 须为1至10年"
            )
        )
    if errors:
        raise collect(errors)
    return table


DEFAULT_POINTS = PointsTable(
    rules=(
        PointRule("unreasonable_prescription", "不合理用药、超量开药", 2),
        PointRule("split_prescription", "分解处方、分解住院", 2),
        PointRule("swap_items", "串换药品或诊疗项目", 3),
        PointRule("no_consent", "自费项目未告知签字", 1),
        PointRule("false_admission", "挂床住院、冒名住院", 6),
        PointRule("forged_records", "伪造医疗文书骗取医保基金", 12, severe=True),
        # a confirmed monitoring case (智能监控疑点经核查确认违规), once per doctor the case names
        PointRule("monitoring_confirmed", "智能监控疑点经核查确认违规", 2),
    )
)


class DoctorOutcome(StrEnum):
    """What a deduction does to the doctor's qualification."""

    NONE = "none"
    SUSPEND = "suspend"  # 暂停医保医师资格
    CANCEL = "cancel"  # 取消医保医师资格 (permanent)


def points_outcome(
    table: PointsTable, *, year_points: int, rule: PointRule, status: str, suspensions_recently: int
) -> tuple[int, DoctorOutcome]:
    """The year's points after a deduction and its outcome: severe or ≥ cancel_at cancels; reaching
    suspend_at suspends, or cancels when the doctor was already suspended recently (屡次违规);
    a doctor already suspended is not suspended twice; a cancelled one stays cancelled."""
    total = year_points + rule.points
    if status == "cancelled":
        return total, DoctorOutcome.NONE
    if rule.severe or total >= table.cancel_at:
        return total, DoctorOutcome.CANCEL
    if total >= table.suspend_at and year_points < table.suspend_at:
        if table.cancel_on_repeat and suspensions_recently > 0:
            return total, DoctorOutcome.CANCEL
        if status == "suspended":
            return total, DoctorOutcome.NONE
        return total, DoctorOutcome.SUSPEND
    return total, DoctorOutcome.NONE


def refuse_config(code: str, message: str) -> BusinessError:
    """A configuration that cannot be used (conflict with what is stored)."""
    return BusinessError(code=code, message=message, kind=ErrorKind.CONFLICT)


def near_suspension(points: int, suspend_at: int, margin: int) -> bool:
    """Whether a doctor's year points stand within `margin` below the suspension threshold (临近暂停):
    at 6 with a margin of 2, 4 and 5 points are near; 6 and more are already suspended, 3 is not near."""
    return suspend_at - margin <= points < suspend_at
