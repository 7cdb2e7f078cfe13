"""Contract generated from the specification JSON: for every implemented transaction, every output
field the spec marks required is present, with the right type and a valid dictionary code."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.interface.helpers import fee_row, his_world, pharmacy_his
from tests.interface.scenario import inpatient, outpatient, pharmacy, register, settle_data
from tests.knowledge import load_knowledge
from tests.monitoring.test_nhsa_rules import _data as rule_check_data
from tests.settlement.helpers import person_id
from yibao.bootstrap import Container
from yibao.catalog import service as catalog
from yibao.core.clock import LOCAL_TZ
from yibao.core.security import SYSTEM
from yibao.interface.nhsa import spec
from yibao.interface.nhsa.files import zip_rows
from yibao.interface.nhsa.registry import HANDLERS, PARTIAL
from yibao.reference.lookup import dictionaries
from yibao.settlement import service as settlement

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
WITHOUT_OUTPUT_SAMPLE = PARTIAL | {"9001", "9002", "2202", "2205", "2302", "2404", "2601"}
DICT_ALIASES = {"valiflag": "vali_flag"}
NOT_HELD = {("1312", "hilist_use_type")}  # 医保目录使用类别: not held by the catalog (docs: known limits)


def _rows(output: dict[str, Any], node: str | None) -> list[dict[str, Any]]:
    value: Any = output.get(node) if node else None
    if (
        value is None and node
    ):  # a table nested in the rows of another (3101 result → judge_result_detail_dtos)
        nested = [r.get(node) for rows in output.values() if isinstance(rows, list) for r in rows]
        value = [item for inner in nested if isinstance(inner, list) for item in inner] or None
    if node is None and isinstance(output.get("data"), list):
        value = output["data"]  # the paged queries 1312/1317/1318/1319: rows under "data"
    if value is None:
        value = next(iter(output.values())) if len(output) == 1 else output
    rows = value if isinstance(value, list) else [value]
    return [r for r in rows if isinstance(r, dict)]


def _type_ok(kind: str, value: Any) -> bool:
    if kind in ("数值型", "数字型", "数值", "数字", "BigDecimal"):
        return isinstance(value, Decimal | int) and not isinstance(value, bool)
    if kind in ("整数型", "整型", "整数类型"):
        return isinstance(value, int | Decimal) and not isinstance(value, bool) and value == int(value)
    if kind.endswith("集合"):  # a nested list of rows (违规明细集合), checked as its own table
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    if kind == "日期型":
        return isinstance(value, str) and bool(DATE.match(value))
    if kind == "日期时间型":
        return isinstance(value, str) and bool(DATETIME.match(value))
    return isinstance(value, str)


def test_every_required_output_field_is_present_typed_and_coded(
    container: Container, app_client: TestClient
) -> None:
    world, his = his_world(container, app_client, account_fen=5_000)
    samples = outpatient(his, world.worker) | inpatient(his, world.worker)
    samples["9001"] = his.log[0]["output"]
    flag = {
        "mdtrt_id": samples["_mdtrt_id"]["value"],
        "psn_no": world.worker,
        "psn_cert_type": "01",
        "certno": person_id(1),
        "psn_name": "张职工",
        "ipt_otp_no": "ZY0001",
        "ipt_psn_sp_flag_type": "01",
        "ipt_psn_sp_flag": "A1",
    }
    samples["2406"] = his.ok("2406", {"data": flag})
    samples["2407"] = his.ok("2407", {"data": {"page_num": "1", "page_size": "10"}})
    today = datetime.now(LOCAL_TZ).date().isoformat()
    stmt = {
        "clr_type": "11",
        "setl_optins": "439901",
        "stmt_begndate": today,
        "stmt_enddate": today,
        "medfee_sumamt": "0",
        "fund_pay_sumamt": "0",
        "acct_pay": "0",
        "cash_payamt": "0",
        "fixmedins_setl_cnt": "0",
        "fixmedins_refd_setl_flag": "0",
        "file_qury_no": "F1",
    }
    with container.uow(SYSTEM) as uow:
        settlement.register_chronic(
            uow=uow, psn_no=world.worker, disease_code="M03900", begin=date(2024, 1, 1)
        )
    bought = pharmacy(pharmacy_his(container, app_client), world.worker, med_type="14", dise_codg="M03900")
    samples |= {infno: bought[infno] for infno in ("2101", "2102", "2103")}
    assert bought["2102"]["setldetail"], "no fund row to check"
    chronic = register(his, world.worker, med_type="14", dise_codg="M03900")
    his.ok("2204", {"feedetail": [fee_row("1", chronic, world.worker, "YP001", "1.20", cnt="10")]})
    his.ok("2207", settle_data(world.worker, chronic, "12.00", med_type="14"))
    samples["5205"] = his.ok("5205", {"data": {"psn_no": world.worker, "begntime": "2024-01-01 00:00:00"}})
    assert samples["5205"]["feedetail"], "no chronic drug line to check"
    samples["1201"] = his.ok("1201", {"medinsinfo": {"fixmedins_type": "1", "fixmedins_name": "示范"}})
    assert len(samples["1201"]["medinsinfo"]) == 2
    downloads = ("1301", "1302", "1303", "1305", "1306", "1306A", "1307", "1308", "1309", "1310", "1311")
    for infno in (*downloads, "1313", "1314", "1315", "1320"):
        samples[infno] = his.ok(infno, {"data": {"ver": "0"}})
    with container.uow(SYSTEM) as uow:
        catalog.create_item(
            uow=uow,
            kind="drug",
            fields={"code": "M1234567890AB", "name": "七十味珍珠丸", "list_type": "104", "chrgitm_lv": "01",
                    "begin": "2024-01-01"},
        )  # fmt: skip
    paging = {"updt_time": "2000-01-01", "page_num": "1", "page_size": "50"}
    for infno in ("1304", "1312", "1316", "1317", "1318", "1319"):
        samples[infno] = his.ok(infno, {"data": paging})
        assert samples[infno]["data"], f"no rows in {infno}"
    detail = zip_rows("d.txt", [["S1", "M1", world.worker, "0", "0", "0", "0"]])
    upload = {"fsUploadIn": {"in": list(detail), "filename": "d.zip", "fixmedins_code": his.fixmedins_code}}
    samples["9101"] = his.ok("9101", upload)
    stmt["file_qury_no"] = samples["9101"]["file_qury_no"]
    samples["3201"] = his.ok("3201", {"data": stmt})
    load_knowledge(container)
    samples["3101"] = his.ok("3101", rule_check_data("2"))  # a male-only drug for a woman: one violation
    samples["3102"] = his.ok("3102", rule_check_data("2", trig_scen="2"))
    assert samples["3101"]["result"] and samples["3102"]["result"], "no rule answer to check"
    samples["3202"] = his.ok("3202", {"data": stmt})
    transactions = spec.load(container.settings.reference_dir)
    with container.uow() as uow:
        dicts = dictionaries(uow.session)
    problems: list[str] = []
    checked = 0
    empty: list[str] = []
    for infno in sorted(HANDLERS):
        transaction = transactions[infno]
        if not transaction.outputs() or infno in WITHOUT_OUTPUT_SAMPLE:
            continue
        assert infno in samples, f"no sample answer for {infno}"
        for table in transaction.outputs():
            if "文件" in table.caption:  # file layouts (3202) are not in the JSON answer
                continue
            if table.node and samples[infno].get(table.node) == []:
                empty.append(f"{infno} {table.node}")  # a list the sample person has no rows in
                continue
            rows = _rows(samples[infno], table.node)
            assert rows, f"{infno} {table.caption}: no rows to check"
            for row in rows:
                for field in table.fields:
                    if not field.required or (infno, field.code) in NOT_HELD:
                        continue
                    checked += 1
                    where = f"{infno} {table.node} {field.code}"
                    if row.get(field.code) is None:
                        problems.append(f"{where}: missing")
                        continue
                    value = row[field.code]
                    if not _type_ok(field.type, value):
                        problems.append(f"{where}: {value!r} is not {field.type}")
                    name = DICT_ALIASES.get(field.code.lower(), field.code)
                    if field.dictionary and name in dicts.codes and not dicts.has(name, str(value)):
                        problems.append(f"{where}: {value!r} not in dictionary {name}")
    assert checked > 300
    assert empty == ["1101 idetinfo"]
    assert problems == [], "\n".join(problems)
