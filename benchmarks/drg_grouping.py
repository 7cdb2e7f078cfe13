"""CHS-DRG 1.1 grouping speed: the grouper (dict/set lookups + cache by the grouping key) against a
straightforward case-by-case implementation (no cache, every code table scanned as a list).

Cases are generated from the scheme itself: principal diagnoses drawn from the MDC tables, a
third with an operating-room procedure of the same ADRG, 0–3 secondary diagnoses from the MCC/CC
lists, 1 % newborns, 1 % gray or unknown codes; profiles repeat the way a region's discharges do
(a few thousand distinct profiles per 100,000 cases). One core, one process.

    .venv/bin/python benchmarks/drg_grouping.py --cases 1000000 --baseline 3000
"""

from __future__ import annotations

import argparse
import copy
import platform
import random
import time
from dataclasses import replace
from pathlib import Path

from yibao.domain.drg import GroupCase, Grouper, GroupResult, Scheme
from yibao.payment.lookup import scheme as load_scheme
from yibao.settings import get_settings


class NaiveGrouper(Grouper):
    """Case by case, no cache; sets replaced by tuples so every membership test scans a list."""

    def __init__(self, scheme: Scheme) -> None:
        slow = copy.copy(scheme)
        slow.rules = {
            mdc: [
                replace(
                    r,
                    principal_dx=tuple(sorted(r.principal_dx)),  # type: ignore[arg-type]
                    principal_proc=tuple(sorted(r.principal_proc)),  # type: ignore[arg-type]
                    any_dx=tuple(sorted(r.any_dx)),  # type: ignore[arg-type]
                    both_procs=tuple(tuple(sorted(p)) for p in r.both_procs),  # type: ignore[misc]
                )
                for r in rules
            ]
            for mdc, rules in scheme.rules.items()
        }
        slow.or_procs = tuple(sorted(scheme.or_procs))  # type: ignore[assignment]
        slow.dx_known = tuple(sorted(scheme.dx_known))  # type: ignore[assignment]
        slow.proc_known = tuple(sorted(scheme.proc_known))  # type: ignore[assignment]
        slow.dx_gray = tuple(sorted(scheme.dx_gray))  # type: ignore[assignment]
        slow.proc_gray = tuple(sorted(scheme.proc_gray))  # type: ignore[assignment]
        slow.medical_of_dx = {}
        slow.ordered_medical = frozenset(scheme.rules)
        super().__init__(slow)

    def group(self, case: GroupCase) -> GroupResult:
        from yibao.domain.drg import _age_class

        return self._group(case, _age_class(case))


def generate(scheme: Scheme, n: int, profiles: int, seed: int = 7) -> list[GroupCase]:
    rng = random.Random(seed)
    medical = [(mdc, code) for code, mdcs in scheme.mdc_of_dx.items() for mdc in mdcs if mdc not in "PZ"]
    surgical = [
        (r, sorted(r.principal_proc))
        for rules in scheme.rules.values()
        for r in rules
        if r.principal_proc and r.principal_dx and r.mdc not in "AP"
    ]
    gray = scheme.dx_gray
    secondary = [c for c in sorted(scheme.mcc)[::3] + sorted(scheme.cc)[::5] if c not in gray]
    sex_of = {"M": "1", "N": "2", "O": "2"}
    pool: list[GroupCase] = []
    for i in range(profiles):
        roll = rng.random()
        gend = rng.choice("12")
        age = rng.randint(18, 90)
        if roll < 0.33 and surgical:
            rule, procs = rng.choice(surgical)
            gend = sex_of.get(rule.mdc, gend)
            age = rng.randint(18, 45) if rule.mdc == "O" else age
            pdx = rng.choice(sorted(rule.principal_dx))
            oprns: tuple[str, ...] = (rng.choice(procs),)
        else:
            mdc, pdx = rng.choice(medical)
            oprns = ()
            gend = sex_of.get(mdc, gend)
            if mdc == "O":
                age = rng.randint(18, 45)
        extra = tuple(rng.sample(secondary, rng.randint(0, 3)))
        age_days = None
        weight = None
        if roll > 0.99:
            age, age_days, weight = 0, rng.randint(0, 27), rng.choice([1200, 1800, 2300, 3200, 3200, None])
            pdx = rng.choice(sorted(c for c, m in scheme.mdc_of_dx.items() if "P" in m))
        if 0.98 < roll <= 0.99:
            extra = ("X99.999",) if rng.random() < 0.5 else (*extra, sorted(scheme.dx_gray)[i % 100])
        pool.append(
            GroupCase(str(i), gend, age, age_days, weight, diag_codes=(pdx, *extra), oprn_codes=oprns)
        )
    # Zipf-like reuse of the profiles
    weights = [1 / (k + 1) ** 0.8 for k in range(len(pool))]
    chosen = rng.choices(pool, weights=weights, k=n)
    return [replace(c, case_id=str(i)) for i, c in enumerate(chosen)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--profiles", type=int, default=0, help="distinct profiles (default cases/50)")
    parser.add_argument("--baseline", type=int, default=3000, help="cases for the naive baseline")
    args = parser.parse_args()
    reference = Path(get_settings().reference_dir)
    t0 = time.perf_counter()
    scheme = load_scheme(reference)
    load_s = time.perf_counter() - t0
    profiles = args.profiles or max(args.cases // 50, 100)
    cases = generate(scheme, args.cases, profiles)

    grouper = Grouper(scheme)
    t0 = time.perf_counter()
    results = [grouper.group(c) for c in cases]
    fast_s = time.perf_counter() - t0
    fast_rate = len(cases) / fast_s

    cold = Grouper(scheme, cache_size=1)
    sample = cases[: max(args.baseline, 1)]
    t0 = time.perf_counter()
    for c in sample:
        cold.group(c)
    cold_rate = len(sample) / (time.perf_counter() - t0)

    naive = NaiveGrouper(scheme)
    t0 = time.perf_counter()
    naive_results = [naive.group(c) for c in sample]
    naive_rate = len(sample) / (time.perf_counter() - t0)
    agree = sum(a.drg == b.drg for a, b in zip(naive_results, results, strict=False))

    errors = sum(r.drg == "0000" for r in results)
    ambiguous = sum(r.drg.endswith("QY") for r in results)
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"scheme load: {load_s:.2f} s; cases: {len(cases)}, distinct profiles: {profiles}")
    print(f"grouper (cache by grouping key): {fast_rate:,.0f} cases/s ({fast_s:.2f} s)")
    print(f"grouper without cache (cold): {cold_rate:,.0f} cases/s")
    print(f"naive case-by-case baseline: {naive_rate:,.0f} cases/s on {len(sample)} cases")
    print(f"agreement naive vs grouper: {agree}/{len(sample)}")
    print(f"error group 0000: {errors}, ambiguous QY: {ambiguous}")
    print(
        f"ratio: {fast_rate / naive_rate:,.0f}x (cached) / {cold_rate / naive_rate:,.1f}x (cold) over naive"
    )


if __name__ == "__main__":
    main()
