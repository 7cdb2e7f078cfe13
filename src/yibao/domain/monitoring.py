"""Intelligent monitoring (智能监控): the rule library, its knowledge tables, quality measures and cases.

A rule is a rule type (the logic, written once as SQL in `yibao.monitoring.rules_sql`) plus
parameters and knowledge tables (data). This module holds the pure parts: the definitions of the
library, the reading of the published knowledge batches 1–8 (知识点 第一批…第八批) from their CSV
rows, the per-region settings with effective periods, precision/recall/AUC of findings against
labels, and the case (疑点) state machine.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from yibao.domain.errors import conflict, invalid
from yibao.domain.money import fen_to_yuan

# ---------------------------------------------------------------- vocabulary

FAMILIES: tuple[str, ...] = (
    "sex_restricted",
    "age_restricted",
    "level_restricted",
    "insurance_type_restricted",
    "treatment_mode_restricted",
    "course_restricted",
    "duplicate_charge",
    "unbundled_charge",
    "frequency_exceeded",
    "over_price_cap",
    "excess_quantity",
    "repeat_prescription",
    "discharge_medication",
    "split_admission",
    "low_standard_admission",
    "frequent_visits",
    "bed_hanging",
    "impersonation",
    "pharmacy_goods",
    "dialysis_overcount",
    "special_drug_rules",
    "diagnosis_mismatch",
    "upcoding",
    "provider_outlier",
    "data_quality",
)
"""The rule_family vocabulary of the batch interchange layout (WAREHOUSE.md)."""

STATISTICAL_FAMILIES = frozenset({"provider_outlier"})
SCOPES = ("line", "visit", "person", "doctor", "institution")
SCENARIOS = ("pre", "in", "post")  # 事前 before, 事中 during, 事后 after the visit
CLASSES = ("政策", "管理", "医疗")


# sev_deg of findings.parquet: 1 notice (提示), 2 suspicious (可疑), 3 violation (违规).
NOTICE, SUSPICIOUS, VIOLATION = 1, 2, 3

# The national dictionary sev_deg (3101/3102) counts the other way: 1 明确违规, 2 高度可疑, 3 轻度可疑.
_NATIONAL_SEV = {VIOLATION: "1", SUSPICIOUS: "2", NOTICE: "3"}


def national_sev_deg(severity: int) -> str:
    """The national sev_deg code (1 明确违规, 2 高度可疑, 3 轻度可疑) of a yibao severity."""
    return _NATIONAL_SEV[severity]


# ---------------------------------------------------------------- rule definitions


@dataclass(frozen=True)
class RuleDef:
    """One rule of the library: identity, classification, the type that decides it and its parameters."""

    rule_id: str  # national GZ…/ZB… code, or a documented YB code
    name: str
    rule_class: str  # 政策 / 管理 / 医疗
    family: str  # WAREHOUSE.md rule_family
    rule_type: str  # the logic (a key of yibao.monitoring.rules_sql.RULE_TYPES)
    scope: str  # line / visit / person / doctor / institution
    severity: int
    scenarios: frozenset[str]
    evidence: str  # what the evidence text names
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    blocking: bool = False  # an in-visit warning blocks the settlement only when the rule says so
    basis: str = ""  # the source: framework code, knowledge batch or seed clause

    def with_params(self, overrides: Mapping[str, Any]) -> RuleDef:
        """The rule with some parameters replaced (region settings, what-if); the reserved parameter
        `blocking` makes an in-visit warning stop the settlement (拦截) or not."""
        merged = dict(self.params) | {k: v for k, v in overrides.items() if k != BLOCKING}
        blocking = bool(overrides.get(BLOCKING, self.blocking))
        return replace(self, params=MappingProxyType(merged), blocking=blocking)


BLOCKING = "blocking"  # the reserved rule parameter a region sets to make a rule block settlement


_IN = frozenset({"pre", "in", "post"})
_POST = frozenset({"post"})

_OBSERVATION = (  # 001 第6篇 第17条: first outpatient or 72-hour observation
    "J06",  # 急性上呼吸道感染
    "J03",  # 急性扁桃体炎
    "H10",  # 急性结膜炎
    "A09",  # 急性胃肠炎
    "K52",  # 非感染性胃肠炎
    "K29",  # 慢性胃炎
    "J01",  # 急性鼻窦炎
    "J32",  # 慢性鼻窦炎
    "N76",  # 阴道炎
    "N72",  # 宫颈炎
    "N73",  # 盆腔炎
    "N84",  # 宫颈息肉
)
_CHRONIC = ("I10", "I11", "I20", "I25", "E10", "E11", "E14", "J44", "N18", "I63", "I69", "F20", "C")
# 高套编码: a severe complication (MCC) coded as a secondary diagnosis needs at least one line of its care
# (diagnosis prefix : code prefix). 001201000010000 重症监护, 001109000030 重症监护病房床位,
# 003106030010 呼吸机辅助呼吸, 0031100000 血液净化, XC01CA 血管活性药, XJ01DH 碳青霉烯类, XJ01XA 糖肽类.
_ICU = ("001201000010000", "001109000030")
_MCC_CARE = tuple(
    f"{dx}:{care}"
    for dx, cares in (
        ("J96", ("003106030010", *_ICU)),
        ("R57", (*_ICU, "XC01CA")),
        ("A41", (*_ICU, "XJ01DH", "XJ01XA")),
        ("N17", ("0031100000", *_ICU)),
    )
    for care in cares
)
_FIVE_FIXED = (  # 特殊药品 五定: rule id, name, which registration field, evidence
    ("YB10000101014000", "定药品（未备案）", "drug", "特殊药品、参保人、备案期"),
    ("YB10000101015000", "定医院", "hospital", "特殊药品、备案定点机构、就诊机构"),
    ("YB10000101016000", "定科室", "department", "特殊药品、备案科室、开单科室"),
    ("YB10000101017000", "定医生", "doctor", "特殊药品、备案责任医师、开单医师"),
    ("YB10000101018000", "定剂量", "dose", "特殊药品、月累计数量、备案剂量"),
)
_DIALYSIS = ("003110000010000", "003110000020000", "003110000030000", "003110000040000")


def _rule(
    rule_id: str,
    name: str,
    rule_class: str,
    family: str,
    rule_type: str,
    scope: str,
    severity: int,
    evidence: str,
    *,
    scenarios: frozenset[str] = _IN,
    basis: str = "",
    blocking: bool = False,
    **params: Any,
) -> RuleDef:
    return RuleDef(
        rule_id=rule_id,
        name=name,
        rule_class=rule_class,
        family=family,
        rule_type=rule_type,
        scope=scope,
        severity=severity,
        scenarios=scenarios,
        evidence=evidence,
        params=MappingProxyType(params),
        blocking=blocking,
        basis=basis,
    )


LIBRARY: tuple[RuleDef, ...] = (
    _rule(
        "GZ10000301004000",
        "药品区分性别使用",
        "医疗",
        "sex_restricted",
        "item_sex",
        "line",
        VIOLATION,
        "药品、患者性别、限定性别",
        basis="知识点第一批",
        kind="drug",
    ),
    _rule(
        "GZ10000302004000",
        "医疗服务项目区分性别使用",
        "医疗",
        "sex_restricted",
        "item_sex",
        "line",
        VIOLATION,
        "项目、患者性别、限定性别",
        basis="知识点第一批",
        kind="item",
    ),
    _rule(
        "GZ10000101007000",
        "药品限儿童使用",
        "政策",
        "age_restricted",
        "item_child",
        "line",
        VIOLATION,
        "药品、患者年龄、儿童年龄上限",
        basis="知识点第一批",
        kind="drug",
        max_age=17,
    ),
    _rule(
        "GZ10000302003000",
        "医疗服务项目儿童专用",
        "医疗",
        "age_restricted",
        "item_child",
        "line",
        VIOLATION,
        "项目、患者年龄、儿童年龄上限",
        basis="知识点第一批",
        kind="item",
        max_age=17,
    ),
    _rule(
        "YB10000102016000",
        "医疗服务项目限年龄（超法定就业年龄）",
        "政策",
        "age_restricted",
        "item_over_age",
        "line",
        VIOLATION,
        "项目、患者年龄、法定就业年龄",
        basis="知识点第八批-2",
        max_age=60,
    ),
    _rule(
        "GZ10000101001000",
        "药品限工伤保险",
        "政策",
        "insurance_type_restricted",
        "item_insutype",
        "line",
        VIOLATION,
        "药品、险种",
        basis="知识点第三批",
        kind="工伤",
        insutypes=("410",),
    ),
    _rule(
        "GZ10000101002000",
        "药品限生育保险",
        "政策",
        "insurance_type_restricted",
        "item_insutype",
        "line",
        VIOLATION,
        "药品、险种、医疗类别",
        basis="知识点第三批",
        kind="生育",
        insutypes=("510",),
        med_types=("51", "52", "2106", "2107"),
    ),
    _rule(
        "YB10000101013000",
        "药品限就医方式（限住院）",
        "政策",
        "treatment_mode_restricted",
        "item_inpatient",
        "line",
        VIOLATION,
        "药品、医疗类别",
        basis="知识点第四批",
    ),
    _rule(
        "GZ10000101012000",
        "药品限医疗机构级别",
        "政策",
        "level_restricted",
        "item_level",
        "line",
        VIOLATION,
        "药品、机构等级、最低等级",
        basis="知识点第五批",
    ),
    _rule(
        "GZ10000101010000",
        "药品限支付疗程",
        "政策",
        "course_restricted",
        "item_course",
        "line",
        VIOLATION,
        "药品、首次使用日、限定天数",
        basis="知识点第六批",
        kind="drug",
    ),
    _rule(
        "GZ10000102010000",
        "医疗服务项目限支付疗程",
        "政策",
        "course_restricted",
        "item_course",
        "line",
        VIOLATION,
        "项目、首次使用日、限定天数",
        basis="知识点第八批-3",
        kind="item",
    ),
    _rule(
        "GZ10000102012000",
        "医疗服务项目重复收费",
        "政策",
        "duplicate_charge",
        "duplicate_pair",
        "line",
        VIOLATION,
        "从项、同时收取的主项、时间范围",
        basis="知识点第七批",
    ),
    _rule(
        "GZ10000102014000",
        "医疗服务项目限定频次",
        "政策",
        "frequency_exceeded",
        "item_frequency",
        "line",
        VIOLATION,
        "项目、当日累计数量、限定数量",
        basis="知识点第八批-1",
    ),
    _rule(
        "YB10000102017000",
        "医疗服务项目周期超频次",
        "政策",
        "frequency_exceeded",
        "item_cycle",
        "line",
        VIOLATION,
        "项目、上次使用日、周期天数",
        basis="知识点第八批-4",
    ),
    _rule(
        "GZ10000102001000",
        "医疗服务项目超限定单价收费",
        "政策",
        "over_price_cap",
        "over_price_cap",
        "line",
        VIOLATION,
        "单价、最高限价、数量",
        basis="002 §3 最高限价",
    ),
    _rule(
        "GZ10000101009000",
        "药品限最大支付天数/开药量",
        "政策",
        "excess_quantity",
        "excess_days",
        "line",
        SUSPICIOUS,
        "门诊药品、开药天数、最大天数",
        max_days=30,
    ),
    _rule(
        "YB20000204008000",
        "出院带药超量",
        "管理",
        "discharge_medication",
        "discharge_medication",
        "line",
        VIOLATION,
        "出院带药、剂型、天数、品种数",
        basis="001 第6篇 第31条",
        acute_days=7,
        chronic_days=15,
        max_kinds=4,
        chronic_prefixes=_CHRONIC,
        non_oral_words=("注射", "针剂", "输液", "粉针", "外用", "滴眼", "栓"),
    ),
    _rule(
        "GZ10000204001000",
        "分解住院",
        "管理",
        "split_admission",
        "split_admission",
        "visit",
        VIOLATION,
        "前次住院、出院至再入院天数、同一疾病",
        scenarios=_POST,
        basis="001 第6篇 第20条",
        days=28,
    ),
    _rule(
        "GZ10000204005000",
        "无指征住院（低标准入院）",
        "管理",
        "low_standard_admission",
        "low_standard_admission",
        "visit",
        SUSPICIOUS,
        "主诊断属留观病种、入院前72小时无门急诊",
        scenarios=_POST,
        basis="001 第6篇 第17条",
        prefixes=_OBSERVATION,
        hours=72,
    ),
    _rule(
        "GZ10000204002000",
        "频繁门诊",
        "管理",
        "frequent_visits",
        "frequent_visits",
        "person",
        SUSPICIOUS,
        "参保人、月份、就诊次数",
        scenarios=_POST,
        med_types=("11", "13", "14", "1301", "9901"),
        max_visits=10,
    ),
    _rule(
        "GZ10000204003000",
        "频繁购药",
        "管理",
        "frequent_visits",
        "frequent_visits",
        "person",
        SUSPICIOUS,
        "参保人、月份、购药次数",
        scenarios=_POST,
        med_types=("41", "18", "9904"),
        max_visits=8,
    ),
    _rule(
        "GZ10000204004000",
        "频繁住院",
        "管理",
        "frequent_visits",
        "frequent_visits",
        "person",
        SUSPICIOUS,
        "参保人、月份、住院次数",
        scenarios=_POST,
        med_types=("2101", "2102", "21303", "2105", "22", "52", "2106", "2107", "28"),
        max_visits=2,
    ),
    _rule(
        "YB20000204009000",
        "挂床住院（查房不在床）",
        "管理",
        "bed_hanging",
        "bed_hanging",
        "visit",
        VIOLATION,
        "查房时间、不在床",
        scenarios=_POST,
        basis="001 第6篇 第40条",
    ),
    _rule(
        "YB20000204010000",
        "机构在床率低于标准",
        "管理",
        "bed_hanging",
        "bed_rate",
        "institution",
        SUSPICIOUS,
        "查房人次、在床人次、在床率",
        scenarios=_POST,
        basis="001 第6篇 第40条",
        min_rate_pct=95,
    ),
    _rule(
        "YB20000204011000",
        "冒名就医（身份核验不符）",
        "管理",
        "impersonation",
        "impersonation",
        "visit",
        VIOLATION,
        "核验时间、核验不符",
        scenarios=_POST,
        basis="002 人证核验",
    ),
    _rule(
        "YB20000204012000",
        "透析次数异常",
        "管理",
        "dialysis_overcount",
        "dialysis_overcount",
        "line",
        SUSPICIOUS,
        "参保人、月份、透析次数、上限",
        scenarios=_POST,
        basis="002 透析 11.13→10.68 次/月",
        codes=_DIALYSIS,
        max_per_month=13,
    ),
    _rule(
        "YB20000202005000",
        "药店串换日用品",
        "管理",
        "pharmacy_goods",
        "pharmacy_goods",
        "line",
        VIOLATION,
        "药店、未对码或非医保品名",
        scenarios=_POST,
        basis="001 第9篇",
        goods_words=(
            "食品",
            "日用",
            "化妆",
            "洗护",
            "保健品",
            "饮料",
            "纸巾",
            "牙膏",
            "牙刷",
            "洗发",
            "沐浴",
            "面膜",
            "洗衣",
        ),
        min_named=3,
    ),
    _rule(
        "GZ10000201002000",
        "结算明细信息异常（未对码）",
        "管理",
        "data_quality",
        "unmapped_code",
        "line",
        NOTICE,
        "医院目录编码未对照医保编码",
    ),
    _rule(
        "GZ10000201003000",
        "疾病诊断编码异常（灰码）",
        "管理",
        "data_quality",
        "gray_diagnosis",
        "visit",
        NOTICE,
        "诊断编码为医保版灰码",
    ),
    _rule(
        "GZ10000201008000",
        "计费日期与住院时间不符",
        "管理",
        "data_quality",
        "fee_outside_stay",
        "line",
        SUSPICIOUS,
        "计费时间、入院时间、出院时间",
        scenarios=_POST,
    ),
    _rule(
        "GZ10000204006000",
        "诊断与患者性别不符",
        "管理",
        "diagnosis_mismatch",
        "diagnosis_sex",
        "visit",
        VIOLATION,
        "诊断、患者性别",
    ),
    _rule(
        "GZ10000204007000",
        "诊断与患者年龄不符",
        "管理",
        "diagnosis_mismatch",
        "diagnosis_age",
        "visit",
        SUSPICIOUS,
        "诊断、患者年龄",
        perinatal_max_age=1,
        obstetric_min_age=12,
        obstetric_max_age=55,
    ),
    _rule(
        "GZ10000301006000",
        "重复开药",
        "医疗",
        "repeat_prescription",
        "repeat_prescription",
        "line",
        SUSPICIOUS,
        "药品、上次开药日、上次开药天数",
        scenarios=_POST,
    ),
    _rule(
        "GZ10000102002000",
        "手术项目未按规定折价收费",
        "政策",
        "unbundled_charge",
        "surgery_discount",
        "line",
        VIOLATION,
        "同日同组主手术、本台序号、单价、折价比例",
        scenarios=_POST,
        basis="知识点第二批 限定主次操作",
        discount_pct=50,
    ),
    _rule(
        "YB20000201009000",
        "高套编码（严重并发症无相应诊疗）",
        "管理",
        "upcoding",
        "upcoding",
        "visit",
        SUSPICIOUS,
        "次要诊断、所需诊疗",
        scenarios=_POST,
        basis="CHS-DRG 1.1 严重并发症 (MCC)",
        care=_MCC_CARE,
    ),
    *(
        _rule(
            rule_id,
            f"特殊药品{name}",
            "政策",
            "special_drug_rules",
            "special_drug",
            "line",
            VIOLATION,
            evidence,
            scenarios=_POST,
            basis="特殊药品五定管理 (备案登记 special_drug_b)",
            fixed=fixed,
        )
        for rule_id, name, fixed, evidence in _FIVE_FIXED
    ),
    _rule(
        "YB20000205009000",
        "重点机构（增长与同级比较）",
        "管理",
        "provider_outlier",
        "provider_outlier",
        "institution",
        NOTICE,
        "次均费用、环比增长、同级百分位",
        scenarios=_POST,
        basis="002 重点监控增长快的机构",
        top_share_pct=10,
        min_visits=5,
    ),
)


def library_by_id(rules: Iterable[RuleDef] = LIBRARY) -> dict[str, RuleDef]:
    """The rules keyed by rule_id; two rules with one id are a defect of the library."""
    found: dict[str, RuleDef] = {}
    for rule in rules:
        if rule.rule_id in found:
            raise conflict("RULE_DUPLICATE", f"规则编码 {rule.rule_id} 重复")
        found[rule.rule_id] = rule
    return found


def check_rule(rule: RuleDef) -> None:
    """Refuse a definition whose family, scope, class, severity or scenarios are outside the vocabulary."""
    if not re.fullmatch(r"(GZ|ZB|YB)\d{14}", rule.rule_id):
        raise invalid("RULE_ID", "rule_id", f"规则编码 {rule.rule_id} 应为 GZ/ZB/YB 加14位数字")
    if rule.family not in FAMILIES:
        raise invalid("RULE_FAMILY", "family", f"规则 {rule.rule_id} 的类别 {rule.family} 不在词表中")
    if rule.scope not in SCOPES:
        raise invalid("RULE_SCOPE", "scope", f"规则 {rule.rule_id} 的范围 {rule.scope} 不在词表中")
    if rule.rule_class not in CLASSES:
        raise invalid("RULE_CLASS", "rule_class", f"规则 {rule.rule_id} 的分类应为政策/管理/医疗")
    if rule.severity not in (NOTICE, SUSPICIOUS, VIOLATION):
        raise invalid("RULE_SEVERITY", "severity", f"规则 {rule.rule_id} 的严重程度应为 1、2 或 3")
    if not rule.scenarios or not rule.scenarios <= set(SCENARIOS):
        raise invalid("RULE_SCENARIO", "scenarios", f"规则 {rule.rule_id} 的场景应为 pre/in/post")


# ---------------------------------------------------------------- region settings


@dataclass(frozen=True)
class RuleSetting:
    """A pooling region's choice for one rule over a period: on or off, and parameter overrides."""

    rule_id: str
    admdvs: str
    enabled: bool
    params: Mapping[str, Any]
    begin: date
    end: date | None = None

    def valid_on(self, day: date) -> bool:
        return self.begin <= day and (self.end is None or day <= self.end)


def _plain(value: object) -> bool:
    """A non-empty text of at most 64 characters without quotes, backslashes, semicolons or controls."""
    return isinstance(value, str) and 0 < len(value) <= 64 and not re.search(r"['\\;\x00-\x1f]", value)


def check_params(rule: RuleDef, params: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse unknown parameter names and values of another type than the default's."""
    clean: dict[str, Any] = {}
    for name, value in params.items():
        if name == BLOCKING:
            if not isinstance(value, bool):
                raise invalid(
                    "RULE_PARAM_TYPE",
                    f"params.{name}",
                    f"规则 {rule.rule_id} 参数 blocking 应为 true 或 false",
                )
            clean[name] = value
            continue
        if name not in rule.params:
            known = "、".join(sorted(rule.params)) or "无"
            raise invalid(
                "RULE_PARAM", f"params.{name}", f"规则 {rule.rule_id} 没有参数 {name}（可用：{known}）"
            )
        default = rule.params[name]
        if isinstance(default, bool) or isinstance(value, bool):
            ok = isinstance(value, bool) and isinstance(default, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and 0 <= value <= 10**9
        elif isinstance(default, tuple | list):
            ok = isinstance(value, list | tuple) and all(_plain(v) for v in value)
        else:
            ok = _plain(value)
        if not ok:
            raise invalid(
                "RULE_PARAM_TYPE",
                f"params.{name}",
                f"规则 {rule.rule_id} 参数 {name} 的取值类型应与默认值相同",
            )
        clean[name] = tuple(value) if isinstance(value, list | tuple) else value
    return clean


def rules_in_force(
    rules: Iterable[RuleDef], settings: Iterable[RuleSetting], *, admdvs: str | None, day: date
) -> list[RuleDef]:
    """The rules a region runs on `day`: each rule on by default, switched off or re-parametrised by the
    region's setting valid on that day (the latest begin wins when periods touch)."""
    chosen: dict[str, RuleSetting] = {}
    for s in settings:
        if admdvs is not None and s.admdvs == admdvs and s.valid_on(day):
            best = chosen.get(s.rule_id)
            if best is None or s.begin > best.begin:
                chosen[s.rule_id] = s
    result: list[RuleDef] = []
    for rule in rules:
        setting = chosen.get(rule.rule_id)
        if setting is None:
            result.append(rule)
        elif setting.enabled:
            result.append(rule.with_params(setting.params))
    return result


# ---------------------------------------------------------------- knowledge batches 1–8


@dataclass(frozen=True)
class Knowledge:
    """The knowledge tables (知识库) the rule types read, as rows of plain values."""

    sex: tuple[tuple[str, str, str], ...] = ()  # code, kind (drug/item), gend (1 男 / 2 女)
    child: tuple[tuple[str, str], ...] = ()  # code, kind
    over_age: tuple[str, ...] = ()  # codes paid only up to the legal working age
    insutype: tuple[tuple[str, str], ...] = ()  # code, kind (工伤 / 生育)
    inpatient: tuple[str, ...] = ()  # codes paid for inpatients only
    level: tuple[tuple[str, int], ...] = ()  # code, lowest tier (2 二级, 3 三级)
    course: tuple[tuple[str, str, int], ...] = ()  # code, kind, days paid at most
    duplicate: tuple[tuple[str, str, str], ...] = ()  # main code, sub code, window (day/visit/hour/6hour)
    frequency: tuple[tuple[str, int], ...] = ()  # code, most units a day
    cycle: tuple[tuple[str, int, int], ...] = ()  # code, times, per days
    gray_diagnoses: tuple[str, ...] = ()
    surgery_group: tuple[tuple[str, str], ...] = ()  # operation code, group (第二批 限定主次操作)
    sources: tuple[tuple[str, int], ...] = ()  # file name, rows read

    def counts(self) -> dict[str, int]:
        """Rows per table, for the library page."""
        return {
            name: len(getattr(self, name))
            for name in (
                "sex",
                "child",
                "over_age",
                "insutype",
                "inpatient",
                "level",
                "course",
                "duplicate",
                "frequency",
                "cycle",
                "gray_diagnoses",
                "surgery_group",
            )
        }

    @property
    def version(self) -> str:
        """A content hash: the same tables always give the same version."""
        digest = hashlib.sha256()
        for name, count in sorted(self.counts().items()):
            digest.update(f"{name}:{count};".encode())
            for row in sorted(map(str, getattr(self, name))):
                digest.update(row.encode())
        return digest.hexdigest()[:16]


Rows = Sequence[Mapping[str, str]]

_SEX = {"男": "1", "女": "2"}
_WINDOW = {"单日": "day", "单次就诊": "visit", "同一小时": "hour", "6小时": "6hour"}


def _code(value: str | None) -> str:
    return (value or "").strip().upper()


def _drug_names(rows: Rows, value_key: str) -> dict[str, str]:
    """Generic name → restriction value from a batch's `__1` file."""
    return {r["药品通用名"].strip(): (r.get(value_key) or "").strip() for r in rows if r.get("药品通用名")}


def _drug_codes(rows: Rows) -> list[tuple[str, str]]:
    """(generic name, code) pairs from a batch's `__2` file (国标代码 or 药品代码)."""
    pairs = []
    for r in rows:
        code = _code(r.get("国标代码") or r.get("药品代码"))
        if code and r.get("药品通用名"):
            pairs.append((r["药品通用名"].strip(), code))
    return pairs


def _days(text: str) -> int | None:
    """ "14天" → 14, "一年" → 365, "总时间不超过90天" → 90."""
    if "一年" in text:
        return 365
    found = re.search(r"(\d+)\s*天", text)
    return int(found.group(1)) if found else None


def classify_file(name: str) -> str | None:
    """Which knowledge table a published batch file feeds, from its name; None if not used."""
    table = None
    if "限定性别" in name:
        table = "sex"
    elif "第八批-2" in name:
        table = "over_age"
    elif "限定年龄" in name:
        table = "child"
    elif "限定保险类型" in name:
        table = "insutype"
    elif "限定就医方式" in name:
        table = "inpatient"
    elif "限定机构等级" in name:
        table = "level"
    elif "限定支付疗程" in name or "限定疗程" in name:
        table = "course"
    elif "重复收费" in name:
        table = "duplicate"
    elif "限定频次" in name:
        table = "frequency"
    elif "限定周期" in name:
        table = "cycle"
    elif "限定主次操作" in name:
        table = "surgery_group"
    if table is None:
        return None
    return f"{table}:{'names' if name.endswith('__1.csv') and '药品' in name else 'rows'}"


def parse_knowledge(files: Mapping[str, Rows], gray_diagnoses: Iterable[str] = ()) -> Knowledge:
    """Read the published batch files (name → CSV rows) into knowledge tables.

    Drug batches come in pairs: `__1` maps generic names to the restriction value, `__2` lists every
    national drug code of the generic name. Item batches list national service item codes directly.
    """
    names: dict[str, dict[str, str]] = {}
    by_table: dict[str, list[tuple[str, Rows]]] = {}
    for name in sorted(files):
        kind = classify_file(name)
        if kind is None:
            continue
        table, part = kind.split(":")
        if part == "names":
            value_key = {"sex": "限定对象", "child": "限定对象", "insutype": "限定对象"}.get(
                table, "限定值域"
            )
            names.setdefault(table, {}).update(_drug_names(files[name], value_key))
        else:
            by_table.setdefault(table, []).append((name, files[name]))
    out: dict[str, set[Any]] = {t: set() for t in _TABLES}
    sources: list[tuple[str, int]] = []
    for table, parts in by_table.items():
        for name, rows in parts:
            sources.append((name, len(rows)))
            if "药品" in name:
                values = names.get(table, {})
                for generic, code in _drug_codes(rows):
                    row = _drug_row(table, code, values.get(generic, ""))
                    if row is not None:
                        out[table].add(row)
            else:
                for r in rows:
                    row = _item_row(table, r)
                    if row is not None:
                        out[table].add(row)
    return Knowledge(
        **{t: tuple(sorted(rows_)) for t, rows_ in out.items()},
        gray_diagnoses=tuple(sorted({_code(g) for g in gray_diagnoses if _code(g)})),
        sources=tuple(sources),
    )


_TABLES = (
    "sex",
    "child",
    "over_age",
    "insutype",
    "inpatient",
    "level",
    "course",
    "duplicate",
    "frequency",
    "cycle",
    "surgery_group",
)


def _drug_row(table: str, code: str, value: str) -> Any:
    """One knowledge row of a drug code from its generic name's restriction value (None if not usable)."""
    days = _days(value)
    rows: dict[str, Any] = {
        "sex": (code, "drug", _SEX[value]) if value in _SEX else None,
        "child": (code, "drug"),
        "insutype": (code, value) if value in ("工伤", "生育") else None,
        "inpatient": code if value == "住院" else None,
        "level": (code, 2 if value.startswith("二") else 3) if value[:1] in ("二", "三") else None,
        "course": (code, "drug", days) if days is not None else None,
    }
    return rows.get(table)


def _item_row(table: str, r: Mapping[str, str]) -> Any:
    """One knowledge row of a service-item batch row (None if not usable)."""
    if table == "duplicate":
        main, sub = _code(r.get("主项编码")), _code(r.get("从项编码"))
        window = _WINDOW.get((r.get("频度") or "").strip())
        return (main, sub, window) if main and sub and window else None
    code = _code(r.get("国标代码") or r.get("项目代码") or r.get("项目编码"))
    if not code.isdigit():
        return None
    sex = (r.get("限定性别") or "").strip()
    days = _days(r.get("备注") or "")
    limit = (r.get("限制数量") or "").strip()
    times, period = (r.get("频次上限") or "").strip(), (r.get("疗程周期") or "").strip()
    rows: dict[str, Any] = {
        "sex": (code, "item", _SEX[sex]) if sex in _SEX else None,
        "child": (code, "item"),
        "over_age": code,
        "course": (code, "item", days) if days is not None else None,
        "frequency": (code, int(limit)) if limit.isdigit() else None,
        "cycle": (code, int(times), int(period)) if times.isdigit() and period.isdigit() else None,
        "surgery_group": (code, group) if (group := (r.get("限定值域") or "").strip()) else None,
    }
    return rows.get(table)


# ---------------------------------------------------------------- quality against labels


@dataclass(frozen=True)
class Quality:
    """Precision and recall of one family's findings against the labels (AUC for statistical ones)."""

    family: str
    labelled: int
    found: int
    true_positive: int
    auc: float | None = None

    @property
    def precision(self) -> float | None:
        return self.true_positive / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.true_positive / self.labelled if self.labelled else None


Key = tuple[str, str, str]  # scope, key value, family


def precision_recall(family: str, labels: set[str], found: set[str]) -> Quality:
    """Compare the keys a family's findings name with the keys the labels name."""
    return Quality(family=family, labelled=len(labels), found=len(found), true_positive=len(labels & found))


def auc(scores: Mapping[str, float], positives: set[str]) -> float | None:
    """Area under the ROC curve of a ranking score (ties count half); None without both classes."""
    pos = [s for k, s in scores.items() if k in positives]
    neg = [s for k, s in scores.items() if k not in positives]
    if not pos or not neg:
        return None
    wins = 0.0
    for p in pos:
        for n in neg:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(pos) * len(neg))


# ---------------------------------------------------------------- cases (疑点)


class CaseStatus(StrEnum):
    """Where a suspicious case (疑点) stands."""

    OPEN = "open"  # 待分派
    ASSIGNED = "assigned"  # 已分派
    VERIFYING = "verifying"  # 核查中
    CONFIRMED = "confirmed"  # 已确认违规
    DISMISSED = "dismissed"  # 已排除


CASE_LABELS = {
    CaseStatus.OPEN: "待分派",
    CaseStatus.ASSIGNED: "已分派",
    CaseStatus.VERIFYING: "核查中",
    CaseStatus.CONFIRMED: "已确认",
    CaseStatus.DISMISSED: "已排除",
}

_MOVES: dict[str, tuple[frozenset[CaseStatus], CaseStatus]] = {
    "assign": (frozenset({CaseStatus.OPEN, CaseStatus.ASSIGNED, CaseStatus.VERIFYING}), CaseStatus.ASSIGNED),
    "verify": (frozenset({CaseStatus.ASSIGNED, CaseStatus.VERIFYING}), CaseStatus.VERIFYING),
    "confirm": (frozenset({CaseStatus.ASSIGNED, CaseStatus.VERIFYING}), CaseStatus.CONFIRMED),
    "dismiss": (
        frozenset({CaseStatus.OPEN, CaseStatus.ASSIGNED, CaseStatus.VERIFYING}),
        CaseStatus.DISMISSED,
    ),
}
CASE_ACTIONS = tuple(_MOVES)


def case_move(status: str, action: str) -> CaseStatus:
    """The status a case takes after `action`; a move the state does not allow is refused."""
    if action not in _MOVES:
        raise invalid("CASE_ACTION", "action", f"字段 action 应为 {'/'.join(_MOVES)}")
    allowed, target = _MOVES[action]
    if CaseStatus(status) not in allowed:
        raise conflict(
            "CASE_STATE", f"疑点当前状态为{CASE_LABELS[CaseStatus(status)]}，不能执行 {action}", "action"
        )
    return target


def check_recovery(recover_fen: int, at_stake_fen: int) -> int:
    """The amount to recover (追回金额) is between zero and the amount at stake."""
    if recover_fen < 0 or recover_fen > at_stake_fen:
        raise invalid(
            "CASE_RECOVER",
            "recover_amt",
            f"字段 recover_amt 追回金额应在 0 与疑点涉及金额（{fen_to_yuan(at_stake_fen)}元）之间",
        )
    return recover_fen


def period_of(day: date) -> str:
    """The case period (月份) a finding belongs to: yyyy-MM."""
    return f"{day.year:04d}-{day.month:02d}"


# ---------------------------------------------------------------- in-visit input and output (事前/事中)


@dataclass(frozen=True)
class LineInput:
    """One order or fee line of a visit being checked (money in fen; price may carry fractions of a fen)."""

    sn: str  # feedetl_sn / rx_id
    code: str  # national code (hilist_code); "" when not mapped
    time: datetime
    quantity: Decimal
    price_fen: Decimal
    amount_fen: int
    hosp_code: str | None = None
    name: str = ""
    list_type: str | None = None
    cap_fen: Decimal | None = None  # price cap per unit on the fee date
    days: int = 0  # prescription days (prd_days)
    discharge_drug: bool = False  # 出院带药
    dept: str | None = None
    dr_code: str | None = None


@dataclass(frozen=True)
class VisitInput:
    """A visit as the in-visit check sees it: the patient, the institution, diagnoses and the lines."""

    mdtrt_id: str
    psn_no: str
    gend: str | None
    age: int | None
    insutype: str
    fixmedins_code: str
    hosp_tier: int  # 1 一级及以下, 2 二级, 3 三级, 0 unknown
    med_type: str
    begntime: datetime
    endtime: datetime | None
    diagnoses: tuple[str, ...]  # principal first
    lines: tuple[LineInput, ...]
    dr_code: str | None = None
    medfee_fen: int = 0


@dataclass(frozen=True)
class VisitFinding:
    """One rule hit during the visit (what 3101/3102 answer and pre-settlement shows)."""

    rule_id: str
    rule_name: str
    family: str
    severity: int  # 1 notice, 2 suspicious, 3 violation
    sn: str | None  # the line, or None for a visit-level finding
    vola_fen: int
    evidence: str
    blocking: bool

    @property
    def national_sev_deg(self) -> str:
        return national_sev_deg(self.severity)


def age_on(birth: date | None, day: date) -> int | None:
    """Whole years of age on `day` (周岁)."""
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def tier_of(hosp_lv: str | None) -> int:
    """The level tier of a national hosp_lv code: 3 三级, 2 二级, 1 一级, 0 无等级 or unknown."""
    code = (hosp_lv or "").strip()
    if code in ("1", "2", "3", "4", "12"):
        return 3
    if code in ("5", "6", "7", "13"):
        return 2
    if code in ("8", "9", "10", "14"):
        return 1
    return 0


def is_inpatient(med_type: str) -> bool:
    """Inpatient medical types (住院): 2xxx and 生育住院 52."""
    return med_type.startswith("2") or med_type == "52"


# ---------------------------------------------------------------- in-visit evaluation
#
# The batch runs the SQL of yibao.monitoring.rules_sql; inside a visit the same rule types are
# evaluated here on the visit's own lines (an embedded SQL engine costs more per query than the
# whole 10 ms budget). tests/monitoring/test_invisit.py proves that both give the same findings —
# rule, line, amount and evidence text — on every hand-made case.

_WINDOW_TEXT = {"day": "日", "visit": "次就诊", "hour": "一小时", "6hour": "6小时内"}
_DRUG_LIST_TYPES = frozenset({"101", "102", "103", "104", "106"})
_FOUR = Decimal("0.0001")
_CENT_FEN = Decimal("0.01")


@dataclass(frozen=True)
class KnowledgeIndex:
    """The knowledge tables keyed by code, for O(1) lookups during a visit."""

    sex: Mapping[tuple[str, str], tuple[str, ...]]
    child: frozenset[tuple[str, str]]
    over_age: frozenset[str]
    insutype: Mapping[str, tuple[str, ...]]
    inpatient: frozenset[str]
    level: Mapping[str, int]
    course: Mapping[tuple[str, str], int]
    duplicate: Mapping[str, tuple[tuple[str, str], ...]]  # sub code → (main code, window)
    frequency: Mapping[str, int]
    cycle: Mapping[str, int]
    gray: frozenset[str]


def index_knowledge(k: Knowledge) -> KnowledgeIndex:
    """Index the knowledge tables by code."""
    sex: dict[tuple[str, str], tuple[str, ...]] = {}
    for code, kind, gend in k.sex:
        sex[(code, kind)] = (*sex.get((code, kind), ()), gend)
    insutype: dict[str, tuple[str, ...]] = {}
    for code, kind in k.insutype:
        insutype[code] = (*insutype.get(code, ()), kind)
    duplicate: dict[str, tuple[tuple[str, str], ...]] = {}
    for main, sub, window in k.duplicate:
        duplicate[sub] = (*duplicate.get(sub, ()), (main, window))
    return KnowledgeIndex(
        sex=sex,
        child=frozenset(k.child),
        over_age=frozenset(k.over_age),
        insutype=insutype,
        inpatient=frozenset(k.inpatient),
        level={code: tier for code, tier in k.level},
        course={(code, kind): days for code, kind, days in k.course},
        duplicate=duplicate,
        frequency={code: units for code, units in k.frequency},
        cycle={code: days for code, _times, days in k.cycle},
        gray=frozenset(k.gray_diagnoses),
    )


Hit = tuple[str | None, int, str]  # line sn (None for the visit), vola fen, evidence


def _sex_word(gend: str | None) -> str:
    return "男" if gend == "1" else "女"


def _dec4(value: Decimal) -> str:
    return format(value.quantize(_FOUR, rounding=ROUND_HALF_UP), "f")


def _yuan4(fen: Decimal) -> str:
    return _dec4(fen.quantize(_CENT_FEN, rounding=ROUND_HALF_UP) * _CENT_FEN)


def _round_fen(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _share(amount: int, excess: int, total: int) -> int:
    return (2 * amount * excess + total) // (2 * total)


def _lines(visit: VisitInput) -> list[LineInput]:
    return [ln for ln in visit.lines if ln.quantity > 0]


def _lc(line: LineInput) -> str:
    return (line.code or "").strip().upper()


def _ev_item_sex(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    if v.gend not in ("1", "2"):
        return []
    hits: list[Hit] = []
    for ln in _lines(v):
        for gend in kb.sex.get((_lc(ln), rule.params["kind"]), ()):
            if gend != v.gend:
                hits.append(
                    (
                        ln.sn,
                        ln.amount_fen,
                        f"编码 {_lc(ln)} 限{_sex_word(gend)}性使用，患者性别{_sex_word(v.gend)}",
                    )
                )
    return hits


def _ev_item_child(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    top = int(rule.params["max_age"])
    if v.age is None or v.age <= top:
        return []
    return [
        (ln.sn, ln.amount_fen, f"编码 {_lc(ln)} 限儿童使用（≤{top}岁），患者 {v.age} 岁")
        for ln in _lines(v)
        if (_lc(ln), rule.params["kind"]) in kb.child
    ]


def _ev_item_over_age(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    top = int(rule.params["max_age"])
    if v.age is None or v.age <= top:
        return []
    return [
        (ln.sn, ln.amount_fen, f"项目 {_lc(ln)} 限法定就业年龄（≤{top}岁），患者 {v.age} 岁")
        for ln in _lines(v)
        if _lc(ln) in kb.over_age
    ]


def _ev_item_insutype(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    kind = rule.params["kind"]
    if v.insutype in rule.params["insutypes"] or v.med_type in rule.params.get("med_types", ()):
        return []
    return [
        (ln.sn, ln.amount_fen, f"药品 {_lc(ln)} 限{kind}保险，险种 {v.insutype} 医疗类别 {v.med_type}")
        for ln in _lines(v)
        if kind in kb.insutype.get(_lc(ln), ())
    ]


def _ev_item_inpatient(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    if is_inpatient(v.med_type):
        return []
    return [
        (ln.sn, ln.amount_fen, f"药品 {_lc(ln)} 限住院使用，医疗类别 {v.med_type}")
        for ln in _lines(v)
        if _lc(ln) in kb.inpatient
    ]


def _ev_item_level(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    hits: list[Hit] = []
    for ln in _lines(v):
        lowest = kb.level.get(_lc(ln))
        if lowest is not None and v.hosp_tier < lowest:
            hits.append(
                (
                    ln.sn,
                    ln.amount_fen,
                    f"药品 {_lc(ln)} 限{lowest}级及以上医疗机构，机构等级 {v.hosp_tier} 级",
                )
            )
    return hits


def _ev_item_course(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    kind = rule.params["kind"]
    mine = [(ln, kb.course[(_lc(ln), kind)]) for ln in _lines(v) if (_lc(ln), kind) in kb.course]
    first: dict[str, date] = {}
    for ln, _days in mine:
        day = ln.time.date()
        first[_lc(ln)] = min(first.get(_lc(ln), day), day)
    return [
        (
            ln.sn,
            ln.amount_fen,
            f"编码 {_lc(ln)} 限支付 {days} 天，首次使用 {first[_lc(ln)]}，本次 {ln.time.date()}",
        )
        for ln, days in mine
        if (ln.time.date() - first[_lc(ln)]).days >= days
    ]


def _same_window(window: str, a: LineInput, b: LineInput) -> bool:
    if window == "visit":
        return True
    if window == "day":
        return a.time.date() == b.time.date()
    if window == "hour":
        return a.time.replace(minute=0, second=0, microsecond=0) == b.time.replace(
            minute=0, second=0, microsecond=0
        )
    return abs((a.time - b.time).total_seconds()) < 21600


def _ev_duplicate_pair(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    lines = _lines(v)
    by_code: dict[str, list[LineInput]] = {}
    for ln in lines:
        by_code.setdefault(_lc(ln), []).append(ln)
    hits: list[Hit] = []
    for ln in lines:
        mains: list[str] = []
        windows: list[str] = []
        for main, window in kb.duplicate.get(_lc(ln), ()):
            for other in by_code.get(main, ()):
                if other.sn != ln.sn and _same_window(window, other, ln):
                    mains.append(main)
                    windows.append(_WINDOW_TEXT[window])
        if mains:
            hits.append((ln.sn, ln.amount_fen, f"从项 {_lc(ln)} 与主项 {min(mains)} 同{min(windows)}收取"))
    return hits


def _ordered(lines: Iterable[LineInput]) -> list[LineInput]:
    return sorted(lines, key=lambda ln: (ln.time, ln.sn))


def _ev_item_frequency(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    hits: list[Hit] = []
    running: dict[tuple[str, date], Decimal] = {}
    for ln in _ordered(ln for ln in _lines(v) if _lc(ln) in kb.frequency):
        most = kb.frequency[_lc(ln)]
        key = (_lc(ln), ln.time.date())
        total = running[key] = running.get(key, Decimal(0)) + ln.quantity
        if total > most:
            price = ln.price_fen.quantize(_CENT_FEN, rounding=ROUND_HALF_UP)
            fen = _round_fen(min(ln.quantity, total - most) * price)
            hits.append((ln.sn, fen, f"项目 {key[0]} {key[1]} 累计 {_dec4(total)}，限 {most}"))
    return hits


def _ev_item_cycle(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    hits: list[Hit] = []
    previous: dict[str, date] = {}
    for ln in _ordered(ln for ln in _lines(v) if _lc(ln) in kb.cycle):
        days, day, prev = kb.cycle[_lc(ln)], ln.time.date(), previous.get(_lc(ln))
        if prev is not None and (day - prev).days < days:
            hits.append(
                (ln.sn, ln.amount_fen, f"项目 {_lc(ln)} 每 {days} 天限 1 次，上次 {prev}，本次 {day}")
            )
        previous[_lc(ln)] = day
    return hits


def _ev_over_price_cap(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    hits: list[Hit] = []
    for ln in _lines(v):
        if ln.cap_fen is None:
            continue
        price = ln.price_fen.quantize(_CENT_FEN, rounding=ROUND_HALF_UP)
        cap = ln.cap_fen.quantize(_CENT_FEN, rounding=ROUND_HALF_UP)
        if cap > 0 and price > cap:
            fen = _round_fen((price - cap) * ln.quantity)
            hits.append((ln.sn, fen, f"编码 {_lc(ln)} 单价 {_yuan4(price)} 元超限价 {_yuan4(cap)} 元"))
    return hits


def _ev_excess_days(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    most = int(rule.params["max_days"])
    if is_inpatient(v.med_type):
        return []
    return [
        (
            ln.sn,
            _share(ln.amount_fen, ln.days - most, ln.days),
            f"药品 {_lc(ln)} 开药 {ln.days} 天，超过 {most} 天",
        )
        for ln in _lines(v)
        if ln.list_type in _DRUG_LIST_TYPES and ln.days > most and not ln.discharge_drug
    ]


def _ev_discharge_medication(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    p = rule.params
    if not is_inpatient(v.med_type):
        return []
    main = (v.diagnoses[0] if v.diagnoses else "").strip().upper()
    max_days = (
        int(p["chronic_days"])
        if any(main.startswith(c) for c in p["chronic_prefixes"])
        else int(p["acute_days"])
    )
    kinds = int(p["max_kinds"])
    taken = [ln for ln in _lines(v) if ln.discharge_drug]
    first: dict[str, datetime] = {}
    for ln in taken:
        first[_lc(ln)] = min(first.get(_lc(ln), ln.time), ln.time)
    rank = {code: n for n, code in enumerate(sorted(first, key=lambda c: (first[c], c)), start=1)}
    hits: list[Hit] = []
    for ln in taken:
        non_oral = any(w in ln.name for w in p["non_oral_words"])
        kind_no = rank[_lc(ln)]
        if not (non_oral or kind_no > kinds or ln.days > max_days):
            continue
        fen = (
            ln.amount_fen
            if non_oral or kind_no > kinds
            else _share(ln.amount_fen, ln.days - max_days, ln.days)
        )
        text = f"出院带药 {_lc(ln)}" + ("：非口服剂型" if non_oral else "")
        text += f"：第 {kind_no} 种，限 {kinds} 种" if kind_no > kinds else ""
        text += f"：{ln.days} 天，限 {max_days} 天" if ln.days > max_days else ""
        hits.append((ln.sn, fen, text))
    return hits


def _ev_unmapped_code(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    return [
        (ln.sn, ln.amount_fen, f"医院目录 {ln.hosp_code or ''} 未对照医保目录编码")
        for ln in _lines(v)
        if not _lc(ln)
    ]


def _diagnoses(v: VisitInput) -> list[str]:
    return [d.strip().upper() for d in v.diagnoses if d and d.strip()]


def _medfee(v: VisitInput) -> int:
    return v.medfee_fen or sum(ln.amount_fen for ln in _lines(v))


def _ev_gray_diagnosis(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    gray = [d for d in _diagnoses(v) if d in kb.gray]
    return [(None, 0, f"诊断编码 {min(gray)} 为灰码")] if gray else []


def _female_only(code: str) -> bool:
    head = code[:3]
    return code.startswith("O") or "N70" <= head <= "N98" or "C51" <= head <= "C58" or "D25" <= head <= "D28"


def _male_only(code: str) -> bool:
    head = code[:3]
    return "N40" <= head <= "N51" or "C60" <= head <= "C63"


def _ev_diagnosis_sex(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    wrong = [
        d for d in _diagnoses(v) if (v.gend == "1" and _female_only(d)) or (v.gend == "2" and _male_only(d))
    ]
    return [(None, _medfee(v), f"诊断 {min(wrong)} 与患者性别{_sex_word(v.gend)}不符")] if wrong else []


def _ev_diagnosis_age(rule: RuleDef, v: VisitInput, kb: KnowledgeIndex) -> list[Hit]:
    p, age = rule.params, v.age
    if age is None:
        return []
    wrong = [
        d
        for d in _diagnoses(v)
        if (d.startswith("P") and age > int(p["perinatal_max_age"]))
        or (d.startswith("O") and (age < int(p["obstetric_min_age"]) or age > int(p["obstetric_max_age"])))
    ]
    return [(None, _medfee(v), f"诊断 {min(wrong)} 与患者年龄 {age} 岁不符")] if wrong else []


IN_VISIT_TYPES = {
    "item_sex": _ev_item_sex,
    "item_child": _ev_item_child,
    "item_over_age": _ev_item_over_age,
    "item_insutype": _ev_item_insutype,
    "item_inpatient": _ev_item_inpatient,
    "item_level": _ev_item_level,
    "item_course": _ev_item_course,
    "duplicate_pair": _ev_duplicate_pair,
    "item_frequency": _ev_item_frequency,
    "item_cycle": _ev_item_cycle,
    "over_price_cap": _ev_over_price_cap,
    "excess_days": _ev_excess_days,
    "discharge_medication": _ev_discharge_medication,
    "unmapped_code": _ev_unmapped_code,
    "gray_diagnosis": _ev_gray_diagnosis,
    "diagnosis_sex": _ev_diagnosis_sex,
    "diagnosis_age": _ev_diagnosis_age,
}
"""Rule types that a single visit can decide (the others need history or inspection events)."""


def check_visit(
    visit: VisitInput, rules: Iterable[RuleDef], kb: KnowledgeIndex, scenario: str
) -> list[VisitFinding]:
    """The findings of the rules that run in `scenario` (pre 事前 / in 事中) on one visit."""
    found: list[VisitFinding] = []
    for rule in rules:
        evaluate = IN_VISIT_TYPES.get(rule.rule_type)
        if evaluate is None or scenario not in rule.scenarios:
            continue
        for sn, fen, evidence in evaluate(rule, visit, kb):
            found.append(
                VisitFinding(
                    rule.rule_id, rule.name, rule.family, rule.severity, sn, fen, evidence, rule.blocking
                )
            )
    return sorted(found, key=lambda f: (f.rule_id, f.sn is None, f.sn or ""))
