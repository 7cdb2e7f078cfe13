"""The clearing statement as a printable PDF (清算单): the run's summary table and one section per
institution with its figures, how the method amount was reached and its payment order.

Chinese text uses reportlab's built-in CID font STSong-Light, so no font file is needed on the
machine. Every amount is printed from integer fen by `fen_to_yuan`, the same text the Excel
statement carries.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from yibao.domain.money import fen_to_yuan
from yibao.payment.models import Clearing, ClearingLine, PaymentOrder

FONT = "STSong-Light"
KIND_NAMES = {"month": "月度预拨", "quarter": "季度结算", "year": "年度清算"}
METHOD_NAMES = {
    "fee_for_service": "按项目付费",
    "drg": "按病组付费 DRG",
    "dip": "按病种分值付费 DIP",
    "per_diem": "按床日付费",
    "capitation": "按人头付费",
    "single_disease": "单病种付费",
    "global_budget": "总额控制",
}
SOURCE_NAMES = {"review": "审核扣款（审核模块）", "given": "清算时录入", "none": "无"}
_DETAIL_MONEY = {
    "outpatient_fen": "门诊申报",
    "inpatient_declared_fen": "住院申报",
}
_BUDGET_LABELS = {
    "budget_fen": "年度总额",
    "recognised_admissions": "认可住院人次",
    "actual_fen": "认可住院基金",
    "overrun_fen": "超总额",
    "institution_share_fen": "机构分担",
    "fund_share_fen": "基金分担",
    "savings_fen": "结余",
    "carried_fen": "结转",
    "payable_fen": "基金年度应付",
}
_WIDTHS = (34 * mm, 30 * mm, 16 * mm, 28 * mm, 28 * mm, 32 * mm, 28 * mm, 28 * mm, 32 * mm)


@cache
def _font() -> None:
    """Register the CID font once per process."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


@dataclass(frozen=True)
class Reconciled:
    """The reconciliation figures printed under the summary (fen)."""

    settlements_fen: int
    declared_fen: int
    deductions_fen: int
    deducted_fen: int
    orders_fen: int
    payable_fen: int
    balanced: bool


def _styles() -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    title = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, alignment=1)
    heading = ParagraphStyle("heading", fontName=FONT, fontSize=12, leading=18, spaceBefore=6)
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13)
    return title, heading, body


def _grid(data: Sequence[Sequence[Any]], widths: Sequence[float] | None = None) -> Table:
    table = Table([[str(c) for c in row] for row in data], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EAF0F8")),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


_CHART_MAX = 30  # institutions drawn on the summary chart


def _chart(lines: Sequence[ClearingLine]) -> Drawing:
    """Declared, deducted and payable per institution as bars (fen values, yuan on the axis)."""
    drawing = Drawing(250 * mm, 62 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 20 * mm, 8 * mm, 190 * mm, 50 * mm
    chart.data = [
        [line.declared for line in lines],
        [line.deducted for line in lines],
        [line.payable for line in lines],
    ]
    chart.categoryAxis.categoryNames = [line.fixmedins_code for line in lines]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.labelTextFormat = lambda v: fen_to_yuan(int(v))
    palette = (colors.HexColor("#5470C6"), colors.HexColor("#EE6666"), colors.HexColor("#91CC75"))
    for i, colour in enumerate(palette):
        chart.bars[i].fillColor = colour
    legend = Legend()
    legend.x, legend.y = 215 * mm, 50 * mm
    legend.fontName = FONT
    legend.fontSize = 7
    legend.colorNamePairs = list(zip(palette, ("申报(元)", "扣款(元)", "应付(元)"), strict=True))
    drawing.add(chart)
    drawing.add(legend)
    return drawing


def _detail_rows(detail: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    for key, label in _DETAIL_MONEY.items():
        if key in detail:
            rows.append([label, f"{fen_to_yuan(int(detail[key]))} 元"])
    if "bed_days" in detail:
        rows.append(["床日数", str(detail["bed_days"])])
    if "capitation_months" in detail:
        rows.append(["按人头月数", str(detail["capitation_months"])])
    if "prepay_ratio" in detail:
        rows.append(["预拨比例", str(detail["prepay_ratio"])])
    if detail.get("drg_cases"):
        cases = ", ".join(f"{k} × {v}" for k, v in sorted(detail["drg_cases"].items()))
        rows.append(["病组病例", cases])
    dip = detail.get("dip")
    if isinstance(dip, dict):
        rows.append(["DIP 总分值", str(dip.get("points", ""))])
        rows.append(["DIP 点值（分/分值）", str(dip.get("point_value", ""))])
        rows.append(["DIP 点值类型", str(dip.get("point_value_kind", ""))])
    budget = detail.get("budget")
    if isinstance(budget, dict):
        for key, label in _BUDGET_LABELS.items():
            if key in budget:
                value = budget[key]
                rows.append([label, f"{fen_to_yuan(int(value))} 元" if key.endswith("_fen") else str(value)])
    for indicator in detail.get("indicators") or []:
        verdict = "达标" if indicator.get("passed") else "未达标"
        value = f"{indicator.get('value')}（限值 {indicator.get('limit')}，{verdict}）"
        rows.append([f"指标 {indicator.get('name')}", value])
    return rows


def clearing_pdf(
    *,
    clearing: Clearing,
    lines: Sequence[ClearingLine],
    orders: Sequence[PaymentOrder],
    headers: Sequence[str],
    rows: Sequence[Sequence[str | int]],
    check: Reconciled | None,
) -> bytes:
    """Render the statement: header, summary (same rows as the Excel), reconciliation, one
    section per institution with its payment order."""
    _font()
    title, heading, body = _styles()
    kind = KIND_NAMES.get(clearing.period_kind, clearing.period_kind)
    source = SOURCE_NAMES.get(clearing.deductions_source, clearing.deductions_source)
    story: list[Flowable] = [
        Paragraph(f"医疗保障基金清算单（{kind}）", title),
        Spacer(1, 4 * mm),
        Paragraph(
            f"统筹区 {clearing.admdvs}　期间 {clearing.period}（{clearing.begin} 至 {clearing.end}）"
            f"　清算编号 {clearing.id}　扣款来源 {source}",
            body,
        ),
        Paragraph(f"金额单位：元　生成人 {clearing.created_by}　状态 {clearing.status}", body),
        Spacer(1, 3 * mm),
        Paragraph("一、汇总", heading),
        _grid([list(headers), *rows], _WIDTHS),
    ]
    if check is not None:
        verdict = "平衡" if check.balanced else "不平衡"
        story += [
            Paragraph("二、对账", heading),
            _grid(
                [
                    ["项目", "来源合计(元)", "清算单合计(元)"],
                    ["基金支付 / 申报", fen_to_yuan(check.settlements_fen), fen_to_yuan(check.declared_fen)],
                    ["审核扣款", fen_to_yuan(check.deductions_fen), fen_to_yuan(check.deducted_fen)],
                    ["拨付单 / 本次应付", fen_to_yuan(check.orders_fen), fen_to_yuan(check.payable_fen)],
                ],
                (60 * mm, 45 * mm, 45 * mm),
            ),
            Paragraph(f"对账结果：{verdict}", body),
        ]
    if 1 < len(lines) <= _CHART_MAX:
        story += [Spacer(1, 3 * mm), _chart(lines)]
    order_of = {o.fixmedins_code: o for o in orders}
    for line in lines:
        order = order_of.get(line.fixmedins_code)
        detail = json.loads(line.detail or "{}")
        story += [
            PageBreak(),
            Paragraph(f"定点机构 {line.fixmedins_code} 清算单（{kind} {clearing.period}）", heading),
            _grid(
                [
                    ["项目", "金额(元)"],
                    ["支付方式", METHOD_NAMES.get(line.method, line.method)],
                    ["结算笔数", str(line.settlements)],
                    ["申报金额", fen_to_yuan(line.declared)],
                    ["审核扣款", fen_to_yuan(line.deducted)],
                    ["支付方式金额", fen_to_yuan(line.method_amount)],
                    ["超额分担", fen_to_yuan(line.sharing)],
                    ["已预拨", fen_to_yuan(line.prepaid)],
                    ["本次应付", fen_to_yuan(line.payable)],
                    ["拨付单号", order.order_no if order else "—"],
                ],
                (60 * mm, 60 * mm),
            ),
        ]
        detail_rows = _detail_rows(detail)
        if detail_rows:
            explained = _grid([["项目", "内容"], *detail_rows], (60 * mm, 150 * mm))
            story += [Paragraph("计算说明", heading), explained]
        signatures = "经办人：＿＿＿＿　复核人：＿＿＿＿　机构确认：＿＿＿＿"
        story += [Spacer(1, 10 * mm), Paragraph(signatures, body)]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"清算单 {clearing.admdvs} {clearing.period}",
        author="yibao",
    )
    doc.build(story)
    return buffer.getvalue()
