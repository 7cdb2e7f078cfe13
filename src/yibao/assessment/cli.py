"""`yibao assessment`: agreement terms, purchase reports, assessments, credit grades, doctor points."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from yibao.assessment import service
from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, refusals
from yibao.core.validation import parse_date, require_date

NAME = "assessment"
app = typer.Typer(
    help="考核 Assessment: terms, purchase reports, scores, grades, doctor points", no_args_is_help=True
)


def _pct(bp: int) -> str:
    return f"{bp / 100:.2f}%"


@app.command("config")
def config(
    kind: str = typer.Argument(..., help="grades_1 / grades_2 / points"),
    admdvs: str = typer.Option(..., help="统筹区 Region"),
    begin: str = typer.Option(..., help="生效日期 First day"),
    file: Path = typer.Option(None, exists=True, readable=True, help="JSON 配置文件（默认典型配置）"),
) -> None:
    """设定本统筹区的信用等级表或扣分标准。Store a region's grade table or points table."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        body = json.loads(file.read_text("utf-8")) if file else service.default_body(kind)
        view = service.set_config(
            uow=uow, admdvs=admdvs, kind=kind, begin=require_date(begin, field="begin"), body=body
        )
    console.print(f"[green]已保存[/green] {view.kind_name} {view.admdvs} 自 {view.begin}")


@app.command("terms")
def terms(
    code: str = typer.Argument(..., help="定点机构编码 Institution"),
    year: int = typer.Option(..., help="年度 Year"),
    profile: str = typer.Option(None, help="general / specialist / pharmacy"),
) -> None:
    """按模板设定机构年度协议指标（含上年考核下浮）。Set a year's terms from a profile."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        view = service.set_terms(uow=uow, fixmedins_code=code, year=year, profile=profile)
    table = Table(
        "指标 Indicator", "名称", "目标 Target", "权重 Weight", "方法 Method", title=f"{view.name} {year}"
    )
    for t in view.terms:
        table.add_row(t.code, t.zh, str(t.target), str(t.weight), t.method)
    console.print(table)
    if view.lowered_bp:
        console.print(f"已按上年考核下浮 {_pct(view.lowered_bp)}")


@app.command("report")
def report(
    code: str = typer.Argument(..., help="定点机构编码 Institution"),
    period: str = typer.Option(..., help="月份 yyyy-MM"),
    file: Path = typer.Argument(..., exists=True, readable=True, help="采购月报 CSV/XLSX"),
) -> None:
    """导入药品采购月报（逐行校验，全部正确才保存）。Import a monthly purchase report."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        view = service.import_purchase_report(
            uow=uow, fixmedins_code=code, period=period, data=file.read_bytes(), filename=file.name
        )
    console.print(
        f"[green]已保存[/green] {view.fixmedins_code} {view.period} 第{view.version}版 {view.line_count} 行"
    )
    for key, zh in (("western", "西药"), ("patent", "中成药"), ("all", "目录内药品")):
        s = view.stock[key]
        console.print(f"{zh}备药率 {s['listed']}/{s['total']} = {_pct(s['rate_bp'])}")


@app.command("assess")
def assess(
    code: str = typer.Argument(..., help="定点机构编码 Institution"),
    period: str = typer.Option(..., help="yyyy-MM / yyyyQn / yyyy"),
    actual: list[str] = typer.Option([], help="人工录入 indicator=value（可多次）"),
    apply: bool = typer.Option(False, help="同时执行考核结果 Carry out the consequence today"),
) -> None:
    """考核评分、定信用等级（可同时执行处理）。Assess an institution for a period."""
    values: dict[str, int] = {}
    for item in actual:
        name, _sep, value = item.partition("=")
        if not value.strip().lstrip("-").isdigit():
            raise typer.BadParameter(f"{item!r} 应为 指标=整数")
        values[name.strip()] = int(value)
    container = bootstrap()
    with refusals(), container.uow() as uow:
        view = service.assess(uow=uow, fixmedins_code=code, period=period, actuals=values)
    if apply:
        with refusals(), container.uow() as uow:
            view = service.apply_consequence(uow=uow, fixmedins_code=code, period=period)
    table = Table("指标", "目标", "实际", "权重", "得分", "来源", title=f"{view.name} {view.period} 考核")
    for i in view.items:
        table.add_row(
            i["zh"],
            str(i["target"]),
            str(i["actual"]),
            str(i["weight"]),
            f"{i['points'] / 100:.2f}",
            i["source"],
        )
    console.print(table)
    console.print(
        f"总分 {view.score / 100:.2f}  信用等级 {view.grade}（{view.grade_label}）"
        f"  处理：{view.consequence_text}"
    )
    if view.applied_on:
        console.print(f"[yellow]已执行[/yellow] {view.applied_on}：{view.applied_note}")


@app.command("ranking")
def ranking(year: int = typer.Argument(..., help="年度 Year")) -> None:
    """年度考核排名。Yearly ranking by score."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        rows = service.ranking(uow=uow, year=year)
    table = Table("名次", "机构", "名称", "得分", "等级", title=f"{year} 年度考核排名")
    for n, r in enumerate(rows, start=1):
        table.add_row(str(n), r.fixmedins_code, r.name, f"{r.score / 100:.2f}", r.grade)
    console.print(table)


@app.command("points")
def points(
    dr_code: str = typer.Argument(..., help="医师执业编码 Doctor"),
    violation: str = typer.Option(None, help="违规类型（留空只查看）"),
    day: str = typer.Option(None, help="违规日期（默认今天）"),
) -> None:
    """医保医师扣分或查看年度积分。Deduct a doctor's points, or show them."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        if violation:
            when = parse_date(day, field="day", required=False) or service.today()
            entry = service.deduct_points(uow=uow, dr_code=dr_code, violation=violation, day=when)
            console.print(
                f"扣 {entry.points} 分，{entry.year} 年累计 {entry.year_total} 分，结果：{entry.outcome}"
            )
        view = service.doctor_points(uow=uow, dr_code=dr_code)
    console.print(
        f"{view.name} {view.dr_code} {view.year}年 扣分 {view.points}"
        f"（{view.suspend_at}分暂停）资格：{view.status}"
    )


@app.command("reset")
def reset(
    admdvs: str = typer.Option(..., help="统筹区"), year: int = typer.Option(..., help="新年度")
) -> None:
    """年度积分清零。Start a new year's points at zero."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        count = service.reset_year(uow=uow, admdvs=admdvs, year=year)
    console.print(f"已清零 {count} 名医师")
