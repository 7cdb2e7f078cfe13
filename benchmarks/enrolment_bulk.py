"""Benchmark: a county's yearly enrolment files through the bulk services against the row-by-row services.

Run: .venv/bin/python benchmarks/enrolment_bulk.py [--persons N] [--baseline-persons M]

N persons (90% residents 390, a year's contribution each with the 特困/低保 subsidies; 10% employees 310,
twelve monthly contributions that credit their personal accounts) are enrolled with one
`enrolment.import_persons` file and paid with one `enrolment.record_contributions` batch (one
transaction each). The baseline enrols M persons with `enrol` and pays with `record_contribution` row
by row, in one transaction (the service's commit only flushes, as the demo used to do). Both on SQLite
in a temporary file. Prints the machine, CPU ms per person for each way and their ratio.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from stdnum.cn import ric

from yibao.bootstrap import Container, bootstrap
from yibao.core.db import make_engine
from yibao.core.security import SYSTEM
from yibao.core.uow import UnitOfWork
from yibao.enrolment import service as enrolment
from yibao.enrolment.models import Relation
from yibao.enrolment.service import ContributionInput
from yibao.policy import service as policy
from yibao.reference import service as reference
from yibao.regions import service as regions
from yibao.schema import upgrade
from yibao.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ADMDVS = "439901"


class FlushOnly(UnitOfWork):
    """The services' commit only flushes; the run commits once."""

    def commit(self) -> None:
        self.session.flush()


def certno(n: int) -> str:
    """A valid resident ID, different for every n (a thousand per birth day from 1950-01-01)."""
    birth = date(1950, 1, 1) + timedelta(days=n // 1000)
    body = f"110105{birth:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def people(count: int, offset: int) -> list[dict[str, str]]:
    """Persons with distinct ID numbers: every tenth an employee (every fifth of those retired)."""
    rows = []
    for i in range(offset, offset + count):
        employee = i % 10 == 0
        rows.append(
            {
                "certno": certno(i),
                "name": f"参保人{i}",
                "admdvs": ADMDVS,
                "insutype": "310" if employee else "390",
                "psn_type": ("12" if i % 50 == 0 else "11") if employee else "1701",
                "begin": "2024-01-01",
                "idet_type": "" if employee else {3: "2304", 5: "2303"}.get(i % 40, ""),
            }
        )
    return rows


def payments(
    rows: list[dict[str, str]], relations: dict[str, int], psn_nos: list[str]
) -> list[ContributionInput]:
    out: list[ContributionInput] = []
    for row, psn_no in zip(rows, psn_nos, strict=True):
        relation_id = relations[psn_no]
        if row["insutype"] == "390":
            out.append(
                ContributionInput(
                    psn_no, relation_id, "2024", individual_fen=38_000, paid_on=date(2023, 12, 1)
                )
            )
            continue
        retired = row["psn_type"] == "12"
        out.extend(
            ContributionInput(
                psn_no,
                relation_id,
                f"2024-{m:02d}",
                unit_fen=0 if retired else 48_000,
                individual_fen=0 if retired else 12_000,
                base_wage_fen=None if retired else 600_000,
                paid_on=date(2024, m, 1),
            )
            for m in range(1, 13)
        )
    return out


def relation_ids(uow: UnitOfWork, psn_nos: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(psn_nos), 5000):
        chunk = psn_nos[start : start + 5000]
        rows = uow.session.execute(select(Relation.psn_no, Relation.id).where(Relation.psn_no.in_(chunk)))
        found.update({psn_no: relation_id for psn_no, relation_id in rows})
    return found


def world(tmp: str, name: str) -> Container:
    url = f"sqlite:///{Path(tmp) / name}"
    engine = make_engine(url)
    upgrade(engine)
    container = bootstrap(Settings(database_url=url), engine=engine)
    reference.load_all(
        new_uow=container.uow,
        reference_dir=container.settings.reference_dir,
        begin=date(2024, 1, 1),
        only="dict",
    )
    with container.uow(SYSTEM) as uow:
        regions.create_region(uow=uow, admdvs=ADMDVS, name="示范市", level="city", begin=date(2020, 1, 1))
    text = (ROOT / "examples" / "policy" / "439901-390-2024.toml").read_text(encoding="utf-8")
    with container.uow(SYSTEM) as uow:
        policy.load_policy(uow=uow, text=text, filename="439901-390-2024.toml")
    return container


def bulk(container: Container, rows: list[dict[str, str]]) -> tuple[float, int]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    start = time.process_time()
    with container.uow(SYSTEM) as uow:
        report = enrolment.import_persons(
            uow=uow, filename="persons.csv", data=buffer.getvalue().encode("utf-8")
        )
        assert report.ok, report.errors[:3]
    with container.uow(SYSTEM) as uow:
        due = payments(rows, relation_ids(uow, report.created), report.created)
        enrolment.record_contributions(uow=uow, rows=due)
    return time.process_time() - start, len(due)


def row_by_row(container: Container, rows: list[dict[str, str]]) -> tuple[float, int]:
    start = time.process_time()
    with FlushOnly(container.session_factory, SYSTEM) as uow:
        psn_nos = [
            enrolment.enrol(
                uow=uow,
                certno=r["certno"],
                name=r["name"],
                admdvs=r["admdvs"],
                insutype=r["insutype"],
                psn_type=r["psn_type"],
                begin=r["begin"],
                idet_type=r["idet_type"] or None,
            ).psn_no
            for r in rows
        ]
        due = payments(rows, relation_ids(uow, psn_nos), psn_nos)
        for p in due:
            enrolment.record_contribution(
                uow=uow,
                psn_no=p.psn_no,
                relation_id=p.relation_id,
                period=p.period,
                unit_fen=p.unit_fen,
                individual_fen=p.individual_fen,
                base_wage_fen=p.base_wage_fen,
                paid_on=p.paid_on,
            )
        uow.session.commit()
    return time.process_time() - start, len(due)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--baseline-persons", type=int, default=2_000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} cores={os.cpu_count()} "
        f"python={platform.python_version()} load={os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        fast_s, fast_rows = bulk(world(tmp, "bulk.db"), people(args.persons, 0))
        slow_s, slow_rows = row_by_row(world(tmp, "rows.db"), people(args.baseline_persons, 0))
    fast = 1000 * fast_s / args.persons
    slow = 1000 * slow_s / args.baseline_persons
    print(
        f"bulk:       {args.persons:,} persons, {fast_rows:,} contributions in {fast_s:.2f} s CPU"
        f" = {fast:.3f} ms/person"
    )
    print(
        f"row by row: {args.baseline_persons:,} persons, {slow_rows:,} contributions in {slow_s:.2f} s CPU"
        f" = {slow:.3f} ms/person"
    )
    print(f"ratio: {slow / fast:.1f}x less CPU per person in bulk")


if __name__ == "__main__":
    main()
