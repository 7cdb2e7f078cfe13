"""`yibao monitor`: the rule library, knowledge, batch and what-if runs, quality on labels, cases (疑点)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer
from rich.progress import MofNCompleteColumn, Progress
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, refusals
from yibao.core.clock import LOCAL_TZ
from yibao.core.validation import parse_date, require_date
from yibao.domain.errors import invalid
from yibao.domain.money import fen_to_yuan
from yibao.monitoring import service
from yibao.monitoring.export import export_dataset

NAME = "monitor"
app = typer.Typer(help="智能监控 Intelligent monitoring: rules, runs, findings, cases", no_args_is_help=True)
rules_app = typer.Typer(help="规则库 The rule library and its knowledge", no_args_is_help=True)
cases_app = typer.Typer(help="疑点 Suspicious cases", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(cases_app, name="cases")


def _day(text: str | None) -> date:
    return parse_date(text, field="day", required=False) or datetime.now(LOCAL_TZ).date()


def _value(text: str) -> Any:
    if text.isdigit():
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    if "," in text:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def parse_params(pairs: list[str] | None) -> dict[str, Any]:
    """`name=value` pairs (integers, true/false, comma lists, text) as a parameter mapping."""
    params: dict[str, Any] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise invalid("PARAM_FORMAT", "param", f"参数 {pair!r} 应写作 名称=值")
        params[name.strip()] = _value(value.strip())
    return params


@rules_app.command("list")
def rules_list(
    admdvs: str = typer.Option(None, help="统筹区 Region (its settings applied)"),
    day: str = typer.Option(None, help="日期 Day (default today)"),
) -> None:
    """列出规则库。List the rule library with each rule's state in the region."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        views = service.library(uow=uow, admdvs=admdvs, day=_day(day))
    table = Table()
    table.add_column("编码 Code", no_wrap=True)
    for title in (
        "名称 Name",
        "分类",
        "类别 Family",
        "范围",
        "严重",
        "场景",
        "启用",
        "参数 Params",
    ):
        table.add_column(title)
    for v in views:
        r = v.rule
        table.add_row(
            r.rule_id, r.name, r.rule_class, r.family, r.scope, str(r.severity),
            "/".join(sorted(r.scenarios)), "是" if v.enabled else "否",
            json.dumps(v.params, ensure_ascii=False)[:60],
        )  # fmt: skip
    console.print(table)


@rules_app.command("set")
def rules_set(
    rule_id: str = typer.Argument(..., help="规则编码 Rule id"),
    admdvs: str = typer.Option(..., help="统筹区 Region"),
    enable: bool = typer.Option(True, "--enable/--disable", help="启用或停用 On or off"),
    param: list[str] = typer.Option(None, help="参数 name=value (repeat)"),
    begin: str = typer.Option(..., help="生效日期 First day"),
    end: str = typer.Option(None, help="失效日期 Last day"),
    note: str = typer.Option(None, help="说明 Note"),
) -> None:
    """设置统筹区规则（启用/停用、参数，按有效期版本化）。Set a rule for a region from a day."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        row = service.set_rule(
            uow=uow,
            admdvs=admdvs,
            rule_id=rule_id,
            enabled=enable,
            params=parse_params(param),
            begin=require_date(begin, field="begin"),
            end=parse_date(end, field="end", required=False),
            note=note,
        )
    state = "启用" if row.enabled else "停用"
    console.print(f"[green]已设置[/green] {row.rule_id} 统筹区 {row.admdvs} 自 {row.begin} {state}")


@rules_app.command("load-knowledge")
def rules_load_knowledge(
    folder: Path = typer.Option(
        None, "--dir", help="知识点批次目录 (default reference/monitoring/knowledge)"
    ),
    icd_dir: Path = typer.Option(None, help="ICD 目录（灰码） (default reference/icd)"),
) -> None:
    """加载知识库第一至八批（版本化）。Load knowledge batches 1–8 as a new active version."""
    container = bootstrap()
    reference = container.settings.reference_dir
    with refusals(), container.uow() as uow:
        version = service.load_knowledge(
            uow=uow,
            folder=folder or reference / "monitoring" / "knowledge",
            icd_dir=icd_dir or reference / "icd",
        )
    console.print(f"[green]知识库版本[/green] {version.version} 已启用：{version.counts}")


@rules_app.command("knowledge")
def rules_knowledge() -> None:
    """列出知识库版本。List knowledge versions."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        versions = service.knowledge_versions(uow=uow)
    for v in versions:
        console.print(f"{'*' if v.active else ' '} {v.version} {v.loaded_at:%Y-%m-%d %H:%M} {v.counts}")


@app.command("run")
def run(
    data: Path = typer.Option(..., help="数据集目录（WAREHOUSE 布局） Data set folder"),
    out: Path = typer.Option(..., help="输出目录 Output folder (findings.parquet …)"),
    engine: str = typer.Option("duckdb", help="duckdb | spark"),
    admdvs: str = typer.Option(None, help="统筹区（应用其规则设置） Region whose settings apply"),
    day: str = typer.Option(None, help="规则生效日 Day the settings are taken on"),
    rule: list[str] = typer.Option(None, help="只运行这些规则 Only these rule ids (repeat)"),
    csv: bool = typer.Option(False, "--csv", help="同时写 findings.csv"),
) -> None:
    """批量监控：读数据集，写 findings.parquet。Run the library on a data set."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        row = service.run_batch(
            uow=uow,
            data_dir=data,
            out_dir=out,
            day=_day(day),
            engine=engine,
            admdvs=admdvs,
            rule_ids=rule or None,
            reference_dir=container.settings.reference_dir,
            csv_too=csv,
        )
    summary = json.loads(row.summary)
    console.print(
        f"[green]运行 {row.run_no} 完成[/green]：疑点 {row.findings} 条，"
        f"涉及 {fen_to_yuan(row.vola_fen)} 元；隔离行 {sum(summary['quarantine'].values())}；"
        f"用时 {summary['seconds']} → {out / 'findings.parquet'}"
    )


@app.command("export")
def export(
    admdvs: str = typer.Option(..., help="统筹区 Pooling region"),
    begin: str = typer.Option(..., help="起始日（就诊结束日） First day, yyyy-MM-dd"),
    end: str = typer.Option(..., help="截止日 Last day, yyyy-MM-dd"),
    out: Path = typer.Option(..., help="输出目录（不存在或为空） Output folder, new or empty"),
) -> None:
    """从业务库导出 WAREHOUSE 数据集。Export settled data for `monitor run`."""
    with refusals():
        first, last = require_date(begin, field="begin"), require_date(end, field="end")
    container = bootstrap()
    with (
        refusals(),
        Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=console) as bar,
        container.uow() as uow,
    ):
        task = bar.add_task("导出结算 Settlements", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = export_dataset(uow=uow, admdvs=admdvs, begin=first, end=last, out=out, progress=advance)
    rows = "，".join(f"{name} {count}" for name, count in result.rows.items())
    console.print(f"[green]导出完成[/green] → {out}：{rows}")


@app.command("evaluate")
def evaluate(
    data: Path = typer.Option(..., help="带 labels.parquet 的数据集目录"),
    findings: Path = typer.Option(..., help="含 findings.parquet 的目录"),
) -> None:
    """按类别计算查准率、查全率（统计类 AUC）。Precision/recall per family against the labels."""
    with refusals():
        rows = service.evaluate(data_dir=data, findings_dir=findings)
    table = Table()
    for title in (
        "类别 Family",
        "标注 Labelled",
        "发现 Found",
        "命中 TP",
        "查准 Precision",
        "查全 Recall",
        "AUC",
    ):
        table.add_column(title)
    for q in rows:
        table.add_row(
            q.family, str(q.labelled), str(q.found), str(q.true_positive),
            "-" if q.precision is None else f"{q.precision:.3f}",
            "-" if q.recall is None else f"{q.recall:.3f}",
            "-" if q.auc is None else f"{q.auc:.3f}",
        )  # fmt: skip
    console.print(table)


@app.command("whatif")
def whatif(
    run_no: str = typer.Argument(..., help="基准运行号 Baseline run"),
    out: Path = typer.Option(..., help="输出目录 Output folder"),
    disable: list[str] = typer.Option(None, help="停用规则 Rule ids to switch off"),
    param: list[str] = typer.Option(None, help="规则参数 RULE_ID.name=value (repeat)"),
) -> None:
    """假设分析：改规则后重跑历史数据，对比前后。What-if on past data."""
    overrides: dict[str, dict[str, Any]] = {r: {"enabled": False} for r in disable or []}
    for pair in param or []:
        rule_id, _, rest = pair.partition(".")
        overrides.setdefault(rule_id, {"enabled": True, "params": {}}).setdefault("params", {}).update(
            parse_params([rest])
        )
    container = bootstrap()
    with refusals(), container.uow() as uow:
        result = service.what_if(
            uow=uow,
            run_no=run_no,
            overrides=overrides,
            out_dir=out,
            reference_dir=container.settings.reference_dir,
        )
    table = Table(title=f"{result.baseline.run_no} → {result.changed.run_no}")
    for title in ("规则", "名称", "前 Before", "后 After", "前金额", "后金额"):
        table.add_column(title)
    for r in result.rows:
        table.add_row(
            r["rule_id"], r["rule_name"], str(r["before"]), str(r["after"]),
            fen_to_yuan(r["before_fen"]), fen_to_yuan(r["after_fen"]),
        )  # fmt: skip
    console.print(table)


@cases_app.command("open")
def cases_open(
    run_no: str = typer.Argument(..., help="运行号 Run"),
    min_sev: int = typer.Option(1, help="最低严重程度 1/2/3"),
) -> None:
    """按机构和月份把疑点归集为案件。Group a run's findings into cases."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        created = service.open_cases(uow=uow, run_no=run_no, min_sev=min_sev)
    console.print(f"[green]新建疑点案件[/green] {len(created)} 件")


@cases_app.command("list")
def cases_list(status: str = typer.Option(None), fixmedins_code: str = typer.Option(None)) -> None:
    """列出疑点案件。List cases."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        page = service.list_cases(uow=uow, status=status, fixmedins_code=fixmedins_code, size=500)
    table = Table()
    for title in ("案件 Case", "机构", "月份", "状态", "疑点数", "涉及金额", "追回", "核查人"):
        table.add_column(title)
    for c in page.items:
        table.add_row(
            c.case_no, c.fixmedins_code, c.period, c.status, str(c.findings), fen_to_yuan(c.vola_fen),
            "-" if c.recover_fen is None else fen_to_yuan(c.recover_fen), c.assignee or "",
        )  # fmt: skip
    console.print(table)


@cases_app.command("act")
def cases_act(
    case_no: str = typer.Argument(...),
    action: str = typer.Argument(..., help="assign / verify / confirm / dismiss"),
    assignee: str = typer.Option(None),
    note: str = typer.Option(None),
    recover_amt: str = typer.Option(None, help="追回金额（元） Amount to recover, yuan"),
) -> None:
    """办理疑点：分派、核查、确认、排除。Work on a case."""
    from yibao.domain.money import yuan_to_fen

    container = bootstrap()
    with refusals(), container.uow() as uow:
        case = service.act_on_case(
            uow=uow,
            case_no=case_no,
            action=action,
            assignee=assignee,
            note=note,
            recover_fen=None if recover_amt is None else yuan_to_fen(recover_amt, field="recover_amt"),
        )
    console.print(f"[green]{case.case_no}[/green] → {case.status}")
