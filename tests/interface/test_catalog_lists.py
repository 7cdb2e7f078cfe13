"""The catalog transactions added to 1301–1308: 1304 民族药品 and 1316 目录匹配 (paged), and the disease
catalogs 1309 门诊慢特病种 (from the policies), 1310 按病种付费病种 (from the payment terms) and the lists
yibao does not hold (1311, 1313, 1314, 1315) through 9102, by version."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.interface.helpers import his_world
from tests.interface.test_files import fetch
from tests.settlement.helpers import DRUG_B, DRUG_C, SERVICE_A, load_policy
from yibao.bootstrap import Container
from yibao.catalog import service as catalog
from yibao.core.security import SYSTEM
from yibao.interface.nhsa.catalog_layouts import COLUMNS
from yibao.payment import service as payment

ETHNIC = "M1234567890AB"  # 民族药: a letter and 10..30 letters or digits
PAGING = {"updt_time": "2000-01-01", "page_num": "1", "page_size": "50"}


def _column(infno: str, rows: list[list[str]], title: str) -> list[str]:
    return [row[COLUMNS[infno].index(title)] for row in rows]


def test_ethnic_drugs_are_the_list_type_104_items(container: Container, app_client: TestClient) -> None:
    """1304 answers the 民族药 (list_type 104) only; the 西药 of the world stay out."""
    _world, his = his_world(container, app_client)
    with container.uow(SYSTEM) as uow:
        catalog.create_item(
            uow=uow,
            kind="drug",
            fields={"code": ETHNIC, "name": "七十味珍珠丸", "list_type": "104", "chrgitm_lv": "01",
                    "begin": "2024-01-01"},
        )  # fmt: skip
    found = his.ok("1304", {"data": PAGING})
    assert [(r["med_list_codg"], r["drug_prodname"], r["vali_flag"]) for r in found["data"]] == [
        (ETHNIC, "七十味珍珠丸", "1")
    ]
    assert found["data"][0]["ver"].isdigit() and found["recordCounts"] == Decimal(1)
    assert his.ok("1304", {"data": PAGING | {"med_list_codg": DRUG_B}})["data"] == []
    assert len(his.ok("1304", {"data": PAGING | {"vali_flag": "1"}})["data"]) == 1
    assert his.ok("1304", {"data": PAGING | {"vali_flag": "0"}})["data"] == []  # in force today
    his.refused("1304", {"data": PAGING | {"vali_flag": "7"}}, "DICT_CODE")


def test_catalog_matches_pair_each_code_with_itself(container: Container, app_client: TestClient) -> None:
    """1316: one national code serves both catalogs, so every item matches itself; query_date keeps the
    versions in force that day, list_type keeps one kind."""
    _world, his = his_world(container, app_client)
    found = his.ok("1316", {"data": PAGING})["data"]
    assert {(r["med_list_codg"], r["hilist_code"]) for r in found} == {
        (DRUG_B, DRUG_B),
        (DRUG_C, DRUG_C),
        (SERVICE_A, SERVICE_A),
    }
    services = his.ok("1316", {"data": PAGING | {"list_type": "201"}})["data"]
    assert [r["hilist_code"] for r in services] == [SERVICE_A]
    assert his.ok("1316", {"data": PAGING | {"query_date": "2023-12-31"}})["data"] == []  # items begin 2024
    before = his.ok("1316", {"data": PAGING | {"query_date": "2023-12-31", "vali_flag": "0"}})["data"]
    assert len(before) == 3 and {r["vali_flag"] for r in before} == {"0"}
    one = his.ok("1316", {"data": PAGING | {"hilist_code": DRUG_B, "query_date": "2024-06-01"}})["data"]
    assert [(r["hilist_code"], r["begndate"], r["vali_flag"]) for r in one] == [(DRUG_B, "2024-01-01", "1")]


def test_chronic_diseases_come_from_the_policies(container: Container, app_client: TestClient) -> None:
    """1309: the 2024 sample policies pay M03900/M01600/M07800 as chronic diseases, with a yearly limit
    per scheme (职工 3000/3000/60000 元, 居民 1500/1500/50000 元); the file's last version gives nothing new,
    and a newer policy version brings its diseases again."""
    _world, his = his_world(container, app_client)
    info = his.ok("1309", {"data": {"ver": "0"}})
    rows = fetch(his, info)
    assert info["data_cnt"] == Decimal(3) and all(len(row) == len(COLUMNS["1309"]) for row in rows)
    by_code = dict(zip(_column("1309", rows, "门慢门特病种目录代码"), rows, strict=True))
    assert set(by_code) == {"M03900", "M01600", "M07800"}
    dialysis = dict(zip(COLUMNS["1309"], by_code["M07800"], strict=True))
    assert dialysis["医保区划"] == "439901" and dialysis["有效标志"] == "1"
    assert "职工年度限额60000元" in dialysis["备注"] and "居民年度限额50000元" in dialysis["备注"]
    last = max(_column("1309", rows, "版本号"))
    assert his.ok("1309", {"data": {"ver": last}})["data_cnt"] == Decimal(0)
    load_policy(container, "439901-390-2025.toml")
    assert his.ok("1309", {"data": {"ver": last}})["data_cnt"] == Decimal(3)
    his.refused("1309", {"data": {"ver": "abc"}}, "FIELD_FORMAT")


def test_single_disease_list_comes_from_payment_terms(container: Container, app_client: TestClient) -> None:
    """1310: the region prices J18.900 per case at 3,500.00 元 for one hospital; the row is named from
    ICD-10 医保版 and in force while the terms are. Without such terms the file is empty."""
    _world, his = his_world(container, app_client)
    assert his.ok("1310", {"data": {"ver": "0"}})["data_cnt"] == Decimal(0)
    with container.uow(SYSTEM) as uow:
        payment.set_method(
            uow=uow,
            admdvs="439901",
            method="single_disease",
            params={"prices_fen": {"J18.900": 350_000}},
            begin=date(2024, 1, 1),
            fixmedins_code="H43990100001",
        )
    info = his.ok("1310", {"data": {"ver": "0"}})
    (row,) = fetch(his, info)
    cells = dict(zip(COLUMNS["1310"], row, strict=True))
    assert (cells["按病种结算病种目录代码"], cells["按病种结算病种名称"], cells["有效标志"]) == (
        "J18.900",
        "肺炎",
        "1",
    )
    assert cells["备注"] == "定额 3500 元，限定点机构 H43990100001"
    assert his.ok("1310", {"data": {"ver": cells["版本号"]}})["data_cnt"] == Decimal(0)


def test_lists_not_held_answer_the_layout_without_rows(container: Container, app_client: TestClient) -> None:
    """1311 日间手术, 1313 肿瘤形态学, 1314 中医疾病, 1315 中医证候: yibao holds no such list; the answer is a
    file like the others, with no rows, so a HIS that downloads every catalog runs through."""
    _world, his = his_world(container, app_client)
    for infno in ("1311", "1313", "1314", "1315"):
        info = his.ok(infno, {"data": {"ver": "0"}})
        assert info["data_cnt"] == Decimal(0) and info["filename"] == f"plc_{infno}_0.zip"
        assert fetch(his, info) == []
