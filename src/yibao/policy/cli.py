"""`yibao policy`: load, list, show and compare benefit policy versions (待遇政策)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, refusals
from yibao.core.validation import parse_date
from yibao.domain.policy_diff import format_value
from yibao.policy import service
from yibao.policy.terms import describe

NAME = "policy"
app = typer.Typer(help="待遇政策配置 Benefit policy versions", no_args_is_help=True)


@app.command("load")
def load(
    files: list[Path] = typer.Argument(
        ..., help="TOML 政策文件 Policy files (.toml)", exists=True, dir_okay=False
    ),
) -> None:
    """载入政策文件（相同内容重复载入不改动）。Load policy files (the same file again changes nothing)."""
    container = bootstrap()
    for path in files:
        with refusals(), container.uow() as uow:
            result = service.load_policy_file(uow=uow, data=path.read_bytes(), filename=path.name)
        row = result.policy
        if result.status == service.UNCHANGED:
            console.print(
                f"[yellow]内容相同，未改动[/yellow] {path.name}："
                f"{row.admdvs} {row.insutype} 版本 {row.version}"
            )
        else:
            console.print(
                f"[green]已载入[/green] {path.name}：{row.admdvs} {row.insutype} 版本 {row.version}"
                f"（{row.begin}—{row.end or '长期'}），编号 {row.id}"
            )
        for closed in result.closed:
            console.print(f"  关闭 {closed.version}：截止 {closed.end}")


@app.command("list")
def list_(
    admdvs: str = typer.Option(None, help="统筹区编码 Region code"),
    insutype: str = typer.Option(None, help="险种类型 Scheme (310/390…)"),
    on: str = typer.Option(None, help="在该日生效 In force on (yyyy-MM-dd)"),
) -> None:
    """列出政策版本。List policy versions."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        day = parse_date(on, field="on", required=False)
        page = service.list_policies(uow=uow, admdvs=admdvs, insutype=insutype, on=day, page=1, size=500)
    table = Table("编号", "统筹区", "险种", "版本", "名称", "生效", "失效")
    for r in page.items:
        table.add_row(str(r.id), r.admdvs, r.insutype, r.version, r.name, str(r.begin), str(r.end or ""))
    console.print(table)


@app.command("show")
def show(
    policy_id: int = typer.Argument(..., help="政策版本编号 Version id"),
    source: bool = typer.Option(False, "--source", help="显示载入的 TOML 原文 Print the TOML as loaded"),
) -> None:
    """显示一个政策版本（文档，金额为元）。Show a policy version (document, amounts in yuan)."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        row = service.get_policy(uow=uow, policy_id=policy_id)
        document = service.document_of(row)
    console.print(
        f"{row.name}  {row.admdvs} {row.insutype} 版本 {row.version}（{row.begin}—{row.end or '长期'}）"
    )
    if source:
        console.print(row.source, markup=False, highlight=False)
    else:
        console.print_json(json.dumps(document, ensure_ascii=False))


@app.command("diff")
def diff(
    policy_id: int = typer.Argument(..., help="原版本编号 Old version id"),
    other_id: int = typer.Argument(..., help="新版本编号 New version id"),
) -> None:
    """对比两个政策版本。List the keys that differ between two versions."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        changes = service.diff_policies(uow=uow, policy_id=policy_id, other_id=other_id)
    table = Table("键 Key", "含义 Term", "原值 Old", "新值 New")
    for c in changes:
        table.add_row(c.path, describe(c.path), format_value(c.unit, c.old), format_value(c.unit, c.new))
    console.print(table)
    console.print(f"共 {len(changes)} 处不同")


@app.command("schema")
def schema(
    out: Path = typer.Option(None, "--out", help="写入文件 Write to this file (default: print)"),
) -> None:
    """导出政策文件的 JSON Schema。Export the JSON Schema of policy files."""
    text = json.dumps(service.json_schema(), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        console.print(text, markup=False, highlight=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"[green]已写入[/green] {out}")
