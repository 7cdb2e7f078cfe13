"""CHS-DRG 1.1 grouper (疾病诊断相关分组): pure, built once from the scheme tables into dict/set lookups.

The scheme tables (`1_MDC.txt` … `7_CCE.txt`, `dat/SS_VALID.dat`) and the ICD-10 / ICD-9-CM-3 医保版 2.0
code lists are passed in as text; nothing here reads files, a clock or a database.

Order of decisions for one case (each step appends to the reason path 分组路径):
1. data checks: principal diagnosis present, every code known in 医保版 2.0 (clinical-edition codes are
   mapped through the crosswalk), no gray code (灰码), sex given → else error group ``0000``;
2. pre-MDC (先期分组, MDCA): transplants, ECMO, ventilation ≥ 96 h, matched on any procedure;
3. the principal procedure must be the operating-room procedure when the case has one
   (主要手术选择) → else ``0000``;
4. MDCP newborns (age < 29 days, birth weight required) and infants (29 days to 1 year, PV1 list);
5. MDCY (HIV) by principal diagnosis; MDCZ (多发严重创伤) when the diagnoses cover at least two
   body regions of the MDCZ tables, the principal one among them;
6. the MDC of the principal diagnosis (主诊表), choosing by sex among MDCM/MDCN/MDCO; a sex or age that
   contradicts the only possible MDC → ``0000``;
7. ADRG: procedure groups in scheme order (principal procedure, or both lists of a combination,
   or diagnosis + procedure tables); an operating-room procedure that fits no surgical ADRG of the
   MDC → ``<MDC>QY`` (歧义组); else the medical ADRG of the principal diagnosis;
8. DRG split by the secondary diagnoses: MCC → 1, CC → 3, neither → 5, unsplit → 9, each MCC/CC
   checked against its exclusion table (CC 排除表) for the principal diagnosis.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, NamedTuple

ERROR_DRG: Final = "0000"  # 未入组：数据错误
ERROR_NAME: Final = "未入组（病案数据错误）"
QY_SUFFIX: Final = "QY"  # 歧义组

NEWBORN_DAYS: Final = 29  # 出生年龄 < 29 天为新生儿
OBSTETRIC_AGE: Final = (10, 60)  # 妊娠、分娩 (MDCO) plausible age in years, inclusive
MALE, FEMALE = "1", "2"

_MDC_LINE = re.compile(r"^MDC([A-Z])\s+(.*)$")
_ADRG_LINE = re.compile(r"^([A-Z]{2}\d)\s+(.*)$")
_CODE = re.compile(r"^([A-Z]\d[0-9A-Zx.+*]*|\d{2}\.[0-9A-Zx.]*)(?:\s|$)")
_COMBO = re.compile(r"手术表\s*(\d+)")
_TABLE_HEAD = re.compile(r"^手术(?:表)?\s*(\d+)：$")


@dataclass
class AdrgRule:
    """One ADRG (核心疾病诊断相关组) as a matching rule built from 4_ADRG_DETAIL.txt."""

    code: str
    name: str
    mdc: str
    principal_dx: frozenset[str] = frozenset()  # 包含以下主要诊断
    principal_proc: frozenset[str] = frozenset()  # 包含以下主要手术或操作
    any_dx: frozenset[str] = frozenset()  # 主要诊断或其他诊断中包含
    both_procs: tuple[frozenset[str], ...] = ()  # 同时包含以下手术 … 和 …
    proc_tables: dict[int, frozenset[str]] = field(default_factory=dict)  # 手术表 n
    combos: tuple[tuple[int, ...], ...] = ()  # 主要诊断 + 手术表 a + 手术表 b (or …)
    any_or: bool = False  # 全部手术: any operating-room procedure
    no_or: bool = False  # 符合主诊表且无手术

    @property
    def surgical(self) -> bool:
        """Procedure groups (second letter A–Q) are decided before the medical ones (R–Z)."""
        return self.code[1] <= "Q"


@dataclass(frozen=True)
class GroupCase:
    """The grouping-relevant facts of one discharge (病案首页)."""

    case_id: str
    gend: str  # 1 男 2 女
    age: int | None  # years
    age_days: int | None = None  # days, for infants under one year
    weight_g: int | None = None  # birth weight, newborns
    diag_codes: tuple[str, ...] = ()  # principal first
    oprn_codes: tuple[str, ...] = ()  # principal first
    ipt_days: int | None = None
    dscg_way: str | None = None
    dept: str | None = None


class GroupResult(NamedTuple):
    """Where the case landed and why (分组结果与分组路径); a tuple, cheap to copy per case."""

    case_id: str
    mdc: str
    adrg: str
    drg: str
    drg_name: str
    reasons: tuple[str, ...]
    error_code: str | None = None  # stable code when the case went to the error group

    @property
    def is_error(self) -> bool:
        return self.drg == ERROR_DRG

    @property
    def reason_path(self) -> str:
        return " > ".join(self.reasons)


@dataclass
class Scheme:
    """The whole CHS-DRG 1.1 scheme as in-memory lookups (loaded once)."""

    mdc_names: dict[str, str]
    adrg_names: dict[str, str]
    drg_names: dict[str, str]
    rules: dict[str, list[AdrgRule]]  # by MDC letter, scheme order
    mdc_of_dx: dict[str, tuple[str, ...]]  # principal diagnosis → MDC letters (主诊表)
    trauma_region: dict[str, frozenset[int]]  # diagnosis → MDCZ body regions
    mcc: dict[str, int]  # diagnosis → exclusion table
    cc: dict[str, int]
    exclusion_table: dict[str, int]  # principal diagnosis → its CC exclusion table (表 7-n)
    or_procs: frozenset[str]  # 手术室手术 (SS_VALID)
    splits: dict[str, str]  # ADRG → "9" / "135" / "35" / "15" …
    dx_known: frozenset[str]
    dx_gray: frozenset[str]
    dx_map: dict[str, str]  # clinical edition → 医保版 2.0
    proc_known: frozenset[str]
    proc_gray: frozenset[str]
    proc_map: dict[str, str]
    medical_of_dx: dict[str, dict[str, AdrgRule]] = field(default_factory=dict)  # mdc → pdx → rule
    ordered_medical: frozenset[str] = frozenset()  # MDCs whose medical groups look beyond the pdx
    mdc_of_listed_dx: dict[str, tuple[str, ...]] = field(default_factory=dict)  # pdx in ADRG lists

    def __post_init__(self) -> None:
        self.ordered_medical = frozenset(
            mdc for mdc, rules in self.rules.items() if any(r.any_dx and not r.surgical for r in rules)
        )
        listed: dict[str, list[str]] = {}
        for mdc, rules in self.rules.items():
            for rule in rules:
                for code in rule.principal_dx:
                    if mdc not in listed.setdefault(code, []):
                        listed[code].append(mdc)
        self.mdc_of_listed_dx = {k: tuple(v) for k, v in listed.items()}
        for mdc, rules in self.rules.items():
            table: dict[str, AdrgRule] = {}
            for rule in rules:
                if rule.surgical or not rule.principal_dx or rule.combos or rule.no_or:
                    continue
                for code in rule.principal_dx:
                    table.setdefault(code, rule)
            self.medical_of_dx[mdc] = table


def _pairs(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        code, _, rest = line.partition(" ")
        out.append((code, rest.strip()))
    return out


def _clean(name: str) -> str:
    return name.replace("~~", "").strip()


def parse_numbered(text: str) -> dict[str, int]:
    """`dat/MCC.dat`, `CC.dat`, `CCE.dat`: "code n" → {code: exclusion table n}."""
    out: dict[str, int] = {}
    for code, rest in _pairs(text):
        if rest.isdigit():
            out[code] = int(rest)
    return out


def parse_detail(  # noqa: PLR0915 - one state machine over the published layout
    text: str,
) -> tuple[dict[str, list[AdrgRule]], dict[str, set[str]], dict[str, set[int]]]:
    """4_ADRG_DETAIL.txt → ADRG rules per MDC, MDC principal-diagnosis tables, MDCZ body regions."""
    rules: dict[str, list[AdrgRule]] = {}
    mdc_tables: dict[str, set[str]] = {}
    regions: dict[str, set[int]] = {}
    mdc = ""
    rule: AdrgRule | None = None
    target: set[str] | None = None
    region = 0
    sets: dict[str, set[str]] = {}
    both: list[set[str]] = []
    tables: dict[int, set[str]] = {}

    def close() -> None:
        nonlocal rule
        if rule is not None:
            rule.principal_dx = frozenset(sets.get("pdx", ()))
            rule.principal_proc = frozenset(sets.get("proc", ()))
            rule.any_dx = frozenset(sets.get("anydx", ()))
            rule.both_procs = tuple(frozenset(s) for s in both)
            rule.proc_tables = {k: frozenset(v) for k, v in tables.items()}
            rules.setdefault(rule.mdc, []).append(rule)
        rule = None
        sets.clear()
        both.clear()
        tables.clear()

    for raw in text.splitlines():
        line = _clean(raw)
        if not line:
            continue
        m = _MDC_LINE.match(line)
        if m:
            close()
            mdc = m.group(1)
            target = mdc_tables.setdefault(mdc, set()) if "主诊表" in m.group(2) else None
            region = 0
            continue
        a = _ADRG_LINE.match(line)
        if a and not _CODE.match(line):
            close()
            rule = AdrgRule(code=a.group(1), name=a.group(2), mdc=mdc)
            target = None
            continue
        c = _CODE.match(line)
        if c:
            if target is not None:
                target.add(c.group(1))
                if rule is None and mdc == "Z" and region:
                    regions.setdefault(c.group(1), set()).add(region)
            continue
        if rule is None:
            # MDCZ body-region headings (头颈部创伤 …) inside the MDCZ principal table
            if mdc == "Z" and line.endswith("创伤"):
                region += 1
                target = mdc_tables.setdefault(mdc, set())
            continue
        if line.startswith("同时包含以下手术") or line == "和":
            both.append(set())
            target = both[-1]
        elif line.startswith("主要诊断或其他诊断中包含"):
            target = sets.setdefault("anydx", set())
        elif line in ("包含以下主要诊断：", "主要诊断：", "包含以下诊断："):
            target = sets.setdefault("pdx", set())
        elif line.startswith("包含以下主要手术或操作"):
            target = sets.setdefault("proc", set())
        elif line in ("全部手术", "包含全部手术"):
            rule.any_or = True
            target = None
        elif line.startswith("符合") and "无手术" in line:
            rule.no_or = True
            target = None
        elif "手术表" in line and "+" in line:
            rule.combos = (*rule.combos, tuple(int(n) for n in _COMBO.findall(line)))
            target = None
        else:
            t = _TABLE_HEAD.match(line)
            if t:
                target = tables.setdefault(int(t.group(1)), set())
            else:
                raise ValueError(f"4_ADRG_DETAIL: unexpected line {raw!r}")
    close()
    for group in rules.values():
        for r in group:
            empty = not (r.principal_dx or r.principal_proc or r.any_dx or r.both_procs or r.combos)
            if empty and not r.no_or and "手术室手术" in r.name:
                r.any_or = True  # e.g. WJ1 烧伤伴除植皮之外的任何手术室手术
            if r.code == "OR1":
                # 阴道分娩: the delivery outcome (Z37 分娩结局) is coded beside the obstetric principal
                r.any_dx = r.principal_dx
    return rules, mdc_tables, regions


def parse_splits(drg_text: str) -> tuple[dict[str, str], dict[str, str]]:
    """3_DRG.txt → DRG names and, per ADRG, the split digits it has (1/3/5/9)."""
    names: dict[str, str] = {}
    splits: dict[str, str] = {}
    for code, name in _pairs(drg_text):
        names[code] = _clean(name)
        splits[code[:3]] = "".join(sorted(splits.get(code[:3], "") + code[3]))
    return names, splits


def build_scheme(files: Mapping[str, str]) -> Scheme:
    """Build the scheme from the text of the tables (keys are the file names)."""
    rules, mdc_tables, regions = parse_detail(files["4_ADRG_DETAIL.txt"])
    mdc_of: dict[str, list[str]] = {}
    for mdc, codes in mdc_tables.items():
        for code in codes:
            mdc_of.setdefault(code, []).append(mdc)
    drg_names, splits = parse_splits(files["3_DRG.txt"])

    def code_set(name: str) -> frozenset[str]:
        return frozenset(code for code, _ in _pairs(files.get(name, "")))

    def mapping(name: str) -> dict[str, str]:
        return {code: target for code, target in _pairs(files.get(name, "")) if target}

    return Scheme(
        mdc_names={k[3:]: _clean(v) for k, v in _pairs(files["1_MDC.txt"])},
        adrg_names={k: _clean(v) for k, v in _pairs(files["2_ADRG.txt"])},
        drg_names=drg_names,
        rules=rules,
        mdc_of_dx={k: tuple(v) for k, v in mdc_of.items()},
        trauma_region={k: frozenset(v) for k, v in regions.items()},
        mcc=parse_numbered(files["MCC.dat"]),
        cc=parse_numbered(files["CC.dat"]),
        exclusion_table=parse_numbered(files["CCE.dat"]),
        or_procs=code_set("SS_VALID.dat"),
        splits=splits,
        dx_known=code_set("dx_known"),
        dx_gray=code_set("dx_gray"),
        dx_map=mapping("dx_map"),
        proc_known=code_set("proc_known"),
        proc_gray=code_set("proc_gray"),
        proc_map=mapping("proc_map"),
    )


class _RefusedError(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _age_class(case: GroupCase) -> str:
    if case.age is None:
        return "?"
    if case.age == 0 and case.age_days is not None:
        return "N" if case.age_days < NEWBORN_DAYS else "I"
    if case.age == 0:
        return "0"
    lo, hi = OBSTETRIC_AGE
    return "P" if lo <= case.age <= hi else "X"


def _weight_band(weight: int | None) -> int:
    if weight is None:
        return -1
    if weight < 1500:
        return 1
    if weight < 2000:
        return 2
    if weight < 2500:
        return 3
    return 4


class Grouper:
    """Groups cases with a scheme; results are cached by the grouping-relevant key."""

    def __init__(self, scheme: Scheme, *, cache_size: int = 200_000) -> None:
        self.scheme = scheme
        self._cache: dict[tuple[object, ...], GroupResult] = {}
        self._cache_size = cache_size

    def group(self, case: GroupCase) -> GroupResult:
        """Place one case in a DRG (or the error/ambiguity group) with its reason path."""
        age = case.age
        if age == 0 and case.age_days is not None:
            if case.age_days < NEWBORN_DAYS:
                age_class, band = "N", _weight_band(case.weight_g)
            else:
                age_class, band = "I", 0
        else:
            age_class, band = _age_class(case), 0
        key = (case.gend, age_class, band, case.diag_codes, case.oprn_codes)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._group(case, age_class)
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[key] = hit
        if hit[0] == case.case_id:
            return hit
        return tuple.__new__(GroupResult, (case.case_id, *hit[1:]))

    def group_many(self, cases: Sequence[GroupCase]) -> list[GroupResult]:
        return [self.group(c) for c in cases]

    # -- the decision --------------------------------------------------------------------------

    def _group(self, case: GroupCase, age_class: str) -> GroupResult:
        path: list[str] = []
        try:
            return self._decide(case, age_class, path)
        except _RefusedError as refused:
            path.append(refused.reason)
            return GroupResult(case.case_id, "", "", ERROR_DRG, ERROR_NAME, tuple(path), refused.code)

    def _normalise(self, codes: tuple[str, ...], kind: str, path: list[str]) -> tuple[str, ...]:
        s = self.scheme
        known, gray, mapping = (
            (s.dx_known, s.dx_gray, s.dx_map) if kind == "dx" else (s.proc_known, s.proc_gray, s.proc_map)
        )
        label = "诊断" if kind == "dx" else "手术操作"
        out: list[str] = []
        for raw in codes:
            code = raw.strip()
            if not code:
                continue
            if code in gray:
                raise _RefusedError(
                    f"DRG_{kind.upper()}_GRAY", f"{label}编码 {code} 是灰码，不能用于结算分组"
                )
            if known and code not in known:
                target = mapping.get(code)
                if target is None or target not in known:
                    raise _RefusedError(
                        f"DRG_{kind.upper()}_UNKNOWN", f"{label}编码 {code} 不在医保版 2.0 编码库中"
                    )
                if target in gray:
                    raise _RefusedError(
                        f"DRG_{kind.upper()}_GRAY", f"{label}编码 {code} 对照到灰码 {target}，不能用于分组"
                    )
                path.append(f"{label} {code} 按国临版对照为医保版 {target}")
                code = target
            out.append(code)
        return tuple(out)

    def _decide(  # noqa: PLR0915 - the scheme's decision order reads best in one place
        self, case: GroupCase, age_class: str, path: list[str]
    ) -> GroupResult:
        s = self.scheme
        if not case.diag_codes or not case.diag_codes[0].strip():
            raise _RefusedError("DRG_NO_PRINCIPAL_DX", "缺少主要诊断")
        if case.gend not in (MALE, FEMALE):
            raise _RefusedError("DRG_SEX_MISSING", f"性别 gend={case.gend!r} 无效（1 男 2 女）")
        if case.age is None or case.age < 0 or case.age > 150:
            raise _RefusedError("DRG_AGE_INVALID", f"年龄 age={case.age!r} 无效")
        dx = self._normalise(case.diag_codes, "dx", path)
        procs = self._normalise(case.oprn_codes, "proc", path)
        pdx = dx[0]
        secondary = dx[1:]
        pproc = procs[0] if procs else None
        or_procs = [p for p in procs if p in s.or_procs]

        # 1. pre-MDC: any procedure
        for rule in s.rules.get("A", ()):
            hit = next((p for p in procs if p in rule.principal_proc), None)
            if (
                hit is None
                and rule.both_procs
                and all(any(p in part for p in procs) for part in rule.both_procs)
            ):
                hit = "+".join(next(p for p in procs if p in part) for part in rule.both_procs)
            if hit is not None:
                path.append(f"先期分组 MDCA：手术操作 {hit} 属 {rule.code} {rule.name}")
                return self._split(case, "A", rule, pdx, secondary, path)

        # 2. the principal procedure must be the operating-room one
        if or_procs and pproc not in s.or_procs:
            raise _RefusedError(
                "DRG_PRINCIPAL_PROC_INVALID",
                f"主要手术操作 {pproc} 不是手术室手术，而其他手术 {or_procs[0]} 是：主要手术选择错误",
            )

        # 3. newborns and infants (MDCP)
        candidates = s.mdc_of_dx.get(pdx, ())
        if age_class == "N" and "P" in candidates:
            if case.weight_g is None or case.weight_g <= 0:
                raise _RefusedError(
                    "DRG_NEWBORN_WEIGHT_MISSING", "新生儿（出生 < 29 天）缺少出生体重 weight_g"
                )
            path.append(f"新生儿：出生 {case.age_days} 天 < 29 天，主要诊断 {pdx} 属 MDCP 主诊表")
            return self._adrg(case, "P", pdx, secondary, pproc, procs, or_procs, path)
        if age_class == "0" and "P" in candidates:
            raise _RefusedError(
                "DRG_AGE_DAYS_MISSING", f"不满 1 岁且主要诊断 {pdx} 属新生儿疾病，缺少出生天数 age_days"
            )
        if age_class == "I":
            pv = next((r for r in s.rules.get("P", ()) if r.code == "PV1"), None)
            if pv is not None and pdx in pv.principal_dx:
                path.append(f"婴儿：出生 {case.age_days} 天（29 天至 1 岁），主要诊断 {pdx} 属 PV1")
                return self._split(case, "P", pv, pdx, secondary, path)

        # 4. HIV and multiple severe trauma
        if "Y" in candidates:
            path.append(f"主要诊断 {pdx} 属 MDCY 主诊表（HIV）")
            return self._adrg(case, "Y", pdx, secondary, pproc, procs, or_procs, path)
        if pdx in s.trauma_region:
            regions: set[int] = set()
            for code in dx:
                regions |= s.trauma_region.get(code, frozenset())
            if len(regions) >= 2:
                path.append(f"主要诊断 {pdx} 为严重创伤，诊断涉及 {len(regions)} 个部位 ≥ 2：MDCZ")
                return self._adrg(case, "Z", pdx, secondary, pproc, procs, or_procs, path)

        # 5. the MDC of the principal diagnosis
        options = [m for m in candidates if m not in ("P", "Y", "Z")]
        if not options:
            if "P" in candidates:
                raise _RefusedError(
                    "DRG_AGE_CONFLICT",
                    f"主要诊断 {pdx} 仅用于新生儿/婴儿，与年龄 {case.age} 岁 {case.age_days} 天不符",
                )
            # a code listed only in an ADRG of one MDC (not in its 主诊表) belongs to that MDC
            options = [m for m in s.mdc_of_listed_dx.get(pdx, ()) if m not in ("A", "P", "Y", "Z")][:1]
            if options:
                path.append(f"主要诊断 {pdx} 不在主诊表，但列于 MDC{options[0]} 的核心组诊断表")
            if not options:
                raise _RefusedError(
                    "DRG_PDX_NOT_PRINCIPAL", f"主要诊断 {pdx} 不在任何 MDC 主诊表中，不能作为主要诊断"
                )
        allowed = [
            m
            for m in options
            if not (m == "M" and case.gend != MALE) and not (m in ("N", "O") and case.gend != FEMALE)
        ]
        if not allowed:
            raise _RefusedError(
                "DRG_SEX_CONFLICT",
                f"主要诊断 {pdx} 属 MDC{options[0]} {s.mdc_names.get(options[0], '')}，"
                f"与性别 gend={case.gend} 冲突",
            )
        mdc = allowed[0]
        if mdc == "O" and age_class not in ("P",):
            raise _RefusedError(
                "DRG_AGE_CONFLICT", f"妊娠分娩诊断 {pdx} 与年龄 {case.age} 岁不符（应在 10–60 岁）"
            )
        path.append(f"主要诊断 {pdx} 属 MDC{mdc} {s.mdc_names.get(mdc, '')}")
        return self._adrg(case, mdc, pdx, secondary, pproc, procs, or_procs, path)

    def _adrg(
        self,
        case: GroupCase,
        mdc: str,
        pdx: str,
        secondary: tuple[str, ...],
        pproc: str | None,
        procs: tuple[str, ...],
        or_procs: list[str],
        path: list[str],
    ) -> GroupResult:
        s = self.scheme
        for rule in s.rules.get(mdc, ()):
            if not rule.surgical:
                continue
            why = self._match_surgical(rule, case, pdx, secondary, pproc, procs, or_procs)
            if why:
                path.append(f"{rule.code} {rule.name}：{why}")
                return self._split(case, mdc, rule, pdx, secondary, path)
        if or_procs:
            code = f"{mdc}{QY_SUFFIX}"
            path.append(f"手术室手术 {or_procs[0]} 不属于 MDC{mdc} 的任何手术组：歧义组 {code}")
            return GroupResult(case.case_id, f"MDC{mdc}", code, code, f"MDC{mdc} 歧义组", tuple(path), None)
        rule_for: AdrgRule | None = None
        why = ""
        if mdc in s.ordered_medical:
            for rule in s.rules[mdc]:
                if rule.surgical:
                    continue
                if rule.any_dx:
                    hit = next((d for d in (pdx, *secondary) if d in rule.any_dx), None)
                    if hit is not None and (
                        not rule.code.startswith("PS") or _weight_band(case.weight_g) == int(rule.code[2])
                    ):
                        rule_for = rule
                        weight = f"，出生体重 {case.weight_g} g" if rule.code.startswith("PS") else ""
                        why = f"诊断 {hit} 属本组诊断表{weight}"
                        break
                if pdx in rule.principal_dx:
                    rule_for, why = rule, f"主要诊断 {pdx}"
                    break
        else:
            rule_for = s.medical_of_dx.get(mdc, {}).get(pdx)
            why = f"主要诊断 {pdx}"
        if rule_for is None:
            for rule in s.rules.get(mdc, ()):
                if rule.no_or:
                    rule_for, why = rule, f"主要诊断 {pdx} 属 MDC{mdc} 主诊表"
                    break
        if rule_for is None:
            raise _RefusedError("DRG_NO_ADRG", f"主要诊断 {pdx} 在 MDC{mdc} 中没有对应的内科组")
        path.append(f"{rule_for.code} {rule_for.name}：{why}，无手术室手术")
        return self._split(case, mdc, rule_for, pdx, secondary, path)

    def _match_surgical(
        self,
        rule: AdrgRule,
        case: GroupCase,
        pdx: str,
        secondary: tuple[str, ...],
        pproc: str | None,
        procs: tuple[str, ...],
        or_procs: list[str],
    ) -> str:
        if rule.combos:
            if pdx not in rule.principal_dx:
                return ""
            for combo in rule.combos:
                picks = []
                for n in combo:
                    table = rule.proc_tables.get(n, frozenset())
                    pick = next((p for p in procs if p in table), None)
                    if pick is None:
                        break
                    picks.append(pick)
                else:
                    return f"主要诊断 {pdx} 且手术 {'+'.join(picks)} 满足手术表 {'+'.join(map(str, combo))}"
            return ""
        if rule.both_procs:
            picks = []
            for part in rule.both_procs:
                pick = next((p for p in procs if p in part), None)
                if pick is None:
                    return ""
                picks.append(pick)
            return f"同时有手术 {' 和 '.join(picks)}"
        if rule.any_or:
            if rule.principal_dx and pdx not in rule.principal_dx:
                return ""
            return f"有手术室手术 {or_procs[0]}" if or_procs else ""
        if rule.principal_proc:
            if rule.principal_dx and pdx not in rule.principal_dx:
                return ""
            any_position = rule.code == "PK1"
            hit = (
                next((p for p in procs if p in rule.principal_proc), None)
                if any_position
                else (pproc if pproc in rule.principal_proc else None)
            )
            if hit is None:
                return ""
            return (f"主要诊断 {pdx} 且" if rule.principal_dx else "") + f"主要手术 {hit} 在手术表"
        if rule.principal_dx and pdx in rule.principal_dx and or_procs:
            # diagnosis-only surgical group with any OR procedure (e.g. YC1)
            return f"主要诊断 {pdx} 且有手术室手术 {or_procs[0]}"
        return ""

    def _split(
        self,
        case: GroupCase,
        mdc: str,
        rule: AdrgRule,
        pdx: str,
        secondary: tuple[str, ...],
        path: list[str],
    ) -> GroupResult:
        s = self.scheme
        digits = s.splits.get(rule.code, "9")
        if "9" in digits or digits == "":
            drg = rule.code + (digits[-1] if digits else "9")
            path.append("不细分（9）")
        else:
            level, why = 5, "无并发症或合并症"
            own = s.exclusion_table.get(pdx)
            for code in secondary:
                table = s.mcc.get(code)
                if table is not None and table != own:
                    level, why = (
                        1,
                        f"其他诊断 {code} 为严重并发症/合并症（MCC，排除表 7-{table}，主要诊断不在其中）",
                    )
                    break
                table = s.cc.get(code) if table is None else table
                if level > 3 and table is not None and table != own:
                    level, why = (
                        3,
                        f"其他诊断 {code} 为并发症/合并症（CC，排除表 7-{table}，主要诊断不在其中）",
                    )
            digit = str(level)
            if digit not in digits:
                # a split the ADRG does not have falls to the nearest lower severity it has
                digit = next((d for d in digits if d > digit), digits[-1])
            drg = rule.code + digit
            path.append(f"{why} → {drg}")
        return GroupResult(
            case.case_id,
            f"MDC{mdc}",
            rule.code,
            drg,
            s.drg_names.get(drg, rule.name),
            tuple(path),
            None,
        )
