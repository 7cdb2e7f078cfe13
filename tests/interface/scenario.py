"""Whole flows through the envelope, used by the flow tests and by the contract test."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.interface.helpers import His, fee_row

CERT = {"mdtrt_cert_type": "02", "mdtrt_cert_no": "x", "psn_cert_type": "01", "certno": "x", "psn_name": "x"}


def register(his: His, psn_no: str, insutype: str = "310", **extra: Any) -> str:
    data = CERT | {
        "psn_no": psn_no,
        "insutype": insutype,
        "begntime": "2024-03-01 09:00:00",
        "psn_type": "11",
        "ipt_otp_no": "MZ0001",
        "dept_code": "A01",
        "dept_name": "内科",
        "caty": "A03",
    }
    return str(his.ok("2201", {"data": data | extra})["data"]["mdtrt_id"])


def settle_data(
    psn_no: str, mdtrt_id: str, medfee: str, insutype: str = "310", **extra: Any
) -> dict[str, Any]:
    data = CERT | {
        "psn_no": psn_no,
        "mdtrt_id": mdtrt_id,
        "medfee_sumamt": medfee,
        "med_type": "11",
        "psn_setlway": "01",
        "chrg_bchno": "B1",
        "insutype": insutype,
        "acct_used_flag": "1",
        "psn_type": "11",
        "mid_setl_flag": "0",
        "insuplc_admdvs": "439901",
        "mdtrtarea_admvs": "439901",
        "fulamt_ownpay_amt": "0",
        "overlmt_selfpay": "0",
        "preselfpay_amt": "0",
        "inscp_scp_amt": "0",
    }
    return {"data": data | extra}


def outpatient(his: His, psn_no: str) -> dict[str, dict[str, Any]]:
    """1101 → 2001 → 2201 → 2203 → 2204 → 2206 → 2207 → queries → 2208; the outputs by infno."""
    out: dict[str, dict[str, Any]] = {}
    out["1101"] = his.ok("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "", "psn_no": psn_no}})
    out["2001"] = his.ok(
        "2001",
        {
            "data": {
                "psn_no": psn_no,
                "insutype": "310",
                "fixmedins_code": his.fixmedins_code,
                "med_type": "11",
                "begntime": "2024-03-01 09:00:00",
            }
        },
    )
    mdtrt_id = register(his, psn_no)
    out["2201"] = his.log[-1]["output"]
    out["2203"] = his.ok(
        "2203",
        {
            "mdtrtinfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": psn_no,
                "med_type": "11",
                "begntime": "2024-03-01 09:00:00",
                "dise_codg": "",
                "dise_name": "",
            },
            "diseinfo": [
                {
                    "diag_type": "1",
                    "diag_srt_no": "1",
                    "diag_code": "J18.900",
                    "diag_name": "肺炎",
                    "diag_dept": "内科",
                    "dise_dor_no": "D001",
                    "dise_dor_name": "王医生",
                    "diag_time": "2024-03-01 09:10:00",
                    "vali_flag": "1",
                }
            ],
        },
    )
    rows = [
        fee_row("1", mdtrt_id, psn_no, "ZL001", "600.00"),
        fee_row("2", mdtrt_id, psn_no, "YP001", "1.20", cnt="10"),
        fee_row("3", mdtrt_id, psn_no, "YP002", "8.50", cnt="2"),
    ]
    out["2204"] = his.ok("2204", {"feedetail": rows})
    total = sum(Decimal(r["det_item_fee_sumamt"]) for r in rows)
    data = settle_data(psn_no, mdtrt_id, str(total))
    out["2206"] = his.ok("2206", data)
    out["2207"] = his.ok("2207", data)
    setl_id = str(out["2207"]["setlinfo"]["setl_id"])
    keys = {"data": {"psn_no": psn_no, "setl_id": setl_id, "mdtrt_id": mdtrt_id}}
    out["5203"] = his.ok("5203", keys)
    out["5204"] = his.ok("5204", keys)
    out["5201"] = his.ok(
        "5201",
        {"data": {"psn_no": psn_no, "begntime": "2024-01-01 00:00:00", "endtime": "2024-12-31 23:59:59"}},
    )
    out["5206"] = his.ok("5206", {"data": {"psn_no": psn_no, "cum_ym": "202403"}})
    out["1901"] = his.ok(
        "1901", {"data": {"type": "fund_pay_type", "parent_value": "", "admdvs": "", "date": ""}}
    )
    out["2208"] = his.ok("2208", {"data": {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": psn_no}})
    out["_mdtrt_id"] = {"value": mdtrt_id}
    return out


def admission(his: His, psn_no: str, insutype: str = "310") -> str:
    info = CERT | {
        "psn_no": psn_no,
        "insutype": insutype,
        "begntime": "2024-03-01 08:00:00",
        "cert_type": "01",
        "med_type": "2101",
        "ipt_no": "ZY0001",
        "atddr_no": "D001",
        "chfpdr_name": "王医生",
        "adm_diag_dscr": "肺炎",
        "adm_dept_codg": "A01",
        "adm_dept_name": "内科",
        "adm_bed": "12",
        "dscg_maindiag_code": "J18.900",
        "dscg_maindiag_name": "肺炎",
        "insuplc_admdvs": "439901",
        "mdtrtarea_admvs": "439901",
    }
    disease = {
        "psn_no": psn_no,
        "diag_type": "1",
        "maindiag_flag": "1",
        "diag_srt_no": 1,
        "diag_code": "J18.900",
        "diag_name": "肺炎",
        "diag_dept": "内科",
        "dise_dor_no": "D001",
        "dise_dor_name": "王医生",
        "diag_time": "2024-03-01 08:00:00",
    }
    return str(his.ok("2401", {"mdtrtinfo": info, "diseinfo": [disease]})["result"]["mdtrt_id"])


def inpatient(his: His, psn_no: str) -> dict[str, dict[str, Any]]:
    """2401 → 2301 → 2303 → 2304 → 2402 → 2305; the outputs by infno."""
    out: dict[str, dict[str, Any]] = {}
    mdtrt_id = admission(his, psn_no)
    out["2401"] = his.log[-1]["output"]
    rows = [
        fee_row("1", mdtrt_id, psn_no, "ZL001", "300.00", cnt="5", med_type="2101"),
        fee_row("2", mdtrt_id, psn_no, "YP001", "1.50", cnt="20", med_type="2101"),
    ]
    out["2301"] = his.ok("2301", {"feedetail": rows})
    total = sum(Decimal(r["det_item_fee_sumamt"]) for r in rows)
    data = settle_data(psn_no, mdtrt_id, str(total), med_type="2101")
    out["2303"] = his.ok("2303", data)
    out["2304"] = his.ok("2304", data)
    setl_id = str(out["2304"]["setlinfo"]["setl_id"])
    out["2402"] = his.ok("2402", discharge_data(mdtrt_id, psn_no))
    out["5202"] = his.ok("5202", {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id}})
    out["2305"] = his.ok("2305", {"data": {"mdtrt_id": mdtrt_id, "setl_id": setl_id, "psn_no": psn_no}})
    out["_mdtrt_id"] = {"value": mdtrt_id}
    return out


def discharge_data(
    mdtrt_id: str, psn_no: str, rows: list[dict[str, Any]] | None = None, **info: Any
) -> dict[str, Any]:
    """The input of a 2402 discharge on 2024-03-05 from 内科 (`info` overrides dscginfo fields; `rows`
    are the oprninfo procedures, left out when None)."""
    body: dict[str, Any] = {
        "dscginfo": {
            "mdtrt_id": mdtrt_id,
            "psn_no": psn_no,
            "insutype": "310",
            "endtime": "2024-03-05 10:00:00",
            "dscg_dept_codg": "A01",
            "dscg_dept_name": "内科",
            "dscg_way": "1",
        }
        | info,
        "diseinfo": [],
    }
    if rows is not None:
        body["oprninfo"] = rows
    return body


def drug_row(sn: str, code: str, price: str, cnt: str = "1", **extra: Any) -> dict[str, Any]:
    """A drugdetail line of a pharmacy purchase (amounts in yuan as text)."""
    total = (Decimal(price) * Decimal(cnt)).quantize(Decimal("0.01"))
    return {
        "feedetl_sn": sn,
        "rxno": "",
        "rx_circ_flag": "0",
        "fee_ocur_time": "2024-03-01 10:00:00",
        "med_list_codg": code,
        "medins_list_codg": code,
        "det_item_fee_sumamt": str(total),
        "cnt": cnt,
        "pric": price,
        "sin_dos_dscr": "",
        "used_frqu_dscr": "",
        "prd_days": "",
        "bilg_dr_codg": "",
    } | extra


def purchase_data(
    psn_no: str, rows: list[dict[str, Any]], insutype: str = "310", **extra: Any
) -> dict[str, Any]:
    """2101/2102 input: druginfo (the person and the purchase) and drugdetail."""
    total = sum(Decimal(r["det_item_fee_sumamt"]) for r in rows)
    info = CERT | {
        "psn_no": psn_no,
        "psn_type": "11",
        "begntime": "2024-03-01 10:00:00",
        "medfee_sumamt": str(total),
        "insutype": insutype,
        "dise_codg": "",
        "acct_used_flag": "1",
        "med_type": "41",
        "invono": "",
    }
    return {"druginfo": info | extra, "drugdetail": rows}


def pharmacy(his: His, psn_no: str, **extra: Any) -> dict[str, dict[str, Any]]:
    """1101 → 2101 → 2102 → 5203 → 2103 at a retail pharmacy; the outputs by infno."""
    out: dict[str, dict[str, Any]] = {}
    out["1101"] = his.ok("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "", "psn_no": psn_no}})
    data = purchase_data(
        psn_no, [drug_row("1", "YP001", "2.00", cnt="10"), drug_row("2", "YP002", "300.00")], **extra
    )
    out["2101"] = his.ok("2101", data)
    out["2102"] = his.ok("2102", data)
    info = out["2102"]["setlinfo"]
    keys = {"data": {"psn_no": psn_no, "setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"]}}
    out["5203"] = his.ok("5203", keys)
    out["2103"] = his.ok("2103", keys)
    return out
