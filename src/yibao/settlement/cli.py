"""`yibao settlement`: read visits, settlements with their explanation, and the year ledger."""

from __future__ import annotations

import typer
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, refusals
from yibao.core.validation import parse_date, parse_local_moment, require_date
from yibao.domain.money import fen_to_yuan
from yibao.settlement import service

NAME = "settlement"
app = typer.Typer(help="结算 Real-time settlement", no_args_is_help=True)


@app.command("visit")
def visit(mdtrt_id: str = typer.Argument(..., help="就诊ID Visit id")) -> None:
    """显示就诊、费用明细和结算记录。Show a visit with its lines and settlements."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        view = service.get_visit(uow=uow, mdtrt_id=mdtrt_id)
    v = view.visit
    console.print(f"就诊 {v.mdtrt_id} 人员 {v.psn_no} 险种 {v.insutype} 医疗类别 {v.med_type}")
    console.print(f"机构 {v.fixmedins_code} 状态 {v.status}")
    lines = Table(
        "流水号",
        "机构编码",
        "医保编码",
        "数量",
        "金额(元)",
        "全自费",
        "超限价",
        "先行自付",
        "政策范围内",
        "状态",
    )
    for line in view.lines:
        lines.add_row(
            line.feedetl_sn,
            line.medins_list_codg,
            line.hilist_code or "未对码",
            str(line.cnt.normalize()),
            fen_to_yuan(line.amount),
            *(
                fen_to_yuan(x) if x is not None else ""
                for x in (line.fulamt_ownpay, line.overlmt_selfpay, line.preselfpay, line.inscp)
            ),
            line.status,
        )
    console.print(lines)
    for s in view.settlements:
        funds, cash = fen_to_yuan(s.fund_pay_sumamt), fen_to_yuan(s.psn_cash_pay)
        console.print(f"结算 {s.setl_id} {s.kind} {s.status} 基金 {funds} 现金 {cash}")


@app.command("show")
def show(setl_id: str = typer.Argument(..., help="结算ID Settlement id")) -> None:
    """显示结算单和每一笔金额的计算依据。Show a settlement and why each amount is what it is."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        view = service.get_settlement(uow=uow, setl_id=setl_id)
    s = view.settlement
    table = Table("项目", "金额(元)")
    for key in (
        "medfee_sumamt",
        "fulamt_ownpay_amt",
        "overlmt_selfpay",
        "preselfpay_amt",
        "inscp_scp_amt",
        "act_pay_dedc",
        "hifp_pay",
        "cvlserv_pay",
        "hifmi_pay",
        "maf_pay",
        "fund_pay_sumamt",
        "acct_pay",
        "psn_cash_pay",
    ):
        table.add_row(key, fen_to_yuan(getattr(s, key)))
    console.print(table)
    for item in view.trace:
        console.print(f"• {item['text']}  [dim]（{item['clause']}）[/dim]")


@app.command("ledger")
def ledger(
    psn_no: str = typer.Argument(..., help="人员编号 Person number"),
    insutype: str = typer.Option("310", help="险种 Scheme"),
    year: int = typer.Option(..., help="年度 Year"),
) -> None:
    """显示人员年度累计（起付线、封顶线、各层支付）。Show a person's year ledger."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        counters = service.ledger(uow=uow, psn_no=psn_no, insutype=insutype, year=year)
    table = Table("累计项", "金额(分)/次数")
    for counter, amount in sorted(counters.items()):
        table.add_row(counter, str(amount))
    console.print(table)


@app.command("register-chronic")
def register_chronic(
    psn_no: str = typer.Argument(..., help="人员编号 Person number"),
    disease_code: str = typer.Argument(..., help="慢特病病种编码 Disease code"),
    begin: str = typer.Option(..., help="开始日期 First day (yyyy-MM-dd)"),
    end: str = typer.Option(None, help="结束日期 Last day"),
) -> None:
    """登记门诊慢特病。Register a chronic or special outpatient disease."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        row = service.register_chronic(
            uow=uow,
            psn_no=psn_no,
            disease_code=disease_code,
            begin=require_date(begin, field="begin"),
            end=parse_date(end, field="end", required=False),
        )
    console.print(f"[green]已登记[/green] {row.psn_no} {row.disease_code} 自 {row.begin}")


@app.command("identity-check")
def identity_check(
    mdtrt_id: str = typer.Argument(..., help="就诊ID Visit id"),
    at: str = typer.Option(..., "--at", help="核验时间（北京时间）Time, yyyy-MM-dd HH:mm"),
    method: str = typer.Option("1", help="核验方式 1 人脸识别 / 2 指纹识别 / 3 证卡核对"),
    mismatch: bool = typer.Option(False, "--mismatch", help="人证不符 The person did not match"),
) -> None:
    """登记人证核验结果；不符的记录供冒名就医规则核查。Record an identity check at a visit."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        moment = parse_local_moment(at, field="at", label="核验时间")
        row = service.record_identity_check(
            uow=uow, mdtrt_id=mdtrt_id, check_time=moment, method=method, matched=not mismatch
        )
    result = "[green]人证相符[/green]" if row.matched else "[red]人证不符[/red]"
    console.print(f"已登记 {mdtrt_id} {service.IDENTITY_CHECK_METHODS[row.method]} {result}")
