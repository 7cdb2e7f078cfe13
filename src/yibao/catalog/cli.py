"""`yibao catalog`: import, export and look up the catalogs (三目录与医用耗材) and code mappings (对码)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.catalog import service
from yibao.core.cli_support import console, err_console, refusals
from yibao.core.validation import parse_date
from yibao.domain import catalog as rules
from yibao.domain.money import fen_to_yuan

NAME = "catalog"
app = typer.Typer(help="医保目录与对码 Catalogs and code mapping", no_args_is_help=True)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV 或 Excel 文件 CSV or .xlsx file"),
    list_type: str = typer.Option(
        ...,
        "--list-type",
        help="目录类型 drug/service/consumable/facility 或目录类别代码 Kind or list_type code",
    ),
) -> None:
    """导入目录（全部成功或全部不导入）。Import catalog rows, all or nothing."""
    container = bootstrap()
    data = file.read_bytes()
    with refusals(), Progress(console=console, transient=True) as progress, container.uow() as uow:
        task = progress.add_task("校验 Checking", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = service.import_items(
            uow=uow, list_type=list_type, filename=file.name, data=data, progress=advance
        )
    kind = rules.KINDS[result.kind]
    console.print(f"[green]已导入[/green] {result.created} 个版本（{kind}），关闭旧版本 {result.closed} 个")


@app.command("export")
def export(
    out: Path = typer.Argument(..., dir_okay=False, help="输出文件 Output .xlsx file"),
    kind: str = typer.Option(None, help="目录类型 drug/service/consumable/facility Kind"),
    on: str = typer.Option(None, help="只导出该日有效的版本 Only versions in force on (yyyy-MM-dd)"),
) -> None:
    """导出目录到 Excel。Export catalog versions to Excel."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        data = service.export_items(uow=uow, kind=kind, on=parse_date(on, field="on", required=False))
    out.write_bytes(data)
    console.print(f"[green]已导出[/green] {out}")


@app.command("show")
def show(code: str = typer.Argument(..., help="国家编码 National code")) -> None:
    """显示一个编码的全部版本。Show every version of a national code."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        versions = service.get_versions(uow=uow, code=code)
    table = Table("开始", "结束", "等级", "先行自付", "限价(元)", "限定支付")
    for v in versions:
        caps = [f"{rules.TIERS[t]}{fen_to_yuan(c)}" for t, c in v.tier_caps.items() if c is not None]
        if v.price_cap is not None:
            caps.insert(0, fen_to_yuan(v.price_cap))
        table.add_row(
            str(v.begin),
            str(v.end or "长期"),
            rules.CLASSES.get(v.chrgitm_lv, v.chrgitm_lv),
            rules.format_ratio(v.selfpay_bp),
            " / ".join(caps),
            "；".join(rules.describe_restrictions(v.restrictions)),
        )
    last = versions[-1]
    console.print(f"{last.code} {rules.KINDS.get(last.kind, last.kind)} {last.name}")
    console.print(table)


@app.command("mappings")
def mappings(
    status: str = typer.Option(None, help="状态 submitted/approved/rejected/revoked Status"),
    institution: str = typer.Option(None, help="定点机构编码 Institution code"),
) -> None:
    """列出对码记录。List hospital code mappings."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        page = service.list_mappings(uow=uow, status=status, fixmedins_code=institution, page=1, size=500)
    table = Table("编号", "机构", "本院编码", "本院名称", "国家编码", "有效期", "状态")
    for m in page.items:
        table.add_row(
            str(m.id),
            m.fixmedins_code,
            m.medins_list_codg,
            m.medins_list_name,
            m.hilist_code,
            f"{m.begin}—{m.end or '长期'}",
            rules.MAPPING_STATES.get(m.status, m.status),
        )
    console.print(table)
    if page.total > len(page.items):
        err_console.print(f"仅显示前 {len(page.items)} 条，共 {page.total} 条")
