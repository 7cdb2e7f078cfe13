"""Transfer between regions (转移接续) and bulk import/export of persons."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests.enrolment.helpers import add_unit, certno, enrol, relation_id
from tests.factories import add_region, make_actor
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.excel import write_xlsx
from yibao.core.security import SYSTEM, Actor, Role
from yibao.domain.errors import BusinessError
from yibao.enrolment import service
from yibao.enrolment.models import Person, Relation


@pytest.fixture
def regions(container: Container) -> Container:
    add_region(container, "439901", "甲县")
    add_region(container, "439902", "乙县")
    return container


# ------------------------------------------------------------------------------------------ transfer


def test_transfer_moves_relation_months_and_balance(regions: Container, admin: Actor) -> None:
    person = enrol(regions, admdvs="439901", begin=date(2024, 1, 1))
    rid = relation_id(regions, person.psn_no)
    with regions.uow(admin) as uow:
        for month in (1, 2, 3):
            service.record_contribution(
                uow=uow,
                psn_no=person.psn_no,
                relation_id=rid,
                period=f"2024-0{month}",
                individual_fen=2000,
                base_wage_fen=500000,
                paid_on=date(2024, month, 20),
            )
        service.add_relation(
            uow=uow, psn_no=person.psn_no, insutype="330", psn_type="11", begin=date(2024, 1, 1)
        )
        transfer = service.transfer_person(
            uow=uow, psn_no=person.psn_no, to_admdvs="439902", on=date(2024, 4, 1)
        )
    assert (transfer.from_admdvs, transfer.to_admdvs, transfer.months, transfer.balance_fen) == (
        "439901",
        "439902",
        3,
        6000,
    )
    with regions.uow(admin) as uow:
        relations = service.list_relations(uow=uow, psn_no=person.psn_no)
        account = service.get_account(uow=uow, psn_no=person.psn_no)
        moved = service.get_person(uow=uow, psn_no=person.psn_no)
        months = service.contribution_months(uow=uow, psn_no=person.psn_no)
    summary = sorted((r.insutype, r.admdvs, str(r.begin), str(r.end), r.status) for r in relations)
    assert summary == [
        ("310", "439901", "2024-01-01", "2024-03-31", "ended"),
        ("310", "439902", "2024-04-01", "None", "active"),
        ("330", "439901", "2024-01-01", "2024-03-31", "ended"),
        ("330", "439902", "2024-04-01", "None", "active"),
    ]
    assert moved.admdvs == "439902" and months == 3
    assert account.balance == 6000 and account.admdvs == "439902"
    types = [(e.entry_type, e.amount, e.balance_after) for e in account.entries.items[:2]]
    assert types == [("transfer_in", 6000, 6000), ("transfer_out", -6000, 0)]
    clerk_b = make_actor(Role.CLERK, regions=("439902",))
    with regions.uow(clerk_b) as uow:
        assert [t.to_admdvs for t in service.list_transfers(uow=uow, psn_no=person.psn_no)] == ["439902"]
    with regions.uow() as uow:
        audit = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "person.transfer")).one()
    assert audit.admdvs == "439902" and '"months": 3' in (audit.after or "")


def test_transfer_target_must_exist_and_differ(regions: Container, admin: Actor) -> None:
    person = enrol(regions, admdvs="439901", begin=date(2024, 1, 1))
    with regions.uow(admin) as uow:
        with pytest.raises(BusinessError) as info:
            service.transfer_person(uow=uow, psn_no=person.psn_no, to_admdvs="439999", on=date(2024, 4, 1))
        assert (info.value.code, info.value.field) == ("REGION_NOT_FOUND", "to_admdvs")
        with pytest.raises(BusinessError) as info:
            service.transfer_person(uow=uow, psn_no=person.psn_no, to_admdvs="439901", on=date(2024, 4, 1))
        assert info.value.code == "TRANSFER_SAME_REGION"
        with pytest.raises(BusinessError) as info:
            service.transfer_person(uow=uow, psn_no=person.psn_no, to_admdvs="439902", on=date(2024, 1, 1))
        assert info.value.code == "TRANSFER_NO_RELATION"
    with regions.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Relation)) == 1


def test_transfer_needs_both_regions(regions: Container) -> None:
    person = enrol(regions, admdvs="439901", begin=date(2024, 1, 1))
    with (
        regions.uow(make_actor(Role.CLERK, regions=("439901",))) as uow,
        pytest.raises(BusinessError) as info,
    ):
        service.transfer_person(uow=uow, psn_no=person.psn_no, to_admdvs="439902", on=date(2024, 4, 1))
    assert info.value.code == "AUTH_REGION"


# -------------------------------------------------------------------------------------------- import

HEADER = [
    "身份证号",
    "姓名",
    "联系电话",
    "统筹区",
    "险种",
    "人员类别",
    "参保开始日期",
    "单位统一社会信用代码",
]


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def test_import_csv_stores_every_row(regions: Container, admin: Actor) -> None:
    unit = add_unit(regions)
    data = _csv(
        [
            [certno(seq=123), "张三", "13800000000", "439901", "310", "11", "2024-01-01", unit],
            [certno(seq=124), "李四", "", "439901", "390", "15", "2024-01-01", ""],
        ]
    )
    with regions.uow(admin) as uow:
        report = service.import_persons(uow=uow, filename="persons.csv", data=data)
    assert report.ok and report.total == 2 and len(report.created) == 2
    with regions.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Person)) == 2
        assert uow.session.scalar(select(func.count()).where(AuditEntry.action == "person.create")) == 2


def test_import_with_bad_rows_stores_nothing_and_reports_each(regions: Container, admin: Actor) -> None:
    existing = enrol(regions, seq=129)
    data = _csv(
        [
            [certno(seq=123), "张三", "", "439901", "310", "11", "2024-01-01", ""],
            [certno(seq=123)[:-1] + "X", "", "", "439901", "310", "11", "2024-01-01", ""],
            [certno(seq=125), "王五", "", "439999", "999", "11", "2024-01-01", ""],
            [certno(seq=123), "张三", "", "439901", "310", "11", "2024-01-01", ""],
            [certno(seq=129), "赵六", "", "439901", "390", "15", "2024-01-01", ""],
        ]
    )
    with regions.uow(admin) as uow:
        report = service.import_persons(uow=uow, filename="persons.csv", data=data)
    assert not report.ok and report.created == []
    found = {(e.row, e.field, e.code) for e in report.errors}
    assert found == {
        (3, "certno", "ID_CHECKSUM"),
        (3, "name", "REQUIRED"),
        (4, "admdvs", "REGION_NOT_FOUND"),
        (4, "insutype", "DICT_CODE"),
        (5, "certno", "IMPORT_DUPLICATE_ROW"),
        (6, "certno", "PERSON_EXISTS"),
    }
    assert any(existing.psn_no in e.message for e in report.errors)
    with regions.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Person)) == 1


def test_import_xlsx_and_missing_columns(regions: Container, admin: Actor) -> None:
    data = write_xlsx(
        "参保人", HEADER, [[certno(seq=123), "张三", "", "439901", "390", "15", "2024-01-01", ""]]
    )
    with regions.uow(admin) as uow:
        report = service.import_persons(uow=uow, filename="persons.xlsx", data=data)
    assert report.ok and len(report.created) == 1
    book = Workbook()
    book.active.append(["姓名"])
    book.active.append(["张三"])
    buffer = io.BytesIO()
    book.save(buffer)
    with regions.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.import_persons(uow=uow, filename="persons.xlsx", data=buffer.getvalue())
    assert info.value.code == "IMPORT_COLUMNS" and "certno" in info.value.message
    with regions.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.import_persons(uow=uow, filename="persons.txt", data=b"x")
    assert info.value.code == "IMPORT_FILE"


def test_import_rows_outside_the_actors_regions_are_reported(regions: Container) -> None:
    data = _csv([[certno(seq=123), "张三", "", "439902", "390", "15", "2024-01-01", ""]])
    with regions.uow(make_actor(Role.CLERK, regions=("439901",))) as uow:
        report = service.import_persons(uow=uow, filename="p.csv", data=data)
    assert [(e.row, e.code) for e in report.errors] == [(2, "AUTH_REGION")]


def test_export_rows_are_masked_without_the_permission(regions: Container) -> None:
    enrol(regions)
    with regions.uow(make_actor(Role.ANALYST)) as uow:
        rows = service.export_persons(uow=uow)
    data = write_xlsx("参保人", service.EXPORT_HEADERS, rows)
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert sheet["B2"].value == "110***********" + certno()[-4:]
    with regions.uow(SYSTEM) as uow:
        assert service.export_persons(uow=uow)[0][1] == certno()
