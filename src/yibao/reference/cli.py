"""`yibao reference`: load the national reference data (参考数据) and look codes up."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, refusals
from yibao.core.security import SYSTEM
from yibao.core.validation import require_date
from yibao.domain.errors import invalid
from yibao.reference import lookup, service

NAME = "reference"
app = typer.Typer(help="参考数据（字典、ICD 医保版、对照表）National reference data", no_args_is_help=True)


@app.command("load")
def load(
    dir: Path = typer.Option(None, "--dir", help="参考数据目录（默认 YIBAO_REFERENCE_DIR）Reference folder"),
    begin: str = typer.Option("2024-01-01", help="新版本启用日期 First day of the new version (yyyy-MM-dd)"),
    only: str = typer.Option(None, help="只加载一类 Load only: dict/icd10/icd9/crosswalk"),
    version: str = typer.Option(None, help="新版本号（须同时给 --only）Version name (needs --only)"),
) -> None:
    """加载参考数据；已加载的版本跳过，新版本关闭旧版本。Load reference data, idempotently and versioned."""
    container = bootstrap()
    reference_dir = dir or container.settings.reference_dir
    with refusals():
        first_day = require_date(begin, field="begin")
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(kind: str, done: int, total: int) -> None:
                if kind not in tasks:
                    tasks[kind] = bar.add_task(service.KINDS.get(kind, kind), total=total)
                bar.update(tasks[kind], completed=done, total=total)

            results = service.load_all(
                new_uow=lambda: container.uow(SYSTEM),
                reference_dir=reference_dir,
                begin=first_day,
                only=only,
                version=version,
                progress=progress,
            )
    table = Table("类别", "版本", "行数", "状态", "跳过的坏行", "重复行")
    for r in results:
        state = "已加载，跳过" if r.skipped else ("新版本，关闭 " + r.closed if r.closed else "已加载")
        table.add_row(r.kind, r.version, str(r.rows), state, str(r.bad_lines), str(r.duplicates))
    console.print(table)
    for r in results:
        for note in r.notes:
            console.print(f"[yellow]{r.kind}[/yellow] {note}")


@app.command("datasets")
def datasets(kind: str = typer.Option(None, help="数据集类别 Kind")) -> None:
    """列出已加载的数据集版本。List loaded data set versions."""
    container = bootstrap()
    with refusals(), container.uow(SYSTEM) as uow:
        page = service.list_datasets(uow=uow, kind=kind, page=1, size=500)
    table = Table("类别", "版本", "来源文件", "行数", "启用", "停用")
    for d in page.items:
        table.add_row(d.kind, d.version, d.source, str(d.rows), str(d.begin), str(d.end or ""))
    console.print(table)


@app.command("icd")
def icd(
    code: str = typer.Argument(..., help="代码 Code, e.g. A00.000"),
    system: str = typer.Option("icd10", help="icd10 诊断 / icd9 手术操作"),
    edition: str = typer.Option(
        None, help="原版本，先按对照表转换 Convert from clinical_2.0/clinical_3.0/yb_1.0"
    ),
) -> None:
    """查询 ICD 医保版代码（灰码不可结算）。Look an ICD code up (gray codes are not settleable)."""
    container = bootstrap()
    with refusals(), container.uow(SYSTEM) as uow:
        codes = lookup.icd_codes(uow.session, system)
        targets = lookup.crosswalk(uow.session, system, edition, code) if edition else [code]
        if not targets:
            raise invalid(
                "ICD_UNMAPPED", "code", f"字段 code 的值 {code!r} 在 {edition} 对照表中没有医保版代码"
            )
        for target in targets:
            found = codes.get(target)
            if found is None:
                codes.require(target, field="code")
                continue
            name, gray = found
            mark = "  [red]灰码 不可结算[/red]" if gray else ""
            console.print(f"{target} {name}{mark}")
