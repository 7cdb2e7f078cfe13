"""Payment methods (支付方式) and clearing arithmetic: pure, integer fen, explicit rounding.

- regional DRG payment tables (DRG 付费标准): the 27 published layouts normalised to one row shape;
- DRG case payment: base rate × RW × level coefficient, low/high outliers paid by item, cases
  excluded by rule (stay ≤ 2 or ≥ 60 days, death within 24 h …) paid by item;
- per bed-day (按床日), capitation (按人头), single-disease fixed prices (单病种);
- global budget with the dual control of seed 002 (总额控制 "双控": per-case quota and yearly admission
  cap per institution, outpatient/inpatient ratio, drug share, admissions per person), mid-year
  adjustment and year-end over-quota sharing (institution bears 30 %, savings carried over);
- clearing statement arithmetic: declared − deducted → method amount → sharing → payable − prepaid.

Every rounding goes through `money.ratio_of` (half up, to the fen).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Final

from yibao.domain.errors import invalid
from yibao.domain.money import Fen, ratio_of

# -- regional DRG payment tables ----------------------------------------------------------------

_CODE_COLS: Final = ("DRG编码", "DRG", "DRG组编码", "分组编码")
_NAME_COLS: Final = ("DRG名称", "DRG组名称", "分组名称")
_RW_COLS: Final = ("RW", "权重", "初始权重")
_POINTS_COLS: Final = ("标准分值",)
_KIND_HINTS: Final = (
    "病组类型",
    "病组标识",
    "基础病组",
    "稳定",
    "单议病组",
    "不稳定病组",
    "中医优势病组",
    "同等费率病组",
)
_QUALIFIED = re.compile(r"^(.*?)（(.*)）$")
_LEVELS: Final = (
    ("省三甲", "3A+"),
    ("三甲", "3A"),
    ("三乙", "3B"),
    ("一级及基层", "1"),
    ("三级", "3"),
    ("二级", "2"),
    ("一级", "1"),
)

ALL: Final = "*"  # qualifier of a value that applies to every level and scheme


def _level_of(text: str) -> str | None:
    for word, code in _LEVELS:
        if word in text:
            return code
    return None


def _insutype_of(text: str) -> str | None:
    if "职工" in text:
        return "310"
    if "居民" in text:
        return "390"
    return None


def qualifier(label: str) -> str:
    """A column's qualifier as `level/insutype` ("3/310", "2/*", "*/*"), or the raw text if unknown."""
    level = _level_of(label)
    insu = _insutype_of(label)
    if level is None and insu is None:
        return label if label else ALL
    return f"{level or ALL}/{insu or ALL}"


@dataclass(frozen=True)
class DrgRate:
    """One DRG of a regional payment table (付费标准), normalised."""

    drg_code: str
    drg_name: str
    rw: Decimal | None  # 相对权重
    points: Decimal | None = None  # 标准分值 (tables that publish points instead of RW)
    kind: str = ""  # 病组类型 / 标识 as published (基础组, 不稳定病组, 单议 …)
    base_rate: Mapping[str, Fen] = field(default_factory=dict)  # 费率 by qualifier
    level_coef: Mapping[str, Decimal] = field(default_factory=dict)  # 等级系数 by level
    standard: Mapping[str, Fen] = field(default_factory=dict)  # 支付标准 by qualifier
    low_threshold: Mapping[str, Fen] = field(default_factory=dict)  # 低倍临界值
    high_threshold: Mapping[str, Fen] = field(default_factory=dict)  # 高倍临界值
    average_cost: Mapping[str, Fen] = field(default_factory=dict)  # 例均费用

    @property
    def single_negotiation(self) -> bool:
        """单议/不稳定/未覆盖 groups are not paid by the table (paid by item or negotiated)."""
        return any(word in self.kind for word in ("单议", "不稳定", "未覆盖", "按项目"))


def _decimal(value: str, *, row: int, column: str, notes: list[str]) -> Decimal | None:
    """A published number; a word in a number column (按项目据实支付 …) becomes a note of the row."""
    text = value.strip().replace(",", "")
    if text in ("", "-", "—", "/"):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        notes.append(f"{column}：{text}")
        return None
    if not number.is_finite() or number < 0:
        raise invalid("PAYMENT_TABLE_NUMBER", column, f"第 {row} 行列 {column} 不是有效数字：{value!r}")
    return number


def _fen(value: Decimal) -> Fen:
    """Published yuan amounts (often with 4+ decimals) to fen, half up."""
    return ratio_of(100, value)


def parse_payment_table(text: str) -> list[DrgRate]:  # noqa: PLR0915 - one pass over 27 layouts
    """Read one published regional table (CSV, any of the 27 layouts) into normalised rows."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise invalid("PAYMENT_TABLE_EMPTY", "file", "付费标准文件为空") from exc
    code_col = next((i for i, h in enumerate(header) if h in _CODE_COLS), None)
    name_col = next((i for i, h in enumerate(header) if h in _NAME_COLS), None)
    if code_col is None or name_col is None:
        raise invalid("PAYMENT_TABLE_COLUMNS", "header", f"付费标准缺少 DRG 编码或名称列：{header}")
    rows: list[DrgRate] = []
    seen: set[str] = set()
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        cells.extend([""] * (len(header) - len(cells)))
        code = cells[code_col].strip()
        if code == "0":
            code = "0000"
        if not code or code in seen:
            continue
        seen.add(code)
        rw: Decimal | None = None
        points: Decimal | None = None
        kinds: list[str] = []
        base: dict[str, Fen] = {}
        coef: dict[str, Decimal] = {}
        standard: dict[str, Fen] = {}
        low: dict[str, Fen] = {}
        high: dict[str, Fen] = {}
        avg: dict[str, Fen] = {}
        for i, col in enumerate(header):
            if i in (code_col, name_col):
                continue
            value = cells[i].strip()
            m = _QUALIFIED.match(col)
            stem, label = (m.group(1), m.group(2)) if m else (col, "")
            if col in _RW_COLS:
                rw = _decimal(value, row=number, column=col, notes=kinds)
            elif col in _POINTS_COLS:
                points = _decimal(value, row=number, column=col, notes=kinds)
            elif any(h in col for h in _KIND_HINTS) or col == "备注":
                if value and value not in ("否",):
                    kinds.append(col if value in ("是", "※") else value)
            elif "系数" in col:
                amount = _decimal(value, row=number, column=col, notes=kinds)
                if amount is not None:
                    coef[_level_of(col) or qualifier(label)] = amount
            else:
                amount = _decimal(value, row=number, column=col, notes=kinds)
                if amount is None:
                    continue
                q = qualifier(label or stem.replace("医院支付标准", "").replace("支付标准", ""))
                if "费率" in stem:
                    base[q] = _fen(amount)
                elif "支付标准" in stem:
                    standard[q] = _fen(amount)
                elif "低倍" in stem:
                    low[q] = _fen(amount)
                elif "高倍" in stem:
                    high[q] = _fen(amount)
                elif "例均" in stem:
                    avg[q] = _fen(amount)
        rows.append(
            DrgRate(
                drg_code=code,
                drg_name=cells[name_col].strip(),
                rw=rw,
                points=points,
                kind="、".join(kinds),
                base_rate=base,
                level_coef=coef,
                standard=standard,
                low_threshold=low,
                high_threshold=high,
                average_cost=avg,
            )
        )
    if not rows:
        raise invalid("PAYMENT_TABLE_EMPTY", "file", "付费标准没有任何病组行")
    return rows


def _pick(values: Mapping[str, Fen], level: str, insutype: str) -> Fen | None:
    for key in (f"{level}/{insutype}", f"{level}/{ALL}", f"{ALL}/{insutype}", ALL, f"{ALL}/{ALL}"):
        if key in values:
            return values[key]
    if len(values) == 1:
        return next(iter(values.values()))
    return None


# -- DRG case payment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DrgPricing:
    """The region's DRG parameters in force (configurable per region, scheme and period)."""

    base_rate: Fen  # 基础费率, used when the table has no own rate or standard
    level_coef: Decimal = Decimal(1)  # 等级系数 (when the table has none for the level)
    low_ratio: Decimal = Decimal("0.35")  # 低倍率: total cost below ratio × standard
    high_ratio: Decimal = Decimal(2)  # 高倍率: total cost above ratio × standard
    min_days: int = 2  # stay ≤ min_days is excluded (paid by item)
    max_days: int = 60  # stay ≥ max_days is excluded
    point_value: Fen | None = None  # fen per point, for tables publishing points (标准分值) instead of RW


@dataclass(frozen=True)
class DrgCase:
    """One inpatient discharge to pay by DRG."""

    setl_id: str
    drg_code: str
    total_fen: Fen  # 医疗总费用 (of the covered part)
    ipt_days: int
    level: str = "3"  # hospital level 1/2/3/3A…
    insutype: str = "310"
    dscg_way: str = ""  # 5 死亡 …


@dataclass(frozen=True)
class DrgPayment:
    """What the fund recognises for one case and why (支付结果)."""

    setl_id: str
    drg_code: str
    standard_fen: Fen  # 支付标准
    paid_fen: Fen  # 病组支付金额
    category: str  # normal / low / high / excluded / error / negotiated
    reason: str


def standard_of(rate: DrgRate, pricing: DrgPricing, *, level: str, insutype: str) -> Fen | None:
    """The payment standard of a DRG for a level and scheme: published, else rate × RW × coefficient."""
    published = _pick(rate.standard, level, insutype)
    if published is not None and published > 0:
        return published
    coef = rate.level_coef.get(level) or rate.level_coef.get(level[:1]) or pricing.level_coef
    if rate.rw is not None and rate.rw > 0:
        base = _pick(rate.base_rate, level, insutype) or pricing.base_rate
        return ratio_of(base, rate.rw * coef)
    if rate.points is not None and pricing.point_value is not None:
        return ratio_of(pricing.point_value, rate.points * coef)
    return None


def pay_drg_case(case: DrgCase, rate: DrgRate | None, pricing: DrgPricing) -> DrgPayment:
    """Pay one case: standard, or by item for excluded and outlier cases (按项目付费)."""

    def result(standard: Fen, paid: Fen, category: str, reason: str) -> DrgPayment:
        return DrgPayment(case.setl_id, case.drg_code, standard, paid, category, reason)

    if case.ipt_days <= pricing.min_days or case.ipt_days >= pricing.max_days:
        return result(
            0,
            case.total_fen,
            "excluded",
            f"住院 {case.ipt_days} 天（≤{pricing.min_days} 或 ≥{pricing.max_days}），按项目付费",
        )
    if rate is None or case.drg_code == "0000" or case.drg_code.endswith("QY"):
        return result(
            0, case.total_fen, "error", f"病组 {case.drg_code} 无付费标准（未入组/歧义组），按项目付费"
        )
    if rate.single_negotiation:
        return result(0, case.total_fen, "negotiated", f"病组 {case.drg_code} 为{rate.kind}，按项目付费")
    standard = standard_of(rate, pricing, level=case.level, insutype=case.insutype)
    if standard is None:
        return result(0, case.total_fen, "error", f"病组 {case.drg_code} 的付费标准不完整，按项目付费")
    low = _pick(rate.low_threshold, case.level, case.insutype) or ratio_of(standard, pricing.low_ratio)
    high = _pick(rate.high_threshold, case.level, case.insutype) or ratio_of(standard, pricing.high_ratio)
    if case.total_fen < low:
        return result(
            standard, case.total_fen, "low", f"费用 {case.total_fen} 分 < 低倍临界 {low} 分，按项目付费"
        )
    if case.total_fen > high:
        # 高倍率病例: standard plus the cost above the threshold (按项目补足)
        return result(
            standard,
            standard + case.total_fen - high,
            "high",
            f"费用 {case.total_fen} 分 > 高倍临界 {high} 分，超出部分按项目",
        )
    return result(standard, standard, "normal", f"支付标准 {standard} 分")


# -- per bed-day, capitation, single disease -----------------------------------------------------


def per_diem(*, days: int, rate_per_day: Fen, cap_days: int | None = None) -> Fen:
    """按床日付费: days (capped) × the bed-day rate (psychiatry, hospice, rehabilitation)."""
    if days < 0:
        raise invalid("PAYMENT_DAYS", "days", "住院天数不能为负数")
    billed = min(days, cap_days) if cap_days is not None else days
    return billed * rate_per_day


def capitation(*, enrolled: int, rate_per_head: Fen, months: int = 12) -> Fen:
    """按人头付费: enrolled persons × yearly rate × months/12 (primary-care pooling, chronic diseases)."""
    if enrolled < 0 or not 0 < months <= 12:
        raise invalid("PAYMENT_CAPITATION", "enrolled", "签约人数不能为负，月份应在 1–12")
    return ratio_of(enrolled * rate_per_head, Decimal(months) / 12)


def single_disease(*, fixed_price: Fen, total_fen: Fen, fund_share: Decimal) -> Fen:
    """单病种付费: the fund pays its share of the fixed price whatever the cost."""
    return ratio_of(fixed_price, fund_share)


# -- global budget with the dual control (总额控制 双控) ---------------------------------------


@dataclass(frozen=True)
class DualControl:
    """An institution's dual-control terms for one year (002: 定额 + 总人次)."""

    per_case_quota: Fen  # 次均定额 (inpatient)
    admission_cap: int  # 年度住院人次上限
    share_over: Decimal = Decimal("0.30")  # institution bears this share of the overrun
    carry_savings: Decimal = Decimal(1)  # share of savings carried to next year
    min_outpatient_inpatient: Decimal | None = None  # 门诊与住院比 floor (e.g. 10:1 for hospitals)
    max_drug_share: Decimal | None = None  # 药占比 ceiling
    max_admissions_per_person: Decimal | None = None  # 人次人头比 ceiling


@dataclass(frozen=True)
class YearFigures:
    """What an institution did in the year (from settlements)."""

    admissions: int
    inpatient_fund_fen: Fen  # fund amount recognised for inpatients (after deductions)
    outpatient_visits: int = 0
    drug_fen: Fen = 0
    total_fen: Fen = 0  # total medical cost (for the drug share)
    persons: int = 0  # distinct inpatients


@dataclass(frozen=True)
class IndicatorCheck:
    name: str
    value: Decimal
    limit: Decimal
    passed: bool
    message: str


@dataclass(frozen=True)
class BudgetClearing:
    """Year-end clearing of the global budget (年终清算)."""

    budget_fen: Fen  # quota × min(admissions, cap)
    recognised_admissions: int
    actual_fen: Fen
    overrun_fen: Fen
    institution_share_fen: Fen  # borne by the institution (30 %)
    fund_share_fen: Fen  # overrun the fund still pays
    savings_fen: Fen
    carried_fen: Fen  # savings carried over
    payable_fen: Fen  # what the fund pays for the year
    indicators: tuple[IndicatorCheck, ...]


def dual_control_budget(terms: DualControl, admissions: int) -> tuple[Fen, int]:
    """双控 budget: per-case quota × admissions, admissions capped at the yearly cap (超人次不予支付)."""
    recognised = min(admissions, terms.admission_cap)
    return terms.per_case_quota * recognised, recognised


def adjust_mid_year(
    terms: DualControl, *, quota_ratio: Decimal = Decimal(1), cap_delta: int = 0
) -> DualControl:
    """年中调整: scale the per-case quota and move the admission cap."""
    if quota_ratio <= 0 or terms.admission_cap + cap_delta < 0:
        raise invalid("PAYMENT_ADJUST", "quota_ratio", "年中调整后的定额与人次上限必须为正")
    return DualControl(
        per_case_quota=ratio_of(terms.per_case_quota, quota_ratio),
        admission_cap=terms.admission_cap + cap_delta,
        share_over=terms.share_over,
        carry_savings=terms.carry_savings,
        min_outpatient_inpatient=terms.min_outpatient_inpatient,
        max_drug_share=terms.max_drug_share,
        max_admissions_per_person=terms.max_admissions_per_person,
    )


def check_indicators(terms: DualControl, year: YearFigures) -> tuple[IndicatorCheck, ...]:
    """The accompanying indicators: outpatient/inpatient ratio, drug share, admissions per person."""
    out: list[IndicatorCheck] = []
    if terms.min_outpatient_inpatient is not None and year.admissions:
        ratio = Decimal(year.outpatient_visits) / year.admissions
        ok = ratio >= terms.min_outpatient_inpatient
        out.append(
            IndicatorCheck(
                "门诊住院比",
                ratio,
                terms.min_outpatient_inpatient,
                ok,
                f"门诊住院比 {ratio:.2f}，不低于 {terms.min_outpatient_inpatient}",
            )
        )
    if terms.max_drug_share is not None and year.total_fen:
        share = Decimal(year.drug_fen) / year.total_fen
        ok = share <= terms.max_drug_share
        out.append(
            IndicatorCheck(
                "药占比",
                share,
                terms.max_drug_share,
                ok,
                f"药占比 {share:.4f}，不高于 {terms.max_drug_share}",
            )
        )
    if terms.max_admissions_per_person is not None and year.persons:
        per = Decimal(year.admissions) / year.persons
        ok = per <= terms.max_admissions_per_person
        out.append(
            IndicatorCheck(
                "人次人头比",
                per,
                terms.max_admissions_per_person,
                ok,
                f"人次人头比 {per:.4f}，不高于 {terms.max_admissions_per_person}",
            )
        )
    return tuple(out)


def clear_budget_year(terms: DualControl, year: YearFigures) -> BudgetClearing:
    """年终清算: overrun shared (institution bears `share_over`), savings carried over."""
    budget, recognised = dual_control_budget(terms, year.admissions)
    # cost of admissions above the cap is not recognised (超出人次的费用不予支付)
    actual = year.inpatient_fund_fen
    if year.admissions > recognised and year.admissions:
        actual = ratio_of(actual, Decimal(recognised) / year.admissions)
    overrun = max(actual - budget, 0)
    savings = max(budget - actual, 0)
    institution = ratio_of(overrun, terms.share_over)
    carried = ratio_of(savings, terms.carry_savings)
    return BudgetClearing(
        budget_fen=budget,
        recognised_admissions=recognised,
        actual_fen=actual,
        overrun_fen=overrun,
        institution_share_fen=institution,
        fund_share_fen=overrun - institution,
        savings_fen=savings,
        carried_fen=carried,
        payable_fen=min(actual, budget) + overrun - institution,
        indicators=check_indicators(terms, year),
    )


# -- clearing statement arithmetic (清算单) ----------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    """One institution's figures for a clearing period."""

    fixmedins_code: str
    declared_fen: Fen  # 申报 fund amount from settlements
    deducted_fen: Fen  # 审核扣款 (confirmed deductions)
    method_fen: Fen  # amount recognised by the payment method (DRG/DIP/…)
    sharing_fen: Fen  # over-quota borne by the institution (negative adjustment)
    prepaid_fen: Fen  # already paid in earlier pre-payments of the period
    payable_fen: Fen  # what this order pays (may be negative = recovery)


def statement_line(
    *,
    fixmedins_code: str,
    declared_fen: Fen,
    deducted_fen: Fen,
    method_fen: Fen | None,
    sharing_fen: Fen = 0,
    prepaid_fen: Fen = 0,
) -> StatementLine:
    """Payable = (method amount, or declared − deducted for fee-for-service) − sharing − prepaid."""
    if deducted_fen < 0 or declared_fen < 0 or sharing_fen < 0:
        raise invalid("PAYMENT_STATEMENT", "deducted_fen", "申报、扣款与分担金额不能为负")
    recognised = declared_fen - deducted_fen if method_fen is None else method_fen
    return StatementLine(
        fixmedins_code=fixmedins_code,
        declared_fen=declared_fen,
        deducted_fen=deducted_fen,
        method_fen=recognised,
        sharing_fen=sharing_fen,
        prepaid_fen=prepaid_fen,
        payable_fen=recognised - sharing_fen - prepaid_fen,
    )


def monthly_prepayment(
    *, annual_budget_fen: Fen, months: int = 12, ratio: Decimal = Decimal("0.9")
) -> list[Fen]:
    """月预拨: `ratio` of the annual budget spread over the months, the last month taking the fen left."""
    total = ratio_of(annual_budget_fen, ratio)
    each = total // months
    return [each] * (months - 1) + [total - each * (months - 1)]


def allocate(total: Fen, weights: Sequence[int]) -> list[Fen]:
    """Split `total` fen in proportion to integer weights, largest remainders first, summing exactly."""
    if not weights:
        return []
    base = sum(weights)
    if base <= 0:
        return [0] * len(weights)
    shares = [total * w // base for w in weights]
    rest = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % base), i))
    for i in order[:rest]:
        shares[i] += 1
    return shares


def sum_fen(values: Iterable[Fen]) -> Fen:
    return sum(values, 0)
