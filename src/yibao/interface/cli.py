"""`yibao interface`: credentials of institutions, a simulated HIS, the transaction table of the docs."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, err_console, refusals
from yibao.core.clock import LOCAL_TZ
from yibao.interface import service
from yibao.interface.his_sim import SimulatedHis, inpatient, outpatient, pharmacy
from yibao.interface.nhsa import spec
from yibao.interface.nhsa.registry import HANDLERS, LIMITED, NOT_ENABLED, PARTIAL

NAME = "interface"
app = typer.Typer(
    help="国家医保接口（定点医药机构） National interface for institutions", no_args_is_help=True
)
credentials = typer.Typer(help="接入密钥 Institution credentials", no_args_is_help=True)
app.add_typer(credentials, name="credentials")


@credentials.command("create")
def create(fixmedins_code: str = typer.Argument(..., help="定点医药机构编号 Institution code")) -> None:
    """为机构签发接入密钥（密钥明文仅显示一次）。Issue an access key and secret (the secret is shown once)."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        created = service.create_credential(
            uow=uow, fixmedins_code=fixmedins_code, secret_key=container.settings.secret_key
        )
    console.print(f"access_key: {created.credential.access_key}")
    console.print(f"secret: {created.secret}")


@credentials.command("list")
def list_(q: str = typer.Option(None, help="按机构编号或接入密钥查询 Search")) -> None:
    """列出接入密钥（不显示密钥明文）。List credentials (secrets are never shown)."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        page = service.list_credentials(uow=uow, q=q, page=1, size=500)
    for c in page.items:
        state = "有效" if c.active else "停用"
        console.print(
            f"{c.access_key}  {c.fixmedins_code}  {c.admdvs}  {state}  {c.created_at:%Y-%m-%d %H:%M}"
        )


@credentials.command("revoke")
def revoke(access_key: str = typer.Argument(..., help="接入密钥 Access key")) -> None:
    """停用接入密钥。Revoke a credential."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        service.revoke_credential(uow=uow, access_key=access_key)
    console.print(f"[green]已停用[/green] {access_key}")


def _lines(items: list[str]) -> list[tuple[str, str, str]]:
    out = []
    for item in items:
        code, price, cnt = [*item.split(":"), "1"][:3]
        out.append((code, price, cnt))
    return out


@app.command("his-sim")
def his_sim(
    access_key: str = typer.Option(..., help="接入密钥 Access key"),
    secret: str = typer.Option(..., help="密钥 Secret", envvar="YIBAO_HIS_SECRET"),
    fixmedins_code: str = typer.Option(..., help="定点医药机构编号 Institution code"),
    psn_no: str = typer.Option(..., help="参保人编号 Person number"),
    url: str = typer.Option("http://127.0.0.1:8000", help="服务地址 Server base URL"),
    flow: str = typer.Option("both", help="流程 outpatient / inpatient / both / pharmacy (药店购药)"),
    rounds: int = typer.Option(1, min=1, max=100_000, help="重复次数 Rounds"),
    day: str = typer.Option(None, help="就诊日期 Visit day yyyy-MM-dd (default today)"),
    end_day: str = typer.Option(None, help="出院日期 Discharge day yyyy-MM-dd (default: the visit day)"),
    line: list[str] = typer.Option(["ZL001:30.00:1"], help="费用明细 Fee line code:price:count (repeatable)"),
    diagnosis: str = typer.Option("J18.900", help="住院主诊断 Principal diagnosis"),
    procedure: str = typer.Option("", help="出院时的主要手术（ICD-9-CM-3）Main procedure sent with 2402"),
    reverse: bool = typer.Option(False, help="结算后撤销 Reverse each settlement"),
) -> None:
    """模拟医院HIS：签名调用门诊/住院流程并统计耗时。Simulated HIS: signed outpatient/inpatient flows."""
    visit_day = day or datetime.now(LOCAL_TZ).date().isoformat()
    his = SimulatedHis(base_url=url, access_key=access_key, secret=secret, fixmedins_code=fixmedins_code)
    failures = 0
    try:
        his.sign_in()
        for _ in range(rounds):
            try:
                if flow in ("outpatient", "both"):
                    outpatient(his, psn_no=psn_no, day=visit_day, lines=_lines(line), reverse=reverse)
                if flow == "pharmacy":
                    pharmacy(his, psn_no=psn_no, day=visit_day, lines=_lines(line), reverse=reverse)
                if flow in ("inpatient", "both"):
                    inpatient(
                        his,
                        psn_no=psn_no,
                        day=visit_day,
                        end_day=end_day or visit_day,
                        lines=_lines(line),
                        diagnosis=diagnosis,
                        reverse=reverse,
                        procedure=procedure or None,
                    )
            except RuntimeError as exc:
                failures += 1
                err_console.print(f"[red]错误[/red] {exc}")
            except Exception as exc:  # a network failure ends the run with a message
                err_console.print(f"[red]错误[/red] 无法连接 {url}：{exc}")
                raise typer.Exit(2) from exc
    finally:
        his.close()
    by_infno: dict[str, list[float]] = defaultdict(list)
    for step in his.steps:
        by_infno[step.infno].append(step.millis)
    table = Table("infno", "次数", "p50 ms", "max ms")
    for infno, times in sorted(by_infno.items()):
        times.sort()
        table.add_row(infno, str(len(times)), f"{times[len(times) // 2]:.1f}", f"{times[-1]:.1f}")
    console.print(table)
    if failures:
        raise typer.Exit(2)


STATES = {
    "implemented": "已实现 implemented",
    "partial": "校验后拒绝 checked, then refused",
    "refused": '拒绝"未开通" refused "not enabled"',
    "todo": "未实现 not yet",
}


@app.command("spec-table")
def spec_table(
    output: Path = typer.Option(None, help="写入文件 Write to this file (default: print)"),
) -> None:
    """生成规范全部交易的状态表（Markdown）。Table of every transaction of the spec with its state."""
    container = bootstrap()
    transactions = spec.load(container.settings.reference_dir)
    rows = ["| infno | 交易名称 | 状态 state |", "| --- | --- | --- |"]
    for infno, transaction in transactions.items():
        if infno in PARTIAL:
            state = STATES["partial"]
        elif infno in LIMITED:
            state = f"部分实现 limited: {LIMITED[infno]}"
        elif infno in HANDLERS:
            state = STATES["implemented"]
        elif infno in NOT_ENABLED:
            state = STATES["refused"]
        else:
            state = STATES["todo"]
        rows.append(f"| {infno} | {transaction.name.replace('|', '/')} | {state} |")
    text = "\n".join(rows) + "\n"
    if output is None:
        console.print(text, markup=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"已写入 {output}（{len(transactions)} 个交易）")
