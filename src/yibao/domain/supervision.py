"""Fund supervision (稽核): inspections, ward rounds, visits, whistleblower reports, decisions.

Pure: the caller passes every value and day. Money in fen, rates in basis points.

Sources: 001 第6篇 第19条 (查房不在院不在床者终结住院费用), 第39条 (冒名、挂床 2至5倍拒付,
暂停协议2至6个月), 第40条 (在院在床率低于95%拒付差额人次的平均住院人次标准费用), 第45条
(药店暂停6-12个月), 001 第4篇 (骗取金额2倍以上5倍以下罚款, 解除服务协议), 001 第3篇 (探望制度,
问候电话: 卡与人、人与病、病与药、药与量、量与价), 001 第9篇 (检查、移送公安机关或纪委监委, 向社会通报).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import pairwise

from yibao.domain.errors import BusinessError, ErrorKind, FieldError, collect, invalid

BP = 10000


def _half_up(numerator: int, denominator: int) -> int:
    return int((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _transition_error(code: str, what: str, status_zh: str, action_zh: str, allowed: str) -> BusinessError:
    return BusinessError(
        code=code,
        message=f"字段 action：{what}状态为“{status_zh}”时不能{action_zh}（仅限：{allowed}）",
        field="action",
        kind=ErrorKind.CONFLICT,
    )


# ---- inspections (检查) ---------------------------------------------------------------------------------


class InspectionKind(StrEnum):
    """检查类型."""

    ROUTINE = "routine"  # 日常检查
    SPECIAL = "special"  # 专项检查
    FLIGHT = "flight"  # 飞行检查 (unannounced)
    JOINT = "joint"  # 联合检查 (with other departments)


INSPECTION_KIND_ZH = {
    InspectionKind.ROUTINE: "日常检查",
    InspectionKind.SPECIAL: "专项检查",
    InspectionKind.FLIGHT: "飞行检查",
    InspectionKind.JOINT: "联合检查",
}


class InspectionStatus(StrEnum):
    """检查状态."""

    PLANNED = "planned"  # 计划
    ONSITE = "onsite"  # 现场检查中
    CLOSED = "closed"  # 已结束
    CANCELLED = "cancelled"  # 已取消


INSPECTION_STATUS_ZH = {
    InspectionStatus.PLANNED: "计划",
    InspectionStatus.ONSITE: "现场检查中",
    InspectionStatus.CLOSED: "已结束",
    InspectionStatus.CANCELLED: "已取消",
}


class InspectionAction(StrEnum):
    START = "start"  # 开始现场检查
    CLOSE = "close"  # 结束检查
    CANCEL = "cancel"  # 取消


INSPECTION_ACTION_ZH = {
    InspectionAction.START: "开始现场检查",
    InspectionAction.CLOSE: "结束检查",
    InspectionAction.CANCEL: "取消检查",
}
_INSPECTION_NEXT = {
    InspectionAction.START: ({InspectionStatus.PLANNED}, InspectionStatus.ONSITE),
    InspectionAction.CLOSE: ({InspectionStatus.ONSITE}, InspectionStatus.CLOSED),
    InspectionAction.CANCEL: ({InspectionStatus.PLANNED}, InspectionStatus.CANCELLED),
}


def inspection_next(status: InspectionStatus, action: InspectionAction) -> InspectionStatus:
    """The status after `action`; an action not allowed from `status` is refused with the reason."""
    allowed, after = _INSPECTION_NEXT[action]
    if status not in allowed:
        names = "、".join(INSPECTION_STATUS_ZH[s] for s in allowed)
        raise _transition_error(
            "INSPECTION_TRANSITION", "检查", INSPECTION_STATUS_ZH[status], INSPECTION_ACTION_ZH[action], names
        )
    return after


def check_team(kind: InspectionKind, team: Sequence[str], departments: Sequence[str]) -> list[str]:
    """An inspection team of at least two named inspectors (稽核须两人以上); a joint inspection names
    the other departments taking part (联合检查: 卫健、市场监管、公安…)."""
    names = [n.strip() for n in team if n and n.strip()]
    errors: list[FieldError] = []
    if len(names) < 2:
        errors.append(FieldError("team", "TEAM_TOO_SMALL", "字段 team 检查组至少需要两名检查人员"))
    if len(set(names)) != len(names):
        errors.append(FieldError("team", "TEAM_DUPLICATE", "字段 team 检查人员重复"))
    if kind is InspectionKind.JOINT and not [d for d in departments if d and d.strip()]:
        errors.append(
            FieldError("departments", "JOINT_DEPARTMENTS", "字段 departments 联合检查须写明参加的部门")
        )
    if errors:
        raise collect(errors)
    return names


# ---- ward rounds (查房) and the in-bed rate ------------------------------------------------------------

IN_BED_THRESHOLD_BP = 9500  # 在院在床率低于95% (001 第40条); a region may configure another


@dataclass(frozen=True)
class RoundOutcome:
    """A ward round judged: the in-bed rate, the persons short of the threshold and the refusal."""

    total: int
    present: int
    rate_bp: int
    below_threshold: bool
    shortfall: int  # persons under the threshold line (在院在床率以下人次数)
    refused_fen: int  # shortfall × the average stay standard cost (平均住院人次标准费用)


def in_bed_rate(present: int, total: int) -> int:
    """Present over counted, in basis points, half up (0 when nobody was counted)."""
    if total <= 0:
        return 0
    return _half_up(present * BP, total)


def judge_round(
    total: int, present: int, *, standard_fen: int, threshold_bp: int = IN_BED_THRESHOLD_BP
) -> RoundOutcome:
    """001 第40条: below the threshold, refuse the average stay standard cost for each person short
    of the line (the line is total × threshold, rounded up to whole persons)."""
    if total < 0 or present < 0 or present > total:
        raise invalid("ROUND_COUNTS", "patients", "字段 patients 在床人数不能为负或多于查房人数")
    if standard_fen < 0:
        raise invalid("MONEY_NEGATIVE", "standard_fen", "字段 standard_fen 平均住院人次标准费用不能为负数")
    rate = in_bed_rate(present, total)
    below = total > 0 and present * BP < threshold_bp * total
    line = math.ceil(total * threshold_bp / BP) if below else present
    shortfall = max(0, line - present)
    return RoundOutcome(total, present, rate, below, shortfall, shortfall * standard_fen)


# ---- patient visits and phone checks (探望、问候电话) ----------------------------------------------------

CHECKPOINTS = {
    "card_person": "卡与人相符",
    "person_disease": "人与病相符",
    "disease_drug": "病与药相符",
    "drug_quantity": "药与量相符",
    "quantity_price": "量与价相符",
}


class ContactMode(StrEnum):
    VISIT = "visit"  # 探望
    PHONE = "phone"  # 问候电话


CONTACT_MODE_ZH = {ContactMode.VISIT: "病房探望", ContactMode.PHONE: "电话回访"}


def failed_checkpoints(results: dict[str, bool]) -> list[str]:
    """The checkpoints that failed; every checkpoint must be answered."""
    unknown = sorted(set(results) - set(CHECKPOINTS))
    missing = sorted(set(CHECKPOINTS) - set(results))
    if unknown or missing:
        allowed = "/".join(CHECKPOINTS)
        raise invalid(
            "CHECKPOINTS",
            "checks",
            f"字段 checks 须逐项填写核查结果（{allowed}）；"
            f"缺少：{'、'.join(missing) or '无'}，多余：{'、'.join(unknown) or '无'}",
        )
    return [k for k in CHECKPOINTS if not results[k]]


# ---- whistleblower reports (举报) -----------------------------------------------------------------------


class ReportStatus(StrEnum):
    """举报状态."""

    RECEIVED = "received"  # 已登记
    ACCEPTED = "accepted"  # 已受理
    REJECTED = "rejected"  # 不予受理
    SUBSTANTIATED = "substantiated"  # 查实
    UNSUBSTANTIATED = "unsubstantiated"  # 未查实
    REWARDED = "rewarded"  # 已奖励


REPORT_STATUS_ZH = {
    ReportStatus.RECEIVED: "已登记",
    ReportStatus.ACCEPTED: "已受理",
    ReportStatus.REJECTED: "不予受理",
    ReportStatus.SUBSTANTIATED: "查实",
    ReportStatus.UNSUBSTANTIATED: "未查实",
    ReportStatus.REWARDED: "已奖励",
}


class ReportAction(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    SUBSTANTIATE = "substantiate"
    UNSUBSTANTIATE = "unsubstantiate"
    REWARD = "reward"


REPORT_ACTION_ZH = {
    ReportAction.ACCEPT: "受理",
    ReportAction.REJECT: "不予受理",
    ReportAction.SUBSTANTIATE: "认定查实",
    ReportAction.UNSUBSTANTIATE: "认定未查实",
    ReportAction.REWARD: "发放奖励",
}
_REPORT_NEXT = {
    ReportAction.ACCEPT: ({ReportStatus.RECEIVED}, ReportStatus.ACCEPTED),
    ReportAction.REJECT: ({ReportStatus.RECEIVED}, ReportStatus.REJECTED),
    ReportAction.SUBSTANTIATE: ({ReportStatus.ACCEPTED}, ReportStatus.SUBSTANTIATED),
    ReportAction.UNSUBSTANTIATE: ({ReportStatus.ACCEPTED}, ReportStatus.UNSUBSTANTIATED),
    ReportAction.REWARD: ({ReportStatus.SUBSTANTIATED}, ReportStatus.REWARDED),
}


def report_next(status: ReportStatus, action: ReportAction) -> ReportStatus:
    """The report's status after `action`, or a refusal naming the statuses that allow it."""
    allowed, after = _REPORT_NEXT[action]
    if status not in allowed:
        names = "、".join(REPORT_STATUS_ZH[s] for s in allowed)
        raise _transition_error(
            "REPORT_TRANSITION", "举报", REPORT_STATUS_ZH[status], REPORT_ACTION_ZH[action], names
        )
    return after


@dataclass(frozen=True)
class RewardTier:
    """Up to `upto_fen` of the recovered amount (None: the rest) is rewarded at `rate_bp` (累进)."""

    upto_fen: int | None
    rate_bp: int


@dataclass(frozen=True)
class RewardTable:
    """A region's reward table: progressive tiers of the recovered amount, a floor and a cap."""

    tiers: tuple[RewardTier, ...]
    min_fen: int = 20000  # 最低不少于200元 (typical)
    max_fen: int = 20000000  # 最高不超过20万元 (typical)


# Typical: 5% up to 100,000 yuan, 3% up to 1,000,000 yuan, 1% above; floor 200 yuan, cap 200,000 yuan.
DEFAULT_REWARDS = RewardTable(
    tiers=(RewardTier(10000000, 500), RewardTier(100000000, 300), RewardTier(None, 100))
)


def check_reward_table(table: RewardTable, *, field: str = "rewards") -> RewardTable:
    """Tiers with rising limits, the last one open, rates 0–10000 bp, 0 ≤ floor ≤ cap."""
    errors: list[FieldError] = []
    tiers = table.tiers
    if not tiers or tiers[-1].upto_fen is not None:
        errors.append(
            FieldError(
                f"{field}.tiers", "TIERS_OPEN_END", f"字段 {field}.tiers 须至少一档，且最后一档不设上限"
            )
        )
    limits = [t.upto_fen for t in tiers if t.upto_fen is not None]
    inner_open = any(t.upto_fen is None for t in tiers[:-1])
    rising = all(a < b for a, b in pairwise(limits))
    if inner_open or not rising or any(x <= 0 for x in limits):
        errors.append(
            FieldError(f"{field}.tiers", "TIERS_ORDER", f"字段 {field}.tiers 各档上限须为正数且逐档递增")
        )
    if any(not 0 <= t.rate_bp <= BP for t in tiers):
        errors.append(
            FieldError(f"{field}.tiers", "RATE_RANGE", f"字段 {field}.tiers 奖励比例须在0至10000（100%）之间")
        )
    if not 0 <= table.min_fen <= table.max_fen:
        errors.append(
            FieldError(
                f"{field}.min_fen", "REWARD_BOUNDS", f"字段 {field}.min_fen 最低奖励须≥0且不高于最高奖励"
            )
        )
    if errors:
        raise collect(errors)
    return table


def reward_for(recovered_fen: int, table: RewardTable) -> int:
    """The reward for a recovered amount: each tier's slice × its rate, summed and rounded half up
    once to the fen, then held between the floor and the cap (nothing when nothing was recovered)."""
    if recovered_fen <= 0:
        return 0
    total = Decimal(0)
    lower = 0
    for tier in table.tiers:
        upper = recovered_fen if tier.upto_fen is None else min(recovered_fen, tier.upto_fen)
        if upper > lower:
            total += Decimal(upper - lower) * tier.rate_bp / BP
        if tier.upto_fen is None or recovered_fen <= tier.upto_fen:
            break
        lower = tier.upto_fen
    amount = int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return min(max(amount, table.min_fen), table.max_fen)


# ---- decisions (处理决定) --------------------------------------------------------------------------------


class DecisionKind(StrEnum):
    """处理决定类型."""

    RECOVERY = "recovery"  # 追回（拒付）违规费用
    FINE = "fine"  # 罚款（2至5倍）
    SUSPENSION = "suspension"  # 暂停协议/资格
    TERMINATION = "termination"  # 解除协议/取消资格
    REFERRAL = "referral"  # 移送公安机关/纪委监委
    DOCTOR_POINTS = "doctor_points"  # 医保医师扣分


DECISION_KIND_ZH = {
    DecisionKind.RECOVERY: "追回违规费用",
    DecisionKind.FINE: "罚款",
    DecisionKind.SUSPENSION: "暂停",
    DecisionKind.TERMINATION: "解除协议/取消资格",
    DecisionKind.REFERRAL: "移送",
    DecisionKind.DOCTOR_POINTS: "医保医师扣分",
}


class TargetType(StrEnum):
    INSTITUTION = "institution"  # 定点医药机构
    DOCTOR = "doctor"  # 医保医师
    PERSON = "person"  # 参保人


TARGET_TYPE_ZH = {
    TargetType.INSTITUTION: "定点医药机构",
    TargetType.DOCTOR: "医保医师",
    TargetType.PERSON: "参保人",
}

REFERRAL_BODIES = {
    "police": "公安机关",
    "discipline": "纪委监委",
    "health": "卫生健康部门",
    "market": "市场监管部门",
}


class DecisionStatus(StrEnum):
    DRAFT = "draft"  # 拟处理
    ISSUED = "issued"  # 已签发（已执行处理）
    WITHDRAWN = "withdrawn"  # 已撤回


DECISION_STATUS_ZH = {
    DecisionStatus.DRAFT: "拟处理",
    DecisionStatus.ISSUED: "已签发",
    DecisionStatus.WITHDRAWN: "已撤回",
}

FINE_MIN_PCT, FINE_MAX_PCT = 200, 500  # 骗取金额2倍以上5倍以下罚款


@dataclass(frozen=True)
class DecisionTerms:
    """A decision's checked terms."""

    kind: DecisionKind
    target_type: TargetType
    amount_fen: int  # the amount concerned (违规/骗取金额)
    fine_pct: int  # fines: the multiple in percent (200–500), else 0
    penalty_fen: int  # recovery: the amount; fine: amount × multiple; else 0
    months: int  # suspensions
    referral_to: str | None
    violation: str | None  # doctor points: the violation code of the points table
    ban_years: int = 0  # terminations of an institution: years without a new agreement (禁入年限), 0 none
    ban_permanent: bool = False  # terminations of a pharmacy: permanent exit (永久退出)


PHARMACY_BAN_YEARS = (3, 5)  # 001 第四十五条: a pharmacy's agreement terminated, no renewal for 3–5 years
INSTITUTION_BAN_YEARS = (1, 5)  # a medical institution: an optional ban of 1–5 years


def check_ban(
    *,
    kind: DecisionKind,
    target_type: TargetType,
    fixmedins_type: str | None,
    ban_years: int | None,
    ban_permanent: bool,
    errors: list[FieldError],
) -> tuple[int, bool]:
    """The re-entry ban (禁入期) a decision carries, as (years, permanent): only terminations of an
    institution carry one; a pharmacy's termination always does — 3 to 5 years (3 unless given) or a
    permanent exit; a medical institution's may, 1 to 5 years, never permanent. Broken rules are
    appended to `errors`."""
    if kind is not DecisionKind.TERMINATION or target_type is not TargetType.INSTITUTION:
        if ban_years or ban_permanent:
            errors.append(
                FieldError("ban_years", "BAN_UNUSED", "字段 ban_years 仅解除定点机构协议的决定填写禁入年限")
            )
        return 0, False
    pharmacy = fixmedins_type == "2"
    if ban_permanent:
        if not pharmacy:
            errors.append(
                FieldError(
                    "ban_permanent",
                    "PERMANENT_EXIT_PHARMACY",
                    "字段 ban_permanent 永久退出仅用于定点零售药店（001 第四十五条）",
                )
            )
        elif ban_years:
            errors.append(
                FieldError("ban_years", "BAN_YEARS_UNUSED", "字段 ban_years 永久退出时不填禁入年限")
            )
        return 0, pharmacy
    low, high = PHARMACY_BAN_YEARS if pharmacy else INSTITUTION_BAN_YEARS
    years = ban_years if ban_years is not None else (low if pharmacy else 0)
    if (pharmacy or years) and not low <= years <= high:
        rule = (
            f"定点药店解除协议须{low}至{high}年内不再续签，或永久退出（001 第四十五条）"
            if pharmacy
            else f"定点医疗机构禁入期须为{low}至{high}年"
        )
        errors.append(FieldError("ban_years", "BAN_YEARS_RANGE", f"字段 ban_years {rule}，实际为 {years}"))
        return 0, False
    return years, False


def check_decision(
    *,
    kind: DecisionKind,
    target_type: TargetType,
    fixmedins_type: str | None,
    amount_fen: int,
    fine_pct: int | None,
    months: int | None,
    referral_to: str | None,
    violation: str | None,
    ban_years: int | None = None,
    ban_permanent: bool = False,
) -> DecisionTerms:
    """A decision's terms, all rules checked at once: fines 2–5× a positive amount; suspensions of an
    institution 2–6 months (pharmacies 6–12), of a doctor 1–24; referral to a named body; points for
    doctors only; suspension and termination not for insured persons; the re-entry ban of a
    termination as `check_ban` decides."""
    errors: list[FieldError] = []
    if amount_fen < 0:
        errors.append(FieldError("amount", "MONEY_NEGATIVE", "字段 amount 金额不能为负数"))
    pct = fine_pct or 0
    penalty = 0
    if kind is DecisionKind.RECOVERY:
        if amount_fen <= 0:
            errors.append(
                FieldError("amount", "AMOUNT_REQUIRED", "字段 amount 追回决定须给出追回金额（大于0）")
            )
        penalty = amount_fen
    if kind is DecisionKind.FINE:
        if amount_fen <= 0:
            errors.append(
                FieldError("amount", "AMOUNT_REQUIRED", "字段 amount 罚款决定须给出骗取金额（大于0）")
            )
        if not FINE_MIN_PCT <= pct <= FINE_MAX_PCT:
            errors.append(
                FieldError(
                    "fine_pct",
                    "FINE_MULTIPLE_RANGE",
                    "字段 fine_pct 罚款倍数须为骗取金额的2倍以上5倍以下（200至500）",
                )
            )
        penalty = _half_up(amount_fen * pct, 100)
    elif pct:
        errors.append(FieldError("fine_pct", "FINE_MULTIPLE_UNUSED", "字段 fine_pct 仅罚款决定填写倍数"))
    span = months or 0
    if kind is DecisionKind.SUSPENSION:
        if target_type is TargetType.PERSON:
            errors.append(
                FieldError(
                    "target_type", "TARGET_KIND", "字段 target_type 暂停决定的对象须为定点机构或医保医师"
                )
            )
        elif target_type is TargetType.DOCTOR:
            if not 1 <= span <= 24:
                errors.append(
                    FieldError("months", "SUSPEND_MONTHS_RANGE", "字段 months 暂停医保医师资格须为1至24个月")
                )
        else:
            low, high = (6, 12) if fixmedins_type == "2" else (2, 6)
            if not low <= span <= high:
                who = "定点药店" if fixmedins_type == "2" else "定点医疗机构"
                errors.append(
                    FieldError(
                        "months",
                        "SUSPEND_MONTHS_RANGE",
                        f"字段 months {who}暂停协议须为{low}至{high}个月（001 第39/45条）",
                    )
                )
    elif span:
        errors.append(FieldError("months", "MONTHS_UNUSED", "字段 months 仅暂停决定填写月数"))
    if kind is DecisionKind.TERMINATION and target_type is TargetType.PERSON:
        errors.append(
            FieldError("target_type", "TARGET_KIND", "字段 target_type 解除决定的对象须为定点机构或医保医师")
        )
    body = (referral_to or "").strip() or None
    if kind is DecisionKind.REFERRAL:
        if body not in REFERRAL_BODIES:
            allowed = "/".join(REFERRAL_BODIES)
            errors.append(
                FieldError("referral_to", "REFERRAL_BODY", f"字段 referral_to 移送机关须为：{allowed}")
            )
    elif body:
        errors.append(FieldError("referral_to", "REFERRAL_UNUSED", "字段 referral_to 仅移送决定填写移送机关"))
    code = (violation or "").strip() or None
    if kind is DecisionKind.DOCTOR_POINTS:
        if target_type is not TargetType.DOCTOR:
            errors.append(
                FieldError("target_type", "TARGET_KIND", "字段 target_type 扣分决定的对象须为医保医师")
            )
        if code is None:
            errors.append(FieldError("violation", "REQUIRED", "字段 violation 扣分决定须给出违规类型"))
    years, permanent = check_ban(
        kind=kind,
        target_type=target_type,
        fixmedins_type=fixmedins_type,
        ban_years=ban_years,
        ban_permanent=ban_permanent,
        errors=errors,
    )
    if errors:
        raise collect(errors)
    return DecisionTerms(kind, target_type, amount_fen, pct, penalty, span, body, code, years, permanent)


def check_document_no(value: str | None) -> str:
    """A penalty acts only with its decision document number (处理决定书文号)."""
    text = (value or "").strip()
    if not text:
        raise invalid(
            "DECISION_DOCUMENT_REQUIRED", "document_no", "字段 document_no 签发处理决定必须填写决定书文号"
        )
    if len(text) > 64:
        raise invalid("TOO_LONG", "document_no", "字段 document_no（决定书文号）不能超过64个字符")
    return text


def decision_next(status: DecisionStatus, action: str) -> DecisionStatus:
    """issue: draft → issued; withdraw: draft → withdrawn (an issued decision stands)."""
    after = {"issue": DecisionStatus.ISSUED, "withdraw": DecisionStatus.WITHDRAWN}[action]
    if status is not DecisionStatus.DRAFT:
        zh = "签发" if action == "issue" else "撤回"
        raise _transition_error("DECISION_TRANSITION", "处理决定", DECISION_STATUS_ZH[status], zh, "拟处理")
    return after


def serious(kind: DecisionKind, penalty_fen: int, threshold_fen: int) -> bool:
    """Whether a decision is a serious violation to disclose (信息披露): suspension, termination,
    referral, or a fine/recovery of at least the region's threshold."""
    if kind in (DecisionKind.SUSPENSION, DecisionKind.TERMINATION, DecisionKind.REFERRAL):
        return True
    return kind in (DecisionKind.FINE, DecisionKind.RECOVERY) and penalty_fen >= threshold_fen


def allocate_recovery(recover_fen: int, caps: Sequence[int]) -> list[int]:
    """Spread a confirmed recovery (确认追回金额) over review items in order: each item refuses at most
    its cap (what the finding suggests, within what it declared) until the recovery is used up; items
    after that refuse 0. The parts never exceed the recovery nor any cap."""
    left = max(recover_fen, 0)
    parts = []
    for cap in caps:
        part = min(left, max(cap, 0))
        parts.append(part)
        left -= part
    return parts
