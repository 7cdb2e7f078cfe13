"""Load benchmark of the national interface: N simulated HIS clients against a uvicorn server.

Run: .venv/bin/python benchmarks/interface_load.py --db postgres --clients 200 --seconds 600
         [--think S] [--lines 20] [--persons P] [--items I]
         [--server-workers W] [--client-procs C] [--pool N]

With --think S each client is a hospital desk that pauses S seconds on average (uniformly 0.5–1.5 ×
S) between two patients, as a real HIS does; without it the clients run flows back to back, which
measures the server's saturation throughput and makes latency mostly queueing.

Setup (not timed): a fresh database (a private PostgreSQL schema dropped afterwards, or a temporary
SQLite file), the world of benchmarks/settlement.py (national dictionaries, region 439901, three
hospitals, I catalog items mapped for each, P persons, the sample policies) and one interface
credential per hospital. The server (`yibao.web.app.create_app`, caches warmed and frozen as
`yibao serve` does) runs under uvicorn on 127.0.0.1 in W worker processes sharing one listening
socket (`--server-workers`, as `yibao serve --workers W` runs: `yibao.web.server`; each worker has
its own connection pool of N connections, `--pool`).

The clients run in C processes of their own (`--client-procs`), so that one Python process's GIL
does not queue them: client n runs in process n mod C. Each client is a thread with its own
`yibao.interface.his_sim.SimulatedHis` (signed requests, its own HTTP connection), signed in once
(9001), then running outpatient flows
1101 → 2201 → 2204 (L lines) → 2206 → 2207 one after the other until the time is up. Clients are
spread over the hospitals and each has its own persons, so no two clients settle for the same
person at once (the concurrency tests cover that case).

Printed: the machine, throughput (flows/s and transactions/s), p50/p95/p99/max per transaction,
errors with their first messages, then the proof that no settlement is lost or duplicated: for
each hospital a 3201 (对总账) with the totals of the 2207 answers it received must answer
stmt_rslt 0, and the settlements stored must be exactly those answered (same count, distinct
setl_id). The `ratio:` line is the 2207 p99 against the issue-4 goal of 30 ms.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import multiprocessing
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

import settlement as world_bench
from yibao.bootstrap import bootstrap
from yibao.core.clock import LOCAL_TZ
from yibao.core.db import make_engine
from yibao.core.security import SYSTEM
from yibao.interface import service as interface
from yibao.interface.his_sim import SimulatedHis, outpatient
from yibao.schema import upgrade
from yibao.settings import Settings
from yibao.settlement.models import Settlement

SECRET_KEY = "interface-load-benchmark-secret-key-0123456789"
GOAL_2207_P99_MS = 30.0
ANSWER_KEYS = ("setl_id", "insutype", "medfee_sumamt", "fund_pay_sumamt", "acct_pay")  # what 3201 sums


def _settings(url: str) -> Settings:
    return Settings(database_url=url, secret_key=SECRET_KEY)


# ---------------------------------------------------------------------------------------------
# The server process


def _engine(url: str, pool: int) -> Any:
    """The server's engine: PostgreSQL with a pool of `pool` connections (no overflow), else as usual."""
    if not url.startswith("postgresql"):
        return make_engine(url)
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    return create_engine(make_url(url), future=True, pool_size=pool, max_overflow=0)


def server_app() -> Any:
    """The application of one server worker (uvicorn's factory; the database from the environment)."""
    from yibao.web.app import create_app

    url = os.environ["YIBAO_BENCH_DATABASE_URL"]
    container = bootstrap(_settings(url), engine=_engine(url, int(os.environ["YIBAO_BENCH_POOL"])))
    try:
        from yibao.setup import warm_caches

        warm_caches(container)
    except ImportError:  # an older tree without the warm-up
        gc.freeze()
    return create_app(container)


def serve(port: int, workers: int) -> None:
    """Run the application in `workers` processes sharing one listening socket, as `yibao serve
    --workers` does (the child process of the benchmark; SIGTERM stops the workers)."""
    from yibao.web.server import listening_socket, serve_socket

    serve_socket(listening_socket("127.0.0.1", port), server_app, workers=workers, log_level="warning")


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each of these processes so far (Linux /proc; unreadable ones left out)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / tick
    return found


def _cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two readings by the processes alive at the second one."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {process.returncode})")
        try:
            httpx.get(f"{base_url}/docs", timeout=2.0)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError("the server did not start in time")


# ---------------------------------------------------------------------------------------------
# Clients


class Client(threading.Thread):
    """One simulated HIS running outpatient flows until `deadline`."""

    def __init__(
        self,
        n: int,
        *,
        base_url: str,
        credential: tuple[str, str],
        fixmedins_code: str,
        persons: list[str],
        items: list[world_bench.Item],
        lines: int,
        deadline: float,
        day: str,
        slot: tuple[int, int],
        think: float = 0.0,
    ) -> None:
        super().__init__(daemon=True)
        self.his = SimulatedHis(
            base_url=base_url,
            access_key=credential[0],
            secret=credential[1],
            fixmedins_code=fixmedins_code,
        )
        # msgid = institution + second + 4-digit sequence: clients of one institution take turns in
        # the sequence (client i of k uses i, i + k, …) so that their msgids never collide.
        self.his._seq = itertools.count(slot[0] + 1, slot[1])
        self.day = day
        self.persons = persons
        self.items = items
        self.lines = lines
        self.deadline = deadline
        self.rng = random.Random(n)
        self.think = think  # mean pause between two patients at this desk (0: back to back)
        self.flows = 0
        self.failed_flows = 0
        self.answers: list[dict[str, Any]] = []  # setlinfo of every 2207 answered infcode 0

    def _bill(self) -> list[tuple[str, str, str]]:
        chosen = []
        for _ in range(self.lines):
            item = self.items[self.rng.randrange(len(self.items))]
            chosen.append(
                (item.own_code, f"{Decimal(item.base_price) / 100:.2f}", str(self.rng.randint(1, 3)))
            )
        return chosen

    def run(self) -> None:
        try:
            self.his.sign_in()
        except Exception:
            self.failed_flows += 1
            return
        attempt = 0
        if self.think:
            time.sleep(self.rng.uniform(0, self.think))  # desks do not all start at the same instant
        while time.time() < self.deadline:
            psn_no = self.persons[attempt % len(self.persons)]
            attempt += 1
            try:
                outpatient(self.his, psn_no=psn_no, day=self.day, lines=self._bill(), reverse=False)
                self.flows += 1
            except Exception:
                self.failed_flows += 1
            if self.think:
                pause = self.rng.uniform(0.5, 1.5) * self.think
                time.sleep(max(0.0, min(pause, self.deadline - time.time())))
        self.his.close()


def _record_settlements(client: Client) -> None:
    """Keep the setlinfo of every 2207 answered infcode 0 (for the reconciliation at the end)."""
    original = client.his.call

    def call(infno: str, data: dict[str, Any]) -> dict[str, Any]:
        answer = original(infno, data)
        if infno == "2207" and answer.get("infcode") == 0:
            output = answer.get("output") or {}
            client.answers.append(dict(output.get("setlinfo") or {"setl_id": None}))
        return answer

    client.his.call = call  # type: ignore[method-assign]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def reconcile(base_url: str, credential: tuple[str, str], code: str, answers: list[dict[str, Any]]) -> str:
    """3201 with the totals of the answered 2207s of one hospital, per insutype: the stmt_rslt codes."""
    his = SimulatedHis(base_url=base_url, access_key=credential[0], secret=credential[1], fixmedins_code=code)
    today = datetime.now(LOCAL_TZ).date().isoformat()
    results = []
    try:
        his.sign_in()
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in answers:
            by_type[str(row["insutype"])].append(row)
        for insutype in ("310", "390"):
            rows = by_type.get(insutype, [])
            data = {
                "insutype": insutype,
                "clr_type": "11",
                "setl_optins": world_bench.ADMDVS,
                "stmt_begndate": today,
                "stmt_enddate": today,
                "medfee_sumamt": str(sum((Decimal(str(r["medfee_sumamt"])) for r in rows), Decimal(0))),
                "fund_pay_sumamt": str(sum((Decimal(str(r["fund_pay_sumamt"])) for r in rows), Decimal(0))),
                "acct_pay": str(sum((Decimal(str(r["acct_pay"])) for r in rows), Decimal(0))),
                "fixmedins_setl_cnt": len(rows),
                "fixmedins_refd_setl_flag": "0",
            }
            info = his.ok("3201", {"data": data})["stmtinfo"]
            results.append(
                f"{insutype}:{info['stmt_rslt']}"
                + (f"({info.get('stmt_rslt_dscr')})" if info["stmt_rslt"] != "0" else "")
            )
    finally:
        his.close()
    return " ".join(results)


@dataclass(frozen=True)
class ClientSpec:
    """What one client needs, plain enough to travel to a client process."""

    n: int
    credential: tuple[str, str]
    fixmedins_code: str
    persons: list[str]
    slot: tuple[int, int]


@dataclass
class ClientReport:
    """What a client process sends back: every step, the flows, and the 2207 answers per hospital."""

    steps: list[tuple[str, int, float, str | None]]
    flows: int
    failed: int
    answers: dict[str, list[dict[str, Any]]]
    cpu: float = 0.0  # CPU seconds the client process used for its clients


def run_clients(
    specs: list[ClientSpec],
    *,
    base_url: str,
    items: list[world_bench.Item],
    lines: int,
    deadline: float,
    day: str,
    think: float,
) -> ClientReport:
    """Run these clients as threads of this process until `deadline` (wall clock) and report."""
    cpu_start = time.process_time()  # after the process started and imported: the run's own CPU
    clients = []
    for spec in specs:
        client = Client(
            spec.n,
            base_url=base_url,
            credential=spec.credential,
            fixmedins_code=spec.fixmedins_code,
            persons=spec.persons,
            items=items,
            lines=lines,
            deadline=deadline,
            day=day,
            slot=spec.slot,
            think=think,
        )
        _record_settlements(client)
        clients.append(client)
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    answers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for client in clients:
        answers[client.his.fixmedins_code].extend(
            {
                k: str(a.get(k))
                for k in ("setl_id", "insutype", "medfee_sumamt", "fund_pay_sumamt", "acct_pay")
            }
            for a in client.answers
        )
    return ClientReport(
        steps=[(s.infno, s.infcode, s.millis, s.err_msg) for c in clients for s in c.his.steps],
        flows=sum(c.flows for c in clients),
        failed=sum(c.failed_flows for c in clients),
        answers=dict(answers),
        cpu=time.process_time() - cpu_start,
    )


def _client_process(queue: Any, specs: list[ClientSpec], kwargs: dict[str, Any]) -> None:
    queue.put(run_clients(specs, **kwargs))


def main() -> None:  # noqa: PLR0915
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--persons", type=int, default=0, help="default: 4 per client, at least 20")
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a desk pauses between two patients (uniform 0.5-1.5 x); 0 = back to back",
    )
    parser.add_argument("--day", default="2024-06-03", help="visit day (the sample policies are of 2024)")
    parser.add_argument("--server-workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--client-procs", type=int, default=2, help="processes the client threads run in")
    parser.add_argument(
        "--pool", type=int, default=0, help="connections per server worker (default: clients/workers, 5-20)"
    )
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), int(args.serve[1]))
        return
    persons = args.persons or max(20, 4 * args.clients)
    workers = max(1, args.server_workers)
    procs = max(1, min(args.client_procs, args.clients))
    pool = args.pool or max(5, min(20, -(-args.clients // workers)))
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} cores={os.cpu_count()} "
        f"python={platform.python_version()} load={os.getloadavg()[0]:.2f}"
    )
    print(
        f"run: db={args.db} clients={args.clients} seconds={args.seconds:g} think={args.think:g} "
        f"lines={args.lines} persons={persons} items={args.items} server-workers={workers} "
        f"client-procs={procs} pool={pool}/worker"
    )
    with world_bench.database(args.db) as url:
        bind = make_engine(url)
        upgrade(bind)
        container = bootstrap(_settings(url), engine=bind)
        started = time.perf_counter()
        items, people = world_bench.build_world(container, items=args.items, persons=persons)
        credentials: dict[str, tuple[str, str]] = {}
        for code, _lv in world_bench.INSTITUTIONS:
            with container.uow(SYSTEM) as uow:
                created = interface.create_credential(uow=uow, fixmedins_code=code, secret_key=SECRET_KEY)
            credentials[code] = (created.credential.access_key, created.secret)
        print(f"setup: {time.perf_counter() - started:.1f} s")

        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), str(workers)],
            env=os.environ
            | {
                "YIBAO_SECRET_KEY": SECRET_KEY,
                "YIBAO_BENCH_DATABASE_URL": url,
                "YIBAO_BENCH_POOL": str(pool),
            },
        )
        try:
            _wait_ready(base_url, server)
            workers_pids = _children(server.pid)
            server_start = _cpu_seconds(workers_pids)
            pg_start = _cpu_seconds(_postgres_pids())
            codes = [code for code, _lv in world_bench.INSTITUTIONS]
            specs = [
                ClientSpec(
                    n=n,
                    credential=credentials[codes[n % len(codes)]],
                    fixmedins_code=codes[n % len(codes)],
                    persons=[p.psn_no for i, p in enumerate(people) if i % args.clients == n]
                    or [people[n % len(people)].psn_no],
                    slot=(n // len(codes), -(-args.clients // len(codes))),
                )
                for n in range(args.clients)
            ]
            deadline = time.time() + 3.0 + args.seconds  # 3 s for the client processes to start
            kwargs = {
                "base_url": base_url,
                "items": items,
                "lines": args.lines,
                "deadline": deadline,
                "day": args.day,
                "think": args.think,
            }
            ctx = multiprocessing.get_context("spawn")
            queue = ctx.Queue()
            children = [
                ctx.Process(target=_client_process, args=(queue, specs[k::procs], kwargs), daemon=True)
                for k in range(procs)
            ]
            load_before = os.getloadavg()[0]
            run_start = time.perf_counter()
            for child in children:
                child.start()
            reports = [queue.get() for _ in children]
            for child in children:
                child.join()
            wall = time.perf_counter() - run_start - 3.0
            load_after = os.getloadavg()[0]
            server_cpu = _cpu_used(server_start, _cpu_seconds(workers_pids))
            pg_cpu = _cpu_used(pg_start, _cpu_seconds(_postgres_pids()))  # backends opened meanwhile too

            steps = [step for r in reports for step in r.steps]
            flows = sum(r.flows for r in reports)
            failed = sum(r.failed for r in reports)
            errors = [s for s in steps if s[1] != 0]
            print(f"load average: {load_before:.2f} before, {load_after:.2f} after")
            print(
                f"throughput: {flows / wall:.1f} outpatient flows/s ({flows} flows in {wall:.1f} s), "
                f"{len(steps) / wall:.1f} transactions/s, {flows / wall:.1f} settlements (2207)/s"
            )
            client_cpu = sum(r.cpu for r in reports)
            per_flow = 1000 / max(1, flows)
            print(
                f"cpu per flow: server {server_cpu * per_flow:.1f} ms, "
                f"clients {client_cpu * per_flow:.1f} ms, "
                f"PostgreSQL {pg_cpu * per_flow:.1f} ms (all its processes, other users included); "
                f"{(server_cpu + client_cpu + pg_cpu) / wall:.2f} cores busy of {os.cpu_count()}"
            )
            print(f"errors: {len(errors)} refused transactions, {failed} failed flows")
            for message, count in sorted(
                ((m, sum(1 for e in errors if e[3] == m)) for m in {e[3] for e in errors}),
                key=lambda pair: -pair[1],
            )[:5]:
                print(f"  {count} × {message}")
            by_infno: dict[str, list[float]] = defaultdict(list)
            for infno, infcode, millis, _msg in steps:
                if infcode == 0:
                    by_infno[infno].append(millis)
            print("transaction: count, p50 / p95 / p99 / max ms")
            for infno in sorted(by_infno):
                values = by_infno[infno]
                p50, p95, p99 = (percentile(values, q) for q in (50, 95, 99))
                print(f"  {infno}: {len(values)}, {p50:.1f} / {p95:.1f} / {p99:.1f} / {max(values):.1f}")

            answers = {code: [a for r in reports for a in r.answers.get(code, [])] for code in codes}
            for code in codes:
                verdict = reconcile(base_url, credentials[code], code, answers[code])
                print(f"3201 {code}: {len(answers[code])} settlements answered → stmt_rslt {verdict}")
            answered = [str(a["setl_id"]) for rows in answers.values() for a in rows]
            with container.uow(SYSTEM) as uow:
                stored = uow.session.scalar(
                    select(func.count()).select_from(Settlement).where(Settlement.kind == "settlement")
                )
            lost = int(stored or 0) != len(answered) or len(set(answered)) != len(answered)
            print(
                f"settlements: {len(answered)} answered, {len(set(answered))} distinct, {stored} stored — "
                + ("MISMATCH" if lost else "none lost or duplicated")
            )
            p99 = percentile(by_infno["2207"], 99) if by_infno.get("2207") else float("nan")
            print(f"ratio: 2207 p99 / goal {GOAL_2207_P99_MS:g} ms = {p99 / GOAL_2207_P99_MS:.2f}")
        finally:
            server.terminate()
            server.wait(timeout=30)
            bind.dispose()


if __name__ == "__main__":
    main()
