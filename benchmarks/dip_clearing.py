"""Annual DIP clearing (按病种分值付费 年度清算) for a year of inpatient cases, batch path (numpy).

Generated region: `--institutions` hospitals (levels 3/2/1 with coefficients 1.0/0.9/0.8), three
years of history (`--history` cases) to build the packets (threshold 15) and 1:2:7 scores, and a
clearing year of `--cases` cases (diagnosis + procedure drawn with a skew, log-normal costs, 15 %
self-pay). Timed: packet building (apart) and the annual clearing itself: packet lookup of every
case, case points with deviation rules and level coefficients, monthly pre-settlement by the budget
point value, the settlement point value, each institution's annual amount and what the clearing
pays after the pre-settlements. Baseline: the Decimal case-by-case path (`dip.case_points`) on a
sample, extrapolated to the year.

    .venv/bin/python benchmarks/dip_clearing.py --cases 1000000
"""

from __future__ import annotations

import argparse
import platform
import time
from decimal import Decimal

import numpy as np

from yibao.domain import dip


def make_codes(rng: np.random.Generator, n_dx: int, n_proc: int) -> tuple[list[str], list[str | None]]:
    diags = [f"{chr(65 + i % 26)}{(i // 26) % 100:02d}.{i % 10}00" for i in range(n_dx)]
    procs: list[str | None] = [None] + [f"{10 + i % 89:02d}.{i % 100:02d}00" for i in range(n_proc)]
    return diags, procs


def draw(
    rng: np.random.Generator, n: int, diags: list[str], procs: list[str | None]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dx = np.minimum(rng.zipf(1.3, n) - 1, len(diags) - 1)
    pr = np.where(rng.random(n) < 0.6, 0, np.minimum(rng.zipf(1.5, n), len(procs) - 1))
    base = 3_000_000 + 40_000 * (dx % 50) + 200_000 * (pr > 0)
    cost = (base * rng.lognormal(0, 0.45, n)).astype(np.int64)
    return dx, pr, cost


def main() -> None:  # noqa: PLR0915 - a benchmark reads best top to bottom
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=0, help="history cases over 3 years (default = cases)")
    parser.add_argument("--institutions", type=int, default=60)
    parser.add_argument("--baseline", type=int, default=20_000)
    args = parser.parse_args()
    rng = np.random.default_rng(11)
    diags, procs = make_codes(rng, 3000, 400)
    year = 2025

    # -- history → packets (timed apart)
    n_hist = args.history or args.cases
    hdx, hpr, hcost = draw(rng, n_hist, diags, procs)
    hyear = rng.choice([2022, 2023, 2024], n_hist, p=[0.3, 0.33, 0.37])
    t0 = time.perf_counter()
    history = [
        dip.HistoryCase(int(y), diags[d], procs[p], int(c))
        for y, d, p, c in zip(hyear.tolist(), hdx.tolist(), hpr.tolist(), hcost.tolist(), strict=True)
    ]
    table = dip.build_packets(history, year=year, threshold=15)
    packets_s = time.perf_counter() - t0
    core = sum(p.core for p in table.packets.values())

    # -- the clearing year's cases
    n = args.cases
    dx, pr, cost = draw(rng, n, diags, procs)
    inst = rng.integers(0, args.institutions, n)
    level_e4 = np.array([10_000, 9_000, 8_000])[inst % 3]
    month = rng.integers(0, 12, n)
    self_pay = cost * 15 // 100
    diag_list = [diags[d] for d in dx.tolist()]
    proc_list = [procs[p] for p in pr.tolist()]

    t0 = time.perf_counter()
    arrays = dip.PacketArrays.of(table)
    idx = arrays.lookup(table, diag_list, proc_list)
    points = dip.case_points_e4(arrays, idx, cost, level_e4)
    # monthly pre-settlement by the budget point value (budget = 95 % of the year's cost)
    budget_fen = int(cost.sum()) * 95 // 100
    expected_points = Decimal(int(points.sum())) / 10_000 * Decimal("1.02")
    budget_pv = dip.budget_point_value(budget_fen=budget_fen, expected_points=expected_points)
    key = inst * 12 + month
    month_points = dip.institution_points(key, points, args.institutions * 12)
    month_self = dip.sum_by(key, self_pay, args.institutions * 12)
    month_amounts = dip.amounts_from_points_e4(month_points.tolist(), budget_pv)
    prepaid = np.zeros(args.institutions, dtype=np.int64)
    for k, amount in enumerate(month_amounts):
        prepaid[k // 12] += amount - int(month_self[k])
    # annual clearing by the settlement point value
    inst_points = dip.institution_points(inst, points, args.institutions)
    inst_self = dip.sum_by(inst, self_pay, args.institutions)
    settle_pv = dip.settlement_point_value(
        cleared_budget_fen=budget_fen, actual_points=Decimal(int(inst_points.sum())) / 10_000
    )
    annual = dip.amounts_from_points_e4(inst_points.tolist(), settle_pv)
    payable = [a - int(s) - int(p) for a, s, p in zip(annual, inst_self, prepaid, strict=True)]
    clearing_s = time.perf_counter() - t0

    # -- baseline: Decimal case by case on a sample
    m = min(args.baseline, n)
    coefs = [Decimal(1), Decimal("0.9"), Decimal("0.8")]
    t0 = time.perf_counter()
    for i in range(m):
        dip.case_points(
            table,
            diag_code=diag_list[i],
            oprn_code=proc_list[i],
            total_fen=int(cost[i]),
            level_coef=coefs[int(inst[i]) % 3],
        )
    per_case = (time.perf_counter() - t0) / m
    baseline_s = per_case * n

    categories = {
        "low": int(((idx >= 0) & (cost * 20_000 < arrays.average_e4[np.maximum(idx, 0)])).sum()),
        "high": int(((idx >= 0) & (cost * 10_000 > 2 * arrays.average_e4[np.maximum(idx, 0)])).sum()),
        "unmatched": int((idx < 0).sum()),
    }
    print(f"machine: {platform.machine()} python {platform.python_version()} numpy {np.__version__}")
    print(f"history: {n_hist} cases → {len(table.packets)} packets ({core} core), built in {packets_s:.2f} s")
    print(f"clearing year: {n} cases, {args.institutions} institutions; deviation cases {categories}")
    print(f"budget point value {budget_pv:.4f} fen, settlement point value {settle_pv:.4f} fen")
    print(f"annual clearing (batch, numpy): {clearing_s:.2f} s ({n / clearing_s:,.0f} cases/s)")
    print(f"Decimal case-by-case baseline: {per_case * 1e6:.1f} µs/case → {baseline_s:.1f} s for the year")
    print(f"payable total {sum(payable)} fen; prepaid {int(prepaid.sum())} fen")
    print(f"ratio: {baseline_s / clearing_s:.1f}x faster than the case-by-case path")


if __name__ == "__main__":
    main()
