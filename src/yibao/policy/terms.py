"""The Chinese term of every key of a policy document, for pages, the CLI and diffs."""

from __future__ import annotations

TERMS: dict[str, str] = {
    "admdvs": "统筹区",
    "insutype": "险种类型",
    "name": "政策名称",
    "version": "版本号",
    "begin": "生效日期",
    "end": "失效日期",
    "hifp_fund_pay_type": "统筹基金支付类型",
    "caps": "年度封顶线",
    "default_selfpay_ratio": "乙类先行自付比例",
    "benefits": "统筹基金待遇",
    "category": "待遇类别",
    "med_types": "医疗类别",
    "deductible": "起付线",
    "deductible_scope": "起付线口径",
    "repeat_factors": "第n次住院起付线系数",
    "ratio": "支付比例",
    "retired_add": "退休人员比例增加",
    "bands": "费用分段",
    "upto": "上限",
    "ratio_add": "比例增加",
    "group_tilts": "特殊人群倾斜",
    "deductible_factor": "起付线系数",
    "fixed_amount": "定额支付",
    "registered_diseases": "限已登记病种",
    "disease_limits": "病种年度限额",
    "cvlserv": "公务员医疗补助",
    "yearly_cap": "年度支付限额",
    "categories": "适用待遇类别",
    "hifmi": "大额医疗补助/大病保险",
    "base": "计算基数",
    "tiers": "分档",
    "fund_pay_type": "基金支付类型",
    "maf": "医疗救助",
    "groups": "救助对象",
    "yearly_limit": "年度救助限额",
    "include_preselfpay": "含乙类先行自付",
    "account": "个人账户",
    "pays_fulamt": "可付全自费",
    "pays_overlmt": "可付超限价自付",
    "pays_preselfpay": "可付先行自付",
    "pays_inscp": "可付政策范围内个人负担",
    "exclusions": "不予支付范围",
    "diagnosis_prefixes": "不予支付诊断",
    "injury_med_types": "须登记受伤原因的医疗类别",
    "injury_causes": "受伤原因",
    "contribution_subsidies": "参保资助",
}

LEVELS = {"1": "一级及以下", "2": "二级", "3": "三级"}
CATEGORIES = {
    "inpatient": "住院",
    "outpatient": "普通门诊统筹",
    "chronic": "门诊慢特病",
    "two_diseases": "门诊两病",
    "maternity": "生育",
}
SCOPES = {"visit": "每次", "year": "年度累计"}
BASES = {"over_basic_cap": "超基本医保封顶线部分", "personal_burden": "个人负担的政策范围内费用"}
_BY_LEVEL = {"deductible", "ratio"}


def describe(path: str) -> str:
    """The Chinese reading of a key path: benefits.0.deductible.3 → 统筹基金待遇 › 第1条 › 起付线 › 三级."""
    parts: list[str] = []
    previous = ""
    for key in path.split("."):
        if key.isdigit() and previous in ("benefits", "bands", "tiers", "med_types", "repeat_factors"):
            parts.append(f"第{int(key) + 1}{'条' if previous == 'benefits' else '项'}")
        elif previous in _BY_LEVEL and key in LEVELS:
            parts.append(LEVELS[key])
        else:
            parts.append(TERMS.get(key, key))
        previous = key
    return " › ".join(parts)
