"""The bureau head's summary of the demo (局长摘要), its HTML report with charts and its Excel workbook."""

from __future__ import annotations

import html
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from sqlalchemy.orm import Session

from yibao.synthetic.repository import SyntheticRepository

SCHEMES = {"310": "职工基本医疗保险", "390": "城乡居民基本医疗保险"}
FUNDS = {
    "310100": "职工基本医疗保险统筹基金",
    "390100": "城乡居民基本医疗保险基金",
    "320100": "公务员医疗补助",
    "330100": "职工大额医疗费用补助",
    "390200": "城乡居民大病医疗保险基金",
    "610100": "医疗救助基金",
}
SETTINGS = {"inpatient": "住院", "outpatient": "门诊"}
# Policy-range inpatient ratio a bureau head compares with (REQUIREMENTS.md section 3; 000, 004).
INPATIENT_TARGETS = {"310": "约80%", "390": "约70%—75%"}
ECHARTS = Path(__file__).resolve().parents[1] / "console" / "static" / "vendor" / "echarts.min.js"


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals and thousands separators."""
    return f"{Decimal(fen) / 100:,.2f}"


def _ratios(t: dict[str, int]) -> dict[str, float]:
    """政策范围内报销比例 (pooled fund / policy-range cost) and 实际报销比例 (fund payments / total cost)."""
    return {
        "inscp_ratio": t["hifp_pay"] / t["inscp_scp_amt"] if t["inscp_scp_amt"] else 0.0,
        "fund_ratio": t["fund_pay_sumamt"] / t["medfee_sumamt"] if t["medfee_sumamt"] else 0.0,
    }


def summarise(session: Session, *, admdvs: str) -> dict[str, Any]:
    """Every figure of the summary, read from the database (fen and counts).

    Each scheme carries its ratios over all visits and split into inpatient and outpatient (`settings`):
    the all-visit figure is dominated by outpatient deductibles and caps, the inpatient one is what the
    policy targets (about 80% for employees, 70–75% for residents).
    """
    repo = SyntheticRepository(session)
    totals = repo.settlement_totals(admdvs)
    by_setting = repo.settlement_totals_by_setting(admdvs)
    schemes = {}
    for insutype, t in sorted(totals.items()):
        settings = {
            setting: {**by_setting[(insutype, setting)], **_ratios(by_setting[(insutype, setting)])}
            for setting in SETTINGS
            if (insutype, setting) in by_setting
        }
        schemes[insutype] = {**t, **_ratios(t), "settings": settings}
    contributions = repo.contributions(admdvs)
    return {
        "admdvs": admdvs,
        "persons": repo.persons(admdvs),
        "insured": repo.insured(admdvs),
        "contributions": contributions,
        "income": sum(sum(parts.values()) for parts in contributions.values()),
        "schemes": schemes,
        "funds": repo.funds(admdvs),
        "expenditure": sum(t["fund_pay_sumamt"] for t in totals.values()),
        "medfee": sum(t["medfee_sumamt"] for t in totals.values()),
        "settlements": sum(t["count"] for t in totals.values()),
        "top": repo.top_institutions(admdvs),
    }


def lines(summary: dict[str, Any]) -> list[str]:
    """The summary as short lines of text (console and report)."""
    out = [
        f"参保人数 {summary['persons']:,}（"
        + "，".join(f"{SCHEMES.get(k, k)} {v:,}" for k, v in sorted(summary["insured"].items()))
        + "）",
        f"基金收入（缴费）{yuan(summary['income'])} 元",
        f"结算 {summary['settlements']:,} 笔，医疗总费用 {yuan(summary['medfee'])} 元，"
        f"基金支出 {yuan(summary['expenditure'])} 元",
    ]
    for code, amount in sorted(summary["funds"].items(), key=lambda kv: -kv[1]):
        out.append(f"  {FUNDS.get(code, code)}（{code}）支出 {yuan(amount)} 元")
    for insutype, s in summary["schemes"].items():
        out.append(
            f"  {SCHEMES.get(insutype, insutype)}：政策范围内报销比例 {s['inscp_ratio']:.1%}"
            f"（统筹支付 {yuan(s['hifp_pay'])} / 政策范围内费用 {yuan(s['inscp_scp_amt'])}），"
            f"实际报销比例 {s['fund_ratio']:.1%}"
        )
        for setting, label in SETTINGS.items():
            part = s.get("settings", {}).get(setting)
            if part is None:
                continue
            target = (
                f"（目标{INPATIENT_TARGETS[insutype]}）"
                if setting == "inpatient" and insutype in INPATIENT_TARGETS
                else ""
            )
            out.append(
                f"    其中{label} {part['count']:,} 笔：政策范围内报销比例 {part['inscp_ratio']:.1%}{target}"
                f"（统筹支付 {yuan(part['hifp_pay'])} / 政策范围内费用 {yuan(part['inscp_scp_amt'])}），"
                f"实际报销比例 {part['fund_ratio']:.1%}"
            )
    return out


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def quality_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per abuse family: labels injected, findings of the monitoring run, hits, precision, recall.

    Counts are at the family's comparison scope (a line label meets a visit finding through its visit,
    `monitoring.evaluate`); families without any label or finding are left out. Without a monitoring run
    (`findings` None) the rows show the injected labels only.
    """
    findings: dict[str, dict[str, Any]] | None = summary.get("findings")
    labels: dict[str, int] = summary.get("labels") or {}
    if findings is None:
        return [
            {"family": k, "labelled": v, "found": 0, "hits": 0, "precision": "—", "recall": "—", "auc": ""}
            for k, v in labels.items()
        ]
    return [
        {
            "family": family,
            "labelled": q["labelled"],
            "found": q["found"],
            "hits": q["hits"],
            "precision": _share(q["precision"]),
            "recall": _share(q["recall"]),
            "auc": "" if q.get("auc") is None else f"{q['auc']:.3f}",
        }
        for family, q in findings.items()
    ]


def setting_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per scheme and setting (住院 / 门诊 / 合计) for the report's table and workbook."""
    rows = []
    for insutype, s in summary["schemes"].items():
        parts = [(SETTINGS[k], v) for k, v in s.get("settings", {}).items()] + [("合计", s)]
        for label, part in parts:
            rows.append(
                {
                    "scheme": SCHEMES.get(insutype, insutype),
                    "setting": label,
                    "count": part["count"],
                    "medfee": part["medfee_sumamt"],
                    "inscp": part["inscp_scp_amt"],
                    "hifp": part["hifp_pay"],
                    "fund": part["fund_pay_sumamt"],
                    "inscp_ratio": part["inscp_ratio"],
                    "fund_ratio": part["fund_ratio"],
                    "target": INPATIENT_TARGETS.get(insutype, "") if label == "住院" else "",
                }
            )
    return rows


def _chart(div: str, option: dict[str, Any]) -> str:
    option = {"animation": False, **option}  # a report is read (and printed) as it stands
    if "xAxis" in option:
        option["xAxis"] = {**option["xAxis"], "axisLabel": {"interval": 0, "rotate": 30}}
        option["grid"] = {"bottom": 110}
    return (
        f'<div id="{div}" class="chart"></div><script>echarts.init(document.getElementById("{div}"))'
        f".setOption({json.dumps(option, ensure_ascii=False)});</script>"
    )


def write_reports(summary: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """report.html (ECharts inlined, works offline) and report.xlsx next to the data set."""
    out.mkdir(parents=True, exist_ok=True)
    html_path, xlsx_path = out / "report.html", out / "report.xlsx"
    funds = [{"name": FUNDS.get(k, k), "value": round(v / 100, 2)} for k, v in summary["funds"].items() if v]
    top = summary["top"]
    findings = summary.get("findings")
    script = ECHARTS.read_text(encoding="utf-8") if ECHARTS.is_file() else ""
    rows_top = "".join(
        f"<tr><td>{html.escape(t['code'])}</td><td>{html.escape(t['name'])}</td><td>{t['count']:,}</td>"
        f"<td>{yuan(t['medfee'])}</td><td>{yuan(t['fund'])}</td></tr>"
        for t in top
    )
    quality = quality_rows(summary)
    rows_labels = "".join(
        f"<tr><td>{html.escape(q['family'])}</td><td>{q['labelled']:,}</td><td>{q['found']:,}</td>"
        f"<td>{q['hits']:,}</td><td>{q['precision']}</td><td>{q['recall']}</td><td>{q['auc']}</td></tr>"
        for q in quality
    )
    body = "".join(f"<li>{html.escape(line)}</li>" for line in lines(summary))
    rows_settings = "".join(
        f"<tr><td>{html.escape(r['scheme'])}</td><td>{r['setting']}</td><td>{r['count']:,}</td>"
        f"<td>{yuan(r['medfee'])}</td><td>{yuan(r['inscp'])}</td><td>{yuan(r['hifp'])}</td>"
        f"<td>{r['inscp_ratio']:.1%}</td><td>{r['fund_ratio']:.1%}</td><td>{html.escape(r['target'])}</td></tr>"
        for r in setting_rows(summary)
    )
    monitoring = (
        "未运行智能监控（显示的是注入的违规标注）"
        if findings is None
        else "智能监控事后分析（规则库全量）的疑点与生成器注入的标注逐类对照：命中为两者共有的明细/就诊/"
        "参保人/医师/机构（按两者中较粗的口径），精确率 = 命中/发现，召回率 = 命中/标注。"
    )
    page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>示范统筹区运行报告</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}}.chart{{width:760px;height:360px}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}</style>
<script>{script}</script></head><body>
<h1>示范统筹区（{html.escape(summary["admdvs"])}）运行报告</h1><ul>{body}</ul>
<h2>报销比例（住院 / 门诊）Reimbursement ratio by scheme, inpatient and outpatient</h2>
<table><tr><th>险种</th><th>类别</th><th>结算笔数</th><th>医疗总费用(元)</th><th>政策范围内费用(元)</th>
<th>统筹支付(元)</th><th>政策范围内报销比例</th><th>实际报销比例</th><th>住院目标</th></tr>{
        rows_settings
    }</table>
<h2>基金支出构成 Expenditure by fund</h2>{
        _chart("funds", {"tooltip": {}, "series": [{"type": "pie", "data": funds}]})
    }
<h2>费用最高的机构 Top institutions by cost</h2>
{
        _chart(
            "top",
            {
                "tooltip": {},
                "xAxis": {"type": "category", "data": [t["name"] for t in top]},
                "yAxis": {"type": "value"},
                "series": [{"type": "bar", "data": [round(t["medfee"] / 100, 2) for t in top]}],
            },
        )
    }
<table><tr><th>机构编码</th><th>名称</th><th>结算笔数</th><th>医疗总费用(元)</th><th>基金支付(元)</th></tr>{
        rows_top
    }</table>
<h2>违规类别 Findings by family</h2><p>{monitoring}</p>
{
        _chart(
            "labels",
            {
                "tooltip": {},
                "legend": {},
                "xAxis": {"type": "category", "data": [q["family"] for q in quality]},
                "yAxis": {"type": "value"},
                "series": [
                    {"name": "标注", "type": "bar", "data": [q["labelled"] for q in quality]},
                    {"name": "发现", "type": "bar", "data": [q["found"] for q in quality]},
                    {"name": "命中", "type": "bar", "data": [q["hits"] for q in quality]},
                ],
            },
        )
    }
<table><tr><th>类别</th><th>标注</th><th>发现</th><th>命中</th><th>精确率</th><th>召回率</th><th>AUC</th></tr>{
        rows_labels
    }</table>
</body></html>"""
    html_path.write_text(page, encoding="utf-8")
    book = xlsxwriter.Workbook(str(xlsx_path))
    money = book.add_format({"num_format": "#,##0.00"})
    sheet = book.add_worksheet("摘要")
    for r, line in enumerate(lines(summary)):
        sheet.write(r, 0, line)
    sheet = book.add_worksheet("险种")
    head = [
        "险种",
        "结算笔数",
        "医疗总费用",
        "政策范围内费用",
        "统筹支付",
        "基金支付",
        "个人账户",
        "现金",
        "政策范围内报销比例",
    ]
    sheet.write_row(0, 0, head)
    for r, (insutype, s) in enumerate(summary["schemes"].items(), start=1):
        sheet.write(r, 0, SCHEMES.get(insutype, insutype))
        sheet.write(r, 1, s["count"])
        for c, key in enumerate(
            ("medfee_sumamt", "inscp_scp_amt", "hifp_pay", "fund_pay_sumamt", "acct_pay", "psn_cash_pay"), 2
        ):
            sheet.write_number(r, c, s[key] / 100, money)
        sheet.write_number(r, 8, round(s["inscp_ratio"], 4))
    sheet = book.add_worksheet("住院门诊")
    sheet.write_row(
        0,
        0,
        [
            *("险种", "类别", "结算笔数", "医疗总费用", "政策范围内费用", "统筹支付", "基金支付"),
            *("政策范围内报销比例", "实际报销比例", "住院目标"),
        ],
    )
    for r, row in enumerate(setting_rows(summary), start=1):
        sheet.write_row(r, 0, [row["scheme"], row["setting"], row["count"]])
        for c, key in enumerate(("medfee", "inscp", "hifp", "fund"), 3):
            sheet.write_number(r, c, row[key] / 100, money)
        sheet.write_number(r, 7, round(row["inscp_ratio"], 4))
        sheet.write_number(r, 8, round(row["fund_ratio"], 4))
        sheet.write(r, 9, row["target"])
    sheet = book.add_worksheet("基金")
    sheet.write_row(0, 0, ["基金", "编码", "支出(元)"])
    for r, (code, amount) in enumerate(sorted(summary["funds"].items()), start=1):
        sheet.write_row(r, 0, [FUNDS.get(code, code), code])
        sheet.write_number(r, 2, amount / 100, money)
    sheet = book.add_worksheet("机构")
    sheet.write_row(0, 0, ["机构编码", "名称", "结算笔数", "医疗总费用(元)", "基金支付(元)"])
    for r, t in enumerate(top, start=1):
        sheet.write_row(r, 0, [t["code"], t["name"], t["count"]])
        sheet.write_number(r, 3, t["medfee"] / 100, money)
        sheet.write_number(r, 4, t["fund"] / 100, money)
    sheet = book.add_worksheet("违规")
    columns = ("family", "labelled", "found", "hits", "precision", "recall", "auc")
    sheet.write_row(0, 0, ["类别", "标注", "发现", "命中", "精确率", "召回率", "AUC"])
    for r, q in enumerate(quality, start=1):
        sheet.write_row(r, 0, [q[c] for c in columns])
    book.close()
    return html_path, xlsx_path
