"""A simulated hospital system (HIS) that speaks the national interface over HTTP, signing each
request like a real client: sign-in, then outpatient (1101→2201→2204→2206→2207→2208) and inpatient
(2401→2301→2303→2304→2402→2305) flows. Used by `yibao interface his-sim`, the demo and tests."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from yibao.core.clock import LOCAL_TZ
from yibao.interface.nhsa.gateway import signed_headers
from yibao.interface.nhsa.jsontext import dumps, loads

ENDPOINT = "/fsi/api/rsfComIfsService/callService"


@dataclass(frozen=True)
class Step:
    """One transaction sent: its number, infcode, time taken and refusal text."""

    infno: str
    infcode: int
    millis: float
    err_msg: str | None


@dataclass
class SimulatedHis:
    """One institution's HIS: credential, sign-in, a sequence for msgids, the steps it ran."""

    base_url: str
    access_key: str
    secret: str
    fixmedins_code: str
    admdvs: str = "439901"
    timeout: float = 30.0
    sign_no: str = ""
    steps: list[Step] = field(default_factory=list)
    # None: over the network; the demo passes a transport that serves the call in process.
    transport: httpx.BaseTransport | None = None
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=self.timeout, transport=self.transport)

    def close(self) -> None:
        self.http.close()

    def msgid(self) -> str:
        """fixmedins_code + yyyyMMddHHmmss + 4-digit sequence (30 characters for a 12-character code)."""
        return f"{self.fixmedins_code}{datetime.now(LOCAL_TZ):%Y%m%d%H%M%S}{next(self._seq) % 10000:04d}"

    def call(self, infno: str, data: dict[str, Any]) -> dict[str, Any]:
        """Send one signed transaction and answer the common output."""
        body = {
            "infno": infno,
            "msgid": self.msgid(),
            "mdtrtarea_admvs": self.admdvs,
            "insuplc_admdvs": self.admdvs,
            "recer_sys_code": "FSI_LOCAL",
            "dev_no": "",
            "dev_safe_info": "",
            "cainfo": "",
            "signtype": "SM2",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "sim",
            "opter_name": "模拟收费员",
            "inf_time": datetime.now(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            "fixmedins_code": self.fixmedins_code,
            "fixmedins_name": self.fixmedins_code,
            "sign_no": self.sign_no,
            "input": data,
        }
        headers = signed_headers(
            access_key=self.access_key, secret=self.secret, now_ms=int(time.time() * 1000)
        )
        headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        response = self.http.post(ENDPOINT, content=dumps(body), headers=headers)
        millis = (time.perf_counter() - started) * 1000
        answer = loads(response.content) if response.status_code == 200 else {}
        if not isinstance(answer, dict) or "infcode" not in answer:
            answer = {"infcode": -1, "err_msg": f"HTTP {response.status_code}", "output": {}}
        self.steps.append(Step(infno, int(answer["infcode"]), millis, answer.get("err_msg")))
        return answer

    def ok(self, infno: str, data: dict[str, Any]) -> dict[str, Any]:
        """Send and require infcode 0; raise with the refusal otherwise."""
        answer = self.call(infno, data)
        if answer["infcode"] != 0:
            raise RuntimeError(f"{infno}: {answer.get('err_msg')}")
        output = answer["output"]
        assert isinstance(output, dict)
        return output

    def sign_in(self) -> str:
        """9001 sign-in; the sign_no travels with every later call."""
        out = self.ok("9001", {"signIn": {"opter_no": "sim", "mac": "00-00-00-00-00-00", "ip": "127.0.0.1"}})
        self.sign_no = str(out["signinoutb"]["sign_no"])
        return self.sign_no


def _line(sn: str, mdtrt_id: str, psn_no: str, code: str, price: str, cnt: str, when: str) -> dict[str, Any]:
    total = (Decimal(price) * Decimal(cnt)).quantize(Decimal("0.01"))
    return {
        "feedetl_sn": sn,
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "chrg_bchno": "1",
        "fee_ocur_time": when,
        "med_list_codg": "",
        "medins_list_codg": code,
        "det_item_fee_sumamt": str(total),
        "cnt": cnt,
        "pric": price,
        "bilg_dept_codg": "A01",
        "bilg_dept_name": "内科",
        "bilg_dr_codg": "D001",
        "bilg_dr_name": "模拟医生",
        "hosp_appr_flag": "1",
        "rx_circ_flag": "0",
    }


def _settle_data(psn_no: str, mdtrt_id: str, insutype: str, med_type: str, total: Decimal) -> dict[str, Any]:
    return {
        "data": {
            "psn_no": psn_no,
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": "",
            "psn_cert_type": "01",
            "certno": "",
            "psn_type": "",
            "psn_name": "",
            "med_type": med_type,
            "medfee_sumamt": str(total),
            "psn_setlway": "01",
            "mdtrt_id": mdtrt_id,
            "chrg_bchno": "1",
            "insutype": insutype,
            "acct_used_flag": "1",
            "mid_setl_flag": "0",
        }
    }


def outpatient(
    his: SimulatedHis, *, psn_no: str, day: str, lines: list[tuple[str, str, str]], reverse: bool
) -> str:
    """1101 → 2201 → 2204 → 2206 → 2207 (→ 2208); answers the setl_id."""
    person = his.ok("1101", {"data": {"mdtrt_cert_type": "02", "psn_no": psn_no}})
    insutype = str(person["insuinfo"][0]["insutype"])
    mdtrt_id = str(
        his.ok(
            "2201",
            {
                "data": {
                    "psn_no": psn_no,
                    "insutype": insutype,
                    "begntime": f"{day} 09:00:00",
                    "ipt_otp_no": "MZ1",
                }
            },
        )["data"]["mdtrt_id"]
    )
    rows = [
        _line(str(i + 1), mdtrt_id, psn_no, c, p, n, f"{day} 09:30:00") for i, (c, p, n) in enumerate(lines)
    ]
    his.ok("2204", {"feedetail": rows})
    total = sum((Decimal(r["det_item_fee_sumamt"]) for r in rows), Decimal(0))
    data = _settle_data(psn_no, mdtrt_id, insutype, "11", total)
    his.ok("2206", data)
    setl_id = str(his.ok("2207", data)["setlinfo"]["setl_id"])
    if reverse:
        his.ok("2208", {"data": {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": psn_no}})
    return setl_id


def inpatient(
    his: SimulatedHis,
    *,
    psn_no: str,
    day: str,
    end_day: str,
    lines: list[tuple[str, str, str]],
    diagnosis: str,
    reverse: bool,
    procedure: str | None = None,
) -> str:
    """2401 → 2301 → 2303 → 2304 → 2402 (→ 2305); answers the setl_id. A procedure code (ICD-9-CM-3
    医保版) is sent with the discharge as its main procedure."""
    person = his.ok("1101", {"data": {"mdtrt_cert_type": "02", "psn_no": psn_no}})
    insutype = str(person["insuinfo"][0]["insutype"])
    info = {
        "psn_no": psn_no,
        "insutype": insutype,
        "begntime": f"{day} 08:00:00",
        "med_type": "2101",
        "ipt_no": "ZY1",
        "atddr_no": "D001",
        "adm_dept_codg": "A01",
        "dscg_maindiag_code": diagnosis,
    }
    mdtrt_id = str(his.ok("2401", {"mdtrtinfo": info, "diseinfo": []})["result"]["mdtrt_id"])
    rows = [
        _line(str(i + 1), mdtrt_id, psn_no, c, p, n, f"{day} 10:00:00") for i, (c, p, n) in enumerate(lines)
    ]
    his.ok("2301", {"feedetail": rows})
    total = sum((Decimal(r["det_item_fee_sumamt"]) for r in rows), Decimal(0))
    data = _settle_data(psn_no, mdtrt_id, insutype, "2101", total)
    his.ok("2303", data)
    setl_id = str(his.ok("2304", data)["setlinfo"]["setl_id"])
    discharge = {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "endtime": f"{end_day} 10:00:00"}
    if procedure:
        discharge["oprn_oprt_code"] = procedure
    his.ok("2402", {"dscginfo": discharge})
    if reverse:
        his.ok("2305", {"data": {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": psn_no}})
    return setl_id


def pharmacy(
    his: SimulatedHis, *, psn_no: str, day: str, lines: list[tuple[str, str, str]], reverse: bool
) -> str:
    """A retail pharmacy: 1101 → 2101 → 2102 (→ 2103), no registration; answers the setl_id."""
    person = his.ok("1101", {"data": {"mdtrt_cert_type": "02", "psn_no": psn_no}})
    base = person["baseinfo"]
    insutype = str(person["insuinfo"][0]["insutype"])
    rows = [
        {
            "feedetl_sn": str(i + 1),
            "rx_circ_flag": "0",
            "fee_ocur_time": f"{day} 10:00:00",
            "med_list_codg": code,
            "medins_list_codg": code,
            "det_item_fee_sumamt": str((Decimal(price) * Decimal(cnt)).quantize(Decimal("0.01"))),
            "cnt": cnt,
            "pric": price,
        }
        for i, (code, price, cnt) in enumerate(lines)
    ]
    total = sum((Decimal(r["det_item_fee_sumamt"]) for r in rows), Decimal(0))
    info = {
        "psn_no": psn_no,
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": str(base["certno"]),
        "psn_cert_type": "01",
        "certno": str(base["certno"]),
        "psn_type": str(person["insuinfo"][0].get("psn_type") or "11"),
        "psn_name": str(base["psn_name"]),
        "begntime": f"{day} 10:00:00",
        "medfee_sumamt": str(total),
        "insutype": insutype,
        "acct_used_flag": "1",
        "med_type": "41",
    }
    data = {"druginfo": info, "drugdetail": rows}
    his.ok("2101", data)
    out = his.ok("2102", data)["setlinfo"]
    setl_id = str(out["setl_id"])
    if reverse:
        his.ok("2103", {"data": {"setl_id": setl_id, "mdtrt_id": str(out["mdtrt_id"]), "psn_no": psn_no}})
    return setl_id
