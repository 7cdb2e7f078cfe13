"""`yibao enrolment`: units, persons, bulk import and personal accounts (参保登记与缴费)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.core.cli_support import RefusedError, console, err_console, refusals
from yibao.core.validation import parse_date, require_date
from yibao.domain.enrolment import ENTRY_NAMES_ZH, STATUS_NAMES_ZH, EntryType, RelationStatus
from yibao.domain.money import fen_to_yuan
from yibao.enrolment import service

NAME = "enrolment"
app = typer.Typer(help="参保登记与缴费 Enrolment and contributions", no_args_is_help=True)


@app.command("add-unit")
def add_unit(
    uscc: str = typer.Argument(..., help="统一社会信用代码 Unified social credit code"),
    name: str = typer.Argument(..., help="单位名称 Unit name"),
    admdvs: str = typer.Option(..., help="统筹区编码 Region code"),
    unit_type: str = typer.Option(
        "enterprise", help="单位类型 enterprise/government/institution/social_org/other"
    ),
    begin: str = typer.Option("2020-01-01", help="参保开始日期 First day (yyyy-MM-dd)"),
    contact_name: str = typer.Option(None, help="联系人 Contact person"),
    contact_phone: str = typer.Option(None, help="联系电话 Contact phone"),
) -> None:
    """登记参保单位。Register an employer (unit)."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        unit = service.create_unit(
            uow=uow,
            uscc=uscc,
            name=name,
            admdvs=admdvs,
            unit_type=unit_type,
            begin=require_date(begin, field="begin"),
            contact_name=contact_name,
            contact_phone=contact_phone,
        )
    console.print(f"[green]已登记参保单位[/green] Unit registered: {unit.uscc} {unit.name}")


@app.command("enrol")
def enrol(
    certno: str = typer.Argument(..., help="居民身份证号 Resident ID number"),
    name: str = typer.Argument(..., help="姓名 Name"),
    admdvs: str = typer.Option(..., help="统筹区编码 Region code"),
    insutype: str = typer.Option("310", help="险种类型 Insurance type (310 职工, 390 居民…)"),
    psn_type: str = typer.Option("11", help="人员类别 Person category (dictionary psn_type)"),
    begin: str = typer.Option(..., help="参保开始日期 First day (yyyy-MM-dd)"),
    phone: str = typer.Option(None, help="联系电话 Phone"),
    unit: str = typer.Option(None, help="参保单位统一社会信用代码 Unit credit code"),
    idet_type: str = typer.Option(None, help="特殊人群 Special group (2304/2303/2302/21/2308)"),
    disa_lv: str = typer.Option(None, help="残疾等级 Disability level 1-4"),
) -> None:
    """登记参保人及首个参保关系。Enrol a person with a first insurance relation."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        person = service.enrol(
            uow=uow,
            certno=certno,
            name=name,
            admdvs=admdvs,
            insutype=insutype,
            psn_type=psn_type,
            begin=parse_date(begin, field="begin"),
            phone=phone,
            unit_uscc=unit,
            idet_type=idet_type,
            disa_lv=disa_lv,
        )
    console.print(f"[green]已参保登记[/green] Enrolled: {person.psn_no} {person.name}")


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV 或 XLSX 文件 CSV or XLSX file"),
) -> None:
    """批量导入参保人（全部成功或全部不保存）。Import persons, all or nothing."""
    container = bootstrap()
    data = file.read_bytes()
    with refusals(), Progress(console=console) as progress, container.uow() as uow:
        task = progress.add_task("导入 Importing", total=None)

        def step(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = service.import_persons(uow=uow, filename=file.name, data=data, progress=step)
    if not report.ok:
        table = Table("行 Row", "字段 Field", "代码 Code", "说明 Message")
        for e in report.errors:
            table.add_row(str(e.row), e.field, e.code, e.message)
        err_console.print(table)
        err_console.print(
            f"[red]错误 IMPORT_ROWS[/red]: {len(report.errors)} 处错误，未保存任何数据 nothing stored"
        )
        raise RefusedError(2)
    console.print(f"[green]已导入 {len(report.created)} 人[/green] Imported {len(report.created)} persons")


@app.command("import-contributions")
def import_contributions(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV 或 XLSX 文件 CSV or XLSX file"),
) -> None:
    """批量登记缴费（年度缴费文件，金额单位元；全部成功或全部不保存）。Record a contribution file."""
    container = bootstrap()
    data = file.read_bytes()
    with refusals(), container.uow() as uow:
        batch = service.import_contributions(uow=uow, filename=file.name, data=data)
    console.print(
        f"[green]已登记缴费 {len(batch.ids)} 条[/green]（缴清 {batch.paid} 条，个人账户入账 "
        f"{fen_to_yuan(batch.credited_fen)} 元） Recorded {len(batch.ids)} contributions"
    )


@app.command("show")
def show(psn_no: str = typer.Argument(..., help="个人编号 Person number")) -> None:
    """查看参保人、参保关系和缴费。Show a person with relations and contributions."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        person = service.get_person(uow=uow, psn_no=psn_no)
        relations = service.list_relations(uow=uow, psn_no=psn_no)
        contributions = service.list_contributions(uow=uow, psn_no=psn_no)
        months = service.contribution_months(uow=uow, psn_no=psn_no)
    sex = service.GENDERS.get(person.gend, person.gend)
    console.print(
        f"{person.psn_no} {person.name} 身份证号 {person.certno} 性别 {sex} "
        f"出生 {person.birth_date} 统筹区 {person.admdvs} 单位 {person.unit_name or '-'}"
    )
    table = Table("ID", "险种", "人员类别", "统筹区", "开始", "结束", "等待期至", "状态")
    for r in relations:
        table.add_row(
            str(r.id),
            r.insutype,
            r.psn_type,
            r.admdvs,
            str(r.begin),
            str(r.end or ""),
            str(r.waiting_end or ""),
            STATUS_NAMES_ZH[RelationStatus(r.status)],
        )
    console.print(table)
    paid = Table("期间", "单位", "个人", "补助", "应缴日", "缴费日", "补缴")
    for c in contributions:
        paid.add_row(
            c.period,
            fen_to_yuan(c.unit_fen),
            fen_to_yuan(c.individual_fen),
            fen_to_yuan(c.subsidy_fen),
            str(c.due_date),
            str(c.paid_on or "欠费"),
            "是" if c.late else "",
        )
    console.print(paid)
    console.print(f"职工医保缴费月数 Paid employee months: {months}")


@app.command("account")
def account(
    psn_no: str = typer.Argument(..., help="个人编号 Person number"),
    size: int = typer.Option(20, help="显示最近几条流水 Ledger lines to show"),
) -> None:
    """查看个人账户余额和流水。Show a personal account's balance and ledger."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        view = service.get_account(uow=uow, psn_no=psn_no, page=1, size=size)
    console.print(f"{view.psn_no} 余额 Balance: {fen_to_yuan(view.balance)} 元")
    table = Table("时间", "类型", "金额", "余额", "业务号")
    for e in view.entries.items:
        table.add_row(
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            ENTRY_NAMES_ZH[EntryType(e.entry_type)],
            fen_to_yuan(e.amount),
            fen_to_yuan(e.balance_after),
            e.reference,
        )
    console.print(table)
