"""`yibao audit`: read the audit trail."""

from __future__ import annotations

import typer
from rich.table import Table

from yibao.audit import service
from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, refusals

NAME = "audit"
app = typer.Typer(help="审计日志 Audit trail", no_args_is_help=True)


@app.command("list")
def list_(
    entity: str = typer.Option(None, help="对象类型 Entity (region, person, …)"),
    entity_id: str = typer.Option(None, help="对象编号 Record id"),
    username: str = typer.Option(None, help="操作人 User"),
    limit: int = typer.Option(50, help="条数 Rows"),
) -> None:
    """列出审计日志（最新在前）。List audit rows, newest first."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        page = service.list_audit(
            uow=uow, entity=entity, entity_id=entity_id, username=username, page=1, size=limit
        )
    table = Table("时间(UTC)", "操作人", "操作", "对象", "统筹区")
    for a in page.items:
        table.add_row(
            a.at.strftime("%Y-%m-%d %H:%M:%S"),
            a.username,
            a.action,
            f"{a.entity} {a.entity_id}",
            a.admdvs or "",
        )
    console.print(table)
