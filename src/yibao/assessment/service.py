"""Use cases of assessment (考核): configuration, agreement terms, purchase reports, assessments and
their consequences, insurance doctors' points (积分) and trainings.

Consequences act through the institutions service in the same unit of work: a suspension decided
here suspends the agreement, so settlement refuses the institution (`can_settle`); a doctor reaching
the points threshold has the qualification suspended or cancelled.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from yibao.assessment.models import (
    AgreementTerms,
    Assessment,
    AssessmentConfig,
    DoctorPointEntry,
    DoctorTraining,
    PurchaseLineRow,
    PurchaseReport,
)
from yibao.assessment.repository import AssessmentRepository
from yibao.core.db import utcnow
from yibao.core.imports import ImportRefusedError, RowError, table_rows
from yibao.core.paging import Page
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import optional_text, require_admdvs, require_text
from yibao.domain import assessment as rules
from yibao.domain.errors import BusinessError, ErrorKind, FieldError, choice, conflict, invalid, not_found
from yibao.domain.institutions import add_months
from yibao.institutions import service as institutions
from yibao.institutions.models import Institution

CONFIG_KINDS = {
    "grades_1": "定点医疗机构信用等级表",
    "grades_2": "定点药店信用等级表",
    "points": "医保医师扣分标准",
}


def today() -> date:
    """Today's business day (Beijing)."""
    return institutions.today()


# ---- configuration (per region, with an effective period) --------------------------------------------


def _grades_from(body: Any, fixmedins_type: str) -> list[rules.GradeBand]:
    try:
        bands = [
            rules.GradeBand(
                grade=str(b["grade"]),
                label=str(b["label"]),
                min_score=int(b["min_score"]),
                consequence=rules.Consequence(**(b.get("consequence") or {})),
            )
            for b in body["grades"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise invalid("CONFIG_FORMAT", "body", f"字段 body 信用等级表格式错误：{exc}") from exc
    return rules.check_grades(bands, fixmedins_type, field="body.grades")


def _points_from(body: Any) -> rules.PointsTable:
    try:
        table = rules.PointsTable(
            rules=tuple(
                rules.PointRule(
                    str(r["code"]), str(r["label"]), int(r["points"]), bool(r.get("severe", False))
                )
                for r in body["rules"]
            ),
            **{
                k: body[k]
                for k in ("suspend_at", "cancel_at", "suspend_months", "cancel_on_repeat", "repeat_years")
                if k in body
            },
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise invalid("CONFIG_FORMAT", "body", f"字段 body 扣分标准格式错误：{exc}") from exc
    return rules.check_points_table(table, field="body")


def default_body(kind: str) -> dict[str, Any]:
    """The typical configuration of a kind, as JSON (a starting point a region edits)."""
    if kind == "points":
        table = rules.DEFAULT_POINTS
        return {
            "rules": [asdict(r) for r in table.rules],
            "suspend_at": table.suspend_at,
            "cancel_at": table.cancel_at,
            "suspend_months": table.suspend_months,
            "cancel_on_repeat": table.cancel_on_repeat,
            "repeat_years": table.repeat_years,
        }
    kind_type = _config_kind(kind)[-1]
    return {
        "grades": [
            {
                "grade": b.grade,
                "label": b.label,
                "min_score": b.min_score,
                "consequence": asdict(b.consequence),
            }
            for b in rules.DEFAULT_GRADES[kind_type]
        ]
    }


def config_defaults(*, uow: UnitOfWork, kind: str) -> dict[str, Any]:
    """The typical body of a configuration kind, to start a region's own version from."""
    uow.actor.require(Perm.ASSESS_READ)
    return default_body(_config_kind(kind))


def _config_kind(kind: str | None) -> str:
    value = (kind or "").strip()
    if value not in CONFIG_KINDS:
        raise invalid(
            "CONFIG_KIND", "kind", f"字段 kind 配置类型 {kind!r} 无效，可选：{'/'.join(CONFIG_KINDS)}"
        )
    return value


@dataclass(frozen=True)
class ConfigView:
    """A stored configuration."""

    id: int
    admdvs: str
    kind: str
    kind_name: str
    begin: date
    end: date | None
    body: dict[str, Any]
    created_by: str


def _config_view(row: AssessmentConfig) -> ConfigView:
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
    """Store a region's table (grades or doctor points) valid from `begin`; an open-ended earlier
    version of the same kind is closed the day before; any other overlap is refused."""
    uow.actor.require(Perm.ASSESS_WRITE)
    region = require_admdvs(admdvs)
    uow.actor.require_region(region)
    kind = _config_kind(kind)
    if end is not None and end < begin:
        raise invalid("PERIOD_ORDER", "end", f"字段 end（{end}）不能早于 begin（{begin}）")
    if kind == "points":
        _points_from(body)
    else:
        _grades_from(body, kind[-1])
    repo = AssessmentRepository(uow.session)
    closing: list[AssessmentConfig] = []
    for other in repo.configs(region, kind):
        if other.end is None and other.begin < begin:
            closing.append(other)  # the open-ended version before this one ends the day before
        elif other.begin <= (end or date.max) and begin <= (other.end or date.max):
            raise conflict(
                "CONFIG_OVERLAP",
                f"字段 begin：{CONFIG_KINDS[kind]}已有自 {other.begin} 起的版本，有效期重叠",
                "begin",
            )
    for other in closing:
        other.end = begin - timedelta(days=1)
    row = AssessmentConfig(
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
        action="assessment.config",
        entity="assessment_config",
        entity_id=row.id,
        admdvs=region,
        after={"kind": kind, "begin": begin, "end": end, "body": body},
    )
    uow.commit()
    return _config_view(row)


def list_configs(*, uow: UnitOfWork) -> list[ConfigView]:
    """Every configuration version in the actor's regions."""
    uow.actor.require(Perm.ASSESS_READ)
    return [_config_view(r) for r in AssessmentRepository(uow.session).all_configs(uow.actor.region_filter())]


def _in_force(repo: AssessmentRepository, admdvs: str, kind: str, day: date) -> tuple[Any, str]:
    for row in repo.configs(admdvs, kind):
        if row.begin <= day and (row.end is None or day <= row.end):
            return json.loads(row.body), f"config:{row.id}"
    return default_body(kind), "default"


def grades_in_force(
    repo: AssessmentRepository, admdvs: str, fixmedins_type: str, day: date
) -> tuple[list[rules.GradeBand], str]:
    """The grade table of a region and institution type on `day` (the typical one when none is set)."""
    kind_type = rules.PHARMACY if fixmedins_type == rules.PHARMACY else rules.MEDICAL
    body, source = _in_force(repo, admdvs, f"grades_{kind_type}", day)
    return _grades_from(body, kind_type), source


def points_in_force(repo: AssessmentRepository, admdvs: str, day: date) -> rules.PointsTable:
    """The doctor points table of a region on `day`."""
    body, _source = _in_force(repo, admdvs, "points", day)
    return _points_from(body)


# ---- agreement terms ----------------------------------------------------------------------------------


def _institution(uow: UnitOfWork, repo: AssessmentRepository, code: str) -> Institution:
    institution = repo.institution((code or "").strip())
    if institution is None or not uow.actor.sees_region(institution.admdvs):
        raise not_found(
            "INSTITUTION_NOT_FOUND", f"字段 fixmedins_code：定点机构 {code} 不存在", "fixmedins_code"
        )
    return institution


def _term_dict(t: rules.Term) -> dict[str, Any]:
    return {
        "code": t.code,
        "target": t.target,
        "weight": t.weight,
        "method": t.method.value,
        "per_unit": t.per_unit,
    }


def _terms_of(text: str) -> list[rules.Term]:
    return [
        rules.Term(
            d["code"], int(d["target"]), int(d["weight"]), rules.Method(d["method"]), int(d["per_unit"])
        )
        for d in json.loads(text)
    ]


@dataclass(frozen=True)
class TermView:
    """One agreement term as shown: indicator, Chinese name, unit, direction, target, weight."""

    code: str
    zh: str
    unit: str
    direction: str
    target: int
    weight: int
    method: str
    per_unit: int


@dataclass(frozen=True)
class TermsView:
    """An institution's terms of a year."""

    fixmedins_code: str
    name: str
    year: int
    profile: str
    lowered_bp: int
    terms: list[TermView]


def _terms_view(row: AgreementTerms, name: str) -> TermsView:
    return TermsView(
        row.fixmedins_code,
        name,
        row.year,
        row.profile,
        row.lowered_bp,
        [
            TermView(
                t.code,
                t.kind.zh,
                t.kind.unit.value,
                t.kind.direction.value,
                t.target,
                t.weight,
                t.method.value,
                t.per_unit,
            )
            for t in _terms_of(row.terms)
        ],
    )


def _parse_terms(raw: Sequence[dict[str, Any]]) -> list[rules.Term]:
    errors: list[FieldError] = []
    terms: list[rules.Term] = []
    for i, d in enumerate(raw):
        try:
            method = rules.Method(str(d.get("method") or "ratio"))
            terms.append(
                rules.Term(
                    str(d.get("code") or ""),
                    int(d["target"]),
                    int(d["weight"]),
                    method,
                    int(d.get("per_unit") or 0),
                )
            )
        except (KeyError, TypeError, ValueError):
            errors.append(
                FieldError(
                    f"terms[{i}]",
                    "TERM_FORMAT",
                    f"字段 terms[{i}] 须含 code、target（整数）、weight（整数），method 为 ratio/deduct",
                )
            )
    if errors:
        raise BusinessError(
            code=errors[0].code, message=errors[0].message, field=errors[0].field, errors=errors
        )
    return rules.check_terms(terms)


def set_terms(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    year: int,
    profile: str | None = None,
    terms: Sequence[dict[str, Any]] | None = None,
) -> TermsView:
    """Set an institution's measurable terms for a year: given explicitly, or the typical terms of
    its profile (综合/专科/药店). The lowering decided by last year's applied assessment (下年度指标
    下浮5%-10%) is applied to the money targets either way."""
    uow.actor.require(Perm.ASSESS_WRITE)
    repo = AssessmentRepository(uow.session)
    institution = _institution(uow, repo, fixmedins_code)
    if not 1990 <= year <= 2200:
        raise invalid("YEAR_RANGE", "year", f"字段 year 年度 {year} 超出范围")
    default_profile = "pharmacy" if institution.fixmedins_type == rules.PHARMACY else "general"
    prof = (profile or default_profile).strip()
    if prof not in rules.PROFILES:
        raise invalid(
            "PROFILE", "profile", f"字段 profile 指标模板 {profile!r} 无效，可选：{'/'.join(rules.PROFILES)}"
        )
    chosen = _parse_terms(terms) if terms else list(rules.DEFAULT_TERMS[prof])
    last = repo.assessment(institution.fixmedins_code, str(year - 1))
    lowering = 0
    if last is not None and last.applied_on is not None:
        lowering = int(json.loads(last.consequence).get("lower_next_year_bp", 0))
    final = rules.lower_terms(chosen, lowering)
    row = repo.terms(institution.fixmedins_code, year)
    before = None if row is None else {"profile": row.profile, "terms": json.loads(row.terms)}
    now = utcnow()
    if row is None:
        row = AgreementTerms(
            fixmedins_code=institution.fixmedins_code, admdvs=institution.admdvs, year=year, created_at=now
        )
        repo.add(row)
    row.profile = prof
    row.terms = json.dumps([_term_dict(t) for t in final])
    row.lowered_bp = lowering
    row.updated_at = now
    uow.flush()
    uow.audit(
        action="assessment.terms",
        entity="institution",
        entity_id=institution.fixmedins_code,
        admdvs=institution.admdvs,
        before=before,
        after={
            "year": year,
            "profile": prof,
            "lowered_bp": lowering,
            "terms": [_term_dict(t) for t in final],
        },
    )
    uow.commit()
    return _terms_view(row, institution.name)


def show_terms(*, uow: UnitOfWork, fixmedins_code: str, year: int) -> TermsView:
    """An institution's terms of a year."""
    uow.actor.require(Perm.ASSESS_READ)
    repo = AssessmentRepository(uow.session)
    institution = _institution(uow, repo, fixmedins_code)
    row = repo.terms(institution.fixmedins_code, year)
    if row is None:
        raise not_found(
            "TERMS_NOT_FOUND", f"字段 year：机构 {fixmedins_code} 尚未设定 {year} 年度协议指标", "year"
        )
    return _terms_view(row, institution.name)


# ---- monthly drug purchase reports (药品采购月报) -------------------------------------------------------

_REPORT_COLUMNS = {
    "drug_code": "drug_code",
    "药品编码": "drug_code",
    "医保药品编码": "drug_code",
    "drug_name": "drug_name",
    "药品名称": "drug_name",
    "maker": "maker",
    "生产厂家": "maker",
    "生产企业": "maker",
    "channel": "channel",
    "购入渠道": "channel",
    "供货单位": "channel",
    "purchase_day": "purchase_day",
    "采购日期": "purchase_day",
    "购入日期": "purchase_day",
    "quantity": "quantity",
    "数量": "quantity",
    "采购数量": "quantity",
    "purchase_price": "purchase_price",
    "购入价": "purchase_price",
    "进价": "purchase_price",
    "sale_price": "sale_price",
    "销售价": "sale_price",
    "售价": "sale_price",
}


@dataclass(frozen=True)
class ReportView:
    """A stored purchase report with its stock rates."""

    fixmedins_code: str
    name: str
    period: str
    version: int
    line_count: int
    submitted_by: str
    stock: dict[str, dict[str, int]]
    lines: list[dict[str, Any]] = field(default_factory=list)


def _stock_of(lines: Sequence[PurchaseLineRow]) -> dict[str, dict[str, int]]:
    stocked: dict[str, bool] = {}
    for line in lines:
        stocked[line.drug_code] = stocked.get(line.drug_code, False) or line.in_catalog
    return {
        k: {"listed": v.listed, "total": v.total, "rate_bp": v.rate_bp}
        for k, v in rules.stock_rates(stocked).items()
    }


def _report_view(row: PurchaseReport, name: str, with_lines: bool) -> ReportView:
    lines = (
        [
            {
                "drug_code": ln.drug_code,
                "drug_name": ln.drug_name,
                "maker": ln.maker,
                "channel": ln.channel,
                "purchase_day": ln.purchase_day,
                "quantity": ln.quantity,
                "purchase_price": ln.purchase_price,
                "sale_price": ln.sale_price,
                "in_catalog": ln.in_catalog,
            }
            for ln in row.lines
        ]
        if with_lines
        else []
    )
    return ReportView(
        row.fixmedins_code,
        name,
        row.period,
        row.version,
        row.line_count,
        row.submitted_by,
        _stock_of(row.lines),
        lines,
    )


def _may_report(uow: UnitOfWork, fixmedins_code: str) -> None:
    """The institution itself (its operator) or an assessment writer submits a report."""
    if uow.actor.institution_code is not None:
        if uow.actor.institution_code != fixmedins_code:
            raise BusinessError(
                code="AUTH_INSTITUTION",
                message=f"字段 fixmedins_code：只能报送本机构（{uow.actor.institution_code}）的采购月报",
                field="fixmedins_code",
                kind=ErrorKind.FORBIDDEN,
            )
        uow.actor.require(Perm.DECLARE)
        return
    uow.actor.require(Perm.ASSESS_WRITE)


def submit_purchase_report(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    period: str,
    rows: Sequence[rules.RawPurchaseRow],
    numbers: Sequence[int] | None = None,
    filename: str | None = None,
) -> ReportView:
    """Store an institution's monthly purchase report (药品清单、生产厂家、购入渠道、进销价格), all or
    nothing: unknown drug codes, days outside the month and negative quantities are refused row by
    row with reasons. A resubmission of the month replaces the earlier lines (version + 1)."""
    code = (fixmedins_code or "").strip()
    _may_report(uow, code)
    repo = AssessmentRepository(uow.session)
    institution = _institution(uow, repo, code)
    month = rules.parse_period(period)
    if month.kind is not rules.PeriodKind.MONTH:
        raise invalid(
            "PERIOD_MONTH", "period", f"字段 period 采购月报的报告期须为月份 yyyy-MM，实际为 {period!r}"
        )
    if not rows:
        raise invalid("REPORT_EMPTY", "rows", "字段 rows 采购月报至少需要一行药品")
    versions = repo.drug_versions(((r.drug_code or "").strip().upper() for r in rows), institution.admdvs)
    known = {v.code for v in versions}
    listed = {
        v.code
        for v in versions
        if v.chrgitm_lv in ("01", "02") and v.begin <= month.end and (v.end is None or month.end <= v.end)
    }
    row_numbers = list(numbers) if numbers is not None else list(range(1, len(rows) + 1))
    problems: list[RowError] = []
    good: list[rules.PurchaseLine] = []
    for number, raw in zip(row_numbers, rows, strict=True):
        line, errors = rules.check_purchase_row(raw, month, known)
        problems += [RowError(number, e.field, e.code, e.message) for e in errors]
        if line is not None:
            good.append(line)
    if problems:
        bad = len({p.row for p in problems})
        raise ImportRefusedError(
            code="REPORT_ROWS",
            message=f"采购月报共 {len(rows)} 行，其中 {bad} 行有错误，未保存任何数据",
            kind=ErrorKind.INVALID,
            errors=[
                FieldError(f"row{p.row}.{p.field}", p.code, f"第{p.row}行 {p.message}") for p in problems
            ],
            rows=problems,
        )
    report = repo.report(institution.fixmedins_code, month.key)
    now = utcnow()
    if report is None:
        report = PurchaseReport(
            fixmedins_code=institution.fixmedins_code, admdvs=institution.admdvs, period=month.key, version=1
        )
        repo.add(report)
    else:
        report.version += 1
        report.lines.clear()
    report.line_count = len(good)
    report.submitted_at = now
    report.submitted_by = uow.actor.username
    report.lines.extend(
        PurchaseLineRow(
            drug_code=g.drug_code,
            drug_name=g.drug_name,
            maker=g.maker,
            channel=g.channel,
            purchase_day=g.purchase_day,
            quantity=g.quantity,
            purchase_price=g.purchase_price,
            sale_price=g.sale_price,
            in_catalog=g.drug_code in listed,
        )
        for g in good
    )
    uow.flush()
    view = _report_view(report, institution.name, False)
    uow.audit(
        action="assessment.report",
        entity="institution",
        entity_id=institution.fixmedins_code,
        admdvs=institution.admdvs,
        after={"period": month.key, "version": report.version, "lines": len(good), "stock": view.stock},
        note=filename,
    )
    uow.commit()
    return view


def import_purchase_report(
    *, uow: UnitOfWork, fixmedins_code: str, period: str, data: bytes, filename: str
) -> ReportView:
    """A purchase report from a CSV or Excel file (Chinese or English headers); row numbers as in the file."""
    table = table_rows(filename, data, file_code="IMPORT_FORMAT", encoding_code="IMPORT_ENCODING")
    if not table:
        raise invalid("IMPORT_EMPTY", "file", "字段 file 文件没有数据行")
    numbers: list[int] = []
    rows: list[rules.RawPurchaseRow] = []
    for number, cells in table:
        named = {
            _REPORT_COLUMNS.get(k.strip().lower(), _REPORT_COLUMNS.get(k.strip(), "")): v
            for k, v in cells.items()
        }
        numbers.append(number)
        rows.append(
            rules.RawPurchaseRow(**{f: named.get(f) for f in rules.RawPurchaseRow.__dataclass_fields__})
        )
    return submit_purchase_report(
        uow=uow, fixmedins_code=fixmedins_code, period=period, rows=rows, numbers=numbers, filename=filename
    )


def show_report(*, uow: UnitOfWork, fixmedins_code: str, period: str) -> ReportView:
    """One purchase report with its lines and stock rates."""
    if uow.actor.institution_code != fixmedins_code:
        uow.actor.require(Perm.ASSESS_READ)
    repo = AssessmentRepository(uow.session)
    institution = _institution(uow, repo, fixmedins_code)
    row = repo.report(institution.fixmedins_code, rules.parse_period(period).key)
    if row is None:
        raise not_found(
            "REPORT_NOT_FOUND", f"字段 period：机构 {fixmedins_code} 没有 {period} 的采购月报", "period"
        )
    return _report_view(row, institution.name, True)


def list_reports(
    *, uow: UnitOfWork, fixmedins_code: str | None = None, page: int = 1, size: int = 20
) -> Page[ReportView]:
    """Purchase reports in the actor's regions, newest month first."""
    uow.actor.require(Perm.ASSESS_READ)
    repo = AssessmentRepository(uow.session)
    result = repo.reports(uow.actor.region_filter(), (fixmedins_code or "").strip() or None, page, size)
    names = repo.institution_names(r.fixmedins_code for r in result.items)
    return Page(
        [_report_view(r, names.get(r.fixmedins_code, ""), False) for r in result.items],
        result.total,
        page,
        size,
    )


# ---- assessment ---------------------------------------------------------------------------------------


def _month_keys(period: rules.Period) -> tuple[str, str]:
    return f"{period.begin:%Y-%m}", f"{period.end:%Y-%m}"


def measured_actuals(
    repo: AssessmentRepository, institution: Institution, period: rules.Period, codes: Sequence[str]
) -> dict[str, int]:
    """The actual values the system can measure for the period: stock rates from purchase reports,
    cost per visit/stay, length of stay and self-pay share from settlements, the in-bed rate from
    ward rounds, violations from issued decisions, doctors' points. Unmeasurable ones are absent."""
    wanted = set(codes)
    out: dict[str, int] = {}
    code = institution.fixmedins_code
    if wanted & set(rules.STOCK_INDICATOR):
        first, last = _month_keys(period)
        lines = [ln for r in repo.reports_between(code, first, last) for ln in r.lines]
        if lines:
            stock = _stock_of(lines)
            for indicator, key in rules.STOCK_INDICATOR.items():
                if stock[key]["total"]:
                    out[indicator] = stock[key]["rate_bp"]
    if wanted & {"cost_per_visit", "cost_per_stay", "length_of_stay", "self_pay_share"}:
        f = repo.settlement_figures(code, period.begin, period.end)
        if f["visits"]:
            out["cost_per_visit"] = rules.half_up(f["visit_fee"], f["visits"])
        if f["stays"]:
            out["cost_per_stay"] = rules.half_up(f["stay_fee"], f["stays"])
        if f["stays_with_days"]:
            out["length_of_stay"] = rules.half_up(f["stay_days"] * 100, f["stays_with_days"])
        if f["total_fee"]:
            out["self_pay_share"] = rules.half_up((f["total_fee"] - f["fund_pay"]) * rules.BP, f["total_fee"])
    if "in_bed_rate" in wanted:
        total, present = repo.round_counts(code, period.begin, period.end)
        if total:
            out["in_bed_rate"] = rules.half_up(present * rules.BP, total)
    if "violations" in wanted:
        out["violations"] = repo.violations(code, period.begin, period.end)
    if "doctor_points" in wanted:
        out["doctor_points"] = repo.institution_points(code, period.begin, period.end)
    return {k: v for k, v in out.items() if k in wanted}


@dataclass(frozen=True)
class AssessmentView:
    """An assessment as shown: scorecard, grade, consequence and whether it was carried out."""

    fixmedins_code: str
    name: str
    fixmedins_type: str
    period: str
    period_kind: str
    period_begin: date
    period_end: date
    score: int
    grade: str
    grade_label: str
    consequence: dict[str, Any]
    consequence_text: str
    items: list[dict[str, Any]]
    config_source: str
    applied_on: date | None
    applied_note: str | None
    assessed_by: str


def _assessment_view(row: Assessment, name: str) -> AssessmentView:
    consequence = json.loads(row.consequence)
    return AssessmentView(
        row.fixmedins_code,
        name,
        row.fixmedins_type,
        row.period,
        row.period_kind,
        row.period_begin,
        row.period_end,
        row.score,
        row.grade,
        row.grade_label,
        consequence,
        rules.Consequence(**consequence).summary(),
        json.loads(row.items),
        row.config_source,
        row.applied_on,
        row.applied_note,
        row.assessed_by,
    )


def assess(
    *,
    uow: UnitOfWork,
    fixmedins_code: str,
    period: str,
    actuals: dict[str, int] | None = None,
    day: date | None = None,
) -> AssessmentView:
    """Assess an institution for a month, quarter or year (考核): each term of the period's year is
    scored from the measured values (overridden or completed by `actuals` entered by the assessor),
    the total gives the credit grade of the region's table and its consequence. Re-assessing replaces
    an assessment whose consequence was not carried out yet."""
    uow.actor.require(Perm.ASSESS_WRITE)
    repo = AssessmentRepository(uow.session)
    institution = _institution(uow, repo, fixmedins_code)
    p = rules.parse_period(period)
    terms_row = repo.terms(institution.fixmedins_code, p.begin.year)
    if terms_row is None:
        raise conflict(
            "TERMS_NOT_FOUND",
            f"字段 period：机构 {fixmedins_code} 尚未设定 {p.begin.year} 年度协议指标",
            "period",
        )
    terms = _terms_of(terms_row.terms)
    given = dict(actuals or {})
    unknown = sorted(set(given) - {t.code for t in terms})
    if unknown:
        raise invalid(
            "ACTUAL_UNKNOWN",
            "actuals",
            f"字段 actuals 指标 {'、'.join(unknown)} 不在该机构 {p.begin.year} 年度协议指标中",
        )
    negative = sorted(k for k, v in given.items() if v < 0)
    if negative:
        raise invalid(
            "ACTUAL_NEGATIVE", "actuals", f"字段 actuals 指标实际值不能为负数：{'、'.join(negative)}"
        )
    values = measured_actuals(repo, institution, p, [t.code for t in terms])
    measured = dict(values)
    values.update(given)
    total, items = rules.score(terms, values)
    bands, source = grades_in_force(repo, institution.admdvs, institution.fixmedins_type, day or p.end)
    band = rules.grade_for(bands, total)
    row = repo.assessment(institution.fixmedins_code, p.key)
    if row is not None and row.applied_on is not None:
        raise conflict(
            "ASSESSMENT_APPLIED",
            f"字段 period：机构 {fixmedins_code} {p.key} 的考核结果已于 {row.applied_on} 执行，不能重新考核",
            "period",
        )
    if row is None:
        row = Assessment(fixmedins_code=institution.fixmedins_code, admdvs=institution.admdvs, period=p.key)
        repo.add(row)
    row.fixmedins_type = institution.fixmedins_type
    row.period_kind = p.kind.value
    row.period_begin, row.period_end = p.begin, p.end
    row.score = total
    row.grade, row.grade_label = band.grade, band.label
    row.consequence = json.dumps(asdict(band.consequence))
    row.items = json.dumps(
        [
            {
                **asdict(i),
                "source": "manual" if i.code in given else ("measured" if i.code in measured else "manual"),
            }
            for i in items
        ],
        ensure_ascii=False,
    )
    row.config_source = source
    row.applied_on, row.applied_note = None, None
    row.assessed_at, row.assessed_by = utcnow(), uow.actor.username
    uow.flush()
    uow.audit(
        action="assessment.assess",
        entity="institution",
        entity_id=institution.fixmedins_code,
        admdvs=institution.admdvs,
        after={
            "period": p.key,
            "score": total,
            "grade": band.grade,
            "consequence": asdict(band.consequence),
            "actuals": values,
        },
    )
    uow.commit()
    return _assessment_view(row, institution.name)


def apply_consequence(
    *, uow: UnitOfWork, fixmedins_code: str, period: str, day: date | None = None
) -> AssessmentView:
    """Carry out an assessment's consequence on `day` (考核结果运用): a suspension of N months
    suspends the agreement through the institutions service (settlement then refuses the institution
    with AGREEMENT_SUSPENDED), a termination or exit terminates it; the payment coefficient, the
    withheld deposit and next year's lowering are recorded for payment and next year's terms."""
    uow.actor.require(Perm.ASSESS_WRITE)
    uow.actor.require(Perm.INSTITUTION_WRITE)
    repo = AssessmentRepository(uow.session)
    institution = _institution(uow, repo, fixmedins_code)
    p = rules.parse_period(period)
    row = repo.assessment(institution.fixmedins_code, p.key)
    if row is None:
        raise not_found(
            "ASSESSMENT_NOT_FOUND", f"字段 period：机构 {fixmedins_code} 没有 {p.key} 的考核结果", "period"
        )
    if row.applied_on is not None:
        raise conflict("ASSESSMENT_APPLIED", f"字段 period：该考核结果已于 {row.applied_on} 执行", "period")
    when = day or today()
    c = rules.Consequence(**json.loads(row.consequence))
    notes: list[str] = []
    reason = f"{p.key}考核得分{row.score / 100:.2f}，信用等级{row.grade}（{row.grade_label}）"
    if c.terminate or c.permanent_exit or c.no_renew_years:
        extra = (
            "永久退出"
            if c.permanent_exit
            else (f"{c.no_renew_years}年内不再续签" if c.no_renew_years else "")
        )
        institutions.change_agreement(
            uow=uow,
            fixmedins_code=institution.fixmedins_code,
            action="terminate",
            day=when,
            reason=f"{reason}，解除协议{extra}",
            commit=False,
        )
        notes.append(f"解除协议{('，' + extra) if extra else ''}")
    elif c.suspend_months:
        until = add_months(when, c.suspend_months) - timedelta(days=1)
        institutions.change_agreement(
            uow=uow,
            fixmedins_code=institution.fixmedins_code,
            action="suspend",
            day=when,
            until=until,
            reason=f"{reason}，暂停协议{c.suspend_months}个月",
            commit=False,
        )
        notes.append(f"暂停协议至{until}")
    if c.payment_coefficient_bp != rules.BP:
        notes.append(f"结算系数{c.payment_coefficient_bp / 100:.2f}%")
    if c.withhold_deposit_bp:
        notes.append(f"扣留保证金{c.withhold_deposit_bp / 100:.2f}%")
    if c.lower_next_year_bp:
        notes.append(f"{p.begin.year + 1}年度结算指标下浮{c.lower_next_year_bp / 100:.2f}%")
    row.applied_on = when
    row.applied_note = "；".join(notes) or "无处理"
    uow.audit(
        action="assessment.apply",
        entity="institution",
        entity_id=institution.fixmedins_code,
        admdvs=institution.admdvs,
        after={"period": p.key, "grade": row.grade, "applied_on": when, "note": row.applied_note},
    )
    uow.commit()
    return _assessment_view(row, institution.name)


def payment_terms(*, uow: UnitOfWork, fixmedins_code: str, day: date) -> tuple[int, int]:
    """The payment coefficient and the withheld deposit share (bp) in force for an institution on
    `day`: those of its latest carried-out assessment (full payment when none); for payment/clearing."""
    repo = AssessmentRepository(uow.session)
    row = repo.latest_applied((fixmedins_code or "").strip(), day)
    if row is None:
        return rules.BP, 0
    c = json.loads(row.consequence)
    return int(c.get("payment_coefficient_bp", rules.BP)), int(c.get("withhold_deposit_bp", 0))


def show_assessment(*, uow: UnitOfWork, fixmedins_code: str, period: str) -> AssessmentView:
    """One assessment (the assessment letter's content)."""
    uow.actor.require(Perm.ASSESS_READ)
    repo = AssessmentRepository(uow.session)
    institution = _institution(uow, repo, fixmedins_code)
    row = repo.assessment(institution.fixmedins_code, rules.parse_period(period).key)
    if row is None:
        raise not_found(
            "ASSESSMENT_NOT_FOUND", f"字段 period：机构 {fixmedins_code} 没有 {period} 的考核结果", "period"
        )
    return _assessment_view(row, institution.name)


def list_assessments(
    *,
    uow: UnitOfWork,
    fixmedins_code: str | None = None,
    period: str | None = None,
    grade: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[AssessmentView]:
    """Assessments in the actor's regions, newest period first."""
    uow.actor.require(Perm.ASSESS_READ)
    repo = AssessmentRepository(uow.session)
    key = rules.parse_period(period).key if period and period.strip() else None
    result = repo.assessments(
        uow.actor.region_filter(),
        code=(fixmedins_code or "").strip() or None,
        period=key,
        grade=(grade or "").strip() or None,
        page=page,
        size=size,
    )
    names = repo.institution_names(r.fixmedins_code for r in result.items)
    return Page(
        [_assessment_view(r, names.get(r.fixmedins_code, "")) for r in result.items], result.total, page, size
    )


def ranking(*, uow: UnitOfWork, year: int, size: int = 500) -> list[AssessmentView]:
    """The yearly ranking (年度考核排名): the year's assessments by score, highest first."""
    uow.actor.require(Perm.ASSESS_READ)
    if not 1990 <= year <= 2200:
        raise invalid("YEAR_RANGE", "year", f"字段 year 年度 {year} 超出范围")
    repo = AssessmentRepository(uow.session)
    result = repo.assessments(
        uow.actor.region_filter(), code=None, period=str(year), grade=None, page=1, size=size, by_score=True
    )
    names = repo.institution_names(r.fixmedins_code for r in result.items)
    return [_assessment_view(r, names.get(r.fixmedins_code, "")) for r in result.items]


# ---- insurance doctors' points (医保医师积分) -----------------------------------------------------------


@dataclass(frozen=True)
class PointEntryView:
    """One deduction."""

    dr_code: str
    fixmedins_code: str | None
    day: date
    year: int
    violation: str
    label: str
    points: int
    year_total: int
    outcome: str
    source: str
    source_ref: str | None
    note: str | None


def _entry_view(e: DoctorPointEntry) -> PointEntryView:
    return PointEntryView(
        e.dr_code,
        e.fixmedins_code,
        e.day,
        e.year,
        e.violation,
        e.label,
        e.points,
        e.year_total,
        e.outcome,
        e.source,
        e.source_ref,
        e.note,
    )


@dataclass(frozen=True)
class PointsNear:
    """A doctor whose year points stand just below the suspension threshold (临近暂停)."""

    dr_code: str
    name: str
    admdvs: str
    points: int
    suspend_at: int


def doctors_near_suspension(*, uow: UnitOfWork, day: date, margin: int = 2) -> list[PointsNear]:
    """Qualified doctors in the actor's regions whose points of `day`'s year are within `margin` below
    their region's suspension threshold on `day` (typically 4 or 5 of 6), most points first."""
    uow.actor.require(Perm.ASSESS_READ)
    if not 1 <= margin <= 12:
        raise invalid("MARGIN_RANGE", "margin", "字段 margin 临近分值须为1至12分")
    repo = AssessmentRepository(uow.session)
    tables: dict[str, rules.PointsTable] = {}
    out = []
    for doctor in repo.doctors_with_points(uow.actor.region_filter(), day.year, 1):
        if doctor.admdvs not in tables:
            tables[doctor.admdvs] = points_in_force(repo, doctor.admdvs, day)
        threshold = tables[doctor.admdvs].suspend_at
        if rules.near_suspension(doctor.points_deducted, threshold, margin):
            out.append(
                PointsNear(doctor.dr_code, doctor.name, doctor.admdvs, doctor.points_deducted, threshold)
            )
    return out


@dataclass(frozen=True)
class DoctorPointsView:
    """A doctor's points of a year, qualification and trainings."""

    dr_code: str
    name: str
    admdvs: str
    status: str
    suspended_until: date | None
    year: int
    points: int
    suspend_at: int
    cancel_at: int
    entries: list[PointEntryView]
    trainings: list[dict[str, Any]]


def deduct_points(
    *,
    uow: UnitOfWork,
    dr_code: str,
    violation: str,
    day: date,
    fixmedins_code: str | None = None,
    note: str | None = None,
    source: str = "manual",
    source_ref: str | None = None,
    commit: bool = True,
) -> PointEntryView:
    """Deduct points from an insurance doctor for a violation by the region's table (扣分). Reaching
    the suspension threshold in the year suspends the qualification for the table's months; a severe
    violation, the cancellation threshold, or a repeat after a recent suspension cancels it for good.
    Prescriptions of a suspended or cancelled doctor are refused (institutions.doctor_qualification)."""
    uow.actor.require(Perm.ASSESS_WRITE)
    repo = AssessmentRepository(uow.session)
    code = (dr_code or "").strip().upper()
    doctor = repo.doctor(code)
    if doctor is None or not uow.actor.sees_region(doctor.admdvs):
        raise not_found("DOCTOR_NOT_FOUND", f"字段 dr_code：医保医师 {code} 不存在", "dr_code")
    table = points_in_force(repo, doctor.admdvs, day)
    rule = table.rule((violation or "").strip())
    where = (fixmedins_code or "").strip() or None
    if where is None:
        at = repo.doctor_institutions(code, day)
        where = at[0] if len(at) == 1 else None
    year_points = sum(e.points for e in repo.point_entries(code, day.year))
    since = date(day.year - table.repeat_years, day.month, 1)
    total, outcome = rules.points_outcome(
        table,
        year_points=year_points,
        rule=rule,
        status=doctor.status,
        suspensions_recently=repo.suspensions_since(code, since),
    )
    text = optional_text(note, field="note", max_len=255, label="说明")
    entry = DoctorPointEntry(
        dr_code=code,
        admdvs=doctor.admdvs,
        fixmedins_code=where,
        day=day,
        year=day.year,
        violation=rule.code,
        label=rule.label,
        points=rule.points,
        year_total=total,
        outcome=outcome.value,
        source=source,
        source_ref=source_ref,
        note=text,
        created_at=utcnow(),
        created_by=uow.actor.username,
    )
    repo.add(entry)
    reason = f"{day.year}年度医保医师扣分累计{total}分（{rule.label}）"
    if outcome is rules.DoctorOutcome.CANCEL:
        institutions.change_doctor_status(
            uow=uow, dr_code=code, action="cancel", day=day, reason=reason, commit=False
        )
    elif outcome is rules.DoctorOutcome.SUSPEND:
        until = add_months(day, table.suspend_months) - timedelta(days=1)
        institutions.change_doctor_status(
            uow=uow, dr_code=code, action="suspend", day=day, until=until, reason=reason, commit=False
        )
    institutions.record_doctor_points(uow=uow, dr_code=code, year=day.year, points=total)
    uow.flush()
    uow.audit(
        action="assessment.points",
        entity="doctor",
        entity_id=code,
        admdvs=doctor.admdvs,
        after={
            "violation": rule.code,
            "points": rule.points,
            "year_total": total,
            "outcome": outcome.value,
            "source": source,
            "source_ref": source_ref,
        },
    )
    if commit:
        uow.commit()
    return _entry_view(entry)


def check_violation(*, uow: UnitOfWork, admdvs: str, violation: str, day: date) -> rules.PointRule:
    """The rule of a violation code in the region's doctor points table on `day` (refused if unknown)."""
    return points_in_force(AssessmentRepository(uow.session), admdvs, day).rule((violation or "").strip())


def doctor_points(*, uow: UnitOfWork, dr_code: str, year: int | None = None) -> DoctorPointsView:
    """A doctor's points of a year (the current year by default), the thresholds and trainings."""
    uow.actor.require(Perm.ASSESS_READ)
    repo = AssessmentRepository(uow.session)
    code = (dr_code or "").strip().upper()
    doctor = repo.doctor(code)
    if doctor is None or not uow.actor.sees_region(doctor.admdvs):
        raise not_found("DOCTOR_NOT_FOUND", f"字段 dr_code：医保医师 {code} 不存在", "dr_code")
    y = year or today().year
    entries = repo.point_entries(code, y)
    table = points_in_force(repo, doctor.admdvs, date(y, 12, 31))
    trainings = [
        {"day": t.day, "topic": t.topic, "hours": t.hours, "provider": t.provider, "passed": t.passed}
        for t in repo.trainings(code)
    ]
    return DoctorPointsView(
        code,
        doctor.name,
        doctor.admdvs,
        doctor.status,
        doctor.suspended_until,
        y,
        sum(e.points for e in entries),
        table.suspend_at,
        table.cancel_at,
        [_entry_view(e) for e in entries],
        trainings,
    )


def list_point_entries(
    *, uow: UnitOfWork, dr_code: str | None = None, year: int | None = None, page: int = 1, size: int = 20
) -> Page[PointEntryView]:
    """Deductions in the actor's regions, newest first."""
    uow.actor.require(Perm.ASSESS_READ)
    result = AssessmentRepository(uow.session).points_page(
        uow.actor.region_filter(),
        dr_code=(dr_code or "").strip().upper() or None,
        year=year,
        page=page,
        size=size,
    )
    return Page([_entry_view(e) for e in result.items], result.total, page, size)


def reset_year(*, uow: UnitOfWork, admdvs: str, year: int) -> int:
    """Yearly reset (积分按年度清零): doctors of the region whose stored points belong to an earlier
    year start `year` at 0. Suspensions and cancellations already decided stand."""
    uow.actor.require(Perm.ASSESS_WRITE)
    region = require_admdvs(admdvs)
    uow.actor.require_region(region)
    count = 0
    for doctor in AssessmentRepository(uow.session).stale_doctors(region, year):
        institutions.record_doctor_points(uow=uow, dr_code=doctor.dr_code, year=year, points=0)
        count += 1
    uow.audit(
        action="assessment.points_reset",
        entity="region",
        entity_id=region,
        admdvs=region,
        after={"year": year, "doctors": count},
    )
    uow.commit()
    return count


def add_training(
    *,
    uow: UnitOfWork,
    dr_code: str,
    day: date,
    topic: str,
    hours: int,
    provider: str | None = None,
    passed: bool = True,
) -> dict[str, Any]:
    """Record a training a doctor attended (医保政策培训)."""
    uow.actor.require(Perm.ASSESS_WRITE)
    repo = AssessmentRepository(uow.session)
    code = (dr_code or "").strip().upper()
    doctor = repo.doctor(code)
    if doctor is None or not uow.actor.sees_region(doctor.admdvs):
        raise not_found("DOCTOR_NOT_FOUND", f"字段 dr_code：医保医师 {code} 不存在", "dr_code")
    title = require_text(topic, field="topic", max_len=128, label="培训主题")
    if not 1 <= hours <= 200:
        raise invalid("HOURS_RANGE", "hours", "字段 hours 培训学时须为1至200")
    row = DoctorTraining(
        dr_code=code,
        admdvs=doctor.admdvs,
        day=day,
        topic=title,
        hours=hours,
        provider=optional_text(provider, field="provider", max_len=128, label="培训机构"),
        passed=passed,
        created_at=utcnow(),
        created_by=uow.actor.username,
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="assessment.training",
        entity="doctor",
        entity_id=code,
        admdvs=doctor.admdvs,
        after={"day": day, "topic": title, "hours": hours, "passed": passed},
    )
    uow.commit()
    return {
        "dr_code": code,
        "day": day,
        "topic": title,
        "hours": hours,
        "provider": row.provider,
        "passed": passed,
    }


def form_options() -> dict[str, list[tuple[str, str]]]:
    """Choices for console forms."""
    return {
        "indicator": [(k, v.zh) for k, v in rules.INDICATORS.items()],
        "profile": list(rules.PROFILES.items()),
        "config_kind": list(CONFIG_KINDS.items()),
        "violation": [(r.code, f"{r.label}（{r.points}分）") for r in rules.DEFAULT_POINTS.rules],
    }


def parse_method(value: str) -> rules.Method:
    """A scoring method by name."""
    return choice(rules.Method, value, code="METHOD", field="method", label="计分方法")
