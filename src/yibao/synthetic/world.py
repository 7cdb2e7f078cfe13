"""The synthetic pooling region (模拟统筹区): catalog, diseases, institutions, doctors and insured persons.

Built once per seed from the national reference data (ICD-10 / ICD-9-CM-3 医保版, the knowledge base of
restricted drugs and services, duplicate-charge pairs and frequency limits) plus generic items. Everything
here is deterministic for a seed; the visits and fee lines are drawn month by month in `generator.py`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from yibao.domain import catalog as catalog_rules
from yibao.domain.catalog import Restrictions
from yibao.domain.monitoring import Knowledge, is_inpatient, tier_of

DRUG, SERVICE, CONSUMABLE = "drug", "service", "consumable"
TIERS = ("1", "2", "3")
KB_DIR = ("monitoring", "knowledge")


@dataclass
class Item:
    """One catalog item as the generator prices and the engine settles it."""

    code: str
    name: str
    kind: str  # drug / service / consumable
    list_type: str  # 101 drugs, 201 services, 301 consumables
    med_chrgitm_type: str  # 01 bed … 09 western drug, 11 patent drug
    chrgitm_lv: str  # 01 甲类, 02 乙类, 03 丙类
    selfpay_bp: int  # 先行自付比例 in basis points
    caps: dict[str, int | None]  # price cap (fen per unit) by tier 1/2/3; None = no cap
    base_price: int  # fen per unit for a tier-1 institution when there is no cap
    unit: str = "次"
    restrictions: Restrictions = field(default_factory=Restrictions)
    role: str = ""  # what the item is used for in the visit model

    def cap(self, tier: str) -> int | None:
        return self.caps.get(tier)

    def price(self, tier: str) -> int:
        """The clean price at an institution of `tier`: the cap where there is one (never above it)."""
        cap = self.caps.get(tier)
        if cap is not None:
            return cap
        factor = {"1": 1.0, "2": 1.1, "3": 1.2}[tier]
        return round(self.base_price * factor)


# Generic items (通用项目) used by clean visits; codes have the national shape, caps are per tier in yuan.
_SERVICES = [
    # code, name, med_chrgitm_type, class, selfpay bp, caps yuan (t1, t2, t3), unit, role
    ("001101000010000", "普通门诊诊查费", "02", "01", 0, (5, 8, 10), "次", "opt_exam"),
    ("001102000050000", "住院诊查费", "02", "01", 0, (8, 10, 12), "日", "ipt_exam"),
    ("001109000010000", "普通病房床位费", "01", "01", 0, (20, 30, 40), "日", "bed"),
    ("001201000040000", "Ⅱ级护理", "07", "01", 0, (12, 15, 18), "日", "nursing"),
    ("002501000010000", "血细胞分析", "04", "01", 0, (15, 18, 20), "次", "lab"),
    ("002501000020000", "尿液分析", "04", "01", 0, (8, 10, 12), "次", "lab"),
    ("002503010010000", "肝功能检测", "04", "01", 0, (40, 50, 60), "次", "lab"),
    ("002503010020000", "肾功能检测", "04", "01", 0, (30, 36, 42), "次", "lab"),
    ("002503020010000", "血糖测定", "04", "01", 0, (5, 6, 8), "次", "lab"),
    ("002201000010000", "胸部X线摄影", "03", "01", 0, (40, 50, 60), "次", "imaging"),
    ("002206000010000", "颅脑CT平扫", "03", "02", 1000, (150, 180, 220), "次", "imaging"),
    ("002203000010000", "腹部彩色多普勒超声", "03", "01", 0, (80, 100, 120), "次", "imaging"),
    ("003107010010000", "常规心电图检查", "03", "01", 0, (15, 20, 25), "次", "imaging"),
    ("001204000010000", "静脉输液", "05", "01", 0, (5, 6, 8), "次", "treat"),
    ("001204000020000", "肌肉注射", "05", "01", 0, (2, 3, 4), "次", "treat"),
    ("003311000010000", "清创缝合术", "06", "01", 0, (60, 80, 100), "次", "treat"),
    ("003310000010000", "普通外科手术", "06", "01", 0, (900, 1400, 2000), "次", "surgery"),
    ("003313000010000", "骨科手术", "06", "01", 0, (1500, 2500, 3500), "次", "surgery"),
    ("003312000010000", "眼科手术", "06", "01", 0, (800, 1200, 1600), "次", "surgery"),
    ("003307000010000", "心血管介入手术", "06", "02", 1000, (2000, 3500, 5000), "次", "surgery"),
    ("003314000010000", "产科手术", "06", "01", 0, (800, 1100, 1500), "次", "surgery"),
    ("003301000010000", "全身麻醉", "06", "01", 0, (400, 600, 800), "次", "anesthesia"),
    ("003110000010000", "血液透析", "05", "01", 0, (380, 400, 420), "次", "dialysis"),
]
_DRUGS = [
    # code, name, med_chrgitm_type, class, selfpay bp, cap yuan (None: no cap), base yuan, role
    ("XJ01CRA045E001010101509", "阿莫西林克拉维酸钾片", "09", "02", 1000, "35.80", None, "acute"),
    ("XJ01DDA123E001010100001", "头孢克肟片", "09", "02", 1000, "28.50", None, "acute"),
    ("XR05CBA001E001010100002", "氨溴索片", "09", "01", 0, "12.00", None, "acute"),
    ("XN02BEA001E001010100003", "对乙酰氨基酚片", "09", "01", 0, "6.50", None, "acute"),
    ("XA02BCA001E001010100004", "奥美拉唑肠溶胶囊", "09", "01", 0, "18.00", None, "acute"),
    ("ZA01AAA0001010100000005", "连花清瘟胶囊", "11", "02", 500, "25.00", None, "acute"),
    ("ZA01AAA0002010100000006", "蒲地蓝消炎口服液", "11", "02", 1000, "32.00", None, "acute"),
    ("XJ01DCA001B002010100007", "注射用头孢呋辛钠", "09", "02", 1000, "22.00", None, "ipt"),
    ("XB05BAA001B002010100008", "葡萄糖氯化钠注射液", "09", "01", 0, "4.50", None, "ipt"),
    ("XB05XAA001B002010100009", "氯化钾注射液", "09", "01", 0, "3.20", None, "ipt"),
    ("XA02BCA002B002010100010", "注射用奥美拉唑钠", "09", "02", 1000, "16.80", None, "ipt"),
    ("XB01ABA001B002010100011", "低分子肝素钙注射液", "09", "02", 1000, "38.00", None, "ipt"),
    ("XN02AXA001B002010100012", "注射用帕瑞昔布钠", "09", "02", 2000, "65.00", None, "ipt"),
    ("ZB01AAA0003010200000013", "丹参注射液", "11", "02", 1000, "12.40", None, "ipt"),
    ("XC08CAA001E001010100014", "苯磺酸氨氯地平片", "09", "01", 0, "15.60", None, "htn"),
    ("XC09CAA001E001010100015", "厄贝沙坦片", "09", "02", 500, "22.40", None, "htn"),
    ("XC07ABA001E001010100016", "美托洛尔缓释片", "09", "01", 0, "28.00", None, "htn"),
    ("XA10BAA001E001010100017", "二甲双胍片", "09", "01", 0, "9.80", None, "dm"),
    ("XA10BBA001E001010100018", "格列美脲片", "09", "02", 500, "26.00", None, "dm"),
    ("XA10AEA001B002010100019", "甘精胰岛素注射液", "09", "02", 1000, "160.00", None, "dm"),
    ("XB03XAA001B002010100020", "重组人促红素注射液", "09", "02", 1000, "48.00", None, "dialysis"),
    ("XV03AEA001E001010100021", "碳酸司维拉姆片", "09", "02", 1000, "96.00", None, "dialysis"),
    ("XA11CCA001E001010100022", "骨化三醇软胶囊", "09", "02", 500, "30.00", None, "dialysis"),
    ("XM01AEA001E001010100023", "布洛芬缓释胶囊", "09", "01", 0, "14.00", None, "acute"),
    ("XR06AXA001E001010100024", "氯雷他定片", "09", "01", 0, "16.00", None, "acute"),
    ("XD07ACA001E001010100025", "糠酸莫米松乳膏", "09", "02", 1000, "24.00", None, "acute"),
    ("XS01AAA001E001010100026", "左氧氟沙星滴眼液", "09", "02", 1000, "18.00", None, "acute"),
    ("XC10AAA001E001010100027", "阿托伐他汀钙片", "09", "01", 0, "32.00", None, "htn"),
    ("ZA12AAA0004010100000028", "复方丹参滴丸", "11", "01", 0, "26.00", None, "htn"),
    ("XJ05ABA001E001010100029", "奥司他韦胶囊", "09", "02", 1000, "58.00", None, "acute"),
    ("XH02ABA001E001010100030", "醋酸泼尼松片", "09", "01", 0, "6.00", None, "acute"),
    ("XN05CFA001E001010100031", "佐匹克隆片", "09", "03", 10000, None, "38.00", "acute"),
    # Inpatient injections of county and city hospitals (the bulk of a stay's drug cost).
    ("XJ01CRA056B002010100032", "注射用哌拉西林钠他唑巴坦钠", "09", "02", 1000, "58.00", None, "ipt"),
    ("XA02BCA006B002010100033", "注射用兰索拉唑", "09", "02", 1000, "42.00", None, "ipt"),
    ("ZB01AAA0005010200000034", "注射用血塞通", "11", "02", 1000, "35.00", None, "ipt"),
    ("XJ01DDA063B002010100035", "注射用头孢曲松钠", "09", "01", 0, "12.50", None, "ipt"),
    # Drugs of severe cases (重症用药), given on the first days of a severe stay.
    ("XJ01DHA024B002010100036", "注射用美罗培南", "09", "02", 1000, "128.00", None, "severe"),
    ("XB05AAA001B002010100037", "人血白蛋白", "09", "02", 2000, "368.00", None, "severe"),
    # Special drugs (特殊药品, "five fixed" 五定): paid only for a registered patient at the registered
    # hospital, department and doctor, up to the registered monthly dose (special_drug_b).
    ("XL01XCT001B002010100041", "注射用曲妥珠单抗", "09", "02", 1000, "1688.00", None, "special"),
    ("XL01XEA001E001010100042", "甲磺酸伊马替尼片", "09", "02", 1000, "980.00", None, "special"),
    ("XL04ABA004B002010100043", "阿达木单抗注射液", "09", "02", 1000, "1290.00", None, "special"),
]
_CONSUMABLES = [
    ("C14010218070000110190000165", "一次性使用无菌注射器", "01", 0, "0.80", "ipt"),
    ("C14010218070000110190000166", "一次性使用输液器", "01", 0, "3.50", "ipt"),
    ("C02010100101002070000000011", "冠状动脉药物洗脱支架系统", "02", 2000, "798.00", "stent"),
    ("C03010100101002070000000012", "人工髋关节假体", "02", 2000, "6800.00", "implant"),
    ("C03010100101002070000000013", "骨科内固定钢板", "02", 2000, "2400.00", "implant"),
    ("C06010100101002070000000014", "人工晶状体", "02", 2000, "1200.00", "lens"),
    ("C10010100101002070000000015", "透析器", "01", 0, "120.00", "dialysis"),
]
# Dosage forms taken by mouth (口服剂型): the only drugs taken home at discharge (001 第6篇 第31条).
ORAL_FORMS = ("片", "胶囊", "口服液", "颗粒", "丸")
# Daily goods a pharmacy may sell and bill as a drug (药店串换日用品).
GOODS = ["某牌洗发水", "某牌保湿面膜", "某牌牙膏", "营养保健酒", "蛋白粉", "某牌沐浴露", "电动牙刷", "洗衣液"]


def _yuan(text: str | int | None) -> int | None:
    if text is None:
        return None
    return round(float(text) * 100)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _kb(reference: Path, pattern: str) -> Path | None:
    folder = reference.joinpath(*KB_DIR)
    found = sorted(folder.glob(pattern)) if folder.is_dir() else []
    return found[0] if found else None


def _valid(kind: str, list_type: str, code: str) -> bool:
    try:
        catalog_rules.check_code(kind, list_type, code)
    except Exception:
        return False
    return True


@dataclass
class KnowledgeFacts:
    """What the monitoring knowledge (知识点 第一批…第八批, as `yibao monitor` loads it) says of the catalog's
    items, by item index: the generator asks it which restriction families a line truly breaks, so a label
    names every family a rule will find on the line and the clean model keeps clear of them all."""

    sex: dict[int, frozenset[str]] = field(default_factory=dict)  # genders listed (限定性别)
    child: frozenset[int] = frozenset()  # 限儿童 (≤ 17)
    over_age: frozenset[int] = frozenset()  # 限法定就业年龄 (≤ 60)
    insutype: dict[int, str] = field(default_factory=dict)  # 工伤 / 生育
    inpatient: frozenset[int] = frozenset()  # 限住院 (第四批)
    level: dict[int, int] = field(default_factory=dict)  # lowest tier (第五批)

    @property
    def restricted(self) -> frozenset[int]:
        return (
            frozenset(self.sex)
            | self.child
            | self.over_age
            | set(self.insutype)
            | self.inpatient
            | set(self.level)
        )

    def breaks(
        self, item: int, *, gend: str, age: int, insutype: str, med_type: str, hosp_lv: str | None
    ) -> list[str]:
        """The restriction families (WAREHOUSE.md vocabulary) a line of `item` breaks in this visit, decided
        as the monitoring rules decide them (item_sex, item_child, item_over_age, item_insutype,
        item_inpatient, item_level)."""
        found = []
        if any(g != gend for g in self.sex.get(item, ())):
            found.append("sex_restricted")
        if (item in self.child and age > 17) or (item in self.over_age and age > 60):
            found.append("age_restricted")
        if item in self.level and tier_of(hosp_lv) < self.level[item]:
            found.append("level_restricted")
        kind = self.insutype.get(item)
        maternity = insutype == "510" or med_type in ("51", "52", "2106", "2107")
        if (kind == "工伤" and insutype != "410") or (kind == "生育" and not maternity):
            found.append("insurance_type_restricted")
        if item in self.inpatient and not is_inpatient(med_type):
            found.append("treatment_mode_restricted")
        return found


def knowledge_facts(items: list[Item], knowledge: Knowledge) -> KnowledgeFacts:
    """The knowledge rows of the catalog's codes, by item index."""
    index = {item.code.upper(): i for i, item in enumerate(items)}
    sex: dict[int, set[str]] = {}
    for code, _kind, gend in knowledge.sex:
        if code in index:
            sex.setdefault(index[code], set()).add(gend)
    return KnowledgeFacts(
        sex={i: frozenset(g) for i, g in sex.items()},
        child=frozenset(index[c] for c, _kind in knowledge.child if c in index),
        over_age=frozenset(index[c] for c in knowledge.over_age if c in index),
        insutype={index[c]: kind for c, kind in knowledge.insutype if c in index},
        inpatient=frozenset(index[c] for c in knowledge.inpatient if c in index),
        level={index[c]: tier for c, tier in knowledge.level if c in index},
    )


def _knowledge(reference: Path) -> Knowledge:
    """The published knowledge batches under `reference` (none when the folder is absent, as in tests
    without the shared reference data)."""
    if not reference.joinpath(*KB_DIR).is_dir():
        return Knowledge()
    from yibao.monitoring.knowledge import reference_knowledge  # the reader `yibao monitor` uses

    return reference_knowledge(reference)


@dataclass
class Catalog:
    """The region's catalog: items by index, the pools each visit type draws from, and the KB tables."""

    items: list[Item]
    pools: dict[str, np.ndarray]  # role → item indices
    pairs: list[tuple[int, int]]  # duplicate-charge pairs (主项, 从项) as item indices
    frequency: dict[int, int]  # item index → at most this many per day (限定频次)
    kb: KnowledgeFacts = field(default_factory=KnowledgeFacts)
    # Operations of one group (第二批 限定主次操作) as item indices: a second one through the same incision is
    # billed at half its price (手术折价); never in the clean pools.
    surgery_groups: list[list[int]] = field(default_factory=list)
    # Drugs and services paid for a limited course (第六批 / 第八批-3): item index → days paid from the
    # first use; never in the clean pools (course_restricted gives one again after its course).
    course: dict[int, int] = field(default_factory=dict)

    def index(self, code: str) -> int:
        return next(i for i, item in enumerate(self.items) if item.code == code)


def _kb_drug_pool(
    reference: Path, glob_names: str, glob_codes: str, target_column: str, limit: int
) -> list[tuple[str, str, str]]:
    """(code, generic name, restriction value) of knowledge-base drugs with a code of the national shape."""
    names_file, codes_file = _kb(reference, glob_names), _kb(reference, glob_codes)
    if names_file is None or codes_file is None:
        return []
    value_of = {row["药品通用名"]: row.get(target_column, "") for row in _read_csv(names_file)}
    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for row in _read_csv(codes_file):
        name = row.get("药品通用名", "")
        code = (row.get("国标代码") or row.get("药品代码") or "").strip()
        if name in seen or name not in value_of or not _valid(DRUG, "101", code):
            continue
        seen.add(name)
        out.append((code, name, value_of[name]))
        if len(out) >= limit:
            break
    return out


Drawn = tuple[str, Restrictions]  # (role in the catalog's pools, catalog restrictions) of a knowledge drug


def _kb_drug(code: str, name: str, mtype: str, fen: int, unit: str, role: str, r: Restrictions) -> Item:
    """A knowledge-base drug of the catalog: 乙类 with 10% self-paid first, one price cap at every tier."""
    return Item(
        code, name, DRUG, "101", mtype, "02", 1000, dict.fromkeys(TIERS, fen), fen, unit, r, role=role
    )


def _kb_service(code: str, name: str, mtype: str, caps: tuple[int, int, int], role: str, **kw: Any) -> Item:
    """A knowledge-base service item of the catalog: 甲类, price caps (fen) by tier 1/2/3."""
    return Item(
        code,
        name,
        SERVICE,
        "201",
        mtype,
        "01",
        0,
        dict(zip(TIERS, caps, strict=True)),
        caps[0],
        "次",
        role=role,
        **kw,
    )


def _sex_drug(target: str) -> Drawn | None:
    gend = {"男": "1", "女": "2"}.get(target)
    return (f"sex{gend}", Restrictions(gend=gend)) if gend else None


def _child_drug(_target: str) -> Drawn | None:
    return "child", Restrictions(age_max=17)


def _inpatient_drug(target: str) -> Drawn | None:
    return ("inpatient_only", Restrictions()) if target == "住院" else None


def _level_drug(target: str) -> Drawn | None:
    levels = frozenset({"3"}) if "三级" in target else frozenset({"2", "3"})
    return "level", Restrictions(hosp_levels=levels)


def _insutype_drug(target: str) -> Drawn | None:
    benefit = {"工伤": catalog_rules.WORK_INJURY, "生育": catalog_rules.MATERNITY}.get(target)
    return ("insutype", Restrictions(benefit_only=benefit)) if benefit else None


# Drug batches of the knowledge base the catalog draws from: (batch in the file name, value column, how
# many generic names, med_chrgitm_type, price cap in fen, unit, restriction value → (role, restrictions)).
# The inpatient-only drugs (第四批) carry no catalog restriction: monitoring decides them from the knowledge.
_KB_DRUG_POOLS: tuple[tuple[str, str, int, str, int, str, Callable[[str], Drawn | None]], ...] = (
    ("(限定性别对象)", "限定对象", 80, "09", 3000, "盒", _sex_drug),
    ("(限定年龄对象)", "限定对象", 30, "11", 2500, "盒", _child_drug),
    ("（限定机构等级）", "限定值域", 30, "11", 4500, "支", _level_drug),
    ("（限定保险类型）", "限定对象", 30, "09", 6000, "支", _insutype_drug),
    ("（限定就医方式）", "限定值域", 20, "09", 5000, "支", _inpatient_drug),
)


def build_catalog(reference: Path) -> Catalog:  # noqa: PLR0915
    """The catalog: generic items plus restricted drugs and services, duplicate pairs, frequency limits."""
    items: list[Item] = []
    pools: dict[str, list[int]] = {}

    seen: dict[str, int] = {}

    def add(item: Item) -> int:
        if item.code in seen:  # one code, one item: a code listed under two restrictions keeps the first
            return seen[item.code]
        seen[item.code] = len(items)
        items.append(item)
        pools.setdefault(item.role, []).append(len(items) - 1)
        return len(items) - 1

    for code, name, mtype, lv, bp, caps, unit, role in _SERVICES:
        add(
            Item(
                code,
                name,
                SERVICE,
                "201",
                mtype,
                lv,
                bp,
                dict(zip(TIERS, (c * 100 for c in caps), strict=True)),
                caps[0] * 100,
                unit,
                role=role,
            )
        )
    for code, name, mtype, lv, bp, cap, base, role in _DRUGS:
        fen = _yuan(cap)
        add(
            Item(
                code,
                name,
                DRUG,
                "101",
                mtype,
                lv,
                bp,
                dict.fromkeys(TIERS, fen),
                fen or _yuan(base) or 100,
                "盒",
                role=role,
            )
        )
    for code, name, lv, bp, cap, role in _CONSUMABLES:
        fen = _yuan(cap)
        add(
            Item(
                code,
                name,
                CONSUMABLE,
                "301",
                "08",
                lv,
                bp,
                dict.fromkeys(TIERS, fen),
                fen or 100,
                "个",
                role=role,
            )
        )

    # Restricted drugs from the knowledge base (限定性别 / 限定年龄 / 限定机构等级 / 限定保险类型 / 限住院).
    for batch, column, limit, mtype, fen, unit, restrict in _KB_DRUG_POOLS:
        for code, name, target in _kb_drug_pool(
            reference, f"*药品规则库{batch}__1.csv", f"*药品规则库{batch}__2.csv", column, limit
        ):
            found = restrict(target)
            if found is not None:
                add(_kb_drug(code, name, mtype, fen, unit, *found))
    # Restricted services (限定性别 services for clean gynaecological/urological visits).
    sex_services = _kb(reference, "*项目规则库(限定性别对象)__1.csv")
    if sex_services is not None:
        taken = {"1": 0, "2": 0}
        for row in _read_csv(sex_services):
            code, gend = row.get("国标代码", "").strip(), {"男": "1", "女": "2"}.get(row.get("限定性别", ""))
            if (
                gend
                and taken[gend] < 15
                and _valid(SERVICE, "201", code)
                and code not in {i.code for i in items}
            ):
                taken[gend] += 1
                add(
                    _kb_service(
                        code,
                        row["项目名称"],
                        "03",
                        (12000, 15000, 18000),
                        f"sex{gend}",
                        restrictions=Restrictions(gend=gend),
                    )
                )

    # Duplicate-charge pairs (重复收费, 单日/单次就诊): both items join the catalog, never in clean pools.
    codes = {item.code: i for i, item in enumerate(items)}
    pairs: list[tuple[int, int]] = []
    all_pair_codes: set[str] = set()
    pair_file = _kb(reference, "*项目规则库（重复收费）__1.csv")
    if pair_file is not None:
        rows = _read_csv(pair_file)
        partners: dict[str, set[str]] = {}
        for row in rows:
            main, sub = row.get("主项编码", "").strip(), row.get("从项编码", "").strip()
            all_pair_codes.update({main, sub})
            partners.setdefault(main, set()).add(sub)
            partners.setdefault(sub, set()).add(main)
        clean = set(codes)
        for row in rows:
            if len(pairs) >= 40 or row.get("频度") not in ("单日", "单次就诊"):
                continue
            main, sub = row["主项编码"].strip(), row["从项编码"].strip()
            if not (_valid(SERVICE, "201", main) and _valid(SERVICE, "201", sub)):
                continue
            if (partners[main] | partners[sub]) & clean:  # would pair with a clean item: not exact
                continue
            ids = []
            for code, name in ((main, row["主项名称"]), (sub, row["从项名称"])):
                if code not in codes:
                    codes[code] = add(_kb_service(code, name, "05", (6000, 8000, 10000), "pair"))
                ids.append(codes[code])
            if items[ids[0]].role == "pair" and items[ids[1]].role == "pair":
                pairs.append((ids[0], ids[1]))
    # Clean pools never hold both items of any published pair.
    for role in ("lab", "imaging", "treat", "surgery", "anesthesia", "opt_exam", "dialysis"):
        pools[role] = [i for i in pools.get(role, []) if items[i].code not in all_pair_codes]
    frequency: dict[int, int] = {}
    freq_file = _kb(reference, "*项目规则库（限定频次）__1.csv")
    if freq_file is not None:
        for row in _read_csv(freq_file):
            code = (row.get("项目编码") or "").strip()
            if code in codes and (row.get("数量单位") or "").strip() == "日":
                frequency[codes[code]] = int(row.get("限制数量") or 1)
    knowledge = _knowledge(reference)
    surgery_groups = _surgery_groups(reference, knowledge, add)
    course_items = _course_items(reference, knowledge, add)
    kb = knowledge_facts(items, knowledge)
    # A drug paid for a limited course (第六批 限定支付疗程) would break that rule too when a patient gets it
    # twice: the restricted pools leave such drugs out, so each injection breaks its own family only.
    course = {code for code, _kind, _days in knowledge.course}
    for role in ("sex1", "sex2", "child", "level", "insutype", "inpatient_only"):
        pools[role] = [i for i in pools.get(role, []) if items[i].code not in course]
    # Clean outpatient children's drugs: none paid for inpatients only; the inpatient-only pool injected in
    # outpatient visits (treatment_mode_restricted) breaks no other restriction.
    pools["child_opt"] = [i for i in pools.get("child", []) if i not in kb.inpatient]
    others = frozenset(kb.sex) | kb.child | kb.over_age | set(kb.insutype) | set(kb.level)
    pools["inpatient_only"] = [i for i in pools.get("inpatient_only", []) if i not in others]
    # Discharge drugs of the clean model: oral forms only (no eye drops, creams or injections).
    pools["oral"] = [i for i in pools.get("acute", []) if items[i].name.endswith(ORAL_FORMS)]
    return Catalog(
        items,
        {k: np.array(v, dtype=np.int32) for k, v in pools.items()},
        pairs,
        frequency,
        kb,
        surgery_groups,
        course_items,
    )


COURSE_MAX_DAYS = 30  # course limits the injection uses (a follow-up after a year's course fits no region)


def _listed_elsewhere(knowledge: Knowledge) -> set[str]:
    """Codes of the knowledge tables other than the course and gray ones (a line of such a code could break
    another rule)."""
    listed = {c for c, _k, _g in knowledge.sex} | {c for c, _k in knowledge.child} | set(knowledge.over_age)
    listed |= (
        {c for c, _k in knowledge.insutype} | set(knowledge.inpatient) | {c for c, _t in knowledge.level}
    )
    listed |= {c for c, _n in knowledge.frequency} | {c for c, _t, _p in knowledge.cycle}
    listed |= {c for m, s, _w in knowledge.duplicate for c in (m, s)} | {
        c for c, _g in knowledge.surgery_group
    }
    return listed


def _course_items(reference: Path, knowledge: Knowledge, add: Any) -> dict[int, int]:
    """Drugs of 第六批 限定支付疗程 and services of 第八批-3 限定疗程 paid for at most COURSE_MAX_DAYS days
    from the first use, that no other knowledge table lists (item index → days)."""
    days_of = {(c, kind): days for c, kind, days in knowledge.course if days <= COURSE_MAX_DAYS}
    listed = _listed_elsewhere(knowledge)
    found: dict[int, int] = {}
    drugs = _kb_drug_pool(
        reference, "*药品规则库（限定支付疗程）__1.csv", "*药品规则库（限定支付疗程）__2.csv", "限定值域", 40
    )
    for code, name, _target in drugs:
        days = days_of.get((code.upper(), "drug"))
        if days is not None and code.upper() not in listed and len(found) < 8:
            found[add(_kb_drug(code, name, "09", 4000, "支", "course", Restrictions()))] = days
    services = _kb(reference, "*项目规则库（限定疗程）__1.csv")
    for row in _read_csv(services) if services is not None else []:
        code = (row.get("项目代码") or row.get("国标代码") or "").strip()
        days = days_of.get((code, "item"))
        if days is not None and code not in listed and _valid(SERVICE, "201", code):
            name = (row.get("项目名称") or "").strip()
            found[add(_kb_service(code, name, "05", (3000, 3500, 4000), "course"))] = days
    return found


SURGERY_GROUPS = ("胃肠手术组", "肝胆手术组", "膀胱尿道手术组", "直肠肛门手术组", "经腹直肠手术组")


def _surgery_groups(reference: Path, knowledge: Knowledge, add: Any) -> list[list[int]]:
    """Three operations of each general group of 第二批 限定主次操作 (not of one sex), with price caps; codes
    that another knowledge table lists (sex, age, course, frequency, cycle, duplicate pairs) are left out, so
    billing them breaks nothing but the discount rule."""
    found = _kb(reference, "*项目规则库（限定主次操作）__1.csv")
    if found is None:
        return []
    listed = {c for c, _k, _g in knowledge.sex} | {c for c, _k in knowledge.child} | set(knowledge.over_age)
    listed |= {c for c, _k, _d in knowledge.course} | {c for c, _n in knowledge.frequency}
    listed |= {c for c, _t, _p in knowledge.cycle} | {c for m, s, _w in knowledge.duplicate for c in (m, s)}
    group_of: dict[str, str] = {}  # the rule groups a code listed twice by the first group name (MIN)
    for c, g in knowledge.surgery_group:
        group_of[c] = min(g, group_of.get(c, g))
    groups: dict[str, list[int]] = {}
    for n, row in enumerate(_read_csv(found)):
        code = (row.get("国标代码") or "").strip()
        group = group_of.get(code, "")
        if group not in SURGERY_GROUPS or len(groups.get(group, ())) >= 3 or code in listed:
            continue
        if not _valid(SERVICE, "201", code):
            continue
        cap = 1200 + 200 * (n % 5)  # yuan at a township centre; a tenth more per tier above
        name = row.get("项目名称", "").strip()
        index = add(_kb_service(code, name, "06", (cap * 100, cap * 110, cap * 120), "surgery_group"))
        groups.setdefault(group, []).append(index)
    return [groups[g] for g in SURGERY_GROUPS if len(groups.get(g, ())) >= 2]


# ---------------------------------------------------------------------------------------------- diseases


@dataclass(frozen=True)
class Disease:
    """A diagnosis the visit model draws, with who gets it and how it is treated."""

    code: str
    name: str
    setting: str  # opt (outpatient), ipt (inpatient), both
    weight: float
    sex: str | None = None  # gend 1/2 when the disease belongs to one sex
    age: tuple[int, int] = (0, 120)
    age_peak: float = 0.0  # >0: weight grows with age (per decade), <0: falls
    procedure: str | None = None  # ICD-9-CM-3 prefix for surgical stays
    surgery_code: str = "003310000010000"  # the surgery fee item
    implant: str | None = None
    los: float = 7.0  # mean length of stay at a secondary hospital


_DISEASES = [
    Disease("J06.900", "急性上呼吸道感染", "opt", 30, age_peak=-0.3),
    Disease("J02.900", "急性咽炎", "opt", 10),
    Disease("J03.900", "急性扁桃体炎", "opt", 6, age=(2, 40)),
    Disease("J20.900", "急性支气管炎", "both", 10, age_peak=0.1, los=6),
    Disease("J18.900", "肺炎", "both", 8, age_peak=0.4, los=8),
    Disease("J44.900", "慢性阻塞性肺病", "both", 5, age=(45, 120), age_peak=0.8, los=9),
    Disease("J45.900", "哮喘", "both", 3, los=6),
    Disease("B34.900", "病毒性感染", "opt", 6, age_peak=-0.3),
    Disease("R50.900", "发热", "opt", 4, age_peak=-0.4),
    Disease("K29.700", "胃炎", "opt", 10),
    Disease("K59.000", "便秘", "opt", 3, age_peak=0.3),
    Disease("L30.900", "皮炎", "opt", 5),
    Disease("H10.900", "结膜炎", "opt", 3),
    Disease("M54.500", "下背痛", "opt", 5, age=(20, 120), age_peak=0.2),
    Disease("N39.000", "泌尿道感染", "both", 4, los=5),
    Disease("E78.500", "高脂血症", "opt", 5, age=(35, 120), age_peak=0.4),
    Disease("D64.900", "贫血", "opt", 2),
    Disease("I63.900", "脑梗死", "ipt", 7, age=(45, 120), age_peak=0.9, los=11),
    Disease("I25.103", "冠状动脉粥样硬化性心脏病", "both", 6, age=(40, 120), age_peak=0.8, los=8),
    Disease(
        "I20.000",
        "不稳定型心绞痛",
        "ipt",
        4,
        age=(40, 120),
        age_peak=0.7,
        procedure="36.07",
        surgery_code="003307000010000",
        implant="stent",
        los=7,
    ),
    Disease("I50.900", "心力衰竭", "ipt", 3, age=(55, 120), age_peak=1.0, los=10),
    Disease("G45.900", "短暂性大脑缺血性发作", "ipt", 2, age=(45, 120), age_peak=0.6, los=6),
    Disease("K35.800", "急性阑尾炎", "ipt", 3, age=(8, 70), procedure="47.01", los=6),
    Disease("K80.000", "胆囊结石伴急性胆囊炎", "ipt", 3, age=(25, 90), procedure="51.23", los=7),
    Disease(
        "H25.900",
        "老年性白内障",
        "ipt",
        3,
        age=(55, 120),
        age_peak=0.8,
        procedure="13.7",
        surgery_code="003312000010000",
        implant="lens",
        los=3,
    ),
    Disease(
        "S72.000",
        "股骨颈骨折",
        "ipt",
        2,
        age=(60, 120),
        age_peak=1.0,
        procedure="81.51",
        surgery_code="003313000010000",
        implant="implant",
        los=14,
    ),
    Disease("M17.900", "膝关节病", "both", 3, age=(50, 120), age_peak=0.6, los=8),
    Disease("N41.100", "慢性前列腺炎", "both", 3, sex="1", age=(50, 120), age_peak=0.8, los=7),
    Disease("C16.900", "胃恶性肿瘤", "ipt", 1, age=(40, 120), age_peak=0.6, los=16),
    Disease("C50.900", "乳房恶性肿瘤", "ipt", 1, sex="2", age=(30, 90), los=12),
    Disease("O80.000", "头位顺产", "ipt", 3, sex="2", age=(20, 42), los=3),
    Disease(
        "O82.000",
        "经选择性剖宫产术的分娩",
        "ipt",
        2,
        sex="2",
        age=(20, 42),
        procedure="74.1",
        surgery_code="003314000010000",
        los=5,
    ),
]
HYPERTENSION = ("I11.901", "高血压性心脏病", "M03900")
DIABETES = ("E11.900", "2型糖尿病", "M01600")
UREMIA = ("N18.500", "慢性肾脏病5期", "M07800")
# Major complications added by upcoding (编码高套): severe secondary diagnoses without the care they need.
MCC = ["J96.000", "R57.000", "A41.900", "N17.900", "J96.900"]
# Diagnoses the diagnosis_mismatch family records for a patient they cannot belong to (GZ10000204006000
# 诊断与性别不符, GZ10000204007000 诊断与年龄不符): female-only (N70–N98, D25–D28) for a man, male-only
# (N40–N51) for a woman, perinatal (P) after the first year, obstetric (O) outside 12–55 years; the first
# settleable code of each.
# Gray codes (灰码) of common outpatient conditions, for the data_quality family's gray diagnosis.
GRAY = ("J06.800", "K29.100", "J02.800")
MISMATCH = {
    "female": ("N76.000", "D25.900", "N70.000"),
    "male": ("N45.000", "N43.000", "N49.001"),
    "perinatal": ("P59.000", "P22.900", "P07.300"),
    "obstetric": ("O20.000", "O21.000", "O26.000"),
}


def _read_icd(path: Path) -> dict[str, str]:
    names: dict[str, str] = {}
    if not path.is_file():
        return names
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        parts = line.strip().split(maxsplit=1)
        if parts:
            names[parts[0]] = parts[1] if len(parts) > 1 else ""
    return names


@dataclass
class Codes:
    """The ICD-10 and ICD-9-CM-3 医保版 codes the generator may use (settleable: known and not gray)."""

    diseases: list[Disease]
    procedures: dict[str, tuple[str, str]]  # disease code → (procedure code, name)
    names: dict[str, str]
    mcc: list[str]
    mismatch: dict[str, str] = field(default_factory=dict)  # MISMATCH kind → code
    gray: str | None = None  # a gray code of ICD-10 医保版 (灰码, not for settlement): data_quality only

    @property
    def hypertension(self) -> str:
        return HYPERTENSION[0]


def build_codes(reference: Path) -> Codes:
    """Check every code of the disease model against the ICD lists (gray codes replaced by a sibling)."""
    icd_dir = reference / "icd"
    icd10 = _read_icd(icd_dir / "ICD10医保版v2.0.dat")
    gray10 = set(_read_icd(icd_dir / "ICD10医保版v2.0灰码.dat"))
    icd9 = _read_icd(icd_dir / "ICD9CM3医保版v2.0.dat")
    gray9 = set(_read_icd(icd_dir / "ICD9CM3医保版v2.0灰码.dat"))

    def settleable(code: str) -> str | None:
        if not icd10:
            return code  # no reference data: trust the model (tests without the shared folder)
        if code in icd10 and code not in gray10 and "x" not in code:
            return code
        return next((c for c in icd10 if c.startswith(code[:3]) and c not in gray10 and "x" not in c), None)

    diseases: list[Disease] = []
    procedures: dict[str, tuple[str, str]] = {}
    names: dict[str, str] = {}
    for disease in _DISEASES:
        code = settleable(disease.code)
        if code is None:
            continue
        fixed = Disease(**{**disease.__dict__, "code": code})
        diseases.append(fixed)
        names[code] = icd10.get(code, disease.name)
        if disease.procedure:
            found = next(
                (c for c in icd9 if c.startswith(disease.procedure) and c not in gray9),
                None if icd9 else disease.procedure + "00",
            )
            if found:
                procedures[code] = (found, icd9.get(found, "手术"))
    for code, name, _ in (HYPERTENSION, DIABETES, UREMIA):
        names[code] = icd10.get(code, name)
    mcc = [c for c in MCC if settleable(c) == c]
    for code in mcc:
        names[code] = icd10.get(code, code)
    mismatch = {}
    for kind, candidates in MISMATCH.items():
        found = next((c for c in candidates if settleable(c) == c), None)
        if found is not None:
            mismatch[kind] = found
            names[found] = icd10.get(found, found)
    gray = next((c for c in GRAY if c in gray10), None)
    if gray is not None:
        names[gray] = icd10.get(gray, gray)
    return Codes(diseases, procedures, names, mcc, mismatch, gray)


# ---------------------------------------------------------------------------------------------- institutions


@dataclass
class Institutions:
    """Designated institutions (定点医药机构) with their departments and doctors, as parallel arrays."""

    code: list[str]
    name: list[str]
    kind: np.ndarray  # 0 tertiary, 1 secondary, 2 primary, 3 clinic, 4 pharmacy
    hosp_lv: list[str | None]
    tier: list[str]  # deductible/price tier 1/2/3
    fixmedins_type: list[str]
    doctors: list[list[str]]  # dr_code per institution
    doctor_dept: dict[str, str]
    departments: list[list[tuple[str, str, str]]]  # (dept_code, name, caty)
    outlier: np.ndarray  # bool: provider_outlier injected

    def __len__(self) -> int:
        return len(self.code)


KINDS = [  # per 300,000 insured, minimum, hosp_lv, fixmedins_type, doctors, name pattern
    (2, 1, "2", "1", 40, "示范市第{n}人民医院"),
    (6, 2, "5", "1", 15, "示范县第{n}人民医院"),
    (20, 3, "8", "1", 5, "示范第{n}乡镇卫生院"),
    (60, 3, "14", "3", 1, "示范第{n}诊所"),
    (48, 3, None, "2", 1, "示范第{n}大药房"),
]
DEPARTMENTS = [
    ("A03", "内科", "A03"),
    ("A04", "外科", "A04"),
    ("A05", "妇产科", "A05"),
    ("A07", "儿科", "A07"),
    ("A10", "眼科", "A10"),
    ("A20", "急诊医学科", "A20"),
]


def build_institutions(
    persons: int,
    admdvs: str,
    rng: np.random.Generator,
    outlier_rate: float,
    outliers: int = 0,
    extra: np.random.Generator | None = None,
) -> Institutions:
    """Institutions by type and level, about 136 per 300,000 insured (each type at least its minimum);
    `outlier_rate` of the hospitals (at least one) and, drawn from `extra`, more up to `outliers` of them
    grow fast (provider_outlier)."""
    scale = persons / 300_000
    code: list[str] = []
    name: list[str] = []
    kind: list[int] = []
    hosp_lv: list[str | None] = []
    tier: list[str] = []
    ftype: list[str] = []
    doctors: list[list[str]] = []
    doctor_dept: dict[str, str] = {}
    departments: list[list[tuple[str, str, str]]] = []
    serial = 0
    for k, (per, minimum, lv, itype, n_doctors, pattern) in enumerate(KINDS):
        count = max(minimum, round(per * scale))
        for n in range(1, count + 1):
            serial += 1
            prefix = "P" if itype == "2" else "H"
            inst = f"{prefix}{admdvs}{serial:05d}"
            code.append(inst)
            name.append(pattern.format(n=n))
            kind.append(k)
            hosp_lv.append(lv)
            tier.append(catalog_rules.hospital_tier(lv) or "1")
            ftype.append(itype)
            depts = DEPARTMENTS if k <= 1 else DEPARTMENTS[:1]
            departments.append(list(depts))
            own = []
            for d in range(n_doctors):
                # 医保医师代码: D 医师 at hospitals and clinics, Y 药师 at pharmacies (D/Y + region + serial).
                dr = f"{'Y' if itype == '2' else 'D'}{admdvs}{serial:04d}{d + 1:03d}"
                own.append(dr)
                doctor_dept[dr] = depts[d % len(depts)][0]
            doctors.append(own)
    kinds = np.array(kind, dtype=np.int8)
    outlier = np.zeros(len(code), dtype=bool)
    hospitals = np.flatnonzero(kinds <= 2)
    if outlier_rate > 0 and len(hospitals):
        n_out = max(1, round(outlier_rate * len(hospitals)))
        outlier[rng.choice(hospitals, size=min(n_out, len(hospitals)), replace=False)] = True
    more = min(outliers, len(hospitals)) - int(outlier.sum())
    if more > 0:  # a stream of its own: the rest of the region is what the seed always gave
        others = hospitals[~outlier[hospitals]]
        chooser = extra if extra is not None else np.random.default_rng(0)
        outlier[chooser.choice(others, size=more, replace=False)] = True
    return Institutions(code, name, kinds, hosp_lv, tier, ftype, doctors, doctor_dept, departments, outlier)


# ---------------------------------------------------------------------------------------------- persons


@dataclass
class Persons:
    """Insured persons (参保人) as parallel numpy arrays, plus employers."""

    psn_no: np.ndarray  # str
    certno: np.ndarray  # str (valid 18-digit resident ID, birth date and sex agree)
    gend: np.ndarray  # int8 1/2
    birth: np.ndarray  # datetime64[D]
    insutype: np.ndarray  # int16 310/390
    psn_type: np.ndarray  # str
    idet_type: np.ndarray  # str ('' when none)
    unit: np.ndarray  # int32 employer index or -1
    chronic: np.ndarray  # int8 0 none, 1 hypertension, 2 diabetes, 3 dialysis
    units: list[tuple[str, str]]  # (uscc, name)

    def __len__(self) -> int:
        return len(self.psn_no)


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def uscc(n: int, admdvs: str) -> str:
    """A unified social credit code (18 characters) with a valid check character."""
    body = f"91{admdvs}{n:09d}"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


def _certnos(birth: np.ndarray, gend: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """18-digit resident ID numbers: birthplace, birth date, a sequence (its last digit the sex), checksum."""
    days = birth.astype("datetime64[D]").astype(str)
    place = np.array(BIRTH_PLACES)[serial % len(BIRTH_PLACES)]
    seq = ((serial // len(BIRTH_PLACES)) % 500) * 2 + np.where(gend == 1, 1, 0)
    digits = np.char.add(
        np.char.add(place, np.char.replace(days, "-", "")), np.char.zfill(seq.astype(str), 3)
    )
    raw = np.frombuffer(digits.astype("S17").tobytes(), dtype=np.uint8)
    total = ((raw.reshape(-1, 17).astype(np.int64) - 48) * _ID_WEIGHTS).sum(axis=1) % 11
    return np.char.add(digits, np.array(list("10X98765432"))[total])


def _unique_births(birth: np.ndarray, gend: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Birth dates moved a day where two persons would share an ID number; the ID numbers."""
    serial = np.arange(len(birth))
    while True:
        certno = _certnos(birth, gend, serial)
        _, first = np.unique(certno, return_index=True)
        clash = np.setdiff1d(serial, first)
        if not len(clash):
            return birth, certno
        birth = birth.copy()
        birth[clash] -= np.timedelta64(1, "D")


def doctor_certnos(count: int) -> list[str]:
    """Valid resident ID numbers for the region's doctors and pharmacists (born 1965–1995, one a day)."""
    serial = np.arange(count)
    birth = np.datetime64("1965-01-01") + (serial * 7 % 10_950).astype("timedelta64[D]")
    gend = np.where(serial % 2 == 0, 1, 2)
    _, certnos = _unique_births(birth.astype("datetime64[D]"), gend)
    return [str(c) for c in certnos]


BIRTH_PLACES = ("110105", "110101", "110102", "110106", "110108")  # counties the ID checks know (birthplace)
AGE_BANDS = [
    (0, 6, 0.07),
    (7, 14, 0.09),
    (15, 24, 0.10),
    (25, 34, 0.14),
    (35, 44, 0.14),
    (45, 54, 0.16),
    (55, 64, 0.13),
    (65, 74, 0.11),
    (75, 94, 0.06),
]


def build_persons(persons: int, admdvs: str, year: int, rng: np.random.Generator) -> Persons:
    """Persons with an age/sex pyramid, ~10% employees (a third retired), special groups, chronic patients."""
    n = persons
    band = rng.choice(
        len(AGE_BANDS), size=n, p=np.array([b[2] for b in AGE_BANDS]) / sum(b[2] for b in AGE_BANDS)
    )
    low = np.array([b[0] for b in AGE_BANDS])[band]
    high = np.array([b[1] for b in AGE_BANDS])[band]
    age = low + (rng.random(n) * (high - low + 1)).astype(int)
    gend = np.where(rng.random(n) < 0.51, 1, 2).astype(np.int8)
    # Birth date: age on 1 January of the start year, any day of the birth year.
    birth = (
        np.datetime64(f"{year - 1}-01-01")
        - (age * 365.25).astype("timedelta64[D]")
        - rng.integers(0, 365, size=n).astype("timedelta64[D]")
    )
    working = (age >= 22) & (age <= 59)
    retired = age >= 60
    employee = (working & (rng.random(n) < 0.11)) | (retired & (rng.random(n) < 0.09))
    insutype = np.where(employee, 310, 390).astype(np.int16)
    psn_type = np.where(employee, np.where(retired, "12", "11"), "1701")
    r = rng.random(n)
    idet = np.where(
        ~employee & (r < 0.01),
        "2304",
        np.where(~employee & (r < 0.04), "2303", np.where(~employee & (r < 0.06), "2302", "")),
    )
    n_units = max(1, int(employee.sum() // 25))
    unit = np.where(employee & ~retired, rng.integers(0, n_units, size=n), -1).astype(np.int32)
    units = [(uscc(i + 1, admdvs), f"示范市第{i + 1}有限公司") for i in range(n_units)]
    chronic = np.zeros(n, dtype=np.int8)
    c = rng.random(n)
    older = age >= 40
    chronic[older & (c < 0.10 * np.clip((age - 35) / 30, 0, 1.5))] = 1
    chronic[older & (c > 0.96) & (age >= 45)] = 2
    dialysis = rng.random(n) < 0.0008 * np.clip(age / 50, 0.2, 1.6)
    chronic[dialysis & (age >= 18)] = 3
    serial = np.arange(n)
    birth, certno = _unique_births(birth.astype("datetime64[D]"), gend)
    psn = np.char.add(f"{admdvs}", np.char.zfill((serial + 1).astype(str), 10))
    return Persons(
        psn_no=psn,
        certno=certno,
        gend=gend,
        birth=birth.astype("datetime64[D]"),
        insutype=insutype,
        psn_type=psn_type,
        idet_type=idet,
        unit=unit,
        chronic=chronic,
        units=units,
    )


@dataclass(frozen=True)
class Registration:
    """A special drug registration (特殊药品备案, 五定): patient, drug, hospital, department, doctor, dose."""

    person: int
    item: int
    inst: int
    dept: str
    doctor: str
    max_cnt: int  # units a month
    begin: date
    end: date


SPECIAL_SHARE = 0.002  # registered special-drug patients among adults


def build_registrations(
    catalog: Catalog, institutions: Institutions, persons: Persons, start: date, seed: int
) -> list[Registration]:
    """Adults registered for a special drug at a tertiary hospital's internal medicine, with a responsible
    doctor and a monthly dose, for the whole period (its own random stream: the rest of the world is the
    same with or without them)."""
    drugs, hospitals = catalog.pools.get("special", np.zeros(0)), np.flatnonzero(institutions.kind == 0)
    adults = np.flatnonzero(persons.birth <= np.datetime64(start) - np.timedelta64(18 * 366, "D"))
    if not len(drugs) or not len(hospitals) or not len(adults):
        return []
    rng = np.random.default_rng([seed, 3])
    chosen = np.sort(rng.choice(adults, size=max(1, round(SPECIAL_SHARE * len(adults))), replace=False))
    found = []
    for person in chosen:
        inst = int(hospitals[rng.integers(len(hospitals))])
        doctors = [d for d in institutions.doctors[inst] if institutions.doctor_dept[d] == "A03"]
        found.append(
            Registration(
                int(person),
                int(drugs[rng.integers(len(drugs))]),
                inst,
                "A03",
                doctors[int(rng.integers(len(doctors)))],
                int(rng.integers(2, 5)),
                start,
                date(start.year + 9, 12, 31),
            )
        )
    return found


@dataclass
class World:
    """Everything fixed for a region: catalog, codes, institutions and persons."""

    admdvs: str
    start: date
    catalog: Catalog
    codes: Codes
    institutions: Institutions
    persons: Persons
    registrations: list[Registration] = field(default_factory=list)  # special drugs (special_drug_b)


def build_world(
    *,
    persons: int,
    seed: int,
    admdvs: str,
    year: int,
    reference: Path,
    outlier_rate: float,
    outliers: int = 0,
) -> World:
    """The region for a seed (deterministic): the same knobs give the same world."""
    rng = np.random.default_rng([seed, 0])
    world = World(
        admdvs=admdvs,
        start=date(year, 1, 1),
        catalog=build_catalog(reference),
        codes=build_codes(reference),
        institutions=build_institutions(
            persons, admdvs, rng, outlier_rate, outliers, np.random.default_rng([seed, 4])
        ),
        persons=build_persons(persons, admdvs, year, rng),
    )
    world.registrations = build_registrations(
        world.catalog, world.institutions, world.persons, world.start, seed
    )
    return world
