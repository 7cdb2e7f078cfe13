"""`yibao institutions`: designated institutions (定点医药机构) and insurance doctors (医保医师)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypedDict, TypeVar

import typer
from rich.progress import Progress
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, refusals
from yibao.core.uow import UnitOfWork
from yibao.core.validation import parse_date, require_date
from yibao.institutions import service

T = TypeVar("T")
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
    view = _run(
        lambda uow: service.create_institution(
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
    page = _run(
        lambda uow: service.list_institutions(
            uow=uow, q=q, admdvs=admdvs, agreement_status=status, page=1, size=500
        )
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


# ---- admission (定点准入) and the agreement's life -------------------------------------------------------


def _run(action: Callable[[UnitOfWork], T]) -> T:
    """Run one use case in its own unit of work; a refusal prints its code and exits 2."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        return action(uow)


def _day(text: str | None) -> date | None:
    """An optional yyyy-MM-dd option (None: the use case's default, usually today)."""
    return parse_date(text, field="day", required=False)


class _Facts(TypedDict):
    licence_no: str | None
    licence_valid_until: date | None
    opened_on: date | None
    systems_connected_on: date | None
    contact: str | None


def _facts(
    licence_no: str | None,
    licence_until: str | None,
    opened_on: str | None,
    systems_on: str | None,
    contact: str | None,
) -> _Facts:
    """The facts of an application as the use cases take them (licence, opening, systems, contact)."""
    return _Facts(
        licence_no=licence_no,
        licence_valid_until=parse_date(licence_until, field="licence_until", required=False),
        opened_on=parse_date(opened_on, field="opened_on", required=False),
        systems_connected_on=parse_date(systems_on, field="systems_on", required=False),
        contact=contact,
    )


def _print_application(view: service.ApplicationView) -> None:
    console.print(f"[bold]{view.application_no}[/bold] {view.fixmedins_code} {view.name}：{view.status_name}")
    for check in view.checks:
        mark = "[green]通过[/green]" if check["passed"] else "[red]不通过[/red]"
        console.print(f"  资格审查 {check['name']}：{mark} {check['reason']}")
    if view.score is not None:
        console.print(f"  评估得分 {view.score}（合格分 {view.pass_mark}）")
    if view.notice_begin:
        console.print(f"  公示 {view.notice_begin} 至 {view.notice_end}，异议 {len(view.objections)} 件")
    if view.agreement_no:
        console.print(f"  协议 {view.agreement_no}")
    if view.reason:
        console.print(f"  原因：{view.reason}")


@app.command("apply")
def apply(
    code: str = typer.Argument(..., help="定点机构编码 Institution code"),
    day: str = typer.Option(None, help="受理日期 Day received (today)"),
    licence_no: str = typer.Option(None, help="执业许可证编号 Licence number"),
    licence_until: str = typer.Option(None, help="许可证有效期至 Licence valid until"),
    opened_on: str = typer.Option(None, help="开业日期 Opened on"),
    systems_on: str = typer.Option(None, help="联网验收日期 Systems connected on"),
    contact: str = typer.Option(None, help="联系人 Contact"),
) -> None:
    """受理定点申请。Receive an application for designation."""
    view = _run(
        lambda uow: service.submit_application(
            uow=uow,
            fixmedins_code=code,
            day=_day(day),
            **_facts(licence_no, licence_until, opened_on, systems_on, contact),
        )
    )
    _print_application(view)


@app.command("application-update")
def application_update(
    number: str = typer.Argument(..., help="申请编号 Application number"),
    licence_no: str = typer.Option(None, help="执业许可证编号 Licence number"),
    licence_until: str = typer.Option(None, help="许可证有效期至 Licence valid until"),
    opened_on: str = typer.Option(None, help="开业日期 Opened on"),
    systems_on: str = typer.Option(None, help="联网验收日期 Systems connected on"),
    contact: str = typer.Option(None, help="联系人 Contact"),
) -> None:
    """更正申请事实（资格审查通过前）。Correct the facts before the checks pass."""
    view = _run(
        lambda uow: service.update_application(
            uow=uow,
            application_no=number,
            **_facts(licence_no, licence_until, opened_on, systems_on, contact),
        )
    )
    _print_application(view)


@app.command("document")
def document(
    number: str = typer.Argument(..., help="申请编号 Application number"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="材料文件 Document file"),
    kind: str = typer.Option(..., help="材料类别 licence/business/systems/rules/floor_plan/other"),
) -> None:
    """上传申请材料。Attach a document to an application."""
    doc = _run(
        lambda uow: service.add_document(
            uow=uow, application_no=number, kind=kind, filename=file.name, data=file.read_bytes()
        )
    )
    console.print(
        f"[green]已上传[/green] {doc.kind_name} {doc.filename}（{doc.size} 字节，SHA-256 {doc.sha256}）"
    )


@app.command("check")
def check(
    number: str = typer.Argument(..., help="申请编号 Application number"),
    day: str = typer.Option(None, help="审查日期 Day (today)"),
) -> None:
    """资格审查。Run the eligibility checks."""
    view = _run(lambda uow: service.check_application(uow=uow, application_no=number, day=_day(day)))
    _print_application(view)


@app.command("assess")
def assess(
    number: str = typer.Argument(..., help="申请编号 Application number"),
    score: list[str] = typer.Option(..., help="评估项得分 item=points, repeatable"),
    assessor: list[str] = typer.Option(..., help="评估人员（至少2人） Assessor, repeatable"),
    day: str = typer.Option(None, help="评估日期 Day (today)"),
) -> None:
    """专业评估打分。Score the on-site assessment checklist."""
    scores: dict[str, int] = {}
    for item in score:
        key, _, value = item.partition("=")
        if not value.strip().lstrip("-").isdigit():
            console.print(f"[red]错误 CHECKLIST_SCORE_FORMAT[/red]: 得分须写作 项目=整数，实际为 {item!r}")
            raise typer.Exit(2)
        scores[key.strip()] = int(value)
    view = _run(
        lambda uow: service.assess_application(
            uow=uow,
            application_no=number,
            scores=scores,
            assessors=assessor,
            day=_day(day),
        )
    )
    _print_application(view)


@app.command("notice")
def notice(
    number: str = typer.Argument(..., help="申请编号 Application number"),
    begin: str = typer.Option(..., help="公示开始 First day"),
    end: str = typer.Option(..., help="公示结束 Last day"),
    where: str = typer.Option(None, help="公示地点 Where"),
) -> None:
    """发布公示。Put the application on public notice."""
    view = _run(
        lambda uow: service.publish_notice(
            uow=uow,
            application_no=number,
            begin=require_date(begin, field="begin"),
            end=require_date(end, field="end"),
            where=where,
        )
    )
    _print_application(view)


@app.command("objection")
def objection(
    number: str = typer.Argument(..., help="申请编号 Application number"),
    day: str = typer.Option(..., help="收到日期 Day received"),
    content: str = typer.Option(..., help="异议内容 Content"),
    objector: str = typer.Option(None, help="异议人（空为匿名） Objector"),
) -> None:
    """登记公示异议。Record an objection."""
    view = _run(
        lambda uow: service.add_objection(
            uow=uow,
            application_no=number,
            day=require_date(day, field="day"),
            content=content,
            objector=objector,
        )
    )
    console.print(f"[green]已登记异议[/green] #{view.id}")


@app.command("answer")
def answer(
    number: str = typer.Argument(..., help="申请编号 Application number"),
    objection_id: int = typer.Argument(..., help="异议编号 Objection id"),
    outcome: str = typer.Option(..., help="upheld 成立 / dismissed 不成立"),
    text: str = typer.Option(..., "--answer", help="处理意见 Answer"),
    day: str = typer.Option(..., help="处理日期 Day"),
) -> None:
    """处理公示异议。Answer an objection."""
    view = _run(
        lambda uow: service.answer_objection(
            uow=uow,
            application_no=number,
            objection_id=objection_id,
            outcome=outcome,
            answer=text,
            day=require_date(day, field="day"),
        )
    )
    console.print(f"[green]异议 #{view.id} 已处理[/green]：{view.status}")


@app.command("close")
def close(
    number: str = typer.Argument(..., help="申请编号 Application number"),
    day: str = typer.Option(None, help="日期 Day (today)"),
) -> None:
    """公示期满，认定或不予认定。End the notice."""
    view = _run(lambda uow: service.close_notice(uow=uow, application_no=number, day=_day(day)))
    _print_application(view)


@app.command("sign")
def sign(
    number: str = typer.Argument(..., help="申请编号 Application number"),
    begin: str = typer.Option(..., help="协议开始日期 Agreement first day"),
    end: str = typer.Option(None, help="协议结束日期（默认一年） Last day"),
    day: str = typer.Option(None, help="签订日期 Day signed (today)"),
    plaque_no: str = typer.Option(None, help="标牌编号（默认自动编号） Plaque number"),
    terms_profile: str = typer.Option(None, help="协议指标模板 general/specialist/pharmacy"),
) -> None:
    """签订协议，发放证书与标牌。Sign the agreement, issue certificate and plaque."""
    view = _run(
        lambda uow: service.sign_application(
            uow=uow,
            application_no=number,
            begin=require_date(begin, field="begin"),
            end=parse_date(end, field="end", required=False),
            day=_day(day),
            plaque_no=plaque_no,
            terms_profile=terms_profile,
        )
    )
    _print_application(view)


@app.command("end-application")
def end_application(
    number: str = typer.Argument(..., help="申请编号 Application number"),
    action: str = typer.Option(..., help="reject 不予认定 / withdraw 撤回"),
    reason: str = typer.Option(..., help="原因 Reason"),
) -> None:
    """不予认定或撤回申请。Refuse or withdraw an application."""
    view = _run(
        lambda uow: service.end_application(uow=uow, application_no=number, action=action, reason=reason)
    )
    _print_application(view)


@app.command("application")
def application(number: str = typer.Argument(..., help="申请编号 Application number")) -> None:
    """查看定点申请。Show an application with its steps."""
    view = _run(lambda uow: service.show_application(uow=uow, application_no=number))
    _print_application(view)
    for step in view.steps:
        console.print(f"  {step.day} {step.action_name} → {step.to_status}（{step.actor}）{step.note or ''}")


@app.command("agreement")
def agreement(
    code: str = typer.Argument(..., help="定点机构编码 Institution code"),
    action: str = typer.Option(..., help="renew/suspend/resume/expire/terminate/change"),
    day: str = typer.Option(None, help="生效日期 Effective day (today)"),
    begin: str = typer.Option(None, help="新协议开始 First day"),
    end: str = typer.Option(None, help="新协议结束 Last day"),
    until: str = typer.Option(None, help="暂停截止 Suspended until"),
    reason: str = typer.Option(None, help="原因或变更内容 Reason"),
    terms_profile: str = typer.Option(None, help="续签：新年度协议指标模板 general/specialist/pharmacy"),
) -> None:
    """协议操作：续签、变更、暂停、恢复、解除。Act on the agreement."""
    view = _run(
        lambda uow: service.change_agreement(
            uow=uow,
            fixmedins_code=code,
            action=action,
            day=_day(day),
            begin=parse_date(begin, field="begin", required=False),
            end=parse_date(end, field="end", required=False),
            until=parse_date(until, field="until", required=False),
            reason=reason,
            terms_profile=terms_profile,
        )
    )
    console.print(
        f"[green]{view.fixmedins_code}[/green] 协议状态：{view.agreement_status}，{view.settle_reason}"
    )


@app.command("history")
def history(code: str = typer.Argument(..., help="定点机构编码 Institution code")) -> None:
    """协议、证书与状态历史。Agreements, certificates and the state history."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        view = service.agreement_history(uow=uow, fixmedins_code=code)
        bans = service.institution_bans(uow=uow, fixmedins_code=code)
    for a in view.agreements:
        console.print(f"协议 {a.agreement_no} {a.begin} 至 {a.end}（{a.kind}，指标年度 {a.terms_year}）")
    for c in view.certificates:
        revoked = f"，{c.revoked_on} 收回" if c.revoked_on else ""
        console.print(f"证书 {c.certificate_no} 标牌 {c.plaque_no}（{c.issued_on} 发放{revoked}）")
    table = Table()
    for title in ("日期 Day", "操作 Action", "状态 Status", "原因 Reason", "操作人 By"):
        table.add_column(title)
    for e in view.events:
        table.add_row(
            str(e.day), e.action_name, f"{e.from_status or ''} → {e.to_status}", e.reason or "", e.actor
        )
    console.print(table)
    for b in bans:
        console.print(f"禁入 {b.kind_name} {b.begin} 至 {b.end or '永久'}：{b.reason}（{b.source_ref}）")


@app.command("ban")
def ban(
    code: str = typer.Argument(..., help="定点机构编码 Institution code"),
    kind: str = typer.Option(..., help="no_renew 限期 / permanent 永久退出（药店）"),
    begin: str = typer.Option(..., help="起始日期 First day"),
    reason: str = typer.Option(..., help="原因 Reason"),
    years: int = typer.Option(None, help="年限1–5 Years"),
    decision_no: str = typer.Option(None, help="稽核处理决定编号 Decision number"),
) -> None:
    """登记禁入期。Record a re-entry ban."""
    bans = _run(
        lambda uow: service.record_ban(
            uow=uow,
            fixmedins_code=code,
            kind=kind,
            begin=require_date(begin, field="begin"),
            reason=reason,
            years=years,
            decision_no=decision_no,
        )
    )
    for b in bans:
        console.print(f"禁入 {b.kind_name} {b.begin} 至 {b.end or '永久'}：{b.reason}（{b.source_ref}）")
