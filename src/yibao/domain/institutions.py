"""Rules of designated institutions (定点医药机构) and insurance doctors (医保医师).

Pure: the caller passes the day; nothing here reads the clock or the database.

Agreement (服务协议) states and the actions between them:

    applying --sign--> active --suspend--> suspended --resume--> active
    active/expired --renew--> active (a new period after the old one)
    active --expire--> expired (only after the agreement's last day)
    applying/active/suspended/expired --terminate--> terminated (final)

Settlement is allowed on a day when the agreement covers that day; an agreement that has ended
keeps settling for a grace of two months, then settlement is suspended until it is renewed
(001: 协议到期定点医疗机构应及时续签协议，逾期2个月仍未续签的，将暂停定点单位结算服务).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol

from yibao.domain.errors import BusinessError, ErrorKind, invalid

AGREEMENT_MONTHS = 12  # 协议有效期一般为1年 (typical; a region may sign other lengths)
RENEWAL_GRACE_MONTHS = 2  # 逾期2个月仍未续签的，暂停结算 (001)
SUSPEND_POINTS = 6  # 扣分达6分以上的暂停或取消医保医师资格 (002)


class AgreementStatus(StrEnum):
    """协议状态."""

    APPLYING = "applying"  # 申请中
    ACTIVE = "active"  # 协议有效
    SUSPENDED = "suspended"  # 暂停
    TERMINATED = "terminated"  # 解除/终止
    EXPIRED = "expired"  # 到期


AGREEMENT_STATUS_ZH = {
    AgreementStatus.APPLYING: "申请中",
    AgreementStatus.ACTIVE: "协议有效",
    AgreementStatus.SUSPENDED: "暂停",
    AgreementStatus.TERMINATED: "已解除",
    AgreementStatus.EXPIRED: "已到期",
}


class AgreementAction(StrEnum):
    """An action on an agreement (协议操作)."""

    SIGN = "sign"  # 签订
    RENEW = "renew"  # 续签
    SUSPEND = "suspend"  # 暂停
    RESUME = "resume"  # 恢复
    EXPIRE = "expire"  # 到期
    TERMINATE = "terminate"  # 解除


AGREEMENT_ACTION_ZH = {
    AgreementAction.SIGN: "签订协议",
    AgreementAction.RENEW: "续签协议",
    AgreementAction.SUSPEND: "暂停协议",
    AgreementAction.RESUME: "恢复协议",
    AgreementAction.EXPIRE: "协议到期",
    AgreementAction.TERMINATE: "解除协议",
}

_ALLOWED: dict[AgreementAction, frozenset[AgreementStatus]] = {
    AgreementAction.SIGN: frozenset({AgreementStatus.APPLYING}),
    AgreementAction.RENEW: frozenset({AgreementStatus.ACTIVE, AgreementStatus.EXPIRED}),
    AgreementAction.SUSPEND: frozenset({AgreementStatus.ACTIVE}),
    AgreementAction.RESUME: frozenset({AgreementStatus.SUSPENDED}),
    AgreementAction.EXPIRE: frozenset({AgreementStatus.ACTIVE}),
    AgreementAction.TERMINATE: frozenset(
        {
            AgreementStatus.APPLYING,
            AgreementStatus.ACTIVE,
            AgreementStatus.SUSPENDED,
            AgreementStatus.EXPIRED,
        }
    ),
}

# Why settlement is or is not allowed on a day (stable codes and their Chinese reasons).
SETTLE_OK = "OK"
SETTLE_GRACE = "AGREEMENT_RENEWAL_GRACE"
SETTLE_REASONS = {
    SETTLE_OK: "协议有效，可以结算",
    SETTLE_GRACE: "协议已到期，处于2个月续签宽限期内，可以结算",
    "INSTITUTION_INACTIVE": "定点机构已停用，不能结算",
    "AGREEMENT_NOT_SIGNED": "尚未签订服务协议，不能结算",
    "AGREEMENT_NOT_STARTED": "服务协议尚未生效，不能结算",
    "AGREEMENT_SUSPENDED": "服务协议暂停期间，不能结算",
    "AGREEMENT_TERMINATED": "服务协议已解除，不能结算",
    "AGREEMENT_NOT_RENEWED": "协议到期2个月未续签，暂停结算",
}


def add_months(day: date, months: int) -> date:
    """The same day `months` later (clipped to the month's last day: 01-31 + 1 month = 02-28/29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def default_agreement_end(begin: date, months: int = AGREEMENT_MONTHS) -> date:
    """The last day of an agreement of `months` starting on `begin` (one year: 2025-01-01 → 2025-12-31)."""
    return add_months(begin, months) - timedelta(days=1)


def renewal_deadline(end: date) -> date:
    """The last day an ended agreement still settles while awaiting renewal (end + 2 months)."""
    return add_months(end, RENEWAL_GRACE_MONTHS)


@dataclass(frozen=True)
class AgreementState:
    """An institution's agreement: status, period and the facts of the current status."""

    status: AgreementStatus
    begin: date | None = None
    end: date | None = None
    suspended_until: date | None = None
    status_since: date | None = None
    reason: str | None = None


def _refuse(state: AgreementState, action: AgreementAction) -> BusinessError:
    allowed = "、".join(AGREEMENT_STATUS_ZH[s] for s in sorted(_ALLOWED[action]))
    return BusinessError(
        code="AGREEMENT_TRANSITION",
        message=(
            f"字段 action：协议状态为“{AGREEMENT_STATUS_ZH[state.status]}”时不能{AGREEMENT_ACTION_ZH[action]}"
            f"（仅限：{allowed}）"
        ),
        field="action",
        kind=ErrorKind.CONFLICT,
    )


def _require_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise invalid("AGREEMENT_REASON", "reason", "字段 reason 暂停或解除协议必须填写原因")
    if len(text) > 255:
        raise invalid("TOO_LONG", "reason", "字段 reason（原因）不能超过255个字符")
    return text


def _period(begin: date, end: date | None) -> date:
    last = end if end is not None else default_agreement_end(begin)
    if last < begin:
        raise invalid("PERIOD_ORDER", "end", f"字段 end（{last}）不能早于 begin（{begin}）")
    return last


def transition(
    state: AgreementState,
    action: AgreementAction,
    *,
    day: date,
    begin: date | None = None,
    end: date | None = None,
    until: date | None = None,
    reason: str | None = None,
) -> AgreementState:
    """The agreement after `action` on `day`; an action not allowed from the current status is refused.

    sign: needs `begin`; `end` defaults to one year. renew: the new period starts the day after the
    old end unless `begin` is given (never inside the old period). suspend: needs a reason, `until`
    optional (the last suspended day). expire: only after the last day. terminate: needs a reason.
    """
    if state.status not in _ALLOWED[action]:
        raise _refuse(state, action)
    if action is AgreementAction.SIGN:
        if begin is None:
            raise invalid("REQUIRED", "begin", "字段 begin 签订协议必须给出协议开始日期")
        last = _period(begin, end)
        return AgreementState(AgreementStatus.ACTIVE, begin, last, None, day, reason)
    if action is AgreementAction.RENEW:
        assert state.end is not None
        new_begin = begin if begin is not None else state.end + timedelta(days=1)
        if new_begin <= state.end:
            raise invalid(
                "AGREEMENT_RENEW_OVERLAP",
                "begin",
                f"字段 begin 续签协议开始日期（{new_begin}）必须晚于原协议结束日期（{state.end}）",
            )
        last = _period(new_begin, end)
        return AgreementState(AgreementStatus.ACTIVE, new_begin, last, None, day, reason)
    if action is AgreementAction.SUSPEND:
        text = _require_reason(reason)
        if until is not None and until < day:
            raise invalid(
                "PERIOD_ORDER", "until", f"字段 until 暂停截止日期（{until}）不能早于暂停日期（{day}）"
            )
        return replace(
            state, status=AgreementStatus.SUSPENDED, suspended_until=until, status_since=day, reason=text
        )
    if action is AgreementAction.RESUME:
        return replace(
            state, status=AgreementStatus.ACTIVE, suspended_until=None, status_since=day, reason=reason
        )
    if action is AgreementAction.EXPIRE:
        assert state.end is not None
        if day <= state.end:
            raise BusinessError(
                code="AGREEMENT_NOT_ENDED",
                message=f"字段 day：协议有效期至 {state.end}，{day} 尚未到期",
                field="day",
                kind=ErrorKind.CONFLICT,
            )
        return replace(state, status=AgreementStatus.EXPIRED, status_since=day, reason=reason)
    text = _require_reason(reason)
    return replace(
        state, status=AgreementStatus.TERMINATED, suspended_until=None, status_since=day, reason=text
    )


class AgreementHolder(Protocol):
    """Anything carrying an institution's agreement (the Institution model does)."""

    @property
    def agreement_status(self) -> str: ...

    @property
    def agreement_begin(self) -> date | None: ...

    @property
    def agreement_end(self) -> date | None: ...

    @property
    def suspended_until(self) -> date | None: ...

    @property
    def status_since(self) -> date | None: ...

    @property
    def active(self) -> bool: ...


def state_of(holder: AgreementHolder) -> AgreementState:
    """The agreement state of a stored institution."""
    return AgreementState(
        status=AgreementStatus(holder.agreement_status),
        begin=holder.agreement_begin,
        end=holder.agreement_end,
        suspended_until=holder.suspended_until,
        status_since=holder.status_since,
    )


def can_settle(institution: AgreementHolder, day: date) -> tuple[bool, str]:
    """Whether the institution may settle on `day`, with the reason code (see SETTLE_REASONS).

    A suspension or termination counts from its `status_since` day (earlier days are judged by the
    agreement period); a suspension with an `until` day lapses after that day. After the agreement's
    last day settlement continues for two months (grace), then stops until renewal.
    """
    if not institution.active:
        return False, "INSTITUTION_INACTIVE"
    state = state_of(institution)
    if state.status is AgreementStatus.APPLYING or state.begin is None:
        return False, "AGREEMENT_NOT_SIGNED"
    since = state.status_since or date.min
    if state.status is AgreementStatus.TERMINATED and day >= since:
        return False, "AGREEMENT_TERMINATED"
    if (
        state.status is AgreementStatus.SUSPENDED
        and day >= since
        and (state.suspended_until is None or day <= state.suspended_until)
    ):
        return False, "AGREEMENT_SUSPENDED"
    if day < state.begin:
        return False, "AGREEMENT_NOT_STARTED"
    if state.end is None or day <= state.end:
        return True, SETTLE_OK
    if day <= renewal_deadline(state.end):
        return True, SETTLE_GRACE
    return False, "AGREEMENT_NOT_RENEWED"


def effective_status(institution: AgreementHolder, day: date) -> AgreementStatus:
    """The status as it stands on `day`: an ended agreement shows expired, then suspended after 2 months."""
    state = state_of(institution)
    status = state.status
    if (
        status is AgreementStatus.SUSPENDED
        and state.suspended_until is not None
        and day > state.suspended_until
    ):
        status = AgreementStatus.ACTIVE
    if (
        status in (AgreementStatus.ACTIVE, AgreementStatus.EXPIRED)
        and state.end is not None
        and day > state.end
    ):
        return AgreementStatus.EXPIRED if day <= renewal_deadline(state.end) else AgreementStatus.SUSPENDED
    return status


# ---- institutions: codes and levels -------------------------------------------------------------

_FIXMEDINS_CODE = re.compile(r"^[A-Z0-9]{4,32}$")
MEDICAL_INSTITUTION = "1"  # fixmedins_type 1 定点医疗机构
RETAIL_PHARMACY = "2"  # fixmedins_type 2 定点零售药店


def check_fixmedins_code(value: str | None, *, field: str = "fixmedins_code") -> str:
    """A designated-institution code: 4–32 upper-case letters or digits (national form: H/P + 11 digits)."""
    code = (value or "").strip()
    if not code:
        raise invalid("REQUIRED", field, f"字段 {field}（定点机构编码）不能为空")
    if not _FIXMEDINS_CODE.match(code):
        raise invalid(
            "FIXMEDINS_CODE_FORMAT",
            field,
            f"字段 {field} 定点机构编码须为4至32位大写字母或数字，实际为 {value!r}",
        )
    return code


def check_level_for_type(fixmedins_type: str, hosp_lv: str | None, *, field: str = "hosp_lv") -> None:
    """A medical institution has a hospital level (医院等级); a retail pharmacy has none."""
    if fixmedins_type == MEDICAL_INSTITUTION and not hosp_lv:
        raise invalid("HOSP_LV_REQUIRED", field, f"字段 {field} 定点医疗机构必须填写医院等级")
    if fixmedins_type == RETAIL_PHARMACY and hosp_lv:
        raise invalid("HOSP_LV_PHARMACY", field, f"字段 {field} 定点零售药店不设医院等级")


# ---- insurance doctors ----------------------------------------------------------------------------


class DoctorKind(StrEnum):
    """医务人员类别 (medins_psn_type 1 医师, 2 护士, 3 药师)."""

    DOCTOR = "doctor"  # 医师
    NURSE = "nurse"  # 护士
    PHARMACIST = "pharmacist"  # 药师


DOCTOR_KIND_ZH = {DoctorKind.DOCTOR: "医师", DoctorKind.NURSE: "护士", DoctorKind.PHARMACIST: "药师"}
_KIND_LETTER = {DoctorKind.DOCTOR: "D", DoctorKind.NURSE: "N", DoctorKind.PHARMACIST: "Y"}


class DoctorStatus(StrEnum):
    """医保医师资格状态."""

    ACTIVE = "active"  # 正常
    SUSPENDED = "suspended"  # 暂停
    CANCELLED = "cancelled"  # 取消


DOCTOR_STATUS_ZH = {
    DoctorStatus.ACTIVE: "正常",
    DoctorStatus.SUSPENDED: "暂停",
    DoctorStatus.CANCELLED: "取消",
}


class DoctorAction(StrEnum):
    """An action on a doctor's qualification."""

    SUSPEND = "suspend"  # 暂停资格
    RESUME = "resume"  # 恢复资格
    CANCEL = "cancel"  # 取消资格 (final)


DOCTOR_ACTION_ZH = {
    DoctorAction.SUSPEND: "暂停资格",
    DoctorAction.RESUME: "恢复资格",
    DoctorAction.CANCEL: "取消资格",
}
_DOCTOR_ALLOWED: dict[DoctorAction, frozenset[DoctorStatus]] = {
    DoctorAction.SUSPEND: frozenset({DoctorStatus.ACTIVE}),
    DoctorAction.RESUME: frozenset({DoctorStatus.SUSPENDED}),
    DoctorAction.CANCEL: frozenset({DoctorStatus.ACTIVE, DoctorStatus.SUSPENDED}),
}

_PRACTISING_CODE = re.compile(r"^\d{15}$")  # 医师执业证书编码: 15 digits
_HI_STAFF_CODE = re.compile(
    r"^([DNY])(\d{6})(\d{5,8})$"
)  # 医保医师/护士/药师代码: letter + admdvs + sequence


def check_dr_code(value: str | None, kind: DoctorKind, *, field: str = "dr_code") -> str:
    """A practising code: 15 digits (执业证书编码), or D/N/Y + 6-digit admdvs + 5–8 digits (医保代码).

    In the letter form the letter must match the kind: D 医师, N 护士, Y 药师.
    """
    code = (value or "").strip().upper()
    if not code:
        raise invalid("REQUIRED", field, f"字段 {field}（执业编码）不能为空")
    if _PRACTISING_CODE.match(code):
        return code
    match = _HI_STAFF_CODE.match(code)
    if match is None:
        raise invalid(
            "DR_CODE_FORMAT",
            field,
            f"字段 {field} 执业编码须为15位数字，或 D/N/Y 加6位区划加5至8位顺序号，实际为 {value!r}",
        )
    if match.group(1) != _KIND_LETTER[kind]:
        raise invalid(
            "DR_CODE_KIND",
            field,
            f"字段 {field} 编码首字母 {match.group(1)} 与人员类别 {DOCTOR_KIND_ZH[kind]}"
            f"（应为 {_KIND_LETTER[kind]}）不符",
        )
    return code


@dataclass(frozen=True)
class DoctorState:
    """A doctor's qualification status and the facts of it."""

    status: DoctorStatus
    suspended_until: date | None = None
    status_since: date | None = None
    reason: str | None = None


def doctor_transition(
    state: DoctorState,
    action: DoctorAction,
    *,
    day: date,
    until: date | None = None,
    reason: str | None = None,
) -> DoctorState:
    """The qualification after `action` on `day`; suspend needs `until` and a reason, cancel a reason."""
    if state.status not in _DOCTOR_ALLOWED[action]:
        allowed = "、".join(DOCTOR_STATUS_ZH[s] for s in sorted(_DOCTOR_ALLOWED[action]))
        raise BusinessError(
            code="DOCTOR_TRANSITION",
            message=(
                f"字段 action：医保医师资格为“{DOCTOR_STATUS_ZH[state.status]}”时"
                f"不能{DOCTOR_ACTION_ZH[action]}（仅限：{allowed}）"
            ),
            field="action",
            kind=ErrorKind.CONFLICT,
        )
    if action is DoctorAction.RESUME:
        return DoctorState(DoctorStatus.ACTIVE, None, day, (reason or "").strip() or None)
    text = (reason or "").strip()
    if not text:
        raise invalid("DOCTOR_REASON", "reason", "字段 reason 暂停或取消医保医师资格必须填写原因")
    if len(text) > 255:
        raise invalid("TOO_LONG", "reason", "字段 reason（原因）不能超过255个字符")
    if action is DoctorAction.SUSPEND:
        if until is None:
            raise invalid("REQUIRED", "until", "字段 until 暂停医保医师资格必须给出暂停截止日期")
        if until < day:
            raise invalid(
                "PERIOD_ORDER", "until", f"字段 until 暂停截止日期（{until}）不能早于暂停日期（{day}）"
            )
        return DoctorState(DoctorStatus.SUSPENDED, until, day, text)
    return DoctorState(DoctorStatus.CANCELLED, None, day, text)


class QualificationHolder(Protocol):
    """Anything carrying a doctor's status (the Doctor model does)."""

    @property
    def status(self) -> str: ...

    @property
    def suspended_until(self) -> date | None: ...

    @property
    def status_since(self) -> date | None: ...


QUALIFICATION_REASONS = {
    "OK": "医保医师资格正常，可以开具医保处方",
    "DOCTOR_SUSPENDED": "医保医师资格暂停期间，不能开具医保处方",
    "DOCTOR_CANCELLED": "医保医师资格已取消，不能开具医保处方",
}


def qualification_on(doctor: QualificationHolder, day: date) -> tuple[bool, str]:
    """Whether the doctor may prescribe on insurance on `day` (suspended/cancelled → no), with a code.

    A suspension covers `status_since` through `suspended_until`; a cancellation holds from
    `status_since` on. Days before a status change are judged as active.
    """
    status = DoctorStatus(doctor.status)
    since = doctor.status_since or date.min
    if status is DoctorStatus.CANCELLED and day >= since:
        return False, "DOCTOR_CANCELLED"
    if (
        status is DoctorStatus.SUSPENDED
        and day >= since
        and (doctor.suspended_until is None or day <= doctor.suspended_until)
    ):
        return False, "DOCTOR_SUSPENDED"
    return True, "OK"


def points_in_year(points_year: int, points_deducted: int, year: int) -> int:
    """Points deducted in `year` (积分扣分): the stored count if it is for that year, else 0 (a new year)."""
    return points_deducted if points_year == year else 0


def reaches_suspension(points: int) -> bool:
    """Whether a year's deducted points reach the suspension threshold (扣分达6分以上暂停或取消资格)."""
    return points >= SUSPEND_POINTS
