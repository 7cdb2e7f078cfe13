"""9101 upload and 9102 download (ZIP of TAB-separated TXT), 3202 through an uploaded file, catalog
downloads 1301–1308 by version, and the paged catalog queries 1312/1317/1318/1319."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.interface.helpers import ENDPOINT, His, fee_row, his_world
from tests.interface.scenario import register, settle_data
from tests.settlement.helpers import DRUG_B, DRUG_C, SERVICE_A
from yibao.bootstrap import Container
from yibao.core.clock import LOCAL_TZ
from yibao.interface.nhsa.catalog_layouts import COLUMNS
from yibao.interface.nhsa.jsontext import dumps, loads


def zipped(rows: list[list[str]], name: str = "detail.txt") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, "\n".join("\t".join(r) for r in rows))
    return buffer.getvalue()


def fetch(his: His, info: dict[str, Any], code: str = "plc") -> list[list[str]]:
    """9102: the rows of the TXT inside the ZIP answered."""
    body = his.envelope(
        "9102",
        {
            "fsDownloadIn": {
                "file_qury_no": info["file_qury_no"],
                "filename": info["filename"],
                "fixmedins_code": code,
            }
        },
    )
    response = his.client.post(ENDPOINT, content=dumps(body), headers=his.headers())
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip", (
        response.text
    )
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        text = archive.read(archive.namelist()[0]).decode("utf-8")
    return [line.split("\t") for line in text.splitlines()]


def upload(his: His, content: bytes, *, as_bytes: bool = True) -> dict[str, Any]:
    data: Any = list(content) if as_bytes else base64.b64encode(content).decode()
    return his.ok(
        "9101", {"fsUploadIn": {"in": data, "filename": "detail.zip", "fixmedins_code": his.fixmedins_code}}
    )


def _settled(his: His, psn_no: str, price: str) -> dict[str, Any]:
    mdtrt_id = register(his, psn_no)
    his.ok("2204", {"feedetail": [fee_row("1", mdtrt_id, psn_no, "ZL001", price)]})
    return dict(his.ok("2207", settle_data(psn_no, mdtrt_id, price))["setlinfo"])


def test_detail_reconciliation_through_an_uploaded_file_and_its_result_file(
    container: Container, app_client: TestClient
) -> None:
    world, his = his_world(container, app_client)
    first, second = _settled(his, world.worker, "600.00"), _settled(his, world.worker, "30.00")
    line = [first[k] for k in ("setl_id", "mdtrt_id", "psn_no")] + [
        "600.00",
        str(first["fund_pay_sumamt"]),
        "0",
    ]
    uploaded = upload(his, zipped([[str(v) for v in line] + ["0"]]))
    assert uploaded["fixmedins_code"] == his.fixmedins_code and uploaded["file_qury_no"]
    today = datetime.now(LOCAL_TZ).date().isoformat()
    data = {
        "setl_optins": "439901",
        "file_qury_no": uploaded["file_qury_no"],
        "stmt_begndate": today,
        "stmt_enddate": today,
        "medfee_sumamt": "600.00",
        "fund_pay_sumamt": str(first["fund_pay_sumamt"]),
        "cash_payamt": "0",
        "fixmedins_setl_cnt": "1",
        "clr_type": "11",
        "fixmedins_refd_setl_flag": "0",
    }
    out = his.ok("3202", {"data": data})
    assert out["stmt_rslt"] == "1"
    result = {row[2]: row for row in fetch(his, out["fileinfo"], his.fixmedins_code)}
    assert result[first["setl_id"]][4] == "0"  # stmt_rslt 平
    assert result[second["setl_id"]][4] == "1" and "未报送" in result[second["setl_id"]][6]
    assert result[second["setl_id"]][7] == "30.00"  # medfee_sumamt of the platform


def test_upload_as_base64_and_as_multipart(container: Container, app_client: TestClient) -> None:
    _world, his = his_world(container, app_client)
    assert upload(his, zipped([["a", "b"]]), as_bytes=False)["file_qury_no"]
    envelope = his.envelope(
        "9101", {"fsUploadIn": {"filename": "d.zip", "fixmedins_code": his.fixmedins_code}}
    )
    response = app_client.post(
        ENDPOINT,
        data={"data": dumps(envelope)},
        files={"file": ("d.zip", zipped([["x"]]), "application/zip")},
        headers=his.headers(),
    )
    answer = loads(response.content)
    assert answer["infcode"] == 0, answer["err_msg"]
    assert answer["output"]["filename"] == "d.zip"


def test_file_refusals(container: Container, app_client: TestClient) -> None:
    _world, his = his_world(container, app_client)
    bad = {
        "fsUploadIn": {"in": list(b"not a zip"), "filename": "x.zip", "fixmedins_code": his.fixmedins_code}
    }
    assert "input.fsUploadIn.in" in his.refused("9101", bad, "FILE_FORMAT")
    other = {"fsUploadIn": {"in": list(zipped([["a"]])), "filename": "x.zip", "fixmedins_code": "H999"}}
    his.refused("9101", other, "AUTH_INSTITUTION")
    mine = upload(his, zipped([["a"]]))
    fetch_body = {
        "fsDownloadIn": {"file_qury_no": mine["file_qury_no"], "filename": "x.zip", "fixmedins_code": "plc"}
    }
    his.refused("9102", fetch_body, "FILE_NOT_FOUND")  # wrong file name
    unknown = {"fsDownloadIn": {"file_qury_no": "NOPE", "filename": "x.zip", "fixmedins_code": "plc"}}
    his.refused("9102", unknown, "FILE_NOT_FOUND")


def test_catalog_download_by_version(container: Container, app_client: TestClient) -> None:
    """1301 (西药中成药, list_type 101) with ver 0 gives both drugs; with the file's last version none."""
    _world, his = his_world(container, app_client)
    info = his.ok("1301", {"data": {"ver": "0"}})
    assert info["data_cnt"] == Decimal(2) and info["dld_end_time"]
    rows = fetch(his, info)
    assert {row[0] for row in rows} == {DRUG_B, DRUG_C}
    assert all(len(row) == len(COLUMNS["1301"]) for row in rows)
    version = COLUMNS["1301"].index("版本号")
    last = max(row[version] for row in rows)
    assert his.ok("1301", {"data": {"ver": last}})["data_cnt"] == Decimal(0)
    service = fetch(his, his.ok("1305", {"data": {"ver": "0"}}))
    assert [row[0] for row in service] == [SERVICE_A]
    his.refused("1301", {"data": {"ver": "v1.0"}}, "FIELD_FORMAT")


def test_icd_download_and_the_current_version(container: Container, app_client: TestClient) -> None:
    _world, his = his_world(container, app_client)
    info = his.ok("1307", {"data": {"ver": "0"}})
    rows = fetch(his, info)
    code = COLUMNS["1307"].index("诊断代码")
    found = {row[code]: row for row in rows}
    assert "J18.900" in found and int(info["data_cnt"]) == len(rows) > 1000
    version = found["J18.900"][COLUMNS["1307"].index("版本号")]
    assert his.ok("1307", {"data": {"ver": version}})["data_cnt"] == Decimal(0)


def test_paged_catalog_queries(container: Container, app_client: TestClient) -> None:
    _world, his = his_world(container, app_client)
    paging = {"updt_time": "2000-01-01", "page_num": "1", "page_size": "2"}
    first = his.ok("1312", {"data": paging})
    assert (first["recordCounts"], first["pages"], len(first["data"])) == (Decimal(3), Decimal(2), 2)
    caps = his.ok("1318", {"data": paging | {"hilist_code": DRUG_B}})["data"]
    assert [(r["hilist_lmtpric_type"], r["hilist_pric_uplmt_amt"]) for r in caps] == [
        ("1", Decimal("1.50")),
        ("2", Decimal("1.50")),
        ("3", Decimal("1.50")),
    ]
    ratios = his.ok("1319", {"data": paging | {"hilist_code": DRUG_B, "selfpay_prop_psn_type": "310"}})[
        "data"
    ]
    assert [(r["selfpay_prop_psn_type"], r["selfpay_prop"]) for r in ratios] == [("310", Decimal("0.1000"))]
    mine = his.ok("1317", {"data": paging | {"page_size": "10"}})["data"]
    assert {r["medins_list_codg"] for r in mine} == {"YP001", "YP002", "ZL001"}
    his.refused("1317", {"data": paging | {"fixmedins_code": "H43990100002"}}, "AUTH_INSTITUTION")
    his.refused("1312", {"data": paging | {"page_size": "0"}}, "FIELD_NUMBER")
