"""`yibao payment …` (payment tables, methods, clearing) and `yibao drg group` (the CHS-DRG grouper)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yibao.bootstrap import bootstrap
from yibao.core.cli_support import console, err_console, refusals
from yibao.core.validation import parse_date, require_date
from yibao.domain.money import fen_to_yuan
from yibao.payment import service

NAME = "payment"
app = typer.Typer(help="支付方式与清算 Payment methods and clearing", no_args_is_help=True)
drg_app = typer.Typer(help="CHS-DRG 1.1 分组器 DRG grouper", no_args_is_help=True)
MORE_APPS = {"drg": drg_app}


@drg_app.command("group")
def group(
    input: Path = typer.Option(..., "--input", exists=True, dir_okay=False, help="病案 CSV Input cases"),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="分组结果 CSV Output"),
    table: str = typer.Option(None, "--table", help="付费标准（如 北京2022）填写 RW Regional table for RW"),
    reference: Path = typer.Option(None, "--reference", help="参考数据目录 Reference folder"),
) -> None:
    """对病案分组（主要诊断在前，编码以 | 分隔）。Group discharges into CHS-DRG 1.1 groups."""
    with refusals():
        reference_dir = reference or bootstrap().settings.reference_dir
        rates = service.reference_rates(reference_dir, table) if table else None
        text, summary = service.group_csv(
            reference_dir=reference_dir, text=input.read_text(encoding="utf-8-sig"), rates=rates
        )
    out.write_text(text, encoding="utf-8")
    console.print(
        f"[green]已分组[/green] {summary.cases} 例：入组 {summary.grouped}，歧义组 {summary.ambiguous}，"
        f"未入组（数据错误） {summary.errors} → {out}"
    )
    for code, count in sorted(summary.by_error.items()):
        err_console.print(f"  {code}: {count}")


tables_app = typer.Typer(help="DRG 付费标准 Regional DRG payment tables", no_args_is_help=True)
app.add_typer(tables_app, name="tables")


@tables_app.command("load")
def tables_load(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="付费标准 CSV"),
    admdvs: str = typer.Option(..., help="统筹区 Pooling region"),
    begin: str = typer.Option(..., help="开始日期 yyyy-MM-dd"),
    end: str = typer.Option(None, help="结束日期 yyyy-MM-dd"),
    name: str = typer.Option(None, help="名称（默认文件名）Name"),
) -> None:
    """导入一个地区的付费标准为新版本。Load one regional payment table as a new version."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        table = service.load_table(
            uow=uow,
            admdvs=admdvs,
            name=name or file.stem,
            text=file.read_text(encoding="utf-8-sig"),
            begin=require_date(begin, field="begin"),
            end=parse_date(end, field="end", required=False),
            source=file.name,
        )
        console.print(f"[green]已导入[/green] {table.name} {table.row_count} 个病组（编号 {table.id}）")


@tables_app.command("load-reference")
def tables_load_reference(admdvs: str = typer.Option(..., help="统筹区 Pooling region")) -> None:
    """导入参考数据中的 27 个地区付费标准。Load the 27 published tables of the reference data."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        loaded = service.load_reference_tables(
            uow=uow, admdvs=admdvs, reference_dir=container.settings.reference_dir
        )
        console.print(f"[green]已导入[/green] {len(loaded)} 个付费标准")


@tables_app.command("list")
def tables_list(admdvs: str = typer.Option(None, help="统筹区 Pooling region")) -> None:
    """列出付费标准版本。List payment table versions."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        rows = service.list_tables(uow=uow, admdvs=admdvs)
        table = Table("编号", "统筹区", "名称", "有效期", "病组数", "来源")
        for t in rows:
            table.add_row(
                str(t.id), t.admdvs, t.name, f"{t.begin}—{t.end or '长期'}", str(t.row_count), t.source
            )
    console.print(table)


@app.command("set-method")
def set_method(
    admdvs: str = typer.Option(..., help="统筹区 Pooling region"),
    method: str = typer.Option(
        ..., help="fee_for_service/drg/dip/per_diem/capitation/single_disease/global_budget"
    ),
    begin: str = typer.Option(..., help="开始日期 yyyy-MM-dd"),
    end: str = typer.Option(None, help="结束日期 yyyy-MM-dd"),
    institution: str = typer.Option(None, help="定点机构编码（空=统筹区默认）Institution"),
    insutype: str = typer.Option(None, help="险种（空=全部）Scheme"),
    params: str = typer.Option("{}", help='参数 JSON，如 {"table":"北京2022","base_rate_fen":1200000}'),
) -> None:
    """设置支付方式及其参数。Configure a payment method for a region or an institution."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        terms = service.params_from_text(params)
        row = service.set_method(
            uow=uow,
            admdvs=admdvs,
            method=method,
            params=terms,
            begin=require_date(begin, field="begin"),
            end=parse_date(end, field="end", required=False),
            fixmedins_code=institution,
            insutype=insutype,
        )
        console.print(f"[green]已设置[/green] 支付方式 {row.method}（编号 {row.id}）")


@app.command("clear")
def clear(
    admdvs: str = typer.Option(..., help="统筹区 Pooling region"),
    period_kind: str = typer.Option(..., "--kind", help="month/quarter/year"),
    period: str = typer.Option(..., help="2025-03 / 2025Q1 / 2025"),
    excel: Path = typer.Option(None, "--excel", dir_okay=False, help="清算单 Excel 输出 Statement .xlsx"),
    pdf: Path = typer.Option(None, "--pdf", dir_okay=False, help="清算单 PDF 输出 Statement .pdf"),
) -> None:
    """清算（月预拨、季度结算、年度清算）并生成拨付单。Run a clearing and issue payment orders."""
    container = bootstrap()
    with refusals(), container.uow() as uow:
        clearing = service.run_clearing(
            uow=uow,
            admdvs=admdvs,
            period_kind=period_kind,
            period=period,
            reference_dir=container.settings.reference_dir,
        )
        _, lines, _ = service.get_clearing(uow=uow, clearing_id=clearing.id)
        table = Table(*service.STATEMENT_HEADERS)
        for row in service.statement_rows(lines):
            table.add_row(*(str(c) for c in row))
        console.print(
            f"清算 {clearing.id}：{clearing.admdvs} {clearing.period}"
            f"（扣款来源 {clearing.deductions_source}）"
        )
        console.print(table)
        if excel:
            excel.write_bytes(service.statement_xlsx(uow=uow, clearing_id=clearing.id))
            console.print(f"[green]清算单[/green] {excel}")
        if pdf:
            pdf.write_bytes(service.statement_pdf(uow=uow, clearing_id=clearing.id))
            console.print(f"[green]清算单[/green] {pdf}")
        check = service.reconcile(uow=uow, clearing_id=clearing.id)
        state = "[green]平衡[/green]" if check.balanced else "[red]不平衡[/red]"
        console.print(
            f"对账 {state}：结算 {fen_to_yuan(check.settlements_fen)} 元，"
            f"申报 {fen_to_yuan(check.declared_fen)} 元；"
            f"拨付 {fen_to_yuan(check.orders_fen)} 元"
        )


@app.command("statement")
def statement(
    clearing_id: int = typer.Argument(..., help="清算编号 Clearing id"),
    pdf: Path = typer.Option(None, "--pdf", dir_okay=False, help="清算单 PDF 输出 Statement .pdf"),
    excel: Path = typer.Option(None, "--excel", dir_okay=False, help="清算单 Excel 输出 Statement .xlsx"),
    institution: str = typer.Option(None, "--institution", help="只输出该定点机构 One institution only"),
) -> None:
    """导出已有清算的清算单（PDF/Excel，全部或单个机构）。Write a clearing's statement."""
    if not pdf and not excel:
        err_console.print("[red]错误 REQUIRED[/red]: 请至少给出 --pdf 或 --excel")
        raise typer.Exit(2)
    container = bootstrap()
    with refusals(), container.uow() as uow:
        if pdf:
            pdf.write_bytes(
                service.statement_pdf(uow=uow, clearing_id=clearing_id, fixmedins_code=institution)
            )
            console.print(f"[green]清算单[/green] {pdf}")
        if excel:
            excel.write_bytes(
                service.statement_xlsx(uow=uow, clearing_id=clearing_id, fixmedins_code=institution)
            )
            console.print(f"[green]清算单[/green] {excel}")


@drg_app.command("group-dataset")
def group_dataset(
    dataset: Path = typer.Option(..., "--dataset", exists=True, file_okay=False, help="WAREHOUSE 数据集目录"),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="分组结果 CSV Output"),
) -> None:
    """对数据集中全部住院结算分组。Group every inpatient settlement of a WAREHOUSE data set."""
    import csv

    from yibao.payment import lookup, warehouse

    with refusals():
        rows = warehouse.group_dataset(dataset, lookup.grouper(bootstrap().settings.reference_dir))
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("setl_id", "mdc", "adrg", "drg", "drg_name", "reason", "error_code"))
        writer.writerows(rows)
    errors = sum(1 for r in rows if r[3] == "0000")
    console.print(f"[green]已分组[/green] {len(rows)} 例住院结算，未入组 {errors} → {out}")


@app.command("dip-clear")
def dip_clear(
    dataset: Path = typer.Option(..., "--dataset", exists=True, file_okay=False, help="WAREHOUSE 数据集目录"),
    year: int = typer.Option(..., help="清算年度 Year"),
    budget_yuan: str = typer.Option(..., "--budget-yuan", help="年度 DIP 预算（医疗总费用口径，元）"),
    threshold: int = typer.Option(15, help="核心病种病例数阈值 Core packet threshold"),
    excel: Path = typer.Option(None, "--excel", dir_okay=False, help="结果 Excel Output .xlsx"),
) -> None:
    """DIP 年度清算：病种分值、预算点值、结算点值与各机构应付。Annual DIP clearing of a data set."""
    from yibao.core.excel import write_xlsx
    from yibao.domain.money import yuan_to_fen
    from yibao.payment import warehouse

    with refusals():
        result = warehouse.dip_clear(
            dataset, year=year, budget_fen=yuan_to_fen(budget_yuan, field="budget_yuan"), threshold=threshold
        )
    console.print(
        f"{result.year} 年：病种 {result.packets} 个（核心 {result.core_packets}），"
        f"预算点值 {result.budget_point_value:.4f} 分，结算点值 {result.settlement_point_value:.4f} 分"
    )
    headers = ("定点机构编码", "病例数", "总分值", "月预结(元)", "年度清算(元)", "应付(元)")
    rows = [
        (
            i.fixmedins_code,
            i.cases,
            f"{i.points:.4f}",
            fen_to_yuan(i.prepaid_fen),
            fen_to_yuan(i.annual_fen),
            fen_to_yuan(i.payable_fen),
        )
        for i in result.institutions
    ]
    table = Table(*headers)
    for row in rows:
        table.add_row(*(str(c) for c in row))
    console.print(table)
    if excel:
        excel.write_bytes(write_xlsx("DIP清算", headers, rows))
        console.print(f"[green]已导出[/green] {excel}")
