"""`yibao users`: staff accounts from the command line."""

from __future__ import annotations

import typer
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, refusals
from yibao.staff import service

NAME = "users"
app = typer.Typer(help="用户管理 Staff accounts", no_args_is_help=True)


@app.command("add")
def add(
    username: str = typer.Argument(..., help="用户名 Username"),
    display_name: str = typer.Option(..., "--name", help="姓名 Display name"),
    role: list[str] = typer.Option(..., help="角色 admin/clerk/reviewer/supervisor/analyst/institution"),
    region: list[str] = typer.Option([], help="统筹区编码（可多次）Region code (repeatable)"),
    all_regions: bool = typer.Option(False, help="全部统筹区（仅全局管理员）All regions"),
    institution: str = typer.Option(None, help="定点机构编码（机构操作员）Institution code"),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="密码 Password"
    ),
) -> None:
    """新增用户。Create a staff user scoped to regions."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        user = service.create_user(
            uow=uow,
            username=username,
            password=password,
            display_name=display_name,
            roles=role,
            regions=region,
            all_regions=all_regions,
            institution_code=institution,
        )
    console.print(f"[green]已新增用户[/green] {user.username}（{','.join(user.role_list)}）")


@app.command("disable")
def disable(username: str = typer.Argument(..., help="用户名 Username")) -> None:
    """停用用户。Disable a user's sign-in."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        service.set_user_active(uow=uow, username=username, active=False)
    console.print(f"已停用 {username}")


@app.command("list")
def list_(q: str = typer.Option(None, help="按用户名或姓名查询 Search")) -> None:
    """列出用户。List staff users."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        page = service.list_users(uow=uow, q=q, page=1, size=500)
    table = Table("用户名", "姓名", "角色", "统筹区", "状态")
    for u in page.items:
        regions = "全部" if u.all_regions else ",".join(u.region_list)
        table.add_row(
            u.username, u.display_name, ",".join(u.role_list), regions, "启用" if u.active else "停用"
        )
    console.print(table)
