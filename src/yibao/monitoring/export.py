"""Export yibao's own settled data in the WAREHOUSE layout (导出业务数据), so the batch can run on it.

Settlements of one pooling region whose visit ended in a period (discharge, or the visit day) are read
in id-ordered chunks; each chunk's visits, fee lines, diagnoses and procedures are appended to Parquet
files with the generator's schemas (money in yuan with two decimals, local times). Everything is written
into a hidden sibling folder that is renamed to the output folder only when complete.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select

from yibao.audit.models import AuditEntry
from yibao.catalog.models import CatalogItem
from yibao.core.clock import LOCAL_TZ
from yibao.core.paging import Page, check_paging, paginate
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import require_admdvs, require_date
from yibao.domain.errors import invalid, not_found
from yibao.enrolment.models import Person, Relation
from yibao.institutions.models import Institution
from yibao.reference.lookup import diagnoses as icd10
from yibao.settlement.models import FeeLine, IdentityCheck, Settlement, Visit, VisitProcedure
from yibao.supervision.models import WardRound, WardRoundPatient
from yibao.synthetic.writer import SCHEMAS

CHUNK = 2_000
EXPORTED = (
    "mdtrt_d",
    "setl_d",
    "fee_list_d",
    "setl_list_diag_d",
    "setl_list_oprn_d",
    "fixmedins_b",
    "ward_round_d",
    "identity_check_d",
)
CENT = Decimal("0.01")

Progress = Callable[[int, int], None]


@dataclass
class ExportResult:
    """Rows written per table and the settlements read."""

    out: Path
    rows: dict[str, int] = field(default_factory=dict)


def _yuan(fen: int | Decimal | None) -> Decimal | None:
    """Fen (integer or fractional) as yuan with two decimals, half up."""
    if fen is None:
        return None
    return (Decimal(fen) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _local(moment: datetime | None) -> datetime | None:
    """A stored UTC time as the naive local time the layout uses."""
    if moment is None:
        return None
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def _age(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class _Writers:
    """One ParquetWriter per table, opened on first use (every table is still written, empty if needed)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = dict.fromkeys(EXPORTED, 0)

    def write(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        schema = SCHEMAS[table]
        arrow = pa.Table.from_pylist(rows, schema=schema)
        if table not in self.writers:
            self.writers[table] = pq.ParquetWriter(self.folder / f"{table}.parquet", schema)
        self.writers[table].write_table(arrow)
        self.rows[table] += len(rows)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        for table in EXPORTED:
            if table not in self.writers:
                pq.write_table(SCHEMAS[table].empty_table(), self.folder / f"{table}.parquet")


def _cap(item: CatalogItem | None, level: str) -> int | None:
    """The price cap (最高限价) of the item at the hospital's level, else the item's general cap."""
    if item is None:
        return None
    by_level = {"1": item.price_cap_lv1, "2": item.price_cap_lv2, "3": item.price_cap_lv3}.get(level)
    return by_level if by_level is not None else item.price_cap


class _Catalog:
    """Catalog item versions by national code, loaded once per code on demand."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.versions: dict[str, list[CatalogItem]] = {}

    def load(self, codes: Iterable[str]) -> None:
        missing = sorted({c for c in codes if c and c not in self.versions})
        for start in range(0, len(missing), 500):
            part = missing[start : start + 500]
            for code in part:
                self.versions[code] = []
            for item in self.uow.session.scalars(select(CatalogItem).where(CatalogItem.code.in_(part))):
                self.versions[item.code].append(item)

    def on(self, code: str | None, day: date) -> CatalogItem | None:
        for item in self.versions.get(code or "", []):
            if item.begin <= day and (item.end is None or day <= item.end):
                return item
        return None


def _bounds(begin: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(begin, time(), LOCAL_TZ),
        datetime.combine(end + timedelta(days=1), time(), LOCAL_TZ),
    )


def _settlement_row(s: Settlement, visit: Visit, hosp_lv: str | None) -> dict[str, Any]:
    return {
        "setl_id": s.setl_id,
        "mdtrt_id": visit.mdtrt_id,
        "psn_no": s.psn_no,
        "insutype": s.insutype,
        "fixmedins_code": s.fixmedins_code,
        "hosp_lv": hosp_lv,
        "setl_time": _local(s.settled_at),
        "med_type": visit.med_type,
        "medfee_sumamt": _yuan(s.medfee_sumamt),
        "fulamt_ownpay_amt": _yuan(s.fulamt_ownpay_amt),
        "overlmt_selfpay": _yuan(s.overlmt_selfpay),
        "preselfpay_amt": _yuan(s.preselfpay_amt),
        "inscp_amt": _yuan(s.inscp_scp_amt),
        "act_pay_dedc": _yuan(s.act_pay_dedc),
        "hifp_pay": _yuan(s.hifp_pay),
        "cvlserv_pay": _yuan(s.cvlserv_pay),
        "hifmi_pay": _yuan(s.hifmi_pay),
        "maf_pay": _yuan(s.maf_pay),
        "fund_pay_sumamt": _yuan(s.fund_pay_sumamt),
        "psn_pay": _yuan(s.psn_part_amt),
        "acct_pay": _yuan(s.acct_pay),
        "cash_payamt": _yuan(s.psn_cash_pay),
        "refd_setl_flag": "1" if s.kind == "reversal" else "0",
        "init_setl_id": s.init_setl_id,
        "year": s.year,
    }


def _visit_row(
    visit: Visit, person: Person | None, psn_type: str | None, hosp_lv: str | None
) -> dict[str, Any]:
    begin = _local(visit.begntime)
    end = _local(visit.endtime)
    codes = [c for c in visit.diagnoses.split("|") if c]
    inpatient = visit.med_type.startswith("2") or visit.med_type == "52"
    days = max(1, (end.date() - begin.date()).days) if inpatient and begin and end else 0
    return {
        "mdtrt_id": visit.mdtrt_id,
        "psn_no": visit.psn_no,
        "gend": person.gend if person else None,
        "brdy": person.birth_date if person else None,
        "age": _age(person.birth_date if person else None, begin.date()) if begin else None,
        "insutype": visit.insutype,
        "psn_type": psn_type,
        "insu_admdvs": visit.insu_admdvs,
        "fixmedins_code": visit.fixmedins_code,
        "hosp_lv": hosp_lv,
        "begntime": begin,
        "endtime": end,
        "med_type": visit.med_type,
        "adm_dept_codg": visit.dept_code,
        "dscg_dept_codg": visit.dept_code,
        "dscg_maindiag_code": codes[0] if codes else None,
        "dscg_way": visit.dscg_way,
        "ipt_days": days,
        "chfpdr_code": visit.dr_code,
        "mdtrt_cert_type": None,
    }


def _fee_row(line: FeeLine, visit: Visit, setl_id: str, item: CatalogItem | None) -> dict[str, Any]:
    return {
        "bkkp_sn": f"{visit.mdtrt_id}-{line.feedetl_sn}",
        "mdtrt_id": visit.mdtrt_id,
        "setl_id": setl_id,
        "psn_no": visit.psn_no,
        "fixmedins_code": visit.fixmedins_code,
        "fee_ocur_time": _local(line.fee_ocur_time),
        "med_list_codg": line.hilist_code,
        "medins_list_codg": line.medins_list_codg,
        "hilist_name": item.name if item else line.medins_list_name,
        "list_type": item.list_type if item else None,
        "med_chrgitm_type": item.med_chrgitm_type if item else None,
        "chrgitm_lv": item.chrgitm_lv if item else None,
        "cnt": Decimal(line.cnt).quantize(CENT, rounding=ROUND_HALF_UP),
        "pric": _yuan(line.pric),
        "det_item_fee_sumamt": _yuan(line.amount),
        "pric_uplmt_amt": _yuan(_cap(item, visit.dedc_level)),
        "selfpay_prop": (Decimal(item.selfpay_bp) / 10000).quantize(Decimal("0.0001")) if item else None,
        "fulamt_ownpay_amt": _yuan(line.fulamt_ownpay),
        "overlmt_selfpay": _yuan(line.overlmt_selfpay),
        "preselfpay_amt": _yuan(line.preselfpay),
        "inscp_amt": _yuan(line.inscp),
        "bilg_dept_codg": line.bilg_dept_codg or visit.dept_code,
        "bilg_dr_code": line.bilg_dr_codg or visit.dr_code,
        # whole days in the warehouse: a supply of 7.5 days runs into the 8th
        "prd_days": None
        if line.prd_days is None
        else int(Decimal(line.prd_days).to_integral_value(ROUND_CEILING)),
        "dscg_tkdrug_flag": line.dscg_tkdrug_flag or "0",
    }


def _chunk(
    uow: UnitOfWork,
    writers: _Writers,
    catalog: _Catalog,
    settlements: list[Settlement],
    hosp_lv: dict[str, str | None],
    seen: set[int],
) -> None:
    """Write one chunk of settlements with their visits, lines, diagnoses and procedures."""
    session = uow.session
    visit_ids = {s.visit_id for s in settlements}
    visits = {v.id: v for v in session.scalars(select(Visit).where(Visit.id.in_(visit_ids)))}
    psn_nos = {v.psn_no for v in visits.values()}
    people = {p.psn_no: p for p in session.scalars(select(Person).where(Person.psn_no.in_(psn_nos)))}
    psn_types = {
        (r.psn_no, r.insutype): r.psn_type
        for r in session.scalars(select(Relation).where(Relation.psn_no.in_(psn_nos)))
    }
    codes = {v.fixmedins_code for v in visits.values()} - set(hosp_lv)
    if codes:
        for inst in session.scalars(select(Institution).where(Institution.fixmedins_code.in_(codes))):
            hosp_lv[inst.fixmedins_code] = inst.hosp_lv
            writers.write(
                "fixmedins_b",
                [
                    {
                        "fixmedins_code": inst.fixmedins_code,
                        "fixmedins_name": inst.name,
                        "fixmedins_type": inst.fixmedins_type,
                        "hosp_lv": inst.hosp_lv,
                        "admdvs": inst.admdvs,
                    }
                ],
            )
    writers.write(
        "setl_d", [_settlement_row(s, visits[s.visit_id], hosp_lv.get(s.fixmedins_code)) for s in settlements]
    )
    # A visit is written once, with its diagnoses and procedures, under its latest settlement of the
    # chunk (not a reversal); fee lines go with the settlement that settled them (中途结算 has several).
    charged = [s for s in settlements if s.kind != "reversal"]
    first = {s.visit_id: s for s in charged if s.visit_id not in seen}
    seen.update(first)
    visit_rows: list[dict[str, Any]] = []
    diag_rows: list[dict[str, Any]] = []
    icd_names = icd10(session).codes
    for visit_id, s in sorted(first.items()):
        visit = visits[visit_id]
        visit_rows.append(
            _visit_row(
                visit,
                people.get(visit.psn_no),
                psn_types.get((visit.psn_no, visit.insutype)),
                hosp_lv.get(visit.fixmedins_code),
            )
        )
        for n, code in enumerate(c for c in visit.diagnoses.split("|") if c):
            diag_rows.append(
                {
                    "setl_id": s.setl_id,
                    "mdtrt_id": visit.mdtrt_id,
                    "psn_no": visit.psn_no,
                    "diag_type": "1",
                    "maindiag_flag": "1" if n == 0 else "0",
                    "diag_code": code,
                    "diag_name": icd_names[code][0] if code in icd_names else None,
                }
            )
    writers.write("mdtrt_d", visit_rows)
    writers.write("setl_list_diag_d", diag_rows)
    procedures = session.scalars(
        select(VisitProcedure)
        .where(VisitProcedure.visit_id.in_(list(first)))
        .order_by(VisitProcedure.visit_id, VisitProcedure.seq)
    )
    writers.write(
        "setl_list_oprn_d",
        [
            {
                "setl_id": first[p.visit_id].setl_id,
                "mdtrt_id": visits[p.visit_id].mdtrt_id,
                "psn_no": visits[p.visit_id].psn_no,
                "main_oprn_flag": "1" if p.main else "0",
                "oprn_oprt_code": p.code,
                "oprn_oprt_name": p.name,
                "oprn_oprt_date": datetime.combine(p.oprn_date, time()) if p.oprn_date else None,
            }
            for p in procedures
        ],
    )
    checks = session.scalars(
        select(IdentityCheck)
        .where(IdentityCheck.visit_id.in_(list(first)))
        .order_by(IdentityCheck.visit_id, IdentityCheck.check_time)
    )
    writers.write(
        "identity_check_d",
        [
            {
                "mdtrt_id": visits[c.visit_id].mdtrt_id,
                "check_time": _local(c.check_time),
                "result": 1 if c.matched else 0,
            }
            for c in checks
        ],
    )
    by_setl = {s.id: s for s in charged}
    lines = (
        session.execute(
            select(FeeLine)
            .where(FeeLine.settlement_id.in_(list(by_setl)))
            .order_by(FeeLine.visit_id, FeeLine.id)
            .execution_options(yield_per=CHUNK)
        )
        .scalars()
        .partitions()
    )
    for part in lines:
        catalog.load(line.hilist_code or "" for line in part)
        rows = []
        for line in part:
            visit = visits[line.visit_id]
            item = catalog.on(line.hilist_code, line.fee_ocur_time.astimezone(LOCAL_TZ).date())
            rows.append(_fee_row(line, visit, by_setl[line.settlement_id or 0].setl_id, item))
        writers.write("fee_list_d", rows)


def _ward_rounds(uow: UnitOfWork, writers: _Writers, admdvs: str, begin: date, end: date) -> None:
    """Ward rounds (查房) of the region in the period: one row per patient found or missing in bed."""
    query = (
        select(WardRound, WardRoundPatient)
        .join(WardRoundPatient, WardRoundPatient.round_id == WardRound.id)
        .where(WardRound.admdvs == admdvs, WardRound.day >= begin, WardRound.day <= end)
        .order_by(WardRound.id, WardRoundPatient.id)
        .execution_options(yield_per=CHUNK)
    )
    for part in uow.session.execute(query).partitions():
        writers.write(
            "ward_round_d",
            [
                {
                    "round_id": ward.round_no,
                    "fixmedins_code": ward.fixmedins_code,
                    "round_time": _local(ward.round_at),
                    "mdtrt_id": patient.mdtrt_id,
                    "in_bed": 1 if patient.present else 0,
                }
                for ward, patient in part
            ],
        )


def _prepare(out: Path) -> Path:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise invalid("EXPORT_OUT_EXISTS", "out", f"字段 out：目录 {out} 已存在且不为空，导出不覆盖已有数据")
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))


def export_dataset(
    *,
    uow: UnitOfWork,
    admdvs: str,
    begin: date,
    end: date,
    out: Path,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the region's settlements of visits ended in [begin, end] (local days) as a WAREHOUSE data set in
    `out`; `out` appears only when every table is complete. `progress(done, total)` counts settlements."""
    uow.actor.require(Perm.MONITOR_WRITE)
    uow.actor.require_region(admdvs)
    if end < begin:
        raise invalid("PERIOD", "end", "字段 end 不能早于 begin")
    low, high = _bounds(begin, end)
    day = func.coalesce(Visit.endtime, Visit.begntime)
    where = (
        Settlement.insu_admdvs == admdvs,
        Settlement.visit_id.in_(select(Visit.id).where(day >= low, day < high)),
    )

    total = uow.session.scalar(select(func.count()).select_from(Settlement).where(*where)) or 0
    staging = _prepare(out)
    try:
        writers = _Writers(staging)
        catalog = _Catalog(uow)
        hosp_lv: dict[str, str | None] = {}
        seen: set[int] = set()
        last, done = 0, 0
        while True:
            chunk = list(
                uow.session.scalars(
                    select(Settlement)
                    .where(*where, Settlement.id > last)
                    .order_by(Settlement.id)
                    .limit(CHUNK)
                )
            )
            if not chunk:
                break
            _chunk(uow, writers, catalog, chunk, hosp_lv, seen)
            last, done = chunk[-1].id, done + len(chunk)
            uow.session.expunge_all()  # bounded memory: nothing read stays in the session
            if progress:
                progress(done, total)
        _ward_rounds(uow, writers, admdvs, begin, end)
        writers.close()
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result = ExportResult(out=out, rows=writers.rows)
    uow.audit(
        action="monitoring.export",
        entity="mon_export",
        entity_id=out.name[:64],
        admdvs=admdvs,
        after={
            "begin": begin.isoformat(),
            "end": end.isoformat(),
            "out": str(out.resolve()),
            "rows": writers.rows,
        },
    )
    uow.commit()
    return result


# --- Exports started from the REST API and the console (into the deployment's export folder) -------

MAX_EXPORT_DAYS = 366  # one export covers at most a year of visits; longer periods belong to the CLI
_NAME = re.compile(r"^export-\d{6}-\d{8}-\d{8}-\d{14}(-\d{1,3})?$")


@dataclass(frozen=True)
class ExportRow:
    """One past export, read from its audit row `monitoring.export`."""

    name: str
    admdvs: str
    begin: str
    end: str
    rows: dict[str, int]
    out: str
    at: datetime
    username: str
    available: bool  # the folder is in the export folder and still there (downloadable, runnable)


def check_request(
    admdvs: str | None, begin: str | date | None, end: str | date | None
) -> tuple[str, date, date]:
    """The region and period of an export request, or the stable error naming the field."""
    region = require_admdvs(admdvs)
    first = require_date(begin, field="begin")
    last = require_date(end, field="end")
    if last < first:
        raise invalid("PERIOD", "end", "字段 end 结束日期不能早于 begin 开始日期")
    if (last - first).days + 1 > MAX_EXPORT_DAYS:
        raise invalid(
            "EXPORT_PERIOD_TOO_LONG",
            "end",
            f"字段 end：导出期间最长 {MAX_EXPORT_DAYS} 天，实际为 {(last - first).days + 1} 天；"
            "更长的期间请用命令行分段导出",
        )
    return region, first, last


def start_export(
    *,
    uow: UnitOfWork,
    export_dir: Path,
    admdvs: str | None,
    begin: str | date | None,
    end: str | date | None,
    now: datetime | None = None,
) -> ExportResult:
    """Export a region and period into a new generated folder of the export folder
    (`export-<admdvs>-<begin>-<end>-<yyyymmddHHMMSS>`); the client never names a server path."""
    uow.actor.require(Perm.MONITOR_WRITE)
    region, first, last = check_request(admdvs, begin, end)
    uow.actor.require_region(region)
    stamp = (now or datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ).strftime("%Y%m%d%H%M%S")
    base = f"export-{region}-{first:%Y%m%d}-{last:%Y%m%d}-{stamp}"
    out = export_dir / base
    suffix = 1
    while out.exists() and suffix < 1000:
        suffix += 1
        out = export_dir / f"{base}-{suffix}"
    return export_dataset(uow=uow, admdvs=region, begin=first, end=last, out=out)


def _row(entry: AuditEntry, export_dir: Path) -> ExportRow:
    after = json.loads(entry.after or "{}")
    out = Path(after.get("out", ""))
    root = export_dir.resolve()
    available = bool(_NAME.match(entry.entity_id)) and out == root / entry.entity_id and out.is_dir()
    return ExportRow(
        name=entry.entity_id,
        admdvs=entry.admdvs or "",
        begin=after.get("begin", ""),
        end=after.get("end", ""),
        rows={k: int(v) for k, v in after.get("rows", {}).items()},
        out=str(out),
        at=entry.at,
        username=entry.username,
        available=available,
    )


def list_exports(*, uow: UnitOfWork, export_dir: Path, page: int = 1, size: int = 20) -> Page[ExportRow]:
    """Past exports in the actor's regions (API, console and CLI alike), newest first."""
    uow.actor.require(Perm.MONITOR_READ)
    check_paging(page, size)
    stmt = select(AuditEntry).where(AuditEntry.action == "monitoring.export")
    regions = uow.actor.region_filter()
    if regions is not None:
        stmt = stmt.where(AuditEntry.admdvs.in_(sorted(regions)))
    found = paginate(uow.session, stmt.order_by(AuditEntry.id.desc()), page=page, size=size)
    return Page(
        items=[_row(e, export_dir) for e in found.items], total=found.total, page=found.page, size=found.size
    )


def get_export(*, uow: UnitOfWork, export_dir: Path, name: str) -> ExportRow:
    """One export of the export folder that is still on disk (not found outside the actor's regions)."""
    uow.actor.require(Perm.MONITOR_READ)
    entry = None
    if _NAME.match(name or ""):
        entry = uow.session.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "monitoring.export", AuditEntry.entity_id == name)
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
    if entry is None or not uow.actor.sees_region(entry.admdvs):
        raise not_found("EXPORT_NOT_FOUND", f"导出 {name} 不存在", "name")
    row = _row(entry, export_dir)
    if not row.available:
        raise not_found("EXPORT_NOT_FOUND", f"导出 {name} 的目录已不在导出目录中", "name")
    return row


def run_out_dir(data_dir: Path, now: datetime) -> Path:
    """Where a run on a data set writes when no folder is given: beside it, named by the time."""
    return data_dir.parent / f"{data_dir.name}_monitor_{now.strftime('%Y%m%d%H%M%S')}"


class _Pipe(io.RawIOBase):
    """A write-only stream whose bytes are taken out as they come (the ZIP is never whole in memory)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def zip_chunks(folder: Path, block: int = 1 << 20) -> Iterator[bytes]:
    """The folder's Parquet files as one ZIP, in pieces of about `block` bytes."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.glob("*.parquet")):
            with archive.open(path.name, "w", force_zip64=True) as dest, path.open("rb") as src:
                while piece := src.read(block):
                    dest.write(piece)
                    yield pipe.take()
    yield pipe.take()
