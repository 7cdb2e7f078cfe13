"""Benchmark: real-time settlement (pre-settlement + settlement per bill) against the pure calculation.

Run: .venv/bin/python benchmarks/settlement.py --db sqlite|postgres --bills N --lines 20|200
         [--kind outpatient|inpatient] [--persons P] [--items I] [--profile FILE] [--gc-freeze]

With --gc-freeze the objects alive after setup (national dictionaries, ICD codes, policy index…)
are frozen so that Python's full garbage collections stop walking them (see docs/PERFORMANCE.md).

Setup (not timed): migrations, the national dictionaries, a region, three institutions (三级/二级/一级),
a catalog of I items (甲/乙/丙 classes, some with a price cap) mapped and approved for every
institution, P persons (employees with money in their personal account, retired employees,
residents) and the sample policies of examples/policy/.

For each bill: the visit is registered and its lines uploaded through the services (timed apart,
"setup per bill"), then pre-settlement and settlement run, each in its own unit of work as a real
request would (timed). Prints the machine, throughput, p50/p95/p99 latency per bill, queries per
settlement (also for a 20-line and a 200-line probe bill: the count must not grow with the lines),
peak RSS and the RSS every 10% of the run, then the pure calculation (`yibao.domain.settlement`)
on the same bills in memory and the ratio between the two.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import random
import resource
import statistics
import tempfile
import threading
import time
import uuid
from array import array
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from yibao.bootstrap import Container, bootstrap
from yibao.catalog import service as catalog
from yibao.core.db import make_engine
from yibao.core.security import SYSTEM, Actor, Role
from yibao.domain import settlement as engine
from yibao.domain.catalog import hospital_tier
from yibao.enrolment import service as enrolment
from yibao.institutions import service as institutions
from yibao.policy import service as policy
from yibao.policy.lookup import policy_in_force
from yibao.reference import service as reference
from yibao.regions import service as regions
from yibao.schema import upgrade
from yibao.settings import Settings
from yibao.settlement import service as settlement
from yibao.settlement.repository import SettlementRepository
from yibao.settlement.service import RETIRED_PSN_TYPES, FeeInput

PG_URL = os.environ.get("YIBAO_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "examples" / "policy"
ADMDVS = "439901"
INSTITUTIONS = (
    ("H43990100001", "2"),
    ("H43990100002", "5"),
    ("H43990100003", "8"),
)  # 三级甲等/二级甲等/一级甲等
YEAR_START = date(2024, 1, 1)
UNMAPPED_SHARE = 0.05  # lines whose own code has no mapping (全自费, 未对码)


@dataclass(frozen=True)
class Item:
    """A catalog item of the benchmark world, as the pure calculation sees it."""

    own_code: str
    facts: engine.CatalogFacts
    base_price: int  # fen


@dataclass(frozen=True)
class PersonSpec:
    psn_no: str
    insutype: str
    retired: bool
    balance: int  # personal account before the first bill, fen


@dataclass(frozen=True)
class Bill:
    person: PersonSpec
    fixmedins_code: str
    level: str
    med_type: str
    begntime: datetime
    diagnoses: tuple[str, ...]
    fees: tuple[FeeInput, ...]


def _id_number(n: int) -> str:
    """A valid resident ID (check digit computed), different for each n < 1000 per birth day."""
    birth = date(1950, 1, 1) + timedelta(days=(n // 900) * 37 + (n % 7))
    body = f"110105{birth:%Y%m%d}{n % 900 + 100:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


# ---------------------------------------------------------------------------------------------
# Setup (not timed)


def _catalog(container: Container, size: int) -> list[Item]:
    """`size` national items, a third each 甲/乙/丙, drugs and services, some with a price cap."""
    items: list[Item] = []
    rng = random.Random(7)
    for n in range(size):
        level = ("01", "02", "03")[n % 3]
        price = rng.randint(50, 20_000)  # 0.50 .. 200.00 yuan
        fields: dict[str, object] = {"name": f"基准项目{n:04d}", "chrgitm_lv": level, "begin": "2024-01-01"}
        capped = n % 4 == 0
        if capped:
            fields["price_cap"] = f"{price * 11 // 10 / 100:.2f}"
        if level == "02":
            fields["selfpay_ratio"] = ("0.05", "0.10", "0.20")[n % 3 // 1 % 3]
        if n % 2:
            kind = "drug"
            fields["code"] = f"XB{n:021d}"
        else:
            kind = "service"
            fields |= {"code": f"9{n:014d}", "unit": "次", "med_chrgitm_type": "02"}
        with container.uow(SYSTEM) as uow:
            row = catalog.create_item(uow=uow, kind=kind, fields=fields)
        items.append(
            Item(
                own_code=f"B{n:05d}",
                facts=engine.CatalogFacts(
                    chrgitm_lv=row.chrgitm_lv,
                    selfpay_ratio=Decimal(row.selfpay_bp) / Decimal(10_000),
                    price_cap=None if row.price_cap is None else Decimal(row.price_cap),
                ),
                base_price=price,
            )
        )
        for code, _lv in INSTITUTIONS:
            operator = Actor(
                user_id=None,
                username=f"op-{code}",
                roles=frozenset({Role.INSTITUTION}),
                regions=frozenset({ADMDVS}),
                institution_code=code,
            )
            with container.uow(operator) as uow:
                mapping = catalog.submit_mapping(
                    uow=uow,
                    fixmedins_code=code,
                    medins_list_codg=f"B{n:05d}",
                    medins_list_name=str(fields["name"]),
                    hilist_code=str(fields["code"]),
                    begin=YEAR_START,
                )
            with container.uow(SYSTEM) as uow:
                catalog.approve_mapping(uow=uow, mapping_id=mapping.id)
    return items


def _people(container: Container, count: int, offset: int = 0, *, retirees: bool = True) -> list[PersonSpec]:
    """Employees (account money; one in five retired unless not `retirees`) and residents, alternately."""
    people = []
    for n in range(offset, offset + count):
        employee = n % 2 == 0
        psn_type = ("12" if retirees and n % 10 == 4 else "11") if employee else "1701"
        with container.uow(SYSTEM) as uow:
            view = enrolment.enrol(
                uow=uow,
                certno=_id_number(n),
                name=f"参保人{n:05d}",
                admdvs=ADMDVS,
                insutype="310" if employee else "390",
                psn_type=psn_type,
                begin=date(2020, 1, 1),
            )
        psn_no = view.psn_no
        if employee:
            with container.uow(SYSTEM) as uow:
                relation = enrolment.list_relations(uow=uow, psn_no=psn_no)[0]
                enrolment.record_contribution(
                    uow=uow,
                    psn_no=psn_no,
                    relation_id=relation.id,
                    period="2024-01",
                    individual_fen=500_000,
                    base_wage_fen=25_000_000,
                    paid_on=date(2024, 1, 15),
                )
        with container.uow(SYSTEM) as uow:
            account = SettlementRepository(uow.session).account(psn_no)
            balance = account.balance if account is not None else 0
        people.append(
            PersonSpec(psn_no, "310" if employee else "390", psn_type in RETIRED_PSN_TYPES, balance)
        )
    return people


def build_world(container: Container, *, items: int, persons: int) -> tuple[list[Item], list[PersonSpec]]:
    reference.load_all(
        new_uow=container.uow, reference_dir=container.settings.reference_dir, begin=YEAR_START
    )
    with container.uow(SYSTEM) as uow:
        regions.create_region(uow=uow, admdvs=ADMDVS, name="示范市", level="city", begin=date(2020, 1, 1))
    for code, hosp_lv in INSTITUTIONS:
        with container.uow(SYSTEM) as uow:
            institutions.create_institution(
                uow=uow,
                fixmedins_code=code,
                name=f"示范市基准医院{code[-1]}",
                fixmedins_type="1",
                admdvs=ADMDVS,
                hosp_lv=hosp_lv,
                agreement_begin=date(2020, 1, 1),
                agreement_end=date(2030, 12, 31),
            )
    for filename in ("439901-310-2024.toml", "439901-390-2024.toml"):
        with container.uow(SYSTEM) as uow:
            policy.load_policy(
                uow=uow, text=(POLICIES / filename).read_text(encoding="utf-8"), filename=filename
            )
    return _catalog(container, items), _people(container, persons)


def make_bill(
    n: int, *, seed: int, kind: str, lines: int, items: list[Item], people: list[PersonSpec]
) -> Bill:
    """Bill number `n`, the same every time it is asked for (the pure run rebuilds it)."""
    rng = random.Random(seed * 1_000_003 + n)
    person = people[n % len(people)]
    fixmedins_code, hosp_lv = INSTITUTIONS[n % len(INSTITUTIONS)]
    begntime = datetime(2024, 1, 2, 8, tzinfo=UTC) + timedelta(minutes=n % 500_000)
    fees = []
    for k in range(lines):
        if rng.random() < UNMAPPED_SHARE:
            own_code, price = f"NOMAP{k:03d}", rng.randint(100, 5_000)
        else:
            item = items[rng.randrange(len(items))]
            above_cap = item.facts.price_cap is not None and rng.random() < 0.3
            price = int(item.facts.price_cap) + rng.randint(1, 500) if above_cap else item.base_price  # type: ignore[arg-type]
            own_code = item.own_code
        quantity = rng.randint(1, 3)
        fees.append(
            FeeInput(
                feedetl_sn=f"{n}-{k:04d}",
                fee_ocur_time=begntime + timedelta(minutes=k % 600),
                medins_list_codg=own_code,
                medins_list_name=None,
                cnt=Decimal(quantity),
                pric=Decimal(price),
                det_item_fee_sumamt=price * quantity,
            )
        )
    return Bill(
        person=person,
        fixmedins_code=fixmedins_code,
        level=hospital_tier(hosp_lv) or "1",
        med_type="11" if kind == "outpatient" else "2101",
        begntime=begntime,
        diagnoses=() if kind == "outpatient" else ("J18.900",),
        fees=tuple(fees),
    )


def register_and_upload(container: Container, bill: Bill) -> str:
    """Register the visit and upload its lines, as the hospital's system does before settling."""
    operator = _operator(bill.fixmedins_code)
    with container.uow(operator) as uow:
        visit = settlement.register_visit(
            uow=uow,
            psn_no=bill.person.psn_no,
            fixmedins_code=bill.fixmedins_code,
            med_type=bill.med_type,
            begntime=bill.begntime,
            diagnoses=bill.diagnoses,
        )
    with container.uow(operator) as uow:
        settlement.upload_fees(uow=uow, mdtrt_id=visit.mdtrt_id, fees=bill.fees)
    return visit.mdtrt_id


_OPERATORS: dict[str, Actor] = {}


def _operator(fixmedins_code: str) -> Actor:
    if fixmedins_code not in _OPERATORS:
        _OPERATORS[fixmedins_code] = Actor(
            user_id=None,
            username=f"op-{fixmedins_code}",
            roles=frozenset({Role.INSTITUTION}),
            regions=frozenset({ADMDVS}),
            institution_code=fixmedins_code,
        )
    return _OPERATORS[fixmedins_code]


def settle_bill(container: Container, fixmedins_code: str, mdtrt_id: str) -> tuple[engine.Breakdown, Any]:
    """Pre-settlement then settlement, each its own unit of work (two requests of the hospital)."""
    operator = _operator(fixmedins_code)
    with container.uow(operator) as uow:
        preview = settlement.pre_settle(uow=uow, mdtrt_id=mdtrt_id)
    with container.uow(operator) as uow:
        row = settlement.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=uuid.uuid4().hex)
    return preview, row


# ---------------------------------------------------------------------------------------------
# Measures


class QueryCounter:
    """Statements sent to the database while `on` (a `before_cursor_execute` listener)."""

    def __init__(self, bind: Engine) -> None:
        self.count = 0
        self.on = False
        event.listen(bind, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        if self.on:
            self.count += 1

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.on = True
        try:
            yield
        finally:
            self.on = False


def rss_mb() -> float:
    """Resident set size now (Linux /proc), in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


class BackendCpu:
    """CPU time of the PostgreSQL server processes serving this benchmark (same machine only).

    Each pooled connection tells its backend's pid when it opens; the CPU is read from /proc, so
    other work on the machine does not count.
    """

    def __init__(self, bind: Engine) -> None:
        self.pids: set[int] = set()
        if bind.dialect.name == "postgresql":
            event.listen(bind, "connect", self._opened)

    def _opened(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("select pg_backend_pid()")
        self.pids.add(int(cursor.fetchone()[0]))
        cursor.close()
        dbapi_connection.rollback()  # leave the new connection idle, as the pool expects

    def seconds(self) -> float:
        total = 0
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        return total / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def probe_bill(n: int, *, kind: str, lines: int, items: list[Item], person: PersonSpec) -> Bill:
    """A bill of 2,000 yuan on one uncapped 甲类 item, cut into `lines` equal lines.

    A 20-line and a 200-line probe bill settle to the same breakdown (same funds, same ledger
    counters, same account debit), so any difference in their query counts comes from the lines.
    """
    item = next(i for i in items if i.facts.chrgitm_lv == "01" and i.facts.price_cap is None)
    template = make_bill(n, seed=0, kind=kind, lines=0, items=items, people=[person])
    price = 200_000 // lines
    fees = tuple(
        FeeInput(
            feedetl_sn=f"P{n}-{k:04d}",
            fee_ocur_time=template.begntime,
            medins_list_codg=item.own_code,
            cnt=Decimal(1),
            pric=Decimal(price),
            det_item_fee_sumamt=price,
        )
        for k in range(lines)
    )
    return Bill(
        template.person,
        template.fixmedins_code,
        template.level,
        template.med_type,
        template.begntime,
        template.diagnoses,
        fees,
    )


def probe_queries(
    container: Container,
    counter: QueryCounter,
    args: argparse.Namespace,
    items: list[Item],
    people: list[PersonSpec],
) -> dict[tuple[int, int], tuple[int, int]]:
    """Queries of (pre-settlement, settlement) by (lines, nth bill of the person's year).

    Each bill size gets its own employee (`people`: one per size, with account money) who settles
    two probe bills: the first of the year creates the ledger rows, the second updates them.
    A warm-up bill of a third employee first fills the in-memory policy and dictionary caches.
    """
    warm_up = probe_bill(10_000_000, kind=args.kind, lines=20, items=items, person=people[0])
    settle_bill(
        container, warm_up.fixmedins_code, register_and_upload(container, warm_up)
    )  # fills the caches
    found: dict[tuple[int, int], tuple[int, int]] = {}
    for person, lines in zip(people[1:], (20, 200), strict=True):
        for nth in (1, 2):
            bill = probe_bill(
                10_000_000 + 10 * lines + nth, kind=args.kind, lines=lines, items=items, person=person
            )
            mdtrt_id = register_and_upload(container, bill)
            operator = _operator(bill.fixmedins_code)
            counter.count = 0
            with counter.counting(), container.uow(operator) as uow:
                settlement.pre_settle(uow=uow, mdtrt_id=mdtrt_id)
            pre = counter.count
            counter.count = 0
            with counter.counting(), container.uow(operator) as uow:
                settlement.settle(uow=uow, mdtrt_id=mdtrt_id, request_id=uuid.uuid4().hex)
            found[(lines, nth)] = (pre, counter.count)
    return found


def pure_run(
    args: argparse.Namespace, container: Container, items: list[Item], people: list[PersonSpec]
) -> tuple[float, tuple[int, int, int]]:
    """The domain calculation alone on the same bills, in the same order, ledgers and balances in memory."""
    with container.uow(SYSTEM) as uow:
        policies = {
            insutype: policy_in_force(uow.session, ADMDVS, insutype, date(2024, 6, 1))
            for insutype in ("310", "390")
        }
    by_code = {item.own_code: item for item in items}
    ledgers: dict[str, dict[str, int]] = {}
    balances = {p.psn_no: p.balance if p.insutype == "310" else 0 for p in people}
    elapsed = 0.0
    totals = [0, 0, 0]
    for n in range(args.bills):
        bill = make_bill(n, seed=args.seed, kind=args.kind, lines=args.lines, items=items, people=people)
        lines = [
            engine.FeeLine(
                sn=f.feedetl_sn,
                amount=f.det_item_fee_sumamt,
                price=f.pric,
                quantity=f.cnt,
                item=by_code[f.medins_list_codg].facts if f.medins_list_codg in by_code else None,
            )
            for f in bill.fees
        ]
        psn = bill.person.psn_no
        ledger = ledgers.setdefault(psn, {})
        chosen = policies[bill.person.insutype]
        assert chosen is not None
        start = time.perf_counter()
        result = engine.settle(
            policy=chosen,
            person=engine.PersonFacts(retired=bill.person.retired, account_balance=balances[psn]),
            visit=engine.VisitFacts(med_type=bill.med_type, level=bill.level, diagnoses=bill.diagnoses),
            lines=engine.net_refunds(lines),
            ledger=ledger,
        )
        elapsed += time.perf_counter() - start
        for key, change in result.ledger_delta.items():
            ledger[key] = ledger.get(key, 0) + change
        balances[psn] -= result.acct_pay
        totals[0] += result.medfee_sumamt
        totals[1] += result.fund_pay_sumamt
        totals[2] += result.acct_pay
    return elapsed, (totals[0], totals[1], totals[2])


# ---------------------------------------------------------------------------------------------


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh database: a temp SQLite file, or a private PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    schema = f"yibao_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@dataclass
class RunResult:
    latencies: array[float]
    totals: list[int]
    samples: list[tuple[int, float, float]]
    profiler: cProfile.Profile | None
    timed: float = 0.0  # seconds spent settling (sum of latencies, or the wall time when concurrent)
    prepare_s: float = 0.0
    cpu: float = 0.0  # this process's CPU time while settling: steadier than latency on a busy machine
    db_cpu: float = 0.0


def _add(result: RunResult, row: Any) -> None:
    result.totals[0] += row.medfee_sumamt
    result.totals[1] += row.fund_pay_sumamt
    result.totals[2] += row.acct_pay


def _sample(result: RunResult, done: int, started: float) -> None:
    result.samples.append((done, rss_mb(), peak_rss_mb()))
    print(
        f"progress: {done} bills, RSS {result.samples[-1][1]:.1f} MB, {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def sequential_run(
    container: Container,
    counter: QueryCounter,
    backend: BackendCpu,
    args: argparse.Namespace,
    items: list[Item],
    people: list[PersonSpec],
) -> RunResult:
    """One bill after the other: register and upload (untimed), then pre-settle and settle (timed)."""
    result = RunResult(array("d"), [0, 0, 0], [(0, rss_mb(), peak_rss_mb())], None)
    result.profiler = cProfile.Profile() if args.profile else None
    counter.count = 0
    step = max(args.bills // 10, 1)
    started = time.perf_counter()
    for n in range(args.bills):
        bill = make_bill(n, seed=args.seed, kind=args.kind, lines=args.lines, items=items, people=people)
        t0 = time.perf_counter()
        mdtrt_id = register_and_upload(container, bill)
        db0 = backend.seconds()
        t1 = time.perf_counter()
        result.prepare_s += t1 - t0
        if result.profiler is not None:
            result.profiler.enable()
        c1 = time.process_time()
        with counter.counting():
            _preview, row = settle_bill(container, bill.fixmedins_code, mdtrt_id)
        result.cpu += time.process_time() - c1
        if result.profiler is not None:
            result.profiler.disable()
        latency = time.perf_counter() - t1
        result.db_cpu += backend.seconds() - db0
        result.timed += latency
        result.latencies.append(latency)
        _add(result, row)
        if (n + 1) % step == 0:
            _sample(result, n + 1, started)
    return result


def concurrent_run(
    container: Container,
    counter: QueryCounter,
    backend: BackendCpu,
    args: argparse.Namespace,
    items: list[Item],
    people: list[PersonSpec],
) -> RunResult:
    """All bills registered and uploaded first (untimed), then settled by `--workers` threads of this
    one process, as a server settles the requests of several desks at once; timed on the wall clock.

    A person's bills stay on one thread, in order, so the totals can be compared with the pure run."""
    result = RunResult(array("d"), [0, 0, 0], [(0, rss_mb(), peak_rss_mb())], None)
    started = time.perf_counter()
    queues: list[list[tuple[str, str]]] = [[] for _ in range(args.workers)]
    for n in range(args.bills):
        bill = make_bill(n, seed=args.seed, kind=args.kind, lines=args.lines, items=items, people=people)
        queue = queues[(n % len(people)) % args.workers]  # the person of bill n is people[n % len]
        queue.append((bill.fixmedins_code, register_and_upload(container, bill)))
    result.prepare_s = time.perf_counter() - started
    print(f"registered and uploaded {args.bills} bills in {result.prepare_s:.1f} s", flush=True)
    counter.count = 0
    step = max(args.bills // 10, 1)
    lock = threading.Lock()

    def work(queue: list[tuple[str, str]]) -> None:
        for job in queue:
            t1 = time.perf_counter()
            _preview, row = settle_bill(container, *job)
            latency = time.perf_counter() - t1
            with lock:
                result.latencies.append(latency)
                _add(result, row)
                if len(result.latencies) % step == 0:
                    _sample(result, len(result.latencies), started)

    db0, c1, t0 = backend.seconds(), time.process_time(), time.perf_counter()
    with counter.counting(), ThreadPoolExecutor(args.workers) as pool:
        for done in pool.map(work, queues):
            assert done is None
    result.timed = time.perf_counter() - t0
    result.cpu = time.process_time() - c1
    result.db_cpu = backend.seconds() - db0
    return result


def main() -> None:  # noqa: PLR0915
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--bills", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--kind", choices=["outpatient", "inpatient"], default="outpatient")
    parser.add_argument("--persons", type=int, default=200)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="settle this many bills at a time, each on its own thread and connection of this process",
    )
    parser.add_argument("--profile", help="write a cProfile of the timed part to this file and print the top")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() after setup: the long-lived caches leave the collector's full passes",
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} cores={os.cpu_count()} "
        f"python={platform.python_version()} load={os.getloadavg()[0]:.2f}"
    )
    print(
        f"run: db={args.db} bills={args.bills} lines={args.lines} kind={args.kind} persons={args.persons} "
        f"items={args.items}"
    )
    with database(args.db) as url:
        bind = make_engine(url)
        upgrade(bind)
        container = bootstrap(Settings(database_url=url), engine=bind)
        start = time.perf_counter()
        items, people = build_world(container, items=args.items, persons=args.persons)
        probe_people = _people(container, 5, offset=args.persons, retirees=False)[0::2]  # three employees
        print(
            f"setup: {time.perf_counter() - start:.1f} s ({args.items} items × {len(INSTITUTIONS)} mappings, "
            f"{args.persons} persons)"
        )
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
            print(f"gc.freeze(): {gc.get_freeze_count():,} objects moved out of the collector's view")
        counter = QueryCounter(bind)
        probes = probe_queries(container, counter, args, items, probe_people)
        for (lines, nth), (pre, setl) in sorted(probes.items()):
            which = "first bill of the year" if nth == 1 else "a later bill"
            print(
                f"queries, {lines}-line {args.kind} probe bill of 2,000 yuan, {which}: "
                f"pre-settlement {pre} + settlement {setl} = {pre + setl}"
            )
        same = all(sum(probes[(20, nth)]) == sum(probes[(200, nth)]) for nth in (1, 2))
        print(f"N+1 check: {'same count for 20 and 200 lines' if same else 'COUNT GROWS WITH LINES'}")

        backend = BackendCpu(bind)
        bind.dispose()  # reopen the pool's connections so that their server processes are known
        if args.workers > 1:
            result = concurrent_run(container, counter, backend, args, items, people)
        else:
            result = sequential_run(container, counter, backend, args, items, people)
        latencies, totals, samples, profiler = (
            result.latencies,
            result.totals,
            result.samples,
            result.profiler,
        )
        ordered = sorted(latencies)
        mean = statistics.fmean(latencies)
        print(
            f"timed: {args.bills} bills, {result.timed:.1f} s settling (workers {args.workers}; "
            f"registration and upload apart: {result.prepare_s / args.bills * 1000:.2f} ms per bill)"
        )
        print(
            f"throughput: {args.bills / result.timed:,.0f} settlements/s "
            f"(pre-settlement + settlement per bill, {args.workers} at a time)"
        )
        print(
            f"latency per bill: mean {mean * 1000:.2f} ms, p50 {percentile(ordered, 50) * 1000:.2f} ms, "
            f"p95 {percentile(ordered, 95) * 1000:.2f} ms, p99 {percentile(ordered, 99) * 1000:.2f} ms, "
            f"max {ordered[-1] * 1000:.2f} ms"
        )
        print(f"queries per settlement: {counter.count / args.bills:.2f} (pre-settlement + settlement)")
        print(
            f"client CPU per bill: {result.cpu / args.bills * 1000:.2f} ms (this process only; the rest of "
            f"the latency is the database and waiting)"
        )
        if backend.pids:
            print(
                f"database CPU per bill: {result.db_cpu / args.bills * 1000:.2f} ms "
                f"(the PostgreSQL server processes of this benchmark's connections)"
            )
        print(f"peak RSS: {peak_rss_mb():.1f} MB")
        print(
            "RSS samples (bills done: RSS now / peak MB): "
            + ", ".join(f"{done}: {now:.1f}/{peak:.1f}" for done, now, peak in samples)
        )
        if profiler is not None:
            profiler.dump_stats(args.profile)
            stats = pstats.Stats(profiler)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(40)

        pure_s, pure_totals = pure_run(args, container, items, people)
        agree = tuple(totals) == pure_totals
        print(
            f"pure calculation: {args.bills / pure_s:,.0f} bills/s "
            f"({pure_s / args.bills * 1e6:.0f} µs per bill); "
            f"totals {'agree' if agree else 'DIFFER'} with the stored settlements "
            f"(medfee {totals[0]} / fund {totals[1]} / account {totals[2]} fen)"
        )
        print(f"ratio: full settlement / pure calculation = {mean / (pure_s / args.bills):,.1f}x")
        bind.dispose()


if __name__ == "__main__":
    main()
