"""`yibao regions`: register and list pooling regions (统筹区)."""

from __future__ import annotations

import typer
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, refusals
from yibao.core.validation import parse_date, require_date
from yibao.regions import service

NAME = "regions"
app = typer.Typer(help="统筹区管理 Pooling regions", no_args_is_help=True)


@app.command("add")
def add(
    admdvs: str = typer.Argument(..., help="6位统筹区编码 6-digit region code"),
    name: str = typer.Argument(..., help="名称 Name"),
    level: str = typer.Option("county", help="统筹层次 county/city/province"),
    parent: str = typer.Option(None, help="上级统筹区编码 Parent region code"),
    begin: str = typer.Option("2020-01-01", help="启用日期 First day (yyyy-MM-dd)"),
    end: str = typer.Option(None, help="停用日期 Last day (yyyy-MM-dd)"),
) -> None:
    """新增统筹区。Register a pooling region."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        region = service.create_region(
            uow=uow,
            admdvs=admdvs,
            name=name,
            level=level,
            parent_admdvs=parent,
            begin=require_date(begin, field="begin"),
            end=parse_date(end, field="end", required=False),
        )
    console.print(f"[green]已新增统筹区[/green] {region.admdvs} {region.name}")


@app.command("list")
def list_(q: str = typer.Option(None, help="按编码或名称查询 Search")) -> None:
    """列出统筹区。List pooling regions."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        page = service.list_regions(uow=uow, q=q, page=1, size=500)
    table = Table("编码", "名称", "层次", "启用", "停用")
    for r in page.items:
        table.add_row(r.admdvs, r.name, r.level, str(r.begin), str(r.end or ""))
    console.print(table)
