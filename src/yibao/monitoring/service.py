"""Use cases of intelligent monitoring (智能监控): the rule library and its region settings, knowledge
versions, batch and what-if runs, the in-visit check, and suspicious cases (疑点)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from yibao.core.clock import LOCAL_TZ, local_day
from yibao.core.db import utcnow
from yibao.core.paging import Page, check_paging
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.domain import monitoring as dm
from yibao.domain.errors import choice, conflict, invalid, not_found
from yibao.monitoring import batch, lookup
from yibao.monitoring.knowledge import load_knowledge as read_knowledge_files
from yibao.monitoring.lookup import loaded
from yibao.monitoring.models import (
    CaseFinding,
    CaseNote,
    CaseRow,
    KnowledgeRow,
    KnowledgeVersion,
    RuleSettingRow,
    RunRow,
)
from yibao.monitoring.repository import MonitoringRepository

VisitFinding = dm.VisitFinding  # one in-visit rule hit, as pre-settlement shows it

ENGINES = ("duckdb", "spark")


def today() -> date:
    """Today in Beijing time (the day region settings are read on when none is given)."""
    return datetime.now(LOCAL_TZ).date()


# ---------------------------------------------------------------- rule library


@dataclass(frozen=True)
class RuleView:
    """A rule of the library as a region runs it on a day."""

    rule: dm.RuleDef
    enabled: bool
    params: Mapping[str, Any]
    in_visit: bool
    setting: RuleSettingRow | None


def _rule(rule_id: str) -> dm.RuleDef:
    rule = dm.library_by_id().get(rule_id)
    if rule is None:
        raise not_found("RULE_NOT_FOUND", f"规则 {rule_id} 不存在", "rule_id")
    return rule


def _settings(repo: MonitoringRepository, admdvs: str | None) -> list[dm.RuleSetting]:
    if admdvs is None:
        return []
    return [
        dm.RuleSetting(s.rule_id, s.admdvs, s.enabled, json.loads(s.params), s.begin, s.end)
        for s in repo.settings(admdvs)
    ]


def rules_in_force(*, uow: UnitOfWork, admdvs: str | None, day: date) -> list[dm.RuleDef]:
    """The rules a region runs on `day` (every rule of the library with no region given)."""
    uow.actor.require(Perm.MONITOR_READ)
    if admdvs is not None:
        uow.actor.require_region(admdvs)
    return dm.rules_in_force(
        dm.LIBRARY, _settings(MonitoringRepository(uow.session), admdvs), admdvs=admdvs, day=day
    )


def library(*, uow: UnitOfWork, admdvs: str | None, day: date) -> list[RuleView]:
    """Every rule of the library with the region's choice on `day` (on/off, parameters, the setting)."""
    uow.actor.require(Perm.MONITOR_READ)
    if admdvs is not None:
        uow.actor.require_region(admdvs)
    repo = MonitoringRepository(uow.session)
    rows = (
        [s for s in repo.settings(admdvs) if s.begin <= day and (s.end is None or day <= s.end)]
        if admdvs
        else []
    )
    latest: dict[str, RuleSettingRow] = {}
    for s in rows:
        if s.rule_id not in latest or s.begin > latest[s.rule_id].begin:
            latest[s.rule_id] = s
    views = []
    for rule in dm.LIBRARY:
        setting = latest.get(rule.rule_id)
        params = dict(rule.params) | (json.loads(setting.params) if setting else {})
        views.append(
            RuleView(
                rule=rule,
                enabled=setting.enabled if setting else True,
                params=params,
                in_visit=rule.rule_type in dm.IN_VISIT_TYPES and bool({"pre", "in"} & rule.scenarios),
                setting=setting,
            )
        )
    return views


def setting_history(*, uow: UnitOfWork, admdvs: str, rule_id: str) -> list[RuleSettingRow]:
    """The versions of a region's setting of one rule, oldest first."""
    uow.actor.require(Perm.MONITOR_READ)
    uow.actor.require_region(admdvs)
    _rule(rule_id)
    return MonitoringRepository(uow.session).settings(admdvs, rule_id)


def set_rule(
    *,
    uow: UnitOfWork,
    admdvs: str,
    rule_id: str,
    enabled: bool,
    params: Mapping[str, Any] | None = None,
    begin: date,
    end: date | None = None,
    note: str | None = None,
) -> RuleSettingRow:
    """Switch a rule on or off for a region from `begin`, with parameter overrides; the open setting
    before it ends the day before (versioned, nothing overwritten)."""
    uow.actor.require(Perm.MONITOR_WRITE)
    uow.actor.require_region(admdvs)
    rule = _rule(rule_id)
    clean = dm.check_params(rule, params or {})
    if end is not None and end < begin:
        raise invalid("PERIOD_ORDER", "end", "字段 end 结束日期不能早于开始日期 begin")
    repo = MonitoringRepository(uow.session)
    for earlier in repo.settings(admdvs, rule_id):
        if earlier.begin == begin:
            raise conflict(
                "RULE_SETTING_EXISTS", f"规则 {rule_id} 在统筹区 {admdvs} 已有自 {begin} 起的设置", "begin"
            )
        if earlier.begin < begin and (earlier.end is None or earlier.end >= begin):
            earlier.end = begin - timedelta(days=1)
    row = RuleSettingRow(
        admdvs=admdvs,
        rule_id=rule_id,
        enabled=enabled,
        params=json.dumps(clean, ensure_ascii=False, sort_keys=True),
        begin=begin,
        end=end,
        note=note,
        created_at=utcnow(),
        created_by=uow.actor.username,
    )
    uow.session.add(row)
    uow.flush()
    uow.audit(
        action="monitoring.rule.set",
        entity="mon_rule_setting",
        entity_id=row.id,
        admdvs=admdvs,
        after={"rule_id": rule_id, "enabled": enabled, "params": clean, "begin": begin, "end": end},
        note=note,
    )
    uow.commit()
    lookup.invalidate()
    return row


# ---------------------------------------------------------------- knowledge


def _knowledge_rows(k: dm.Knowledge) -> list[tuple[str, str, str | None, str | None, int | None]]:
    rows: list[tuple[str, str, str | None, str | None, int | None]] = []
    rows += [("sex", c, kind, g, None) for c, kind, g in k.sex]
    rows += [("child", c, kind, None, None) for c, kind in k.child]
    rows += [("over_age", c, None, None, None) for c in k.over_age]
    rows += [("insutype", c, kind, None, None) for c, kind in k.insutype]
    rows += [("inpatient", c, None, None, None) for c in k.inpatient]
    rows += [("level", c, None, None, t) for c, t in k.level]
    rows += [("course", c, kind, None, d) for c, kind, d in k.course]
    rows += [("duplicate", m, s, w, None) for m, s, w in k.duplicate]
    rows += [("frequency", c, None, None, n) for c, n in k.frequency]
    rows += [("cycle", c, str(t), None, d) for c, t, d in k.cycle]
    rows += [("gray_diagnoses", c, None, None, None) for c in k.gray_diagnoses]
    rows += [("surgery_group", c, g, None, None) for c, g in k.surgery_group]
    return rows


def load_knowledge(*, uow: UnitOfWork, folder: Path, icd_dir: Path | None = None) -> KnowledgeVersion:
    """Load the published knowledge batches 1–8 (and the gray ICD codes) as a new version and make it the
    active one; loading the same content again only re-activates its version."""
    uow.actor.require(Perm.MONITOR_WRITE)
    knowledge = read_knowledge_files(folder, icd_dir)
    repo = MonitoringRepository(uow.session)
    version = repo.knowledge_version(knowledge.version)
    for other in repo.knowledge_versions():
        other.active = False
    if version is None:
        version = KnowledgeVersion(
            version=knowledge.version,
            source=str(folder)[:255],
            counts=json.dumps(knowledge.counts(), ensure_ascii=False),
            active=True,
            loaded_at=utcnow(),
            loaded_by=uow.actor.username,
        )
        uow.session.add(version)
        uow.flush()
        # ~18,000 rows in one bulk INSERT (executemany), not one ORM object each.
        uow.session.execute(
            insert(KnowledgeRow),
            [
                {"version_id": version.id, "tbl": t, "code": c, "a": a, "b": b, "n": n}
                for t, c, a, b, n in _knowledge_rows(knowledge)
            ],
        )
    version.active = True
    uow.flush()
    uow.audit(
        action="monitoring.knowledge.load",
        entity="mon_knowledge_version",
        entity_id=version.version,
        after={"counts": knowledge.counts(), "files": [name for name, _ in knowledge.sources]},
    )
    uow.commit()
    lookup.invalidate()
    return version


def knowledge_versions(*, uow: UnitOfWork) -> list[KnowledgeVersion]:
    """Every loaded knowledge version, newest first."""
    uow.actor.require(Perm.MONITOR_READ)
    return MonitoringRepository(uow.session).knowledge_versions()


def knowledge_in_use(*, uow: UnitOfWork) -> tuple[dm.Knowledge, str | None]:
    """The active knowledge and its version (empty tables and None before the first load)."""
    uow.actor.require(Perm.MONITOR_READ)
    state = loaded(uow.session)
    return state.knowledge, state.version


# ---------------------------------------------------------------- in-visit (事前/事中)


@dataclass(frozen=True)
class VisitCheck:
    """The result of the in-visit check: findings, whether one of them blocks, the knowledge used."""

    findings: list[dm.VisitFinding]
    blocked: bool
    knowledge_version: str | None

    @property
    def vola_fen(self) -> int:
        return sum(f.vola_fen for f in self.findings)


def check_visit(
    *, uow: UnitOfWork, visit: dm.VisitInput, admdvs: str | None, scenario: str = "in"
) -> VisitCheck:
    """Run the region's in-visit rules on one visit (nothing written). Warnings never block unless the
    rule says so; the caller decides what to show (事前提醒 pre / 事中监控 in)."""
    if not uow.actor.has(Perm.SETTLE):
        uow.actor.require(Perm.MONITOR_READ)
    if scenario not in ("pre", "in"):
        raise invalid("SCENARIO", "trig_scen", "字段 trig_scen 应为事前(pre)或事中(in)")
    state = loaded(uow.session)
    day = local_day(visit.begntime)
    rules = dm.rules_in_force(dm.LIBRARY, state.settings, admdvs=admdvs, day=day)
    found = dm.check_visit(visit, rules, state.index, scenario)
    return VisitCheck(found, any(f.blocking for f in found), state.version)


def blocking_rules_in_force(*, uow: UnitOfWork, admdvs: str, day: date) -> bool:
    """Whether the region runs, on `day`, an in-visit rule configured to block settlement (拦截)."""
    state = loaded(uow.session)
    rules = dm.rules_in_force(dm.LIBRARY, state.settings, admdvs=admdvs, day=day)
    return any(r.blocking and "in" in r.scenarios for r in rules)


def check_settlement_visit(
    *,
    uow: UnitOfWork,
    visit: Any,
    lines: Sequence[Any],
    gend: str | None,
    birth_date: date | None,
    hosp_lv: str | None,
    caps: Mapping[str, Decimal | None] | None = None,
) -> VisitCheck:
    """The in-visit check for pre-settlement: `visit` is a settlement Visit, `lines` its FeeLine rows
    (unsettled, with hilist_code mapped), `caps` the price cap per feedetl_sn in fen per unit if known."""
    caps = caps or {}
    items = tuple(
        dm.LineInput(
            sn=line.feedetl_sn,
            code=line.hilist_code or "",
            time=line.fee_ocur_time,
            quantity=Decimal(line.cnt),
            price_fen=Decimal(line.pric),
            amount_fen=int(line.amount),
            hosp_code=line.medins_list_codg,
            name=line.medins_list_name or "",
            cap_fen=caps.get(line.feedetl_sn),
            dr_code=visit.dr_code,
            dept=visit.dept_code,
        )
        for line in lines
        if line.refund_of is None
    )
    day = local_day(visit.begntime)
    facts = dm.VisitInput(
        mdtrt_id=visit.mdtrt_id,
        psn_no=visit.psn_no,
        gend=gend,
        age=dm.age_on(birth_date, day),
        insutype=visit.insutype,
        fixmedins_code=visit.fixmedins_code,
        hosp_tier=dm.tier_of(hosp_lv),
        med_type=visit.med_type,
        begntime=visit.begntime,
        endtime=visit.endtime,
        diagnoses=tuple(filter(None, (visit.diagnoses or "").split("|"))),
        lines=items,
        dr_code=visit.dr_code,
    )
    return check_visit(uow=uow, visit=facts, admdvs=visit.insu_admdvs, scenario="in")


# ---------------------------------------------------------------- batch runs (事后)


def _run_no(kind: str) -> str:
    return f"{'W' if kind == 'whatif' else 'R'}{utcnow():%Y%m%d%H%M%S}{secrets.token_hex(3).upper()}"


def _choose(
    rules: list[dm.RuleDef], rule_ids: Sequence[str] | None, overrides: Mapping[str, Mapping[str, Any]] | None
) -> list[dm.RuleDef]:
    """Apply a run's own choice: only `rule_ids`, and per-rule {enabled, params} changes (what-if)."""
    if rule_ids:
        for rule_id in rule_ids:
            _rule(rule_id)
        rules = [r for r in rules if r.rule_id in set(rule_ids)]
    for rule_id, change in (overrides or {}).items():
        base = _rule(rule_id)
        rules = [r for r in rules if r.rule_id != rule_id]
        if change.get("enabled", True):
            rules.append(base.with_params(dm.check_params(base, change.get("params", {}))))
    return sorted(rules, key=lambda r: r.rule_id)


def run_batch(
    *,
    uow: UnitOfWork,
    data_dir: Path,
    out_dir: Path,
    day: date,
    engine: str = "duckdb",
    admdvs: str | None = None,
    rule_ids: Sequence[str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    kind: str = "run",
    reference_dir: Path | None = None,
    spark: Any = None,
    csv_too: bool = False,
) -> RunRow:
    """Run the library on a WAREHOUSE data set and write findings.parquet (with quarantine.parquet,
    outlier_scores.parquet, run.json) into `out_dir`, each file written then renamed; record the run."""
    uow.actor.require(Perm.MONITOR_WRITE)
    if engine not in ENGINES:
        raise invalid("ENGINE", "engine", f"字段 engine 应为 {'/'.join(ENGINES)}")
    if admdvs is not None:
        uow.actor.require_region(admdvs)
    data = batch.open_data_set(data_dir)
    repo = MonitoringRepository(uow.session)
    rules = _choose(
        dm.rules_in_force(dm.LIBRARY, _settings(repo, admdvs), admdvs=admdvs, day=day), rule_ids, overrides
    )
    state = loaded(uow.session)
    knowledge, version = state.knowledge, state.version
    if version is None and reference_dir is not None:
        from yibao.monitoring.knowledge import reference_knowledge

        knowledge = reference_knowledge(reference_dir)
        version = knowledge.version
    uow.rollback()  # no transaction stays open during the run
    started = utcnow()
    runner: batch.Runner = batch.DuckRunner() if engine == "duckdb" else batch.SparkRunner(spark)
    result = runner.run(data, rules, knowledge)
    summary = batch.summarize(result, rules) | {"engine": engine, "knowledge_version": version}
    batch.write_outputs(result, out_dir, summary, csv_too=csv_too)
    row = RunRow(
        run_no=_run_no(kind),
        kind=kind,
        engine=engine,
        admdvs=admdvs,
        data_dir=str(data_dir.resolve())[:500],
        out_dir=str(out_dir.resolve())[:500],
        status="done",
        findings=result.findings.num_rows,
        vola_fen=int(summary["vola_fen"]),
        knowledge_version=version or "-",
        rules=json.dumps(
            [{"rule_id": r.rule_id, "params": dict(r.params)} for r in rules], ensure_ascii=False
        ),
        summary=json.dumps(summary, ensure_ascii=False, default=str),
        error=None,
        started_at=started,
        finished_at=utcnow(),
        created_by=uow.actor.username,
    )
    uow.session.add(row)
    uow.flush()
    uow.audit(
        action=f"monitoring.{kind}",
        entity="mon_run",
        entity_id=row.run_no,
        admdvs=admdvs,
        after={"findings": row.findings, "vola_fen": row.vola_fen, "engine": engine, "out": row.out_dir},
    )
    uow.commit()
    return row


def list_runs(*, uow: UnitOfWork, page: int = 1, size: int = 20) -> Page[RunRow]:
    """Run history (运行记录), newest first."""
    uow.actor.require(Perm.MONITOR_READ)
    check_paging(page, size)
    return MonitoringRepository(uow.session).runs(uow.actor.region_filter(), page=page, size=size)


def get_run(*, uow: UnitOfWork, run_no: str) -> RunRow:
    """One run (not found outside the actor's regions)."""
    uow.actor.require(Perm.MONITOR_READ)
    row = MonitoringRepository(uow.session).run(run_no)
    if row is None or not uow.actor.sees_region(row.admdvs):
        raise not_found("RUN_NOT_FOUND", f"运行 {run_no} 不存在", "run_no")
    return row


FINDING_FILTERS = ("rule_family", "rule_id", "fixmedins_code", "mdtrt_id", "psn_no", "sev_deg")


def _findings_file(row: RunRow) -> Path:
    path = Path(row.out_dir) / "findings.parquet"
    if not path.exists():
        raise not_found("FINDINGS_MISSING", f"运行 {row.run_no} 的结果文件 {path} 已不存在", "run_no")
    return path


def run_findings(
    *,
    uow: UnitOfWork,
    run_no: str,
    filters: Mapping[str, str | None] | None = None,
    page: int = 1,
    size: int = 50,
) -> Page[dict[str, Any]]:
    """A page of a run's findings, largest amount first, filtered by family, rule, institution, visit,
    person or severity."""
    check_paging(page, size)
    row = get_run(uow=uow, run_no=run_no)
    import duckdb

    where, args = ["TRUE"], []
    for name, value in (filters or {}).items():
        if name not in FINDING_FILTERS:
            raise invalid("FILTER", name, f"不能按 {name} 筛选（可用：{'、'.join(FINDING_FILTERS)}）")
        if value:
            where.append(f"CAST({name} AS VARCHAR) = ?")
            args.append(str(value))
    con = duckdb.connect()
    try:
        source = f"read_parquet('{_findings_file(row)}')"
        total = con.execute(f"SELECT COUNT(*) FROM {source} WHERE {' AND '.join(where)}", args).fetchone()
        cursor = con.execute(
            f"SELECT * FROM {source} WHERE {' AND '.join(where)} ORDER BY vola_amt DESC, finding_id "
            f"LIMIT {size} OFFSET {(page - 1) * size}",
            args,
        )
        names = [d[0] for d in cursor.description]
        items = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    finally:
        con.close()
    return Page(items=items, total=int(total[0]) if total else 0, page=page, size=size)


def finding_detail(
    *, uow: UnitOfWork, run_no: str, finding_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One finding and the fee lines it names (the line, or every line of the visit) — the drill-down."""
    row = get_run(uow=uow, run_no=run_no)
    import duckdb

    con = duckdb.connect()
    try:
        cursor = con.execute(
            f"SELECT * FROM read_parquet('{_findings_file(row)}') WHERE finding_id = ?", [finding_id]
        )
        names = [d[0] for d in cursor.description]
        found = cursor.fetchone()
        if found is None:
            raise not_found("FINDING_NOT_FOUND", f"运行 {run_no} 没有疑点 {finding_id}", "finding_id")
        finding = dict(zip(names, found, strict=True))
        lines: list[dict[str, Any]] = []
        data = batch.open_data_set(Path(row.data_dir)) if Path(row.data_dir).is_dir() else None
        if data is not None and (finding["bkkp_sn"] or finding["mdtrt_id"]):
            path, fmt = data.files["fee_list_d"]
            source = (
                f"read_parquet('{path}')" if fmt == "parquet" else f"read_csv('{path}', all_varchar = true)"
            )
            column, value = (
                ("bkkp_sn", finding["bkkp_sn"]) if finding["bkkp_sn"] else ("mdtrt_id", finding["mdtrt_id"])
            )
            cursor = con.execute(
                f"SELECT bkkp_sn, mdtrt_id, fee_ocur_time, med_list_codg, medins_list_codg, hilist_name, "
                f"cnt, pric, det_item_fee_sumamt, bilg_dr_code FROM {source} "
                f"WHERE CAST({column} AS VARCHAR) = ? "
                f"ORDER BY fee_ocur_time LIMIT 500",
                [value],
            )
            names = [d[0] for d in cursor.description]
            lines = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    finally:
        con.close()
    return finding, lines


@dataclass(frozen=True)
class WhatIf:
    """A changed rule set on past data: findings and amounts per rule before and after."""

    baseline: RunRow
    changed: RunRow
    rows: list[dict[str, Any]]


def what_if(
    *,
    uow: UnitOfWork,
    run_no: str,
    overrides: Mapping[str, Mapping[str, Any]],
    out_dir: Path,
    reference_dir: Path | None = None,
) -> WhatIf:
    """Run the baseline's data again with some rules switched or re-parametrised (假设分析) and compare."""
    baseline = get_run(uow=uow, run_no=run_no)
    if not overrides:
        raise invalid("WHATIF_EMPTY", "overrides", "字段 overrides：至少改变一条规则")
    rule_ids = [r["rule_id"] for r in json.loads(baseline.rules)]
    keep = [r for r in rule_ids if r not in overrides]
    changed = run_batch(
        uow=uow,
        data_dir=Path(baseline.data_dir),
        out_dir=out_dir,
        day=local_day(baseline.started_at),
        engine="duckdb",
        admdvs=baseline.admdvs,
        rule_ids=keep or None,
        overrides=overrides,
        kind="whatif",
        reference_dir=reference_dir,
    )
    return WhatIf(baseline, changed, compare_runs(baseline, changed))


def compare_runs(before: RunRow, after: RunRow) -> list[dict[str, Any]]:
    """Per rule: findings and amount (fen) before and after."""
    a = json.loads(before.summary)["per_rule"]
    b = json.loads(after.summary)["per_rule"]
    rows = []
    for rule_id in sorted(set(a) | set(b)):
        x, y = a.get(rule_id, {"findings": 0, "vola_fen": 0}), b.get(rule_id, {"findings": 0, "vola_fen": 0})
        rule = dm.library_by_id().get(rule_id)
        rows.append(
            {
                "rule_id": rule_id,
                "rule_name": rule.name if rule else rule_id,
                "before": x["findings"],
                "after": y["findings"],
                "before_fen": x["vola_fen"],
                "after_fen": y["vola_fen"],
            }
        )
    return rows


# ---------------------------------------------------------------- cases (疑点)


def _periods(row: RunRow) -> dict[str, str]:
    """The month of each finding: its visit's begin, else a yyyy-MM at the start of its evidence, else
    the data set's last month."""
    import duckdb

    con = duckdb.connect()
    try:
        data = batch.open_data_set(Path(row.data_dir))
        path, fmt = data.files["mdtrt_d"]
        source = f"read_parquet('{path}')" if fmt == "parquet" else f"read_csv('{path}', all_varchar = true)"
        con.execute(
            f"CREATE TABLE v AS SELECT CAST(mdtrt_id AS VARCHAR) AS mdtrt_id, "
            f"strftime(TRY_CAST(begntime AS TIMESTAMP), '%Y-%m') AS ym FROM {source}"
        )
        last = (con.execute("SELECT MAX(ym) FROM v").fetchone() or [None])[0] or "0000-00"
        found = con.execute(
            f"SELECT f.finding_id, COALESCE(v.ym, "
            f"CASE WHEN regexp_matches(f.evidence, '^[0-9]{{4}}-[0-9]{{2}}') THEN LEFT(f.evidence, 7) END, "
            f"'{last}') FROM read_parquet('{_findings_file(row)}') f "
            f"LEFT JOIN v ON v.mdtrt_id = f.mdtrt_id"
        ).fetchall()
    finally:
        con.close()
    return {finding_id: ym for finding_id, ym in found}


def open_cases(*, uow: UnitOfWork, run_no: str, min_sev: int = 1) -> list[CaseRow]:
    """Group a run's findings of at least `min_sev` into cases by institution and month (one case per
    institution and period and run); findings already in a case of this run are not cased twice."""
    uow.actor.require(Perm.MONITOR_WRITE)
    row = get_run(uow=uow, run_no=run_no)
    import pyarrow.parquet as pq

    findings = pq.read_table(_findings_file(row)).to_pylist()
    periods = _periods(row)
    repo = MonitoringRepository(uow.session)
    done = repo.cased_keys(row.id)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in findings:
        if f["fixmedins_code"] and int(f["sev_deg"]) >= min_sev:
            key = (f["fixmedins_code"], periods.get(f["finding_id"], "0000-00"))
            if key not in done:
                groups.setdefault(key, []).append(f)
    now = utcnow()
    created = []
    for n, ((code, period), items) in enumerate(sorted(groups.items()), start=1):
        fens = [int(Decimal(f["vola_amt"]) * 100) for f in items]
        case = CaseRow(
            case_no=f"C{row.run_no[1:]}{n:04d}",
            run_id=row.id,
            admdvs=row.admdvs,
            fixmedins_code=code,
            period=period,
            status=dm.CaseStatus.OPEN.value,
            findings=len(items),
            vola_fen=sum(fens),
            recover_fen=None,
            assignee=None,
            decision_note=None,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(case)
        uow.flush()
        uow.session.add_all(
            CaseFinding(
                case_id=case.id,
                finding_id=f["finding_id"],
                rule_id=f["rule_id"],
                rule_name=f["rule_name"],
                rule_family=f["rule_family"],
                scope=f["scope"],
                bkkp_sn=f["bkkp_sn"],
                mdtrt_id=f["mdtrt_id"],
                psn_no=f["psn_no"],
                dr_code=f["dr_code"],
                vola_fen=fen,
                sev_deg=int(f["sev_deg"]),
                evidence=f["evidence"],
            )
            for f, fen in zip(items, fens, strict=True)
        )
        uow.session.add(CaseNote(case_id=case.id, at=now, by=uow.actor.username, action="open", note=None))
        created.append(case)
    uow.audit(
        action="monitoring.case.open",
        entity="mon_run",
        entity_id=row.run_no,
        admdvs=row.admdvs,
        after={"cases": [c.case_no for c in created]},
    )
    uow.commit()
    return created


def list_cases(
    *,
    uow: UnitOfWork,
    status: str | None = None,
    fixmedins_code: str | None = None,
    run_no: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[CaseRow]:
    """Cases, largest amount first."""
    uow.actor.require(Perm.MONITOR_READ)
    check_paging(page, size)
    if status:
        choice(dm.CaseStatus, status, code="CASE_STATUS", field="status", label="疑点状态")
    run_id = get_run(uow=uow, run_no=run_no).id if run_no else None
    return MonitoringRepository(uow.session).cases(
        uow.actor.region_filter(),
        status=status,
        fixmedins_code=fixmedins_code,
        run_id=run_id,
        page=page,
        size=size,
    )


@dataclass(frozen=True)
class CaseView:
    case: CaseRow
    run_no: str
    findings: list[CaseFinding]
    notes: list[CaseNote]


def _case(uow: UnitOfWork, case_no: str, *, lock: bool = False) -> CaseRow:
    case = MonitoringRepository(uow.session).case(case_no, lock=lock)
    if case is None or not uow.actor.sees_region(case.admdvs):
        raise not_found("CASE_NOT_FOUND", f"疑点 {case_no} 不存在", "case_no")
    return case


def get_case(*, uow: UnitOfWork, case_no: str) -> CaseView:
    """A case with its findings and timeline."""
    uow.actor.require(Perm.MONITOR_READ)
    case = _case(uow, case_no)
    repo = MonitoringRepository(uow.session)
    run = repo.run_by_id(case.run_id)
    return CaseView(case, run.run_no if run else "", repo.case_findings(case.id), repo.case_notes(case.id))


def act_on_case(
    *,
    uow: UnitOfWork,
    case_no: str,
    action: str,
    assignee: str | None = None,
    note: str | None = None,
    attachment: str | None = None,
    recover_fen: int | None = None,
) -> CaseRow:
    """Assign (分派), verify with a note and attachment (核查), confirm with the amount to recover
    (确认违规, 追回金额) or dismiss with a reason (排除)."""
    uow.actor.require(Perm.MONITOR_WRITE)
    case = _case(uow, case_no, lock=True)
    before = {"status": case.status, "assignee": case.assignee, "recover_fen": case.recover_fen}
    target = dm.case_move(case.status, action)
    if action == "assign":
        if not assignee or not assignee.strip():
            raise invalid("CASE_ASSIGNEE", "assignee", "字段 assignee：分派需要填写核查人")
        case.assignee = assignee.strip()[:64]
    if action in ("verify", "dismiss") and not (note and note.strip()):
        raise invalid("CASE_NOTE", "note", "字段 note：核查与排除需要填写说明")
    if action == "confirm":
        case.recover_fen = dm.check_recovery(
            case.vola_fen if recover_fen is None else recover_fen, case.vola_fen
        )
        case.decision_note = note
    if action == "dismiss":
        case.recover_fen = 0
        case.decision_note = note
    case.status = target.value
    case.updated_at = utcnow()
    uow.session.add(
        CaseNote(
            case_id=case.id,
            at=case.updated_at,
            by=uow.actor.username,
            action=action,
            note=note,
            attachment=(attachment or None) and attachment[:255],
        )
    )
    uow.audit(
        action=f"monitoring.case.{action}",
        entity="mon_case",
        entity_id=case.case_no,
        admdvs=case.admdvs,
        before=before,
        after={"status": case.status, "assignee": case.assignee, "recover_fen": case.recover_fen},
        note=note,
    )
    uow.commit()
    return case


# ---------------------------------------------------------------- quality on labelled data


def evaluate(*, data_dir: Path, findings_dir: Path) -> list[dm.Quality]:
    """Precision and recall per family of findings against the generator's labels.parquet (AUC of the
    outlier score for the statistical family). Keys follow each label's scope."""
    from yibao.monitoring.quality import evaluate_files

    return evaluate_files(data_dir, findings_dir)
