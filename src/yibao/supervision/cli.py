"""`yibao supervision`: inspections, ward rounds, whistleblower reports, decisions, disclosure."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, refusals
from yibao.core.uow import UnitOfWork
from yibao.core.validation import require_date
from yibao.supervision import service

T = TypeVar("T")
NAME = "supervision"
app = typer.Typer(help="稽核 Supervision: inspections, rounds, reports, decisions", no_args_is_help=True)


def _run(action: Callable[[UnitOfWork], T]) -> T:
    """Run one use case in its own unit of work; a refusal prints its code and exits 2."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        return action(uow)


def _yuan(fen: int) -> str:
    return f"{fen / 100:.2f}"


@app.command("inspect")
def inspect(
    code: str = typer.Argument(..., help="定点机构编码"),
    kind: str = typer.Option("routine", help="routine/special/flight/joint"),
    day: str = typer.Option(..., help="计划日期"),
    team: list[str] = typer.Option(..., help="检查人员（至少两人，可多次）"),
    scope: str = typer.Option(..., help="检查范围"),
    department: list[str] = typer.Option([], help="联合检查部门（可多次）"),
) -> None:
    """新建检查。Plan an inspection."""
    view = _run(
        lambda uow: service.create_inspection(
            uow=uow,
            fixmedins_code=code,
            kind=kind,
            planned_on=require_date(day, field="day"),
            team=team,
            scope=scope,
            departments=department,
        )
    )
    console.print(f"[green]已登记[/green] {view.inspection_no} {view.kind_name} {view.fixmedins_name}")


@app.command("inspections")
def inspections(code: str = typer.Option(None, help="机构")) -> None:
    """列出检查。List inspections."""
    page = _run(lambda uow: service.list_inspections(uow=uow, fixmedins_code=code, size=500))
    table = Table("编号", "类型", "机构", "计划", "状态", "问题金额")
    for i in page.items:
        table.add_row(
            i.inspection_no,
            i.kind_name,
            i.fixmedins_name,
            str(i.planned_on),
            i.status_name,
            _yuan(i.findings_amount),
        )
    console.print(table)


@app.command("round")
def ward_round(
    file: Path = typer.Argument(
        ...,
        exists=True,
        readable=True,
        help="查房 JSON：fixmedins_code, round_at, inspectors, patients, standard_fen",
    ),
) -> None:
    """登记查房并计算在床率（001 第40条）。Record a ward round from a JSON file."""
    data = json.loads(file.read_text("utf-8"))
    container = bootstrap()
    with refusals(), container.uow() as uow:
        from datetime import datetime

        data["round_at"] = datetime.fromisoformat(str(data["round_at"]))
        view = service.record_ward_round(uow=uow, **data)
    console.print(
        f"{view.round_no} 在床 {view.present}/{view.total} = {view.rate_bp / 100:.2f}% "
        f"{'低于' if view.below_threshold else '不低于'}{view.threshold_bp / 100:.0f}%，"
        f"拒付 {view.shortfall} 人次 {_yuan(view.refused_fen)} 元"
    )


@app.command("reports")
def reports(status: str = typer.Option(None, help="状态")) -> None:
    """列出举报。List whistleblower reports."""
    page = _run(lambda uow: service.list_reports(uow=uow, status=status, size=500))
    table = Table("编号", "受理日期", "匿名", "对象", "状态", "追回", "奖励")
    for r in page.items:
        table.add_row(
            r.report_no,
            str(r.received_on),
            "是" if r.anonymous else "否",
            r.fixmedins_code or r.dr_code or r.psn_no or "",
            r.status_name,
            _yuan(r.recovered),
            _yuan(r.reward),
        )
    console.print(table)


@app.command("report-action")
def report_action(
    number: str = typer.Argument(...),
    action: str = typer.Option(..., help="accept/reject/substantiate/unsubstantiate/reward"),
    day: str = typer.Option(..., help="日期"),
    recovered: int = typer.Option(None, help="追回金额（分），认定查实时填写"),
    note: str = typer.Option(None),
) -> None:
    """处理举报（受理、查实、奖励）。Move a report."""
    view = _run(
        lambda uow: service.change_report(
            uow=uow,
            report_no=number,
            action=action,
            day=require_date(day, field="day"),
            recovered=recovered,
            note=note,
        )
    )
    console.print(
        f"{view.report_no} {view.status_name} 追回 {_yuan(view.recovered)} 元 奖励 {_yuan(view.reward)} 元"
    )


@app.command("decide")
def decide(
    target_type: str = typer.Option(..., help="institution/doctor/person"),
    kind: str = typer.Option(..., help="recovery/fine/suspension/termination/referral/doctor_points"),
    reason: str = typer.Option(...),
    code: str = typer.Option(None, help="定点机构编码"),
    dr_code: str = typer.Option(None, help="医师编码"),
    psn_no: str = typer.Option(None, help="人员编号"),
    amount: int = typer.Option(0, help="金额（分）"),
    fine_pct: int = typer.Option(None, help="罚款倍数百分比 200–500"),
    months: int = typer.Option(None, help="暂停月数"),
    referral_to: str = typer.Option(None, help="police/discipline/health/market"),
    violation: str = typer.Option(None, help="医师违规类型"),
    ban_years: int = typer.Option(None, help="解除协议的禁入年限（药店3–5年）"),
    permanent: bool = typer.Option(False, "--permanent", help="解除药店协议并永久退出"),
) -> None:
    """拟定处理决定。Draft a decision."""
    view = _run(
        lambda uow: service.create_decision(
            uow=uow,
            target_type=target_type,
            kind=kind,
            reason=reason,
            fixmedins_code=code,
            dr_code=dr_code,
            psn_no=psn_no,
            amount=amount,
            fine_pct=fine_pct,
            months=months,
            referral_to=referral_to,
            violation=violation,
            ban_years=ban_years,
            ban_permanent=permanent,
        )
    )
    console.print(
        f"[green]已拟定[/green] {view.decision_no} {view.kind_name} {view.target_name}"
        f" 金额 {_yuan(view.penalty)} 元"
    )


@app.command("take-up")
def take_up(
    case_no: str = typer.Argument(..., help="智能监控案件编号（已确认违规）"),
    fine_pct: int = typer.Option(..., help="罚款倍数百分比 200–500"),
    reason: str = typer.Option(None, help="处理理由（默认用案件的确认说明）"),
    team: list[str] = typer.Option([], help="检查人员（填写两人以上则同时开立专项检查）"),
    day: str = typer.Option(None, help="审核扣款日（默认今天）"),
) -> None:
    """监控案件转稽核：审核扣款并拟定追回与罚款决定。Take up a confirmed monitoring case."""
    taken = _run(
        lambda uow: service.take_up_case(
            uow=uow,
            case_no=case_no,
            fine_pct=fine_pct,
            reason=reason,
            team=team,
            day=require_date(day, field="day") if day else None,
        )
    )
    console.print(
        f"[green]{taken.case_no}[/green] 确认追回 {_yuan(taken.recover_fen)} 元，"
        f"审核扣款 {_yuan(taken.deducted_fen)} 元（{len(taken.items)} 条，待机构回复）"
    )
    for d in taken.decisions:
        console.print(f"已拟定 {d.decision_no} {d.kind_name} {_yuan(d.penalty)} 元")
    if taken.inspection is not None:
        console.print(f"已开立检查 {taken.inspection.inspection_no}")
    for finding, why in taken.left_aside:
        console.print(f"[yellow]未进入审核[/yellow] {finding}：{why}")
    for e in taken.doctors:
        console.print(f"医保医师 {e.dr_code} 扣 {e.points} 分（年度累计 {e.year_total} 分，{e.outcome}）")
    for dr_code, why in taken.doctors_left_aside:
        console.print(f"[yellow]未扣分[/yellow] {dr_code}：{why}")


@app.command("reminders")
def reminders(
    day: str = typer.Option(None, help="日期（默认今天）"),
    within_days: int = typer.Option(60, help="协议到期提前提醒天数"),
    margin: int = typer.Option(2, help="医师扣分距暂停的分值"),
) -> None:
    """到期提醒：协议续签、审核扣款待回复、医师扣分临近暂停。What comes due."""
    found = _run(
        lambda uow: service.reminders(
            uow=uow,
            day=require_date(day, field="day") if day else None,
            within_days=within_days,
            margin=margin,
        )
    )
    table = Table("类别", "对象", "名称", "到期日", "剩余天数", "说明")
    for r in found.items:
        table.add_row(
            r.kind_name,
            r.code,
            r.name,
            str(r.due or ""),
            "" if r.days_left is None else str(r.days_left),
            r.detail,
        )
    console.print(table)
    for why in found.unavailable:
        console.print(f"[yellow]未列出[/yellow] {why}")


@app.command("issue")
def issue(
    number: str = typer.Argument(...),
    document_no: str = typer.Option(..., help="决定书文号"),
    day: str = typer.Option(..., help="生效日期"),
) -> None:
    """签发并执行处理决定。Issue a decision and carry it out."""
    view = _run(
        lambda uow: service.issue_decision(
            uow=uow, decision_no=number, document_no=document_no, day=require_date(day, field="day")
        )
    )
    console.print(
        f"[yellow]已签发[/yellow] {view.decision_no} {view.document_no} {view.kind_name}"
        f"{'（已公开披露）' if view.disclose else ''}"
    )


@app.command("disclosure")
def disclosure() -> None:
    """信息披露名单。The public disclosure list."""
    page = _run(lambda uow: service.disclosure_list(uow=uow, size=500))
    table = Table("决定书", "对象", "处理", "金额", "披露日期")
    for d in page.items:
        table.add_row(d.document_no or "", d.target_name, d.kind_name, _yuan(d.penalty), str(d.disclosed_on))
    console.print(table)
