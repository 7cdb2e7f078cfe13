"""Benchmark: the synthetic region generator (fee lines per minute, peak memory) against a naive writer.

Run: .venv/bin/python benchmarks/generator.py [--persons N] [--months M] [--baseline-persons N]
The main run generates `--persons` × `--months` in a child process (so its peak RSS is its own) with the
real generator (numpy draws, the settlement engine per visit, columnar Arrow chunks to Parquet). The
baseline generates the same small region twice in this process: once with the real writer, once with
a naive row-by-row writer (each fee line converted to yuan strings one by one and written with the csv
module), and prints their ratio.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path


def machine() -> str:
    return (
        f"machine: {platform.machine()} {platform.processor() or ''} cores={os.cpu_count()} "
        f"python={platform.python_version()}"
    )


def child(persons: int, months: int, out: str) -> None:
    """Generate into `out` and print the counts as JSON (runs in a child process)."""
    from yibao.synthetic import service
    from yibao.synthetic.knobs import check_knobs

    knobs = check_knobs(persons=persons, months=months, seed=1, admdvs="439901")
    started, cpu = time.perf_counter(), time.process_time()  # the world is built inside: counted
    counts = service.generate(knobs=knobs, out=Path(out))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    lines, visits = counts.rows["fee_list_d"], counts.rows["mdtrt_d"]
    print(json.dumps({"lines": lines, "visits": visits, "seconds": seconds, "cpu": cpu}))


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def naive_rows(out: Path, persons: int, months: int) -> tuple[int, float]:
    """The same region (same visits, same settlements) written the naive way: visits, settlements, fee
    lines and diagnoses row by row through the csv module, each amount converted with Decimal."""
    from yibao.synthetic import service
    from yibao.synthetic.generator import Generator, load_policies
    from yibao.synthetic.knobs import check_knobs

    knobs = check_knobs(persons=persons, months=months, seed=1, admdvs="439901")
    world = service.make_world(knobs)
    gen = Generator(world, knobs, load_policies(service.POLICY_DIR))
    started = time.process_time()
    lines = 0
    stamp = "%Y-%m-%d %H:%M:%S"
    handles = {t: (out / f"{t}.csv").open("w", newline="", encoding="utf-8") for t in ("m", "s", "f", "d")}
    w = {t: csv.writer(h) for t, h in handles.items()}
    p, inst, items = world.persons, world.institutions, world.catalog.items
    for month, start, end in gen.chunks():
        gen.credit_accounts(start, end)
        chunk = gen.run_chunk(month, start, end)
        for visit, b, mdtrt_id in zip(chunk.visits, chunk.breakdowns, chunk.mdtrt_ids, strict=True):
            psn_no, code = str(p.psn_no[visit.person]), inst.code[visit.inst]
            w["m"].writerow(
                [
                    mdtrt_id,
                    psn_no,
                    str(p.gend[visit.person]),
                    str(p.birth[visit.person]),
                    code,
                    visit.begin.strftime(stamp),
                    visit.end.strftime(stamp),
                    visit.med_type,
                    visit.diagnoses[0] if visit.diagnoses else "",
                    visit.ipt_days,
                    visit.doctor,
                ]
            )
            w["s"].writerow(
                [
                    f"S{mdtrt_id}",
                    mdtrt_id,
                    psn_no,
                    code,
                    visit.med_type,
                    *(
                        _yuan(v)
                        for v in (
                            b.medfee_sumamt,
                            b.fulamt_ownpay_amt,
                            b.overlmt_selfpay,
                            b.preselfpay_amt,
                            b.inscp_scp_amt,
                            b.act_pay_dedc,
                            b.hifp_pay,
                            b.cvlserv_pay,
                            b.hifmi_pay,
                            b.maf_pay,
                            b.fund_pay_sumamt,
                            b.psn_part_amt,
                            b.acct_pay,
                            b.psn_cash_pay,
                        )
                    ),
                ]
            )
            for n, diag in enumerate(visit.diagnoses):
                w["d"].writerow([f"S{mdtrt_id}", mdtrt_id, psn_no, "1", int(n == 0), diag])
            for n, (line, part) in enumerate(zip(visit.lines, b.lines, strict=True)):
                item = items[int(line[0])]
                qty, price = int(line[1]), int(line[2])
                w["f"].writerow(
                    [
                        f"{mdtrt_id}{n:04d}",
                        mdtrt_id,
                        f"S{mdtrt_id}",
                        psn_no,
                        code,
                        line[3].strftime(stamp),
                        item.code,
                        f"L{int(line[0]):05d}",
                        line[6] or item.name,
                        item.list_type,
                        item.med_chrgitm_type,
                        item.chrgitm_lv,
                        _yuan(qty * 100),
                        *(
                            _yuan(v)
                            for v in (
                                price,
                                price * qty,
                                part.fulamt_ownpay,
                                part.overlmt_selfpay,
                                part.preselfpay,
                                part.inscp,
                            )
                        ),
                    ]
                )
                lines += 1
    for handle in handles.values():
        handle.close()
    return lines, time.process_time() - started


def fast(out: Path, persons: int, months: int) -> tuple[int, float]:
    from yibao.synthetic import service
    from yibao.synthetic.knobs import check_knobs

    knobs = check_knobs(persons=persons, months=months, seed=1, admdvs="439901")
    world = service.make_world(knobs)
    started = time.process_time()
    counts = service.generate(knobs=knobs, out=out, fmt="csv", world=world)
    return counts.rows["fee_list_d"], time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--baseline-persons", type=int, default=5_000)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.persons, args.months, args.child)
        return
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [
                sys.executable,
                __file__,
                "--persons",
                str(args.persons),
                "--months",
                str(args.months),
                "--child",
                tmp,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        per_minute = figures["lines"] / figures["seconds"] * 60
        per_cpu_minute = figures["lines"] / figures["cpu"] * 60
        print(
            f"generator: persons={args.persons} months={args.months} visits={figures['visits']:,} "
            f"fee_lines={figures['lines']:,} seconds={figures['seconds']:.1f} "
            f"cpu_seconds={figures['cpu']:.1f} lines_per_minute={per_minute:,.0f} "
            f"(per CPU minute {per_cpu_minute:,.0f}) peak_rss_mb={peak_mb:,.0f}"
        )
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        n_fast, t_fast = fast(Path(a), args.baseline_persons, 1)
        n_naive, t_naive = naive_rows(Path(b), args.baseline_persons, 1)
        assert n_fast == n_naive
        print(
            f"baseline (persons={args.baseline_persons}, 1 month, {n_fast:,} lines, CPU seconds): columnar "
            f"{t_fast:.2f}s (all tables, CSV), row-by-row {t_naive:.2f}s (4 tables)"
        )
        print(
            f"ratio: {t_naive / t_fast:.2f}x (row-by-row time / columnar time, same visits and settlements)"
        )


if __name__ == "__main__":
    main()
