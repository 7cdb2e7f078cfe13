"""Use cases of claims review (审核): declare, review (automatic and manual), answer, appeal, clear.

Reviewers (Perm.REVIEW_WRITE) decide; institution operators (Perm.DECLARE) declare and answer for
their own institution only. Every step writes a timeline event and an audit row in one transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Protocol

from sqlalchemy.exc import IntegrityError

from yibao.core.clock import LOCAL_TZ, local_text
from yibao.core.db import utcnow
from yibao.core.imports import ImportRefusedError, RowError, decode_csv
from yibao.core.paging import Page, check_paging
from yibao.core.security import Actor, Perm, Role
from yibao.core.uow import UnitOfWork
from yibao.core.validation import optional_text, require_admdvs, require_text
from yibao.domain import review as rules
from yibao.domain.errors import (
    BusinessError,
    ErrorKind,
    FieldError,
    choice,
    collect,
    conflict,
    forbidden,
    invalid,
    not_found,
)
from yibao.domain.money import fen_to_yuan, yuan_to_fen
from yibao.domain.periods import check_order, overlaps
from yibao.domain.review import (
    Action,
    Calendar,
    DeclarationStatus,
    DeductionTotal,
    ItemStatus,
    Reason,
    ReviewParameters,
    SettlementAmounts,
)
from yibao.review.models import (
    CalendarDay,
    CashClaim,
    Declaration,
    DeclaredSettlement,
    ReviewEvent,
    ReviewItem,
    ReviewParameterRow,
)
from yibao.review.repository import ReviewRepository

SYSTEM_SILENCE = "system"  # the actor named on silence transitions applied by the job or on read


def local_today() -> date:
    """Today in Beijing time (the day deadlines are counted in)."""
    return datetime.now(LOCAL_TZ).date()


# ---------------------------------------------------------------------------------------------
# Access


def _can_read(actor: Actor) -> None:
    if not (actor.has(Perm.REVIEW_READ) or actor.has(Perm.DECLARE) or actor.has(Perm.PAYMENT_READ)):
        raise forbidden(f"当前用户（{actor.username}）没有权限：{Perm.REVIEW_READ.value}")


def _is_institution_operator(actor: Actor) -> bool:
    return actor.institution_code is not None or Role.INSTITUTION in actor.roles


def _act_for_institution(actor: Actor, fixmedins_code: str) -> None:
    """An institution operator declares and answers only for its own institution."""
    actor.require(Perm.DECLARE)
    if _is_institution_operator(actor) and actor.institution_code != fixmedins_code:
        own = actor.institution_code or "未绑定"
        raise forbidden(f"定点机构操作员只能办理本机构（{own}）的申报，不能办理 {fixmedins_code}")


def _sees(actor: Actor, decl: Declaration) -> bool:
    if not actor.sees_region(decl.admdvs) and not (
        actor.institution_code is not None and actor.institution_code == decl.fixmedins_code
    ):
        return False
    if _is_institution_operator(actor):
        return actor.institution_code == decl.fixmedins_code
    return True


def _visible_declaration(
    uow: UnitOfWork, repo: ReviewRepository, decl_no: str, *, lock: bool = False
) -> Declaration:
    decl = repo.declaration(decl_no, lock=lock)
    if decl is None or not _sees(uow.actor, decl):
        raise not_found("DECLARATION_NOT_FOUND", f"申报单 {decl_no} 不存在", "decl_no")
    return decl


def _visible_item(
    uow: UnitOfWork, repo: ReviewRepository, item_id: int, *, lock: bool = False
) -> tuple[ReviewItem, Declaration]:
    item = repo.item(item_id, lock=lock)
    decl = repo.declaration_by_id(item.declaration_id) if item is not None else None
    hidden = (
        item is not None and _is_institution_operator(uow.actor) and item.status == ItemStatus.PENDING.value
    )
    if item is None or decl is None or not _sees(uow.actor, decl) or hidden:
        raise not_found("REVIEW_ITEM_NOT_FOUND", f"审核条目 {item_id} 不存在", "item_id")
    return item, decl


# ---------------------------------------------------------------------------------------------
# Parameters and calendar


def parameters_for(repo: ReviewRepository, admdvs: str, day: date) -> ReviewParameters:
    """The region's review parameters valid on `day` (the typical defaults when none are set)."""
    for row in reversed(repo.parameter_rows(admdvs)):
        if row.begin <= day and (row.end is None or day <= row.end):
            return ReviewParameters(
                declare_by_day=row.declare_by_day,
                answer_working_days=row.answer_working_days,
                repeat_multipliers=rules.parse_multipliers(row.repeat_multipliers),
                repeat_window_months=row.repeat_window_months,
                absent_multiplier=row.absent_multiplier,
            )
    return rules.DEFAULT_PARAMETERS


def _calendar(repo: ReviewRepository) -> Calendar:
    days = repo.calendar()
    return Calendar(
        holidays=frozenset(d.day for d in days if d.kind == "holiday"),
        workdays=frozenset(d.day for d in days if d.kind == "workday"),
    )


def set_parameters(
    *,
    uow: UnitOfWork,
    admdvs: str,
    begin: date,
    end: date | None = None,
    declare_by_day: int = 5,
    answer_working_days: int = 5,
    repeat_multipliers: str = "2,3,4,5",
    repeat_window_months: int = 12,
    absent_multiplier: int = 10,
) -> ReviewParameterRow:
    """Set a region's review parameters for a period that overlaps no other row of the region."""
    uow.actor.require(Perm.REVIEW_WRITE)
    admdvs = require_admdvs(admdvs)
    uow.actor.require_region(admdvs)
    check_order(begin, end)
    params = rules.check_parameters(
        ReviewParameters(
            declare_by_day=declare_by_day,
            answer_working_days=answer_working_days,
            repeat_multipliers=rules.parse_multipliers(repeat_multipliers),
            repeat_window_months=repeat_window_months,
            absent_multiplier=absent_multiplier,
        )
    )
    repo = ReviewRepository(uow.session)
    for row in repo.parameter_rows(admdvs):
        if overlaps(row, _Span(begin, end)):
            raise conflict(
                "REVIEW_PARAM_OVERLAP",
                f"字段 begin：统筹区 {admdvs} 已有 {row.begin} 起的审核参数，有效期不能重叠",
                "begin",
            )
    row = ReviewParameterRow(
        admdvs=admdvs,
        begin=begin,
        end=end,
        declare_by_day=params.declare_by_day,
        answer_working_days=params.answer_working_days,
        repeat_multipliers=",".join(str(m) for m in params.repeat_multipliers),
        repeat_window_months=params.repeat_window_months,
        absent_multiplier=params.absent_multiplier,
        created_at=utcnow(),
        created_by=uow.actor.username,
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="review.parameters",
        entity="review_parameters",
        entity_id=row.id,
        admdvs=admdvs,
        after={"begin": begin, "end": end, "repeat_multipliers": row.repeat_multipliers},
    )
    uow.commit()
    return row


@dataclass(frozen=True)
class _Span:
    begin: date
    end: date | None


def list_parameters(*, uow: UnitOfWork, admdvs: str) -> list[ReviewParameterRow]:
    """A region's review parameter rows, oldest first."""
    _can_read(uow.actor)
    admdvs = require_admdvs(admdvs)
    uow.actor.require_region(admdvs)
    return ReviewRepository(uow.session).parameter_rows(admdvs)


def set_calendar_day(*, uow: UnitOfWork, day: date, kind: str, name: str | None = None) -> CalendarDay:
    """Mark a public holiday or an adjusted working day (调休) used to count answer deadlines."""
    uow.actor.require(Perm.REVIEW_WRITE)
    if kind not in ("holiday", "workday"):
        raise invalid("CALENDAR_KIND", "kind", f"字段 kind 日历类型 {kind!r} 无效，可选：holiday/workday")
    name = optional_text(name, field="name", max_len=64, label="名称")
    repo = ReviewRepository(uow.session)
    row = repo.calendar_day(day)
    before = {"kind": row.kind, "name": row.name} if row else None
    if row is None:
        row = CalendarDay(day=day, kind=kind, name=name)
        repo.add(row)
    else:
        row.kind, row.name = kind, name
    uow.flush()
    uow.audit(
        action="review.calendar",
        entity="review_calendar_day",
        entity_id=day.isoformat(),
        before=before,
        after={"kind": kind, "name": name},
    )
    uow.commit()
    return row


def list_calendar(*, uow: UnitOfWork) -> list[CalendarDay]:
    """Every holiday and adjusted working day known."""
    _can_read(uow.actor)
    return ReviewRepository(uow.session).calendar()


# ---------------------------------------------------------------------------------------------
# What clearing reads


def confirmed_deductions(
    *, uow: UnitOfWork, admdvs: str, period: str, today: date | None = None
) -> list[DeductionTotal]:
    """Final deductions of a region's declarations for a month (申报月份 "YYYY-MM").

    Only deductions that stand for good: accepted by the institution, accepted by silence (a
    deduction unanswered after its deadline counts even before the job records it), or upheld after
    appeal. One row per institution, settlement (None for a cash claim) and reason code; the amount
    is the refused amount times the repeat-offence multiplier, in fen.
    """
    _can_read(uow.actor)
    admdvs = require_admdvs(admdvs)
    uow.actor.require_region(admdvs)
    rules.parse_period(period)
    day = today or local_today()
    rows = []
    for item in ReviewRepository(uow.session).items_in(admdvs, period):
        status = rules.effective_status(ItemStatus(item.status), item.answer_due, day)
        if status in rules.DEDUCTING_STATES:
            rows.append(
                (item.fixmedins_code, item.setl_id, item.reason_code or Reason.OTHER.value, item.total_fen)
            )
    return rules.totals(rows)


# ---------------------------------------------------------------------------------------------
# Declaration (月度申报)


@dataclass(frozen=True)
class CashClaimInput:
    """A cash-paid case (零星报销) as entered: invoice and verified amounts in fen."""

    psn_no: str
    invoice_no: str
    visit_date: date
    medfee_sumamt: int
    fund_pay_sumamt: int
    note: str | None = None


@dataclass(frozen=True)
class PlatformSettlement:
    """A settlement the platform recorded for the institution and month."""

    setl_id: str
    mdtrt_id: str
    psn_no: str
    kind: str
    medfee_sumamt: int
    fund_pay_sumamt: int
    settled_at: datetime
    review_required: bool = False  # 非自然疾病（外伤）：结算时已标记待核查


INJURY_RULE = ("YB-SETL-INJURY", "非自然疾病（外伤）待核查")
"""The yibao rule code of the review flag settlement sets on injury visits with a paid cause."""


def _month_window(period: str) -> tuple[datetime, datetime]:
    first, last = rules.period_bounds(period)
    start = datetime.combine(first, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)
    stop = datetime.combine(last + timedelta(days=1), time.min, tzinfo=LOCAL_TZ).astimezone(UTC)
    return start, stop


def _platform(
    repo: ReviewRepository, fixmedins_code: str, admdvs: str, period: str
) -> list[PlatformSettlement]:
    start, stop = _month_window(period)
    return [
        PlatformSettlement(
            setl_id=s.setl_id,
            mdtrt_id=mdtrt_id,
            psn_no=s.psn_no,
            kind=s.kind,
            medfee_sumamt=s.medfee_sumamt,
            fund_pay_sumamt=s.fund_pay_sumamt,
            settled_at=s.settled_at,
            review_required=s.review_required and s.kind == "settlement" and s.status == "settled",
        )
        for s, mdtrt_id in repo.settlements_between(fixmedins_code, admdvs, start, stop)
    ]


def _institution_admdvs(repo: ReviewRepository, fixmedins_code: str) -> tuple[str, str]:
    inst = repo.institution(fixmedins_code)
    if inst is None:
        raise not_found(
            "INSTITUTION_NOT_FOUND",
            f"字段 fixmedins_code：定点机构 {fixmedins_code} 不存在",
            "fixmedins_code",
        )
    return inst.admdvs, inst.name


def settlements_to_declare(*, uow: UnitOfWork, fixmedins_code: str, period: str) -> list[PlatformSettlement]:
    """The settlements and reversals the platform holds for an institution's month (the list to declare)."""
    fixmedins_code = require_text(fixmedins_code, field="fixmedins_code", max_len=32, label="定点机构编码")
    rules.parse_period(period)
    if not uow.actor.has(Perm.REVIEW_READ):
        _act_for_institution(uow.actor, fixmedins_code)
    repo = ReviewRepository(uow.session)
    admdvs, _ = _institution_admdvs(repo, fixmedins_code)
    if not uow.actor.sees_region(admdvs) and uow.actor.institution_code != fixmedins_code:
        raise not_found(
            "INSTITUTION_NOT_FOUND",
            f"字段 fixmedins_code：定点机构 {fixmedins_code} 不存在",
            "fixmedins_code",
        )
    return _platform(repo, fixmedins_code, admdvs, period)


def check_declaration(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    period: str,
    settlements: Sequence[SettlementAmounts],
) -> rules.Completeness:
    """Check a declared list against the platform's settlements without storing anything."""
    platform = settlements_to_declare(uow=uow, fixmedins_code=fixmedins_code, period=period)
    return rules.check_completeness(
        settlements,
        [SettlementAmounts(p.setl_id, p.medfee_sumamt, p.fund_pay_sumamt) for p in platform],
    )


def _check_claims(claims: Sequence[CashClaimInput], period: str) -> list[FieldError]:
    first, last = rules.period_bounds(period)
    errors: list[FieldError] = []
    seen: set[str] = set()
    for n, c in enumerate(claims):
        where = f"cash_claims[{n}]"
        if not (c.psn_no or "").strip() or len(c.psn_no.strip()) > 20:
            errors.append(
                FieldError(f"{where}.psn_no", "REQUIRED", f"字段 {where}.psn_no 人员编号不能为空且不超过20位")
            )
        invoice = (c.invoice_no or "").strip()
        if not invoice or len(invoice) > 64:
            errors.append(
                FieldError(
                    f"{where}.invoice_no", "REQUIRED", f"字段 {where}.invoice_no 发票号不能为空且不超过64位"
                )
            )
        elif invoice in seen:
            errors.append(
                FieldError(
                    f"{where}.invoice_no",
                    "CASH_CLAIM_DUPLICATE",
                    f"字段 {where}.invoice_no 发票号 {invoice} 重复",
                )
            )
        seen.add(invoice)
        if not first <= c.visit_date <= last:
            errors.append(
                FieldError(
                    f"{where}.visit_date",
                    "CASH_CLAIM_PERIOD",
                    f"字段 {where}.visit_date 就诊日期须在申报月份 {period} 内",
                )
            )
        if c.medfee_sumamt <= 0:
            errors.append(
                FieldError(
                    f"{where}.medfee_sumamt", "MONEY_RANGE", f"字段 {where}.medfee_sumamt 发票金额必须大于0"
                )
            )
        if not 0 <= c.fund_pay_sumamt <= max(c.medfee_sumamt, 0):
            errors.append(
                FieldError(
                    f"{where}.fund_pay_sumamt",
                    "CASH_CLAIM_VERIFIED",
                    f"字段 {where}.fund_pay_sumamt 核定基金支付金额须在0到发票金额之间",
                )
            )
        if c.note is not None and len(c.note) > 255:
            errors.append(FieldError(f"{where}.note", "TOO_LONG", f"字段 {where}.note 备注不能超过255个字符"))
    return errors


def _event(
    uow: UnitOfWork,
    decl: Declaration,
    action: str,
    *,
    item: ReviewItem | None = None,
    before: str | None = None,
    after: str | None = None,
    amount_fen: int | None = None,
    note: str | None = None,
    actor: str | None = None,
    at: datetime | None = None,
) -> None:
    uow.session.add(
        ReviewEvent(
            declaration_id=decl.id,
            item_id=item.id if item is not None else None,
            at=at or utcnow(),
            actor=actor or uow.actor.username,
            action=action,
            from_status=before,
            to_status=after,
            amount_fen=amount_fen,
            note=note,
        )
    )


def declare(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    period: str,
    settlements: Sequence[SettlementAmounts] | None = None,
    cash_claims: Sequence[CashClaimInput] = (),
    note: str | None = None,
    today: date | None = None,
) -> Declaration:
    """Submit an institution's monthly declaration (申报), complete against the platform to the fen.

    `settlements` is the institution's own detail list; when omitted the platform's list is declared
    as it stands. A missing, extra or differing settlement refuses the declaration (nothing stored).
    A declaration after the due day (the 5th of the next month by default) is accepted and marked late.
    """
    fixmedins_code = require_text(fixmedins_code, field="fixmedins_code", max_len=32, label="定点机构编码")
    _act_for_institution(uow.actor, fixmedins_code)
    rules.parse_period(period)
    note = optional_text(note, field="note", max_len=500, label="备注")
    day = today or local_today()
    repo = ReviewRepository(uow.session)
    admdvs, name = _institution_admdvs(repo, fixmedins_code)
    if not uow.actor.sees_region(admdvs) and uow.actor.institution_code != fixmedins_code:
        raise not_found(
            "INSTITUTION_NOT_FOUND",
            f"字段 fixmedins_code：定点机构 {fixmedins_code} 不存在",
            "fixmedins_code",
        )
    _, last = rules.period_bounds(period)
    if day <= last:
        raise invalid(
            "REVIEW_PERIOD_OPEN", "period", f"字段 period 申报月份 {period} 尚未结束，月末后才能申报"
        )
    if repo.declaration_of(fixmedins_code, period) is not None:
        raise conflict("DECLARATION_EXISTS", f"字段 period：机构 {fixmedins_code} 已申报 {period}", "period")
    platform = _platform(repo, fixmedins_code, admdvs, period)
    amounts = [SettlementAmounts(p.setl_id, p.medfee_sumamt, p.fund_pay_sumamt) for p in platform]
    report = rules.check_completeness(amounts if settlements is None else list(settlements), amounts)
    errors = report.errors() + _check_claims(cash_claims, period)
    if errors:
        raise collect(errors)
    used = repo.invoices_used(fixmedins_code, [c.invoice_no.strip() for c in cash_claims])
    if used:
        raise conflict(
            "CASH_CLAIM_INVOICE_USED",
            f"字段 cash_claims：发票号已报销过：{'、'.join(sorted(used))}",
            "cash_claims",
        )
    params = parameters_for(repo, admdvs, day)
    due = rules.declaration_due(period, params)
    decl = Declaration(
        decl_no=f"SB-{fixmedins_code}-{period.replace('-', '')}",
        admdvs=admdvs,
        fixmedins_code=fixmedins_code,
        fixmedins_name=name,
        period=period,
        status=DeclarationStatus.SUBMITTED.value,
        due_date=due,
        late=day > due,
        settlement_count=len(platform),
        medfee_sumamt=report.platform_medfee,
        fund_pay_sumamt=report.platform_fund,
        cash_claim_count=len(cash_claims),
        cash_medfee_sumamt=sum(c.medfee_sumamt for c in cash_claims),
        cash_fund_pay_sumamt=sum(c.fund_pay_sumamt for c in cash_claims),
        submitted_at=utcnow(),
        submitted_by=uow.actor.username,
        note=note,
    )
    repo.add(decl)
    _flush_once(uow, fixmedins_code, period)
    uow.session.add_all(
        DeclaredSettlement(
            declaration_id=decl.id,
            setl_id=p.setl_id,
            mdtrt_id=p.mdtrt_id,
            psn_no=p.psn_no,
            kind=p.kind,
            medfee_sumamt=p.medfee_sumamt,
            fund_pay_sumamt=p.fund_pay_sumamt,
            settled_at=p.settled_at,
        )
        for p in platform
    )
    uow.session.add_all(
        CashClaim(
            declaration_id=decl.id,
            claim_no=f"C{n + 1:04d}",
            fixmedins_code=fixmedins_code,
            psn_no=c.psn_no.strip(),
            invoice_no=c.invoice_no.strip(),
            visit_date=c.visit_date,
            medfee_sumamt=c.medfee_sumamt,
            fund_pay_sumamt=c.fund_pay_sumamt,
            note=(c.note or "").strip() or None,
        )
        for n, c in enumerate(cash_claims)
    )
    _event(
        uow,
        decl,
        "declare",
        after=decl.status,
        amount_fen=decl.fund_pay_sumamt + decl.cash_fund_pay_sumamt,
        note=("逾期申报" if decl.late else None),
    )
    _flag_injuries(uow, decl, platform)
    uow.audit(
        action="review.declare",
        entity="declaration",
        entity_id=decl.decl_no,
        admdvs=admdvs,
        after={
            "settlements": decl.settlement_count,
            "medfee_sumamt": decl.medfee_sumamt,
            "fund_pay_sumamt": decl.fund_pay_sumamt,
            "cash_claims": decl.cash_claim_count,
            "late": decl.late,
        },
    )
    _flush_once(uow, fixmedins_code, period)
    uow.commit()
    return decl


def _flag_injuries(uow: UnitOfWork, decl: Declaration, platform: Sequence[PlatformSettlement]) -> None:
    """Settlements marked for review at settlement (外伤，非自然疾病) become pending visit items."""
    flagged = [p for p in platform if p.review_required and p.medfee_sumamt > 0]
    if not flagged:
        return
    now = utcnow()
    items = [
        ReviewItem(
            declaration_id=decl.id,
            admdvs=decl.admdvs,
            fixmedins_code=decl.fixmedins_code,
            period=decl.period,
            scope="visit",
            setl_id=p.setl_id,
            mdtrt_id=p.mdtrt_id,
            psn_no=p.psn_no,
            declared_fen=p.medfee_sumamt,
            source="auto",
            rule_id=INJURY_RULE[0],
            rule_name=INJURY_RULE[1],
            sev_deg=2,
            evidence="结算时按外伤就医登记，需核查是否有第三方责任",
            suggested_reason=Reason.INJURY_LIABILITY.value,
            suggested_fen=min(max(p.fund_pay_sumamt, 1), p.medfee_sumamt),
            status=ItemStatus.PENDING.value,
            refused_fen=0,
            penalty_fen=0,
            multiplier=1,
            prior_offences=0,
            created_at=now,
            created_by=uow.actor.username,
        )
        for p in flagged
    ]
    uow.session.add_all(items)
    uow.flush()
    _mark_reviewing(uow, decl)
    for item in items:
        _event(
            uow,
            decl,
            "flag",
            item=item,
            after=item.status,
            amount_fen=item.suggested_fen,
            note=INJURY_RULE[1],
        )


def _flush_once(uow: UnitOfWork, fixmedins_code: str, period: str) -> None:
    """Write now; a concurrent declaration of the same month (or invoice) is a conflict, not a crash."""
    try:
        uow.flush()
    except IntegrityError as exc:
        uow.rollback()
        raise conflict(
            "DECLARATION_EXISTS",
            f"字段 period：机构 {fixmedins_code} 的 {period} 申报（或其中的零星报销发票）已由他人同时提交",
            "period",
        ) from exc


def list_declarations(
    *,
    uow: UnitOfWork,
    admdvs: str | None = None,
    period: str | None = None,
    fixmedins_code: str | None = None,
    status: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[Declaration]:
    """Declarations the actor may see, newest month first."""
    _can_read(uow.actor)
    check_paging(page, size)
    if period:
        rules.parse_period(period)
    if status:
        rules_status = rules.DeclarationStatus
        if status not in {s.value for s in rules_status}:
            raise invalid("DECLARATION_STATUS", "status", f"字段 status 申报状态 {status!r} 无效")
    institution = fixmedins_code or None
    regions = uow.actor.region_filter()
    if _is_institution_operator(uow.actor):
        institution, regions = uow.actor.institution_code or "-", None
    return ReviewRepository(uow.session).search_declarations(
        regions=regions,
        institution=institution,
        admdvs=admdvs or None,
        period=period or None,
        status=status or None,
        page=page,
        size=size,
    )


@dataclass
class DeclarationView:
    """A declaration with its detail list, cash claims, review items, totals and timeline."""

    declaration: Declaration
    settlements: list[DeclaredSettlement]
    cash_claims: list[CashClaim]
    items: list[ReviewItem]
    events: list[ReviewEvent]
    refused_fen: int = 0
    penalty_fen: int = 0
    confirmed_fen: int = 0
    open_fen: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


def _apply_silence(uow: UnitOfWork, repo: ReviewRepository, items: Sequence[ReviewItem], day: date) -> int:
    """Record silence (逾期视同认可) on deductions past their deadline; returns how many moved."""
    moved = 0
    touched: dict[int, Declaration] = {}
    for item in items:
        if (
            rules.effective_status(ItemStatus(item.status), item.answer_due, day)
            is ItemStatus.ACCEPTED_SILENT
        ):
            if item.status != ItemStatus.DEDUCTED.value:
                continue
            decl = touched.get(item.declaration_id) or repo.declaration_by_id(item.declaration_id)
            assert decl is not None
            touched[decl.id] = decl
            item.status = ItemStatus.ACCEPTED_SILENT.value
            _event(
                uow,
                decl,
                Action.SILENCE.value,
                item=item,
                before=ItemStatus.DEDUCTED.value,
                after=item.status,
                amount_fen=item.total_fen,
                note=f"回复期限 {item.answer_due} 已过，视同认可",
                actor=SYSTEM_SILENCE,
            )
            uow.audit(
                action="review.silence",
                entity="review_item",
                entity_id=item.id,
                admdvs=item.admdvs,
                after={"status": item.status, "answer_due": item.answer_due},
            )
            moved += 1
    for decl in touched.values():
        _maybe_close(uow, repo, decl)
    return moved


def _maybe_close(uow: UnitOfWork, repo: ReviewRepository, decl: Declaration) -> None:
    states = [ItemStatus(i.status) for i in repo.items_of(decl.id)]
    new = rules.declaration_status(DeclarationStatus(decl.status), states)
    if new.value != decl.status:
        _event(uow, decl, "close", before=decl.status, after=new.value)
        decl.status, decl.closed_at = new.value, utcnow()


def close_overdue(*, uow: UnitOfWork, today: date | None = None) -> int:
    """Apply silence to every deduction unanswered past its deadline (the daily job)."""
    uow.actor.require(Perm.REVIEW_WRITE)
    repo = ReviewRepository(uow.session)
    items = [i for i in repo.overdue(today or local_today()) if uow.actor.sees_region(i.admdvs)]
    moved = _apply_silence(uow, repo, items, today or local_today())
    uow.commit()
    return moved


def get_declaration(
    *, uow: UnitOfWork, decl_no: str, today: date | None = None, commit: bool = True
) -> DeclarationView:
    """A declaration with everything on it; silence past a deadline is recorded on the way (committed
    at once unless the caller composes it into its own unit of work)."""
    _can_read(uow.actor)
    repo = ReviewRepository(uow.session)
    decl = _visible_declaration(uow, repo, decl_no)
    day = today or local_today()
    items = repo.items_of(decl.id)
    if any(
        i.status == ItemStatus.DEDUCTED.value and i.answer_due is not None and i.answer_due < day
        for i in items
    ):
        _apply_silence(uow, repo, items, day)
        if commit:
            uow.commit()
        else:
            uow.flush()
        items = repo.items_of(decl.id)
    events = repo.events_of(decl.id)
    if _is_institution_operator(uow.actor):  # items still pending are the agency's business
        items = [i for i in items if i.status != ItemStatus.PENDING.value]
        shown = {i.id for i in items}
        events = [e for e in events if e.item_id is None or e.item_id in shown]
    view = DeclarationView(
        declaration=decl,
        settlements=repo.declared_settlements(decl.id),
        cash_claims=repo.cash_claims(decl.id),
        items=items,
        events=events,
    )
    for i in items:
        status = ItemStatus(i.status)
        if status in rules.DEDUCTING_STATES:
            view.confirmed_fen += i.total_fen
            view.refused_fen += i.refused_fen
            view.penalty_fen += i.penalty_fen
            key = i.reason_code or Reason.OTHER.value
            view.by_reason[key] = view.by_reason.get(key, 0) + i.total_fen
        elif status in (ItemStatus.DEDUCTED, ItemStatus.APPEALED):
            view.open_fen += i.total_fen
    return view


# ---------------------------------------------------------------------------------------------
# Review items: automatic (findings) and manual


SKIPPED_SHOWN = 500


@dataclass
class FindingsResult:
    """What an import of monitoring findings did: items created and findings left aside, with why.

    `skipped` lists at most the first 500 findings left aside; `skipped_total` counts all of them.
    """

    created: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (finding_id, reason)
    skipped_total: int = 0
    declarations: set[str] = field(default_factory=set)

    def skip(self, finding_id: str, reason: str) -> None:
        """Leave a finding aside with the reason."""
        self.skipped_total += 1
        if len(self.skipped) < SKIPPED_SHOWN:
            self.skipped.append((finding_id, reason))


FINDING_COLUMNS = (
    "finding_id",
    "rule_id",
    "rule_name",
    "rule_family",
    "scope",
    "bkkp_sn",
    "mdtrt_id",
    "setl_id",
    "psn_no",
    "fixmedins_code",
    "vola_amt",
    "sev_deg",
    "evidence",
)
REQUIRED_FINDING_COLUMNS = ("finding_id", "rule_id", "scope", "fixmedins_code", "vola_amt", "sev_deg")


def read_findings_file(filename: str, data: bytes) -> list[dict[str, str]]:
    """Rows of a findings.parquet or findings.csv in the WAREHOUSE layout, as text cells."""
    name = (filename or "").lower()
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(io.BytesIO(data))
        except Exception as exc:  # pyarrow raises several kinds for a damaged file: the user's input
            raise invalid("FINDINGS_FILE", "file", "字段 file 不是有效的 Parquet 文件") from exc
        columns = table.column_names
        rows = table.to_pylist()
        _require_columns(columns, filename)
        return [{k: _text(v) for k, v in row.items()} for row in rows]
    if name.endswith(".csv"):
        reader = csv.DictReader(io.StringIO(decode_csv(data, code="FINDINGS_ENCODING")))
        _require_columns(list(reader.fieldnames or []), filename)
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    raise invalid(
        "FINDINGS_FILE", "file", f"字段 file 只接受 findings.parquet 或 findings.csv，实际为 {filename!r}"
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(Decimal(str(value)))
    return str(value).strip()


def _require_columns(columns: Sequence[str], filename: str) -> None:
    missing = [c for c in REQUIRED_FINDING_COLUMNS if c not in columns]
    if missing:
        raise invalid("FINDINGS_COLUMN", "file", f"字段 file：{filename} 缺少必需列 {'、'.join(missing)}")


class FeeLineLike(Protocol):
    """What an item needs of a fee line."""

    amount: int
    medins_list_name: str | None
    medins_list_codg: str


@dataclass(frozen=True)
class _Finding:
    finding_id: str
    rule_id: str
    rule_name: str
    rule_family: str
    scope: str
    bkkp_sn: str
    mdtrt_id: str
    setl_id: str
    psn_no: str
    fixmedins_code: str
    vola_fen: int
    sev_deg: int
    evidence: str


def _parse_findings(rows: Sequence[Mapping[str, str]]) -> list[_Finding]:
    errors: list[RowError] = []
    out: list[_Finding] = []
    for number, row in enumerate(rows, start=2):
        r = {k: str(row.get(k) or "").strip() for k in FINDING_COLUMNS}
        bad = len(errors)
        for col, value in r.items():
            if "\x00" in value:
                errors.append(
                    RowError(number, col, "FIELD_NUL", f"第{number}行 字段 {col} 含有不能保存的字符（NUL）")
                )
        for col in REQUIRED_FINDING_COLUMNS:
            if not r[col]:
                errors.append(RowError(number, col, "REQUIRED", f"第{number}行 字段 {col} 不能为空"))
        if r["scope"] and r["scope"] not in ("line", "visit", "person", "doctor", "institution"):
            errors.append(
                RowError(
                    number, "scope", "FINDING_SCOPE", f"第{number}行 字段 scope 取值 {r['scope']!r} 无效"
                )
            )
        vola = 0
        if r["vola_amt"]:
            try:
                vola = yuan_to_fen(r["vola_amt"], field="vola_amt")
            except BusinessError:
                errors.append(
                    RowError(
                        number,
                        "vola_amt",
                        "MONEY_FORMAT",
                        f"第{number}行 字段 vola_amt 不是有效金额（元，两位小数）",
                    )
                )
            if vola < 0:
                errors.append(
                    RowError(number, "vola_amt", "MONEY_NEGATIVE", f"第{number}行 字段 vola_amt 不能为负数")
                )
        sev = 0
        if r["sev_deg"]:
            if r["sev_deg"] not in ("1", "2", "3"):
                errors.append(
                    RowError(number, "sev_deg", "FINDING_SEVERITY", f"第{number}行 字段 sev_deg 须为1、2或3")
                )
            else:
                sev = int(r["sev_deg"])
        if len(errors) == bad:
            out.append(
                _Finding(
                    finding_id=r["finding_id"][:64],
                    rule_id=r["rule_id"][:32],
                    rule_name=r["rule_name"][:200],
                    rule_family=r["rule_family"],
                    scope=r["scope"],
                    bkkp_sn=r["bkkp_sn"][:40],
                    mdtrt_id=r["mdtrt_id"][:32],
                    setl_id=r["setl_id"][:32],
                    psn_no=r["psn_no"][:20],
                    fixmedins_code=r["fixmedins_code"],
                    vola_fen=vola,
                    sev_deg=sev,
                    evidence=r["evidence"][:2000],
                )
            )
    if errors:
        first = errors[0]
        raise ImportRefusedError(
            code="FINDINGS_REFUSED",
            message=f"审核发现导入被拒绝：{len(errors)} 处错误，首个：{first.message}",
            field=first.field,
            kind=ErrorKind.INVALID,
            rows=errors,
        )
    return out


def _mark_reviewing(uow: UnitOfWork, decl: Declaration) -> None:
    if decl.status == DeclarationStatus.SUBMITTED.value:
        _event(uow, decl, "start_review", before=decl.status, after=DeclarationStatus.REVIEWING.value)
        decl.status = DeclarationStatus.REVIEWING.value
    elif decl.status != DeclarationStatus.REVIEWING.value:
        state = rules.DECLARATION_STATUS_ZH[DeclarationStatus(decl.status)]
        raise conflict(
            "DECLARATION_STATE",
            f"字段 decl_no：申报单 {decl.decl_no} 状态为“{state}”，不能再增加审核条目",
            "decl_no",
        )


def _match_finding(
    f: _Finding,
    period: str,
    decls: Mapping[str, Declaration],
    declared: Mapping[int, Mapping[str, DeclaredSettlement]],
    by_visit: Mapping[int, Mapping[str, DeclaredSettlement]],
    seen: set[tuple[int, str]],
    lines: Mapping[tuple[str, str], FeeLineLike],
) -> tuple[Declaration, DeclaredSettlement, int, str | None] | str:
    """The declaration, settlement, declared amount and name a finding concerns, or why it is left aside."""
    decl = decls.get(f.fixmedins_code)
    if f.sev_deg < 2:
        return "提示级发现（sev_deg=1）不进入审核"
    if f.scope not in ("line", "visit"):
        return f"范围为 {f.scope}，不是明细或就诊，转稽核处理"
    if decl is None:
        return f"机构 {f.fixmedins_code} 没有 {period} 的申报"
    if decl.status not in (DeclarationStatus.SUBMITTED.value, DeclarationStatus.REVIEWING.value):
        return f"申报单 {decl.decl_no} 已审核完成"
    if (decl.id, f.finding_id) in seen:
        return "已导入过"
    setl = declared[decl.id].get(f.setl_id) if f.setl_id else by_visit[decl.id].get(f.mdtrt_id)
    if setl is None or setl.kind != "settlement":
        return "在申报明细中找不到对应结算"
    item_name = None
    if f.scope == "line":
        line = lines.get((setl.setl_id, f.bkkp_sn))
        if line is None:
            return f"结算 {setl.setl_id} 中找不到费用明细 {f.bkkp_sn}"
        declared_fen, item_name = line.amount, line.medins_list_name or line.medins_list_codg
    else:
        declared_fen = setl.medfee_sumamt
    if declared_fen <= 0:
        return "申报金额为0，无可拒付金额"
    return decl, setl, declared_fen, item_name


def import_findings(
    *, uow: UnitOfWork, admdvs: str, period: str, rows: Sequence[Mapping[str, str]], commit: bool = True
) -> FindingsResult:
    """Turn monitoring findings (WAREHOUSE "Findings") into pending review items of the month's declarations.

    Line and visit findings with a settlement of a declaration under review become items with the
    suggested reason (from the rule family) and amount (at most what the item declared); notices
    (sev_deg 1), findings about persons, doctors or institutions, findings already imported, and
    findings that match no declared settlement are left aside with the reason.
    """
    uow.actor.require(Perm.REVIEW_WRITE)
    admdvs = require_admdvs(admdvs)
    uow.actor.require_region(admdvs)
    rules.parse_period(period)
    findings = _parse_findings(rows)
    repo = ReviewRepository(uow.session)
    result = FindingsResult()
    decls = {d.fixmedins_code: d for d in repo.declarations_in(admdvs, period)}
    declared: dict[int, dict[str, DeclaredSettlement]] = {}
    by_visit: dict[int, dict[str, DeclaredSettlement]] = {}
    for d in decls.values():
        rows_ = repo.declared_settlements(d.id)
        declared[d.id] = {s.setl_id: s for s in rows_}
        by_visit[d.id] = {s.mdtrt_id: s for s in rows_ if s.kind == "settlement"}
    seen = repo.finding_ids(d.id for d in decls.values())
    wanted_setl = {f.setl_id for f in findings if f.scope == "line" and f.setl_id}
    lines = repo.fee_lines(wanted_setl)
    now = utcnow()
    for f in findings:
        match = _match_finding(f, period, decls, declared, by_visit, seen, lines)
        if isinstance(match, str):
            result.skip(f.finding_id, match)
            continue
        decl, setl, declared_fen, item_name = match
        reason = rules.reason_for_family(f.rule_family)
        item = ReviewItem(
            declaration_id=decl.id,
            admdvs=decl.admdvs,
            fixmedins_code=decl.fixmedins_code,
            period=decl.period,
            scope=f.scope,
            setl_id=setl.setl_id,
            mdtrt_id=setl.mdtrt_id,
            bkkp_sn=f.bkkp_sn if f.scope == "line" else None,
            psn_no=setl.psn_no,
            item_name=item_name,
            declared_fen=declared_fen,
            source="auto",
            finding_id=f.finding_id,
            rule_id=f.rule_id,
            rule_name=f.rule_name or None,
            sev_deg=f.sev_deg,
            evidence=f.evidence or None,
            suggested_reason=reason.value,
            suggested_fen=min(f.vola_fen, declared_fen) or declared_fen,
            status=ItemStatus.PENDING.value,
            created_at=now,
            created_by=uow.actor.username,
        )
        _mark_reviewing(uow, decl)
        repo.add(item)
        uow.flush()
        seen.add((decl.id, f.finding_id))
        _event(
            uow,
            decl,
            "flag",
            item=item,
            after=item.status,
            amount_fen=item.suggested_fen,
            note=f"{f.rule_id} {f.rule_name}".strip(),
        )
        result.created += 1
        result.declarations.add(decl.decl_no)
    uow.audit(
        action="review.import_findings",
        entity="declaration",
        entity_id=period,
        admdvs=admdvs,
        after={
            "created": result.created,
            "skipped": result.skipped_total,
            "declarations": sorted(result.declarations),
        },
    )
    if commit:  # a caller composing it into its own unit of work commits once for all
        uow.commit()
    else:
        uow.flush()
    return result


MONITORING_PAGE = 500


def import_run_findings(*, uow: UnitOfWork, run_no: str, admdvs: str, period: str) -> FindingsResult:
    """Import the findings of a monitoring run (智能监控运行) for the month's declarations of a region.

    Reads the run through the monitoring area's service, one institution at a time, and applies the
    same rules as a findings file.
    """
    from yibao.monitoring import service as monitoring

    uow.actor.require(Perm.REVIEW_WRITE)
    admdvs = require_admdvs(admdvs)
    uow.actor.require_region(admdvs)
    rules.parse_period(period)
    run_no = require_text(run_no, field="run_no", max_len=32, label="监控运行号")
    monitoring.get_run(uow=uow, run_no=run_no)
    rows: list[dict[str, str]] = []
    for decl in ReviewRepository(uow.session).declarations_in(admdvs, period):
        page = 1
        while True:
            found = monitoring.run_findings(
                uow=uow,
                run_no=run_no,
                filters={"fixmedins_code": decl.fixmedins_code},
                page=page,
                size=MONITORING_PAGE,
            )
            rows.extend({k: _text(v) for k, v in row.items()} for row in found.items)
            if page * MONITORING_PAGE >= found.total:
                break
            page += 1
    return import_findings(uow=uow, admdvs=admdvs, period=period, rows=rows)


def add_item(
    *,
    uow: UnitOfWork,
    decl_no: str,
    setl_id: str | None = None,
    bkkp_sn: str | None = None,
    claim_no: str | None = None,
    note: str | None = None,
) -> ReviewItem:
    """Open a manual review item on a declared settlement, one of its fee lines, or a cash claim."""
    uow.actor.require(Perm.REVIEW_WRITE)
    repo = ReviewRepository(uow.session)
    decl = _visible_declaration(uow, repo, decl_no, lock=True)
    uow.actor.require_region(decl.admdvs)
    note = optional_text(note, field="note", max_len=500, label="说明")
    setl_id, bkkp_sn, claim_no = (
        (setl_id or "").strip() or None,
        (bkkp_sn or "").strip() or None,
        (claim_no or "").strip() or None,
    )
    item = ReviewItem(
        declaration_id=decl.id,
        admdvs=decl.admdvs,
        fixmedins_code=decl.fixmedins_code,
        period=decl.period,
        source="manual",
        status=ItemStatus.PENDING.value,
        created_at=utcnow(),
        created_by=uow.actor.username,
        refused_fen=0,
        penalty_fen=0,
        multiplier=1,
        prior_offences=0,
    )
    if claim_no:
        if setl_id or bkkp_sn:
            raise invalid("REVIEW_TARGET", "claim_no", "字段 claim_no 零星报销条目不能同时指定结算或明细")
        claim = next((c for c in repo.cash_claims(decl.id) if c.claim_no == claim_no), None)
        if claim is None:
            raise not_found(
                "CASH_CLAIM_NOT_FOUND", f"字段 claim_no：申报单中没有零星报销 {claim_no}", "claim_no"
            )
        item.scope, item.claim_no, item.psn_no = "claim", claim.claim_no, claim.psn_no
        item.declared_fen, item.item_name = claim.fund_pay_sumamt, f"零星报销 发票{claim.invoice_no}"
    else:
        if not setl_id:
            raise invalid("REQUIRED", "setl_id", "字段 setl_id 结算ID不能为空（或指定零星报销 claim_no）")
        setl = next((s for s in repo.declared_settlements(decl.id) if s.setl_id == setl_id), None)
        if setl is None or setl.kind != "settlement":
            raise not_found(
                "DECLARED_SETTLEMENT_NOT_FOUND", f"字段 setl_id：申报单中没有结算 {setl_id}", "setl_id"
            )
        item.setl_id, item.mdtrt_id, item.psn_no = setl.setl_id, setl.mdtrt_id, setl.psn_no
        if bkkp_sn:
            line = repo.fee_lines([setl_id]).get((setl_id, bkkp_sn))
            if line is None:
                raise not_found(
                    "FEE_LINE_NOT_FOUND", f"字段 bkkp_sn：结算 {setl_id} 中没有费用明细 {bkkp_sn}", "bkkp_sn"
                )
            item.scope, item.bkkp_sn = "line", bkkp_sn
            item.declared_fen, item.item_name = line.amount, line.medins_list_name or line.medins_list_codg
        else:
            item.scope, item.declared_fen = "visit", setl.medfee_sumamt
    if item.declared_fen <= 0:
        raise invalid("REVIEW_NOTHING_DECLARED", "setl_id", "字段 setl_id 该条申报金额为0，无可拒付金额")
    _mark_reviewing(uow, decl)
    repo.add(item)
    uow.flush()
    _event(uow, decl, "flag", item=item, after=item.status, note=note)
    uow.audit(
        action="review.add_item",
        entity="review_item",
        entity_id=item.id,
        admdvs=decl.admdvs,
        after={
            "decl_no": decl.decl_no,
            "scope": item.scope,
            "setl_id": setl_id,
            "bkkp_sn": bkkp_sn,
            "claim_no": claim_no,
        },
    )
    uow.commit()
    return item


def _choose_reason(code: str | None) -> Reason:
    return choice(Reason, code, code="REVIEW_REASON", field="reason_code", label="拒付原因")


def decide(
    *,
    uow: UnitOfWork,
    item_id: int,
    action: str,
    reason_code: str | None = None,
    amount_fen: int | None = None,
    note: str | None = None,
    today: date | None = None,
    commit: bool = True,
) -> ReviewItem:
    """A reviewer's decision on an item: deduct or clear (first review), uphold or overturn (appeal).

    Deducting refuses `amount_fen` (at most what the item declared; the finding's suggestion by
    default) for a reason; the multiplier follows the institution's earlier offences for the same
    reason, and the institution's answer is due within the region's working days. The second review
    of an appeal is decided by a reviewer other than the first; upholding may lower the amount.
    """
    uow.actor.require(Perm.REVIEW_WRITE)
    act = rules_action(action, allowed=rules.REVIEWER_ACTIONS)
    note = optional_text(note, field="note", max_len=500, label="审核意见")
    repo = ReviewRepository(uow.session)
    item, decl = _visible_item(uow, repo, item_id, lock=True)
    uow.actor.require_region(decl.admdvs)
    day = today or local_today()
    before = ItemStatus(item.status)
    if before is ItemStatus.DEDUCTED and rules.effective_status(before, item.answer_due, day) is not before:
        _apply_silence(uow, repo, [item], day)
        if commit:
            uow.commit()
    _decide_one(
        uow, repo, item, decl, act, reason_code=reason_code, amount_fen=amount_fen, note=note, day=day
    )
    _maybe_close(uow, repo, decl)
    if commit:  # a caller composing it into its own unit of work commits once for all
        uow.commit()
    else:
        uow.flush()
    return item


def _decide_one(
    uow: UnitOfWork,
    repo: ReviewRepository,
    item: ReviewItem,
    decl: Declaration,
    act: Action,
    *,
    reason_code: str | None,
    amount_fen: int | None,
    note: str | None,
    day: date,
) -> None:
    """Apply one reviewer decision to a locked item (no commit)."""
    before = ItemStatus(item.status)
    target = rules.next_status(before, act)
    now = utcnow()
    if act is Action.DEDUCT:
        reason = _choose_reason(reason_code or item.suggested_reason)
        refused = amount_fen if amount_fen is not None else (item.suggested_fen or item.declared_fen)
        params = parameters_for(repo, decl.admdvs, day)
        first = rules.shift_period(decl.period, -params.repeat_window_months)
        prior = repo.offence_periods(
            decl.fixmedins_code, reason.value, first, rules.shift_period(decl.period, -1), day
        )
        times = rules.multiplier(reason, prior, params)
        d = rules.deduction(declared_fen=item.declared_fen, refused_fen=refused, times=times)
        item.reason_code, item.refused_fen, item.multiplier = reason.value, d.refused_fen, d.multiplier
        item.penalty_fen, item.prior_offences = d.penalty_fen, prior
        item.answer_due = rules.add_working_days(day, params.answer_working_days, _calendar(repo))
        item.decided_by, item.decided_at, item.decision_note = uow.actor.username, now, note
    elif act is Action.CLEAR:
        if amount_fen is not None:
            raise invalid("REVIEW_AMOUNT_UNEXPECTED", "amount_fen", "字段 amount_fen 审核通过时不填拒付金额")
        item.decided_by, item.decided_at, item.decision_note = uow.actor.username, now, note
        item.reason_code = None
    else:
        if item.decided_by == uow.actor.username:
            raise conflict(
                "REVIEW_SAME_REVIEWER",
                f"字段 item_id：申诉复审须由初审人（{item.decided_by}）以外的审核人员办理",
                "item_id",
            )
        if act is Action.UPHOLD and amount_fen is not None:
            if not 0 < amount_fen <= item.refused_fen:
                raise invalid(
                    "REVIEW_UPHOLD_AMOUNT",
                    "amount_fen",
                    f"字段 amount_fen 复审维持金额须大于0且不超过初审拒付金额（{item.refused_fen}分）",
                )
            d = rules.deduction(declared_fen=item.declared_fen, refused_fen=amount_fen, times=item.multiplier)
            item.refused_fen, item.penalty_fen = d.refused_fen, d.penalty_fen
        elif act is Action.OVERTURN and amount_fen is not None:
            raise invalid("REVIEW_AMOUNT_UNEXPECTED", "amount_fen", "字段 amount_fen 复审撤销时不填金额")
        item.second_by, item.second_at, item.second_note = uow.actor.username, now, note
    item.status = target.value
    _event(
        uow,
        decl,
        act.value,
        item=item,
        before=before.value,
        after=target.value,
        amount_fen=item.total_fen
        if target is not ItemStatus.CLEARED and target is not ItemStatus.OVERTURNED
        else 0,
        note=note,
    )
    uow.audit(
        action=f"review.{act.value}",
        entity="review_item",
        entity_id=item.id,
        admdvs=decl.admdvs,
        before={"status": before.value},
        after={
            "status": target.value,
            "reason_code": item.reason_code,
            "refused_fen": item.refused_fen,
            "multiplier": item.multiplier,
            "penalty_fen": item.penalty_fen,
            "answer_due": item.answer_due,
        },
        note=note,
    )


@dataclass
class BatchResult:
    """What a batch of decisions or answers did: the items moved."""

    done: list[int] = field(default_factory=list)


def decide_batch(
    *,
    uow: UnitOfWork,
    decl_no: str,
    action: str,
    item_ids: Sequence[int] | None = None,
    note: str | None = None,
    today: date | None = None,
) -> BatchResult:
    """Deduct (at the suggested reason and amount) or clear many pending items of a declaration at once.

    `item_ids` None means every pending item with a suggestion (deduct) or every pending item (clear).
    One transaction: every item moves, or, if one is refused, none does and the refusal names it.
    """
    uow.actor.require(Perm.REVIEW_WRITE)
    act = rules_action(action, allowed=frozenset({Action.DEDUCT, Action.CLEAR}))
    note = optional_text(note, field="note", max_len=500, label="审核意见")
    repo = ReviewRepository(uow.session)
    decl = _visible_declaration(uow, repo, decl_no, lock=True)
    uow.actor.require_region(decl.admdvs)
    day = today or local_today()
    items = [i for i in repo.items_of(decl.id, lock=True) if i.status == ItemStatus.PENDING.value]
    if item_ids is not None:
        wanted = set(item_ids)
        items = [i for i in items if i.id in wanted]
        missing = wanted - {i.id for i in items}
        if missing:
            raise conflict(
                "REVIEW_BATCH_ITEMS",
                f"字段 item_ids：条目 {'、'.join(str(m) for m in sorted(missing))} 不是本申报单的待审核条目",
                "item_ids",
            )
    elif act is Action.DEDUCT:
        items = [i for i in items if i.suggested_reason]
    result = BatchResult()
    for item in items:
        try:
            _decide_one(uow, repo, item, decl, act, reason_code=None, amount_fen=None, note=note, day=day)
        except BusinessError as exc:
            raise BusinessError(
                code=exc.code, message=f"条目 {item.id}：{exc.message}", field="item_ids", kind=exc.kind
            ) from exc
        result.done.append(item.id)
    _maybe_close(uow, repo, decl)
    uow.commit()
    return result


def accept_all(*, uow: UnitOfWork, decl_no: str, today: date | None = None) -> BatchResult:
    """The institution accepts every deduction of a declaration still awaiting its answer (全部认可)."""
    repo = ReviewRepository(uow.session)
    decl = _visible_declaration(uow, repo, decl_no, lock=True)
    _act_for_institution(uow.actor, decl.fixmedins_code)
    day = today or local_today()
    items = repo.items_of(decl.id, lock=True)
    _apply_silence(uow, repo, items, day)
    result = BatchResult()
    for item in items:
        if item.status != ItemStatus.DEDUCTED.value:
            continue
        item.status = ItemStatus.ACCEPTED.value
        item.answered_by, item.answered_at = uow.actor.username, utcnow()
        _event(
            uow,
            decl,
            Action.ACCEPT.value,
            item=item,
            before=ItemStatus.DEDUCTED.value,
            after=item.status,
            amount_fen=item.total_fen,
            note="全部认可",
        )
        uow.audit(
            action="review.accept",
            entity="review_item",
            entity_id=item.id,
            admdvs=decl.admdvs,
            before={"status": ItemStatus.DEDUCTED.value},
            after={"status": item.status},
            note="全部认可",
        )
        result.done.append(item.id)
    _maybe_close(uow, repo, decl)
    uow.commit()
    return result


def rules_action(action: str, *, allowed: frozenset[Action]) -> Action:
    """The action named, refused with the allowed ones if it is not one this actor may take."""
    act = choice(Action, action, code="REVIEW_ACTION", field="action", label="操作")
    if act not in allowed:
        names = "/".join(sorted(a.value for a in allowed))
        raise invalid("REVIEW_ACTION", "action", f"字段 action 操作 {act.value} 不适用于此处，可选：{names}")
    return act


def answer(
    *, uow: UnitOfWork, item_id: int, action: str, note: str | None = None, today: date | None = None
) -> ReviewItem:
    """The institution's answer (机构回复) to a deduction: accept it, or appeal with a statement.

    Only within the deadline; after it the deduction stands by silence and the answer is refused.
    """
    act = rules_action(action, allowed=rules.INSTITUTION_ACTIONS)
    repo = ReviewRepository(uow.session)
    item, decl = _visible_item(uow, repo, item_id, lock=True)
    _act_for_institution(uow.actor, decl.fixmedins_code)
    if act is Action.APPEAL:
        note = require_text(note, field="note", max_len=1000, label="申诉理由")
    else:
        note = optional_text(note, field="note", max_len=1000, label="回复意见")
    day = today or local_today()
    before = ItemStatus(item.status)
    if before is ItemStatus.DEDUCTED and item.answer_due is not None and day > item.answer_due:
        _apply_silence(uow, repo, [item], day)
        uow.commit()
        raise conflict(
            "REVIEW_ANSWER_OVERDUE",
            f"字段 item_id：回复期限 {item.answer_due} 已过，拒付已视同认可，不能再回复或申诉",
            "item_id",
        )
    target = rules.next_status(before, act)
    item.status = target.value
    item.answered_by, item.answered_at, item.answer_note = uow.actor.username, utcnow(), note
    _event(
        uow,
        decl,
        act.value,
        item=item,
        before=before.value,
        after=target.value,
        amount_fen=item.total_fen,
        note=note,
    )
    uow.audit(
        action=f"review.{act.value}",
        entity="review_item",
        entity_id=item.id,
        admdvs=decl.admdvs,
        before={"status": before.value},
        after={"status": target.value},
        note=note,
    )
    _maybe_close(uow, repo, decl)
    uow.commit()
    return item


def return_declaration(*, uow: UnitOfWork, decl_no: str, reason: str) -> Declaration:
    """Return a declaration not yet under review (退回重报): the institution may declare the month again.

    The returned declaration keeps its detail list and timeline under the number `<decl_no>-R<n>`.
    """
    uow.actor.require(Perm.REVIEW_WRITE)
    reason = require_text(reason, field="reason", max_len=500, label="退回原因")
    repo = ReviewRepository(uow.session)
    decl = _visible_declaration(uow, repo, decl_no, lock=True)
    uow.actor.require_region(decl.admdvs)
    if decl.status != DeclarationStatus.SUBMITTED.value:
        state = rules.DECLARATION_STATUS_ZH[DeclarationStatus(decl.status)]
        raise conflict(
            "DECLARATION_STATE",
            f"字段 decl_no：申报单 {decl_no} 状态为“{state}”，只有未开始审核的可以退回",
            "decl_no",
        )
    n = repo.returned_count(decl.fixmedins_code, decl.period) + 1
    before = decl.status
    decl.decl_no = f"{decl.decl_no}-R{n}"
    decl.status = DeclarationStatus.RETURNED.value
    decl.returned_at, decl.returned_by, decl.return_reason = utcnow(), uow.actor.username, reason
    _event(uow, decl, "return", before=before, after=decl.status, note=reason)
    uow.audit(
        action="review.return",
        entity="declaration",
        entity_id=decl_no,
        admdvs=decl.admdvs,
        before={"status": before},
        after={"status": decl.status, "decl_no": decl.decl_no},
        note=reason,
    )
    uow.commit()
    return decl


def complete_review(*, uow: UnitOfWork, decl_no: str) -> Declaration:
    """Finish the first review of a declaration (审核完成): no item may still be pending."""
    uow.actor.require(Perm.REVIEW_WRITE)
    repo = ReviewRepository(uow.session)
    decl = _visible_declaration(uow, repo, decl_no, lock=True)
    uow.actor.require_region(decl.admdvs)
    if decl.status not in (DeclarationStatus.SUBMITTED.value, DeclarationStatus.REVIEWING.value):
        raise conflict("DECLARATION_STATE", f"字段 decl_no：申报单 {decl_no} 已审核完成", "decl_no")
    pending = [i.id for i in repo.items_of(decl.id) if i.status == ItemStatus.PENDING.value]
    if pending:
        raise conflict(
            "REVIEW_ITEMS_PENDING",
            f"字段 decl_no：还有 {len(pending)} 条待审核条目（如 {pending[0]}），不能完成审核",
            "decl_no",
        )
    before = decl.status
    decl.status = DeclarationStatus.REVIEWED.value
    decl.reviewed_at, decl.reviewed_by = utcnow(), uow.actor.username
    _event(uow, decl, "complete", before=before, after=decl.status)
    uow.audit(
        action="review.complete",
        entity="declaration",
        entity_id=decl_no,
        admdvs=decl.admdvs,
        before={"status": before},
        after={"status": decl.status},
    )
    _maybe_close(uow, repo, decl)
    uow.commit()
    return decl


def review_queue(
    *,
    uow: UnitOfWork,
    admdvs: str | None = None,
    period: str | None = None,
    fixmedins_code: str | None = None,
    status: str | None = None,
    reason_code: str | None = None,
    source: str | None = None,
    page: int = 1,
    size: int = 20,
    today: date | None = None,
) -> Page[ReviewItem]:
    """Review items with filters (审核队列); institution operators see their own, decided items.

    Deductions unanswered past their deadline are recorded as accepted by silence first.
    """
    _can_read(uow.actor)
    check_paging(page, size)
    if period:
        rules.parse_period(period)
    statuses = None
    if status:
        statuses = [choice(ItemStatus, status, code="REVIEW_STATUS", field="status", label="条目状态").value]
    if reason_code:
        _choose_reason(reason_code)
    if source and source not in ("auto", "manual"):
        raise invalid("REVIEW_SOURCE", "source", f"字段 source 来源 {source!r} 无效，可选：auto/manual")
    institution = fixmedins_code or None
    regions = uow.actor.region_filter()
    if _is_institution_operator(uow.actor):
        institution, regions = uow.actor.institution_code or "-", None
        if statuses is None:
            statuses = [s.value for s in ItemStatus if s is not ItemStatus.PENDING]
        elif statuses == [ItemStatus.PENDING.value]:
            statuses = ["-"]
    repo = ReviewRepository(uow.session)
    day = today or local_today()
    overdue = [
        i
        for i in repo.overdue(day, lock=False)
        if (regions is None or i.admdvs in regions) and institution in (None, i.fixmedins_code)
    ]
    if overdue:
        _apply_silence(uow, repo, overdue, day)
        uow.commit()
    return repo.search_items(
        regions=regions,
        institution=institution,
        admdvs=admdvs or None,
        period=period or None,
        statuses=statuses,
        reason_code=reason_code or None,
        source=source or None,
        page=page,
        size=size,
    )


def declaration_no_of(*, uow: UnitOfWork, declaration_id: int) -> str | None:
    """The number of a declaration the actor may see, by its row id."""
    decl = ReviewRepository(uow.session).declaration_by_id(declaration_id)
    return decl.decl_no if decl is not None and _sees(uow.actor, decl) else None


def get_item(*, uow: UnitOfWork, item_id: int) -> ReviewItem:
    """One review item the actor may see."""
    _can_read(uow.actor)
    repo = ReviewRepository(uow.session)
    item, _ = _visible_item(uow, repo, item_id)
    return item


# ---------------------------------------------------------------------------------------------
# Export


EXPORT_HEADERS = (
    "条目号",
    "范围",
    "结算ID",
    "就诊ID",
    "明细流水号",
    "零星报销号",
    "人员编号",
    "项目名称",
    "来源",
    "规则",
    "申报金额(元)",
    "拒付原因",
    "拒付金额(元)",
    "倍数",
    "扣罚金额(元)",
    "合计扣款(元)",
    "状态",
    "初审人",
    "回复期限",
    "机构回复",
    "复审人",
    "复审意见",
)


def export_declaration(*, uow: UnitOfWork, decl_no: str, today: date | None = None) -> bytes:
    """The review result of a declaration as an Excel workbook (审核结果), with a totals row."""
    view = get_declaration(uow=uow, decl_no=decl_no, today=today)
    rows: list[list[object]] = []
    for i in view.items:
        status = ItemStatus(i.status)
        deducts = status not in (ItemStatus.CLEARED, ItemStatus.OVERTURNED, ItemStatus.PENDING)
        rows.append(
            [
                i.id,
                i.scope,
                i.setl_id,
                i.mdtrt_id,
                i.bkkp_sn,
                i.claim_no,
                i.psn_no,
                i.item_name,
                "智能监控" if i.source == "auto" else "人工",
                i.rule_id,
                fen_to_yuan(i.declared_fen),
                rules.REASON_ZH.get(Reason(i.reason_code), i.reason_code) if i.reason_code else "",
                fen_to_yuan(i.refused_fen if deducts else 0),
                i.multiplier,
                fen_to_yuan(i.penalty_fen if deducts else 0),
                fen_to_yuan(i.total_fen if deducts else 0),
                rules.ITEM_STATUS_ZH[status],
                i.decided_by,
                i.answer_due.isoformat() if i.answer_due else "",
                i.answer_note,
                i.second_by,
                i.second_note,
            ]
        )
    d = view.declaration
    rows.append([])
    rows.append(["申报单", d.decl_no, "机构", d.fixmedins_code, "月份", d.period])
    rows.append(
        [
            "申报结算笔数",
            d.settlement_count,
            "医疗费总额(元)",
            fen_to_yuan(d.medfee_sumamt),
            "基金申报(元)",
            fen_to_yuan(d.fund_pay_sumamt),
        ]
    )
    rows.append(["零星报销笔数", d.cash_claim_count, "核定基金(元)", fen_to_yuan(d.cash_fund_pay_sumamt)])
    rows.append(
        [
            "确认扣款合计(元)",
            fen_to_yuan(view.confirmed_fen),
            "其中拒付(元)",
            fen_to_yuan(view.refused_fen),
            "其中扣罚(元)",
            fen_to_yuan(view.penalty_fen),
            "未终结(元)",
            fen_to_yuan(view.open_fen),
        ]
    )
    timeline = [
        [
            local_text(e.at),
            e.actor,
            e.action,
            e.item_id or "",
            e.from_status or "",
            e.to_status or "",
            fen_to_yuan(e.amount_fen) if e.amount_fen is not None else "",
            e.note or "",
        ]
        for e in view.events
    ]
    return write_xlsx_sheets(
        [
            (f"审核结果{d.period}", EXPORT_HEADERS, rows),
            (
                "时间线",
                ("时间", "经办人", "动作", "条目号", "原状态", "新状态", "金额(元)", "说明"),
                timeline,
            ),
        ]
    )


def write_xlsx_sheets(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[object]]]]) -> bytes:
    """A workbook of several sheets, each with a bold frozen header row."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#EAF0F8"})
    for name, headers, data in sheets:
        ws = book.add_worksheet(name[:31])
        for col, header in enumerate(headers):
            ws.write(0, col, header, bold)
            ws.set_column(col, col, max(10, len(str(header)) * 2))
        for r, row in enumerate(data, start=1):
            for col, value in enumerate(row):
                ws.write(r, col, "" if value is None else value)
        ws.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()
