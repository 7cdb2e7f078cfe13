"""Benchmark: the monitoring library in batch on DuckDB (and Spark at a small size), and in-visit.

Run: .venv/bin/python benchmarks/monitoring.py --lines N [--spark-lines M] [--visits-checked K]
         [--data DIR] [--keep]

1. Data (not timed): a WAREHOUSE data set of N fee lines over N/8 visits and N/40 persons, written in
   chunks with numpy and pyarrow: a mix of knowledge-base codes (sex, child, level, duplicate pairs,
   frequency …) and plain codes, about 1% of lines violating something, plus ward rounds and identity
   checks. Or pass --data DIR to run on an existing data set (e.g. from `yibao generate`).
2. Batch on DuckDB: the whole library (34 rules, indicators included) in a child process; wall time
   and the child's peak RSS (ru_maxrss) are printed.
3. Spark: the same definitions on local[2] over a data set of M lines (0 to skip), against DuckDB on the
   same M lines: `ratio: spark/duckdb`.
4. In-visit: K checks of a 50-line visit through the pure evaluation (gc frozen after setup as in
   serve); p50/p99 added latency against the 10 ms budget.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from yibao.domain.monitoring import LIBRARY, LineInput, VisitInput, check_visit, index_knowledge  # noqa: E402
from yibao.monitoring.batch import OPTIONAL, REQUIRED  # noqa: E402
from yibao.monitoring.knowledge import reference_knowledge  # noqa: E402
from yibao.synthetic.writer import SCHEMAS  # noqa: E402  (the typed layout `yibao generate` writes)

REFERENCE = ROOT.parent / "shared" / "reference"
CHUNK = 1_000_000


def _codes(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A code pool: knowledge codes (1 in 20 draws) and 4,000 plain service items."""
    k = reference_knowledge(REFERENCE)
    special = sorted(
        {c for c, _, _ in k.sex[:200]}
        | {c for c, _ in k.child[:200]}
        | {c for c, _ in k.level[:100]}
        | {m for m, _, _ in k.duplicate[:200]}
        | {s for _, s, _ in k.duplicate[:200]}
        | {c for c, _ in k.frequency}
    )
    plain = np.array([f"00{n:013d}" for n in range(4000)])
    return plain, np.array(special)


def _layout(table: str, columns: dict[str, list | np.ndarray], typed: bool) -> pa.Table:
    """One table as text (a CSV-like extract) or typed the way `yibao generate` writes parquet (times as
    timestamps, money as decimal(16, 2), counts and days as numbers)."""
    names = REQUIRED.get(table) or OPTIONAL[table]
    text = pa.table({c: pa.array(list(columns[c]), pa.string()) for c in names})
    if not typed:
        return text
    schema = SCHEMAS[table]
    return pa.table(
        {c: text.column(c).cast(schema.field(c).type) if c in schema.names else text.column(c) for c in names}
    )


def make_data(folder: Path, lines: int, seed: int = 7, *, typed: bool = True) -> None:
    """Write a WAREHOUSE data set of `lines` fee lines (chunks of one million), typed or as text."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    visits = max(lines // 8, 1)
    persons = max(lines // 40, 1)
    plain, special = _codes(rng)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    v_ids = np.arange(visits)
    psn = rng.integers(0, persons, visits)
    inst = rng.integers(0, 60, visits)
    inpatient = rng.random(visits) < 0.2
    begin_days = rng.integers(0, 360, visits)
    los = np.where(inpatient, rng.integers(2, 12, visits), 0)
    begin = [start + timedelta(days=int(d), hours=8) for d in begin_days]
    end = [b + timedelta(days=int(n), hours=2) for b, n in zip(begin, los, strict=True)]
    mdtrt = {
        "mdtrt_id": [f"M{i:09d}" for i in v_ids],
        "psn_no": [f"P{p:08d}" for p in psn],
        "gend": rng.choice(["1", "2"], visits).tolist(),
        "brdy": ["1970-01-01"] * visits,
        "age": rng.integers(0, 90, visits).astype(str).tolist(),
        "insutype": rng.choice(["310", "390"], visits).tolist(),
        "psn_type": ["11"] * visits,
        "insu_admdvs": ["439901"] * visits,
        "fixmedins_code": [f"H{i:011d}" for i in inst],
        "hosp_lv": [("2", "5", "8")[i % 3] for i in inst],
        "begntime": [b.strftime("%Y-%m-%d %H:%M:%S") for b in begin],
        "endtime": [e.strftime("%Y-%m-%d %H:%M:%S") for e in end],
        "med_type": np.where(inpatient, "2101", "11").tolist(),
        "adm_dept_codg": ["A03"] * visits,
        "dscg_dept_codg": ["A03"] * visits,
        "dscg_maindiag_code": rng.choice(["I10.x00x002", "J18.900", "E11.900", "K29.500"], visits).tolist(),
        "dscg_way": ["1"] * visits,
        "ipt_days": los.astype(str).tolist(),
        "chfpdr_code": [f"D{i:05d}" for i in inst],
        "mdtrt_cert_type": ["02"] * visits,
    }
    pq.write_table(_layout("mdtrt_d", mdtrt, typed), folder / "mdtrt_d.parquet")
    per_visit = rng.integers(1, 16, visits)
    per_visit = np.maximum(1, (per_visit * (lines / per_visit.sum())).astype(int))
    per_visit[-1] += lines - per_visit.sum()
    fee_visit = np.repeat(v_ids, per_visit)[:lines]
    writer: pq.ParquetWriter | None = None
    total_fen = np.zeros(visits, dtype=np.int64)
    begin_ts = np.array([int(b.timestamp()) for b in begin])
    for lo in range(0, lines, CHUNK):
        hi = min(lines, lo + CHUNK)
        n = hi - lo
        vis = fee_visit[lo:hi]
        use_special = rng.random(n) < 0.05
        codes = np.where(
            use_special, special[rng.integers(0, len(special), n)], plain[rng.integers(0, len(plain), n)]
        )
        cnt = rng.integers(1, 4, n)
        price = rng.integers(100, 20000, n)
        amount = cnt * price
        np.add.at(total_fen, vis, amount)
        cap = np.where(rng.random(n) < 0.01, price - 50, price + 1000)
        offset = rng.integers(0, 86400 * 3, n)
        ts = begin_ts[vis] + offset
        chunk = {
            "bkkp_sn": np.char.add("B", np.arange(lo, hi).astype(str)),
            "mdtrt_id": np.char.add("M", np.char.zfill(vis.astype(str), 9)),
            "setl_id": np.char.add("S", np.char.zfill(vis.astype(str), 9)),
            "psn_no": np.char.add("P", np.char.zfill(psn[vis].astype(str), 8)),
            "fixmedins_code": np.char.add("H", np.char.zfill(inst[vis].astype(str), 11)),
            "fee_ocur_time": np.datetime_as_string(ts.astype("datetime64[s]"), unit="s"),
            "med_list_codg": codes,
            "medins_list_codg": np.char.add("L", codes),
            "hilist_name": np.char.add("项目", codes),
            "list_type": np.where(np.char.startswith(codes, "X"), "101", "201"),
            "med_chrgitm_type": rng.choice(["03", "04", "05", "09"], n),
            "chrgitm_lv": np.full(n, "01"),
            "cnt": cnt.astype(str),
            "pric": _yuan(price),
            "det_item_fee_sumamt": _yuan(amount),
            "pric_uplmt_amt": _yuan(cap),
            "selfpay_prop": np.full(n, "0"),
            "fulamt_ownpay_amt": np.full(n, "0.00"),
            "overlmt_selfpay": np.full(n, "0.00"),
            "preselfpay_amt": np.full(n, "0.00"),
            "inscp_amt": _yuan(amount),
            "bilg_dept_codg": np.full(n, "A03"),
            "bilg_dr_code": np.char.add("D", np.char.zfill(inst[vis].astype(str), 5)),
            "prd_days": rng.choice(["0", "7", "30", "45"], n),
            "dscg_tkdrug_flag": np.where(rng.random(n) < 0.01, "1", "0"),
        }
        chunk["fee_ocur_time"] = np.char.replace(chunk["fee_ocur_time"], "T", " ")
        part = _layout("fee_list_d", {c: chunk[c].tolist() for c in chunk}, typed)
        writer = writer or pq.ParquetWriter(folder / "fee_list_d.parquet", part.schema)
        writer.write_table(part)
    assert writer is not None
    writer.close()
    setl = {c: ["0.00"] * visits for c in REQUIRED["setl_d"]}
    setl |= {
        "setl_id": [f"S{i:09d}" for i in v_ids],
        "mdtrt_id": mdtrt["mdtrt_id"],
        "psn_no": mdtrt["psn_no"],
        "insutype": mdtrt["insutype"],
        "fixmedins_code": mdtrt["fixmedins_code"],
        "hosp_lv": mdtrt["hosp_lv"],
        "setl_time": mdtrt["endtime"],
        "med_type": mdtrt["med_type"],
        "medfee_sumamt": _yuan(total_fen).tolist(),
        "refd_setl_flag": ["0"] * visits,
        "init_setl_id": [None] * visits,
        "year": ["2024"] * visits,
    }
    pq.write_table(_layout("setl_d", setl, typed), folder / "setl_d.parquet")
    diag = {
        "setl_id": setl["setl_id"],
        "mdtrt_id": mdtrt["mdtrt_id"],
        "psn_no": mdtrt["psn_no"],
        "diag_type": ["1"] * visits,
        "maindiag_flag": ["1"] * visits,
        "diag_code": mdtrt["dscg_maindiag_code"],
        "diag_name": mdtrt["dscg_maindiag_code"],
    }
    pq.write_table(_layout("setl_list_diag_d", diag, typed), folder / "setl_list_diag_d.parquet")
    _events(folder, rng, mdtrt, v_ids[inpatient], visits, typed)


def _events(
    folder: Path, rng: np.random.Generator, mdtrt: dict, stays: np.ndarray, visits: int, typed: bool
) -> None:
    """Ward rounds of the stays (3% absent) and identity checks of every visit (0.2% mismatched)."""
    rounds = {
        "round_id": [f"R{i}" for i in range(len(stays))],
        "fixmedins_code": [mdtrt["fixmedins_code"][i] for i in stays],
        "round_time": [mdtrt["begntime"][i] for i in stays],
        "mdtrt_id": [mdtrt["mdtrt_id"][i] for i in stays],
        "in_bed": np.where(rng.random(len(stays)) < 0.03, "0", "1").tolist(),
    }
    pq.write_table(_layout("ward_round_d", rounds, typed), folder / "ward_round_d.parquet")
    checks = {
        "mdtrt_id": mdtrt["mdtrt_id"],
        "check_time": mdtrt["begntime"],
        "result": np.where(rng.random(visits) < 0.002, "0", "1").tolist(),
    }
    pq.write_table(_layout("identity_check_d", checks, typed), folder / "identity_check_d.parquet")


def _yuan(fen: np.ndarray) -> np.ndarray:
    fen = np.asarray(fen, dtype=np.int64)
    return np.char.add(np.char.add((fen // 100).astype(str), "."), np.char.zfill((fen % 100).astype(str), 2))


def run_child(data: Path, out: Path, engine: str, src: Path = ROOT / "src") -> dict[str, float]:
    """One batch run in a child process: wall seconds, peak RSS (MB), findings."""
    code = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from yibao.domain.monitoring import LIBRARY\n"
        "from yibao.monitoring import batch\n"
        "from yibao.monitoring.knowledge import reference_knowledge\n"
        f"k = reference_knowledge(Path({str(REFERENCE)!r}))\n"
        "t = time.perf_counter()\n"
        f"data = batch.open_data_set(Path({str(data)!r}))\n"
        f"runner = batch.DuckRunner() if {engine!r} == 'duckdb' else batch.SparkRunner(master='local[2]')\n"
        "result = runner.run(data, LIBRARY, k)\n"
        f"batch.write_outputs(result, Path({str(out)!r}), batch.summarize(result, LIBRARY))\n"
        "print(json.dumps({'seconds': time.perf_counter() - t, 'findings': result.findings.num_rows,"
        " 'parts': result.seconds}))\n"
    )
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", PYTHONPATH=str(src))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures["peak_rss_mb"] = max(after.ru_maxrss, usage.ru_maxrss) / 1024
    # CPU seconds of the child (user + system): less sensitive than wall time to a shared machine
    figures["cpu_seconds"] = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    return figures


def in_visit(checks: int) -> tuple[float, float, float, float]:
    """Wall p50, wall p99, wall max and CPU (thread time) p99 milliseconds of the in-visit check of a
    50-line visit; on a shared machine the wall tail is the scheduler's, the CPU tail is the check's."""
    k = reference_knowledge(REFERENCE)
    kb = index_knowledge(k)
    codes = (
        [c for c, _ in k.frequency[:10]] + [c for c, _, _ in k.sex[:10]] + [f"00{n:013d}" for n in range(30)]
    )
    lines = tuple(
        LineInput(
            sn=f"L{i}",
            code=codes[i],
            time=datetime(2024, 3, 2, 8, tzinfo=UTC) + timedelta(minutes=i),
            quantity=Decimal(2),
            price_fen=Decimal(1500),
            amount_fen=3000,
            cap_fen=Decimal(1400) if i % 7 == 0 else None,
            list_type="101" if i % 3 == 0 else "201",
            days=7,
        )
        for i in range(50)
    )
    visit = VisitInput(
        mdtrt_id="M1", psn_no="P1", gend="2", age=8, insutype="310", fixmedins_code="H1", hosp_tier=1,
        med_type="11", begntime=datetime(2024, 3, 2, 8, tzinfo=UTC), endtime=None, diagnoses=("N76.000",),
        lines=lines,
    )  # fmt: skip
    check_visit(visit, LIBRARY, kb, "in")
    gc.collect()
    gc.freeze()
    times, cpu = [], []
    for _ in range(checks):
        t, c = time.perf_counter(), time.thread_time()
        check_visit(visit, LIBRARY, kb, "in")
        cpu.append((time.thread_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    cpu.sort()
    at = int(len(times) * 0.99) - 1
    return statistics.median(times), times[at], times[-1], cpu[at]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--spark-lines", type=int, default=0, help="Spark comparison size (0 = skip)")
    parser.add_argument("--visits-checked", type=int, default=5000)
    parser.add_argument("--data", type=Path, default=None, help="an existing data set instead of generating")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--text", action="store_true", help="write every column as text (a CSV-like extract)")
    parser.add_argument(
        "--src", type=Path, default=ROOT / "src", help="the yibao source the batch runs (to compare commits)"
    )
    parser.add_argument("--batch-only", action="store_true", help="skip the in-visit measure")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}"
    )
    work = Path(tempfile.mkdtemp(prefix="mon-bench-"))
    try:
        data = args.data
        if data is None:
            t = time.perf_counter()
            data = work / "data"
            make_data(data, args.lines, typed=not args.text)
            kind = "text" if args.text else "typed"
            took = time.perf_counter() - t
            print(f"data: {args.lines:,} fee lines ({kind}) written in {took:.1f}s ({data})")
        duck = run_child(data, work / "out-duckdb", "duckdb", args.src)
        rate = args.lines / duck["seconds"] if args.data is None else 0
        print(
            f"duckdb batch: {duck['seconds']:.1f}s (CPU {duck['cpu_seconds']:.1f}s), "
            f"peak RSS {duck['peak_rss_mb']:.0f} MB, "
            f"{duck['findings']:,} findings, "
            f"parts {json.dumps({k: round(v, 1) for k, v in duck['parts'].items()})}"
            + (f", {rate:,.0f} lines/s" if rate else "")
        )
        print(f"load average after the batch: {os.getloadavg()[0]:.1f}")
        if args.batch_only:
            return
        p50, p99, worst, cpu99 = in_visit(args.visits_checked)
        print(
            f"in-visit (50 lines, {args.visits_checked} checks): wall p50 {p50:.3f} ms, p99 {p99:.3f} ms, "
            f"max {worst:.1f} ms; CPU p99 {cpu99:.3f} ms; load average {os.getloadavg()[0]:.1f}"
        )
        print(f"ratio: in-visit wall p99 / 10 ms budget = {p99 / 10:.3f} (CPU p99 {cpu99 / 10:.3f})")
        if args.spark_lines:
            small = work / "small"
            make_data(small, args.spark_lines, typed=not args.text)
            d = run_child(small, work / "out-small-duckdb", "duckdb")
            s = run_child(small, work / "out-small-spark", "spark")
            same = pq.read_table(work / "out-small-duckdb" / "findings.parquet").equals(
                pq.read_table(work / "out-small-spark" / "findings.parquet")
            )
            print(
                f"spark local[2] on {args.spark_lines:,} lines: {s['seconds']:.1f}s "
                f"vs duckdb {d['seconds']:.1f}s; "
                f"identical findings: {same}"
            )
            print(f"ratio: spark/duckdb = {s['seconds'] / d['seconds']:.1f}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
