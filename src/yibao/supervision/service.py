"""Use cases of fund supervision (稽核): inspections with findings and evidence, ward rounds and the
in-bed rate, patient visits and phone checks, whistleblower reports with rewards, decisions with
their consequences, and the public disclosure list (信息披露).

Decisions act through the institutions service (suspend/terminate an agreement, suspend/cancel a
doctor) and the assessment service (doctor points) inside the same unit of work.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from yibao.assessment import service as assessment
from yibao.core.db import utcnow
from yibao.core.paging import Page
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import optional_text, require_admdvs, require_text
from yibao.domain import supervision as rules
from yibao.domain.errors import BusinessError, FieldError, choice, collect, conflict, invalid, not_found
from yibao.domain.identity import mask_id
from yibao.domain.institutions import add_months
from yibao.institutions import service as institutions
from yibao.institutions.models import Institution
from yibao.monitoring import service as monitoring
from yibao.monitoring.service import CaseView
from yibao.review import service as review
from yibao.supervision.models import (
    Decision,
    Evidence,
    Finding,
    Inspection,
    PatientCheck,
    SupervisionConfig,
    WardRound,
    WardRoundPatient,
    WhistleReport,
)
from yibao.supervision.repository import SupervisionRepository

_CHINA = timezone(timedelta(hours=8))
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
CONFIG_KINDS = {"rewards": "举报奖励档次", "rounds": "查房在床率标准", "disclosure": "信息披露标准"}
DEFAULTS: dict[str, dict[str, Any]] = {
    "rewards": {
        "tiers": [asdict(t) for t in rules.DEFAULT_REWARDS.tiers],
        "min_fen": rules.DEFAULT_REWARDS.min_fen,
        "max_fen": rules.DEFAULT_REWARDS.max_fen,
    },
    "rounds": {"threshold_bp": rules.IN_BED_THRESHOLD_BP},
    "disclosure": {"threshold_fen": 1000000},  # typical: 1万元 and more counts as serious
}
CHANNELS = {"phone": "电话", "letter": "信件", "web": "网络", "visit": "来访"}


def today() -> date:
    """Today's business day (Beijing)."""
    return institutions.today()


# ---- configuration ----------------------------------------------------------------------------------


def _rewards_from(body: Any) -> rules.RewardTable:
    try:
        table = rules.RewardTable(
            tiers=tuple(
                rules.RewardTier(None if t.get("upto_fen") is None else int(t["upto_fen"]), int(t["rate_bp"]))
                for t in body["tiers"]
            ),
            min_fen=int(body.get("min_fen", 0)),
            max_fen=int(body.get("max_fen", 0)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise invalid("CONFIG_FORMAT", "body", f"字段 body 奖励档次格式错误：{exc}") from exc
    return rules.check_reward_table(table, field="body")


def _check_body(kind: str, body: Any) -> None:
    if kind == "rewards":
        _rewards_from(body)
        return
    name = "threshold_bp" if kind == "rounds" else "threshold_fen"
    value = body.get(name) if isinstance(body, dict) else None
    high = rules.BP if kind == "rounds" else 10**12
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= high:
        raise invalid("CONFIG_FORMAT", f"body.{name}", f"字段 body.{name} 须为1至{high}的整数")


def _config_kind(kind: str | None) -> str:
    value = (kind or "").strip()
    if value not in CONFIG_KINDS:
        raise invalid(
            "CONFIG_KIND", "kind", f"字段 kind 配置类型 {kind!r} 无效，可选：{'/'.join(CONFIG_KINDS)}"
        )
    return value


@dataclass(frozen=True)
class ConfigView:
    id: int
    admdvs: str
    kind: str
    kind_name: str
    begin: date
    end: date | None
    body: dict[str, Any]
    created_by: str


def _config_view(row: SupervisionConfig) -> ConfigView:
    return ConfigView(
        row.id,
        row.admdvs,
        row.kind,
        CONFIG_KINDS[row.kind],
        row.begin,
        row.end,
        json.loads(row.body),
        row.created_by,
    )


def set_config(
    *, uow: UnitOfWork, admdvs: str, kind: str, begin: date, body: dict[str, Any], end: date | None = None
) -> ConfigView:
    """Store a region's reward tiers, round threshold or disclosure threshold from `begin`; an
    open-ended earlier version is closed the day before, another overlap is refused."""
    uow.actor.require(Perm.SUPERVISE_WRITE)
    region = require_admdvs(admdvs)
    uow.actor.require_region(region)
    kind = _config_kind(kind)
    if end is not None and end < begin:
        raise invalid("PERIOD_ORDER", "end", f"字段 end（{end}）不能早于 begin（{begin}）")
    _check_body(kind, body)
    repo = SupervisionRepository(uow.session)
    closing: list[SupervisionConfig] = []
    for other in repo.configs(region, kind):
        if other.end is None and other.begin < begin:
            closing.append(other)
        elif other.begin <= (end or date.max) and begin <= (other.end or date.max):
            raise conflict(
                "CONFIG_OVERLAP",
                f"字段 begin：{CONFIG_KINDS[kind]}已有自 {other.begin} 起的版本，有效期重叠",
                "begin",
            )
    for other in closing:
        other.end = begin - timedelta(days=1)
    row = SupervisionConfig(
        admdvs=region,
        kind=kind,
        begin=begin,
        end=end,
        body=json.dumps(body, ensure_ascii=False, sort_keys=True),
        created_at=utcnow(),
        created_by=uow.actor.username,
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="supervision.config",
        entity="supervision_config",
        entity_id=row.id,
        admdvs=region,
        after={"kind": kind, "begin": begin, "end": end, "body": body},
    )
    uow.commit()
    return _config_view(row)


def list_configs(*, uow: UnitOfWork) -> list[ConfigView]:
    """Every configuration version in the actor's regions."""
    uow.actor.require(Perm.SUPERVISE_READ)
    return [
        _config_view(r) for r in SupervisionRepository(uow.session).all_configs(uow.actor.region_filter())
    ]


def _in_force(repo: SupervisionRepository, admdvs: str, kind: str, day: date) -> dict[str, Any]:
    for row in repo.configs(admdvs, kind):
        if row.begin <= day and (row.end is None or day <= row.end):
            return dict(json.loads(row.body))
    return dict(DEFAULTS[kind])


def reward_table(repo: SupervisionRepository, admdvs: str, day: date) -> rules.RewardTable:
    """The reward tiers of a region on `day` (the typical table when none is set)."""
    return _rewards_from(_in_force(repo, admdvs, "rewards", day))


# ---- shared checks ----------------------------------------------------------------------------------


def _institution(uow: UnitOfWork, repo: SupervisionRepository, code: str | None) -> Institution:
    text = (code or "").strip()
    institution = repo.institution(text)
    if institution is None or not uow.actor.sees_region(institution.admdvs):
        raise not_found(
            "INSTITUTION_NOT_FOUND", f"字段 fixmedins_code：定点机构 {text} 不存在", "fixmedins_code"
        )
    return institution


def _names(values: Sequence[str] | None) -> list[str]:
    return [v.strip() for v in (values or []) if v and v.strip()]


def _year_prefix(prefix: str, day: date) -> str:
    return f"{prefix}{day.year}-"


# ---- inspections (检查) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingView:
    id: int
    category: str
    description: str
    amount: int
    psn_no: str | None
    mdtrt_id: str | None
    dr_code: str | None


@dataclass(frozen=True)
class EvidenceView:
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    note: str | None
    uploaded_by: str


@dataclass(frozen=True)
class InspectionView:
    inspection_no: str
    admdvs: str
    fixmedins_code: str
    fixmedins_name: str
    kind: str
    kind_name: str
    status: str
    status_name: str
    planned_on: date
    started_on: date | None
    closed_on: date | None
    team: list[str]
    departments: list[str]
    scope: str
    conclusion: str | None
    source: str
    source_ref: str | None
    findings_amount: int
    findings: list[FindingView] = field(default_factory=list)
    evidence: list[EvidenceView] = field(default_factory=list)


def _inspection_view(row: Inspection, name: str, evidence: Sequence[Evidence] = ()) -> InspectionView:
    kind = rules.InspectionKind(row.kind)
    status = rules.InspectionStatus(row.status)
    return InspectionView(
        row.inspection_no,
        row.admdvs,
        row.fixmedins_code,
        name,
        row.kind,
        rules.INSPECTION_KIND_ZH[kind],
        row.status,
        rules.INSPECTION_STATUS_ZH[status],
        row.planned_on,
        row.started_on,
        row.closed_on,
        json.loads(row.team),
        json.loads(row.departments),
        row.scope,
        row.conclusion,
        row.source,
        row.source_ref,
        sum(f.amount for f in row.findings),
        [
            FindingView(f.id, f.category, f.description, f.amount, f.psn_no, f.mdtrt_id, f.dr_code)
            for f in row.findings
        ],
        [
            EvidenceView(e.id, e.filename, e.media_type, e.size, e.sha256, e.note, e.uploaded_by)
            for e in evidence
        ],
    )


def create_inspection(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    kind: str,
    planned_on: date,
    team: Sequence[str],
    scope: str,
    departments: Sequence[str] | None = None,
    source: str = "manual",
    source_ref: str | None = None,
    commit: bool = True,
) -> InspectionView:
    """Plan an inspection (日常/专项/飞行/联合检查) of an institution with its team and scope."""
    uow.actor.require(Perm.SUPERVISE_WRITE)
    repo = SupervisionRepository(uow.session)
    errors: list[FieldError] = []
    institution = _institution(uow, repo, fixmedins_code)
    parsed = choice(rules.InspectionKind, kind, code="INSPECTION_KIND", field="kind", label="检查类型")
    names: list[str] = []
    try:
        names = rules.check_team(parsed, team, departments or [])
    except BusinessError as exc:
        errors += exc.errors
    try:
        text = require_text(scope, field="scope", max_len=2000, label="检查范围")
    except BusinessError as exc:
        errors += exc.errors
        text = ""
    if errors:
        raise collect(errors)
    row = Inspection(
        inspection_no=repo.next_number(Inspection, Inspection.inspection_no, _year_prefix("JC", planned_on)),
        admdvs=institution.admdvs,
        fixmedins_code=institution.fixmedins_code,
        kind=parsed.value,
        status=rules.InspectionStatus.PLANNED.value,
        planned_on=planned_on,
        team=json.dumps(names, ensure_ascii=False),
        departments=json.dumps(_names(departments), ensure_ascii=False),
        scope=text,
        source=source,
        source_ref=source_ref,
        created_at=utcnow(),
        created_by=uow.actor.username,
        findings=[],
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="supervision.inspection.create",
        entity="inspection",
        entity_id=row.inspection_no,
        admdvs=row.admdvs,
        after={
            "fixmedins_code": row.fixmedins_code,
            "kind": row.kind,
            "planned_on": planned_on,
            "team": names,
            "scope": text,
            "source": source,
            "source_ref": source_ref,
        },
    )
    if commit:
        uow.commit()
    return _inspection_view(row, institution.name)


def _inspection(uow: UnitOfWork, repo: SupervisionRepository, number: str) -> Inspection:
    row = repo.inspection((number or "").strip())
    if row is None or not uow.actor.sees_region(row.admdvs):
        raise not_found("INSPECTION_NOT_FOUND", f"字段 inspection_no：检查 {number} 不存在", "inspection_no")
    return row


def change_inspection(
    *, uow: UnitOfWork, inspection_no: str, action: str, day: date, conclusion: str | None = None
) -> InspectionView:
    """Start, close (with a conclusion) or cancel an inspection; illegal moves are refused."""
    uow.actor.require(Perm.SUPERVISE_WRITE)
    repo = SupervisionRepository(uow.session)
    row = _inspection(uow, repo, inspection_no)
    act = choice(rules.InspectionAction, action, code="INSPECTION_ACTION", field="action", label="检查操作")
    after = rules.inspection_next(rules.InspectionStatus(row.status), act)
    if act is rules.InspectionAction.CLOSE:
        row.conclusion = require_text(conclusion, field="conclusion", max_len=4000, label="检查结论")
        if day < (row.started_on or row.planned_on):
            raise invalid("PERIOD_ORDER", "day", f"字段 day 结束日期 {day} 不能早于开始日期 {row.started_on}")
        row.closed_on = day
    elif act is rules.InspectionAction.START:
        row.started_on = day
    before = row.status
    row.status = after.value
    uow.audit(
        action=f"supervision.inspection.{act.value}",
        entity="inspection",
        entity_id=row.inspection_no,
        admdvs=row.admdvs,
        before={"status": before},
        after={"status": row.status, "day": day, "conclusion": row.conclusion},
    )
    uow.commit()
    return _inspection_view(row, _name_of(repo, row.fixmedins_code))


def _name_of(repo: SupervisionRepository, code: str | None) -> str:
    inst = repo.institution(code) if code else None
    return inst.name if inst is not None else ""


def add_finding(
    *,
    uow: UnitOfWork,
    inspection_no: str,
    category: str,
    description: str,
    amount: int = 0,
    psn_no: str | None = None,
    mdtrt_id: str | None = None,
    dr_code: str | None = None,
) -> InspectionView:
    """Record a finding of an inspection on site (amount in fen, ≥ 0)."""
    uow.actor.require(Perm.SUPERVISE_WRITE)
    repo = SupervisionRepository(uow.session)
    row = _inspection(uow, repo, inspection_no)
    if row.status != rules.InspectionStatus.ONSITE.value:
        raise conflict(
            "INSPECTION_NOT_ONSITE",
            f"字段 inspection_no：检查状态为“{rules.INSPECTION_STATUS_ZH[rules.InspectionStatus(row.status)]}"
            "”，只有现场检查中才能登记问题",
            "inspection_no",
        )
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    checks: tuple[tuple[str, Callable[[], str | None]], ...] = (
        ("category", lambda: require_text(category, field="category", max_len=64, label="问题类别")),
        (
            "description",
            lambda: require_text(description, field="description", max_len=4000, label="问题描述"),
        ),
        ("psn_no", lambda: optional_text(psn_no, field="psn_no", max_len=20, label="人员编号")),
        ("mdtrt_id", lambda: optional_text(mdtrt_id, field="mdtrt_id", max_len=32, label="就诊ID")),
        ("dr_code", lambda: optional_text(dr_code, field="dr_code", max_len=32, label="医师编码")),
    )
    for name, fn in checks:
        try:
            values[name] = fn()
        except BusinessError as exc:
            errors += exc.errors
    if amount < 0:
        errors.append(FieldError("amount", "MONEY_NEGATIVE", "字段 amount 金额不能为负数"))
    if errors:
        raise collect(errors)
    finding = Finding(amount=amount, created_at=utcnow(), **values)
    row.findings.append(finding)
    uow.flush()
    uow.audit(
        action="supervision.inspection.finding",
        entity="inspection",
        entity_id=row.inspection_no,
        admdvs=row.admdvs,
        after={**values, "amount": amount},
    )
    uow.commit()
    return _inspection_view(row, _name_of(repo, row.fixmedins_code))


def add_evidence(
    *,
    uow: UnitOfWork,
    inspection_no: str,
    filename: str,
    data: bytes,
    media_type: str | None = None,
    note: str | None = None,
) -> EvidenceView:
    """Attach an evidence file (证据材料) to an inspection, kept with its SHA-256 (at most 10 MB)."""
    uow.actor.require(Perm.SUPERVISE_WRITE)
    repo = SupervisionRepository(uow.session)
    row = _inspection(uow, repo, inspection_no)
    if row.status == rules.InspectionStatus.CANCELLED.value:
        raise conflict(
            "INSPECTION_CANCELLED", "字段 inspection_no：已取消的检查不能添加证据", "inspection_no"
        )
    name = require_text(filename, field="filename", max_len=255, label="文件名")
    if not data:
        raise invalid("EVIDENCE_EMPTY", "file", "字段 file 证据文件为空")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise invalid("EVIDENCE_TOO_LARGE", "file", "字段 file 证据文件不能超过10MB")
    digest = hashlib.sha256(data).hexdigest()
    evidence = Evidence(
        inspection_id=row.id,
        filename=name,
        media_type=(media_type or "application/octet-stream")[:128],
        size=len(data),
        sha256=digest,
        content=data,
        note=optional_text(note, field="note", max_len=255, label="说明"),
        uploaded_at=utcnow(),
        uploaded_by=uow.actor.username,
    )
    repo.add(evidence)
    uow.flush()
    uow.audit(
        action="supervision.inspection.evidence",
        entity="inspection",
        entity_id=row.inspection_no,
        admdvs=row.admdvs,
        after={"filename": name, "size": len(data), "sha256": digest},
    )
    uow.commit()
    return EvidenceView(
        evidence.id,
        evidence.filename,
        evidence.media_type,
        evidence.size,
        digest,
        evidence.note,
        evidence.uploaded_by,
    )


def get_evidence(*, uow: UnitOfWork, inspection_no: str, evidence_id: int) -> tuple[str, str, bytes]:
    """An evidence file: (filename, media type, bytes)."""
    uow.actor.require(Perm.SUPERVISE_READ)
    repo = SupervisionRepository(uow.session)
    row = _inspection(uow, repo, inspection_no)
    evidence = repo.evidence(row.id, evidence_id)
    if evidence is None:
        raise not_found("EVIDENCE_NOT_FOUND", f"字段 evidence_id：证据 {evidence_id} 不存在", "evidence_id")
    return evidence.filename, evidence.media_type, evidence.content


def show_inspection(*, uow: UnitOfWork, inspection_no: str) -> InspectionView:
    """One inspection with its findings and evidence list."""
    uow.actor.require(Perm.SUPERVISE_READ)
    repo = SupervisionRepository(uow.session)
    row = _inspection(uow, repo, inspection_no)
    return _inspection_view(row, _name_of(repo, row.fixmedins_code), repo.evidence_list(row.id))


def list_inspections(
    *,
    uow: UnitOfWork,
    fixmedins_code: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[InspectionView]:
    """Inspections in the actor's regions, newest first."""
    uow.actor.require(Perm.SUPERVISE_READ)
    repo = SupervisionRepository(uow.session)
    result = repo.page(
        Inspection,
        uow.actor.region_filter(),
        filters={"fixmedins_code": (fixmedins_code or "").strip(), "kind": kind, "status": status},
        order=(Inspection.planned_on.desc(), Inspection.id.desc()),
        page=page,
        size=size,
    )
    return Page(
        [_inspection_view(r, _name_of(repo, r.fixmedins_code)) for r in result.items],
        result.total,
        page,
        size,
    )


# ---- from monitoring cases (智能监控疑点) --------------------------------------------------------------


def open_inspection_from_case(
    *,
    uow: UnitOfWork,
    case_id: str,
    fixmedins_code: str,
    summary: str,
    team: Sequence[str],
    planned_on: date,
    kind: str = "special",
    amount: int = 0,
    commit: bool = True,
) -> InspectionView:
    """Open an inspection from a monitoring case (by case id and the fields passed in, no import of
    monitoring): the scope names the case and its summary; the suspected amount is noted."""
    case = require_text(case_id, field="case_id", max_len=64, label="监控案件编号")
    scope = f"智能监控案件 {case}：{(summary or '').strip()}" + (
        f"（疑点金额 {amount / 100:.2f} 元）" if amount else ""
    )
    return create_inspection(
        uow=uow,
        fixmedins_code=fixmedins_code,
        kind=kind,
        planned_on=planned_on,
        team=team,
        scope=scope,
        source="monitoring",
        source_ref=case,
        commit=commit,
    )


def decide_from_case(
    *,
    uow: UnitOfWork,
    case_id: str,
    target_type: str,
    kind: str,
    reason: str,
    fixmedins_code: str | None = None,
    dr_code: str | None = None,
    psn_no: str | None = None,
    amount: int = 0,
    fine_pct: int | None = None,
    months: int | None = None,
    referral_to: str | None = None,
    violation: str | None = None,
    ban_years: int | None = None,
    ban_permanent: bool = False,
    commit: bool = True,
) -> DecisionView:
    """Draft a decision from a monitoring case (拟处理): it acts only when issued with its document."""
    case = require_text(case_id, field="case_id", max_len=64, label="监控案件编号")
    return create_decision(
        uow=uow,
        target_type=target_type,
        kind=kind,
        reason=reason,
        fixmedins_code=fixmedins_code,
        dr_code=dr_code,
        psn_no=psn_no,
        amount=amount,
        fine_pct=fine_pct,
        months=months,
        referral_to=referral_to,
        violation=violation,
        source="monitoring",
        source_ref=case,
        ban_years=ban_years,
        ban_permanent=ban_permanent,
        commit=commit,
    )


@dataclass(frozen=True)
class CaseTakeUp:
    """What taking up a confirmed monitoring case did: the review items deducting its recovery, the
    findings left aside (with why), the drafted recovery and fine decisions, and the points deducted
    from each registered doctor the findings name (doctors not registered are left aside, with why)."""

    case_no: str
    fixmedins_code: str
    period: str
    recover_fen: int
    deducted_fen: int  # refused on review items for the institution to answer (5 working days)
    items: list[int]
    left_aside: list[tuple[str, str]]
    decisions: list[DecisionView]
    inspection: InspectionView | None = None
    doctors: list[assessment.PointEntryView] = field(default_factory=list)
    doctors_left_aside: list[tuple[str, str]] = field(default_factory=list)


CASE_VIOLATION = "monitoring_confirmed"  # the points table entry a confirmed case costs each doctor
_OPEN_DECLARATION = ("submitted", "reviewing")


def take_up_case(
    *,
    uow: UnitOfWork,
    case_no: str,
    fine_pct: int,
    reason: str | None = None,
    team: Sequence[str] = (),
    planned_on: date | None = None,
    day: date | None = None,
) -> CaseTakeUp:
    """Take up a confirmed monitoring case (确认违规 → 稽核处理、审核扣款): its findings become review items
    of the institution's declaration of the case's month, refusing the confirmed recovery (the
    institution answers within the review's working days; accepted or unanswered, the deduction is
    withheld by clearing), and a recovery decision and a fine of `fine_pct` (200–500: 2–5×) are drafted
    against the institution, to act when issued with their document. With a team, a special
    inspection is planned too. Each distinct registered insurance doctor the findings name (医保医师)
    gets one violation of the points table's `monitoring_confirmed` (6 points in a year suspend). A case
    not confirmed, or taken up before, is refused with nothing changed."""
    uow.actor.require(Perm.SUPERVISE_WRITE)
    uow.actor.require(Perm.REVIEW_WRITE)
    number = require_text(case_no, field="case_no", max_len=32, label="监控案件编号")
    view = monitoring.get_case(uow=uow, case_no=number)
    case = view.case
    if case.status != "confirmed":
        raise conflict(
            "CASE_NOT_CONFIRMED",
            f"字段 case_no：监控案件 {number} 尚未确认违规，不能转稽核处理与审核扣款",
            "case_no",
        )
    repo = SupervisionRepository(uow.session)
    if any(d.status != "withdrawn" for d in repo.decisions_from("monitoring", case.case_no)):
        raise conflict("CASE_TAKEN_UP", f"字段 case_no：监控案件 {number} 已转稽核处理", "case_no")
    recover = int(case.recover_fen or 0)
    if recover <= 0:
        raise conflict(
            "CASE_NOTHING_TO_RECOVER", f"字段 case_no：监控案件 {number} 确认的追回金额为0", "case_no"
        )
    if _named_doctors(view):
        uow.actor.require(Perm.ASSESS_WRITE)  # doctor points
    day = day or today()
    text = (reason or "").strip() or (case.decision_note or "").strip()
    why = f"智能监控案件 {case.case_no}（{case.period}，{case.findings}条疑点）确认违规" + (
        f"：{text}" if text else ""
    )
    # validate the decisions before anything is written
    rules.check_decision(
        kind=rules.DecisionKind.FINE,
        target_type=rules.TargetType.INSTITUTION,
        fixmedins_type=None,
        amount_fen=recover,
        fine_pct=fine_pct,
        months=None,
        referral_to=None,
        violation=None,
    )
    inspection = None
    if team:
        inspection = open_inspection_from_case(
            uow=uow,
            case_id=case.case_no,
            fixmedins_code=case.fixmedins_code,
            summary=why,
            team=team,
            planned_on=planned_on or day,
            amount=recover,
            commit=False,
        )
    decisions = [
        decide_from_case(
            uow=uow,
            case_id=case.case_no,
            target_type="institution",
            kind=kind,
            reason=why,
            fixmedins_code=case.fixmedins_code,
            amount=recover,
            fine_pct=pct,
            commit=False,
        )
        for kind, pct in (("recovery", None), ("fine", fine_pct))
    ]
    items, deducted, left = _deduct_in_review(uow, view, recover, day)
    doctors, doctors_left = _penalise_doctors(uow, view, day)
    uow.commit()  # the inspection, the decisions, the review deductions and the points together, or nothing
    return CaseTakeUp(
        case.case_no,
        case.fixmedins_code,
        case.period,
        recover,
        deducted,
        items,
        left,
        decisions,
        inspection,
        doctors,
        doctors_left,
    )


def _named_doctors(view: CaseView) -> list[str]:
    """The distinct doctor codes a case's findings name, in the order first named, largest finding first."""
    ranked = sorted(view.findings, key=lambda f: (-f.vola_fen, f.finding_id))
    codes = ((f.dr_code or "").strip().upper() for f in ranked)
    return list(dict.fromkeys(c for c in codes if c))


def _penalise_doctors(
    uow: UnitOfWork, view: CaseView, day: date
) -> tuple[list[assessment.PointEntryView], list[tuple[str, str]]]:
    """One `monitoring_confirmed` violation for each distinct registered doctor the findings name,
    however many findings name them; a code not in the registry, or a region whose points table has
    no such entry, is left aside with why. The caller commits."""
    case = view.case
    penalised: list[assessment.PointEntryView] = []
    left: list[tuple[str, str]] = []
    for code in _named_doctors(view):
        try:
            doctor = institutions.get_doctor(uow=uow, dr_code=code)
        except BusinessError as exc:
            if exc.code != "DOCTOR_NOT_FOUND":
                raise
            left.append((code, "不是登记的医保医师，未扣分"))
            continue
        try:
            assessment.check_violation(uow=uow, admdvs=doctor.admdvs, violation=CASE_VIOLATION, day=day)
        except BusinessError as exc:
            if exc.code != "VIOLATION_UNKNOWN":
                raise
            left.append((code, f"统筹区 {doctor.admdvs} 的扣分标准没有违规类型 {CASE_VIOLATION}，未扣分"))
            continue
        named = sum(1 for f in view.findings if (f.dr_code or "").strip().upper() == code)
        penalised.append(
            assessment.deduct_points(
                uow=uow,
                dr_code=code,
                violation=CASE_VIOLATION,
                day=day,
                fixmedins_code=case.fixmedins_code,
                note=f"智能监控案件 {case.case_no} 确认违规（{named}条疑点）",
                source="monitoring",
                source_ref=case.case_no,
                commit=False,
            )
        )
    return penalised, left


def _deduct_in_review(
    uow: UnitOfWork, view: CaseView, recover: int, day: date
) -> tuple[list[int], int, list[tuple[str, str]]]:
    """Put a case's findings on the institution's open declaration of the case's month and refuse the
    recovery on them, the largest finding first; items past the recovery are cleared."""
    case = view.case
    if not view.findings or case.admdvs is None:
        return [], 0, [("-", "案件没有疑点明细或统筹区")]

    def open_declarations() -> list[Any]:
        found = review.list_declarations(
            uow=uow, admdvs=case.admdvs, period=case.period, fixmedins_code=case.fixmedins_code, size=100
        ).items
        return [
            review.get_declaration(uow=uow, decl_no=d.decl_no, today=day, commit=False)
            for d in found
            if d.status in _OPEN_DECLARATION
        ]

    # the case keeps the visit; review matches fee lines by settlement: take it from the declaration
    settled = {
        s.mdtrt_id: s.setl_id for d in open_declarations() for s in d.settlements if s.kind == "settlement"
    }
    ranked = sorted(view.findings, key=lambda f: (-f.vola_fen, f.finding_id))  # largest first
    rows = [
        {
            "finding_id": f.finding_id,
            "rule_id": f.rule_id,
            "rule_name": f.rule_name,
            "rule_family": f.rule_family,
            "scope": f.scope,
            "bkkp_sn": f.bkkp_sn or "",
            "mdtrt_id": f.mdtrt_id or "",
            "setl_id": settled.get(f.mdtrt_id or "", ""),
            "psn_no": f.psn_no or "",
            "fixmedins_code": case.fixmedins_code,
            "vola_amt": f"{f.vola_fen // 100}.{f.vola_fen % 100:02d}",
            "sev_deg": str(max(int(f.sev_deg), 2)),  # a confirmed case is no longer a mere notice
            "evidence": f.evidence or "",
        }
        for f in ranked
    ]
    result = review.import_findings(uow=uow, admdvs=case.admdvs, period=case.period, rows=rows, commit=False)
    left = [(fid, why) for fid, why in result.skipped if why != "已导入过"]
    order = {f.finding_id: n for n, f in enumerate(ranked)}
    pending = sorted(
        (
            item
            for d in open_declarations()
            for item in d.items
            if item.finding_id in order and item.status == "pending"
        ),
        key=lambda item: order.get(item.finding_id or "", 0),
    )
    caps = [int(item.suggested_fen or item.declared_fen) for item in pending]
    done, deducted = [], 0
    for item, part in zip(pending, rules.allocate_recovery(recover, caps), strict=True):
        note = f"智能监控案件 {case.case_no} 确认违规"
        if part > 0:
            review.decide(
                uow=uow, item_id=item.id, action="deduct", amount_fen=part, note=note, today=day, commit=False
            )
            done.append(item.id)
            deducted += part
        else:
            review.decide(
                uow=uow,
                item_id=item.id,
                action="clear",
                note=f"{note}，确认追回金额已扣足",
                today=day,
                commit=False,
            )
    uow.audit(
        action="supervision.case.take_up",
        entity="mon_case",
        entity_id=case.case_no,
        admdvs=case.admdvs,
        after={"recover_fen": recover, "deducted_fen": deducted, "items": done, "left_aside": left[:50]},
    )
    return done, deducted, left


# ---- ward rounds (查房) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundView:
    round_no: str
    admdvs: str
    fixmedins_code: str
    fixmedins_name: str
    round_at: datetime
    day: date
    inspectors: list[str]
    total: int
    present: int
    rate_bp: int
    threshold_bp: int
    below_threshold: bool
    standard_fen: int
    shortfall: int
    refused_fen: int
    inspection_no: str | None
    patients: list[dict[str, Any]]


def _round_view(row: WardRound, name: str, sensitive: bool) -> RoundView:
    return RoundView(
        row.round_no,
        row.admdvs,
        row.fixmedins_code,
        name,
        row.round_at,
        row.day,
        json.loads(row.inspectors),
        row.total,
        row.present,
        row.rate_bp,
        row.threshold_bp,
        row.present * rules.BP < row.threshold_bp * row.total,
        row.standard_fen,
        row.shortfall,
        row.refused_fen,
        row.inspection_no,
        [
            {
                "psn_no": p.psn_no,
                "name": p.name if sensitive else (p.name[:1] + "*" * (len(p.name) - 1) if p.name else None),
                "bed_no": p.bed_no,
                "mdtrt_id": p.mdtrt_id,
                "present": p.present,
                "note": p.note,
            }
            for p in row.patients
        ],
    )


def record_ward_round(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    round_at: datetime,
    inspectors: Sequence[str],
    patients: Sequence[dict[str, Any]],
    standard_fen: int,
    inspection_no: str | None = None,
) -> RoundView:
    """Record a ward round (查房): every inpatient counted, in bed or not. The in-bed rate below the
    region's threshold (95%, 001 第40条) refuses the average stay standard cost for each person short
    of the line; the absent list feeds the bed-hanging rule (挂床)."""
    uow.actor.require(Perm.SUPERVISE_WRITE)
    repo = SupervisionRepository(uow.session)
    institution = _institution(uow, repo, fixmedins_code)
    errors: list[FieldError] = []
    names = _names(inspectors)
    if len(names) < 2:
        errors.append(FieldError("inspectors", "TEAM_TOO_SMALL", "字段 inspectors 查房至少需要两名人员"))
    if not patients:
        errors.append(FieldError("patients", "ROUND_EMPTY", "字段 patients 查房须登记在院病人名单"))
    rows: list[WardRoundPatient] = []
    seen: set[str] = set()
    for i, p in enumerate(patients):
        psn = str(p.get("psn_no") or "").strip()
        if not psn or len(psn) > 20:
            errors.append(
                FieldError(
                    f"patients[{i}].psn_no",
                    "REQUIRED",
                    f"字段 patients[{i}].psn_no 人员编号不能为空（至多20位）",
                )
            )
            continue
        if psn in seen:
            errors.append(
                FieldError(
                    f"patients[{i}].psn_no",
                    "ROUND_DUPLICATE",
                    f"字段 patients[{i}].psn_no 人员 {psn} 重复登记",
                )
            )
        seen.add(psn)
        present = p.get("present")
        if not isinstance(present, bool):
            errors.append(
                FieldError(
                    f"patients[{i}].present",
                    "PRESENT_REQUIRED",
                    f"字段 patients[{i}].present 须填写是否在床（true/false）",
                )
            )
            continue
        rows.append(
            WardRoundPatient(
                psn_no=psn,
                name=(str(p.get("name") or "").strip() or None),
                bed_no=(str(p.get("bed_no") or "").strip()[:16] or None),
                mdtrt_id=(str(p.get("mdtrt_id") or "").strip()[:32] or None),
                present=present,
                note=(str(p.get("note") or "").strip()[:255] or None),
            )
        )
    if standard_fen < 0:
        errors.append(
            FieldError("standard_fen", "MONEY_NEGATIVE", "字段 standard_fen 平均住院人次标准费用不能为负数")
        )
    if errors:
        raise collect(errors)
    if inspection_no:
        _inspection(uow, repo, inspection_no)
    day = round_at.astimezone(_CHINA).date() if round_at.tzinfo else round_at.date()
    threshold = int(_in_force(repo, institution.admdvs, "rounds", day)["threshold_bp"])
    outcome = rules.judge_round(
        len(rows), sum(r.present for r in rows), standard_fen=standard_fen, threshold_bp=threshold
    )
    row = WardRound(
        round_no=repo.next_number(WardRound, WardRound.round_no, _year_prefix("CF", day)),
        admdvs=institution.admdvs,
        fixmedins_code=institution.fixmedins_code,
        round_at=round_at,
        day=day,
        inspectors=json.dumps(names, ensure_ascii=False),
        total=outcome.total,
        present=outcome.present,
        rate_bp=outcome.rate_bp,
        threshold_bp=threshold,
        standard_fen=standard_fen,
        shortfall=outcome.shortfall,
        refused_fen=outcome.refused_fen,
        inspection_no=(inspection_no or None),
        created_at=utcnow(),
        created_by=uow.actor.username,
        patients=rows,
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="supervision.round",
        entity="institution",
        entity_id=institution.fixmedins_code,
        admdvs=institution.admdvs,
        after={
            "round_no": row.round_no,
            "total": outcome.total,
            "present": outcome.present,
            "rate_bp": outcome.rate_bp,
            "shortfall": outcome.shortfall,
            "refused_fen": outcome.refused_fen,
        },
    )
    uow.commit()
    return _round_view(row, institution.name, uow.actor.has(Perm.PERSON_SENSITIVE))


def show_round(*, uow: UnitOfWork, round_no: str) -> RoundView:
    """One ward round with its patient list."""
    uow.actor.require(Perm.SUPERVISE_READ)
    repo = SupervisionRepository(uow.session)
    row = repo.ward_round((round_no or "").strip())
    if row is None or not uow.actor.sees_region(row.admdvs):
        raise not_found("ROUND_NOT_FOUND", f"字段 round_no：查房记录 {round_no} 不存在", "round_no")
    return _round_view(row, _name_of(repo, row.fixmedins_code), uow.actor.has(Perm.PERSON_SENSITIVE))


def list_rounds(
    *, uow: UnitOfWork, fixmedins_code: str | None = None, page: int = 1, size: int = 20
) -> Page[RoundView]:
    """Ward rounds in the actor's regions, newest first."""
    uow.actor.require(Perm.SUPERVISE_READ)
    repo = SupervisionRepository(uow.session)
    result = repo.page(
        WardRound,
        uow.actor.region_filter(),
        filters={"fixmedins_code": (fixmedins_code or "").strip()},
        order=(WardRound.round_at.desc(), WardRound.id.desc()),
        page=page,
        size=size,
    )
    sensitive = uow.actor.has(Perm.PERSON_SENSITIVE)
    return Page(
        [_round_view(r, _name_of(repo, r.fixmedins_code), sensitive) for r in result.items],
        result.total,
        page,
        size,
    )


def absent_patients(*, uow: UnitOfWork, fixmedins_code: str, begin: date, end: date) -> list[dict[str, Any]]:
    """Inpatients found out of bed at the rounds of a period (for the bed-hanging rule 挂床): their
    stay's costs after the round are not paid (001 第19条)."""
    uow.actor.require(Perm.SUPERVISE_READ)
    repo = SupervisionRepository(uow.session)
    institution = _institution(uow, repo, fixmedins_code)
    return [
        {
            "round_no": r.round_no,
            "round_at": r.round_at,
            "psn_no": p.psn_no,
            "mdtrt_id": p.mdtrt_id,
            "bed_no": p.bed_no,
        }
        for r, p in repo.absent_patients(institution.fixmedins_code, begin, end)
    ]


# ---- patient visits and phone checks (探望、问候电话) ---------------------------------------------------


def record_patient_check(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    psn_no: str,
    mode: str,
    day: date,
    checks: dict[str, bool],
    mdtrt_id: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record a patient visit or phone check with the five checkpoints
    (卡与人、人与病、病与药、药与量、量与价)."""
    uow.actor.require(Perm.SUPERVISE_WRITE)
    repo = SupervisionRepository(uow.session)
    institution = _institution(uow, repo, fixmedins_code)
    parsed = choice(rules.ContactMode, mode, code="CHECK_MODE", field="mode", label="核查方式")
    psn = require_text(psn_no, field="psn_no", max_len=20, label="人员编号")
    failed = rules.failed_checkpoints(dict(checks))
    row = PatientCheck(
        admdvs=institution.admdvs,
        fixmedins_code=institution.fixmedins_code,
        psn_no=psn,
        mdtrt_id=optional_text(mdtrt_id, field="mdtrt_id", max_len=32, label="就诊ID"),
        mode=parsed.value,
        day=day,
        checker=uow.actor.username,
        checks=json.dumps(checks, sort_keys=True),
        failed=len(failed),
        note=optional_text(note, field="note", max_len=2000, label="说明"),
        created_at=utcnow(),
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="supervision.check",
        entity="institution",
        entity_id=institution.fixmedins_code,
        admdvs=institution.admdvs,
        after={"psn_no": psn, "mode": parsed.value, "day": day, "failed": failed},
    )
    uow.commit()
    return _check_view(row)


def _check_view(row: PatientCheck) -> dict[str, Any]:
    checks = json.loads(row.checks)
    return {
        "id": row.id,
        "fixmedins_code": row.fixmedins_code,
        "psn_no": row.psn_no,
        "mdtrt_id": row.mdtrt_id,
        "mode": row.mode,
        "mode_name": rules.CONTACT_MODE_ZH[rules.ContactMode(row.mode)],
        "day": row.day,
        "checker": row.checker,
        "checks": checks,
        "failed": [rules.CHECKPOINTS[k] for k in rules.CHECKPOINTS if not checks.get(k, True)],
        "note": row.note,
    }


def list_patient_checks(
    *, uow: UnitOfWork, fixmedins_code: str | None = None, page: int = 1, size: int = 20
) -> Page[dict[str, Any]]:
    """Patient checks in the actor's regions, newest first."""
    uow.actor.require(Perm.SUPERVISE_READ)
    result = SupervisionRepository(uow.session).patient_checks(
        uow.actor.region_filter(), (fixmedins_code or "").strip() or None, page, size
    )
    return Page([_check_view(r) for r in result.items], result.total, page, size)


# ---- whistleblower reports (举报) -------------------------------------------------------------------


@dataclass(frozen=True)
class ReportView:
    report_no: str
    admdvs: str
    received_on: date
    channel: str
    anonymous: bool
    reporter_name: str | None
    reporter_phone: str | None
    claim_code: str | None
    fixmedins_code: str | None
    dr_code: str | None
    psn_no: str | None
    content: str
    status: str
    status_name: str
    status_since: date
    status_note: str | None
    recovered: int
    reward: int
    reward_paid_on: date | None
    inspection_no: str | None


def _report_view(row: WhistleReport, sensitive: bool) -> ReportView:
    """Reporters are protected: their name, phone and claim code show only to holders of person:sensitive."""
    phone = row.reporter_phone
    return ReportView(
        row.report_no,
        row.admdvs,
        row.received_on,
        row.channel,
        row.anonymous,
        row.reporter_name if sensitive else (row.reporter_name[:1] + "**" if row.reporter_name else None),
        phone
        if sensitive
        else (
            phone[:3] + "****" + phone[-4:]
            if phone and len(phone) >= 7
            else (mask_id(phone) if phone else None)
        ),
        row.claim_code if sensitive else None,
        row.fixmedins_code,
        row.dr_code,
        row.psn_no,
        row.content,
        row.status,
        rules.REPORT_STATUS_ZH[rules.ReportStatus(row.status)],
        row.status_since,
        row.status_note,
        row.recovered,
        row.reward,
        row.reward_paid_on,
        row.inspection_no,
    )


def create_report(
    *,
    uow: UnitOfWork,
    admdvs: str,
    received_on: date,
    channel: str,
    content: str,
    anonymous: bool,
    reporter_name: str | None = None,
    reporter_phone: str | None = None,
    fixmedins_code: str | None = None,
    dr_code: str | None = None,
    psn_no: str | None = None,
) -> ReportView:
    """Register a whistleblower report (举报). An anonymous report keeps no reporter data; every
    report gets a claim code (查询码) with which the reporter follows it and claims a reward."""
    uow.actor.require(Perm.SUPERVISE_WRITE)
    region = require_admdvs(admdvs)
    uow.actor.require_region(region)
    repo = SupervisionRepository(uow.session)
    errors: list[FieldError] = []
    if (channel or "").strip() not in CHANNELS:
        errors.append(
            FieldError("channel", "REPORT_CHANNEL", f"字段 channel 举报渠道须为：{'/'.join(CHANNELS)}")
        )
    name = (reporter_name or "").strip() or None
    phone = (reporter_phone or "").strip() or None
    if anonymous and (name or phone):
        errors.append(
            FieldError(
                "anonymous", "ANONYMOUS_WITH_IDENTITY", "字段 anonymous 匿名举报不得登记举报人姓名或电话"
            )
        )
    if not anonymous and not (name and phone):
        errors.append(
            FieldError(
                "reporter_name", "REPORTER_REQUIRED", "字段 reporter_name 实名举报须填写举报人姓名和联系电话"
            )
        )
    if name and len(name) > 64:
        errors.append(FieldError("reporter_name", "TOO_LONG", "字段 reporter_name 不能超过64个字符"))
    if phone and (len(phone) > 32 or not phone.replace("-", "").isdigit()):
        errors.append(
            FieldError(
                "reporter_phone", "PHONE_FORMAT", "字段 reporter_phone 联系电话只能是数字或短横线，至多32位"
            )
        )
    try:
        text = require_text(content, field="content", max_len=4000, label="举报内容")
    except BusinessError as exc:
        errors += exc.errors
        text = ""
    code = (fixmedins_code or "").strip() or None
    doctor = (dr_code or "").strip().upper() or None
    person = (psn_no or "").strip() or None
    if not (code or doctor or person):
        errors.append(
            FieldError(
                "fixmedins_code", "REPORT_SUBJECT", "字段 fixmedins_code 须写明被举报的机构、医师或参保人之一"
            )
        )
    if code is not None:
        inst = repo.institution(code)
        if inst is None or inst.admdvs != region:
            errors.append(
                FieldError(
                    "fixmedins_code",
                    "INSTITUTION_NOT_FOUND",
                    f"字段 fixmedins_code 定点机构 {code} 不在统筹区 {region}",
                )
            )
    if doctor is not None and repo.doctor(doctor) is None:
        errors.append(FieldError("dr_code", "DOCTOR_NOT_FOUND", f"字段 dr_code 医保医师 {doctor} 不存在"))
    if person is not None and len(person) > 20:
        errors.append(FieldError("psn_no", "TOO_LONG", "字段 psn_no 人员编号至多20位"))
    if errors:
        raise collect(errors)
    row = WhistleReport(
        report_no=repo.next_number(WhistleReport, WhistleReport.report_no, _year_prefix("JB", received_on)),
        admdvs=region,
        received_on=received_on,
        channel=channel.strip(),
        anonymous=anonymous,
        reporter_name=name,
        reporter_phone=phone,
        claim_code=secrets.token_hex(4).upper(),
        fixmedins_code=code,
        dr_code=doctor,
        psn_no=person,
        content=text,
        status=rules.ReportStatus.RECEIVED.value,
        status_since=received_on,
        recovered=0,
        reward=0,
        created_at=utcnow(),
        created_by=uow.actor.username,
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="supervision.report.create",
        entity="whistle_report",
        entity_id=row.report_no,
        admdvs=region,
        after={"anonymous": anonymous, "fixmedins_code": code, "dr_code": doctor, "channel": row.channel},
    )
    uow.commit()
    return _report_view(row, True)


def _report(uow: UnitOfWork, repo: SupervisionRepository, number: str) -> WhistleReport:
    row = repo.report((number or "").strip())
    if row is None or not uow.actor.sees_region(row.admdvs):
        raise not_found("REPORT_NOT_FOUND", f"字段 report_no：举报 {number} 不存在", "report_no")
    return row


def change_report(
    *,
    uow: UnitOfWork,
    report_no: str,
    action: str,
    day: date,
    note: str | None = None,
    recovered: int | None = None,
    inspection_no: str | None = None,
) -> ReportView:
    """Move a report: accept/reject, substantiate (with the amount recovered, which fixes the reward by
    the region's tiers on that day) or not, and pay the reward. Illegal moves are refused."""
    uow.actor.require(Perm.SUPERVISE_WRITE)
    repo = SupervisionRepository(uow.session)
    row = _report(uow, repo, report_no)
    act = choice(rules.ReportAction, action, code="REPORT_ACTION", field="action", label="举报操作")
    after = rules.report_next(rules.ReportStatus(row.status), act)
    if day < row.status_since:
        raise invalid("PERIOD_ORDER", "day", f"字段 day 日期 {day} 不能早于上一状态日期 {row.status_since}")
    text = optional_text(note, field="note", max_len=2000, label="说明")
    if act in (rules.ReportAction.REJECT, rules.ReportAction.UNSUBSTANTIATE) and not text:
        raise invalid("REASON_REQUIRED", "note", "字段 note 不予受理或未查实须说明理由")
    if act is rules.ReportAction.SUBSTANTIATE:
        if recovered is None or recovered < 0:
            raise invalid(
                "RECOVERED_REQUIRED", "recovered", "字段 recovered 认定查实须填写追回金额（分，≥0）"
            )
        row.recovered = recovered
        row.reward = rules.reward_for(recovered, reward_table(repo, row.admdvs, day))
    elif recovered is not None:
        raise invalid("RECOVERED_UNUSED", "recovered", "字段 recovered 仅在认定查实时填写追回金额")
    if act is rules.ReportAction.REWARD:
        if row.reward <= 0:
            raise conflict("REWARD_NONE", "字段 action：该举报没有可发放的奖励（追回金额为0）", "action")
        row.reward_paid_on = day
    if inspection_no:
        row.inspection_no = _inspection(uow, repo, inspection_no).inspection_no
    before = row.status
    row.status, row.status_since, row.status_note = after.value, day, text
    uow.audit(
        action=f"supervision.report.{act.value}",
        entity="whistle_report",
        entity_id=row.report_no,
        admdvs=row.admdvs,
        before={"status": before},
        after={
            "status": row.status,
            "day": day,
            "recovered": row.recovered,
            "reward": row.reward,
            "note": text,
        },
    )
    uow.commit()
    return _report_view(row, uow.actor.has(Perm.PERSON_SENSITIVE))


def show_report(*, uow: UnitOfWork, report_no: str) -> ReportView:
    """One report (reporter data masked unless the actor holds person:sensitive)."""
    uow.actor.require(Perm.SUPERVISE_READ)
    repo = SupervisionRepository(uow.session)
    return _report_view(_report(uow, repo, report_no), uow.actor.has(Perm.PERSON_SENSITIVE))


def list_reports(
    *, uow: UnitOfWork, status: str | None = None, page: int = 1, size: int = 20
) -> Page[ReportView]:
    """Reports in the actor's regions, newest first."""
    uow.actor.require(Perm.SUPERVISE_READ)
    result = SupervisionRepository(uow.session).page(
        WhistleReport,
        uow.actor.region_filter(),
        filters={"status": status},
        order=(WhistleReport.received_on.desc(), WhistleReport.id.desc()),
        page=page,
        size=size,
    )
    sensitive = uow.actor.has(Perm.PERSON_SENSITIVE)
    return Page([_report_view(r, sensitive) for r in result.items], result.total, page, size)


# ---- decisions (处理决定) and disclosure (信息披露) ----------------------------------------------------


@dataclass(frozen=True)
class DecisionView:
    decision_no: str
    admdvs: str
    target_type: str
    target_name: str
    fixmedins_code: str | None
    dr_code: str | None
    psn_no: str | None
    kind: str
    kind_name: str
    status: str
    status_name: str
    document_no: str | None
    amount: int
    fine_pct: int
    penalty: int
    months: int
    referral_to: str | None
    violation: str | None
    reason: str
    effective_on: date | None
    until: date | None
    inspection_no: str | None
    report_no: str | None
    source: str
    source_ref: str | None
    disclose: bool
    disclosed_on: date | None
    issued_on: date | None
    ban_years: int | None = None
    ban_permanent: bool = False


def _decision_view(row: Decision) -> DecisionView:
    kind = rules.DecisionKind(row.kind)
    return DecisionView(
        row.decision_no,
        row.admdvs,
        row.target_type,
        row.target_name,
        row.fixmedins_code,
        row.dr_code,
        row.psn_no,
        row.kind,
        rules.DECISION_KIND_ZH[kind],
        row.status,
        rules.DECISION_STATUS_ZH[rules.DecisionStatus(row.status)],
        row.document_no,
        row.amount,
        row.fine_pct,
        row.penalty,
        row.months,
        row.referral_to,
        row.violation,
        row.reason,
        row.effective_on,
        row.until,
        row.inspection_no,
        row.report_no,
        row.source,
        row.source_ref,
        row.disclose,
        row.disclosed_on,
        row.issued_on,
        row.ban_years,
        bool(row.ban_permanent),
    )


def create_decision(
    *,
    uow: UnitOfWork,
    target_type: str,
    kind: str,
    reason: str,
    fixmedins_code: str | None = None,
    dr_code: str | None = None,
    psn_no: str | None = None,
    amount: int = 0,
    fine_pct: int | None = None,
    months: int | None = None,
    referral_to: str | None = None,
    violation: str | None = None,
    inspection_no: str | None = None,
    report_no: str | None = None,
    source: str = "manual",
    source_ref: str | None = None,
    ban_years: int | None = None,
    ban_permanent: bool = False,
    commit: bool = True,
) -> DecisionView:
    """Draft a decision (拟处理决定) against an institution, a doctor or an insured person: recovery,
    fine (2–5× the amount), suspension (months), termination (with its re-entry ban: a pharmacy 3–5
    years or a permanent exit), referral or doctor points. It acts only when issued with its decision
    document number."""
    uow.actor.require(Perm.SUPERVISE_WRITE)
    repo = SupervisionRepository(uow.session)
    target = choice(
        rules.TargetType, target_type, code="TARGET_TYPE", field="target_type", label="处理对象类型"
    )
    parsed = choice(rules.DecisionKind, kind, code="DECISION_KIND", field="kind", label="处理类型")
    fixmedins_type: str | None = None
    code = (fixmedins_code or "").strip() or None
    doctor_code = (dr_code or "").strip().upper() or None
    person = (psn_no or "").strip() or None
    if target is rules.TargetType.INSTITUTION:
        inst = _institution(uow, repo, code)
        admdvs, name, fixmedins_type = inst.admdvs, inst.name, inst.fixmedins_type
    elif target is rules.TargetType.DOCTOR:
        doc = repo.doctor(doctor_code or "")
        if doc is None or not uow.actor.sees_region(doc.admdvs):
            raise not_found("DOCTOR_NOT_FOUND", f"字段 dr_code：医保医师 {doctor_code} 不存在", "dr_code")
        admdvs, name = doc.admdvs, doc.name
        if code is not None:
            _institution(uow, repo, code)
    else:
        if not person or len(person) > 20:
            raise invalid("REQUIRED", "psn_no", "字段 psn_no 处理参保人须填写人员编号（至多20位）")
        if not code:
            raise invalid(
                "REQUIRED", "fixmedins_code", "字段 fixmedins_code 处理参保人须写明就医机构（确定统筹区）"
            )
        admdvs, name = _institution(uow, repo, code).admdvs, person
    terms = rules.check_decision(
        kind=parsed,
        target_type=target,
        fixmedins_type=fixmedins_type,
        amount_fen=amount,
        fine_pct=fine_pct,
        months=months,
        referral_to=referral_to,
        violation=violation,
        ban_years=ban_years,
        ban_permanent=ban_permanent,
    )
    if terms.violation is not None:
        assessment.check_violation(uow=uow, admdvs=admdvs, violation=terms.violation, day=today())
    text = require_text(reason, field="reason", max_len=4000, label="处理理由")
    if inspection_no:
        inspection_no = _inspection(uow, repo, inspection_no).inspection_no
    if report_no:
        report_no = _report(uow, repo, report_no).report_no
    created = today()
    row = Decision(
        decision_no=repo.next_number(Decision, Decision.decision_no, _year_prefix("JD", created)),
        admdvs=admdvs,
        target_type=target.value,
        fixmedins_code=code,
        dr_code=doctor_code,
        psn_no=person,
        target_name=name[:128],
        kind=parsed.value,
        status=rules.DecisionStatus.DRAFT.value,
        document_no=None,
        amount=terms.amount_fen,
        fine_pct=terms.fine_pct,
        penalty=terms.penalty_fen,
        months=terms.months,
        referral_to=terms.referral_to,
        violation=terms.violation,
        reason=text,
        inspection_no=inspection_no or None,
        report_no=report_no or None,
        source=source,
        source_ref=source_ref,
        disclose=False,
        ban_years=terms.ban_years or None,
        ban_permanent=terms.ban_permanent,
        created_at=utcnow(),
        created_by=uow.actor.username,
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="supervision.decision.create",
        entity="decision",
        entity_id=row.decision_no,
        admdvs=admdvs,
        after=asdict(_decision_view(row)),
    )
    if commit:
        uow.commit()
    return _decision_view(row)


def _decision(uow: UnitOfWork, repo: SupervisionRepository, number: str) -> Decision:
    row = repo.decision((number or "").strip())
    if row is None or not uow.actor.sees_region(row.admdvs):
        raise not_found("DECISION_NOT_FOUND", f"字段 decision_no：处理决定 {number} 不存在", "decision_no")
    return row


def _act_on_target(
    uow: UnitOfWork, row: Decision, actions: tuple[str, str], *, day: date, reason: str, until: date | None
) -> None:
    """Carry a suspension or termination to its target: the institution's agreement (first action)
    or the doctor's qualification (second action), in the same unit of work."""
    agreement, doctor = actions
    if row.target_type == "institution":
        assert row.fixmedins_code is not None
        institutions.change_agreement(
            uow=uow,
            fixmedins_code=row.fixmedins_code,
            action=agreement,
            day=day,
            until=until,
            reason=reason,
            commit=False,
        )
    else:
        assert row.dr_code is not None
        institutions.change_doctor_status(
            uow=uow, dr_code=row.dr_code, action=doctor, day=day, until=until, reason=reason, commit=False
        )


def issue_decision(*, uow: UnitOfWork, decision_no: str, document_no: str, day: date) -> DecisionView:
    """Issue a decision with its document number (签发) effective `day`, and carry it out: suspend or
    terminate the agreement (settlement then refuses the institution), suspend or cancel the doctor
    (prescriptions refused), deduct the doctor's points; serious decisions enter the disclosure list.
    A penalty without a decision document is refused, and nothing changes."""
    uow.actor.require(Perm.SUPERVISE_WRITE)
    repo = SupervisionRepository(uow.session)
    row = _decision(uow, repo, decision_no)
    number = rules.check_document_no(document_no)
    after = rules.decision_next(rules.DecisionStatus(row.status), "issue")
    kind = rules.DecisionKind(row.kind)
    reason = f"处理决定 {number}：{row.reason}"[:255]
    if kind is rules.DecisionKind.SUSPENSION:
        row.until = add_months(day, row.months) - timedelta(days=1)
        _act_on_target(uow, row, ("suspend", "suspend"), day=day, reason=reason, until=row.until)
    elif kind is rules.DecisionKind.TERMINATION:
        _act_on_target(uow, row, ("terminate", "cancel"), day=day, reason=reason, until=None)
    elif kind is rules.DecisionKind.DOCTOR_POINTS:
        assert row.dr_code is not None and row.violation is not None
        assessment.deduct_points(
            uow=uow,
            dr_code=row.dr_code,
            violation=row.violation,
            day=day,
            fixmedins_code=row.fixmedins_code,
            note=reason,
            source="decision",
            source_ref=row.decision_no,
            commit=False,
        )
    threshold = int(_in_force(repo, row.admdvs, "disclosure", day)["threshold_fen"])
    row.status, row.document_no, row.issued_on, row.effective_on = after.value, number, day, day
    if rules.serious(kind, row.penalty, threshold):
        row.disclose, row.disclosed_on = True, day
    uow.audit(
        action="supervision.decision.issue",
        entity="decision",
        entity_id=row.decision_no,
        admdvs=row.admdvs,
        before={"status": "draft"},
        after=asdict(_decision_view(row)),
    )
    uow.commit()
    return _decision_view(row)


def withdraw_decision(*, uow: UnitOfWork, decision_no: str, reason: str) -> DecisionView:
    """Withdraw a draft decision (撤回); an issued one stands."""
    uow.actor.require(Perm.SUPERVISE_WRITE)
    repo = SupervisionRepository(uow.session)
    row = _decision(uow, repo, decision_no)
    text = require_text(reason, field="reason", max_len=2000, label="撤回理由")
    row.status = rules.decision_next(rules.DecisionStatus(row.status), "withdraw").value
    uow.audit(
        action="supervision.decision.withdraw",
        entity="decision",
        entity_id=row.decision_no,
        admdvs=row.admdvs,
        before={"status": "draft"},
        after={"status": row.status},
        note=text,
    )
    uow.commit()
    return _decision_view(row)


def show_decision(*, uow: UnitOfWork, decision_no: str) -> DecisionView:
    uow.actor.require(Perm.SUPERVISE_READ)
    return _decision_view(_decision(uow, SupervisionRepository(uow.session), decision_no))


def list_decisions(
    *,
    uow: UnitOfWork,
    fixmedins_code: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[DecisionView]:
    """Decisions in the actor's regions, newest first."""
    uow.actor.require(Perm.SUPERVISE_READ)
    result = SupervisionRepository(uow.session).page(
        Decision,
        uow.actor.region_filter(),
        filters={"fixmedins_code": (fixmedins_code or "").strip(), "kind": kind, "status": status},
        order=(Decision.created_at.desc(), Decision.id.desc()),
        page=page,
        size=size,
    )
    return Page([_decision_view(r) for r in result.items], result.total, page, size)


def disclosure_list(*, uow: UnitOfWork, page: int = 1, size: int = 20) -> Page[DecisionView]:
    """The public disclosure list of serious violations (信息披露): issued decisions marked serious."""
    uow.actor.require(Perm.SUPERVISE_READ)
    result = SupervisionRepository(uow.session).disclosed(uow.actor.region_filter(), page, size)
    return Page([_decision_view(r) for r in result.items], result.total, page, size)


# ---- reminders (到期提醒) ---------------------------------------------------------------------------

REMINDER_KINDS = {
    "agreement_expiring": "协议即将到期",
    "agreement_grace": "协议已到期未续签",
    "answer_due": "审核扣款待机构回复",
    "doctor_points": "医师扣分临近暂停",
}


@dataclass(frozen=True)
class Reminder:
    """One thing coming due (提醒): what, about whom, by when, and what happens then."""

    kind: str
    kind_name: str
    code: str  # the institution, doctor or review item it concerns
    name: str
    admdvs: str
    due: date | None
    days_left: int | None
    detail: str


@dataclass(frozen=True)
class Reminders:
    """The reminders of a day, soonest first, and the lists the actor may not read (with why)."""

    day: date
    items: list[Reminder]
    unavailable: list[str]


def reminders(
    *, uow: UnitOfWork, day: date | None = None, within_days: int = 60, margin: int = 2
) -> Reminders:
    """What comes due for the actor's regions (到期提醒): agreements ending within `within_days` or in their
    2-month renewal grace; review deductions awaiting the institution's answer (the review's working
    days); qualified doctors within `margin` points of suspension. A list the actor may not read is left
    out and named."""
    uow.actor.require(Perm.SUPERVISE_READ)
    when = day or today()
    items: list[Reminder] = []
    unavailable: list[str] = []
    if uow.actor.has(Perm.INSTITUTION_READ):
        for r in institutions.agreements_to_renew(uow=uow, day=when, within_days=within_days):
            kind = "agreement_expiring" if r.stage == "expiring" else "agreement_grace"
            detail = (
                f"协议 {r.agreement_end} 到期，请及时续签（续签须有新年度协议指标）"
                if r.stage == "expiring"
                else f"协议已于 {r.agreement_end} 到期，{r.due} 后仍未续签将暂停结算"
            )
            items.append(_reminder(kind, r.fixmedins_code, r.name, r.admdvs, r.due, when, detail))
    else:
        unavailable.append("协议到期：无定点机构查看权限")
    if uow.actor.has(Perm.REVIEW_READ):
        page = 1
        while True:
            found = review.review_queue(uow=uow, status="deducted", page=page, size=200, today=when)
            for item in found.items:
                detail = (
                    f"{item.period} 申报，拒付 {item.total_fen / 100:.2f} 元"
                    f"（{item.item_name or item.setl_id or item.claim_no or ''}），逾期未回复视同认可"
                )
                items.append(
                    _reminder(
                        "answer_due",
                        item.fixmedins_code,
                        f"审核条目 {item.id}",
                        item.admdvs,
                        item.answer_due,
                        when,
                        detail,
                    )
                )
            if page * 200 >= found.total:
                break
            page += 1
    else:
        unavailable.append("审核扣款：无审核查看权限")
    if uow.actor.has(Perm.ASSESS_READ):
        for d in assessment.doctors_near_suspension(uow=uow, day=when, margin=margin):
            detail = f"{when.year}年已扣 {d.points} 分，再扣 {d.suspend_at - d.points} 分即暂停医保医师资格"
            items.append(_reminder("doctor_points", d.dr_code, d.name, d.admdvs, None, when, detail))
    else:
        unavailable.append("医师扣分：无考核查看权限")
    items.sort(key=lambda r: (r.due is None, r.due or when, r.kind))  # stable: doctors keep most points first
    return Reminders(when, items, unavailable)


def _reminder(
    kind: str, code: str, name: str, admdvs: str, due: date | None, day: date, detail: str
) -> Reminder:
    left = None if due is None else (due - day).days
    return Reminder(kind, REMINDER_KINDS[kind], code, name, admdvs, due, left, detail)


def form_options() -> dict[str, list[tuple[str, str]]]:
    """Choices for console forms with Chinese labels."""
    return {
        "inspection_kind": [(k.value, v) for k, v in rules.INSPECTION_KIND_ZH.items()],
        "inspection_status": [(k.value, v) for k, v in rules.INSPECTION_STATUS_ZH.items()],
        "inspection_action": [(k.value, v) for k, v in rules.INSPECTION_ACTION_ZH.items()],
        "report_status": [(k.value, v) for k, v in rules.REPORT_STATUS_ZH.items()],
        "report_action": [(k.value, v) for k, v in rules.REPORT_ACTION_ZH.items()],
        "channel": list(CHANNELS.items()),
        "decision_kind": [(k.value, v) for k, v in rules.DECISION_KIND_ZH.items()],
        "target_type": [(k.value, v) for k, v in rules.TARGET_TYPE_ZH.items()],
        "referral": list(rules.REFERRAL_BODIES.items()),
        "check_mode": [(k.value, v) for k, v in rules.CONTACT_MODE_ZH.items()],
        "checkpoints": list(rules.CHECKPOINTS.items()),
    }
