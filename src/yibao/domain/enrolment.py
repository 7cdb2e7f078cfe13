"""Enrolment rules (参保登记与缴费): schemes, relation states, duplicate enrolment, contribution
periods, waiting periods after arrears and the personal-account split. Pure: no database, no clock.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from yibao.domain.errors import BusinessError, choice, conflict, invalid
from yibao.domain.money import Fen, ratio_of
from yibao.domain.periods import overlaps

# ---------------------------------------------------------------------------------------------
# Schemes (险种, dictionary "insutype")

EMPLOYEE_BASIC = "310"  # 职工基本医疗保险
RESIDENT_BASIC = "390"  # 城乡居民基本医疗保险


@dataclass(frozen=True)
class Scheme:
    """How an insurance type behaves in enrolment: basic or not, and which basic scheme it needs."""

    code: str
    basic: bool = False
    employee: bool = False  # contributions by month with a base wage and a personal account
    requires: str | None = None  # a supplementary scheme needs an active relation of this basic code


SCHEMES: dict[str, Scheme] = {
    "310": Scheme("310", basic=True, employee=True),
    "390": Scheme("390", basic=True),
    "391": Scheme("391", basic=True),  # 城镇居民基本医疗保险 (before the merger)
    "380": Scheme("380", basic=True),  # 新型农村合作医疗 (before the merger)
    "320": Scheme("320", requires=EMPLOYEE_BASIC),  # 公务员医疗补助
    "330": Scheme("330", requires=EMPLOYEE_BASIC),  # 大额医疗费用补助
    "370": Scheme("370", requires=EMPLOYEE_BASIC),  # 企业补充医疗保险
    "510": Scheme("510", requires=EMPLOYEE_BASIC),  # 生育保险 (merged with employee insurance)
    "392": Scheme("392", requires=RESIDENT_BASIC),  # 城乡居民大病医疗保险
}


def scheme_of(insutype: str) -> Scheme:
    """The enrolment behaviour of an insurance type (a plain standalone scheme when not listed)."""
    return SCHEMES.get(insutype, Scheme(insutype))


# ---------------------------------------------------------------------------------------------
# Relation states (参保状态)


class RelationStatus(StrEnum):
    """State of an insurance relation (参保关系状态)."""

    ACTIVE = "active"  # 正常参保
    SUSPENDED = "suspended"  # 暂停参保
    ENDED = "ended"  # 终止参保


STATUS_NAMES_ZH = {
    RelationStatus.ACTIVE: "正常参保",
    RelationStatus.SUSPENDED: "暂停参保",
    RelationStatus.ENDED: "终止参保",
}

_TRANSITIONS: dict[RelationStatus, frozenset[RelationStatus]] = {
    RelationStatus.ACTIVE: frozenset({RelationStatus.SUSPENDED, RelationStatus.ENDED}),
    RelationStatus.SUSPENDED: frozenset({RelationStatus.ACTIVE, RelationStatus.ENDED}),
    RelationStatus.ENDED: frozenset(),
}


def parse_status(value: str, *, field: str = "status") -> RelationStatus:
    """A relation status code or a refusal naming the allowed ones."""
    return choice(RelationStatus, value, code="RELATION_STATUS", field=field, label="参保状态")


def check_transition(current: RelationStatus, target: RelationStatus) -> None:
    """Refuse a state change the relation life cycle does not allow (ended is final)."""
    if target not in _TRANSITIONS[current]:
        raise conflict(
            "RELATION_STATE",
            f"字段 status：参保关系不能从“{STATUS_NAMES_ZH[current]}”变为“{STATUS_NAMES_ZH[target]}”",
            "status",
        )


# ---------------------------------------------------------------------------------------------
# Special groups (特殊人群, dictionary "psn_idet_type") and disability levels (dictionary "disa_lv")

SPECIAL_GROUPS: dict[str, str] = {
    "2304": "特困救助对象",
    "2303": "低保救助对象",
    "2302": "建档立卡贫困人员",
    "21": "优抚人员",
    "2308": "残疾人员",
}
DISABLED = "2308"
DISABILITY_LEVELS = ("1", "2", "3", "4")


def check_special_group(idet_type: str | None, disa_lv: str | None) -> tuple[str | None, str | None]:
    """A special group code from the list, and a disability level 1–4 exactly when the group is 残疾."""
    group = (idet_type or "").strip() or None
    level = (disa_lv or "").strip() or None
    if group is not None and group not in SPECIAL_GROUPS:
        allowed = "、".join(f"{k} {v}" for k, v in SPECIAL_GROUPS.items())
        raise invalid(
            "SPECIAL_GROUP", "idet_type", f"字段 idet_type 特殊人群 {group!r} 无效，可选：{allowed}"
        )
    if group == DISABLED:
        if level not in DISABILITY_LEVELS:
            raise invalid("DISABILITY_LEVEL", "disa_lv", "字段 disa_lv 残疾人员必须填写残疾等级 1–4")
    elif level is not None:
        raise invalid("DISABILITY_LEVEL", "disa_lv", "字段 disa_lv 只有残疾人员（2308）可以填写残疾等级")
    return group, level


# ---------------------------------------------------------------------------------------------
# Person number (个人编号)

PSN_SEQ_DIGITS = 10


def psn_no_for(admdvs: str, seq: int) -> str:
    """The person number: the registration region code and a zero-padded sequence (16 characters)."""
    if seq < 1 or seq >= 10**PSN_SEQ_DIGITS:
        raise ValueError("person sequence out of range")
    return f"{admdvs}{seq:0{PSN_SEQ_DIGITS}d}"


# ---------------------------------------------------------------------------------------------
# Duplicate enrolment (重复参保)


@dataclass(frozen=True)
class RelationFact:
    """What the duplicate check needs to know of an existing relation."""

    psn_no: str
    insutype: str
    admdvs: str
    begin: date
    end: date | None
    status: RelationStatus


def find_basic_overlap(
    *, insutype: str, begin: date, end: date | None, existing: Iterable[RelationFact]
) -> RelationFact | None:
    """The live basic relation whose period overlaps a new basic one (any basic scheme, any region)."""
    if not scheme_of(insutype).basic:
        return None
    new = _Span(begin, end)
    for fact in existing:
        if fact.status is RelationStatus.ENDED and fact.end is None:
            continue
        if scheme_of(fact.insutype).basic and overlaps(new, fact):
            return fact
    return None


def duplicate_error(fact: RelationFact) -> BusinessError:
    """重复参保: the refusal naming the conflicting relation."""
    period = f"{fact.begin}—{fact.end or '长期'}"
    return conflict(
        "ENROL_DUPLICATE",
        f"字段 insutype：重复参保，该人员已有基本医疗保险参保关系"
        f"（个人编号 {fact.psn_no}，险种 {fact.insutype}，统筹区 {fact.admdvs}，期间 {period}）",
        "insutype",
    )


def check_supplementary(
    *, insutype: str, begin: date, end: date | None, existing: Iterable[RelationFact]
) -> None:
    """A supplementary scheme needs an active relation of its basic scheme covering its whole period."""
    needed = scheme_of(insutype).requires
    if needed is None:
        return
    for fact in existing:
        if fact.insutype != needed or fact.status is not RelationStatus.ACTIVE:
            continue
        fact_end = fact.end or date.max
        if fact.begin <= begin and (end or date.max) <= fact_end:
            return
    raise conflict(
        "ENROL_BASIC_REQUIRED",
        f"字段 insutype：险种 {insutype} 须在参保期间内有正常的基本医疗保险（险种 {needed}）参保关系",
        "insutype",
    )


@dataclass(frozen=True)
class _Span:
    begin: date
    end: date | None


# ---------------------------------------------------------------------------------------------
# Contribution periods (缴费期间)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class ContributionPeriod:
    """A month (yyyy-MM, employees) or a year (yyyy, residents) of contributions."""

    text: str
    first_day: date
    last_day: date
    months: int

    @property
    def due_date(self) -> date:
        """Last day to pay on time: the month's last day; for a year, the day before it starts."""
        if self.months == 12:
            return self.first_day - timedelta(days=1)
        return self.last_day


def parse_period(value: str, *, employee: bool, field: str = "period") -> ContributionPeriod:
    """Employees pay by month (yyyy-MM), residents by year (yyyy)."""
    text = (value or "").strip()
    if employee:
        match = _MONTH.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise invalid(
                "PERIOD_FORMAT", field, f"字段 {field} 职工缴费期间格式应为 yyyy-MM，实际为 {value!r}"
            )
        year, month = int(match.group(1)), int(match.group(2))
        last = calendar.monthrange(year, month)[1]
        return ContributionPeriod(text, date(year, month, 1), date(year, month, last), 1)
    match = _YEAR.match(text)
    if not match:
        raise invalid("PERIOD_FORMAT", field, f"字段 {field} 居民缴费期间格式应为 yyyy，实际为 {value!r}")
    year = int(match.group(1))
    return ContributionPeriod(text, date(year, 1, 1), date(year, 12, 31), 12)


def check_amounts(**amounts: Fen | None) -> None:
    """Contribution parts are whole fen and never negative."""
    for name, amount in amounts.items():
        if amount is not None and amount < 0:
            raise invalid("MONEY_NEGATIVE", name, f"字段 {name} 金额不能为负数")


def add_months(day: date, months: int) -> date:
    """The same day `months` later (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------------------------------------
# Waiting period after arrears (待遇等待期, 000 第9篇: 对按规定补缴欠费的，取消医保待遇的等待期)


@dataclass(frozen=True)
class WaitingPolicy:
    """Configurable waiting-period rule; the defaults are typical values a region may change.

    - a period paid no later than `lift_within_months` whole months after its due date lifts any
      waiting period (benefits from the payment day on);
    - a period paid later starts a waiting period of `waiting_months` months from the payment day.
    """

    lift_within_months: int = 3  # typical: back-payment within 3 months of the due date
    waiting_months: int = 3  # typical: 3 months of waiting after a longer interruption


@dataclass(frozen=True)
class BackPaymentOutcome:
    """What a payment does to the waiting period."""

    late: bool  # paid after the due date (补缴)
    lifts_waiting: bool  # back-paid within the allowed months: waiting period lifted
    waiting_end: date | None  # the new waiting-period end (last day without benefits), if any


def back_payment_outcome(
    *, due_date: date, paid_on: date, current_waiting_end: date | None, policy: WaitingPolicy
) -> BackPaymentOutcome:
    """Decide whether a payment is late and whether it lifts or starts a waiting period."""
    if paid_on <= due_date:
        return BackPaymentOutcome(late=False, lifts_waiting=False, waiting_end=current_waiting_end)
    if paid_on <= lifting_deadline(due_date, policy):
        return BackPaymentOutcome(late=True, lifts_waiting=True, waiting_end=None)
    new_end = add_months(paid_on, policy.waiting_months) - timedelta(days=1)
    if current_waiting_end is not None and current_waiting_end > new_end:
        new_end = current_waiting_end
    return BackPaymentOutcome(late=True, lifts_waiting=False, waiting_end=new_end)


def lifting_deadline(due_date: date, policy: WaitingPolicy) -> date:
    """Last day a back-payment still lifts the waiting period: `lift_within_months` after the due
    date (a month-end due date stays at month end: 31 Jan + 3 months = 30 Apr)."""
    deadline = add_months(due_date, policy.lift_within_months)
    if due_date.day == calendar.monthrange(due_date.year, due_date.month)[1]:
        deadline = deadline.replace(day=calendar.monthrange(deadline.year, deadline.month)[1])
    return deadline


def in_waiting(waiting_end: date | None, day: date) -> bool:
    """Whether benefits still wait on `day`."""
    return waiting_end is not None and day <= waiting_end


# ---------------------------------------------------------------------------------------------
# Personal account (个人账户)

RETIRED_PSN_TYPES = frozenset({"12", "1204", "13", "1112", "126013", "126015", "136019"})


@dataclass(frozen=True)
class AccountPolicy:
    """How contributions credit the personal account; defaults are typical (国办发〔2021〕14号 reform).

    - employees in work: the individual part fully plus `unit_share` of the unit part (0 after the
      2021 reform; regions that still credit part of the unit part set e.g. 0.30);
    - retirees: a fixed `retiree_monthly` amount in fen per month (typical 2% of the average pension,
      about 60 yuan).
    """

    unit_share: Decimal = Decimal("0")
    retiree_monthly: Fen = 6000


def account_credit(*, individual: Fen, unit: Fen, months: int, retired: bool, policy: AccountPolicy) -> Fen:
    """The amount one paid contribution credits to the personal account (rounded half up to the fen)."""
    if retired:
        return policy.retiree_monthly * months
    return individual + ratio_of(unit, policy.unit_share)


def is_retired(psn_type: str) -> bool:
    """Whether the person category is a retiree (退休/离休)."""
    return psn_type in RETIRED_PSN_TYPES


def contribution_months(paid: Iterable[ContributionPeriod]) -> int:
    """缴费年限 in months: every paid period counted once (a month once, even if paid twice)."""
    months: set[tuple[int, int]] = set()
    for period in paid:
        day = period.first_day
        for _ in range(period.months):
            months.add((day.year, day.month))
            day = add_months(day, 1)
    return len(months)


class EntryType(StrEnum):
    """Personal-account ledger entry types (个人账户流水类型)."""

    CREDIT_CONTRIBUTION = "credit_contribution"  # 缴费划入
    DEBIT_SETTLEMENT = "debit_settlement"  # 结算支付
    REVERSAL = "reversal"  # 冲正
    TRANSFER_IN = "transfer_in"  # 转入
    TRANSFER_OUT = "transfer_out"  # 转出
    ADJUSTMENT = "adjustment"  # 调整


ENTRY_NAMES_ZH = {
    EntryType.CREDIT_CONTRIBUTION: "缴费划入",
    EntryType.DEBIT_SETTLEMENT: "结算支付",
    EntryType.REVERSAL: "冲正",
    EntryType.TRANSFER_IN: "转入",
    EntryType.TRANSFER_OUT: "转出",
    EntryType.ADJUSTMENT: "调整",
}


def require_positive(amount: Fen, *, field: str = "amount") -> Fen:
    """A debit or credit amount is a positive number of fen."""
    if amount <= 0:
        raise invalid("AMOUNT_POSITIVE", field, f"字段 {field} 金额必须大于0")
    return amount


# ---------------------------------------------------------------------------------------------
# Units (参保单位)

UNIT_TYPES: dict[str, str] = {
    "enterprise": "企业",
    "government": "机关",
    "institution": "事业单位",
    "social_org": "社会团体",
    "individual": "个体工商户",
    "other": "其他",
}
UNIT_STATUSES: dict[str, str] = {"active": "正常", "suspended": "暂停缴费", "closed": "注销"}


def check_unit_type(value: str, *, field: str = "unit_type") -> str:
    """A unit type from the list."""
    code = (value or "").strip()
    if code not in UNIT_TYPES:
        allowed = "/".join(UNIT_TYPES)
        raise invalid("UNIT_TYPE", field, f"字段 {field} 单位类型 {value!r} 无效，可选：{allowed}")
    return code


def check_unit_status(value: str, *, field: str = "status") -> str:
    """A unit status from the list."""
    code = (value or "").strip()
    if code not in UNIT_STATUSES:
        allowed = "/".join(UNIT_STATUSES)
        raise invalid("UNIT_STATUS", field, f"字段 {field} 单位状态 {value!r} 无效，可选：{allowed}")
    return code
