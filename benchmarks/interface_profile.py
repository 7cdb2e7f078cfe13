"""Per-call fixed work of the national interface: SQL statements, commits and CPU per transaction.

Run: .venv/bin/python benchmarks/interface_profile.py [--db postgres] [--flows 200] [--lines 20]

Builds the world of benchmarks/interface_load.py on a fresh database, then runs outpatient flows
(1101 → 2201 → 2204 → 2206 → 2207) and pharmacy purchases (2101 → 2102) in process (the signed
request handed to `interface.service.call_service` as the HTTP route does, without the network),
and prints per transaction: statements, transactions begun and committed, and the mean CPU time of
the server side. A SQLAlchemy `before_cursor_execute` listener counts the statements.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))

from interface_load import SECRET_KEY, _settings

import settlement as world_bench
from yibao.bootstrap import bootstrap
from yibao.core.db import make_engine, utcnow
from yibao.core.security import SYSTEM
from yibao.interface import service as interface
from yibao.interface.his_sim import SimulatedHis, outpatient, pharmacy
from yibao.schema import upgrade

COUNTS: Counter[str] = Counter()
STATEMENTS: dict[str, Counter[str]] = defaultdict(Counter)
MILLIS: dict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
CURRENT = {"infno": ""}


class Transport(httpx.BaseTransport):
    """Serves each request by `call_service` and counts its statements and CPU under its infno."""

    def __init__(self, new_uow: Any) -> None:
        self.new_uow = new_uow
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.stmts: dict[str, list[int]] = defaultdict(list)
        self.commits: dict[str, list[int]] = defaultdict(list)
        self.begins: dict[str, list[int]] = defaultdict(list)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        infno = body.split(b'"infno":"', 1)[1][:4].decode()
        CURRENT["infno"] = infno
        before = dict(COUNTS)
        started = time.process_time()
        answer = interface.call_service(
            new_uow=self.new_uow,
            secret_key=SECRET_KEY,
            headers=dict(request.headers),
            body=body,
            now=utcnow(),
        )
        self.cpu[infno].append(time.process_time() - started)
        self.stmts[infno].append(COUNTS["stmt"] - before.get("stmt", 0))
        self.commits[infno].append(COUNTS["commit"] - before.get("commit", 0))
        self.begins[infno].append(COUNTS["begin"] - before.get("begin", 0))
        content = answer if isinstance(answer, bytes) else answer.encode("utf-8")
        return httpx.Response(200, content=content, headers={"content-type": "application/json"})


def main() -> None:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--show", default="", help="print the statements of these infnos (comma-separated)")
    parser.add_argument("--pyspy", action="store_true", help="pause before the flows (attach py-spy)")
    args = parser.parse_args()
    with world_bench.database(args.db) as url:
        bind = make_engine(url)
        upgrade(bind)
        container = bootstrap(_settings(url), engine=bind)
        items, people = world_bench.build_world(container, items=60, persons=max(20, args.flows))
        with container.uow(SYSTEM) as uow:
            code = world_bench.INSTITUTIONS[0][0]
            created = interface.create_credential(uow=uow, fixmedins_code=code, secret_key=SECRET_KEY)
        try:
            from yibao.setup import warm_caches

            warm_caches(container)
        except ImportError:
            pass

        @event.listens_for(bind, "before_cursor_execute")
        def _stmt(conn: Any, cursor: Any, statement: str, *a: Any) -> None:
            COUNTS["stmt"] += 1
            STATEMENTS[CURRENT["infno"]][statement.split("\n", maxsplit=1)[0][:110]] += 1
            conn.info["started"] = time.perf_counter()

        @event.listens_for(bind, "after_cursor_execute")
        def _done(conn: Any, cursor: Any, statement: str, *a: Any) -> None:
            key = statement.split("\n", maxsplit=1)[0][:110]
            MILLIS[CURRENT["infno"]][key] += (time.perf_counter() - conn.info.pop("started")) * 1000

        @event.listens_for(bind, "commit")
        def _commit(conn: Any) -> None:
            COUNTS["commit"] += 1

        @event.listens_for(bind, "begin")
        def _begin(conn: Any) -> None:
            COUNTS["begin"] += 1

        transport = Transport(container.uow)
        his = SimulatedHis(
            base_url="http://in-process",
            access_key=created.credential.access_key,
            secret=created.secret,
            fixmedins_code=code,
            transport=transport,
        )
        his.sign_in()
        bill = [(i.own_code, f"{i.base_price / 100:.2f}", "2") for i in items[: args.lines]]
        if args.pyspy:
            import os

            print(f"pid {os.getpid()}: attach py-spy now", flush=True)
            time.sleep(5)
        wall = time.perf_counter()
        for n in range(args.flows):
            outpatient(
                his, psn_no=people[n % len(people)].psn_no, day="2024-06-03", lines=bill, reverse=False
            )
        for n in range(max(1, args.flows // 4)):
            try:
                pharmacy(
                    his,
                    psn_no=people[n % len(people)].psn_no,
                    day="2024-06-04",
                    lines=bill[:5],
                    reverse=False,
                )
            except RuntimeError as exc:  # a pharmacy refusal is counted, not fatal
                print("pharmacy:", exc)
        wall = time.perf_counter() - wall
        print(f"db={args.db} flows={args.flows} lines={args.lines} wall={wall:.1f}s")
        print("infno  n   stmts  begins  commits  cpu ms (mean)")
        for infno in sorted(transport.cpu):
            n = len(transport.cpu[infno])
            print(
                f"{infno}  {n:4d}  {sum(transport.stmts[infno]) / n:5.1f}"
                f"  {sum(transport.begins[infno]) / n:5.1f}  {sum(transport.commits[infno]) / n:5.1f}"
                f"  {1000 * sum(transport.cpu[infno]) / n:6.2f}"
            )
        for infno in [s for s in args.show.split(",") if s]:
            n = len(transport.cpu[infno])
            print(f"--- statements of {infno} (per call)")
            print("  per call: count, ms (wall, statement sent to rows back)")
            for text_, count in STATEMENTS[infno].most_common():
                print(f"  {count / n:4.1f}  {MILLIS[infno][text_] / n:6.3f}  {text_}")
        his.close()
        bind.dispose()


if __name__ == "__main__":
    main()
