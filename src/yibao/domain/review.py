"""Claims review (审核): monthly declarations, review items, deductions (拒付) and their states.

Pure rules, no database and no clock: callers pass `today` and the holiday calendar in.

A review item is one line (费用明细) or one visit/settlement (or one cash claim, 零星报销) the reviewer
looks at. Its life, every step a named state:

    pending ──deduct──▶ deducted ──accept──▶ accepted                 (final)
       │                  │ ──silence past the deadline──▶ accepted_silent (final)
       │                  └──appeal──▶ appealed ──uphold──▶ upheld     (final)
       │                                         └─overturn─▶ overturned (final, nothing deducted)
       └──clear──▶ cleared (final, nothing deducted)

The refused amount (拒付金额) of an item never exceeds what the item declared; a repeat offence adds a
penalty so that the item costs the institution `multiplier ×` the refused amount (001 第6篇: repeats
2–5×, patients absent from bed with no record 10×).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from yibao.domain.errors import FieldError, collect, conflict, invalid

# ---------------------------------------------------------------------------------------------
# What clearing reads


@dataclass(frozen=True)
class DeductionTotal:
    """A final deduction (已确认拒付) for one settlement (or a cash claim: setl_id None) and reason.

    `amount_fen` is what the fund withholds from the institution: the refused amount times the
    repeat-offence multiplier (the penalty included).
    """

    fixmedins_code: str
    setl_id: str | None
    amount_fen: int
    reason_code: str


# ---------------------------------------------------------------------------------------------
# States


class DeclarationStatus(StrEnum):
    """States of a monthly declaration (月度申报)."""

    SUBMITTED = "submitted"  # 已申报
    REVIEWING = "reviewing"  # 审核中
    REVIEWED = "reviewed"  # 审核完成，等待机构回复/申诉
    CLOSED = "closed"  # 已结案：每一条均已终结
    RETURNED = "returned"  # 已退回：机构可重新申报该月


DECLARATION_STATUS_ZH = {
    DeclarationStatus.SUBMITTED: "已申报",
    DeclarationStatus.REVIEWING: "审核中",
    DeclarationStatus.REVIEWED: "审核完成",
    DeclarationStatus.CLOSED: "已结案",
    DeclarationStatus.RETURNED: "已退回",
}


class ItemStatus(StrEnum):
    """States of a review item (审核条目)."""

    PENDING = "pending"  # 待审核
    CLEARED = "cleared"  # 审核通过（不拒付）
    DEDUCTED = "deducted"  # 初审拒付，待机构回复
    ACCEPTED = "accepted"  # 机构认可
    ACCEPTED_SILENT = "accepted_silent"  # 逾期未回复，视同认可
    APPEALED = "appealed"  # 机构申诉，待复审
    UPHELD = "upheld"  # 复审维持
    OVERTURNED = "overturned"  # 复审撤销


ITEM_STATUS_ZH = {
    ItemStatus.PENDING: "待审核",
    ItemStatus.CLEARED: "审核通过",
    ItemStatus.DEDUCTED: "拒付待回复",
    ItemStatus.ACCEPTED: "机构认可",
    ItemStatus.ACCEPTED_SILENT: "逾期视同认可",
    ItemStatus.APPEALED: "申诉待复审",
    ItemStatus.UPHELD: "复审维持",
    ItemStatus.OVERTURNED: "复审撤销",
}

FINAL_STATES = frozenset(
    {
        ItemStatus.CLEARED,
        ItemStatus.ACCEPTED,
        ItemStatus.ACCEPTED_SILENT,
        ItemStatus.UPHELD,
        ItemStatus.OVERTURNED,
    }
)
"""States from which nothing moves any more."""

DEDUCTING_STATES = frozenset({ItemStatus.ACCEPTED, ItemStatus.ACCEPTED_SILENT, ItemStatus.UPHELD})
"""Final states in which the deduction stands (what clearing withholds)."""


class Action(StrEnum):
    """What someone does to a review item."""

    DEDUCT = "deduct"  # 拒付 (first review)
    CLEAR = "clear"  # 通过 (first review)
    ACCEPT = "accept"  # 机构认可
    APPEAL = "appeal"  # 机构申诉
    SILENCE = "silence"  # 逾期未回复
    UPHOLD = "uphold"  # 复审维持
    OVERTURN = "overturn"  # 复审撤销


ACTION_ZH = {
    Action.DEDUCT: "拒付",
    Action.CLEAR: "通过",
    Action.ACCEPT: "认可",
    Action.APPEAL: "申诉",
    Action.SILENCE: "逾期视同认可",
    Action.UPHOLD: "复审维持",
    Action.OVERTURN: "复审撤销",
}

_TRANSITIONS: dict[tuple[ItemStatus, Action], ItemStatus] = {
    (ItemStatus.PENDING, Action.DEDUCT): ItemStatus.DEDUCTED,
    (ItemStatus.PENDING, Action.CLEAR): ItemStatus.CLEARED,
    (ItemStatus.DEDUCTED, Action.ACCEPT): ItemStatus.ACCEPTED,
    (ItemStatus.DEDUCTED, Action.APPEAL): ItemStatus.APPEALED,
    (ItemStatus.DEDUCTED, Action.SILENCE): ItemStatus.ACCEPTED_SILENT,
    (ItemStatus.APPEALED, Action.UPHOLD): ItemStatus.UPHELD,
    (ItemStatus.APPEALED, Action.OVERTURN): ItemStatus.OVERTURNED,
}

REVIEWER_ACTIONS = frozenset({Action.DEDUCT, Action.CLEAR, Action.UPHOLD, Action.OVERTURN})
INSTITUTION_ACTIONS = frozenset({Action.ACCEPT, Action.APPEAL})


def next_status(status: ItemStatus, action: Action) -> ItemStatus:
    """The state an item moves to, or a refusal naming the state it is in."""
    target = _TRANSITIONS.get((status, action))
    if target is None:
        allowed = "/".join(a.value for (s, a) in _TRANSITIONS if s == status) or "无（已终结）"
        raise conflict(
            "REVIEW_ITEM_STATE",
            f"字段 action：审核条目当前状态为“{ITEM_STATUS_ZH[status]}”，不能执行“{ACTION_ZH[action]}”"
            f"（可执行：{allowed}）",
            "action",
        )
    return target


def effective_status(status: ItemStatus, answer_due: date | None, today: date) -> ItemStatus:
    """The state as of `today`: a deduction not answered by its deadline counts as accepted (silence)."""
    if status is ItemStatus.DEDUCTED and answer_due is not None and today > answer_due:
        return ItemStatus.ACCEPTED_SILENT
    return status


def declaration_status(status: DeclarationStatus, item_states: Iterable[ItemStatus]) -> DeclarationStatus:
    """A reviewed declaration closes once every item is final; before that its own state stands."""
    if status is DeclarationStatus.REVIEWED and all(s in FINAL_STATES for s in item_states):
        return DeclarationStatus.CLOSED
    return status


# ---------------------------------------------------------------------------------------------
# Reason codes (拒付原因), named like openIMIS rejection reasons but never bare integers


class Reason(StrEnum):
    """Why an amount is refused."""

    NOT_COVERED = "NOT_COVERED"
    RESTRICTION_BREACH = "RESTRICTION_BREACH"
    OVER_PRICE_CAP = "OVER_PRICE_CAP"
    DUPLICATE_CHARGE = "DUPLICATE_CHARGE"
    UNBUNDLED_CHARGE = "UNBUNDLED_CHARGE"
    EXCESS_QUANTITY = "EXCESS_QUANTITY"
    EXCESS_FREQUENCY = "EXCESS_FREQUENCY"
    DISCHARGE_MEDICATION = "DISCHARGE_MEDICATION"
    SPLIT_ADMISSION = "SPLIT_ADMISSION"
    NO_ADMISSION_INDICATION = "NO_ADMISSION_INDICATION"
    BED_HANGING = "BED_HANGING"
    ABSENT_NO_RECORD = "ABSENT_NO_RECORD"
    IMPERSONATION = "IMPERSONATION"
    FICTITIOUS_SERVICE = "FICTITIOUS_SERVICE"
    UPCODING = "UPCODING"
    DIAGNOSIS_MISMATCH = "DIAGNOSIS_MISMATCH"
    PHARMACY_GOODS = "PHARMACY_GOODS"
    INJURY_LIABILITY = "INJURY_LIABILITY"
    RECORDS_MISSING = "RECORDS_MISSING"
    INVOICE_INVALID = "INVOICE_INVALID"
    OTHER = "OTHER"


REASON_ZH = {
    Reason.NOT_COVERED: "非医保支付范围",
    Reason.RESTRICTION_BREACH: "违反限定支付条件（性别、年龄、级别、险种、就医方式、疗程）",
    Reason.OVER_PRICE_CAP: "超过限价收费",
    Reason.DUPLICATE_CHARGE: "重复收费",
    Reason.UNBUNDLED_CHARGE: "分解收费",
    Reason.EXCESS_QUANTITY: "超量开药或检查",
    Reason.EXCESS_FREQUENCY: "超频次收费",
    Reason.DISCHARGE_MEDICATION: "出院带药超规定（第31条）",
    Reason.SPLIT_ADMISSION: "分解住院（28天内同病再入院，第20条）",
    Reason.NO_ADMISSION_INDICATION: "无入院指征（第17条）",
    Reason.BED_HANGING: "挂床住院",
    Reason.ABSENT_NO_RECORD: "查房不在床且无请假记录（10倍）",
    Reason.IMPERSONATION: "冒名就医",
    Reason.FICTITIOUS_SERVICE: "虚构医疗服务",
    Reason.UPCODING: "高套编码",
    Reason.DIAGNOSIS_MISMATCH: "诊断与治疗不符",
    Reason.PHARMACY_GOODS: "药店刷卡销售非医药商品",
    Reason.INJURY_LIABILITY: "外伤有第三方责任或不属支付范围（非自然疾病核查）",
    Reason.RECORDS_MISSING: "病历或票据资料不全",
    Reason.INVOICE_INVALID: "零星报销票据不符",
    Reason.OTHER: "其他不合理费用",
}

FAMILY_REASON: dict[str, Reason] = {
    "sex_restricted": Reason.RESTRICTION_BREACH,
    "age_restricted": Reason.RESTRICTION_BREACH,
    "level_restricted": Reason.RESTRICTION_BREACH,
    "insurance_type_restricted": Reason.RESTRICTION_BREACH,
    "treatment_mode_restricted": Reason.RESTRICTION_BREACH,
    "course_restricted": Reason.RESTRICTION_BREACH,
    "duplicate_charge": Reason.DUPLICATE_CHARGE,
    "unbundled_charge": Reason.UNBUNDLED_CHARGE,
    "frequency_exceeded": Reason.EXCESS_FREQUENCY,
    "over_price_cap": Reason.OVER_PRICE_CAP,
    "excess_quantity": Reason.EXCESS_QUANTITY,
    "repeat_prescription": Reason.EXCESS_QUANTITY,
    "discharge_medication": Reason.DISCHARGE_MEDICATION,
    "split_admission": Reason.SPLIT_ADMISSION,
    "low_standard_admission": Reason.NO_ADMISSION_INDICATION,
    "frequent_visits": Reason.EXCESS_FREQUENCY,
    "bed_hanging": Reason.BED_HANGING,
    "impersonation": Reason.IMPERSONATION,
    "pharmacy_goods": Reason.PHARMACY_GOODS,
    "dialysis_overcount": Reason.FICTITIOUS_SERVICE,
    "special_drug_rules": Reason.RESTRICTION_BREACH,
    "diagnosis_mismatch": Reason.DIAGNOSIS_MISMATCH,
    "upcoding": Reason.UPCODING,
    "provider_outlier": Reason.OTHER,
    "data_quality": Reason.RECORDS_MISSING,
}
"""The reason a monitoring finding of each rule family suggests (WAREHOUSE.md "Findings")."""


def reason_for_family(rule_family: str) -> Reason:
    """The reason code a finding's rule family suggests (OTHER for a family not in the vocabulary)."""
    return FAMILY_REASON.get(rule_family.strip(), Reason.OTHER)


# ---------------------------------------------------------------------------------------------
# Parameters of a region (审核参数), each row with an effective period


@dataclass(frozen=True)
class ReviewParameters:
    """The review rules in force in a region: typical values from 001 第6篇 as defaults."""

    declare_by_day: int = 5  # declaration due by this day of the next month (每月5日前申报)
    answer_working_days: int = 5  # the institution answers within so many working days (5个工作日)
    repeat_multipliers: tuple[int, ...] = (2, 3, 4, 5)  # 1st repeat 2×, 2nd 3×, … the last thereafter
    repeat_window_months: int = 12  # earlier periods counted as offences
    absent_multiplier: int = 10  # 查房不在床且无记录：10倍


DEFAULT_PARAMETERS = ReviewParameters()


def check_parameters(p: ReviewParameters) -> ReviewParameters:
    """Refuse parameters outside the ranges the policy allows."""
    errors: list[FieldError] = []
    if not 1 <= p.declare_by_day <= 28:
        errors.append(FieldError("declare_by_day", "REVIEW_PARAM_RANGE", "字段 declare_by_day 须在1到28之间"))
    if not 1 <= p.answer_working_days <= 30:
        errors.append(
            FieldError("answer_working_days", "REVIEW_PARAM_RANGE", "字段 answer_working_days 须在1到30之间")
        )
    if not p.repeat_multipliers or any(not 2 <= m <= 5 for m in p.repeat_multipliers):
        errors.append(
            FieldError(
                "repeat_multipliers", "REVIEW_PARAM_RANGE", "字段 repeat_multipliers 每个倍数须在2到5之间"
            )
        )
    elif list(p.repeat_multipliers) != sorted(p.repeat_multipliers):
        errors.append(
            FieldError("repeat_multipliers", "REVIEW_PARAM_ORDER", "字段 repeat_multipliers 倍数不能递减")
        )
    if not 1 <= p.repeat_window_months <= 60:
        errors.append(
            FieldError(
                "repeat_window_months", "REVIEW_PARAM_RANGE", "字段 repeat_window_months 须在1到60之间"
            )
        )
    if not 1 <= p.absent_multiplier <= 20:
        errors.append(
            FieldError("absent_multiplier", "REVIEW_PARAM_RANGE", "字段 absent_multiplier 须在1到20之间")
        )
    if errors:
        raise collect(errors)
    return p


def parse_multipliers(text: str, *, field: str = "repeat_multipliers") -> tuple[int, ...]:
    """ "2,3,4,5" as a tuple of whole multipliers."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise invalid("REVIEW_PARAM_FORMAT", field, f"字段 {field} 应为以逗号分隔的整数倍数，如 2,3,4,5")
    return tuple(int(p) for p in parts)


# ---------------------------------------------------------------------------------------------
# Multipliers and deduction arithmetic


def multiplier(reason: Reason, prior_offences: int, params: ReviewParameters) -> int:
    """How many times the refused amount the institution loses (001 第6篇).

    A first offence costs the refused amount (1×); the k-th repeat (k = prior offences, counted as
    earlier periods with a final deduction for the same reason) costs `repeat_multipliers[k-1]`, the
    last value applying to every later repeat. A patient absent from bed with no record costs the
    absent multiplier (10×) whatever the history.
    """
    if prior_offences < 0:
        raise ValueError("prior_offences must not be negative")
    if reason is Reason.ABSENT_NO_RECORD:
        return params.absent_multiplier
    if prior_offences == 0:
        return 1
    table = params.repeat_multipliers
    return table[min(prior_offences, len(table)) - 1]


@dataclass(frozen=True)
class Deduction:
    """What one item costs the institution: the refused part of what it declared and the penalty."""

    declared_fen: int
    refused_fen: int  # 拒付金额 ≤ declared
    multiplier: int
    penalty_fen: int  # 扣罚 = refused × (multiplier − 1)

    @property
    def total_fen(self) -> int:
        """Refused amount plus penalty: what clearing withholds."""
        return self.refused_fen + self.penalty_fen


def deduction(*, declared_fen: int, refused_fen: int, times: int) -> Deduction:
    """The deduction of an item: refuse at most what it declared; the penalty is the extra multiples."""
    if declared_fen < 0:
        raise invalid("REVIEW_DECLARED_NEGATIVE", "declared_fen", "字段 declared_fen 申报金额不能为负数")
    if refused_fen <= 0:
        raise invalid("REVIEW_AMOUNT_RANGE", "amount_fen", "字段 amount_fen 拒付金额必须大于0")
    if refused_fen > declared_fen:
        raise invalid(
            "REVIEW_AMOUNT_OVER_DECLARED",
            "amount_fen",
            f"字段 amount_fen 拒付金额（{refused_fen}分）不能超过该条申报金额（{declared_fen}分）",
        )
    if times < 1:
        raise invalid("REVIEW_MULTIPLIER_RANGE", "multiplier", "字段 multiplier 倍数至少为1")
    return Deduction(declared_fen, refused_fen, times, refused_fen * (times - 1))


def totals(items: Iterable[tuple[str, str | None, str, int]]) -> list[DeductionTotal]:
    """Sum final deductions by (institution, settlement, reason); rows are (code, setl_id, reason, fen)."""
    sums: dict[tuple[str, str | None, str], int] = {}
    for code, setl_id, reason, fen in items:
        if fen:
            key = (code, setl_id, reason)
            sums[key] = sums.get(key, 0) + fen
    return [
        DeductionTotal(fixmedins_code=k[0], setl_id=k[1], amount_fen=v, reason_code=k[2])
        for k, v in sorted(sums.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2]))
    ]


# ---------------------------------------------------------------------------------------------
# Periods and working days

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(text: str, *, field: str = "period") -> tuple[int, int]:
    """ "YYYY-MM" as (year, month)."""
    match = _PERIOD.match((text or "").strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or not 1900 <= int(match.group(1)) <= 2999:
        raise invalid("REVIEW_PERIOD_FORMAT", field, f"字段 {field} 申报月份格式应为 YYYY-MM：{text!r}")
    return int(match.group(1)), int(match.group(2))


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of the month a period names."""
    year, month = parse_period(period)
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def shift_period(period: str, months: int) -> str:
    """The period `months` later (negative: earlier)."""
    year, month = parse_period(period)
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def declaration_due(period: str, params: ReviewParameters) -> date:
    """The last day to declare a month: the configured day of the next month (每月5日前)."""
    _, last = period_bounds(period)
    nxt = last + timedelta(days=1)
    return date(nxt.year, nxt.month, params.declare_by_day)


@dataclass(frozen=True)
class Calendar:
    """Working-day calendar: weekends off, plus public holidays; adjusted working weekend days (调休)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        """Whether staff work on `day`."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def add_working_days(start: date, days: int, calendar: Calendar) -> date:
    """The `days`-th working day after `start` (the answer deadline counted from the notice day)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            left -= 1
    return day


# ---------------------------------------------------------------------------------------------
# Completeness of a declaration against the settlements


@dataclass(frozen=True)
class SettlementAmounts:
    """One settlement as the platform recorded it or as the institution declared it (fen)."""

    setl_id: str
    medfee_sumamt: int
    fund_pay_sumamt: int


@dataclass(frozen=True)
class Completeness:
    """The result of checking a declaration against the platform's settlements (完整性校验)."""

    missing: tuple[str, ...]  # settled on the platform, not declared
    extra: tuple[str, ...]  # declared, not a settlement of this institution and month
    mismatched: tuple[str, ...]  # declared with amounts that differ from the platform's
    declared_medfee: int
    declared_fund: int
    platform_medfee: int
    platform_fund: int

    @property
    def complete(self) -> bool:
        """Every settlement declared once with the platform's amounts, totals equal to the fen."""
        return (
            not self.missing
            and not self.extra
            and not self.mismatched
            and self.declared_medfee == self.platform_medfee
            and self.declared_fund == self.platform_fund
        )

    def errors(self) -> list[FieldError]:
        """One field error per problem, in Chinese."""
        out: list[FieldError] = []
        for sid in self.missing:
            out.append(FieldError("settlements", "DECLARATION_MISSING", f"字段 settlements 漏报结算 {sid}"))
        for sid in self.extra:
            out.append(
                FieldError(
                    "settlements", "DECLARATION_EXTRA", f"字段 settlements 结算 {sid} 不属于本机构本月"
                )
            )
        for sid in self.mismatched:
            out.append(
                FieldError(
                    "settlements", "DECLARATION_AMOUNT", f"字段 settlements 结算 {sid} 申报金额与结算记录不符"
                )
            )
        if not out and (
            self.declared_medfee != self.platform_medfee or self.declared_fund != self.platform_fund
        ):
            out.append(
                FieldError("settlements", "DECLARATION_TOTAL", "字段 settlements 申报合计与结算合计不符")
            )
        return out


def check_completeness(
    declared: Sequence[SettlementAmounts], platform: Sequence[SettlementAmounts]
) -> Completeness:
    """Compare what the institution declares with what the platform settled, to the fen."""
    recorded = {s.setl_id: s for s in platform}
    seen: set[str] = set()
    extra: list[str] = []
    mismatched: list[str] = []
    for line in declared:
        known = recorded.get(line.setl_id)
        if known is None or line.setl_id in seen:
            extra.append(line.setl_id)
            continue
        seen.add(line.setl_id)
        if (line.medfee_sumamt, line.fund_pay_sumamt) != (known.medfee_sumamt, known.fund_pay_sumamt):
            mismatched.append(line.setl_id)
    missing = [sid for sid in recorded if sid not in seen]
    return Completeness(
        missing=tuple(sorted(missing)),
        extra=tuple(extra),
        mismatched=tuple(mismatched),
        declared_medfee=sum(s.medfee_sumamt for s in declared),
        declared_fund=sum(s.fund_pay_sumamt for s in declared),
        platform_medfee=sum(s.medfee_sumamt for s in platform),
        platform_fund=sum(s.fund_pay_sumamt for s in platform),
    )
