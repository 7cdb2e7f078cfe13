"""The statistical indicators of a run (统计指标) and its focus institutions (重点机构), shaped for charts.

A batch run writes `indicators.parquet` (per institution, department and doctor and month) and
`outlier_scores.parquet` (institutions ranked by growth against peers of the same level); this module
reads them back for the console: series over the months for the units with the most visits, the
latest month's table, and the ranked focus list. Money leaves as yuan text (never floats).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from yibao.core.uow import UnitOfWork
from yibao.domain.errors import invalid, not_found
from yibao.domain.money import fen_to_yuan
from yibao.monitoring.models import RunRow
from yibao.monitoring.service import get_run

LEVELS = ("institution", "department", "doctor")
LEVEL_LABELS = {"institution": "机构", "department": "科室", "doctor": "医生"}

_COLUMNS = (
    "unit",
    "fixmedins_code",
    "hosp_tier",
    "period",
    "visits",
    "persons",
    "admissions",
    "medfee_fen",
    "cost_per_visit_fen",
    "cost_per_stay_fen",
    "drug_share_pm",
    "test_share_pm",
    "consumable_share_pm",
    "readmission_31d_pm",
    "admissions_per_person_pm",
    "prev_cost_per_visit_fen",
    "prev_visits",
    "peer_percentile_pct",
    "peer_p50_fen",
    "peer_p90_fen",
)


@dataclass(frozen=True)
class IndicatorView:
    """One level of a run's indicators: the charted units' monthly series, the latest month, the focus."""

    run: RunRow
    level: str
    periods: list[str]
    units: list[str]  # charted: the most visits over the whole run first
    cost_per_visit: dict[str, list[str | None]]  # unit → yuan per period (None: no visit that month)
    visits: dict[str, list[int | None]]
    latest: list[dict[str, Any]]  # the latest month, every unit of the level, most visits first
    focus: list[dict[str, Any]]  # outlier_scores, rank order

    @property
    def latest_period(self) -> str | None:
        return self.periods[-1] if self.periods else None


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else str(fen_to_yuan(int(fen)))


def _percent(permille: int | None) -> str | None:
    """‰ as a percentage with one decimal (exact: a permille is a tenth of a percent)."""
    return None if permille is None else str(Decimal(int(permille)).scaleb(-1))


def _change(now: int | None, before: int | None) -> str | None:
    """The change against the previous month in percent, one decimal, half up (None without a base)."""
    if now is None or not before:
        return None
    tenths = (2000 * (int(now) - int(before)) + int(before)) // (2 * int(before))
    return str(Decimal(tenths).scaleb(-1))


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    """One indicator row for display: yuan text, percentages, change against the previous month."""
    return {
        "unit": row["unit"],
        "fixmedins_code": row["fixmedins_code"],
        "hosp_tier": row["hosp_tier"],
        "period": row["period"],
        "visits": row["visits"],
        "persons": row["persons"],
        "admissions": row["admissions"],
        "medfee": _yuan(row["medfee_fen"]),
        "cost_per_visit": _yuan(row["cost_per_visit_fen"]),
        "cost_per_stay": _yuan(row["cost_per_stay_fen"]),
        "drug_share": _percent(row["drug_share_pm"]),
        "test_share": _percent(row["test_share_pm"]),
        "consumable_share": _percent(row["consumable_share_pm"]),
        "readmission_31d": _percent(row["readmission_31d_pm"]),
        "admissions_per_person": _percent(row["admissions_per_person_pm"]),
        "cost_change": _change(row["cost_per_visit_fen"], row["prev_cost_per_visit_fen"]),
        "visits_change": _change(row["visits"], row["prev_visits"]),
        "peer_percentile": row["peer_percentile_pct"],
        "peer_p50": _yuan(row["peer_p50_fen"]),
        "peer_p90": _yuan(row["peer_p90_fen"]),
    }


def _file(run: RunRow, name: str) -> Path:
    path = Path(run.out_dir) / name
    if not path.exists():
        raise not_found("INDICATORS_MISSING", f"运行 {run.run_no} 的结果文件 {path} 不存在", "run_no")
    return path


def _rows(con: Any, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, args)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def run_indicators(
    *, uow: UnitOfWork, run_no: str, level: str = "institution", top: int = 8
) -> IndicatorView:
    """A run's indicators at one level (机构/科室/医生) and its focus institutions, for the console charts."""
    if level not in LEVELS:
        raise invalid("LEVEL", "level", f"字段 level 统计层级 {level!r} 无效，可选：{'/'.join(LEVELS)}")
    run = get_run(uow=uow, run_no=run_no)
    import duckdb

    con = duckdb.connect()
    try:
        source = f"read_parquet('{_file(run, 'indicators.parquet')}')"
        rows = _rows(
            con,
            f"SELECT {', '.join(_COLUMNS)} FROM {source} WHERE level = ? ORDER BY period, unit",
            [level],
        )
        scores = Path(run.out_dir) / "outlier_scores.parquet"
        focus = (
            _rows(con, f"SELECT * FROM read_parquet('{scores}') ORDER BY rank_no LIMIT 20", [])
            if scores.exists()
            else []
        )
    finally:
        con.close()
    periods = sorted({r["period"] for r in rows})
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["unit"]] = totals.get(r["unit"], 0) + int(r["visits"])
    units = sorted(totals, key=lambda u: (-totals[u], u))[: max(top, 1)]
    at = {p: n for n, p in enumerate(periods)}
    cost: dict[str, list[str | None]] = {u: [None] * len(periods) for u in units}
    visits: dict[str, list[int | None]] = {u: [None] * len(periods) for u in units}
    for r in rows:
        if r["unit"] in cost:
            cost[r["unit"]][at[r["period"]]] = _yuan(r["cost_per_visit_fen"])
            visits[r["unit"]][at[r["period"]]] = int(r["visits"])
    latest = sorted(
        (_shape(r) for r in rows if periods and r["period"] == periods[-1]),
        key=lambda r: (-int(r["visits"]), r["unit"]),
    )
    ranked = [
        {
            "rank_no": int(s["rank_no"]),
            "fixmedins_code": s["fixmedins_code"],
            "hosp_tier": int(s["hosp_tier"]),
            "stays": int(s["stays"]),
            "early": _yuan(s["early_fen"]),
            "late": _yuan(s["late_fen"]),
            "growth": _yuan(s["growth_fen"]),
            "ratio": str(Decimal(int(s["ratio_pm"])).scaleb(-3)),
            "peer_ratio": str(Decimal(int(s["peer_pm"])).scaleb(-3)),
            "score": str(Decimal(int(s["score"])).scaleb(-3)),
        }
        for s in focus
    ]
    return IndicatorView(run, level, periods, units, cost, visits, latest, ranked)
