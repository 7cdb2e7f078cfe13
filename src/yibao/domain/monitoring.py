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
from datetime import date
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
        """The rule with some parameters replaced (region settings, what-if)."""
        merged = dict(self.params) | dict(overrides)
        return replace(self, params=MappingProxyType(merged))


_IN = frozenset({"pre", "in", "post"})
_POST = frozenset({"post"})

_CHILD = {"max_age": 17}
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
        **_CHILD,
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
        **_CHILD,
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
        goods_words=("食品", "日用", "化妆", "洗护", "保健品", "饮料", "酒", "纸巾", "牙膏", "洗发"),
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


def check_params(rule: RuleDef, params: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse unknown parameter names and values of another type than the default's."""
    clean: dict[str, Any] = {}
    for name, value in params.items():
        if name not in rule.params:
            known = "、".join(sorted(rule.params)) or "无"
            raise invalid(
                "RULE_PARAM", f"params.{name}", f"规则 {rule.rule_id} 没有参数 {name}（可用：{known}）"
            )
        default = rule.params[name]
        if isinstance(default, bool) or isinstance(value, bool):
            ok = isinstance(value, bool) and isinstance(default, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and value >= 0
        elif isinstance(default, tuple | list):
            ok = isinstance(value, list | tuple) and all(isinstance(v, str) and v for v in value)
            value = tuple(value) if ok else value
        else:
            ok = isinstance(value, str) and bool(value)
        if not ok:
            raise invalid(
                "RULE_PARAM_TYPE",
                f"params.{name}",
                f"规则 {rule.rule_id} 参数 {name} 的取值类型应与默认值相同",
            )
        clean[name] = value
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
    sex: list[tuple[str, str, str]] = []
    child: list[tuple[str, str]] = []
    over_age: list[str] = []
    insutype: list[tuple[str, str]] = []
    inpatient: list[str] = []
    level: list[tuple[str, int]] = []
    course: list[tuple[str, str, int]] = []
    duplicate: list[tuple[str, str, str]] = []
    frequency: list[tuple[str, int]] = []
    cycle: list[tuple[str, int, int]] = []
    sources: list[tuple[str, int]] = []
    for table, parts in by_table.items():
        for name, rows in parts:
            sources.append((name, len(rows)))
            drug = "药品" in name
            values = names.get(table, {})
            if drug:
                for generic, code in _drug_codes(rows):
                    value = values.get(generic, "")
                    if table == "sex" and value in _SEX:
                        sex.append((code, "drug", _SEX[value]))
                    elif table == "child":
                        child.append((code, "drug"))
                    elif table == "insutype" and value in ("工伤", "生育"):
                        insutype.append((code, value))
                    elif table == "inpatient" and value == "住院":
                        inpatient.append(code)
                    elif table == "level" and value[:1] in ("二", "三"):
                        level.append((code, 2 if value.startswith("二") else 3))
                    elif table == "course" and (days := _days(value)) is not None:
                        course.append((code, "drug", days))
                continue
            for r in rows:
                code = _code(r.get("国标代码") or r.get("项目代码") or r.get("项目编码"))
                if table == "duplicate":
                    main, sub = _code(r.get("主项编码")), _code(r.get("从项编码"))
                    window = _WINDOW.get((r.get("频度") or "").strip())
                    if main and sub and window:
                        duplicate.append((main, sub, window))
                    continue
                if not code.isdigit():
                    continue
                if table == "sex" and (r.get("限定性别") or "").strip() in _SEX:
                    sex.append((code, "item", _SEX[r["限定性别"].strip()]))
                elif table == "child":
                    child.append((code, "item"))
                elif table == "over_age":
                    over_age.append(code)
                elif table == "course" and (days := _days(r.get("备注") or "")) is not None:
                    course.append((code, "item", days))
                elif table == "frequency":
                    limit = (r.get("限制数量") or "").strip()
                    if limit.isdigit():
                        frequency.append((code, int(limit)))
                elif table == "cycle":
                    times, days_text = (r.get("频次上限") or "").strip(), (r.get("疗程周期") or "").strip()
                    if times.isdigit() and days_text.isdigit():
                        cycle.append((code, int(times), int(days_text)))
    return Knowledge(
        sex=tuple(sorted(set(sex))),
        child=tuple(sorted(set(child))),
        over_age=tuple(sorted(set(over_age))),
        insutype=tuple(sorted(set(insutype))),
        inpatient=tuple(sorted(set(inpatient))),
        level=tuple(sorted(set(level))),
        course=tuple(sorted(set(course))),
        duplicate=tuple(sorted(set(duplicate))),
        frequency=tuple(sorted(set(frequency))),
        cycle=tuple(sorted(set(cycle))),
        gray_diagnoses=tuple(sorted({_code(g) for g in gray_diagnoses if _code(g)})),
        sources=tuple(sources),
    )


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
