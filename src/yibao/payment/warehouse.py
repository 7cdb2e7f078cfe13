"""Batch paths of payment over a WAREHOUSE data set (national extract layout, `<table>.parquet|csv`):
DRG grouping of every inpatient settlement and the annual DIP clearing, read with DuckDB.

Money in the files is yuan with two decimals; it becomes fen on reading (ROUND(x × 100)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np

from yibao.domain import dip
from yibao.domain.drg import GroupCase, Grouper
from yibao.domain.errors import invalid

LEVEL_COEF = {"1": Decimal(1), "2": Decimal("0.9"), "3": Decimal("0.8")}  # hosp_lv 1 三级 … (configurable)


def _source(folder: Path, table: str) -> str:
    for ext in ("parquet", "csv"):
        path = folder / f"{table}.{ext}"
        if path.exists():
            if ext == "parquet":
                return f"read_parquet('{path.as_posix()}')"
            # codes such as 47.0100 must stay text: read every CSV column as text, cast where needed
            return f"read_csv_auto('{path.as_posix()}', all_varchar=true)"
    raise invalid("DATASET_TABLE_MISSING", "dataset", f"数据集 {folder} 缺少表 {table}（.parquet 或 .csv）")


def _connect(folder: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in ("setl_d", "mdtrt_d", "setl_list_diag_d"):
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM {_source(folder, table)}")
    try:
        con.execute(f"CREATE VIEW setl_list_oprn_d AS SELECT * FROM {_source(folder, 'setl_list_oprn_d')}")
    except Exception:
        con.execute(
            "CREATE VIEW setl_list_oprn_d AS SELECT NULL::VARCHAR setl_id, NULL::VARCHAR main_oprn_flag, "
            "NULL::VARCHAR oprn_oprt_code, NULL::VARCHAR oprn_oprt_date WHERE false"
        )
    return con


_CASES = """
WITH dx AS (
  SELECT CAST(setl_id AS VARCHAR) setl_id,
         string_agg(CAST(diag_code AS VARCHAR), '|'
                    ORDER BY CAST(maindiag_flag AS VARCHAR) DESC, diag_code) codes
  FROM setl_list_diag_d GROUP BY 1
), op AS (
  SELECT CAST(setl_id AS VARCHAR) setl_id,
         string_agg(CAST(oprn_oprt_code AS VARCHAR), '|' ORDER BY CAST(main_oprn_flag AS VARCHAR) DESC,
                    oprn_oprt_code) codes
  FROM setl_list_oprn_d GROUP BY 1
)
SELECT CAST(s.setl_id AS VARCHAR) setl_id, CAST(s.fixmedins_code AS VARCHAR) fixmedins_code,
       CAST(s.hosp_lv AS VARCHAR) hosp_lv, CAST(m.gend AS VARCHAR) gend, CAST(m.age AS DOUBLE) age,
       CAST(m.ipt_days AS INTEGER) ipt_days, CAST(m.dscg_way AS VARCHAR) dscg_way,
       CAST(strftime(CAST(s.setl_time AS TIMESTAMP), '%Y') AS INTEGER) yr,
       CAST(strftime(CAST(s.setl_time AS TIMESTAMP), '%m') AS INTEGER) mon,
       CAST(ROUND(CAST(s.medfee_sumamt AS DECIMAL(18, 2)) * 100) AS BIGINT) medfee,
       CAST(ROUND(CAST(s.fund_pay_sumamt AS DECIMAL(18, 2)) * 100) AS BIGINT) fund,
       coalesce(dx.codes, CAST(m.dscg_maindiag_code AS VARCHAR)) diags, coalesce(op.codes, '') oprns
FROM setl_d s
JOIN mdtrt_d m ON CAST(m.mdtrt_id AS VARCHAR) = CAST(s.mdtrt_id AS VARCHAR)
LEFT JOIN dx ON dx.setl_id = CAST(s.setl_id AS VARCHAR)
LEFT JOIN op ON op.setl_id = CAST(s.setl_id AS VARCHAR)
WHERE CAST(s.med_type AS VARCHAR) LIKE '2%'
  AND coalesce(CAST(s.refd_setl_flag AS VARCHAR), '0') NOT IN ('1')
  AND s.init_setl_id IS NULL
  AND CAST(s.setl_id AS VARCHAR) NOT IN (
      SELECT CAST(init_setl_id AS VARCHAR) FROM setl_d WHERE init_setl_id IS NOT NULL)
"""


@dataclass(frozen=True)
class InpatientCases:
    """Every inpatient settlement of a data set as columns (money in fen)."""

    setl_id: list[str]
    fixmedins_code: list[str]
    hosp_lv: list[str]
    gend: list[str]
    age: list[float | None]
    ipt_days: list[int | None]
    year: np.ndarray
    month: np.ndarray
    medfee: np.ndarray
    fund: np.ndarray
    diags: list[str]
    oprns: list[str]


def read_inpatient_cases(folder: Path) -> InpatientCases:
    """Inpatient settlements (med_type 2x, not refunded) with their diagnoses and procedures."""
    con = _connect(folder)
    try:
        cols = con.execute(_CASES).fetchnumpy()
    except duckdb.Error as exc:
        raise invalid("DATASET_COLUMNS", "dataset", f"数据集 {folder} 读取失败：{exc}") from exc
    finally:
        con.close()

    def text(name: str) -> list[str]:
        return ["" if v is None else str(v) for v in cols[name].tolist()]

    return InpatientCases(
        setl_id=text("setl_id"),
        fixmedins_code=text("fixmedins_code"),
        hosp_lv=text("hosp_lv"),
        gend=text("gend"),
        age=[None if v is None or math.isnan(v) else float(v) for v in cols["age"].tolist()],
        ipt_days=[None if v is None else int(v) for v in cols["ipt_days"].tolist()],
        year=np.asarray(cols["yr"], dtype=np.int64),
        month=np.asarray(cols["mon"], dtype=np.int64),
        medfee=np.asarray(cols["medfee"], dtype=np.int64),
        fund=np.asarray(cols["fund"], dtype=np.int64),
        diags=text("diags"),
        oprns=text("oprns"),
    )


def group_dataset(folder: Path, grouper: Grouper) -> list[tuple[str, str, str, str, str, str, str]]:
    """Group every inpatient settlement: (setl_id, mdc, adrg, drg, drg_name, reason, error_code)."""
    cases = read_inpatient_cases(folder)
    out = []
    for i, setl_id in enumerate(cases.setl_id):
        age = cases.age[i]
        whole = int(age) if age is not None else None
        days = round(age * 365) if age is not None and whole == 0 else None
        result = grouper.group(
            GroupCase(
                setl_id,
                cases.gend[i],
                whole,
                days,
                diag_codes=tuple(c for c in cases.diags[i].split("|") if c),
                oprn_codes=tuple(c for c in cases.oprns[i].split("|") if c),
                ipt_days=cases.ipt_days[i],
            )
        )
        out.append(
            (
                setl_id,
                result.mdc,
                result.adrg,
                result.drg,
                result.drg_name,
                result.reason_path,
                result.error_code or "",
            )
        )
    return out


@dataclass(frozen=True)
class DipInstitution:
    """One institution's DIP year: points, pre-settled and cleared amounts (fen)."""

    fixmedins_code: str
    cases: int
    points: Decimal
    prepaid_fen: int  # Σ monthly pre-settlements by the budget point value
    annual_fen: int  # points × settlement point value − the insured's share
    payable_fen: int  # annual − prepaid


@dataclass(frozen=True)
class DipClearing:
    year: int
    packets: int
    core_packets: int
    budget_point_value: Decimal
    settlement_point_value: Decimal
    institutions: list[DipInstitution]


def dip_clear(
    folder: Path, *, year: int, budget_fen: int, threshold: int = 15, cleared_budget_fen: int | None = None
) -> DipClearing:
    """Annual DIP clearing of `year` from a data set holding that year and the three before it.

    `budget_fen` is the year's budget of total cost used for the budget point value; the settlement
    point value divides `cleared_budget_fen` (default the same budget) by the year's actual points.
    """
    cases = read_inpatient_cases(folder)
    in_history = (cases.year >= year - 3) & (cases.year < year)
    history = [
        dip.HistoryCase(
            int(cases.year[i]),
            cases.diags[i].split("|")[0],
            cases.oprns[i].split("|")[0] or None,
            int(cases.medfee[i]),
        )
        for i in np.flatnonzero(in_history).tolist()
    ]
    table = dip.build_packets(history, year=year, threshold=threshold)
    arrays = dip.PacketArrays.of(table)
    rows = np.flatnonzero(cases.year == year)
    if rows.size == 0:
        raise invalid("DIP_NO_CASES", "year", f"数据集中没有 {year} 年的住院结算")
    diags = [cases.diags[i].split("|")[0] for i in rows.tolist()]
    oprns = [cases.oprns[i].split("|")[0] or None for i in rows.tolist()]
    idx = arrays.lookup(table, diags, oprns)
    coef = np.array(
        [int(LEVEL_COEF.get(cases.hosp_lv[i], Decimal(1)) * 10_000) for i in rows.tolist()], dtype=np.int64
    )
    points = dip.case_points_e4(arrays, idx, cases.medfee[rows], coef)
    codes = sorted({cases.fixmedins_code[i] for i in rows.tolist()})
    code_idx = {c: k for k, c in enumerate(codes)}
    inst = np.array([code_idx[cases.fixmedins_code[i]] for i in rows.tolist()], dtype=np.int64)
    own = cases.medfee[rows] - cases.fund[rows]
    expected = Decimal(int(points.sum())) / 10_000
    budget_pv = dip.budget_point_value(budget_fen=budget_fen, expected_points=expected)
    month = cases.month[rows]
    key = inst * 12 + (month - 1)
    month_points = dip.institution_points(key, points, len(codes) * 12)
    month_own = dip.sum_by(key, own, len(codes) * 12)
    month_amounts = dip.amounts_from_points_e4(month_points.tolist(), budget_pv)
    prepaid = [0] * len(codes)
    for k, amount in enumerate(month_amounts):
        if month_points[k]:
            prepaid[k // 12] += amount - int(month_own[k])
    inst_points = dip.institution_points(inst, points, len(codes))
    settle_pv = dip.settlement_point_value(
        cleared_budget_fen=cleared_budget_fen or budget_fen,
        actual_points=Decimal(int(inst_points.sum())) / 10_000,
    )
    annual = dip.amounts_from_points_e4(inst_points.tolist(), settle_pv)
    inst_own = dip.sum_by(inst, own, len(codes))
    counts = np.bincount(inst, minlength=len(codes))
    out = [
        DipInstitution(
            fixmedins_code=code,
            cases=int(counts[k]),
            points=Decimal(int(inst_points[k])) / 10_000,
            prepaid_fen=prepaid[k],
            annual_fen=annual[k] - int(inst_own[k]),
            payable_fen=annual[k] - int(inst_own[k]) - prepaid[k],
        )
        for k, code in enumerate(codes)
    ]
    return DipClearing(
        year=year,
        packets=len(table.packets),
        core_packets=sum(p.core for p in table.packets.values()),
        budget_point_value=budget_pv,
        settlement_point_value=settle_pv,
        institutions=out,
    )
