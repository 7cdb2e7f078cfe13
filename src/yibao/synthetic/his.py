"""The demo's hospitals and pharmacies: each designated institution's system (HIS) sends its visits through
the national interface in process.

Every institution of the region gets an interface credential (接入密钥) and signs in (9001); its HIS is the
interface's simulated HIS (`interface.his_sim.SimulatedHis`: the common input, the msgid, the HmacSHA1
gateway headers) over a transport that hands each request to `interface.service.call_service`, the function
the FastAPI route calls, without a socket. A visit is sent as a hospital sends it:

- outpatient (普通门诊 11, 门诊慢特病 14 …): 2201 registration → 2203 visit upload (medical type, diagnoses,
  disease) → 2204 fee lines → 2206 pre-settlement → 2207 settlement;
- inpatient (2101 …): 2401 admission (principal diagnosis, department, doctor) → 2301 fee lines → 2402
  discharge (with the main procedure) → 2303 pre-settlement → 2304 settlement;
- pharmacy purchase (41): 2101 pre-settlement → 2102 settlement (registration, lines, settlement in one).

Money travels in yuan with two decimals (prices as yuan per unit); the interface converts back to fen.
A refused step is raised as `RefusedError` with the interface's error code; the visit is then withdrawn
as its HIS would (2205 + 2202; a stay 2405 + 2302 + 2404), so nothing of it stays in force.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from yibao.core.db import utcnow
from yibao.core.security import SYSTEM
from yibao.domain.money import fen_to_yuan, yuan_to_fen
from yibao.interface import service as interface
from yibao.interface.his_sim import SimulatedHis
from yibao.synthetic.generator import Visit
from yibao.synthetic.world import World

STAMP = "%Y-%m-%d %H:%M:%S"
PHARMACY = "41"


class RefusedError(Exception):
    """A transaction answered infcode -1: its infno, the error code and the message."""

    def __init__(self, infno: str, err_msg: str) -> None:
        code, _, message = err_msg.partition("] ")
        self.infno = infno
        self.code = code.removeprefix("[") if message else "REFUSED"
        self.message = message or err_msg
        super().__init__(f"{infno}: {err_msg}")


class InProcessTransport(httpx.BaseTransport):
    """Serves each HTTP request of a `SimulatedHis` by `interface.service.call_service`, as the route does."""

    def __init__(self, new_uow: Callable[..., Any], secret_key: str) -> None:
        self.new_uow = new_uow
        self.secret_key = secret_key

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = interface.call_service(
            new_uow=self.new_uow,
            secret_key=self.secret_key,
            headers=dict(request.headers),
            body=request.read(),
            now=utcnow(),
        )
        content = answer if isinstance(answer, bytes) else answer.encode("utf-8")
        return httpx.Response(200, content=content, headers={"content-type": "application/json"})


@dataclass
class Sent:
    """What one visit's settlement answered: setl_id and the amounts in fen (the HIS's own books)."""

    setl_id: str
    medfee_sumamt: int
    fund_pay_sumamt: int
    acct_pay: int


class Region:
    """The region's institutions as interface clients: one signed-in HIS each, made on first use."""

    def __init__(self, container: Any, world: World, psn_of: dict[int, str]) -> None:
        self.world = world
        self.psn_of = psn_of
        self.transport = InProcessTransport(container.uow, container.settings.secret_key)
        self.container = container
        self.secrets: dict[str, tuple[str, str]] = {}
        self.his: dict[int, SimulatedHis] = {}
        self.calls: Counter[str] = Counter()

    def issue_credentials(self) -> int:
        """An access key and secret for every institution (`interface.create_credential`, one transaction)."""
        inst = self.world.institutions
        with self.container.uow(SYSTEM) as uow:
            for code in inst.code:
                created = interface.create_credential(
                    uow=uow, fixmedins_code=code, secret_key=self.container.settings.secret_key
                )
                self.secrets[code] = (created.credential.access_key, created.secret)
        return len(self.secrets)

    def of(self, inst: int) -> SimulatedHis:
        his = self.his.get(inst)
        if his is None:
            code = self.world.institutions.code[inst]
            access_key, secret = self.secrets[code]
            his = SimulatedHis(
                base_url="http://in-process",
                access_key=access_key,
                secret=secret,
                fixmedins_code=code,
                admdvs=self.world.admdvs,
                transport=self.transport,
            )
            self.his[inst] = his
            his.sign_in()
            self.calls["9001"] += 1
        return his

    def close(self) -> None:
        for his in self.his.values():
            his.close()

    # ------------------------------------------------------------------------------------------ flows

    def send(self, visit: Visit, *, medfee_claimed: int | None = None) -> Sent:
        """Send one visit through the interface; answers the settlement. `medfee_claimed` overrides the
        total the HIS claims (a test's way to have the platform refuse a bill)."""
        his = self.of(visit.inst)
        his.steps.clear()  # the simulated HIS logs each step for its load report; the demo keeps counts
        if visit.med_type == PHARMACY:
            return self._purchase(his, visit, medfee_claimed)
        mdtrt_id = ""
        discharged = False
        try:
            if visit.med_type.startswith("2"):
                mdtrt_id = self._admit(his, visit)
                total = self._lines(his, "2301", visit, mdtrt_id)
                self._ok(his, "2402", {"dscginfo": self._discharge(visit, mdtrt_id)})
                discharged = True
                pre, settle = "2303", "2304"
            else:
                mdtrt_id = self._register(his, visit)
                total = self._lines(his, "2204", visit, mdtrt_id)
                pre, settle = "2206", "2207"
            data = self._settle_data(visit, mdtrt_id, total if medfee_claimed is None else medfee_claimed)
            self._ok(his, pre, data)
            return _sent(self._ok(his, settle, data))
        except RefusedError:
            if mdtrt_id:
                self._withdraw(his, visit, mdtrt_id, discharged)
            raise

    def _ok(self, his: SimulatedHis, infno: str, data: dict[str, Any]) -> dict[str, Any]:
        answer = his.call(infno, data)
        if answer.get("infcode") != 0:
            raise RefusedError(infno, str(answer.get("err_msg") or ""))
        self.calls[infno] += 1
        output = answer["output"]
        assert isinstance(output, dict)
        return output

    def _psn(self, visit: Visit) -> tuple[str, str]:
        return self.psn_of[visit.person], str(self.world.persons.insutype[visit.person])

    def _register(self, his: SimulatedHis, visit: Visit) -> str:
        """2201 then 2203 (the medical type, diagnoses principal first, the chronic disease)."""
        psn_no, insutype = self._psn(visit)
        data: dict[str, Any] = {
            "psn_no": psn_no,
            "insutype": insutype,
            "begntime": visit.begin.strftime(STAMP),
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": psn_no,
            "ipt_otp_no": f"MZ{visit.begin:%Y%m%d%H%M%S}",
            "med_type": visit.med_type,
        }
        if visit.dept:
            data["dept_code"] = visit.dept
        if visit.doctor:
            data["atddr_no"] = visit.doctor
        if visit.disease:
            data["dise_codg"] = visit.disease
        mdtrt_id = str(self._ok(his, "2201", {"data": data})["data"]["mdtrt_id"])
        info: dict[str, Any] = {
            "mdtrt_id": mdtrt_id,
            "psn_no": psn_no,
            "med_type": visit.med_type,
            "begntime": visit.begin.strftime(STAMP),
        }
        if visit.disease:
            info["dise_codg"] = visit.disease
        upload: dict[str, Any] = {"mdtrtinfo": info}
        if visit.diagnoses:
            upload["diseinfo"] = _diseinfo(mdtrt_id, psn_no, visit.diagnoses)
        self._ok(his, "2203", upload)
        return mdtrt_id

    def _admit(self, his: SimulatedHis, visit: Visit) -> str:
        psn_no, insutype = self._psn(visit)
        info: dict[str, Any] = {
            "psn_no": psn_no,
            "insutype": insutype,
            "begntime": visit.begin.strftime(STAMP),
            "med_type": visit.med_type,
            "mdtrt_cert_type": "02",
            "ipt_no": f"ZY{visit.begin:%Y%m%d%H%M%S}",
            "dscg_maindiag_code": visit.diagnoses[0],
        }
        if visit.dept:
            info["adm_dept_codg"] = visit.dept
        if visit.doctor:
            info["atddr_no"] = visit.doctor
        extra = _diseinfo("", psn_no, visit.diagnoses)[1:]
        out = self._ok(his, "2401", {"mdtrtinfo": info, "diseinfo": extra})
        return str(out["result"]["mdtrt_id"])

    def _discharge(self, visit: Visit, mdtrt_id: str) -> dict[str, Any]:
        info: dict[str, Any] = {
            "mdtrt_id": mdtrt_id,
            "psn_no": self.psn_of[visit.person],
            "endtime": visit.end.strftime(STAMP),
        }
        if visit.procedure is not None:
            info["oprn_oprt_code"], info["oprn_oprt_name"] = visit.procedure
        return info

    def _fee_rows(self, visit: Visit, mdtrt_id: str) -> tuple[list[dict[str, Any]], int]:
        items = self.world.catalog.items
        psn_no = self.psn_of[visit.person]
        rows, total = [], 0
        for k, (item, qty, price, at, _prd, _dscg, goods) in enumerate(visit.lines):
            amount = int(price) * int(qty)
            total += amount
            row = {
                "feedetl_sn": f"{k:04d}",
                "mdtrt_id": mdtrt_id,
                "psn_no": psn_no,
                "chrg_bchno": "1",
                "rx_circ_flag": "0",
                "fee_ocur_time": at.strftime(STAMP),
                "med_list_codg": items[int(item)].code,
                "medins_list_codg": f"{'G' if goods is not None else 'L'}{int(item):05d}",
                "medins_list_name": str(goods or items[int(item)].name),
                "det_item_fee_sumamt": fen_to_yuan(amount),
                "cnt": str(int(qty)),
                "pric": fen_to_yuan(int(price)),
            }
            if visit.dept:
                row["bilg_dept_codg"] = visit.dept
            if visit.doctor:
                row["bilg_dr_codg"] = visit.doctor
            rows.append(row)
        return rows, total

    def _lines(self, his: SimulatedHis, infno: str, visit: Visit, mdtrt_id: str) -> int:
        rows, total = self._fee_rows(visit, mdtrt_id)
        self._ok(his, infno, {"feedetail": rows})
        return total

    def _settle_data(self, visit: Visit, mdtrt_id: str, total: int) -> dict[str, Any]:
        psn_no, insutype = self._psn(visit)
        return {
            "data": {
                "psn_no": psn_no,
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": psn_no,
                "med_type": visit.med_type,
                "medfee_sumamt": fen_to_yuan(total),
                "psn_setlway": "01",
                "mdtrt_id": mdtrt_id,
                "chrg_bchno": "1",
                "insutype": insutype,
                "acct_used_flag": "1",
                "mid_setl_flag": "0",
            }
        }

    def _purchase(self, his: SimulatedHis, visit: Visit, medfee_claimed: int | None) -> Sent:
        """2101 → 2102: the pharmacy's purchase settled in one call (no registration)."""
        psn_no, insutype = self._psn(visit)
        p = self.world.persons
        rows, total = self._fee_rows(visit, "")
        for row in rows:
            for key in ("mdtrt_id", "psn_no", "chrg_bchno", "medins_list_name"):
                row.pop(key, None)
        certno = str(p.certno[visit.person])
        info = {
            "psn_no": psn_no,
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": certno,
            "psn_cert_type": "01",
            "certno": certno,
            "psn_type": str(p.psn_type[visit.person]),
            "psn_name": f"参保人{visit.person + 1}",
            "begntime": visit.begin.strftime(STAMP),
            "medfee_sumamt": fen_to_yuan(total if medfee_claimed is None else medfee_claimed),
            "insutype": insutype,
            "acct_used_flag": "1",
            "med_type": visit.med_type,
        }
        data = {"druginfo": info, "drugdetail": rows}
        self._ok(his, "2101", data)
        return _sent(self._ok(his, "2102", data))

    def _withdraw(self, his: SimulatedHis, visit: Visit, mdtrt_id: str, discharged: bool) -> None:
        """Withdraw a visit whose settlement was refused, as its HIS would: the lines (2205 / 2302, "0000"
        all of them), then the visit (2202; a stay: 2405 undoes the discharge first, then 2404)."""
        ids = {"mdtrt_id": mdtrt_id, "psn_no": self.psn_of[visit.person]}
        if visit.med_type.startswith("2"):
            steps = [("2405", ids)] if discharged else []
            steps += [("2302", ids | {"feedetl_sn": "0000"}), ("2404", ids)]
        else:
            steps = [("2205", ids | {"chrg_bchno": "0000"}), ("2202", ids)]
        for infno, data in steps:
            if his.call(infno, {"data": data}).get("infcode") == 0:
                self.calls[infno] += 1


def _diseinfo(mdtrt_id: str, psn_no: str, codes: list[str]) -> list[dict[str, Any]]:
    """Diagnoses as diseinfo rows, the first the principal one (maindiag_flag 1)."""
    return [
        {
            "mdtrt_id": mdtrt_id,
            "psn_no": psn_no,
            "diag_type": "1",
            "diag_srt_no": n + 1,
            "diag_code": code,
            "maindiag_flag": "1" if n == 0 else "0",
            "vali_flag": "1",
        }
        for n, code in enumerate(codes)
    ]


def _fen(value: Any) -> int:
    return yuan_to_fen(Decimal(str(value)), field="setlinfo")


def _sent(output: dict[str, Any]) -> Sent:
    info = output["setlinfo"]
    return Sent(
        setl_id=str(info["setl_id"]),
        medfee_sumamt=_fen(info["medfee_sumamt"]),
        fund_pay_sumamt=_fen(info["fund_pay_sumamt"]),
        acct_pay=_fen(info["acct_pay"]),
    )
