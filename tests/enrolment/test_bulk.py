"""Bulk enrolment (批量参保登记与缴费): a county's yearly files store what the row-by-row services store.

`import_persons` and `record_contributions` run a fixed number of statements per batch; these tests run
the same input once row by row (`enrol`, `record_contribution`) and once in bulk, in a transaction that
is rolled back afterwards, and compare every stored row, balance and audit row. Ids are compared
relative to the first id a run created (PostgreSQL sequences do not roll back).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, func, select

from tests.enrolment.helpers import add_unit, certno, enrol, relation_id
from tests.factories import add_region, make_actor
from tests.settlement.helpers import load_policy
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.imports import ImportRefusedError
from yibao.core.security import SYSTEM, Role
from yibao.core.uow import UnitOfWork
from yibao.domain.errors import BusinessError
from yibao.enrolment import service
from yibao.enrolment.models import Account, AccountEntry, Contribution, Person, Relation
from yibao.enrolment.service import ContributionInput

BATCH_ACTIONS = {"person.import", "contribution.import"}


class _FlushOnly(UnitOfWork):
    """A unit of work whose `commit()` only flushes (audit rows included): both runs are rolled back
    when the block ends."""

    def commit(self) -> None:
        self.flush()


@pytest.fixture
def region(container: Container) -> Container:
    add_region(container, "439901", "示范市")
    load_policy(container, "439901-390-2024.toml")  # 特困 2304 fully subsidised, 低保 2303 half
    return container


def _max_ids(uow: UnitOfWork) -> dict[str, int]:
    tables = {"person": Person, "relation": Relation, "contribution": Contribution, "account": Account}
    return {name: int(uow.session.scalar(select(func.max(m.id))) or 0) for name, m in tables.items()}


def _dump(uow: UnitOfWork, before: dict[str, int]) -> dict[str, list[Any]]:
    """Every enrolment row and audit row written in this transaction, ids made relative to the run."""
    session = uow.session
    first: dict[str, int] = {}
    for name, model in {"relation": Relation, "contribution": Contribution}.items():
        first[name] = int(session.scalar(select(func.min(model.id)).where(model.id > before[name])) or 0)

    def rid(name: str, value: object) -> object:
        if value is None or int(str(value)) <= before[name]:
            return value
        return f"new{int(str(value)) - first[name]}"

    def snapshot(text: str | None, entity: str) -> object:
        if text is None:
            return None
        data = json.loads(text)
        if entity == "relation" and "id" in data:
            data["id"] = rid("relation", data["id"])
        if "relation_id" in data:
            data["relation_id"] = rid("relation", data["relation_id"])
        return data

    persons = session.execute(
        select(
            Person.psn_no,
            Person.certno,
            Person.name,
            Person.gend,
            Person.birth_date,
            Person.phone,
            Person.admdvs,
            Person.unit_id,
        ).order_by(Person.id)
    ).all()
    relations = [
        (
            rid("relation", r.id),
            *(r.psn_no, r.insutype, r.psn_type, r.admdvs, r.unit_id, r.idet_type, r.disa_lv),
            *(r.begin, r.end, r.waiting_end, r.status),
        )
        for r in session.scalars(select(Relation).order_by(Relation.id))
    ]
    contributions = [
        (
            rid("contribution", c.id),
            rid("relation", c.relation_id),
            *(c.psn_no, c.admdvs, c.insutype, c.period, c.months, c.unit_fen, c.individual_fen),
            *(c.subsidy_fen, c.base_wage_fen, c.due_date, c.paid_on, c.late, c.account_credit_fen),
        )
        for c in session.scalars(select(Contribution).order_by(Contribution.id))
    ]
    accounts = session.execute(
        select(Account.psn_no, Account.admdvs, Account.balance).order_by(Account.id)
    ).all()
    entries = [
        (
            *(e.psn_no, e.entry_type, e.amount, e.balance_after),
            rid("contribution", e.reference.split(":")[1])
            if e.reference.startswith("contribution:")
            else e.reference,
        )
        for e in session.scalars(select(AccountEntry).order_by(AccountEntry.id))
    ]
    audit = [
        (
            a.username,
            a.action,
            a.entity,
            rid(a.entity, a.entity_id) if a.entity in ("relation", "contribution") else a.entity_id,
            a.admdvs,
            snapshot(a.before, a.entity),
            snapshot(a.after, a.entity),
            a.note,
        )
        for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        if a.action not in BATCH_ACTIONS
    ]
    return {
        "persons": list(persons),
        "relations": relations,
        "contributions": contributions,
        "accounts": list(accounts),
        "entries": entries,
        "audit": audit,
    }


def _run(
    container: Container, work: Callable[[UnitOfWork], object]
) -> tuple[dict[str, list[Any]], list[str]]:
    """Do `work` in a transaction that is rolled back; what it stored, and the batch audit rows."""
    with _FlushOnly(container.session_factory, SYSTEM) as uow:
        before = _max_ids(uow)
        audit_before = int(uow.session.scalar(select(func.max(AuditEntry.id))) or 0)
        work(uow)
        uow.flush()
        batch = [
            f"{a.action} {a.after}"
            for a in uow.session.scalars(
                select(AuditEntry).where(AuditEntry.id > audit_before, AuditEntry.action.in_(BATCH_ACTIONS))
            )
        ]
        return _dump(uow, before), batch


# ----------------------------------------------------------------------------------------- persons

PERSONS = [
    # certno, name, phone, insutype, psn_type, begin, unit, idet_type
    (certno(seq=101), "张一", "13800000001", "310", "11", "2024-01-01", True, ""),
    (certno(seq=102, birth="19500304"), "李二", "", "310", "12", "2023-07-01", True, ""),
    (certno(seq=103, birth="20100506"), "王三", "", "390", "1701", "2024-01-01", False, "2304"),
    (certno(seq=104, birth="19900707"), "赵四", "0731-1234567", "390", "1701", "2024-03-01", False, ""),
    (certno(seq=105, birth="19700809"), "钱五", "", "390", "1701", "2024-01-01", False, "2303"),
]


def _persons_file(unit: str, rows: list[tuple[str, str, str, str, str, str, bool, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["certno", "name", "phone", "admdvs", "insutype", "psn_type", "begin", "unit_uscc", "idet_type"]
    )
    for cert, name, phone, insutype, psn_type, begin, employed, group in rows:
        writer.writerow(
            [cert, name, phone, "439901", insutype, psn_type, begin, unit if employed else "", group]
        )
    return buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize("chunk", [5000, 2])
def test_import_persons_stores_what_enrolling_row_by_row_stores(
    region: Container, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same person numbers, relations, accounts (职工 only), person and relation audit; plus import row.
    Written in chunks of `chunk` rows (a file larger than a chunk is written in several statements)."""
    monkeypatch.setattr(service, "WRITE_CHUNK", chunk)
    unit = add_unit(region)
    enrol(region, seq=99)  # the region's sequence has already moved on

    def row_by_row(uow: UnitOfWork) -> None:
        for cert, name, phone, insutype, psn_type, begin, employed, group in PERSONS:
            service.enrol(
                uow=uow,
                certno=cert,
                name=name,
                phone=phone or None,
                admdvs="439901",
                insutype=insutype,
                psn_type=psn_type,
                begin=begin,
                unit_uscc=unit if employed else None,
                idet_type=group or None,
            )

    def bulk(uow: UnitOfWork) -> None:
        report = service.import_persons(uow=uow, filename="persons.csv", data=_persons_file(unit, PERSONS))
        assert report.ok and report.created[0] == "4399010000000002"

    single, single_batch = _run(region, row_by_row)
    many, many_batch = _run(region, bulk)
    assert len(single["persons"]) == 6 and len(single["accounts"]) == 3  # the helper's employee + 2
    assert many == single
    assert single_batch == [] and many_batch == ['person.import {"created": 5, "rows": 5}']


def test_import_persons_refuses_the_whole_file_with_each_bad_row(region: Container) -> None:
    """A supplementary scheme without its basic relation (ENROL_BASIC_REQUIRED) is a row error too."""
    unit = add_unit(region)
    rows = [*PERSONS[:2], (certno(seq=106), "孙六", "", "320", "11", "2024-01-01", True, ""), PERSONS[0]]
    with region.uow(SYSTEM) as uow:
        report = service.import_persons(uow=uow, filename="p.csv", data=_persons_file(unit, rows))
    assert [(e.row, e.field, e.code) for e in report.errors] == [
        (4, "insutype", "ENROL_BASIC_REQUIRED"),
        (5, "certno", "IMPORT_DUPLICATE_ROW"),
    ]
    assert report.created == []
    with region.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Person)) == 0
        entities = select(func.count()).where(AuditEntry.entity.in_(("person", "relation", "person_import")))
        assert uow.session.scalar(entities) == 0


def test_import_persons_runs_a_fixed_number_of_statements(region: Container) -> None:
    """One read per table for the whole file and one write per table: 4 rows cost what 40 rows cost."""
    unit = add_unit(region)
    enrol(region, seq=99)  # the region's person-number sequence exists

    def statements(n: int, offset: int) -> int:
        rows = [
            (certno(seq=200 + offset + i), f"人{i}", "", "390", "1701", "2024-01-01", False, "")
            for i in range(n)
        ]
        with _counted(region) as count, region.uow(SYSTEM) as uow:
            assert service.import_persons(uow=uow, filename="p.csv", data=_persons_file(unit, rows)).ok
        return count()

    assert statements(4, 0) == statements(40, 100)


# ----------------------------------------------------------------------------------- contributions


@pytest.fixture
def insured(region: Container) -> dict[str, tuple[str, int]]:
    """Committed persons and their relations: name → (psn_no, relation id)."""
    unit = add_unit(region)
    with region.uow(SYSTEM) as uow:
        report = service.import_persons(uow=uow, filename="persons.csv", data=_persons_file(unit, PERSONS))
    assert report.ok
    names = ["employee", "retiree", "tekun", "late", "dibao"]
    insutypes = ["310", "310", "390", "390", "390"]
    return {
        name: (psn_no, relation_id(region, psn_no, insutype))
        for name, psn_no, insutype in zip(names, report.created, insutypes, strict=True)
    }


def _rows(insured: dict[str, tuple[str, int]]) -> list[ContributionInput]:
    employee, retiree, tekun, late, dibao = (
        insured[k] for k in ("employee", "retiree", "tekun", "late", "dibao")
    )
    rows = [
        ContributionInput(
            *employee,
            period=f"2024-{m:02d}",
            unit_fen=48_000,
            individual_fen=12_000,
            base_wage_fen=600_000,
            paid_on=date(2024, m, 10),
        )
        for m in (1, 2, 3)
    ]
    rows += [
        ContributionInput(
            *employee, period="2024-04", unit_fen=48_000, individual_fen=12_000, base_wage_fen=600_000
        ),
        ContributionInput(*retiree, period="2024-01", paid_on=date(2024, 1, 5)),
        ContributionInput(
            *retiree, period="2024-02", paid_on=date(2024, 5, 5)
        ),  # back-paid: lifts nothing yet
        ContributionInput(*tekun, period="2024", individual_fen=38_000, paid_on=date(2023, 12, 1)),
        ContributionInput(*dibao, period="2024", individual_fen=38_000, paid_on=date(2023, 12, 1)),
        # six months late: a waiting period starts; the next year back-paid within 3 months lifts it
        ContributionInput(*late, period="2024", individual_fen=38_000, paid_on=date(2024, 7, 1)),
        ContributionInput(*late, period="2025", individual_fen=40_000, paid_on=date(2025, 2, 20)),
    ]
    return rows


@pytest.mark.parametrize("chunk", [5000, 3])
def test_record_contributions_stores_what_recording_row_by_row_stores(
    region: Container, insured: dict[str, tuple[str, int]], chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same contributions (subsidies of 特困/低保 applied), same late flags and waiting periods, same
    ledger lines with running balances, same balances and audit rows; plus one batch row naming the count."""
    monkeypatch.setattr(service, "WRITE_CHUNK", chunk)
    rows = _rows(insured)

    def row_by_row(uow: UnitOfWork) -> None:
        for r in rows:
            service.record_contribution(
                uow=uow,
                psn_no=r.psn_no,
                relation_id=r.relation_id,
                period=r.period,
                unit_fen=r.unit_fen,
                individual_fen=r.individual_fen,
                subsidy_fen=r.subsidy_fen,
                base_wage_fen=r.base_wage_fen,
                paid_on=r.paid_on,
            )

    def bulk(uow: UnitOfWork) -> None:
        batch = service.record_contributions(uow=uow, rows=rows, source="2024年缴费.csv")
        assert len(batch.ids) == len(rows) and batch.paid == 9

    single, single_batch = _run(region, row_by_row)
    many, many_batch = _run(region, bulk)
    assert many == single
    assert single_batch == []
    assert many_batch == ['contribution.import {"credited_fen": 48000, "paid": 9, "rows": 10}']
    # worked example under the default account policy: in service, the individual part only,
    # 3 paid months x 12,000 = 36,000 (April is due, not paid); a retiree 60 yuan a month, 2 x 6,000.
    balances = {psn: balance for psn, _, balance in single["accounts"]}
    assert balances[insured["employee"][0]] == 36_000 and balances[insured["retiree"][0]] == 12_000
    subsidies = {(c[2], c[5]): (c[8], c[9]) for c in single["contributions"]}
    assert subsidies[(insured["tekun"][0], "2024")] == (0, 38_000)
    assert subsidies[(insured["dibao"][0], "2024")] == (19_000, 19_000)
    waiting = [a[1] for a in single["audit"] if "waiting" in a[1]]
    assert waiting == ["relation.waiting_started", "relation.waiting_lifted"]
    assert [e[3] for e in single["entries"] if e[0] == insured["employee"][0]] == [12_000, 24_000, 36_000]


def test_a_bad_row_refuses_the_whole_batch_with_its_row_number(
    region: Container, insured: dict[str, tuple[str, int]]
) -> None:
    """Rows are checked as if the rows before them were stored: a period repeated inside the batch is
    CONTRIBUTION_EXISTS on its second row. Nothing is stored; the clean twin is stored."""
    employee, tekun = insured["employee"], insured["tekun"]
    good = ContributionInput(*employee, period="2024-01", individual_fen=12_000, base_wage_fen=600_000)
    rows = [
        good,
        ContributionInput(*tekun, period="2024-01", individual_fen=1),  # a resident pays by year
        ContributionInput(
            employee[0], tekun[1], period="2024-02", base_wage_fen=1
        ),  # not the person's relation
        ContributionInput(*employee, period="2024-01", individual_fen=12_000, base_wage_fen=600_000, row=17),
        ContributionInput(*employee, period="2019-12", base_wage_fen=1),  # before the relation began
        ContributionInput(*employee, period="2024-05"),  # no base wage for an employee in service
    ]
    with region.uow(SYSTEM) as uow, pytest.raises(ImportRefusedError) as info:
        service.record_contributions(uow=uow, rows=rows)
    assert info.value.code == "CONTRIBUTION_ROWS"
    assert [(e.row, e.field, e.code) for e in info.value.rows] == [
        (2, "period", "PERIOD_FORMAT"),
        (3, "relation_id", "RELATION_NOT_FOUND"),
        (17, "period", "CONTRIBUTION_EXISTS"),
        (5, "period", "PERIOD_OUTSIDE"),
        (6, "base_wage_fen", "REQUIRED"),
    ]
    assert "第 2、3、5、6、17 行" in info.value.message
    with region.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Contribution)) == 0
    with region.uow(SYSTEM) as uow:
        assert len(service.record_contributions(uow=uow, rows=[good]).ids) == 1


def test_record_contributions_keeps_region_scope(
    region: Container, insured: dict[str, tuple[str, int]]
) -> None:
    """A clerk of another region does not see the persons; a clerk of the region does (the clean twin)."""
    employee = insured["employee"]
    row = ContributionInput(*employee, period="2024-01", individual_fen=12_000, base_wage_fen=600_000)
    add_region(region, "439902", "乙县")
    with (
        region.uow(make_actor(Role.CLERK, regions=("439902",))) as uow,
        pytest.raises(ImportRefusedError) as info,
    ):
        service.record_contributions(uow=uow, rows=[row])
    assert [(e.row, e.code) for e in info.value.rows] == [(1, "PERSON_NOT_FOUND")]
    with region.uow(make_actor(Role.CLERK, regions=("439901",))) as uow:
        assert service.record_contributions(uow=uow, rows=[row]).paid == 0
    with region.uow(SYSTEM) as uow, pytest.raises(BusinessError) as empty:
        service.record_contributions(uow=uow, rows=[])
    assert empty.value.code == "CONTRIBUTION_BATCH_EMPTY"


def test_an_employee_without_account_is_refused_like_the_single_path(
    region: Container, insured: dict[str, tuple[str, int]]
) -> None:
    employee = insured["employee"]
    with region.uow(SYSTEM) as uow:
        uow.session.execute(Account.__table__.delete())
        uow.commit()
    row = ContributionInput(
        *employee, period="2024-01", individual_fen=12_000, base_wage_fen=1, paid_on=date(2024, 1, 2)
    )
    with region.uow(SYSTEM) as uow, pytest.raises(BusinessError) as single:
        service.record_contribution(
            uow=uow,
            psn_no=row.psn_no,
            relation_id=row.relation_id,
            period=row.period,
            individual_fen=row.individual_fen,
            base_wage_fen=row.base_wage_fen,
            paid_on=row.paid_on,
        )
    with region.uow(SYSTEM) as uow, pytest.raises(ImportRefusedError) as bulk:
        service.record_contributions(uow=uow, rows=[row])
    assert single.value.code == "ACCOUNT_NOT_FOUND"
    assert [(e.row, e.field, e.code, e.message) for e in bulk.value.rows] == [
        (1, "psn_no", "ACCOUNT_NOT_FOUND", single.value.message)
    ]


def test_record_contributions_runs_a_fixed_number_of_statements(
    region: Container, insured: dict[str, tuple[str, int]]
) -> None:
    employee = insured["employee"]

    def statements(months: range) -> int:
        rows = [
            ContributionInput(
                *employee,
                period=f"2024-{m:02d}",
                individual_fen=12_000,
                base_wage_fen=1,
                paid_on=date(2024, m, 1),
            )
            for m in months
        ]
        with _counted(region) as count, region.uow(SYSTEM) as uow:
            service.record_contributions(uow=uow, rows=rows)
        return count()

    assert statements(range(1, 3)) == statements(range(3, 13))


@contextmanager
def _counted(container: Container) -> Iterator[Callable[[], int]]:
    """Count the statements sent to the database inside the block."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(container.engine, "before_cursor_execute", count)
    try:
        yield lambda: len(seen)
    finally:
        event.remove(container.engine, "before_cursor_execute", count)


def test_a_relation_already_loaded_shows_the_new_waiting_period(
    region: Container, insured: dict[str, tuple[str, int]]
) -> None:
    """The batch writes waiting periods with one statement; a relation read earlier in the same unit of work
    shows the new value, as after `record_contribution`."""
    psn_no, rid = insured["late"]
    with region.uow(SYSTEM) as uow:
        assert service.list_relations(uow=uow, psn_no=psn_no)[0].waiting_end is None
        row = ContributionInput(psn_no, rid, "2024", individual_fen=38_000, paid_on=date(2024, 7, 1))
        service.record_contributions(uow=uow, rows=[row])
        assert service.list_relations(uow=uow, psn_no=psn_no)[0].waiting_end == date(2024, 9, 30)


# ------------------------------------------------------------------------------ contribution files

CONTRIBUTION_HEADER = [
    "个人编号",
    "险种",
    "缴费期间",
    "单位缴费",
    "个人缴费",
    "财政补助",
    "缴费基数",
    "缴费日期",
]


def _contribution_file(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CONTRIBUTION_HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def test_a_contribution_file_is_recorded_in_yuan_with_the_relation_found_by_scheme(
    region: Container, insured: dict[str, tuple[str, int]]
) -> None:
    """Yuan with two decimals become fen; the relation is the person's relation of the scheme."""
    employee, tekun = insured["employee"][0], insured["tekun"][0]
    data = _contribution_file(
        [
            [employee, "310", "2024-01", "480.00", "120.00", "", "6000", "2024-01-10"],
            [employee, "310", "2024-02", "480", "120.5", "", "6000", ""],
            [tekun, "390", "2024", "", "380.00", "", "", "2023-12-01"],
        ]
    )
    with region.uow(SYSTEM) as uow:
        batch = service.import_contributions(uow=uow, filename="2024缴费.csv", data=data)
    assert batch.paid == 2 and batch.credited_fen == 12_000  # January's individual part only; February unpaid
    with region.uow(SYSTEM) as uow:
        rows = {c.period: c for c in service.list_contributions(uow=uow, psn_no=employee)}
        resident = service.list_contributions(uow=uow, psn_no=tekun)[0]
    assert (rows["2024-02"].individual_fen, rows["2024-02"].base_wage_fen, rows["2024-02"].paid_on) == (
        12_050,
        600_000,
        None,
    )
    assert rows["2024-01"].relation_id == insured["employee"][1]
    assert (resident.individual_fen, resident.subsidy_fen) == (0, 38_000)  # 特困: fully subsidised


def test_a_contribution_file_with_bad_rows_stores_nothing_and_names_each_row(
    region: Container, insured: dict[str, tuple[str, int]]
) -> None:
    employee = insured["employee"][0]
    data = _contribution_file(
        [
            [employee, "310", "2024-01", "480", "120", "", "6000", "2024-01-10"],
            [employee, "310", "2024-03", "4.801", "120", "", "6000", ""],  # three decimals
            ["4399019999999999", "310", "2024-01", "", "1", "", "1", ""],  # no such person
            [employee, "390", "2024", "", "380", "", "", ""],  # the employee has no resident relation
            [employee, "310", "2024-01", "480", "120", "", "6000", ""],  # January twice
        ]
    )
    with region.uow(SYSTEM) as uow, pytest.raises(ImportRefusedError) as parsed:
        service.import_contributions(uow=uow, filename="bad.csv", data=data)
    assert [(e.row, e.field, e.code) for e in parsed.value.rows] == [
        (3, "unit", "MONEY_PRECISION"),
        (4, "psn_no", "PERSON_NOT_FOUND"),
        (5, "insutype", "RELATION_NOT_FOUND"),
    ]
    good_but_twice = _contribution_file(
        [
            [employee, "310", "2024-01", "480", "120", "", "6000", "2024-01-10"],
            [employee, "310", "2024-01", "480", "120", "", "6000", ""],
        ]
    )
    with region.uow(SYSTEM) as uow, pytest.raises(ImportRefusedError) as batch:
        service.import_contributions(uow=uow, filename="twice.csv", data=good_but_twice)
    assert [(e.row, e.code) for e in batch.value.rows] == [(3, "CONTRIBUTION_EXISTS")]
    with region.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Contribution)) == 0
    with region.uow(SYSTEM) as uow, pytest.raises(BusinessError) as columns:
        service.import_contributions(uow=uow, filename="x.csv", data="个人编号,险种\n1,310\n".encode())
    assert columns.value.code == "IMPORT_COLUMNS" and "period" in columns.value.message


def test_contribution_file_through_the_api_and_the_cli(
    region: Container,
    insured: dict[str, tuple[str, int]],
    app_client: Any,
    admin_headers: dict[str, str],
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from yibao.cli import app
    from yibao.settings import get_settings

    employee = insured["employee"][0]
    good = _contribution_file([[employee, "310", "2024-01", "480", "120", "", "6000", "2024-01-10"]])
    created = app_client.post(
        "/api/v1/contributions/import", headers=admin_headers, files={"file": ("c.csv", good, "text/csv")}
    )
    assert created.status_code == 201 and created.json()["paid"] == 1 and len(created.json()["ids"]) == 1
    refused = app_client.post(
        "/api/v1/contributions/import", headers=admin_headers, files={"file": ("c.csv", good, "text/csv")}
    )
    error = refused.json()["error"]
    assert refused.status_code == 422 and error["code"] == "CONTRIBUTION_ROWS"
    assert [(e["field"], e["code"]) for e in error["errors"]] == [("rows.2.period", "CONTRIBUTION_EXISTS")]
    monkeypatch.setenv("YIBAO_DATABASE_URL", region.settings.database_url)
    get_settings.cache_clear()
    try:
        path = tmp_path / "c.csv"
        path.write_bytes(
            _contribution_file([[employee, "310", "2024-02", "480", "120", "", "6000", "2024-02-10"]])
        )
        result = CliRunner().invoke(app, ["enrolment", "import-contributions", str(path)])
        assert result.exit_code == 0 and "已登记缴费 1 条" in result.output, result.output
        again = CliRunner().invoke(app, ["enrolment", "import-contributions", str(path)])
        assert again.exit_code == 2 and "CONTRIBUTION_EXISTS" in again.output
    finally:
        get_settings.cache_clear()
