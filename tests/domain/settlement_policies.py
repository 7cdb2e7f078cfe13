"""Two test policies with the typical numbers of REQUIREMENTS.md §3 (employees 310, residents 390)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from yibao.domain.policy import Policy, parse_policy
from yibao.domain.settlement import CatalogFacts, FeeLine

EMPLOYEE: dict[str, Any] = {
    "admdvs": "439901",
    "insutype": "310",
    "name": "示范市职工基本医疗保险（测试）",
    "version": "t-2024",
    "begin": "2024-01-01",
    "hifp_fund_pay_type": "310100",
    "caps": {"pool": 150000, "outpatient": 3000},
    "default_selfpay_ratio": "0.10",
    "benefits": [
        {
            "category": "inpatient",
            "med_types": ["2101", "2102", "22", "28"],
            "deductible": {"1": 200, "2": 500, "3": 800},
            "repeat_factors": ["1", "0.5"],
            "ratio": {"1": "0.90", "2": "0.87", "3": "0.85"},
            "retired_add": "0.03",
            "bands": [{"upto": 30000, "ratio_add": "0"}, {"ratio_add": "0.02"}],
            "caps": ["pool"],
        },
        {
            "category": "outpatient",
            "med_types": ["11"],
            "deductible": {"1": 500, "2": 500, "3": 500},
            "deductible_scope": "year",
            "ratio": {"1": "0.70", "2": "0.60", "3": "0.50"},
            "caps": ["outpatient"],
        },
        {
            "category": "chronic",
            "med_types": ["14"],
            "ratio": {"1": "0.80", "2": "0.80", "3": "0.80"},
            "registered_diseases": True,
            "disease_limits": {"M01600": 5000},
            "caps": ["pool"],
        },
        {"category": "maternity", "med_types": ["52"], "fixed_amount": 3000, "ratio": {}},
    ],
    "cvlserv": {"ratio": "0.50"},
    "hifmi": {
        "base": "over_basic_cap",
        "tiers": [{"ratio": "0.90"}],
        "yearly_cap": 250000,
        "fund_pay_type": "330100",
        "categories": ["inpatient", "chronic"],
    },
    "account": {"pays_preselfpay": True, "pays_inscp": True},
    "exclusions": {
        "diagnosis_prefixes": {"N97": "不孕不育"},
        "injury_med_types": ["22"],
        "injury_causes": {"无第三方责任意外": True, "第三方责任交通事故": False, "打架斗殴": False},
    },
}

RESIDENT: dict[str, Any] = {
    "admdvs": "439901",
    "insutype": "390",
    "name": "示范市城乡居民基本医疗保险（测试）",
    "version": "t-2024",
    "begin": "2024-01-01",
    "hifp_fund_pay_type": "390100",
    "caps": {"pool": 100000, "outpatient": 400},
    "benefits": [
        {
            "category": "inpatient",
            "med_types": ["2101"],
            "deductible": {"1": 200, "2": 500, "3": 1000},
            "ratio": {"1": "0.85", "2": "0.75", "3": "0.55"},
            "group_tilts": {"2304": {"deductible_factor": "0"}},
            "caps": ["pool"],
        },
        {
            "category": "outpatient",
            "med_types": ["11"],
            "ratio": {"1": "0.60", "2": "0.50", "3": "0.50"},
            "caps": ["outpatient"],
        },
    ],
    "hifmi": {
        "base": "personal_burden",
        "deductible": 15000,
        "tiers": [{"upto": 100000, "ratio": "0.60"}, {"ratio": "0.70"}],
        "group_tilts": {
            "2302": {"deductible_factor": "0.5", "ratio_add": "0.05"},
            "2303": {"deductible_factor": "0.5", "ratio_add": "0.05"},
            "2304": {"deductible_factor": "0.5", "ratio_add": "0.05"},
        },
        "categories": ["inpatient"],
    },
    "maf": {
        "groups": {
            "2304": {"ratio": "1", "yearly_limit": 60000},
            "2303": {"ratio": "0.70", "yearly_limit": 5000},
        },
    },
}


def employee_policy() -> Policy:
    return parse_policy(EMPLOYEE)


def resident_policy() -> Policy:
    return parse_policy(RESIDENT)


A = CatalogFacts("01")  # 甲类
C = CatalogFacts("03")  # 丙类


def line(sn: str, yuan: int, item: CatalogFacts | None = A, quantity: str = "1") -> FeeLine:
    """A line of `yuan` yuan in total (price = total / quantity)."""
    amount = yuan * 100
    qty = Decimal(quantity)
    return FeeLine(sn=sn, amount=amount, price=Decimal(amount) / qty, quantity=qty, item=item)
