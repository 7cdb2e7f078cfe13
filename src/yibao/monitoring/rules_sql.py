"""The rule types (规则类型) of the library, each written ONCE as SQL in the DuckDB dialect.

The same text runs on DuckDB (batch and in-visit) and, transpiled by SQLGlot, on Spark SQL.
Every rule type reads the staged tables below and the knowledge tables `kb_*`, and returns the
core columns of a finding; `finding_sql` wraps it with the rule's identity and a stable finding id.

Staged tables (typed, money in fen):
  fee    bkkp_sn, mdtrt_id, setl_id, psn_no, fixmedins_code, fee_time, fee_day, code, hosp_code,
         item_name, list_type, chrgitm_type, cnt, pric_fen, amt_fen, cap_fen, dept, dr_code,
         prd_days, tkdrug
  visit  mdtrt_id, psn_no, gend, age, insutype, fixmedins_code, hosp_tier, begntime, endtime,
         med_type, dept, maindiag, ipt_days, dr_code, inpatient, medfee_fen, setl_id
  diag   mdtrt_id, psn_no, diag_code, maindiag_flag
  inst   fixmedins_code, fixmedins_type, hosp_tier
  ward   round_id, fixmedins_code, round_time, mdtrt_id, in_bed
  idcheck mdtrt_id, check_time, result
  sdrug  psn_no, code, fixmedins_code, dept, dr_code, max_cnt, begin_day, end_day (special drug registry)
Rules that must be identical on both engines avoid floating point in their output and compute
day differences on dates (never timestamps).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from yibao.domain.monitoring import RuleDef

CORE_COLUMNS = (
    "bkkp_sn",
    "mdtrt_id",
    "setl_id",
    "psn_no",
    "fixmedins_code",
    "dr_code",
    "vola_fen",
    "evidence",
)
FINDING_COLUMNS = (
    "finding_id",
    "rule_id",
    "rule_name",
    "rule_family",
    "scope",
    "bkkp_sn",
    "mdtrt_id",
    "setl_id",
    "psn_no",
    "fixmedins_code",
    "dr_code",
    "vola_fen",
    "sev_deg",
    "evidence",
)

_UNSAFE = re.compile(r"['\\\x00-\x1f;]")


def lit(value: object) -> str:
    """A SQL literal of a parameter: integers, or text without quotes, backslashes or semicolons."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(int(value))
    text = str(value)
    if _UNSAFE.search(text):
        raise ValueError(f"参数值含不允许的字符：{text!r}")
    return "'" + text + "'"


def lits(values: Iterable[object]) -> str:
    """A parenthesised list of literals for IN (…); an empty list matches nothing."""
    items = [lit(v) for v in values]
    return "(" + ", ".join(items or ["'-'"]) + ")"


def _any_word(column: str, words: Iterable[str]) -> str:
    parts = [f"contains({column}, {lit(w)})" for w in words]
    return "(" + (" OR ".join(parts) or "FALSE") + ")"


_LINE = "f.bkkp_sn, f.mdtrt_id, f.setl_id, f.psn_no, f.fixmedins_code, f.dr_code"
_VISIT = "v.mdtrt_id, v.setl_id, v.psn_no, v.fixmedins_code, v.dr_code"
_DRUG_TYPES = ("101", "102", "103", "104", "106")


def _yuan(fen: str) -> str:
    """Fen (decimal, 2 places) as yuan text with 4 decimals, by exact decimal arithmetic."""
    exact = f"CAST({fen} AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(3, 2))"
    return f"CAST(CAST({exact} AS DECIMAL(18, 4)) AS VARCHAR)"


def _excess_share(amount: str, excess: str, total: str) -> str:
    """amount × excess / total in whole fen, half up, with integers only (the same on both engines)."""
    return f"(CAST(2 * {amount} * {excess} + {total} AS BIGINT) // CAST(2 * {total} AS BIGINT))"


def item_sex(rule: RuleDef) -> str:
    """A drug or service item paid for one sex only, billed for the other (限定性别)."""
    return f"""
SELECT {_LINE}, f.amt_fen AS vola_fen,
  '编码 ' || f.code || ' 限' || CASE k.gend WHEN '1' THEN '男' ELSE '女' END || '性使用，患者性别'
    || CASE v.gend WHEN '1' THEN '男' ELSE '女' END AS evidence
FROM fee f JOIN visit v ON v.mdtrt_id = f.mdtrt_id
JOIN kb_sex k ON k.code = f.code AND k.kind = {lit(rule.params["kind"])}
WHERE v.gend IN ('1', '2') AND v.gend <> k.gend"""


def item_child(rule: RuleDef) -> str:
    """A drug or item paid for children only, billed for an older patient (限儿童)."""
    top = int(rule.params["max_age"])
    return f"""
SELECT {_LINE}, f.amt_fen AS vola_fen,
  '编码 ' || f.code || ' 限儿童使用（≤{top}岁），患者 ' || CAST(v.age AS VARCHAR) || ' 岁' AS evidence
FROM fee f JOIN visit v ON v.mdtrt_id = f.mdtrt_id
JOIN kb_child k ON k.code = f.code AND k.kind = {lit(rule.params["kind"])}
WHERE v.age > {top}"""


def item_over_age(rule: RuleDef) -> str:
    """An item paid only up to the legal working age, billed for an older patient (第八批-2)."""
    top = int(rule.params["max_age"])
    return f"""
SELECT {_LINE}, f.amt_fen AS vola_fen,
  '项目 ' || f.code || ' 限法定就业年龄（≤{top}岁），患者 ' || CAST(v.age AS VARCHAR) || ' 岁' AS evidence
FROM fee f JOIN visit v ON v.mdtrt_id = f.mdtrt_id JOIN kb_over_age k ON k.code = f.code
WHERE v.age > {top}"""


def item_insutype(rule: RuleDef) -> str:
    """A drug of the work-injury or maternity list billed to another insurance (限保险类型)."""
    kind = str(rule.params["kind"])
    med_types = rule.params.get("med_types", ())
    allowed = f"v.insutype IN {lits(rule.params['insutypes'])}"
    if med_types:
        allowed += f" OR v.med_type IN {lits(med_types)}"
    return f"""
SELECT {_LINE}, f.amt_fen AS vola_fen,
  '药品 ' || f.code || ' 限{kind}保险，险种 ' || v.insutype || ' 医疗类别 ' || v.med_type AS evidence
FROM fee f JOIN visit v ON v.mdtrt_id = f.mdtrt_id JOIN kb_insutype k ON k.code = f.code AND
   k.kind = {lit(kind)}
WHERE NOT ({allowed})"""


def item_inpatient(rule: RuleDef) -> str:
    """A drug paid for inpatients only, billed outside a stay (限就医方式)."""
    return f"""
SELECT {_LINE}, f.amt_fen AS vola_fen,
  '药品 ' || f.code || ' 限住院使用，医疗类别 ' || v.med_type AS evidence
FROM fee f JOIN visit v ON v.mdtrt_id = f.mdtrt_id JOIN kb_inpatient k ON k.code = f.code
WHERE NOT v.inpatient"""


def item_level(rule: RuleDef) -> str:
    """A drug paid only at hospitals of a given level or above, billed lower (限医疗机构级别)."""
    return f"""
SELECT {_LINE}, f.amt_fen AS vola_fen,
  '药品 ' || f.code || ' 限' || CAST(k.min_tier AS VARCHAR) || '级及以上医疗机构，机构等级 '
    || CAST(v.hosp_tier AS VARCHAR) || ' 级' AS evidence
FROM fee f JOIN visit v ON v.mdtrt_id = f.mdtrt_id JOIN kb_level k ON k.code = f.code
WHERE v.hosp_tier < k.min_tier"""


def item_course(rule: RuleDef) -> str:
    """A drug or item paid for a limited course, billed after the course from the person's first use."""
    return f"""
SELECT {_LINE}, f.amt_fen AS vola_fen,
  '编码 ' || f.code || ' 限支付 ' || CAST(f.days AS VARCHAR) || ' 天，首次使用 ' ||
   CAST(f.first_day AS VARCHAR)
    || '，本次 ' || CAST(f.fee_day AS VARCHAR) AS evidence
FROM (
  SELECT f.*, k.days, MIN(f.fee_day) OVER (PARTITION BY f.psn_no, f.code) AS first_day
  FROM fee f JOIN kb_course k ON k.code = f.code AND k.kind = {lit(rule.params["kind"])}
) f
WHERE date_diff('day', f.first_day, f.fee_day) >= f.days"""


def duplicate_pair(rule: RuleDef) -> str:
    """A sub item billed with the main item that already includes it (重复收费, 第七批 pairs)."""
    return f"""
SELECT {_LINE}, MIN(f.amt_fen) AS vola_fen,
  '从项 ' || f.code || ' 与主项 ' || MIN(m.code) || ' 同' || MIN(CASE k.win WHEN 'day' THEN '日'
    WHEN 'visit' THEN '次就诊' WHEN 'hour' THEN '一小时' ELSE '6小时内' END) || '收取' AS evidence
FROM fee f JOIN kb_dup k ON k.sub_code = f.code
JOIN fee m ON m.mdtrt_id = f.mdtrt_id AND m.code = k.main_code AND m.bkkp_sn <> f.bkkp_sn
WHERE k.win = 'visit'
   OR (k.win = 'day' AND m.fee_day = f.fee_day)
   OR (k.win = 'hour' AND date_trunc('hour', m.fee_time) = date_trunc('hour', f.fee_time))
   OR (k.win = '6hour' AND abs(epoch(m.fee_time) - epoch(f.fee_time)) < 21600)
GROUP BY {_LINE}, f.code"""


def item_frequency(rule: RuleDef) -> str:
    """An item billed more units a day than its limit (限定频次, 第八批-1): the lines past the limit."""
    return f"""
SELECT {_LINE},
  CAST(ROUND(LEAST(f.cnt, f.running - f.max_units) * f.pric_fen) AS BIGINT) AS vola_fen,
  '项目 ' || f.code || ' ' || CAST(f.fee_day AS VARCHAR) || ' 累计 ' || CAST(f.running AS VARCHAR)
    || '，限 ' || CAST(f.max_units AS VARCHAR) AS evidence
FROM (
  SELECT f.*, k.max_units, SUM(f.cnt) OVER (PARTITION BY f.mdtrt_id, f.code, f.fee_day
    ORDER BY f.fee_time, f.bkkp_sn ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
  FROM fee f JOIN kb_freq k ON k.code = f.code
) f
WHERE f.running > f.max_units"""


def item_cycle(rule: RuleDef) -> str:
    """An item billed again inside its cycle for the same person (限定周期, 第八批-4)."""
    return f"""
SELECT {_LINE}, f.amt_fen AS vola_fen,
  '项目 ' || f.code || ' 每 ' || CAST(f.days AS VARCHAR) || ' 天限 1 次，上次 ' || CAST(f.prev_day AS VARCHAR)
    || '，本次 ' || CAST(f.fee_day AS VARCHAR) AS evidence
FROM (
  SELECT f.*, k.days, LAG(f.fee_day) OVER (PARTITION BY f.psn_no, f.code ORDER BY f.fee_time, f.bkkp_sn)
    AS prev_day
  FROM fee f JOIN kb_cycle k ON k.code = f.code
) f
WHERE f.prev_day IS NOT NULL AND date_diff('day', f.prev_day, f.fee_day) < f.days"""


def over_price_cap(rule: RuleDef) -> str:
    """A unit price above the price cap (最高限价): the part above the cap times the quantity."""
    return f"""
SELECT {_LINE}, CAST(ROUND((f.pric_fen - f.cap_fen) * f.cnt) AS BIGINT) AS vola_fen,
  '编码 ' || f.code || ' 单价 ' || {_yuan("f.pric_fen")} || ' 元超限价 ' || {_yuan("f.cap_fen")}
   || ' 元' AS evidence
FROM fee f
WHERE f.cap_fen > 0 AND f.pric_fen > f.cap_fen"""


def excess_days(rule: RuleDef) -> str:
    """An outpatient drug prescribed for more days than the most paid (开药量): the days beyond."""
    most = int(rule.params["max_days"])
    return f"""
SELECT {_LINE}, {_excess_share("f.amt_fen", f"(f.prd_days - {most})", "f.prd_days")} AS vola_fen,
  '药品 ' || f.code || ' 开药 ' || CAST(f.prd_days AS VARCHAR) || ' 天，超过 {most} 天' AS evidence
FROM fee f JOIN visit v ON v.mdtrt_id = f.mdtrt_id
WHERE NOT v.inpatient AND f.list_type IN {lits(_DRUG_TYPES)} AND f.prd_days > {most} AND f.tkdrug <> '1'"""


def discharge_medication(rule: RuleDef) -> str:
    """Discharge drugs (出院带药): oral only, acute ≤ N days, chronic ≤ M days, at most K kinds."""
    p = rule.params
    chronic = " OR ".join(f"starts_with(v.maindiag, {lit(c)})" for c in p["chronic_prefixes"]) or "FALSE"
    non_oral = _any_word("f.item_name", p["non_oral_words"])
    kinds = int(p["max_kinds"])
    return f"""
SELECT {_LINE},
  CASE WHEN f.non_oral OR f.kind_no > {kinds} THEN f.amt_fen
       ELSE {_excess_share("f.amt_fen", "(f.prd_days - f.max_days)", "f.prd_days")} END AS vola_fen,
  '出院带药 ' || f.code || CASE WHEN f.non_oral THEN '：非口服剂型' ELSE '' END
    || CASE WHEN f.kind_no > {kinds} THEN '：第 ' || CAST(f.kind_no AS VARCHAR) ||
   ' 种，限 {kinds} 种' ELSE '' END
    || CASE WHEN f.prd_days > f.max_days THEN '：' || CAST(f.prd_days AS VARCHAR) || ' 天，限 '
         || CAST(f.max_days AS VARCHAR) || ' 天' ELSE '' END AS evidence
FROM (
  SELECT f.*, DENSE_RANK() OVER (PARTITION BY f.mdtrt_id ORDER BY f.first_time, f.code) AS kind_no
  FROM (
    SELECT f.*, {non_oral} AS non_oral,
      CASE WHEN {chronic} THEN {int(p["chronic_days"])} ELSE {int(p["acute_days"])} END AS max_days,
      MIN(f.fee_time) OVER (PARTITION BY f.mdtrt_id, f.code) AS first_time
    FROM fee f JOIN visit v ON v.mdtrt_id = f.mdtrt_id
    WHERE f.tkdrug = '1' AND v.inpatient
  ) f
) f
WHERE f.non_oral OR f.kind_no > {kinds} OR f.prd_days > f.max_days"""


def split_admission(rule: RuleDef) -> str:
    """A readmission for the same disease at the same hospital within N days of discharge (分解住院)."""
    days = int(rule.params["days"])
    return f"""
SELECT NULL AS bkkp_sn, {_VISIT}, v.medfee_fen AS vola_fen,
  '前次住院 ' || v.prev_id || ' 于 ' || CAST(v.prev_end AS VARCHAR) || ' 出院，' || CAST(date_diff('day',
    v.prev_end, CAST(v.begntime AS DATE)) AS VARCHAR) || ' 天后同病种（' || v.diag3 || '）再入院' AS evidence
FROM (
  SELECT v.*, LEFT(v.maindiag, 3) AS diag3,
    LAG(CAST(v.endtime AS DATE)) OVER w AS prev_end, LAG(v.mdtrt_id) OVER w AS prev_id
  FROM visit v WHERE v.inpatient AND v.maindiag <> ''
  WINDOW w AS (PARTITION BY v.psn_no, v.fixmedins_code, LEFT(v.maindiag, 3) ORDER BY v.begntime, v.mdtrt_id)
) v
WHERE v.prev_end IS NOT NULL AND date_diff('day', v.prev_end, CAST(v.begntime AS DATE)) BETWEEN 0
   AND {days}"""


def low_standard_admission(rule: RuleDef) -> str:
    """An admission for a listed mild condition with no outpatient or observation visit in the 72 hours
    before (低标准入院)."""
    hours = int(rule.params["hours"])
    prefixes = " OR ".join(f"starts_with(v.maindiag, {lit(c)})" for c in rule.params["prefixes"]) or "FALSE"
    return f"""
SELECT NULL AS bkkp_sn, {_VISIT}, MIN(v.medfee_fen) AS vola_fen,
  '主诊断 ' || MIN(v.maindiag) || ' 属先门诊留观病种，入院前 {hours} 小时无门急诊记录' AS evidence
FROM visit v LEFT JOIN visit o ON o.psn_no = v.psn_no AND NOT o.inpatient
  AND o.begntime >= v.begntime - INTERVAL {hours} HOUR AND o.begntime <= v.begntime
WHERE v.inpatient AND ({prefixes})
GROUP BY {_VISIT}
HAVING COUNT(o.mdtrt_id) = 0"""


def frequent_visits(rule: RuleDef) -> str:
    """A person with more visits of the given kinds in a month than the limit (频繁就医)."""
    most = int(rule.params["max_visits"])
    return f"""
SELECT NULL AS bkkp_sn, NULL AS mdtrt_id, NULL AS setl_id, v.psn_no, MIN(v.fixmedins_code) AS fixmedins_code,
  NULL AS dr_code, SUM(v.medfee_fen) AS vola_fen,
  strftime(v.begntime, '%Y-%m') || ' 就诊 ' || CAST(COUNT(*) AS VARCHAR) || ' 次，限 {most} 次' AS evidence
FROM visit v WHERE v.med_type IN {lits(rule.params["med_types"])}
GROUP BY v.psn_no, strftime(v.begntime, '%Y-%m')
HAVING COUNT(*) > {most}"""


def bed_hanging(rule: RuleDef) -> str:
    """An inpatient found absent from bed at an inspection round (挂床)."""
    return f"""
SELECT NULL AS bkkp_sn, {_VISIT}, MIN(v.medfee_fen) AS vola_fen,
  '查房 ' || CAST(COUNT(*) AS VARCHAR) || ' 次不在床，首次 ' || CAST(MIN(w.round_time) AS VARCHAR) AS evidence
FROM ward w JOIN visit v ON v.mdtrt_id = w.mdtrt_id
WHERE w.in_bed = 0
GROUP BY {_VISIT}"""


def bed_rate(rule: RuleDef) -> str:
    """An institution whose in-bed rate at a month's rounds is below the standard (在床率)."""
    rate = int(rule.params["min_rate_pct"])
    return f"""
SELECT NULL AS bkkp_sn, NULL AS mdtrt_id, NULL AS setl_id, NULL AS psn_no, w.fixmedins_code, NULL AS dr_code,
  SUM(CASE WHEN w.in_bed = 0 THEN COALESCE(v.medfee_fen, 0) ELSE 0 END) AS vola_fen,
  strftime(w.round_time, '%Y-%m') || ' 查房 ' || CAST(COUNT(*) AS VARCHAR) || ' 人次，在床 '
    || CAST(SUM(w.in_bed) AS VARCHAR) || ' 人次，低于 {rate}%' AS evidence
FROM ward w LEFT JOIN visit v ON v.mdtrt_id = w.mdtrt_id
GROUP BY w.fixmedins_code, strftime(w.round_time, '%Y-%m')
HAVING SUM(w.in_bed) * 100 < {rate} * COUNT(*)"""


def impersonation(rule: RuleDef) -> str:
    """A visit whose biometric or face check did not match the insured person (冒名就医)."""
    return f"""
SELECT NULL AS bkkp_sn, {_VISIT}, MIN(v.medfee_fen) AS vola_fen,
  '身份核验不符 ' || CAST(COUNT(*) AS VARCHAR) || ' 次，首次 ' || CAST(MIN(c.check_time) AS
   VARCHAR) AS evidence
FROM idcheck c JOIN visit v ON v.mdtrt_id = c.mdtrt_id
WHERE c.result = 0
GROUP BY {_VISIT}"""


def dialysis_overcount(rule: RuleDef) -> str:
    """Dialysis sessions of a person in a month beyond the plausible count (透析次数异常)."""
    most = int(rule.params["max_per_month"])
    return f"""
SELECT {_LINE}, f.amt_fen AS vola_fen,
  strftime(f.fee_time, '%Y-%m') || ' 透析第 ' || CAST(f.running AS VARCHAR) || ' 次，限 {most} 次' AS evidence
FROM (
  SELECT f.*, SUM(f.cnt) OVER (PARTITION BY f.psn_no, strftime(f.fee_time, '%Y-%m')
    ORDER BY f.fee_time, f.bkkp_sn ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
  FROM fee f WHERE f.code IN {lits(rule.params["codes"])}
) f
WHERE f.running > {most}"""


def pharmacy_goods(rule: RuleDef) -> str:
    """A pharmacy line that is not the catalog drug it is billed as (药店串换): unmapped, named like daily
    goods, or named otherwise than the code is named on (at least `min_named` of) its other lines."""
    goods = _any_word("f.item_name", rule.params["goods_words"])
    least = int(rule.params["min_named"])
    return f"""
SELECT {_LINE}, f.amt_fen AS vola_fen,
  '药店 ' || f.fixmedins_code || ' 明细 ' || COALESCE(f.hosp_code, '') || ' ' || COALESCE(f.item_name, '')
    || CASE WHEN f.code = '' THEN '：未对照医保编码'
       WHEN {goods} THEN '：非医保药品品名'
       ELSE '：品名与编码通常品名（' || n.usual || '）不符' END AS evidence
FROM fee f JOIN visit v ON v.mdtrt_id = f.mdtrt_id LEFT JOIN inst i ON i.fixmedins_code = f.fixmedins_code
LEFT JOIN (
  SELECT code, item_name AS usual, lines FROM (
    SELECT code, item_name, COUNT(*) AS lines,
      ROW_NUMBER() OVER (PARTITION BY code ORDER BY COUNT(*) DESC, item_name) AS rn
    FROM fee WHERE code <> '' GROUP BY code, item_name
  ) x WHERE rn = 1
) n ON n.code = f.code
WHERE (i.fixmedins_type = '2' OR v.med_type = '41')
  AND (f.code = '' OR {goods} OR (n.lines >= {least} AND f.item_name <> n.usual))"""


def unmapped_code(rule: RuleDef) -> str:
    """A fee line without a national code (未对码)."""
    return f"""
SELECT {_LINE}, f.amt_fen AS vola_fen,
  '医院目录 ' || COALESCE(f.hosp_code, '') || ' 未对照医保目录编码' AS evidence
FROM fee f WHERE f.code = ''"""


def gray_diagnosis(rule: RuleDef) -> str:
    """A visit with a gray diagnosis code of ICD-10 医保版 (灰码, not accepted for settlement)."""
    return f"""
SELECT NULL AS bkkp_sn, {_VISIT}, 0 AS vola_fen, '诊断编码 ' || MIN(d.diag_code) || ' 为灰码' AS evidence
FROM diag d JOIN kb_gray g ON g.code = d.diag_code JOIN visit v ON v.mdtrt_id = d.mdtrt_id
GROUP BY {_VISIT}"""


def fee_outside_stay(rule: RuleDef) -> str:
    """An inpatient fee dated before admission or after discharge (计费日期与住院时间不符)."""
    return f"""
SELECT {_LINE}, f.amt_fen AS vola_fen,
  '计费日期 ' || CAST(f.fee_day AS VARCHAR) || ' 不在住院期间 ' || CAST(CAST(v.begntime AS DATE) AS VARCHAR)
    || ' 至 ' || COALESCE(CAST(CAST(v.endtime AS DATE) AS VARCHAR), '') AS evidence
FROM fee f JOIN visit v ON v.mdtrt_id = f.mdtrt_id
WHERE v.inpatient AND (f.fee_day < CAST(v.begntime AS DATE)
  OR (v.endtime IS NOT NULL AND f.fee_day > CAST(v.endtime AS DATE)))"""


_FEMALE = (
    "starts_with(d.diag_code, 'O') OR LEFT(d.diag_code, 3) BETWEEN 'N70' AND 'N98'"
    " OR LEFT(d.diag_code, 3) BETWEEN 'C51' AND 'C58' OR LEFT(d.diag_code, 3) BETWEEN 'D25' AND 'D28'"
)
_MALE = "LEFT(d.diag_code, 3) BETWEEN 'N40' AND 'N51' OR LEFT(d.diag_code, 3) BETWEEN 'C60' AND 'C63'"


def diagnosis_sex(rule: RuleDef) -> str:
    """A diagnosis of one sex only recorded for a patient of the other (诊断与性别不符)."""
    return f"""
SELECT NULL AS bkkp_sn, {_VISIT}, MIN(v.medfee_fen) AS vola_fen,
  '诊断 ' || MIN(d.diag_code) || ' 与患者性别' || MIN(CASE v.gend WHEN '1' THEN '男' ELSE '女' END) || '不符'
    AS evidence
FROM diag d JOIN visit v ON v.mdtrt_id = d.mdtrt_id
WHERE (v.gend = '1' AND ({_FEMALE})) OR (v.gend = '2' AND ({_MALE}))
GROUP BY {_VISIT}"""


def diagnosis_age(rule: RuleDef) -> str:
    """A perinatal diagnosis for an older patient, or an obstetric one outside child-bearing age."""
    p = rule.params
    return f"""
SELECT NULL AS bkkp_sn, {_VISIT}, MIN(v.medfee_fen) AS vola_fen,
  '诊断 ' || MIN(d.diag_code) || ' 与患者年龄 ' || CAST(MIN(v.age) AS VARCHAR) || ' 岁不符' AS evidence
FROM diag d JOIN visit v ON v.mdtrt_id = d.mdtrt_id
WHERE (starts_with(d.diag_code, 'P') AND v.age > {int(p["perinatal_max_age"])})
   OR (starts_with(d.diag_code, 'O') AND (v.age < {int(p["obstetric_min_age"])} OR v.age >
   {int(p["obstetric_max_age"])}))
GROUP BY {_VISIT}"""


def repeat_prescription(rule: RuleDef) -> str:
    """A drug bought again at another visit while the previous supply still lasts (重复开药)."""
    return f"""
SELECT {_LINE}, f.amt_fen AS vola_fen,
  '药品 ' || f.code || ' 上次 ' || CAST(f.prev_day AS VARCHAR) || ' 开药 ' || CAST(f.prev_days AS VARCHAR)
    || ' 天，' || CAST(date_diff('day', f.prev_day, f.fee_day) AS VARCHAR) || ' 天后再开' AS evidence
FROM (
  SELECT f.*, LAG(f.fee_day) OVER w AS prev_day, LAG(f.prd_days) OVER w AS prev_days,
    LAG(f.mdtrt_id) OVER w AS prev_visit
  FROM fee f JOIN visit v ON v.mdtrt_id = f.mdtrt_id
  WHERE NOT v.inpatient AND f.list_type IN {lits(_DRUG_TYPES)} AND f.prd_days > 0
  WINDOW w AS (PARTITION BY f.psn_no, f.code ORDER BY f.fee_time, f.bkkp_sn)
) f
WHERE f.prev_day IS NOT NULL AND f.prev_visit <> f.mdtrt_id
  AND date_diff('day', f.prev_day, f.fee_day) * 2 < f.prev_days"""


def provider_outlier(rule: RuleDef) -> str:
    """The focus list (重点机构): institutions whose inpatient spending grew fastest against peers of the
    same level, from the `outlier_scores` indicator table."""
    share = int(rule.params["top_share_pct"])
    growth = int(rule.params.get("min_growth_pct", 0))
    return f"""
SELECT NULL AS bkkp_sn, NULL AS mdtrt_id, NULL AS setl_id, NULL AS psn_no, s.fixmedins_code, NULL AS dr_code,
  s.growth_fen AS vola_fen,
  '住院费用后半期/前半期 ' || CAST(CAST(s.ratio AS DECIMAL(18, 3)) AS VARCHAR) || '，同级中位 '
    || CAST(CAST(s.peer_ratio AS DECIMAL(18, 3)) AS VARCHAR) || '，排名第 ' || CAST(s.rank_no AS
   VARCHAR) AS evidence
FROM outlier_scores s
WHERE (s.rank_no = 1 OR s.rank_no * 100 <= {share} * s.ranked)
  AND s.score > 0 AND s.ratio_pm >= {1000 + 10 * growth}"""


def surgery_discount(rule: RuleDef) -> str:
    """A second or later operation of one group at the same visit on the same day billed above the
    discounted share of its full price (手术项目未按规定折价收费, 第二批 限定主次操作).

    The main operation is the dearest of the group that day; the full price of a later one is its price
    cap (`pric_uplmt_amt`, the catalog price); a line without a cap cannot be decided and is left alone.
    The amount at stake is the part above `discount_pct` % of the full price, times the quantity."""
    pct = int(rule.params["discount_pct"])
    return f"""
SELECT {_LINE},
  (CAST(ROUND((f.pric_fen * 100 - f.cap_fen * {pct}) * f.cnt) AS BIGINT) + 50) // 100 AS vola_fen,
  '手术 ' || f.code || ' 与主手术 ' || f.main_code || ' 同日同组（' || f.grp || '）第 '
    || CAST(f.op_no AS VARCHAR) || ' 台，单价 ' || {_yuan("f.pric_fen")} || ' 元，应按 {pct}% 折价（'
    || {_yuan("f.cap_fen")} || ' 元的 {pct}%）' AS evidence
FROM (
  SELECT f.*, k.grp,
    ROW_NUMBER() OVER w AS op_no, FIRST_VALUE(f.code) OVER w AS main_code
  FROM fee f JOIN (SELECT code, MIN(grp) AS grp FROM kb_surgery GROUP BY code) k ON k.code = f.code
  WINDOW w AS (PARTITION BY f.mdtrt_id, f.fee_day, k.grp ORDER BY f.pric_fen DESC, f.bkkp_sn)
) f
WHERE f.op_no > 1 AND f.cap_fen > 0 AND f.pric_fen * 100 > f.cap_fen * {pct}"""


def _pairs(values: Iterable[str], left: str, right: str) -> str:
    """ "A:B" parameter values as a small inline table of two text columns."""
    rows = []
    for value in values:
        a, _, b = str(value).partition(":")
        rows.append(f"SELECT {lit(a)} AS {left}, {lit(b)} AS {right}")
    return " UNION ALL ".join(rows or [f"SELECT '-' AS {left}, '-' AS {right}"])


def upcoding(rule: RuleDef) -> str:
    """A stay coded with a severe complication (严重并发症, secondary diagnosis) for which none of the care
    that complication needs was billed (高套编码): a ventilator for respiratory failure, intensive care or
    vasopressors for shock, intensive care or last-line antibiotics for sepsis, blood purification for
    acute kidney failure (parameter `care`: "diagnosis prefix:code prefix" pairs)."""
    care = _pairs(rule.params["care"], "dx", "care")
    coded = f"""SELECT DISTINCT d.mdtrt_id, d.diag_code, c.dx FROM diag d JOIN ({care}) c
    ON starts_with(d.diag_code, c.dx) WHERE COALESCE(d.maindiag_flag, '0') <> '1'"""
    return f"""
SELECT NULL AS bkkp_sn, {_VISIT}, 0 AS vola_fen,
  '次要诊断 ' || MIN(x.diag_code) || ' 属严重并发症，住院期间无相应诊疗（' || MIN(x.dx) || '）' AS evidence
FROM ({coded}) x JOIN visit v ON v.mdtrt_id = x.mdtrt_id
LEFT JOIN (
  SELECT DISTINCT f.mdtrt_id, c.dx FROM fee f JOIN (SELECT DISTINCT mdtrt_id, dx FROM ({coded}) y) y
    ON y.mdtrt_id = f.mdtrt_id
  JOIN ({care}) c ON c.dx = y.dx AND starts_with(f.code, c.care)
) t ON t.mdtrt_id = x.mdtrt_id AND t.dx = x.dx
WHERE v.inpatient AND t.mdtrt_id IS NULL AND x.diag_code <> v.maindiag
GROUP BY {_VISIT}"""


_FIXED = {
    "drug": "f.regs IS NULL",
    "hospital": "f.regs > 0 AND f.hosp_ok = 0",
    "department": "f.hosp_ok = 1 AND f.dept_ok = 0",
    "doctor": "f.hosp_ok = 1 AND f.dr_ok = 0",
    "dose": "f.hosp_ok = 1 AND f.max_cnt IS NOT NULL AND f.running > f.max_cnt",
}
_FIXED_EVIDENCE = {
    "drug": "'特殊药品 ' || f.code || ' 患者未备案该药品或不在备案期内'",
    "hospital": "'特殊药品 ' || f.code || ' 备案定点机构 ' || f.reg_hosp || '，本次 ' || f.fixmedins_code",
    "department": "'特殊药品 ' || f.code || ' 备案科室 ' || COALESCE(f.reg_dept, '') || '，开单科室 '"
    " || COALESCE(f.dept, '')",
    "doctor": "'特殊药品 ' || f.code || ' 备案责任医师 ' || COALESCE(f.reg_dr, '') || '，开单医师 '"
    " || COALESCE(f.dr_code, '')",
    "dose": "'特殊药品 ' || f.code || ' ' || strftime(f.fee_time, '%Y-%m') || ' 累计 '"
    " || CAST(f.running AS VARCHAR) || '，备案剂量每月 ' || CAST(f.max_cnt AS VARCHAR)",
}


def special_drug(rule: RuleDef) -> str:
    """A special drug (特殊药品, "five fixed" 五定) billed outside its registration (备案, `special_drug_b`):
    for a person not registered for the drug on the day (定药品), at another hospital (定医院), in another
    department (定科室), by another doctor (定医生), or beyond the registered monthly dose (定剂量, the
    units past it). Parameter `fixed` says which of the five the rule checks."""
    fixed = str(rule.params["fixed"])
    here = "r.fixmedins_code = f.fixmedins_code"
    vola = "f.amt_fen"
    if fixed == "dose":
        vola = "CAST(ROUND(LEAST(f.cnt, f.running - f.max_cnt) * f.pric_fen) AS BIGINT)"
    return f"""
SELECT {_LINE}, {vola} AS vola_fen, {_FIXED_EVIDENCE[fixed]} AS evidence
FROM (
  SELECT f.*, m.regs, m.hosp_ok, m.dept_ok, m.dr_ok, m.max_cnt, m.reg_hosp, m.reg_dept, m.reg_dr,
    SUM(CASE WHEN m.hosp_ok = 1 THEN f.cnt ELSE 0 END) OVER (PARTITION BY f.psn_no, f.code,
      strftime(f.fee_time, '%Y-%m') ORDER BY f.fee_time, f.bkkp_sn
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
  FROM fee f JOIN (SELECT DISTINCT code FROM sdrug) s ON s.code = f.code
  LEFT JOIN (
    SELECT f.bkkp_sn, f.mdtrt_id, COUNT(*) AS regs,
      MAX(CASE WHEN {here} THEN 1 ELSE 0 END) AS hosp_ok,
      MAX(CASE WHEN {here} AND (r.dept IS NULL OR r.dept = f.dept) THEN 1 ELSE 0 END) AS dept_ok,
      MAX(CASE WHEN {here} AND (r.dr_code IS NULL OR r.dr_code = f.dr_code) THEN 1 ELSE 0 END) AS dr_ok,
      MAX(CASE WHEN {here} THEN r.max_cnt END) AS max_cnt, MIN(r.fixmedins_code) AS reg_hosp,
      MIN(CASE WHEN {here} THEN r.dept END) AS reg_dept, MIN(CASE WHEN {here} THEN r.dr_code END) AS reg_dr
    FROM fee f JOIN sdrug r ON r.psn_no = f.psn_no AND r.code = f.code
      AND f.fee_day >= r.begin_day AND f.fee_day <= r.end_day
    GROUP BY f.bkkp_sn, f.mdtrt_id
  ) m ON m.bkkp_sn = f.bkkp_sn AND m.mdtrt_id = f.mdtrt_id
) f
WHERE {_FIXED[fixed]}"""


RULE_TYPES: dict[str, Callable[[RuleDef], str]] = {
    f.__name__: f
    for f in (
        item_sex, item_child, item_over_age, item_insutype, item_inpatient, item_level, item_course,
        duplicate_pair, item_frequency, item_cycle, over_price_cap, excess_days, discharge_medication,
        split_admission, low_standard_admission, frequent_visits, bed_hanging, bed_rate, impersonation,
        dialysis_overcount, pharmacy_goods, unmapped_code, gray_diagnosis, fee_outside_stay, diagnosis_sex,
        diagnosis_age, repeat_prescription, provider_outlier, surgery_discount, upcoding, special_drug,
    )
}  # fmt: skip


def finding_sql(rule: RuleDef) -> str:
    """One rule's findings with its identity and a stable id (the same on every engine)."""
    core = RULE_TYPES[rule.rule_type](rule)
    key = " || '|' || ".join(
        f"COALESCE(CAST(c.{col} AS VARCHAR), '')"
        for col in ("bkkp_sn", "mdtrt_id", "psn_no", "fixmedins_code", "dr_code", "evidence")
    )
    return f"""
SELECT md5({lit(rule.rule_id)} || '|' || {key}) AS finding_id, {lit(rule.rule_id)} AS rule_id,
  {lit(rule.name)} AS rule_name, {lit(rule.family)} AS rule_family, {lit(rule.scope)} AS scope,
  CAST(c.bkkp_sn AS VARCHAR) AS bkkp_sn, CAST(c.mdtrt_id AS VARCHAR) AS mdtrt_id,
  CAST(c.setl_id AS VARCHAR) AS setl_id, CAST(c.psn_no AS VARCHAR) AS psn_no,
  CAST(c.fixmedins_code AS VARCHAR) AS fixmedins_code, CAST(c.dr_code AS VARCHAR) AS dr_code,
  CAST(COALESCE(c.vola_fen, 0) AS BIGINT) AS vola_fen, {int(rule.severity)} AS sev_deg,
  CAST(c.evidence AS VARCHAR) AS evidence
FROM ({core}
) c"""


def library_sql(rules: Iterable[RuleDef]) -> str:
    """All the rules' findings as one UNION ALL (in-visit: one query per visit)."""
    return "\nUNION ALL\n".join(finding_sql(r) for r in rules)
