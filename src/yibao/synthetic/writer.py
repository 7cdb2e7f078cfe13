"""Writing a synthetic region in the batch interchange layout (WAREHOUSE.md): one file per table + labels.

Money is yuan with two decimals (decimal128 in Parquet, `12.30` in CSV), times `yyyy-MM-dd HH:mm:ss`,
dates `yyyy-MM-dd`. Tables are appended chunk by chunk (ParquetWriter / CSVWriter), so memory stays
bounded.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from yibao.synthetic.generator import Chunk, Generator
from yibao.synthetic.knobs import Knobs
from yibao.synthetic.world import World

GC_THRESHOLD = 50_000  # allocations between the collector's youngest passes while generating
MONEY = pa.decimal128(16, 2)
TIME = pa.timestamp("s")
S = pa.string()

# Column order exactly as WAREHOUSE.md (required tables, then yibao's registries and events).
SCHEMAS: dict[str, pa.Schema] = {
    "mdtrt_d": pa.schema(
        [
            ("mdtrt_id", S),
            ("psn_no", S),
            ("gend", S),
            ("brdy", pa.date32()),
            ("age", pa.int32()),
            ("insutype", S),
            ("psn_type", S),
            ("insu_admdvs", S),
            ("fixmedins_code", S),
            ("hosp_lv", S),
            ("begntime", TIME),
            ("endtime", TIME),
            ("med_type", S),
            ("adm_dept_codg", S),
            ("dscg_dept_codg", S),
            ("dscg_maindiag_code", S),
            ("dscg_way", S),
            ("ipt_days", pa.int32()),
            ("chfpdr_code", S),
            ("mdtrt_cert_type", S),
        ]
    ),
    "setl_d": pa.schema(
        [
            ("setl_id", S),
            ("mdtrt_id", S),
            ("psn_no", S),
            ("insutype", S),
            ("fixmedins_code", S),
            ("hosp_lv", S),
            ("setl_time", TIME),
            ("med_type", S),
            ("medfee_sumamt", MONEY),
            ("fulamt_ownpay_amt", MONEY),
            ("overlmt_selfpay", MONEY),
            ("preselfpay_amt", MONEY),
            ("inscp_amt", MONEY),
            ("act_pay_dedc", MONEY),
            ("hifp_pay", MONEY),
            ("cvlserv_pay", MONEY),
            ("hifmi_pay", MONEY),
            ("maf_pay", MONEY),
            ("fund_pay_sumamt", MONEY),
            ("psn_pay", MONEY),
            ("acct_pay", MONEY),
            ("cash_payamt", MONEY),
            ("refd_setl_flag", S),
            ("init_setl_id", S),
            ("year", pa.int32()),
        ]
    ),
    "fee_list_d": pa.schema(
        [
            ("bkkp_sn", S),
            ("mdtrt_id", S),
            ("setl_id", S),
            ("psn_no", S),
            ("fixmedins_code", S),
            ("fee_ocur_time", TIME),
            ("med_list_codg", S),
            ("medins_list_codg", S),
            ("hilist_name", S),
            ("list_type", S),
            ("med_chrgitm_type", S),
            ("chrgitm_lv", S),
            ("cnt", pa.decimal128(12, 2)),
            ("pric", MONEY),
            ("det_item_fee_sumamt", MONEY),
            ("pric_uplmt_amt", MONEY),
            ("selfpay_prop", pa.decimal128(6, 4)),
            ("fulamt_ownpay_amt", MONEY),
            ("overlmt_selfpay", MONEY),
            ("preselfpay_amt", MONEY),
            ("inscp_amt", MONEY),
            ("bilg_dept_codg", S),
            ("bilg_dr_code", S),
            ("prd_days", pa.int32()),
            ("dscg_tkdrug_flag", S),
        ]
    ),
    "setl_list_diag_d": pa.schema(
        [
            ("setl_id", S),
            ("mdtrt_id", S),
            ("psn_no", S),
            ("diag_type", S),
            ("maindiag_flag", S),
            ("diag_code", S),
            ("diag_name", S),
        ]
    ),
    "setl_list_oprn_d": pa.schema(
        [
            ("setl_id", S),
            ("mdtrt_id", S),
            ("psn_no", S),
            ("main_oprn_flag", S),
            ("oprn_oprt_code", S),
            ("oprn_oprt_name", S),
            ("oprn_oprt_date", TIME),
        ]
    ),
    "fixmedins_b": pa.schema(
        [
            ("fixmedins_code", S),
            ("fixmedins_name", S),
            ("fixmedins_type", S),
            ("hosp_lv", S),
            ("admdvs", S),
        ]
    ),
    "psn_b": pa.schema(
        [
            ("psn_no", S),
            ("gend", S),
            ("brdy", pa.date32()),
            ("insutype", S),
            ("psn_type", S),
            ("insu_admdvs", S),
        ]
    ),
    "ward_round_d": pa.schema(
        [
            ("round_id", S),
            ("fixmedins_code", S),
            ("round_time", TIME),
            ("mdtrt_id", S),
            ("in_bed", pa.int8()),
        ]
    ),
    "identity_check_d": pa.schema([("mdtrt_id", S), ("check_time", TIME), ("result", pa.int8())]),
    # The special drug registry (特殊药品备案, 五定) the monitoring rules YB10000101014000–018000 read.
    "special_drug_b": pa.schema(
        [
            ("psn_no", S),
            ("med_list_codg", S),
            ("fixmedins_code", S),
            ("dept_codg", S),
            ("dr_code", S),
            ("max_cnt_month", pa.int32()),
            ("begndate", pa.date32()),
            ("enddate", pa.date32()),
        ]
    ),
    "labels": pa.schema(
        [
            ("rule_family", S),
            ("scope", S),
            ("bkkp_sn", S),
            ("mdtrt_id", S),
            ("psn_no", S),
            ("fixmedins_code", S),
            ("dr_code", S),
            ("detail", S),
        ]
    ),
}
TABLES = tuple(SCHEMAS)


def _from_unscaled(
    values: np.ndarray, valid: np.ndarray | None = None, kind: pa.DataType = MONEY
) -> pa.Array:
    """A decimal128 array (yuan, scale 2, by default) of the unscaled `values`, without Python objects."""
    low = np.asarray(values, dtype=np.int64)
    high = np.where(low < 0, -1, 0).astype(np.int64)
    buffer = np.empty(len(low) * 2, dtype=np.int64)
    buffer[0::2] = low
    buffer[1::2] = high
    bitmap = None
    nulls = 0
    if valid is not None:
        bitmap = pa.py_buffer(np.packbits(valid.astype(np.uint8), bitorder="little").tobytes())
        nulls = int((~valid).sum())
    return pa.Array.from_buffers(kind, len(low), [bitmap, pa.py_buffer(buffer.tobytes())], null_count=nulls)


def money(fen: list[int] | np.ndarray) -> pa.Array:
    """Integer fen as yuan with two decimals (exact)."""
    return _from_unscaled(np.asarray(fen, dtype=np.int64))


@dataclass
class Counts:
    """Rows written per table, and the totals a run reports."""

    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    medfee_fen: int = 0
    fund_fen: int = 0


class DatasetWriter:
    """Appends tables to `<out>/<table>.parquet` or `.csv`."""

    def __init__(self, out: Path, fmt: str) -> None:
        self.out = out
        self.fmt = fmt
        self._writers: dict[str, Any] = {}
        self.counts = Counts()

    def write(self, table: str, columns: dict[str, Any]) -> None:
        schema = SCHEMAS[table]
        arrays = []
        for f in schema:
            value = columns[f.name]
            arrays.append(value if isinstance(value, pa.Array) else pa.array(value, f.type))
        batch = pa.Table.from_arrays(arrays, schema=schema)
        writer = self._writers.get(table)
        if writer is None:
            path = self.out / f"{table}.{self.fmt}"
            if self.fmt == "parquet":
                writer = pq.ParquetWriter(path, schema, compression="zstd")
            else:
                writer = pacsv.CSVWriter(path, schema)
            self._writers[table] = writer
        writer.write_table(batch)
        self.counts.rows[table] += batch.num_rows

    def close(self) -> None:
        for table in TABLES:  # every table exists, even when empty
            if table not in self._writers:
                self.write(table, {f.name: [] for f in SCHEMAS[table]})
        for writer in self._writers.values():
            writer.close()


def _fmt_bp(bp: int) -> str:
    return f"{bp / 10000:.4f}"


def write_chunk(writer: DatasetWriter, gen: Generator, chunk: Chunk) -> int:  # noqa: PLR0915
    """Write one chunk's visits, settlements, lines, diagnoses, procedures, events and labels.

    Answers the number of fee lines written."""
    w: World = gen.world
    p = w.persons
    inst = w.institutions
    items = w.catalog.items
    admdvs = w.admdvs
    mdtrt: dict[str, list[Any]] = {f.name: [] for f in SCHEMAS["mdtrt_d"]}
    setl: dict[str, list[Any]] = {f.name: [] for f in SCHEMAS["setl_d"] if f.type != MONEY}
    setl_money: dict[str, list[int]] = {f.name: [] for f in SCHEMAS["setl_d"] if f.type == MONEY}
    fee_str: dict[str, list[Any]] = {
        n: []
        for n in (
            "bkkp_sn",
            "mdtrt_id",
            "setl_id",
            "psn_no",
            "fixmedins_code",
            "fee_ocur_time",
            "hilist_name",
            "bilg_dept_codg",
            "bilg_dr_code",
            "prd_days",
            "dscg_tkdrug_flag",
        )
    }
    fee_item = array_i()
    fee_cnt = array_i()
    fee_price = array_i()
    fee_cap = array_i()
    unmapped_rows: list[int] = []
    split = {k: array_i() for k in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_amt")}
    diag: dict[str, list[Any]] = {f.name: [] for f in SCHEMAS["setl_list_diag_d"]}
    oprn: dict[str, list[Any]] = {f.name: [] for f in SCHEMAS["setl_list_oprn_d"]}
    rounds: dict[str, list[Any]] = {f.name: [] for f in SCHEMAS["ward_round_d"]}
    checks: dict[str, list[Any]] = {f.name: [] for f in SCHEMAS["identity_check_d"]}
    labels: dict[str, list[Any]] = {f.name: [] for f in SCHEMAS["labels"]}
    for visit, b, mdtrt_id in zip(chunk.visits, chunk.breakdowns, chunk.mdtrt_ids, strict=True):
        person = visit.person
        psn_no = str(p.psn_no[person])
        code = inst.code[visit.inst]
        hosp_lv = inst.hosp_lv[visit.inst]
        tier = inst.tier[visit.inst]
        setl_id = "S" + mdtrt_id
        birth = p.birth[person].astype(object)
        insutype = str(p.insutype[person])
        day = visit.begin.date()
        inpatient = visit.med_type.startswith("2")
        mdtrt["mdtrt_id"].append(mdtrt_id)
        mdtrt["psn_no"].append(psn_no)
        mdtrt["gend"].append(str(p.gend[person]))
        mdtrt["brdy"].append(birth)
        mdtrt["age"].append(day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day)))
        mdtrt["insutype"].append(insutype)
        mdtrt["psn_type"].append(str(p.psn_type[person]))
        mdtrt["insu_admdvs"].append(admdvs)
        mdtrt["fixmedins_code"].append(code)
        mdtrt["hosp_lv"].append(hosp_lv)
        mdtrt["begntime"].append(visit.begin)
        mdtrt["endtime"].append(visit.end)
        mdtrt["med_type"].append(visit.med_type)
        mdtrt["adm_dept_codg"].append(visit.dept or None)
        mdtrt["dscg_dept_codg"].append(visit.dept or None)
        mdtrt["dscg_maindiag_code"].append(visit.diagnoses[0] if visit.diagnoses else None)
        mdtrt["dscg_way"].append("1" if inpatient else None)
        mdtrt["ipt_days"].append(visit.ipt_days)
        mdtrt["chfpdr_code"].append(visit.doctor or None)
        mdtrt["mdtrt_cert_type"].append("01" if visit.checks else "03")
        setl_time = visit.end if inpatient else visit.begin
        for name, value in (
            ("setl_id", setl_id),
            ("mdtrt_id", mdtrt_id),
            ("psn_no", psn_no),
            ("insutype", insutype),
            ("fixmedins_code", code),
            ("hosp_lv", hosp_lv),
            ("setl_time", setl_time),
            ("med_type", visit.med_type),
            ("refd_setl_flag", "0"),
            ("init_setl_id", None),
            ("year", setl_time.year),
        ):
            setl[name].append(value)
        for name, value in (
            ("medfee_sumamt", b.medfee_sumamt),
            ("fulamt_ownpay_amt", b.fulamt_ownpay_amt),
            ("overlmt_selfpay", b.overlmt_selfpay),
            ("preselfpay_amt", b.preselfpay_amt),
            ("inscp_amt", b.inscp_scp_amt),
            ("act_pay_dedc", b.act_pay_dedc),
            ("hifp_pay", b.hifp_pay),
            ("cvlserv_pay", b.cvlserv_pay),
            ("hifmi_pay", b.hifmi_pay),
            ("maf_pay", b.maf_pay),
            ("fund_pay_sumamt", b.fund_pay_sumamt),
            ("psn_pay", b.psn_part_amt),
            ("acct_pay", b.acct_pay),
            ("cash_payamt", b.psn_cash_pay),
        ):
            setl_money[name].append(value)
        writer.counts.medfee_fen += b.medfee_sumamt
        writer.counts.fund_fen += b.fund_pay_sumamt
        line_sn: list[str] = []
        for n, (line, part) in enumerate(zip(visit.lines, b.lines, strict=True)):
            item_idx, qty, price, at, prd, dscg, name = line
            item = items[int(item_idx)]
            sn = f"{mdtrt_id}{n:04d}"
            line_sn.append(sn)
            fee_str["bkkp_sn"].append(sn)
            fee_str["mdtrt_id"].append(mdtrt_id)
            fee_str["setl_id"].append(setl_id)
            fee_str["psn_no"].append(psn_no)
            fee_str["fixmedins_code"].append(code)
            fee_str["fee_ocur_time"].append(at)
            fee_str["hilist_name"].append(name or item.name)
            fee_str["bilg_dept_codg"].append(visit.dept or None)
            fee_str["bilg_dr_code"].append(visit.doctor or None)
            fee_str["prd_days"].append(prd or None)
            fee_str["dscg_tkdrug_flag"].append("1" if dscg else "0")
            fee_item.append(int(item_idx) if name is None else -1 - int(item_idx))
            fee_cnt.append(int(qty))
            fee_price.append(int(price))
            line_cap = item.cap(tier)
            if visit.unmapped and n in visit.unmapped:  # 未对码: no national code, so no cap either
                unmapped_rows.append(len(fee_item) - 1)
                line_cap = None
            fee_cap.append(-1 if line_cap is None else line_cap)
            split["fulamt_ownpay_amt"].append(part.fulamt_ownpay)
            split["overlmt_selfpay"].append(part.overlmt_selfpay)
            split["preselfpay_amt"].append(part.preselfpay)
            split["inscp_amt"].append(part.inscp)
        for n, code10 in enumerate(visit.diagnoses):
            diag["setl_id"].append(setl_id)
            diag["mdtrt_id"].append(mdtrt_id)
            diag["psn_no"].append(psn_no)
            diag["diag_type"].append("1")
            diag["maindiag_flag"].append("1" if n == 0 else "0")
            diag["diag_code"].append(code10)
            diag["diag_name"].append(w.codes.names.get(code10, code10))
        if visit.procedure is not None:
            oprn["setl_id"].append(setl_id)
            oprn["mdtrt_id"].append(mdtrt_id)
            oprn["psn_no"].append(psn_no)
            oprn["main_oprn_flag"].append("1")
            oprn["oprn_oprt_code"].append(visit.procedure[0])
            oprn["oprn_oprt_name"].append(visit.procedure[1])
            oprn["oprn_oprt_date"].append(visit.begin.replace(hour=14))
        for n, (at, in_bed) in enumerate(visit.rounds):
            rounds["round_id"].append(f"R{mdtrt_id}{n:02d}")
            rounds["fixmedins_code"].append(code)
            rounds["round_time"].append(at)
            rounds["mdtrt_id"].append(mdtrt_id)
            rounds["in_bed"].append(in_bed)
        for at, result in visit.checks:
            checks["mdtrt_id"].append(mdtrt_id)
            checks["check_time"].append(at)
            checks["result"].append(result)
        for family, where, detail in visit.labels:
            scope = where if isinstance(where, str) else "visit" if where is None else "line"
            labels["rule_family"].append(family)
            labels["scope"].append(scope)
            labels["bkkp_sn"].append(line_sn[where] if isinstance(where, int) else None)
            labels["mdtrt_id"].append(mdtrt_id if scope in ("line", "visit") else None)
            labels["psn_no"].append(psn_no if scope != "doctor" else None)
            labels["fixmedins_code"].append(code if scope != "person" else None)
            labels["dr_code"].append(visit.doctor if scope == "doctor" else None)
            labels["detail"].append(detail)
    writer.write("mdtrt_d", mdtrt)
    writer.write(
        "setl_d",
        {**setl, **{k: _from_unscaled(np.asarray(v, dtype=np.int64)) for k, v in setl_money.items()}},
    )
    item_arr = _ints(fee_item)
    real = np.where(item_arr < 0, -1 - item_arr, item_arr)
    codes = np.array([i.code for i in items], dtype=object)
    cnt, price, cap = _ints(fee_cnt), _ints(fee_price), _ints(fee_cap)
    attr = {
        "list_type": np.array([i.list_type for i in items], dtype=object),
        "med_chrgitm_type": np.array([i.med_chrgitm_type for i in items], dtype=object),
        "chrgitm_lv": np.array([i.chrgitm_lv for i in items], dtype=object),
    }
    med_codes = codes[real]
    med_codes[unmapped_rows] = ""
    own = np.array([f"L{n:05d}" for n in range(len(items))], dtype=object)
    goods = np.array([f"G{n:05d}" for n in range(len(items))], dtype=object)
    bp = np.array([i.selfpay_bp for i in items], dtype=np.int64)
    selfpay = _from_unscaled(bp[real], kind=pa.decimal128(6, 4))
    writer.write(
        "fee_list_d",
        {
            **fee_str,
            "med_list_codg": pa.array(med_codes, S),
            "medins_list_codg": pa.array(np.where(item_arr < 0, goods[real], own[real]), S),
            "list_type": pa.array(attr["list_type"][real], S),
            "med_chrgitm_type": pa.array(attr["med_chrgitm_type"][real], S),
            "chrgitm_lv": pa.array(attr["chrgitm_lv"][real], S),
            "cnt": _from_unscaled(cnt * 100, kind=pa.decimal128(12, 2)),
            "pric": _from_unscaled(price),
            "det_item_fee_sumamt": _from_unscaled(price * cnt),
            "pric_uplmt_amt": _from_unscaled(np.where(cap < 0, 0, cap), cap >= 0),
            "selfpay_prop": selfpay,
            **{k: _from_unscaled(_ints(v)) for k, v in split.items()},
        },
    )
    writer.write("setl_list_diag_d", diag)
    writer.write("setl_list_oprn_d", oprn)
    writer.write("ward_round_d", rounds)
    writer.write("identity_check_d", checks)
    writer.write("labels", labels)
    return len(item_arr)


def _ints(values: Any) -> np.ndarray:
    return np.frombuffer(values, dtype=np.int64) if len(values) else np.zeros(0, np.int64)


def array_i() -> Any:
    from array import array

    return array("q")


def write_registries(writer: DatasetWriter, world: World) -> None:
    """fixmedins_b, psn_b and the institution-scope labels (provider_outlier)."""
    inst = world.institutions
    writer.write(
        "fixmedins_b",
        {
            "fixmedins_code": inst.code,
            "fixmedins_name": inst.name,
            "fixmedins_type": inst.fixmedins_type,
            "hosp_lv": inst.hosp_lv,
            "admdvs": [world.admdvs] * len(inst),
        },
    )
    p = world.persons
    step = 500_000
    for start in range(0, len(p), step):
        end = min(len(p), start + step)
        writer.write(
            "psn_b",
            {
                "psn_no": pa.array(p.psn_no[start:end].astype(object), S),
                "gend": pa.array(p.gend[start:end].astype(str).astype(object), S),
                "brdy": pa.array(p.birth[start:end], pa.date32()),
                "insutype": pa.array(p.insutype[start:end].astype(str).astype(object), S),
                "psn_type": pa.array(p.psn_type[start:end].astype(object), S),
                "insu_admdvs": [world.admdvs] * (end - start),
            },
        )
    regs = world.registrations
    writer.write(
        "special_drug_b",
        {
            "psn_no": [str(p.psn_no[r.person]) for r in regs],
            "med_list_codg": [world.catalog.items[r.item].code for r in regs],
            "fixmedins_code": [inst.code[r.inst] for r in regs],
            "dept_codg": [r.dept for r in regs],
            "dr_code": [r.doctor for r in regs],
            "max_cnt_month": [r.max_cnt for r in regs],
            "begndate": [r.begin for r in regs],
            "enddate": [r.end for r in regs],
        },
    )
    outliers = [inst.code[i] for i in np.flatnonzero(inst.outlier)]
    writer.write(
        "labels",
        {
            "rule_family": ["provider_outlier"] * len(outliers),
            "scope": ["institution"] * len(outliers),
            "bkkp_sn": [None] * len(outliers),
            "mdtrt_id": [None] * len(outliers),
            "psn_no": [None] * len(outliers),
            "fixmedins_code": outliers,
            "dr_code": [None] * len(outliers),
            "detail": ["住院人次和次均住院日逐月快速增长"] * len(outliers),
        },
    )


def generate(
    *,
    world: World,
    knobs: Knobs,
    policies: dict[str, list[Any]],
    out: Path,
    fmt: str = "parquet",
    progress: Callable[[int, int, int], None] | None = None,
    on_chunk: Callable[[Generator, Chunk], None] | None = None,
) -> Counts:
    """Generate and write the whole region; `progress(done_chunks, total_chunks, lines)` after each chunk."""
    gen = Generator(world, knobs, policies)
    writer = DatasetWriter(out, fmt)
    chunks = list(gen.chunks())
    lines = 0
    # A chunk's visits and lines live until it is written, the year ledgers all year: the collector's passes
    # over them find almost nothing, so it runs less often while generating (restored afterwards).
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], GC_THRESHOLD), *thresholds[1:])
    try:
        write_registries(writer, world)
        for done, (month, start, end) in enumerate(chunks, start=1):
            gen.credit_accounts(start, end)
            chunk = gen.run_chunk(month, start, end)
            lines += write_chunk(writer, gen, chunk)
            if on_chunk is not None:
                on_chunk(gen, chunk)
            if progress is not None:
                progress(done, len(chunks), lines)
    finally:
        gc.set_threshold(*thresholds)
        writer.close()
    return writer.counts
