"""Rules of designated institutions (定点医药机构) and insurance doctors (医保医师).

Pure: the caller passes the day; nothing here reads the clock or the database.

Agreement (服务协议) states and the actions between them:

    applying --sign--> active --suspend--> suspended --resume--> active
    active/expired --renew--> active (a new period after the old one)
    active --expire--> expired (only after the agreement's last day)
    applying/active/suspended/expired --terminate--> terminated
    terminated --reapply--> applying (re-entry: a new admission, refused inside a re-entry ban)
    active/suspended --change--> unchanged status (协议变更 recorded with its day and content)

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
    REAPPLY = "reapply"  # 重新申请定点 (after termination, outside any re-entry ban)
    CHANGE = "change"  # 协议变更 (name, address, scope …: recorded, status unchanged)


AGREEMENT_ACTION_ZH = {
    AgreementAction.SIGN: "签订协议",
    AgreementAction.RENEW: "续签协议",
    AgreementAction.SUSPEND: "暂停协议",
    AgreementAction.RESUME: "恢复协议",
    AgreementAction.EXPIRE: "协议到期",
    AgreementAction.TERMINATE: "解除协议",
    AgreementAction.REAPPLY: "重新申请定点",
    AgreementAction.CHANGE: "协议变更",
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
    AgreementAction.REAPPLY: frozenset({AgreementStatus.TERMINATED}),
    AgreementAction.CHANGE: frozenset({AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED}),
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


RENEWAL_REMINDER_STATUSES = frozenset({"active", "suspended", "expired"})


def renewal_reminder(status: str, end: date | None, day: date, within_days: int) -> tuple[str, date] | None:
    """Whether an agreement calls for a renewal reminder (续签提醒) on `day`, as (stage, due day):
    `expiring` when it ends within `within_days` (due its last day); `grace` when it has ended and
    the 2-month grace still runs (due the grace's last day, after which settlement is suspended);
    None otherwise, and for agreements not signed or terminated."""
    if end is None or status not in RENEWAL_REMINDER_STATUSES:
        return None
    if day <= end:
        return ("expiring", end) if (end - day).days <= within_days else None
    deadline = renewal_deadline(end)
    return ("grace", deadline) if day <= deadline else None


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
        raise invalid("AGREEMENT_REASON", "reason", "字段 reason 暂停、解除或变更协议必须填写原因")
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
    reapply: a terminated institution applies again (the caller checks re-entry bans first).
    change: needs the content of the change (as `reason`); nothing else moves.
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
    if action is AgreementAction.REAPPLY:
        return AgreementState(AgreementStatus.APPLYING, None, None, None, day, (reason or "").strip() or None)
    if action is AgreementAction.CHANGE:
        _require_reason(reason)
        return state  # the change is recorded in the history; the status and its facts stay
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


# ---- admission (定点准入): application → eligibility → assessment → public notice → signing ------------
#
# 001 第6篇 第二条: a designated institution holds the health licence and has been open normally for
# more than one year; 第三条: applications are screened against the conditions, inspected on site,
# put on public notice (社会公示), then the certificate and the plaque are issued (证、牌 taken back on
# termination); 第四条: the agreement runs one year; 第十条: the insurance network and computers
# are in place; 第四十五条: a pharmacy may be barred from renewal for 3–5 years or leave for good.


class ApplicationStatus(StrEnum):
    """定点申请状态."""

    SUBMITTED = "submitted"  # 已受理
    ELIGIBLE = "eligible"  # 资格审查通过
    INELIGIBLE = "ineligible"  # 资格审查未通过 (may be checked again after the facts are corrected)
    ASSESSED = "assessed"  # 评估通过
    FAILED = "failed"  # 评估未通过 (final)
    NOTICE = "notice"  # 公示中
    APPROVED = "approved"  # 公示期满无异议，认定定点资格
    REJECTED = "rejected"  # 不予认定 (final)
    SIGNED = "signed"  # 已签订协议 (final)
    WITHDRAWN = "withdrawn"  # 已撤回 (final)


APPLICATION_STATUS_ZH = {
    ApplicationStatus.SUBMITTED: "已受理",
    ApplicationStatus.ELIGIBLE: "资格审查通过",
    ApplicationStatus.INELIGIBLE: "资格审查未通过",
    ApplicationStatus.ASSESSED: "评估通过",
    ApplicationStatus.FAILED: "评估未通过",
    ApplicationStatus.NOTICE: "公示中",
    ApplicationStatus.APPROVED: "已认定定点资格",
    ApplicationStatus.REJECTED: "不予认定",
    ApplicationStatus.SIGNED: "已签订协议",
    ApplicationStatus.WITHDRAWN: "已撤回",
}


class ApplicationAction(StrEnum):
    """A step of an application (准入步骤)."""

    CHECK = "check"  # 资格审查
    ASSESS = "assess"  # 专业评估
    PUBLISH = "publish"  # 公示
    CLOSE = "close"  # 公示期满
    SIGN = "sign"  # 签订协议
    REJECT = "reject"  # 不予认定
    WITHDRAW = "withdraw"  # 撤回申请


APPLICATION_ACTION_ZH = {
    ApplicationAction.CHECK: "资格审查",
    ApplicationAction.ASSESS: "专业评估",
    ApplicationAction.PUBLISH: "发布公示",
    ApplicationAction.CLOSE: "公示结束",
    ApplicationAction.SIGN: "签订协议",
    ApplicationAction.REJECT: "不予认定",
    ApplicationAction.WITHDRAW: "撤回申请",
}

_A = ApplicationStatus
_APPLICATION_FROM: dict[ApplicationAction, frozenset[ApplicationStatus]] = {
    ApplicationAction.CHECK: frozenset({_A.SUBMITTED, _A.INELIGIBLE}),
    ApplicationAction.ASSESS: frozenset({_A.ELIGIBLE}),
    ApplicationAction.PUBLISH: frozenset({_A.ASSESSED}),
    ApplicationAction.CLOSE: frozenset({_A.NOTICE}),
    ApplicationAction.SIGN: frozenset({_A.APPROVED}),
    ApplicationAction.REJECT: frozenset({_A.SUBMITTED, _A.INELIGIBLE, _A.ELIGIBLE, _A.ASSESSED}),
    ApplicationAction.WITHDRAW: frozenset(
        {_A.SUBMITTED, _A.INELIGIBLE, _A.ELIGIBLE, _A.ASSESSED, _A.NOTICE, _A.APPROVED}
    ),
}
APPLICATION_OPEN = frozenset({_A.SUBMITTED, _A.ELIGIBLE, _A.INELIGIBLE, _A.ASSESSED, _A.NOTICE, _A.APPROVED})
# Where a step leads: (when it passes, when it does not).
_APPLICATION_TO: dict[ApplicationAction, tuple[ApplicationStatus, ApplicationStatus]] = {
    ApplicationAction.CHECK: (_A.ELIGIBLE, _A.INELIGIBLE),
    ApplicationAction.ASSESS: (_A.ASSESSED, _A.FAILED),
    ApplicationAction.PUBLISH: (_A.NOTICE, _A.NOTICE),
    ApplicationAction.CLOSE: (_A.APPROVED, _A.REJECTED),
    ApplicationAction.SIGN: (_A.SIGNED, _A.SIGNED),
    ApplicationAction.REJECT: (_A.REJECTED, _A.REJECTED),
    ApplicationAction.WITHDRAW: (_A.WITHDRAWN, _A.WITHDRAWN),
}


def application_next(
    status: ApplicationStatus, action: ApplicationAction, *, passed: bool = True
) -> ApplicationStatus:
    """The status after a step; a step out of order (skipped or repeated) is refused with the reason."""
    if status not in _APPLICATION_FROM[action]:
        allowed = "、".join(APPLICATION_STATUS_ZH[s] for s in sorted(_APPLICATION_FROM[action]))
        raise BusinessError(
            code="APPLICATION_TRANSITION",
            message=(
                f"字段 action：申请状态为“{APPLICATION_STATUS_ZH[status]}”时不能"
                f"{APPLICATION_ACTION_ZH[action]}（仅限：{allowed}）"
            ),
            field="action",
            kind=ErrorKind.CONFLICT,
        )
    yes, no = _APPLICATION_TO[action]
    return yes if passed else no


# ---- eligibility (资格审查) ---------------------------------------------------------------------------

DOCUMENT_KINDS = {
    "licence": "执业许可证/药品经营许可证",
    "business": "营业执照",
    "systems": "信息系统联网验收材料",
    "rules": "医保管理制度与人员名单",
    "floor_plan": "场所平面图",
    "other": "其他材料",
}
REQUIRED_DOCUMENTS = ("licence", "business")


@dataclass(frozen=True)
class EligibilityFacts:
    """The recorded facts an application is checked on (each with its date)."""

    licence_no: str | None
    licence_valid_until: date | None
    opened_on: date | None
    systems_connected_on: date | None
    documents: frozenset[str]


@dataclass(frozen=True)
class CheckResult:
    """One eligibility check: pass or fail, with the reason in Chinese."""

    code: str
    name: str
    passed: bool
    reason: str


def one_year_open_on(opened_on: date) -> date:
    """The day an institution opened on `opened_on` has been open one year (2024-03-01 → 2025-03-01)."""
    return add_months(opened_on, 12)


def check_eligibility(facts: EligibilityFacts, day: date) -> list[CheckResult]:
    """Every eligibility check on `day` (001 第6篇 第二条 licence and one year open, 第十条 network,
    第三条 documents); all must pass."""
    results: list[CheckResult] = []
    licence = (facts.licence_no or "").strip()
    if not licence:
        results.append(CheckResult("LICENCE", "执业许可", False, "未登记执业许可证（药品经营许可证）编号"))
    elif facts.licence_valid_until is not None and facts.licence_valid_until < day:
        results.append(
            CheckResult(
                "LICENCE", "执业许可", False, f"许可证 {licence} 已于 {facts.licence_valid_until} 到期"
            )
        )
    else:
        until = f"有效至 {facts.licence_valid_until}" if facts.licence_valid_until else "长期有效"
        results.append(CheckResult("LICENCE", "执业许可", True, f"许可证 {licence} {until}"))
    if facts.opened_on is None:
        results.append(CheckResult("OPEN_ONE_YEAR", "开业满一年", False, "未登记开业日期"))
    else:
        full = one_year_open_on(facts.opened_on)
        if full <= day:
            reason = f"{facts.opened_on} 开业，{full} 起已满一年"
            results.append(CheckResult("OPEN_ONE_YEAR", "开业满一年", True, reason))
        else:
            reason = f"{facts.opened_on} 开业，至 {day} 未满一年（{full} 满一年）"
            results.append(CheckResult("OPEN_ONE_YEAR", "开业满一年", False, reason))
    connected = facts.systems_connected_on
    if connected is None:
        results.append(CheckResult("SYSTEMS", "信息系统联网", False, "尚未完成医保信息系统联网验收"))
    elif connected > day:
        results.append(
            CheckResult("SYSTEMS", "信息系统联网", False, f"联网验收日期 {connected} 晚于审查日 {day}")
        )
    else:
        results.append(CheckResult("SYSTEMS", "信息系统联网", True, f"{connected} 完成医保信息系统联网验收"))
    missing = [DOCUMENT_KINDS[k] for k in REQUIRED_DOCUMENTS if k not in facts.documents]
    if missing:
        results.append(CheckResult("DOCUMENTS", "申请材料", False, f"缺少材料：{'、'.join(missing)}"))
    else:
        results.append(CheckResult("DOCUMENTS", "申请材料", True, "必备材料齐全"))
    return results


# ---- professional assessment (专业评估): a scored checklist --------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    """One item of the on-site assessment checklist with its weight (points)."""

    code: str
    label: str
    weight: int


@dataclass(frozen=True)
class Checklist:
    """A region's checklist for one kind of institution: items whose weights sum to 100, a pass mark."""

    items: tuple[ChecklistItem, ...]
    pass_mark: int


_ITEM_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def check_checklist(items: list[ChecklistItem], pass_mark: int, *, field: str = "body") -> Checklist:
    """A lawful checklist: 1–30 items, unique codes, weights 1–100 summing to 100, pass mark 1–100."""
    errors: list[str] = []
    if not 1 <= len(items) <= 30:
        raise invalid("CHECKLIST_ITEMS", f"{field}.items", f"字段 {field}.items 评估项须为1至30项")
    seen: set[str] = set()
    for i, item in enumerate(items):
        if not _ITEM_CODE.match(item.code):
            errors.append(f"第{i + 1}项代码 {item.code!r} 须为小写字母开头的字母、数字、下划线")
        if item.code in seen:
            errors.append(f"第{i + 1}项代码 {item.code} 重复")
        seen.add(item.code)
        if not item.label.strip() or len(item.label) > 64:
            errors.append(f"第{i + 1}项名称须为1至64个字符")
        if not 1 <= item.weight <= 100:
            errors.append(f"第{i + 1}项分值 {item.weight} 须为1至100")
    if errors:
        raise invalid("CHECKLIST_ITEM", f"{field}.items", f"字段 {field}.items：{'；'.join(errors)}")
    total = sum(i.weight for i in items)
    if total != 100:
        raise invalid(
            "CHECKLIST_WEIGHTS", f"{field}.items", f"字段 {field}.items 分值合计须为100，实际 {total}"
        )
    if not 1 <= pass_mark <= 100:
        raise invalid("PASS_MARK_RANGE", f"{field}.pass_mark", f"字段 {field}.pass_mark 合格分须为1至100")
    return Checklist(tuple(items), pass_mark)


@dataclass(frozen=True)
class ChecklistResult:
    """The scored checklist: each item's score, the total and whether it reaches the pass mark."""

    items: list[dict[str, object]]
    total: int
    pass_mark: int
    passed: bool


def score_checklist(checklist: Checklist, scores: dict[str, int]) -> ChecklistResult:
    """Score every item (0 to its weight); an unknown, missing or out-of-range score is refused."""
    known = {i.code for i in checklist.items}
    unknown = sorted(set(scores) - known)
    if unknown:
        raise invalid("CHECKLIST_UNKNOWN", "scores", f"字段 scores 评估项 {'、'.join(unknown)} 不在评估表中")
    missing = [i.label for i in checklist.items if i.code not in scores]
    if missing:
        raise invalid("CHECKLIST_MISSING", "scores", f"字段 scores 以下评估项未打分：{'、'.join(missing)}")
    items: list[dict[str, object]] = []
    for item in checklist.items:
        value = scores[item.code]
        if not 0 <= value <= item.weight:
            raise invalid(
                "CHECKLIST_SCORE_RANGE",
                f"scores.{item.code}",
                f"字段 scores.{item.code}（{item.label}）得分 {value} 须在0至{item.weight}之间",
            )
        items.append({"code": item.code, "label": item.label, "weight": item.weight, "score": value})
    total = sum(scores[i.code] for i in checklist.items)
    return ChecklistResult(items, total, checklist.pass_mark, total >= checklist.pass_mark)


DEFAULT_CHECKLISTS: dict[str, Checklist] = {
    MEDICAL_INSTITUTION: Checklist(
        (
            ChecklistItem("management", "医保管理组织、院领导负责与专门人员（第七条）", 15),
            ChecklistItem("service_windows", "医保专用挂号、刷卡、取药窗口与住院服务台（第九条）", 10),
            ChecklistItem("price_notice", "收费标准醒目公布（第九条）", 10),
            ChecklistItem("it_network", "医保网络、计算机软硬件，无二次匹配（第十条）", 20),
            ChecklistItem("medical_quality", "诊疗规范、病历书写与质量控制（第十三条）", 25),
            ChecklistItem("drug_stock", "目录内药品配备（西药≥85%、中成药≥50%）", 20),
        ),
        70,
    ),
    RETAIL_PHARMACY: Checklist(
        (
            ChecklistItem("management", "医保管理制度与专（兼）职人员", 15),
            ChecklistItem("pharmacist", "药师在岗、处方审核签字（第四十四条）", 20),
            ChecklistItem("purchase", "购药渠道合法、逐批验收记录（第四十一、四十二条）", 20),
            ChecklistItem("storage", "分类陈列与储存条件（第四十二条）", 10),
            ChecklistItem("card_data", "刷卡信息当日录入与传输（第四十七条）", 20),
            ChecklistItem("otc_stock", "目录内非处方药供应（西药≥85%、中成药≥75%）", 15),
        ),
        70,
    ),
}


def default_checklist(fixmedins_type: str) -> Checklist:
    """The typical checklist of a kind (pharmacies theirs, every other kind the medical one)."""
    return DEFAULT_CHECKLISTS.get(fixmedins_type, DEFAULT_CHECKLISTS[MEDICAL_INSTITUTION])


# ---- public notice (公示) -------------------------------------------------------------------------------


def check_notice_period(begin: date, end: date) -> None:
    """A notice runs from `begin` through `end` (inclusive); the end may not precede the beginning."""
    if end < begin:
        raise invalid(
            "PERIOD_ORDER", "notice_end", f"字段 notice_end 公示结束日期（{end}）不能早于开始日期（{begin}）"
        )


def check_objection_day(begin: date, end: date, day: date) -> None:
    """An objection (异议) is received inside the notice period only."""
    if not begin <= day <= end:
        raise invalid(
            "OBJECTION_OUTSIDE_NOTICE", "day", f"字段 day 异议日期 {day} 不在公示期（{begin} 至 {end}）内"
        )


def notice_outcome(end: date, day: date, open_objections: int, upheld_objections: int) -> bool:
    """Whether the notice ends in approval on `day`: refused before the end or with objections unanswered;
    an upheld objection means no designation."""
    if day <= end:
        raise BusinessError(
            code="NOTICE_NOT_ENDED",
            message=f"字段 day：公示期至 {end}，{day} 尚未期满",
            field="day",
            kind=ErrorKind.CONFLICT,
        )
    if open_objections:
        raise BusinessError(
            code="OBJECTION_OPEN",
            message=f"字段 action：尚有 {open_objections} 件异议未处理，处理后才能结束公示",
            field="action",
            kind=ErrorKind.CONFLICT,
        )
    return upheld_objections == 0


# ---- certificate and plaque (资格证书与标牌) ---------------------------------------------------------------

_PLAQUE = re.compile(r"^[A-Z0-9-]{4,32}$")


def certificate_number(admdvs: str, year: int, seq: int) -> str:
    """The certificate number: ZG + region + year + 4-digit running number of the region and year."""
    return f"ZG{admdvs}{year}{seq:04d}"


def plaque_number(admdvs: str, fixmedins_type: str, seq: int) -> str:
    """The plaque number: DY (医疗机构) or DD (药店) + region + 5-digit running number of the region."""
    letter = "DD" if fixmedins_type == RETAIL_PHARMACY else "DY"
    return f"{letter}{admdvs}{seq:05d}"


def check_plaque_no(value: str | None) -> str:
    """A plaque number given by hand (a pre-printed plaque): 4–32 upper-case letters, digits or '-'."""
    text = (value or "").strip().upper()
    if not _PLAQUE.match(text):
        raise invalid(
            "PLAQUE_FORMAT",
            "plaque_no",
            f"字段 plaque_no 标牌编号须为4至32位大写字母、数字或-，实际为 {value!r}",
        )
    return text


# ---- re-entry bans (禁入期) ------------------------------------------------------------------------------

PHARMACY_TERMINATION_BAN_YEARS = 3  # 001 第四十五条: a pharmacy's termination means 3–5 years, or for good


class BanKind(StrEnum):
    """禁入类别."""

    NO_RENEW = "no_renew"  # N年内不再续签/不得申请
    PERMANENT = "permanent"  # 永久退出


BAN_KIND_ZH = {BanKind.NO_RENEW: "限期不得重新定点", BanKind.PERMANENT: "永久退出"}


@dataclass(frozen=True)
class Ban:
    """A re-entry ban: from `begin` through `end` (None: permanent), with where it comes from."""

    kind: BanKind
    begin: date
    end: date | None
    source: str  # assessment / supervision / manual
    source_ref: str
    reason: str


def ban_end(begin: date, years: int) -> date:
    """The last banned day of `years` starting on `begin` (3 years from 2026-04-01 → 2029-03-31)."""
    return add_months(begin, 12 * years) - timedelta(days=1)


def ban_in_force(bans: list[Ban], day: date) -> Ban | None:
    """The ban holding on `day` (a permanent one first, else the one ending last), or None."""
    live = [b for b in bans if b.begin <= day and (b.end is None or day <= b.end)]
    if not live:
        return None
    return max(live, key=lambda b: (b.end is None, b.end or date.min))


def refuse_banned(ban: Ban, action: str) -> BusinessError:
    """The refusal naming the ban and its end date (REENTRY_BAN_PERMANENT / REENTRY_BAN_NO_RENEW)."""
    origin = f"{ban.reason}（{ban.source_ref}）"
    if ban.end is None:
        return BusinessError(
            code="REENTRY_BAN_PERMANENT",
            message=(
                f"字段 fixmedins_code：该机构自 {ban.begin} 起永久退出定点管理，不能{action}。依据：{origin}"
            ),
            field="fixmedins_code",
            kind=ErrorKind.CONFLICT,
        )
    return BusinessError(
        code="REENTRY_BAN_NO_RENEW",
        message=(
            f"字段 fixmedins_code：该机构禁入期为 {ban.begin} 至 {ban.end}，{ban.end} 之前不能{action}。"
            f"依据：{origin}"
        ),
        field="fixmedins_code",
        kind=ErrorKind.CONFLICT,
    )
