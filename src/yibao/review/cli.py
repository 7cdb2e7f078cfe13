"""`yibao review`: monthly declarations, review decisions, answers, appeals, silence job, export.

The command line is the agency's back office and acts as the system administrator; `--by` names
the person acting (recorded in the timeline and the audit trail), so a second review of an appeal
can be entered for a different reviewer.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import typer
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, refusals
from yibao.core.security import Actor, Role
from yibao.core.validation import parse_date, require_date
from yibao.domain.errors import invalid
from yibao.domain.money import fen_to_yuan, yuan_to_fen
from yibao.domain.review import ITEM_STATUS_ZH, REASON_ZH, ItemStatus, Reason
from yibao.review import service

NAME = "review"
app = typer.Typer(help="审核 Claims review: declarations, deductions, answers, appeals", no_args_is_help=True)


def _actor(by: str | None) -> Actor:
    return Actor(user_id=None, username=by or "system", roles=frozenset({Role.ADMIN}), all_regions=True)


BY = typer.Option(None, "--by", help="经办人 Who is acting (recorded in the timeline)")


def _claims(path: Path | None) -> list[service.CashClaimInput]:
    """Cash claims from a CSV: psn_no, invoice_no, visit_date, medfee (yuan), verified (yuan), note."""
    if path is None:
        return []
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    return [
        service.CashClaimInput(
            psn_no=row.get("psn_no", ""),
            invoice_no=row.get("invoice_no", ""),
            visit_date=require_date(row.get("visit_date"), field="visit_date"),
            medfee_sumamt=yuan_to_fen(row.get("medfee", "0"), field="medfee"),
            fund_pay_sumamt=yuan_to_fen(row.get("verified", "0"), field="verified"),
            note=row.get("note") or None,
        )
        for row in reader
    ]


@app.command("declare")
def declare(
    fixmedins_code: str = typer.Argument(..., help="定点机构编码 Institution code"),
    period: str = typer.Argument(..., help="申报月份 YYYY-MM"),
    claims: Path = typer.Option(None, help="零星报销 CSV: psn_no,invoice_no,visit_date,medfee,verified,note"),
    note: str = typer.Option(None, help="备注 Note"),
    by: str = BY,
) -> None:
    """提交月度申报（按平台结算记录）。Submit a monthly declaration from the platform's settlements."""
    container = bootstrap()
    with refusals(), container.uow(_actor(by)) as uow:
        decl = service.declare(
            uow=uow, fixmedins_code=fixmedins_code, period=period, cash_claims=_claims(claims), note=note
        )
    late = "（逾期）" if decl.late else ""
    console.print(
        f"[green]已申报[/green] {decl.decl_no}{late} 结算 {decl.settlement_count} 笔 "
        f"医疗费 {fen_to_yuan(decl.medfee_sumamt)} 元 基金 {fen_to_yuan(decl.fund_pay_sumamt)} 元 "
        f"零星报销 {decl.cash_claim_count} 笔"
    )


@app.command("list")
def list_(
    period: str = typer.Option(None, help="申报月份 YYYY-MM"),
    institution: str = typer.Option(None, help="定点机构编码"),
    status: str = typer.Option(None, help="状态 submitted/reviewing/reviewed/closed"),
    items: bool = typer.Option(False, "--items", help="列出审核条目而不是申报单 List review items"),
    item_status: str = typer.Option(None, help="条目状态（与 --items 同用）"),
) -> None:
    """列出申报单或审核条目。List declarations (or review items)."""
    container = bootstrap()
    with refusals(), container.uow(_actor(None)) as uow:
        if items:
            page = service.review_queue(
                uow=uow, period=period, fixmedins_code=institution, status=item_status, size=500
            )
            table = Table("条目", "机构", "月份", "结算ID", "明细", "状态", "原因", "合计扣款(元)")
            for i in page.items:
                table.add_row(
                    str(i.id),
                    i.fixmedins_code,
                    i.period,
                    i.setl_id or i.claim_no or "",
                    i.bkkp_sn or "",
                    ITEM_STATUS_ZH[ItemStatus(i.status)],
                    i.reason_code or i.suggested_reason or "",
                    fen_to_yuan(i.total_fen),
                )
        else:
            decls = service.list_declarations(
                uow=uow, period=period, fixmedins_code=institution, status=status, size=500
            )
            table = Table("申报单", "机构", "月份", "状态", "结算笔数", "基金申报(元)", "逾期")
            for d in decls.items:
                table.add_row(
                    d.decl_no,
                    d.fixmedins_code,
                    d.period,
                    d.status,
                    str(d.settlement_count),
                    fen_to_yuan(d.fund_pay_sumamt),
                    "是" if d.late else "",
                )
    console.print(table)


@app.command("show")
def show(decl_no: str = typer.Argument(..., help="申报单号")) -> None:
    """显示申报单、审核条目与时间线。Show a declaration with its items and timeline."""
    container = bootstrap()
    with refusals(), container.uow(_actor(None)) as uow:
        view = service.get_declaration(uow=uow, decl_no=decl_no)
    d = view.declaration
    console.print(
        f"申报单 {d.decl_no} 机构 {d.fixmedins_code} {d.fixmedins_name} 月份 {d.period} 状态 {d.status}"
    )
    console.print(f"确认扣款 {fen_to_yuan(view.confirmed_fen)} 元，未终结 {fen_to_yuan(view.open_fen)} 元")
    for e in view.events:
        item = f"条目{e.item_id} " if e.item_id else ""
        console.print(
            f"• {e.at:%Y-%m-%d %H:%M} {e.actor} {item}{e.action} {e.from_status or ''}→{e.to_status or ''}"
        )


@app.command("flag")
def flag(
    decl_no: str = typer.Argument(..., help="申报单号"),
    setl_id: str = typer.Option(None, help="结算ID"),
    bkkp_sn: str = typer.Option(None, help="费用明细流水号"),
    claim_no: str = typer.Option(None, help="零星报销号"),
    note: str = typer.Option(None, help="说明"),
    by: str = BY,
) -> None:
    """人工新增审核条目。Open a manual review item on a settlement, a line or a cash claim."""
    container = bootstrap()
    with refusals(), container.uow(_actor(by)) as uow:
        item = service.add_item(
            uow=uow, decl_no=decl_no, setl_id=setl_id, bkkp_sn=bkkp_sn, claim_no=claim_no, note=note
        )
    console.print(f"[green]已新增审核条目[/green] {item.id}（申报金额 {fen_to_yuan(item.declared_fen)} 元）")


@app.command("import-findings")
def import_findings(
    path: Path = typer.Argument(None, exists=True, dir_okay=False, help="findings.parquet 或 findings.csv"),
    run: str = typer.Option(None, "--run", help="或：智能监控运行号 a monitoring run number"),
    admdvs: str = typer.Option(..., help="统筹区"),
    period: str = typer.Option(..., help="申报月份 YYYY-MM"),
    by: str = BY,
) -> None:
    """导入智能监控发现（文件或运行号），生成待审核条目。Import monitoring findings as pending items."""
    container = bootstrap()
    with refusals(), container.uow(_actor(by)) as uow:
        if run:
            result = service.import_run_findings(uow=uow, run_no=run, admdvs=admdvs, period=period)
        elif path is not None:
            rows = service.read_findings_file(path.name, path.read_bytes())
            result = service.import_findings(uow=uow, admdvs=admdvs, period=period, rows=rows)
        else:
            raise invalid("REQUIRED", "path", "请给出发现文件路径或 --run 监控运行号")
    console.print(f"[green]已生成[/green] {result.created} 条审核条目，跳过 {result.skipped_total} 条")
    for finding_id, why in result.skipped[:50]:
        console.print(f"  {finding_id}: {why}")


@app.command("decide")
def decide(
    item_id: int = typer.Argument(..., help="审核条目号"),
    action: str = typer.Argument(..., help="deduct 拒付 / clear 通过 / uphold 复审维持 / overturn 复审撤销"),
    reason: str = typer.Option(None, help="拒付原因: " + "/".join(r.value for r in Reason)),
    amount: str = typer.Option(None, help="拒付金额（元）；默认为建议金额"),
    note: str = typer.Option(None, help="审核意见"),
    by: str = BY,
) -> None:
    """审核决定。Decide an item (first review, or second review of an appeal)."""
    container = bootstrap()
    with refusals(), container.uow(_actor(by)) as uow:
        item = service.decide(
            uow=uow,
            item_id=item_id,
            action=action,
            reason_code=reason,
            amount_fen=yuan_to_fen(amount, field="amount") if amount is not None else None,
            note=note,
        )
    status = ITEM_STATUS_ZH[ItemStatus(item.status)]
    due = f"，回复期限 {item.answer_due}" if item.status == "deducted" else ""
    reason_text = REASON_ZH[Reason(item.reason_code)] if item.reason_code else ""
    console.print(
        f"[green]{status}[/green] 条目 {item.id} {reason_text} 拒付 {fen_to_yuan(item.refused_fen)} 元 "
        f"× {item.multiplier} = {fen_to_yuan(item.total_fen)} 元{due}"
    )


@app.command("decide-all")
def decide_all(
    decl_no: str = typer.Argument(..., help="申报单号"),
    action: str = typer.Argument(..., help="deduct 按建议拒付 / clear 通过"),
    note: str = typer.Option(None, help="审核意见"),
    by: str = BY,
) -> None:
    """对申报单的全部待审核条目按建议拒付或通过。Decide every pending item of a declaration at once."""
    container = bootstrap()
    with refusals(), container.uow(_actor(by)) as uow:
        result = service.decide_batch(uow=uow, decl_no=decl_no, action=action, note=note)
    console.print(f"[green]已处理[/green] {len(result.done)} 条")


@app.command("accept-all")
def accept_all(decl_no: str = typer.Argument(..., help="申报单号"), by: str = BY) -> None:
    """机构认可申报单中全部待回复的拒付。Accept every deduction awaiting the institution's answer."""
    container = bootstrap()
    with refusals(), container.uow(_actor(by)) as uow:
        result = service.accept_all(uow=uow, decl_no=decl_no)
    console.print(f"[green]已认可[/green] {len(result.done)} 条")


@app.command("answer")
def answer(
    item_id: int = typer.Argument(..., help="审核条目号"),
    action: str = typer.Argument(..., help="accept 认可 / appeal 申诉"),
    note: str = typer.Option(None, help="回复意见或申诉理由"),
    by: str = BY,
) -> None:
    """机构回复拒付。The institution's answer to a deduction."""
    container = bootstrap()
    with refusals(), container.uow(_actor(by)) as uow:
        item = service.answer(uow=uow, item_id=item_id, action=action, note=note)
    console.print(f"[green]{ITEM_STATUS_ZH[ItemStatus(item.status)]}[/green] 条目 {item.id}")


@app.command("appeal")
def appeal(
    item_id: int = typer.Argument(..., help="审核条目号"),
    note: str = typer.Option(..., help="申诉理由"),
    by: str = BY,
) -> None:
    """机构申诉（复审由另一名审核人员办理）。Appeal a deduction."""
    container = bootstrap()
    with refusals(), container.uow(_actor(by)) as uow:
        item = service.answer(uow=uow, item_id=item_id, action="appeal", note=note)
    console.print(f"[green]已申诉[/green] 条目 {item.id}，等待复审")


@app.command("return")
def return_(
    decl_no: str = typer.Argument(..., help="申报单号"),
    reason: str = typer.Option(..., help="退回原因"),
    by: str = BY,
) -> None:
    """退回未开始审核的申报单，机构可重新申报。Return a declaration so the month can be declared again."""
    container = bootstrap()
    with refusals(), container.uow(_actor(by)) as uow:
        decl = service.return_declaration(uow=uow, decl_no=decl_no, reason=reason)
    console.print(f"[green]已退回[/green] {decl_no}（保存为 {decl.decl_no}）")


@app.command("complete")
def complete(decl_no: str = typer.Argument(..., help="申报单号"), by: str = BY) -> None:
    """完成初审（不能有待审核条目）。Finish the first review of a declaration."""
    container = bootstrap()
    with refusals(), container.uow(_actor(by)) as uow:
        decl = service.complete_review(uow=uow, decl_no=decl_no)
    console.print(f"[green]审核完成[/green] {decl.decl_no} 状态 {decl.status}")


@app.command("close-overdue")
def close_overdue(
    today: str = typer.Option(None, help="按此日期计算（默认今天，北京时间） yyyy-MM-dd"),
) -> None:
    """逾期未回复的拒付视同认可（每日任务）。Apply silence to deductions past their answer deadline."""
    container = bootstrap()
    with refusals(), container.uow(_actor(None)) as uow:
        moved = service.close_overdue(uow=uow, today=parse_date(today, field="today", required=False))
    console.print(f"[green]逾期视同认可[/green] {moved} 条")


@app.command("export")
def export(
    decl_no: str = typer.Argument(..., help="申报单号"),
    out: Path = typer.Option(..., help="输出 Excel 文件 Output .xlsx"),
) -> None:
    """导出审核结果（Excel）。Export a declaration's review result."""
    container = bootstrap()
    with refusals(), container.uow(_actor(None)) as uow:
        data = service.export_declaration(uow=uow, decl_no=decl_no)
    out.write_bytes(data)
    console.print(f"[green]已导出[/green] {out}")


@app.command("deductions")
def deductions(
    admdvs: str = typer.Argument(..., help="统筹区"),
    period: str = typer.Argument(..., help="申报月份 YYYY-MM"),
) -> None:
    """列出已确认拒付（清算使用）。Final deductions of a region's month (what clearing withholds)."""
    container = bootstrap()
    with refusals(), container.uow(_actor(None)) as uow:
        rows = service.confirmed_deductions(uow=uow, admdvs=admdvs, period=period)
    table = Table("机构", "结算ID", "原因", "扣款(元)")
    for r in rows:
        table.add_row(r.fixmedins_code, r.setl_id or "（零星报销）", r.reason_code, fen_to_yuan(r.amount_fen))
    table.add_row("合计", "", "", fen_to_yuan(sum(r.amount_fen for r in rows)))
    console.print(table)


@app.command("holiday")
def holiday(
    day: str = typer.Argument(..., help="日期 yyyy-MM-dd"),
    kind: str = typer.Option("holiday", help="holiday 节假日 / workday 调休上班"),
    name: str = typer.Option(None, help="名称，如 国庆节"),
) -> None:
    """登记节假日或调休工作日（计算回复期限）。Mark a holiday or an adjusted working day."""
    container = bootstrap()
    with refusals(), container.uow(_actor(None)) as uow:
        row = service.set_calendar_day(uow=uow, day=require_date(day, field="day"), kind=kind, name=name)
    console.print(f"[green]已登记[/green] {row.day} {row.kind} {row.name or ''}")


@app.command("params")
def params(
    admdvs: str = typer.Argument(..., help="统筹区"),
    begin: str = typer.Option(None, help="新参数的开始日期 yyyy-MM-dd（不填则只列出）"),
    end: str = typer.Option(None, help="结束日期（含），不填为长期"),
    declare_by_day: int = typer.Option(5, help="每月几日前申报"),
    answer_working_days: int = typer.Option(5, help="机构回复期限（工作日）"),
    repeat_multipliers: str = typer.Option("2,3,4,5", help="重复违规倍数（每个2–5，不递减）"),
    repeat_window_months: int = typer.Option(12, help="重复违规回溯月数"),
    absent_multiplier: int = typer.Option(10, help="查房不在床且无记录倍数"),
    by: str = BY,
) -> None:
    """列出或设置统筹区审核参数（有效期不重叠）。List or set a region's review parameters."""
    container = bootstrap()
    with refusals(), container.uow(_actor(by)) as uow:
        if begin:
            service.set_parameters(
                uow=uow,
                admdvs=admdvs,
                begin=require_date(begin, field="begin"),
                end=parse_date(end, field="end", required=False),
                declare_by_day=declare_by_day,
                answer_working_days=answer_working_days,
                repeat_multipliers=repeat_multipliers,
                repeat_window_months=repeat_window_months,
                absent_multiplier=absent_multiplier,
            )
    with refusals(), container.uow(_actor(by)) as uow:
        rows = service.list_parameters(uow=uow, admdvs=admdvs)
    table = Table("开始", "结束", "申报截止日", "回复工作日", "重复倍数", "回溯月数", "不在床倍数")
    for r in rows:
        table.add_row(
            str(r.begin),
            str(r.end or "长期"),
            str(r.declare_by_day),
            str(r.answer_working_days),
            r.repeat_multipliers,
            str(r.repeat_window_months),
            str(r.absent_multiplier),
        )
    console.print(
        table if rows else "未设置参数，使用默认值：5日申报、5个工作日回复、2,3,4,5倍、12个月、10倍"
    )
