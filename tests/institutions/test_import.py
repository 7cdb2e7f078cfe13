"""Bulk import of institutions and doctors: all or nothing, every bad row reported by row, field, code."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import add_region
from tests.institutions.helpers import add_institution, credit_code, csv_bytes, resident_id, supervisor
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.excel import write_xlsx
from yibao.domain.errors import BusinessError
from yibao.institutions import service
from yibao.institutions.models import Doctor, Institution
from yibao.institutions.service import ImportRefusedError, RowError

INSTITUTION_HEADER = ["fixmedins_code", "name", "fixmedins_type", "hosp_lv", "admdvs", "address", "uscc"]


def _count(container: Container, model: type) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_good_institution_file_is_stored_with_one_audit_row_each(container: Container) -> None:
    add_region(container)
    data = csv_bytes(
        [
            [*INSTITUTION_HEADER, "agreement_begin"],
            ["H43990100001", "示范县人民医院", "1", "5", "439901", "人民路1号", credit_code(1), "2025-01-01"],
            ["P43990100002", "康民大药房", "2", "", "439901", "", "", ""],
        ]
    )
    with container.uow(supervisor()) as uow:
        report = service.import_institutions(uow=uow, data=data, filename="institutions.csv")
    assert (report.created, report.codes) == (2, ["H43990100001", "P43990100002"])
    with container.uow(supervisor()) as uow:
        signed = service.show_institution(uow=uow, fixmedins_code="H43990100001")
        applying = service.show_institution(uow=uow, fixmedins_code="P43990100002")
        audits = uow.session.scalar(select(func.count()).where(AuditEntry.action == "institution.import"))
    assert (signed.agreement_status, signed.agreement_end) == ("active", date(2025, 12, 31))
    assert applying.agreement_status == "applying"
    assert audits == 2


def test_chinese_headers_and_excel_files_are_accepted(container: Container) -> None:
    add_region(container)
    data = write_xlsx(
        "机构",
        ["定点机构编码", "机构名称", "机构类型", "医院等级", "统筹区编码"],
        [["H43990100001", "示范县人民医院", "1", "5", "439901"]],
    )
    with container.uow(supervisor()) as uow:
        report = service.import_institutions(uow=uow, data=data, filename="机构.xlsx")
    assert report.created == 1


def test_bad_rows_are_all_reported_and_nothing_is_stored(container: Container) -> None:
    add_region(container)
    add_region(container, "439902", "乙县")
    add_institution(container, "H43990100009")
    data = csv_bytes(
        [
            INSTITUTION_HEADER,
            ["H43990100001", "好医院", "1", "5", "439901", "", ""],  # row 2: good
            ["h1", "", "9", "", "439901", "", "123"],  # row 3: four bad fields
            [],  # row 4: blank, skipped but counted
            ["H43990100001", "重复", "1", "5", "439901", "", ""],  # row 5: duplicate of row 2
            ["H43990100009", "已存在", "1", "5", "439901", "", ""],  # row 6: already stored
            ["H43990200001", "外区", "1", "5", "439902", "", ""],  # row 7: outside the actor's regions
            ["H43990100003", "无区", "1", "5", "439903", "", ""],  # row 8: unknown region
            ["P43990100004", "药店", "2", "5", "439901", "", ""],  # row 9: pharmacy with a level
        ]
    )
    with container.uow(supervisor("439901")) as uow, pytest.raises(ImportRefusedError) as info:
        service.import_institutions(uow=uow, data=data, filename="bad.csv")
    found = {(r.row, r.field, r.code) for r in info.value.rows}
    assert found == {
        (3, "fixmedins_code", "FIXMEDINS_CODE_FORMAT"),
        (3, "name", "REQUIRED"),
        (3, "fixmedins_type", "DICT_CODE"),
        (3, "uscc", "USCC_LENGTH"),
        (5, "fixmedins_code", "IMPORT_DUPLICATE"),
        (6, "fixmedins_code", "INSTITUTION_EXISTS"),
        (7, "admdvs", "AUTH_REGION"),
        (8, "admdvs", "REGION_NOT_FOUND"),
        (9, "hosp_lv", "HOSP_LV_PHARMACY"),
    }
    assert info.value.code == "IMPORT_ROWS"
    assert "共 7 行数据，其中 6 行有错误" in info.value.message
    assert all(e.message.startswith(f"第{e.field[3 : e.field.index('.')]}行") for e in info.value.errors)
    assert _count(container, Institution) == 1  # only the one stored before
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).where(AuditEntry.action == "institution.import")) == 0


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "x.csv", "IMPORT_EMPTY"),
        (b"fixmedins_code,name\r\n", "x.csv", "IMPORT_COLUMNS"),
        (csv_bytes([INSTITUTION_HEADER]), "x.csv", "IMPORT_EMPTY"),
        (b"a,b", "x.txt", "IMPORT_FORMAT"),
        (b"not a workbook", "x.xlsx", "IMPORT_FORMAT"),
    ],
)
def test_unreadable_files_are_refused(container: Container, data: bytes, filename: str, code: str) -> None:
    with container.uow(supervisor()) as uow, pytest.raises(BusinessError) as info:
        service.import_institutions(uow=uow, data=data, filename=filename)
    assert (info.value.code, info.value.field) == (code, "file")


def test_gbk_csv_is_read(container: Container) -> None:
    add_region(container)
    text = "fixmedins_code,name,fixmedins_type,hosp_lv,admdvs\r\nP43990100001,康民大药房,2,,439901\r\n"
    with container.uow(supervisor()) as uow:
        assert service.import_institutions(uow=uow, data=text.encode("gbk"), filename="gbk.csv").created == 1


DOCTOR_HEADER = ["dr_code", "name", "certno", "kind", "admdvs", "fixmedins_code", "dept_code", "begin"]


def test_good_doctor_file_links_doctors_to_institutions(container: Container) -> None:
    add_institution(container)
    with container.uow(supervisor()) as uow:
        service.add_department(
            uow=uow,
            fixmedins_code="H43990100001",
            dept_code="NK01",
            name="内科",
            caty="A03",
            begin=date(2020, 1, 1),
        )
    data = csv_bytes(
        [
            DOCTOR_HEADER,
            [
                "D43990100001",
                "张医生",
                resident_id(1),
                "医师",
                "439901",
                "H43990100001",
                "NK01",
                "2025-01-01",
            ],
            ["Y43990100002", "李药师", resident_id(2), "pharmacist", "439901", "", "", ""],
        ]
    )
    progress: list[tuple[int, int]] = []
    with container.uow(supervisor()) as uow:
        report = service.import_doctors(
            uow=uow, data=data, filename="doctors.csv", progress=lambda d, t: progress.append((d, t))
        )
    assert report.created == 2
    assert progress[-1] == (2, 2)
    with container.uow(supervisor()) as uow:
        doctor = service.show_doctor(uow=uow, dr_code="D43990100001")
        audits = uow.session.scalar(select(func.count()).where(AuditEntry.action == "doctor.import"))
    assert [(lk.fixmedins_code, lk.dept_code, lk.begin) for lk in doctor.links] == [
        ("H43990100001", "NK01", date(2025, 1, 1))
    ]
    assert audits == 2


def test_bad_doctor_rows_are_reported_and_nothing_is_stored(container: Container) -> None:
    add_institution(container)
    from tests.institutions.helpers import add_doctor

    add_doctor(container, "D43990100009", seq=9)
    data = csv_bytes(
        [
            DOCTOR_HEADER,
            ["D43990100001", "张医生", resident_id(1), "doctor", "439901", "", "", ""],  # 2 good
            ["D1", "", "123", "surgeon", "43", "", "", "x"],  # 3: many bad fields
            [
                "D43990100001",
                "重复",
                resident_id(1),
                "doctor",
                "439901",
                "",
                "",
                "",
            ],  # 4: duplicates of row 2
            ["D43990100009", "已存在", resident_id(9), "doctor", "439901", "", "", ""],  # 5: stored
            ["D43990100005", "无机构", resident_id(5), "doctor", "439901", "H43990100099", "", ""],  # 6
            ["D43990100006", "无科室", resident_id(6), "doctor", "439901", "H43990100001", "ZZ", ""],  # 7
            ["D43990100007", "只有科室", resident_id(7), "doctor", "439901", "", "NK01", ""],  # 8
        ]
    )
    with container.uow(supervisor()) as uow, pytest.raises(ImportRefusedError) as info:
        service.import_doctors(uow=uow, data=data, filename="bad.csv")
    found = {(r.row, r.field, r.code) for r in info.value.rows}
    assert found == {
        (3, "kind", "DOCTOR_KIND"),
        (3, "name", "REQUIRED"),
        (3, "certno", "ID_LENGTH"),
        (3, "admdvs", "ADMDVS_FORMAT"),
        (3, "begin", "DATE_FORMAT"),
        (4, "dr_code", "IMPORT_DUPLICATE"),
        (4, "certno", "IMPORT_DUPLICATE"),
        (5, "dr_code", "DOCTOR_EXISTS"),
        (5, "certno", "DOCTOR_CERTNO_EXISTS"),
        (6, "fixmedins_code", "INSTITUTION_NOT_FOUND"),
        (7, "dept_code", "DEPT_NOT_FOUND"),
        (8, "fixmedins_code", "REQUIRED"),
    }
    assert all(isinstance(r, RowError) and r.message.startswith("字段 ") for r in info.value.rows)
    assert _count(container, Doctor) == 1
