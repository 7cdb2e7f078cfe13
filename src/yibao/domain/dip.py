"""DIP, payment by disease-based points (按病种分值付费): pure, one rounding place per amount.

1. Packets (病种组合): principal diagnosis sub-category (亚目, first 5 characters, "K35.2") plus the
   principal procedure ("保守治疗" when none) from the region's history; combinations with at least
   `threshold` cases are core packets (核心病种), the rest are grouped by diagnosis category (类目,
   first 3 characters) and treatment (手术/保守) into comprehensive packets (综合病种).
2. Score (分值) = weighted average cost of the packet over the last three years with year weights
   1:2:7 (oldest to newest), divided by the weighted average cost of all cases, × `scale` (100).
3. Budget point value (预算点值) = the year's budget of total cost / the expected points
   (history cases × their scores); settlement point value (结算点值) = the cleared budget / the year's
   actual points.
4. Case points = score × level coefficient (等级系数); cost-deviation cases (费用偏差病例):
   below 50 % of the packet's average cost: score × cost / average; above 2×:
   ((cost / average − 2) + 1) × score.
5. Monthly pre-settlement: Σ points × budget point value; annual clearing: Σ points × settlement
   point value, minus the month pre-settlements already paid. Points are kept to 4 decimals
   (10⁻⁴ point) per case; an institution's amount is rounded half up to the fen once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final

import numpy as np
import numpy.typing as npt

from yibao.domain.errors import invalid
from yibao.domain.money import Fen

CONSERVATIVE: Final = "保守治疗"
YEAR_WEIGHTS: Final = (1, 2, 7)
LOW_RATIO: Final = Decimal("0.5")
HIGH_RATIO: Final = Decimal(2)
POINT_DIGITS: Final = Decimal("0.0001")
_E4: Final = 10_000


@dataclass(frozen=True)
class HistoryCase:
    """One discharge of the region's history used to build packets and scores."""

    year: int
    diag_code: str  # principal diagnosis
    oprn_code: str | None  # principal procedure
    total_fen: Fen


@dataclass(frozen=True)
class Packet:
    """A DIP packet (病种) with its score (分值) and weighted average cost (次均费用)."""

    code: str  # "K35.2|47.0100" / "K35|手术" (综合)
    core: bool
    cases: int
    average_fen: Decimal  # weighted average cost (1:2:7)
    score: Decimal  # 分值, 4 decimals


@dataclass(frozen=True)
class PacketTable:
    """The packets of a region and year, with the lookup from (diagnosis, procedure) to a packet."""

    packets: Mapping[str, Packet]
    overall_average_fen: Decimal
    scale: Decimal

    def packet_of(self, diag_code: str, oprn_code: str | None) -> Packet | None:
        """The core packet of the combination, else its comprehensive packet (综合病种)."""
        core = self.packets.get(core_key(diag_code, oprn_code))
        if core is not None and core.core:
            return core
        return self.packets.get(rest_key(diag_code, oprn_code))


def core_key(diag_code: str, oprn_code: str | None) -> str:
    return f"{diag_code.strip()[:5]}|{oprn_code.strip() if oprn_code else CONSERVATIVE}"


def rest_key(diag_code: str, oprn_code: str | None) -> str:
    return f"{diag_code.strip()[:3]}|{'手术' if oprn_code else CONSERVATIVE}"


def _weighted_average(by_year: Mapping[int, tuple[int, int]], years: Sequence[int]) -> Decimal:
    """Σ w·avg_y / Σ w over the years with cases (weights 1:2:7 oldest → newest)."""
    num = Decimal(0)
    den = 0
    for weight, year in zip(YEAR_WEIGHTS, years, strict=True):
        count, total = by_year.get(year, (0, 0))
        if count:
            num += Decimal(weight) * Decimal(total) / count
            den += weight
    return num / den if den else Decimal(0)


def build_packets(
    history: Iterable[HistoryCase], *, year: int, threshold: int = 15, scale: Decimal = Decimal(100)
) -> PacketTable:
    """Packets and scores for `year` from the three years before it (year-3, year-2, year-1)."""
    if threshold < 1:
        raise invalid("DIP_THRESHOLD", "threshold", "核心病种入组病例数阈值必须 ≥ 1")
    years = (year - 3, year - 2, year - 1)
    combos: dict[str, dict[int, tuple[int, int]]] = defaultdict(dict)
    overall: dict[int, tuple[int, int]] = {}
    rows: list[HistoryCase] = [c for c in history if c.year in years]
    for case in rows:
        table = combos[core_key(case.diag_code, case.oprn_code)]
        count, total = table.get(case.year, (0, 0))
        table[case.year] = (count + 1, total + case.total_fen)
        count, total = overall.get(case.year, (0, 0))
        overall[case.year] = (count + 1, total + case.total_fen)
    overall_avg = _weighted_average(overall, years)
    if overall_avg <= 0:
        raise invalid("DIP_NO_HISTORY", "history", f"{years[0]}–{years[-1]} 年没有历史病例，无法计算分值")
    rest: dict[str, dict[int, tuple[int, int]]] = defaultdict(dict)
    packets: dict[str, Packet] = {}
    for key, by_year in combos.items():
        n = sum(c for c, _ in by_year.values())
        if n >= threshold:
            avg = _weighted_average(by_year, years)
            score = (avg / overall_avg * scale).quantize(POINT_DIGITS, ROUND_HALF_UP)
            packets[key] = Packet(key, True, n, _kept(avg), score)
        else:
            diag, _, proc = key.partition("|")
            target = rest[rest_key(diag, None if proc == CONSERVATIVE else proc)]
            for y, (c, t) in by_year.items():
                c0, t0 = target.get(y, (0, 0))
                target[y] = (c0 + c, t0 + t)
    for key, by_year in rest.items():
        n = sum(c for c, _ in by_year.values())
        avg = _weighted_average(by_year, years)
        score = (avg / overall_avg * scale).quantize(POINT_DIGITS, ROUND_HALF_UP)
        packets[key] = Packet(key, False, n, _kept(avg), score)
    return PacketTable(packets, _kept(overall_avg), scale)


def _kept(average: Decimal) -> Decimal:
    """Average costs are kept to 10⁻⁴ fen, so that both paths compute with the same exact value."""
    return average.quantize(POINT_DIGITS, ROUND_HALF_UP)


@dataclass(frozen=True)
class CasePoints:
    """The points of one case and the rule that gave them."""

    packet: str
    points: Decimal
    category: str  # normal / low / high / unmatched
    reason: str


def _round_points(value: Fraction) -> Decimal:
    """Half up (ties away from zero) to 10⁻⁴ point: the one rounding place of a case's points."""
    e4 = int(abs(value) * _E4 + Fraction(1, 2))
    return Decimal(e4 if value >= 0 else -e4).scaleb(-4)


def case_points(
    table: PacketTable,
    *,
    diag_code: str,
    oprn_code: str | None,
    total_fen: Fen,
    level_coef: Decimal = Decimal(1),
) -> CasePoints:
    """Points of one case: the packet score × level coefficient, or the deviation formulas.

    Computed exactly (fractions of the stored decimals) and rounded once to 10⁻⁴ point.
    """
    packet = table.packet_of(diag_code, oprn_code)
    if packet is None:
        # 未入组: points from the cost against the regional average (按实际费用折算)
        exact = Fraction(total_fen) / Fraction(table.overall_average_fen) * Fraction(table.scale)
        return CasePoints("", _round_points(exact), "unmatched", "无对应病种，按费用折算分值")
    score = Fraction(packet.score)
    ratio = Fraction(total_fen) / Fraction(packet.average_fen) if packet.average_fen else Fraction(1)
    shown = (Decimal(ratio.numerator) / Decimal(ratio.denominator)).quantize(POINT_DIGITS, ROUND_HALF_UP)
    if ratio < Fraction(LOW_RATIO):
        raw = score * ratio
        category, reason = "low", f"费用为病种次均的 {shown} 倍 < 0.5：分值 × 费用/次均"
    elif ratio > Fraction(HIGH_RATIO):
        raw = ((ratio - 2) + 1) * score
        category, reason = "high", f"费用为病种次均的 {shown} 倍 > 2：〔(倍数 − 2) + 1〕× 分值"
    else:
        raw = score
        category, reason = "normal", "病种分值"
    points = _round_points(raw * Fraction(level_coef))
    return CasePoints(
        packet.code, points, category, reason + (f" × 等级系数 {level_coef}" if level_coef != 1 else "")
    )


def budget_point_value(*, budget_fen: Fen, expected_points: Decimal) -> Decimal:
    """预算点值 (fen per point) = the year's budget of total cost / expected points."""
    if expected_points <= 0:
        raise invalid("DIP_POINTS", "expected_points", "预计总分值必须大于 0")
    return Decimal(budget_fen) / expected_points


def settlement_point_value(*, cleared_budget_fen: Fen, actual_points: Decimal) -> Decimal:
    """结算点值 (fen per point) = cleared budget of total cost / the year's actual points."""
    if actual_points <= 0:
        raise invalid("DIP_POINTS", "actual_points", "年度实际总分值必须大于 0")
    return Decimal(cleared_budget_fen) / actual_points


def amount_of(points: Decimal, point_value: Decimal) -> Fen:
    """Points × point value, rounded half up to the fen (the one rounding place of an amount)."""
    return int((points * point_value).quantize(Decimal(1), ROUND_HALF_UP))


def fund_amount(*, points: Decimal, point_value: Decimal, self_pay_fen: Fen) -> Fen:
    """What the fund pays for an institution: points × point value − the insured's own share."""
    return amount_of(points, point_value) - self_pay_fen


# -- the online clearing path: one region's settled cases of a period ---------------------------


@dataclass(frozen=True)
class SettledDipCase:
    """One settled inpatient case of an institution paid by DIP (for the online clearing)."""

    fixmedins_code: str
    diag_code: str  # principal diagnosis
    oprn_code: str | None  # principal procedure
    total_fen: Fen  # 医疗总费用
    own_fen: Fen  # the insured's own share (total − fund)
    level_coef: Decimal = Decimal(1)


@dataclass(frozen=True)
class DipPeriodAmount:
    """An institution's DIP figures of a period (fen): points, their amount and the fund's part."""

    fixmedins_code: str
    cases: int
    points: Decimal
    amount_fen: Fen  # points × point value, rounded half up once
    own_fen: Fen
    fund_fen: Fen  # amount − the insured's own share
    categories: Mapping[str, int]  # normal / low / high / unmatched → cases


def expected_points(table: PacketTable, cases: Iterable[SettledDipCase]) -> Decimal:
    """预计总分值: the points the packet table gives a reference year's cases (the year before)."""
    return sum(
        (
            case_points(
                table,
                diag_code=c.diag_code,
                oprn_code=c.oprn_code,
                total_fen=c.total_fen,
                level_coef=c.level_coef,
            ).points
            for c in cases
        ),
        Decimal(0),
    )


@dataclass(frozen=True)
class DipTally:
    """An institution's cases of a period counted up: points, the insured's share, categories."""

    fixmedins_code: str
    cases: int
    points: Decimal
    own_fen: Fen
    categories: Mapping[str, int]  # normal / low / high / unmatched → cases


def tally(table: PacketTable, cases: Iterable[SettledDipCase]) -> list[DipTally]:
    """Σ case points, own shares and case categories per institution (each case scored once)."""
    points: dict[str, Decimal] = defaultdict(Decimal)
    own: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    categories: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in cases:
        cp = case_points(
            table,
            diag_code=c.diag_code,
            oprn_code=c.oprn_code,
            total_fen=c.total_fen,
            level_coef=c.level_coef,
        )
        points[c.fixmedins_code] += cp.points
        own[c.fixmedins_code] += c.own_fen
        counts[c.fixmedins_code] += 1
        categories[c.fixmedins_code][cp.category] += 1
    return [
        DipTally(code, counts[code], points[code], own[code], dict(categories[code]))
        for code in sorted(points)
    ]


def price(tallies: Iterable[DipTally], point_value: Decimal) -> list[DipPeriodAmount]:
    """Each institution's amount = its points × the point value, rounded once, minus its own share."""
    out = []
    for t in tallies:
        amount = amount_of(t.points, point_value)
        out.append(
            DipPeriodAmount(
                t.fixmedins_code, t.cases, t.points, amount, t.own_fen, amount - t.own_fen, t.categories
            )
        )
    return out


def clear_period(
    table: PacketTable, cases: Iterable[SettledDipCase], point_value: Decimal
) -> list[DipPeriodAmount]:
    """Each institution's DIP amount of a period: Σ case points × point value (budget point value
    for monthly pre-settlement and quarters, settlement point value for the annual clearing),
    rounded once per institution, minus the insured's own share."""
    return price(tally(table, cases), point_value)


# -- the batch path (numpy): a year of cases at once ---------------------------------------------


@dataclass(frozen=True)
class PacketArrays:
    """A packet table as integer arrays: per packet score (10⁻⁴ point) and average cost (10⁻⁴ fen)."""

    index: Mapping[str, int]
    score_e4: npt.NDArray[np.int64]
    average_e4: npt.NDArray[np.int64]
    overall_average_e4: int
    scale_e4: int

    @classmethod
    def of(cls, table: PacketTable) -> PacketArrays:
        keys = list(table.packets)
        return cls(
            index={k: i for i, k in enumerate(keys)},
            score_e4=np.array([_e4(table.packets[k].score) for k in keys], dtype=np.int64),
            average_e4=np.array([_e4(table.packets[k].average_fen) for k in keys], dtype=np.int64),
            overall_average_e4=_e4(table.overall_average_fen),
            scale_e4=_e4(table.scale),
        )

    def lookup(
        self, table: PacketTable, diag_codes: Sequence[str], oprn_codes: Sequence[str | None]
    ) -> npt.NDArray[np.int64]:
        """Packet index per case (−1 = unmatched), through a dictionary per distinct combination."""
        memo: dict[tuple[str, str | None], int] = {}
        out = np.empty(len(diag_codes), dtype=np.int64)
        for i, pair in enumerate(zip(diag_codes, oprn_codes, strict=True)):
            hit = memo.get(pair)
            if hit is None:
                packet = table.packet_of(pair[0], pair[1])
                hit = self.index[packet.code] if packet is not None else -1
                memo[pair] = hit
            out[i] = hit
        return out


def _e4(value: Decimal) -> int:
    """A decimal with at most 4 places as an integer count of 10⁻⁴."""
    scaled = value.scaleb(4)
    if scaled != scaled.to_integral_value():
        raise invalid("DIP_PRECISION", "value", f"{value} 超过 4 位小数")
    return int(scaled)


_SAFE: Final = 2**61  # |products| below this, and twice them, fit in int64


def _half_up(num: int, den: int) -> int:
    """num / den rounded half up (ties away from zero), den > 0, in Python integers."""
    q = (2 * abs(num) + den) // (2 * den)
    return q if num >= 0 else -q


def _half_up_array(num: npt.NDArray[np.int64], den: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    q = (2 * np.abs(num) + den) // (2 * den)
    return np.where(num >= 0, q, -q)


def _product(*factors: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The product of int64 arrays and where it is safe (|product| < 2⁶¹, no overflow)."""
    out = factors[0]
    ok = np.abs(out) < _SAFE
    for f in factors[1:]:
        magnitude = np.maximum(np.abs(f), 1)
        ok &= np.abs(out) < _SAFE // magnitude
        out = np.where(ok, out, 0) * np.where(ok, f, 0)
    return out, ok


def case_points_e4_exact(
    score_e4: int,
    average_e4: int,
    total_fen: int,
    level_e4: int,
    *,
    matched: bool,
    overall_e4: int,
    scale_e4: int,
) -> int:
    """One case's points in 10⁻⁴ points with Python integers: the rules of `case_points`."""
    if not matched:
        return _half_up(total_fen * _E4 * scale_e4, overall_e4)
    if average_e4 > 0 and 2 * total_fen * _E4 < average_e4:  # below 50 %
        return _half_up(score_e4 * total_fen * level_e4, average_e4)
    if average_e4 > 0 and total_fen * _E4 > 2 * average_e4:  # above 2×
        return _half_up((total_fen * _E4 - average_e4) * score_e4 * level_e4, average_e4 * _E4)
    return _half_up(score_e4 * level_e4, _E4)


def case_points_e4(
    arrays: PacketArrays,
    packet_idx: npt.NDArray[np.int64],
    total_fen: npt.NDArray[np.int64],
    level_coef_e4: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Case points in 10⁻⁴ points for many cases: the rules of `case_points` in integer arithmetic.

    Every case is num / den rounded half up once, as in the exact scalar path, so both agree on
    every case; the rare case whose product would leave int64 is computed with Python integers.
    """
    total = np.asarray(total_fen, dtype=np.int64)
    level = np.asarray(level_coef_e4, dtype=np.int64)
    matched = packet_idx >= 0
    idx = np.where(matched, packet_idx, 0)
    score = arrays.score_e4[idx]
    avg = arrays.average_e4[idx]
    n = len(total)
    e4 = np.full(n, _E4, dtype=np.int64)
    cost_e4, ok_cost = _product(total, e4)
    low = matched & (avg > 0) & ok_cost & (2 * cost_e4 < avg)
    high = matched & (avg > 0) & ok_cost & (cost_e4 > 2 * avg)
    low_num, ok_low = _product(score, total, level)
    high_num, ok_high = _product(cost_e4 - avg, score, level)
    normal_num, ok_normal = _product(score, level)
    unmatched_num, ok_unmatched = _product(total, e4, np.full(n, arrays.scale_e4, dtype=np.int64))
    overall = np.full(n, max(arrays.overall_average_e4, 1), dtype=np.int64)
    avg_safe = np.maximum(avg, 1)
    num = np.where(~matched, unmatched_num, np.where(low, low_num, np.where(high, high_num, normal_num)))
    den = np.where(~matched, overall, np.where(low, avg_safe, np.where(high, avg_safe * _E4, e4)))
    ok = np.where(~matched, ok_unmatched, np.where(low, ok_low, np.where(high, ok_high, ok_normal))) & ok_cost
    ok &= den < _SAFE
    out = _half_up_array(np.where(ok, num, 0), den)
    for i in np.flatnonzero(~ok).tolist():
        out[i] = case_points_e4_exact(
            int(score[i]),
            int(avg[i]),
            int(total[i]),
            int(level[i]),
            matched=bool(matched[i]),
            overall_e4=arrays.overall_average_e4,
            scale_e4=arrays.scale_e4,
        )
    return out.astype(np.int64)


def sum_by(
    group_idx: npt.NDArray[np.int64], values: npt.NDArray[np.int64], groups: int
) -> npt.NDArray[np.int64]:
    """Σ values per group in int64 (no floats: points and fen sum exactly)."""
    sums = np.zeros(groups, dtype=np.int64)
    np.add.at(sums, group_idx, np.asarray(values, dtype=np.int64))
    return sums


def institution_points(
    institution_idx: npt.NDArray[np.int64], points_e4: npt.NDArray[np.int64], institutions: int
) -> npt.NDArray[np.int64]:
    """Σ points (10⁻⁴) per institution, exactly."""
    return sum_by(institution_idx, points_e4, institutions)


def amounts_from_points_e4(points_e4: Sequence[int], point_value: Decimal) -> list[Fen]:
    """Each institution's amount = its points × point value, rounded half up once."""
    return [amount_of(Decimal(int(p)) / _E4, point_value) for p in points_e4]
