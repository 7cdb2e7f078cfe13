"""Bulk import from CSV and Excel: the sample files import cleanly; a bad file stores nothing and
reports every bad row."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.catalog.helpers import DRUG_CODE, add_drug
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.catalog import service
from yibao.catalog.models import CatalogItem
from yibao.core.excel import write_xlsx
from yibao.core.security import Actor
from yibao.domain.errors import BusinessError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalog"


def _count(container: Container) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(CatalogItem)) or 0)


@pytest.mark.parametrize(
    ("filename", "kind", "rows"),
    [("drugs.csv", "drug", 7), ("services.csv", "service", 6), ("consumables.csv", "consumable", 5),
     ("facilities.csv", "facility", 5)],
)  # fmt: skip
def test_the_sample_files_import_cleanly(
    container: Container, admin: Actor, filename: str, kind: str, rows: int
) -> None:
    data = (EXAMPLES / filename).read_bytes()
    with container.uow(admin) as uow:
        result = service.import_items(uow=uow, list_type=kind, filename=filename, data=data)
    assert (result.kind, result.created, result.closed) == (kind, rows, 0)
    assert _count(container) == rows
    with container.uow() as uow:
        audit = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "catalog.import")).one()
    assert f'"rows": {rows}' in (audit.after or "")


def test_sample_restrictions_and_prices_are_read(container: Container, admin: Actor) -> None:
    with container.uow(admin) as uow:
        service.import_items(
            uow=uow, list_type="101", filename="drugs.csv", data=(EXAMPLES / "drugs.csv").read_bytes()
        )
        fish_oil = service.item_on(uow=uow, code="XB05BAA036B001010201234", day=date(2024, 6, 1))
        scar = service.item_on(uow=uow, code="XD03AXB0176010100765432", day=date(2024, 6, 1))
    assert fish_oil is not None and scar is not None
    assert fish_oil.restrictions.inpatient_only and fish_oil.restrictions.hosp_levels == frozenset({"2"})
    assert (fish_oil.selfpay_bp, fish_oil.price_cap) == (1500, 12800)
    assert scar.restrictions.benefit_only == "work_injury" and scar.selfpay_bp == 10000


BAD_CSV = """国家编码,名称,开始日期,收费项目等级,先行自付比例,最高限价(元),剂型
XA01ABD075A002010100483,地塞米松磷酸钠注射液,2024-01-01,01,0,1.50,170000
XA01ABD07,坏编码,2024-01-01,01,0,1.50,170000
XJ01CRA045E001010101509,阿莫西林,2024-01-01,02,,35.8,170000
XB05BAA036B001010201234,鱼油,2024-02-30,02,0.1,12.345,999999
XA01ABD075A002010100483,重复版本,2024-01-01,01,0,1.50,170000
"""


def test_a_bad_file_reports_every_bad_row_and_stores_nothing(container: Container, admin: Actor) -> None:
    with container.uow(admin) as uow, pytest.raises(service.ImportRefusedError) as info:
        service.import_items(uow=uow, list_type="drug", filename="bad.csv", data=BAD_CSV.encode())
    found = {(e.row, e.field, e.code) for e in info.value.rows}
    assert found == {
        (3, "code", "CATALOG_CODE_FORMAT"),
        (4, "selfpay_ratio", "CATALOG_RATIO_REQUIRED"),
        (5, "begin", "DATE_FORMAT"),
        (5, "price_cap", "MONEY_PRECISION"),
        (5, "dosform", "DICT_CODE"),
        (6, "begin", "CATALOG_VERSION_OVERLAP"),
    }
    assert info.value.code == "CATALOG_IMPORT_ROWS" and "未导入任何数据" in info.value.message
    assert all(e.message.startswith(f"第{e.row}行：") for e in info.value.rows)
    assert {e.field for e in info.value.errors} >= {"rows.3.code", "rows.6.begin"}
    assert _count(container) == 0
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).where(AuditEntry.entity.like("catalog%"))) == 0


def test_unknown_and_missing_columns_are_reported_on_row_one(container: Container, admin: Actor) -> None:
    data = "国家编码,名称,颜色\nXA01ABD075A002010100483,x,红\n".encode()
    with container.uow(admin) as uow, pytest.raises(service.ImportRefusedError) as info:
        service.import_items(uow=uow, list_type="drug", filename="x.csv", data=data)
    assert {(e.row, e.field) for e in info.value.rows} == {(1, "颜色"), (1, "begin"), (1, "chrgitm_lv")}


def test_an_import_changes_known_codes(container: Container, admin: Actor) -> None:
    add_drug(container)
    rows = [[DRUG_CODE, "地塞米松磷酸钠注射液", "2025-01-01", "02", "0.05", "1.20", "170000"]]
    data = write_xlsx(
        "药品",
        ["国家编码", "名称", "开始日期", "收费项目等级", "先行自付比例", "最高限价(元)", "dosform"],
        rows,
    )
    with container.uow(admin) as uow:
        result = service.import_items(uow=uow, list_type="drug", filename="change.xlsx", data=data)
    assert (result.created, result.closed) == (1, 1)
    with container.uow(admin) as uow:
        versions = service.get_versions(uow=uow, code=DRUG_CODE)
    assert [(v.end, v.chrgitm_lv, v.price_cap) for v in versions] == [
        (date(2024, 12, 31), "02", 150),
        (None, "02", 120),
    ]


def test_two_rows_of_one_code_in_a_file_are_a_change_in_date_order(
    container: Container, admin: Actor
) -> None:
    data = (
        "code,name,begin,chrgitm_lv,selfpay_ratio\n"
        f"{DRUG_CODE},新名称,2025-01-01,02,0.1\n"
        f"{DRUG_CODE},旧名称,2024-01-01,02,0.1\n"
    ).encode()
    with container.uow(admin) as uow:
        assert service.import_items(uow=uow, list_type="drug", filename="two.csv", data=data).created == 2
    with container.uow(admin) as uow:
        versions = service.get_versions(uow=uow, code=DRUG_CODE)
    assert [(v.name, v.end) for v in versions] == [("旧名称", date(2024, 12, 31)), ("新名称", None)]


@pytest.mark.parametrize(
    ("filename", "data", "code"),
    [("x.txt", b"a", "CATALOG_IMPORT_FILE"), ("x.csv", "国家编码,名称\n".encode(), "CATALOG_IMPORT_EMPTY"),
     ("x.xlsx", b"not a workbook", "CATALOG_IMPORT_FILE")],
)  # fmt: skip
def test_unreadable_files_are_refused(
    container: Container, admin: Actor, filename: str, data: bytes, code: str
) -> None:
    with container.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.import_items(uow=uow, list_type="drug", filename=filename, data=data)
    assert (info.value.code, info.value.field) == (code, "file")


def test_an_unknown_list_type_is_refused(container: Container, admin: Actor) -> None:
    with container.uow(admin) as uow, pytest.raises(BusinessError) as info:
        service.import_items(uow=uow, list_type="999", filename="drugs.csv", data=b"")
    assert (info.value.code, info.value.field) == ("CATALOG_KIND", "list_type")
