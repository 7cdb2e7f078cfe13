"""Hand-made WAREHOUSE data sets for the monitoring tests: a few visits, lines and events, as files."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from yibao.monitoring.batch import OPTIONAL, REQUIRED


@dataclass
class DataBuilder:
    """Rows of every table as text, the way an extract arrives; defaults make a clean inpatient stay."""

    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {t: [] for t in [*REQUIRED, *OPTIONAL]}
    )
    _sn: int = 0

    def visit(
        self,
        mdtrt_id: str,
        *,
        psn_no: str = "P1",
        gend: str = "1",
        age: int = 40,
        insutype: str = "310",
        fixmedins_code: str = "H1",
        hosp_lv: str = "2",
        begntime: str = "2024-03-01 08:00:00",
        endtime: str | None = "2024-03-05 10:00:00",
        med_type: str = "2101",
        maindiag: str = "I10.x00x002",
        medfee: str = "1000.00",
        dr_code: str = "D1",
        diagnoses: tuple[str, ...] = (),
    ) -> DataBuilder:
        setl_id = f"S{mdtrt_id}"
        self.rows["mdtrt_d"].append(
            {
                "mdtrt_id": mdtrt_id,
                "psn_no": psn_no,
                "gend": gend,
                "brdy": "1984-01-01",
                "age": str(age),
                "insutype": insutype,
                "psn_type": "11",
                "insu_admdvs": "439901",
                "fixmedins_code": fixmedins_code,
                "hosp_lv": hosp_lv,
                "begntime": begntime,
                "endtime": endtime,
                "med_type": med_type,
                "adm_dept_codg": "A03",
                "dscg_dept_codg": "A03",
                "dscg_maindiag_code": maindiag,
                "dscg_way": "1",
                "ipt_days": "4",
                "chfpdr_code": dr_code,
                "mdtrt_cert_type": "02",
            }
        )
        self.rows["setl_d"].append(
            {c: "0.00" for c in REQUIRED["setl_d"]}
            | {
                "setl_id": setl_id,
                "mdtrt_id": mdtrt_id,
                "psn_no": psn_no,
                "insutype": insutype,
                "fixmedins_code": fixmedins_code,
                "hosp_lv": hosp_lv,
                "setl_time": endtime or begntime,
                "med_type": med_type,
                "medfee_sumamt": medfee,
                "refd_setl_flag": "0",
                "init_setl_id": None,
                "year": begntime[:4],
            }
        )
        for n, code in enumerate((maindiag, *diagnoses)):
            self.rows["setl_list_diag_d"].append(
                {
                    "setl_id": setl_id,
                    "mdtrt_id": mdtrt_id,
                    "psn_no": psn_no,
                    "diag_type": "1",
                    "maindiag_flag": "1" if n == 0 else "0",
                    "diag_code": code,
                    "diag_name": code,
                }
            )
        return self

    def fee(
        self,
        mdtrt_id: str,
        code: str,
        *,
        time: str = "2024-03-02 09:00:00",
        cnt: str = "1",
        pric: str = "10.00",
        cap: str | None = None,
        name: str = "",
        list_type: str = "201",
        prd_days: str = "0",
        tkdrug: str = "0",
        hosp_code: str | None = None,
        bkkp_sn: str | None = None,
        amount: str | None = None,
        dept: str = "A03",
        dr_code: str = "D1",
    ) -> str:
        """Add one fee line; returns its bkkp_sn."""
        self._sn += 1
        sn = bkkp_sn or f"L{self._sn:05d}"
        visit = next(v for v in self.rows["mdtrt_d"] if v["mdtrt_id"] == mdtrt_id)
        total = amount or str((Decimal(cnt) * Decimal(pric)).quantize(Decimal("0.01")))
        self.rows["fee_list_d"].append(
            {
                "bkkp_sn": sn,
                "mdtrt_id": mdtrt_id,
                "setl_id": f"S{mdtrt_id}",
                "psn_no": visit["psn_no"],
                "fixmedins_code": visit["fixmedins_code"],
                "fee_ocur_time": time,
                "med_list_codg": code,
                "medins_list_codg": hosp_code or f"H-{code}",
                "hilist_name": name or code,
                "list_type": list_type,
                "med_chrgitm_type": "05",
                "chrgitm_lv": "01",
                "cnt": cnt,
                "pric": pric,
                "det_item_fee_sumamt": total,
                "pric_uplmt_amt": cap,
                "selfpay_prop": "0",
                "fulamt_ownpay_amt": "0.00",
                "overlmt_selfpay": "0.00",
                "preselfpay_amt": "0.00",
                "inscp_amt": total,
                "bilg_dept_codg": dept,
                "bilg_dr_code": dr_code,
                "prd_days": prd_days,
                "dscg_tkdrug_flag": tkdrug,
            }
        )
        return sn

    def institution(self, code: str, fixmedins_type: str = "1", hosp_lv: str | None = "2") -> DataBuilder:
        self.rows["fixmedins_b"].append(
            {
                "fixmedins_code": code,
                "fixmedins_name": code,
                "fixmedins_type": fixmedins_type,
                "hosp_lv": hosp_lv,
                "admdvs": "439901",
            }
        )
        return self

    def round(
        self, mdtrt_id: str, in_bed: int, *, time: str = "2024-03-03 10:00:00", code: str = "H1"
    ) -> None:
        n = len(self.rows["ward_round_d"]) + 1
        self.rows["ward_round_d"].append(
            {
                "round_id": f"R{n}",
                "fixmedins_code": code,
                "round_time": time,
                "mdtrt_id": mdtrt_id,
                "in_bed": str(in_bed),
            }
        )

    def check(self, mdtrt_id: str, result: int, *, time: str = "2024-03-01 08:05:00") -> None:
        self.rows["identity_check_d"].append(
            {"mdtrt_id": mdtrt_id, "check_time": time, "result": str(result)}
        )

    def special(
        self,
        psn_no: str,
        code: str,
        *,
        fixmedins_code: str = "H1",
        dept: str | None = "A03",
        dr_code: str | None = "D1",
        max_cnt_month: str | None = None,
        begndate: str = "2024-01-01",
        enddate: str | None = None,
    ) -> None:
        """Register a person for a special drug (特殊药品备案: hospital, department, doctor, monthly dose)."""
        self.rows["special_drug_b"].append(
            {
                "psn_no": psn_no,
                "med_list_codg": code,
                "fixmedins_code": fixmedins_code,
                "dept_codg": dept,
                "dr_code": dr_code,
                "max_cnt_month": max_cnt_month,
                "begndate": begndate,
                "enddate": enddate,
            }
        )

    def write(self, folder: Path, fmt: str = "parquet") -> Path:
        """Every table with rows (the required ones always) as `<table>.parquet` or `.csv`, all text."""
        folder.mkdir(parents=True, exist_ok=True)
        for table, rows in self.rows.items():
            if not rows and table in OPTIONAL:
                continue
            columns = REQUIRED.get(table) or OPTIONAL[table]
            arrow = pa.table(
                {
                    c: pa.array([None if r.get(c) is None else str(r[c]) for r in rows], type=pa.string())
                    for c in columns
                }
            )
            if fmt == "parquet":
                pq.write_table(arrow, folder / f"{table}.parquet")
            else:
                pacsv.write_csv(arrow, folder / f"{table}.csv")
        return folder
