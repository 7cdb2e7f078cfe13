"""Benchmark: dictionary code checks from the in-memory cache against one database query per check.

Run: .venv/bin/python benchmarks/reference_lookup.py [--checks N]
Prints the machine, then checks/s and µs per check for both ways and their ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

from yibao.bootstrap import bootstrap
from yibao.core.db import make_engine
from yibao.reference import lookup
from yibao.reference import service as reference
from yibao.reference.models import DictEntry, RefDataset
from yibao.schema import upgrade
from yibao.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=200_000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} cores={os.cpu_count()} "
        f"python={platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        container = bootstrap(Settings(database_url=url), engine=engine)
        reference.load_all(
            new_uow=container.uow, reference_dir=container.settings.reference_dir, begin=date(2024, 1, 1)
        )
        probes = [("insutype", "310"), ("psn_type", "11"), ("med_type", "2101"), ("insutype", "390")]
        with container.uow() as uow:
            dicts = lookup.dictionaries(uow.session)
            start = time.perf_counter()
            for i in range(args.checks):
                name, code = probes[i & 3]
                dicts.require(name, code, field=name)
            memory_s = time.perf_counter() - start
            db_checks = max(args.checks // 50, 1000)
            start = time.perf_counter()
            for i in range(db_checks):
                name, code = probes[i & 3]
                uow.session.scalar(
                    select(DictEntry.label)
                    .join(RefDataset, RefDataset.id == DictEntry.dataset_id)
                    .where(DictEntry.dict_name == name, DictEntry.code == code, RefDataset.end.is_(None))
                )
            db_s = time.perf_counter() - start
        engine.dispose()
    mem_us = memory_s / args.checks * 1e6
    db_us = db_s / db_checks * 1e6
    print(f"in-memory: {args.checks / memory_s:,.0f} checks/s ({mem_us:.2f} µs/check)")
    print(f"query per check (baseline): {db_checks / db_s:,.0f} checks/s ({db_us:.1f} µs/check)")
    print(f"ratio: in-memory is {db_us / mem_us:,.0f}x faster")


if __name__ == "__main__":
    main()
