"""`yibao institutions`: designated institutions (定点医药机构) and insurance doctors (医保医师)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, refusals
from yibao.core.validation import parse_date
from yibao.institutions import service

NAME = "institutions"
app = typer.Typer(
    help="定点机构与医保医师 Designated institutions and insurance doctors", no_args_is_help=True
)


@app.command("add")
def add(
    code: str = typer.Argument(..., help="定点机构编码 Institution code, e.g. H43990100001"),
    name: str = typer.Argument(..., help="机构名称 Name"),
    admdvs: str = typer.Option(..., help="统筹区编码 6-digit pooling region code"),
    fixmedins_type: str = typer.Option("1", help="机构类型（字典 fixmedins_type）: 1 医疗机构, 2 零售药店"),
    hosp_lv: str = typer.Option(None, help="医院等级（字典 hosp_lv） Hospital level"),
    address: str = typer.Option(None, help="地址 Address"),
    uscc: str = typer.Option(None, help="统一社会信用代码 Unified social credit code"),
    agreement_begin: str = typer.Option(None, help="协议开始日期（填写即签订） Agreement first day"),
    agreement_end: str = typer.Option(None, help="协议结束日期（默认一年） Agreement last day"),
) -> None:
    """新增定点机构。Register a designated institution."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        view = service.create_institution(
            uow=uow,
            fixmedins_code=code,
            name=name,
            fixmedins_type=fixmedins_type,
            admdvs=admdvs,
            hosp_lv=hosp_lv,
            address=address,
            uscc=uscc,
            agreement_begin=parse_date(agreement_begin, field="agreement_begin", required=False),
            agreement_end=parse_date(agreement_end, field="agreement_end", required=False),
        )
    console.print(
        f"[green]已新增定点机构[/green] {view.fixmedins_code} {view.name}（{view.agreement_status}）"
    )


@app.command("list")
def list_(
    q: str = typer.Option(None, help="按编码、名称或地址查询 Search"),
    admdvs: str = typer.Option(None, help="统筹区 Region"),
    status: str = typer.Option(None, help="协议状态 Agreement status"),
) -> None:
    """列出定点机构。List designated institutions."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        page = service.list_institutions(
            uow=uow, q=q, admdvs=admdvs, agreement_status=status, page=1, size=500
        )
    table = Table()
    table.add_column("编码 Code", no_wrap=True)
    for title in (
        "名称 Name",
        "等级 Level",
        "统筹区 Region",
        "今日状态 Status",
        "协议止 End",
        "可结算 Settle",
    ):
        table.add_column(title)
    for i in page.items:
        table.add_row(
            i.fixmedins_code,
            i.name,
            i.hosp_lv_name or i.fixmedins_type_name or "",
            i.admdvs,
            i.effective_status,
            str(i.agreement_end or ""),
            "是" if i.can_settle_today else "否",
        )
    console.print(table)
    console.print(f"共 {page.total} 家 Total {page.total}")


@app.command("show")
def show(code: str = typer.Argument(..., help="定点机构编码 Institution code")) -> None:
    """查看定点机构（协议、科室、医师）。Show an institution with agreement, departments and doctors."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        view = service.show_institution(uow=uow, fixmedins_code=code)
        departments = service.list_departments(uow=uow, fixmedins_code=code)
        doctors = service.institution_doctors(uow=uow, fixmedins_code=code)
    console.print(f"[bold]{view.name}[/bold] {view.fixmedins_code}")
    console.print(
        f"类型 Type: {view.fixmedins_type_name or view.fixmedins_type}  等级 Level: {view.hosp_lv_name or ''}"
    )
    console.print(f"统筹区 Region: {view.admdvs}  地址 Address: {view.address or ''}")
    console.print(
        f"协议 Agreement: {view.agreement_status}（今日 {view.effective_status}） "
        f"{view.agreement_begin or ''} — {view.agreement_end or ''}"
    )
    console.print(f"结算 Settlement: {view.settle_code} {view.settle_reason}")
    table = Table("科室编码", "名称", "科别", "启用", "停用", title="科室 Departments")
    for d in departments:
        table.add_row(d.dept_code, d.name, d.caty, str(d.begin), str(d.end or ""))
    console.print(table)
    table = Table(title="医保医师 Doctors")
    table.add_column("执业编码 Code", no_wrap=True)
    for title in ("姓名 Name", "类别 Kind", "状态 Status"):
        table.add_column(title)
    for doc in doctors:
        table.add_row(doc.dr_code, doc.name, doc.kind, doc.status)
    console.print(table)


def _import(path: Path, kind: str) -> None:
    container = bootstrap()
    data = path.read_bytes()
    with refusals(), Progress(console=console) as progress, container.uow() as uow:
        task = progress.add_task("导入 Importing", total=None)

        def step(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        if kind == "institutions":
            report = service.import_institutions(uow=uow, data=data, filename=path.name, progress=step)
        else:
            report = service.import_doctors(uow=uow, data=data, filename=path.name, progress=step)
    console.print(f"[green]已导入 {report.created} 条[/green] Imported {report.created} rows")


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, readable=True, help="CSV 或 Excel 文件 CSV/XLSX"),
) -> None:
    """批量导入定点机构（全部成功才保存）。Import institutions, all or nothing."""
    _import(file, "institutions")


@app.command("doctors-import")
def doctors_import(
    file: Path = typer.Argument(..., exists=True, readable=True, help="CSV 或 Excel 文件 CSV/XLSX"),
) -> None:
    """批量导入医保医师（全部成功才保存）。Import insurance doctors, all or nothing."""
    _import(file, "doctors")
