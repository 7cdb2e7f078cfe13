"""Use cases of payment methods (支付方式) and clearing with institutions (清算).

- DRG payment tables: load a published regional table as a version with an effective period;
- grouping: one case (with its payment when a table is named) or a CSV batch;
- payment methods per region or institution, scheme and period, with their terms;
- clearing: monthly pre-payment (月预拨), quarterly settlement (季度结算), annual clearing (年度清算)
  per institution, with statements, payment orders and a reconciliation to the fen.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from yibao.core.clock import LOCAL_TZ
from yibao.core.db import utcnow
from yibao.core.excel import write_xlsx
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import require_admdvs, require_text
from yibao.domain import dip
from yibao.domain import payment as pay
from yibao.domain.drg import ERROR_DRG, GroupCase, Grouper, GroupResult
from yibao.domain.errors import BusinessError, conflict, invalid, not_found
from yibao.domain.money import fen_to_yuan, ratio_of
from yibao.domain.periods import Period, check_order, overlaps
from yibao.payment import lookup, pdf
from yibao.payment.models import (
    Clearing,
    ClearingLine,
    PaymentMethod,
    PaymentOrder,
    PaymentTable,
    PaymentTableRow,
)
from yibao.payment.repository import PaymentRepository, SettledCase

MAX_FEN = 10**13  # 1,000 亿元: any amount or count above is a typing error, not a budget
METHODS = ("fee_for_service", "drg", "dip", "per_diem", "capitation", "single_disease", "global_budget")
METHOD_NAMES = pdf.METHOD_NAMES
METHOD_EXAMPLES: dict[str, dict[str, Any]] = {
    "fee_for_service": {"prepay_ratio": "0.9"},
    "drg": {"table": "北京2022", "base_rate_fen": 1_500_000, "low_ratio": "0.35", "high_ratio": "2"},
    "dip": {"budget_fen": 8_500_000_000, "threshold": 15, "level_coef": "1"},
    "per_diem": {"rate_per_day_fen": 45_000, "cap_days": 90},
    "capitation": {"rate_per_head_fen": 12_000, "enrolled": 5_000},
    "single_disease": {"prices_fen": {"K35.200": 600_000}, "fund_share": "0.8"},
    "global_budget": {"per_case_quota_fen": 800_000, "admission_cap": 1_200, "share_over": "0.30"},
}
DIP_POOL_TERMS = ("budget_fen", "cleared_budget_fen", "threshold", "expected_points")
PERIOD_KINDS = ("month", "quarter", "year")
GROUP_COLUMNS = (
    "case_id",
    "gend",
    "age",
    "age_days",
    "weight_g",
    "dept",
    "ipt_days",
    "dscg_way",
    "diag_codes",
    "oprn_codes",
)
OUT_COLUMNS = ("case_id", "mdc", "adrg", "drg", "drg_name", "rw", "reason", "error_code")


def _read(uow: UnitOfWork) -> None:
    uow.actor.require(Perm.PAYMENT_READ)


def _write(uow: UnitOfWork) -> None:
    uow.actor.require(Perm.PAYMENT_WRITE)


# ================================================================ payment tables (付费标准)


def _rate_values(rate: pay.DrgRate) -> str:
    return json.dumps(
        {
            "base_rate": dict(rate.base_rate),
            "level_coef": {k: str(v) for k, v in rate.level_coef.items()},
            "standard": dict(rate.standard),
            "low_threshold": dict(rate.low_threshold),
            "high_threshold": dict(rate.high_threshold),
            "average_cost": dict(rate.average_cost),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def rate_of(row: PaymentTableRow) -> pay.DrgRate:
    """The domain rate of a stored row."""
    values = json.loads(row.values)
    return pay.DrgRate(
        drg_code=row.drg_code,
        drg_name=row.drg_name,
        rw=Decimal(row.rw) if row.rw is not None else None,
        points=Decimal(row.points) if row.points is not None else None,
        kind=row.kind,
        base_rate=values.get("base_rate", {}),
        level_coef={k: Decimal(v) for k, v in values.get("level_coef", {}).items()},
        standard=values.get("standard", {}),
        low_threshold=values.get("low_threshold", {}),
        high_threshold=values.get("high_threshold", {}),
        average_cost=values.get("average_cost", {}),
    )


def load_table(
    *,
    uow: UnitOfWork,
    admdvs: str,
    name: str,
    text: str,
    begin: date,
    end: date | None,
    source: str = "upload",
    commit: bool = True,
) -> PaymentTable:
    """Store a regional DRG payment table as a new version (all rows or none)."""
    _write(uow)
    admdvs = require_admdvs(admdvs)
    uow.actor.require_region(admdvs)
    name = require_text(name, field="name", max_len=64, label="付费标准名称")
    check_order(begin, end)
    rates = pay.parse_payment_table(text)
    repo = PaymentRepository(uow.session)
    for other in repo.versions(admdvs, name):
        if overlaps(other, Period(begin, end)):
            raise conflict(
                "PAYMENT_TABLE_OVERLAP",
                f"字段 begin：统筹区 {admdvs} 的付费标准 {name} 已有 "
                f"{other.begin}–{other.end or '长期'} 的版本，有效期重叠",
                "begin",
            )
    table = PaymentTable(
        admdvs=admdvs,
        name=name,
        begin=begin,
        end=end,
        source=source[:255],
        row_count=len(rates),
        created_at=utcnow(),
        created_by=uow.actor.username,
    )
    repo.add(table)
    uow.flush()
    repo.add_all(
        PaymentTableRow(
            table_id=table.id,
            drg_code=r.drg_code,
            drg_name=r.drg_name[:200],
            rw=str(r.rw) if r.rw is not None else None,
            points=str(r.points) if r.points is not None else None,
            kind=r.kind[:255],
            values=_rate_values(r),
        )
        for r in rates
    )
    uow.audit(
        action="payment.table.load",
        entity="pay_table",
        entity_id=table.id,
        admdvs=admdvs,
        after={"name": name, "begin": begin, "end": end, "rows": len(rates), "source": source},
    )
    if commit:
        uow.commit()
    return table


def load_reference_tables(*, uow: UnitOfWork, admdvs: str, reference_dir: Path) -> list[PaymentTable]:
    """Load the 27 published tables of `drg-payment/` for a region, each valid for its year."""
    _write(uow)
    folder = reference_dir / "drg-payment"
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise not_found("PAYMENT_REFERENCE_MISSING", f"参考数据目录 {folder} 中没有付费标准文件")
    repo = PaymentRepository(uow.session)
    out: list[PaymentTable] = []
    for path in files:
        year = int(path.stem[-4:])
        if any(t.begin.year == year for t in repo.versions(admdvs, path.stem)):
            continue
        out.append(
            load_table(
                uow=uow,
                admdvs=admdvs,
                name=path.stem,
                text=path.read_text(encoding="utf-8"),
                begin=date(year, 1, 1),
                end=date(year, 12, 31),
                source=f"drg-payment/{path.name}",
                commit=False,
            )
        )
    uow.commit()
    return out


def reference_table_names(reference_dir: Path) -> list[str]:
    """The names of the published regional tables in the reference data (e.g. 北京2022)."""
    return sorted(p.stem for p in (reference_dir / "drg-payment").glob("*.csv"))


def decode_table_file(data: bytes) -> str:
    """An uploaded table's text: UTF-8 (with or without BOM), else GB18030; refused otherwise."""
    if not data.strip():
        raise invalid("PAYMENT_TABLE_EMPTY", "file", "字段 file：文件为空")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise invalid("PAYMENT_TABLE_ENCODING", "file", "字段 file：文件编码应为 UTF-8 或 GB18030 的 CSV")


def load_reference_table(
    *, uow: UnitOfWork, admdvs: str, reference_dir: Path, name: str, begin: date | None, end: date | None
) -> PaymentTable:
    """Load one published table of the reference data; the period defaults to the year in its name."""
    if name not in reference_table_names(reference_dir):
        raise invalid(
            "PAYMENT_REFERENCE_UNKNOWN", "reference", f"字段 reference：参考数据中没有付费标准 {name[:40]!r}"
        )
    if begin is None:  # the year in the table's name (北京2022 → 2022-01-01 … 2022-12-31)
        if not name[-4:].isdigit():
            raise invalid("REQUIRED", "begin", "字段 begin：请填写生效日期")
        year = int(name[-4:])
        begin, end = date(year, 1, 1), end or date(year, 12, 31)
    path = reference_dir / "drg-payment" / f"{name}.csv"
    return load_table(
        uow=uow,
        admdvs=admdvs,
        name=name,
        text=path.read_text(encoding="utf-8"),
        begin=begin,
        end=end,
        source=f"drg-payment/{path.name}",
    )


def params_from_text(text: str) -> dict[str, Any]:
    """A method's terms typed as a JSON object (console form); refused with the field named."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(
            "PAYMENT_PARAMS_JSON",
            "params",
            f'字段 params 应为 JSON 对象，如 {{"budget_fen": 100000}}：{exc.msg}',
        ) from exc
    if not isinstance(value, dict):
        raise invalid("PAYMENT_PARAMS_JSON", "params", "字段 params 应为 JSON 对象（{…}）")
    return value


def list_tables(*, uow: UnitOfWork, admdvs: str | None = None) -> list[PaymentTable]:
    _read(uow)
    return PaymentRepository(uow.session).tables(regions=uow.actor.region_filter(), admdvs=admdvs)


def get_table(*, uow: UnitOfWork, table_id: int) -> PaymentTable:
    _read(uow)
    table = PaymentRepository(uow.session).table(table_id)
    if table is None or not uow.actor.sees_region(table.admdvs):
        raise not_found("PAYMENT_TABLE_NOT_FOUND", f"付费标准 {table_id} 不存在")
    return table


def table_rows(
    *, uow: UnitOfWork, table_id: int, q: str | None = None, limit: int = 1000
) -> list[PaymentTableRow]:
    get_table(uow=uow, table_id=table_id)
    return PaymentRepository(uow.session).rows(table_id, q=q, limit=limit)


def rates_in_force(*, uow: UnitOfWork, admdvs: str, name: str, on: date) -> dict[str, pay.DrgRate]:
    """The rows of the version of table `name` valid on `on`, by DRG code."""
    _read(uow)
    repo = PaymentRepository(uow.session)
    for table in repo.versions(admdvs, name):
        if table.begin <= on and (table.end is None or on <= table.end):
            return {row.drg_code: rate_of(row) for row in repo.rows(table.id)}
    raise not_found("PAYMENT_TABLE_NOT_IN_FORCE", f"统筹区 {admdvs} 在 {on} 没有有效的付费标准 {name}")


# ================================================================ grouping (分组)


@dataclass(frozen=True)
class GroupOutcome:
    """A grouping result with the table's RW and, when a cost was given, the payment."""

    result: GroupResult
    rw: Decimal | None = None
    payment: pay.DrgPayment | None = None


def _int_field(raw: str | None, name: str) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise invalid("DRG_FIELD_INVALID", name, f"字段 {name} 应为整数：{text!r}") from exc


def _codes(raw: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (raw or "").replace("，", "|").split("|") if c.strip())


def case_from_fields(fields: Mapping[str, str | None]) -> GroupCase:
    """A grouping case from text fields (CSV row, form); a non-number refuses with the field named."""
    return GroupCase(
        case_id=(fields.get("case_id") or "").strip(),
        gend=(fields.get("gend") or "").strip(),
        age=_int_field(fields.get("age"), "age"),
        age_days=_int_field(fields.get("age_days"), "age_days"),
        weight_g=_int_field(fields.get("weight_g"), "weight_g"),
        dept=(fields.get("dept") or "").strip() or None,
        ipt_days=_int_field(fields.get("ipt_days"), "ipt_days"),
        dscg_way=(fields.get("dscg_way") or "").strip() or None,
        diag_codes=_codes(fields.get("diag_codes")),
        oprn_codes=_codes(fields.get("oprn_codes")),
    )


def group_case(
    *,
    uow: UnitOfWork,
    reference_dir: Path,
    case: GroupCase,
    admdvs: str | None = None,
    table: str | None = None,
    on: date | None = None,
    total_fen: int | None = None,
    level: str = "3",
    insutype: str = "310",
    pricing: pay.DrgPricing | None = None,
) -> GroupOutcome:
    """Group one case; with a region's table also its RW and, given the cost, its DRG payment."""
    _read(uow)
    result = lookup.grouper(reference_dir).group(case)
    if not (admdvs and table and on):
        return GroupOutcome(result)
    uow.actor.require_region(admdvs)
    rates = rates_in_force(uow=uow, admdvs=admdvs, name=table, on=on)
    rate = rates.get(result.drg)
    payment = None
    if total_fen is not None:
        payment = pay.pay_drg_case(
            pay.DrgCase(
                setl_id=case.case_id,
                drg_code=result.drg,
                total_fen=total_fen,
                ipt_days=case.ipt_days or 0,
                level=level,
                insutype=insutype,
            ),
            rate,
            pricing or pay.DrgPricing(base_rate=0),
        )
    return GroupOutcome(result, rate.rw if rate else None, payment)


@dataclass
class BatchSummary:
    cases: int = 0
    grouped: int = 0
    errors: int = 0
    ambiguous: int = 0
    by_error: dict[str, int] = field(default_factory=dict)


def group_csv(
    *, reference_dir: Path, text: str, rates: Mapping[str, pay.DrgRate] | None = None
) -> tuple[str, BatchSummary]:
    """Group a CSV of cases (columns of GROUP_COLUMNS) into the output CSV (OUT_COLUMNS)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("case_id", "gend", "age", "diag_codes") if c not in (reader.fieldnames or [])]
    if missing:
        raise invalid("DRG_CSV_COLUMNS", "header", f"分组输入文件缺少列：{', '.join(missing)}")
    grouper = lookup.grouper(reference_dir)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OUT_COLUMNS)
    summary = BatchSummary()
    for row in reader:
        summary.cases += 1
        try:
            result = grouper.group(case_from_fields(row))
        except BusinessError as exc:
            result = GroupResult(
                row.get("case_id") or "",
                "",
                "",
                ERROR_DRG,
                "未入组（病案数据错误）",
                (exc.message,),
                exc.code,
            )
        rate = rates.get(result.drg) if rates else None
        if result.drg == ERROR_DRG:
            summary.errors += 1
            key = result.error_code or "?"
            summary.by_error[key] = summary.by_error.get(key, 0) + 1
        elif result.drg.endswith("QY"):
            summary.ambiguous += 1
        else:
            summary.grouped += 1
        writer.writerow(
            (
                result.case_id,
                result.mdc,
                result.adrg,
                result.drg,
                result.drg_name,
                "" if rate is None or rate.rw is None else str(rate.rw),
                result.reason_path,
                result.error_code or "",
            )
        )
    return out.getvalue(), summary


def reference_rates(reference_dir: Path, name: str) -> dict[str, pay.DrgRate]:
    """A published table of `drg-payment/` by its name (北京2022), for batch grouping without a database."""
    path = reference_dir / "drg-payment" / f"{name}.csv"
    if not path.exists():
        raise not_found("PAYMENT_TABLE_NOT_FOUND", f"字段 table：没有付费标准文件 {name}.csv", "table")
    return {r.drg_code: r for r in pay.parse_payment_table(path.read_text(encoding="utf-8"))}


# ================================================================ payment methods (支付方式)


def _decimal_param(params: Mapping[str, Any], key: str, default: str | None = None) -> Decimal:
    raw = params.get(key, default)
    if raw is None:
        raise invalid("PAYMENT_PARAM_MISSING", f"params.{key}", f"字段 params.{key}：该支付方式必须填写")
    if isinstance(raw, float):
        raise invalid("PAYMENT_PARAM_FLOAT", f"params.{key}", f"字段 params.{key}：小数请以字符串给出")
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise invalid(
            "PAYMENT_PARAM_NUMBER", f"params.{key}", f"字段 params.{key} 不是数字：{raw!r}"
        ) from exc
    if not value.is_finite() or value < 0 or value > 1000:
        raise invalid("PAYMENT_PARAM_NUMBER", f"params.{key}", f"字段 params.{key} 必须是 0 到 1000 之间的数")
    return value


def _expected_points(params: Mapping[str, Any]) -> Decimal:
    """预计总分值 given as a decimal string (positive, at most 10¹³)."""
    raw = params["expected_points"]
    try:
        value = Decimal(raw) if isinstance(raw, str) else Decimal(-1)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not 0 < value <= MAX_FEN:
        raise invalid(
            "PAYMENT_PARAM_NUMBER",
            "params.expected_points",
            f"字段 params.expected_points 应为大于 0 的小数字符串：{str(raw)[:40]!r}",
        )
    return value


def _int_param(params: Mapping[str, Any], key: str, default: int | None = None) -> int:
    raw = params.get(key, default)
    if raw is None:
        raise invalid("PAYMENT_PARAM_MISSING", f"params.{key}", f"字段 params.{key}：该支付方式必须填写")
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_FEN:
        raise invalid(
            "PAYMENT_PARAM_INT", f"params.{key}", f"字段 params.{key} 必须是 0 到 {MAX_FEN} 之间的整数"
        )
    return int(raw)


_REQUIRED: dict[str, tuple[str, ...]] = {
    "fee_for_service": (),
    "drg": ("table", "base_rate_fen"),
    "dip": ("budget_fen",),
    "per_diem": ("rate_per_day_fen",),
    "capitation": ("rate_per_head_fen", "enrolled"),
    "single_disease": ("prices_fen",),
    "global_budget": ("per_case_quota_fen", "admission_cap"),
}


_INT_KEYS = ("enrolled", "admission_cap", "min_days", "max_days", "cap_days", "threshold")


def check_params(method: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a method's terms; numbers in fen are integers, ratios decimal strings."""
    if method not in METHODS:
        raise invalid("PAYMENT_METHOD", "method", f"字段 method 取值应为 {'/'.join(METHODS)}：{method!r}")
    for key in _REQUIRED[method]:
        if key not in params:
            raise invalid("PAYMENT_PARAM_MISSING", f"params.{key}", f"字段 params.{key}：{method} 必须填写")
    for key in params:
        if (key.endswith("_fen") and key != "prices_fen") or key in _INT_KEYS:
            _int_param(params, key)
        elif key in (
            "min_outpatient_inpatient",
            "max_admissions_per_person",
            "max_drug_share",
            "low_ratio",
            "high_ratio",
            "share_over",
            "carry_savings",
            "prepay_ratio",
            "level_coef",
            "fund_share",
        ):
            _decimal_param(params, key)
    if method == "single_disease":
        prices = params["prices_fen"]
        if not isinstance(prices, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_FEN for v in prices.values()
        ):
            raise invalid(
                "PAYMENT_PARAM_PRICES", "params.prices_fen", "字段 params.prices_fen 应为 {诊断编码: 分}"
            )
    if "threshold" in params and _int_param(params, "threshold") < 1:
        raise invalid(
            "PAYMENT_PARAM_INT", "params.threshold", "字段 params.threshold：核心病种病例数阈值必须 ≥ 1"
        )
    if "expected_points" in params:
        _expected_points(params)
    if method == "dip" and _int_param(params, "budget_fen") == 0:
        raise invalid(
            "PAYMENT_PARAM_INT", "params.budget_fen", "字段 params.budget_fen：DIP 年度预算必须大于 0"
        )
    if method == "drg" and not isinstance(params.get("table"), str):
        raise invalid("PAYMENT_PARAM_TABLE", "params.table", "字段 params.table 应为付费标准名称")
    for key in ("prepay_ratio", "share_over", "carry_savings", "fund_share", "max_drug_share"):
        if key in params and _decimal_param(params, key) > 1:
            raise invalid("PAYMENT_PARAM_RATIO", f"params.{key}", f"字段 params.{key} 应在 0–1 之间")
    return dict(params)


def set_method(
    *,
    uow: UnitOfWork,
    admdvs: str,
    method: str,
    params: Mapping[str, Any],
    begin: date,
    end: date | None = None,
    fixmedins_code: str | None = None,
    insutype: str | None = None,
) -> PaymentMethod:
    """Configure the payment method of a region (default) or an institution for a scheme and period."""
    _write(uow)
    admdvs = require_admdvs(admdvs)
    uow.actor.require_region(admdvs)
    check_order(begin, end)
    terms = check_params(method, params)
    repo = PaymentRepository(uow.session)
    for other in repo.methods_of_region(admdvs):
        same_scope = other.fixmedins_code == fixmedins_code and other.insutype == insutype
        if same_scope and overlaps(other, Period(begin, end)):
            raise conflict(
                "PAYMENT_METHOD_OVERLAP",
                f"字段 begin：该范围已有 {other.begin}–{other.end or '长期'} 的支付方式 "
                f"{other.method}，有效期重叠",
                "begin",
            )
    row = PaymentMethod(
        admdvs=admdvs,
        fixmedins_code=fixmedins_code or None,
        insutype=insutype or None,
        method=method,
        params=json.dumps(terms, ensure_ascii=False, sort_keys=True),
        begin=begin,
        end=end,
        created_at=utcnow(),
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="payment.method.set",
        entity="pay_method",
        entity_id=row.id,
        admdvs=admdvs,
        after={"fixmedins_code": fixmedins_code, "insutype": insutype, "method": method, "params": terms},
    )
    uow.commit()
    return row


def list_methods(*, uow: UnitOfWork, admdvs: str | None = None) -> list[PaymentMethod]:
    _read(uow)
    return PaymentRepository(uow.session).methods(regions=uow.actor.region_filter(), admdvs=admdvs)


def _method_for(methods: list[PaymentMethod], fixmedins_code: str, on: date) -> tuple[str, dict[str, Any]]:
    """The institution's own method in force on `on`, else the region's default, else fee for service."""
    in_force = [m for m in methods if m.insutype is None and m.begin <= on and (m.end is None or on <= m.end)]
    own = [m for m in in_force if m.fixmedins_code == fixmedins_code]
    default = [m for m in in_force if m.fixmedins_code is None]
    best = own[0] if own else default[0] if default else None
    if best is None:
        return "fee_for_service", {}
    return best.method, json.loads(best.params)


# ================================================================ clearing (清算)


def period_bounds(period_kind: str, period: str) -> tuple[date, date]:
    """First and last day of a month (2025-03), quarter (2025Q1) or year (2025)."""
    try:
        if period_kind == "month":
            year, month = (int(x) for x in period.split("-"))
            first = date(year, month, 1)
            nxt = date(year + month // 12, month % 12 + 1, 1)
            return first, nxt - timedelta(days=1)
        if period_kind == "quarter":
            year_text, q_text = period.upper().split("Q")
            year, q = int(year_text), int(q_text)
            if not 1 <= q <= 4:
                raise ValueError(period)
            first = date(year, 3 * q - 2, 1)
            nxt = date(year + (1 if q == 4 else 0), 1 if q == 4 else 3 * q + 1, 1)
            return first, nxt - timedelta(days=1)
        if period_kind == "year":
            year = int(period)
            return date(year, 1, 1), date(year, 12, 31)
    except ValueError as exc:
        raise invalid(
            "CLEARING_PERIOD", "period", f"字段 period 格式应为 2025-03 / 2025Q1 / 2025：{period!r}"
        ) from exc
    raise invalid(
        "CLEARING_PERIOD_KIND", "period_kind", f"字段 period_kind 取值应为 {'/'.join(PERIOD_KINDS)}"
    )


def _months(begin: date, end: date) -> list[str]:
    out = []
    day = begin
    while day <= end:
        out.append(f"{day.year:04d}-{day.month:02d}")
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def review_deductions(uow: UnitOfWork, admdvs: str, months: list[str]) -> dict[str, int] | None:
    """Confirmed deductions (审核扣款) per institution from the review area, when it offers them."""
    try:
        review = importlib.import_module("yibao.review.service")
    except ModuleNotFoundError:
        return None
    confirmed: Callable[..., Any] | None = getattr(review, "confirmed_deductions", None)
    if confirmed is None:
        return None
    totals: dict[str, int] = defaultdict(int)
    for month in months:
        for row in confirmed(uow=uow, admdvs=admdvs, period=month):
            totals[row.fixmedins_code] += int(row.amount_fen)
    return dict(totals)


def _age(birth: date | None, on: date) -> tuple[int | None, int | None]:
    if birth is None:
        return None, None
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return years, (on - birth).days if years == 0 else None


def _local_day(moment: datetime) -> date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_TZ).date()


@dataclass
class _Acc:
    settlements: int = 0
    declared: int = 0
    inpatient_declared: int = 0
    admissions: int = 0
    persons: set[str] = field(default_factory=set)
    drg_fund: int = 0
    drg_cases: dict[str, int] = field(default_factory=dict)
    bed_days: int = 0
    single_disease: int = 0
    single_disease_declared: int = 0
    outpatient_visits: int = 0
    dip_cases: list[dip.SettledDipCase] = field(default_factory=list)
    drug_fen: int = 0  # drug fee lines of the inpatient settlements (药品费用)
    fee_total_fen: int = 0  # all their fee lines (医疗总费用)
    dip_fund: int = 0
    dip_detail: dict[str, Any] = field(default_factory=dict)


def _drg_fund(
    case: SettledCase, grouper: Grouper, rates: Mapping[str, pay.DrgRate], pricing: pay.DrgPricing
) -> tuple[int, str]:
    """The fund's DRG amount for one settled inpatient case: payment − the insured's own share."""
    end = case.endtime or case.begntime
    on = _local_day(end)
    age, age_days = _age(case.birth_date, on)
    days = max((_local_day(end) - _local_day(case.begntime)).days, 0)
    result = grouper.group(
        GroupCase(
            case.setl_id,
            case.gend or "",
            age,
            age_days,
            diag_codes=tuple(c for c in case.diagnoses.split("|") if c),
            oprn_codes=tuple(c for c in case.procedures.split("|") if c),
        )
    )
    payment = pay.pay_drg_case(
        pay.DrgCase(
            case.setl_id, result.drg, case.medfee_sumamt, days, level=case.dedc_level, insutype=case.insutype
        ),
        rates.get(result.drg),
        pricing,
    )
    own_share = case.medfee_sumamt - case.fund_pay_sumamt
    return max(payment.paid_fen - own_share, 0), f"{result.drg}:{payment.category}"


def _optional_ratio(params: Mapping[str, Any], key: str) -> Decimal | None:
    return Decimal(str(params[key])) if key in params else None


def _method_amount(
    method: str, params: Mapping[str, Any], a: _Acc, *, deducted: int, period_kind: str, months: int
) -> tuple[int, int, dict[str, Any]]:
    """An institution's amount under its payment method, the over-quota sharing, and how."""
    months_in = months
    outpatient = a.declared - a.inpatient_declared
    detail: dict[str, Any] = {
        "outpatient_fen": outpatient,
        "inpatient_declared_fen": a.inpatient_declared,
    }
    inpatient_amount = a.inpatient_declared
    if method == "drg":
        inpatient_amount = a.drg_fund
        detail["drg_cases"] = a.drg_cases
    elif method == "dip":
        inpatient_amount = a.dip_fund
        detail["dip"] = a.dip_detail
    elif method == "per_diem":
        inpatient_amount = pay.per_diem(
            days=a.bed_days, rate_per_day=int(params["rate_per_day_fen"]), cap_days=params.get("cap_days")
        )
        detail["bed_days"] = a.bed_days
    elif method == "single_disease":
        inpatient_amount = a.inpatient_declared - a.single_disease_declared + a.single_disease
    if method == "capitation":
        # 按人头: the enrolled persons' outpatient pooling replaces the outpatient declared amount
        outpatient = pay.capitation(
            enrolled=int(params["enrolled"]),
            rate_per_head=int(params["rate_per_head_fen"]),
            months=months_in,
        )
        detail["capitation_months"] = months_in
    method_amount = outpatient + inpatient_amount - deducted
    sharing = 0
    if method == "global_budget" and period_kind == "year":
        control = pay.DualControl(
            per_case_quota=int(params["per_case_quota_fen"]),
            admission_cap=int(params["admission_cap"]),
            share_over=Decimal(str(params.get("share_over", "0.30"))),
            carry_savings=Decimal(str(params.get("carry_savings", "1"))),
            min_outpatient_inpatient=_optional_ratio(params, "min_outpatient_inpatient"),
            max_admissions_per_person=_optional_ratio(params, "max_admissions_per_person"),
            max_drug_share=_optional_ratio(params, "max_drug_share"),
        )
        cleared = pay.clear_budget_year(
            control,
            pay.YearFigures(
                admissions=a.admissions,
                inpatient_fund_fen=max(a.inpatient_declared - deducted, 0),
                outpatient_visits=a.outpatient_visits,
                persons=len(a.persons),
                drug_fen=a.drug_fen,
                total_fen=a.fee_total_fen,
            ),
        )
        detail["drug_fen"] = a.drug_fen
        detail["fee_total_fen"] = a.fee_total_fen
        detail["indicators"] = [
            {"name": c.name, "value": str(c.value), "limit": str(c.limit), "passed": c.passed}
            for c in cleared.indicators
        ]
        method_amount = outpatient + cleared.actual_fen
        sharing = cleared.institution_share_fen
        detail["budget"] = {k: v for k, v in asdict(cleared).items() if k != "indicators"}
    return method_amount, sharing, detail


def _accumulate(
    uow: UnitOfWork,
    admdvs: str,
    cases: list[SettledCase],
    methods: list[PaymentMethod],
    end: date,
    reference_dir: Path,
) -> tuple[dict[str, _Acc], dict[str, tuple[str, dict[str, Any]]]]:
    """Sum the period's settlements per institution, pricing inpatient cases by the method in force."""
    grouper = lookup.grouper(reference_dir)
    acc: dict[str, _Acc] = defaultdict(_Acc)
    terms: dict[str, tuple[str, dict[str, Any]]] = {}
    rates_cache: dict[str, dict[str, pay.DrgRate]] = {}
    for case in cases:
        a = acc[case.fixmedins_code]
        a.settlements += 1
        a.declared += case.fund_pay_sumamt
        inpatient = case.med_type.startswith("2")
        if inpatient:
            a.inpatient_declared += case.fund_pay_sumamt
        if not inpatient and case.kind == "settlement" and case.status == "settled":
            a.outpatient_visits += 1
        if not (inpatient and case.kind == "settlement" and case.status == "settled"):
            continue
        a.admissions += 1
        a.persons.add(case.psn_no)
        if case.fixmedins_code not in terms:
            terms[case.fixmedins_code] = _method_for(methods, case.fixmedins_code, end)
        method, params = terms[case.fixmedins_code]
        end_day = _local_day(case.endtime or case.begntime)
        a.bed_days += max((end_day - _local_day(case.begntime)).days, 1)
        if method == "drg":
            table = str(params["table"])
            if table not in rates_cache:
                rates_cache[table] = rates_in_force(uow=uow, admdvs=admdvs, name=table, on=end)
            pricing = pay.DrgPricing(
                base_rate=int(params["base_rate_fen"]),
                level_coef=Decimal(str(params.get("level_coef", "1"))),
                low_ratio=Decimal(str(params.get("low_ratio", "0.35"))),
                high_ratio=Decimal(str(params.get("high_ratio", "2"))),
                min_days=int(params.get("min_days", 2)),
                max_days=int(params.get("max_days", 60)),
            )
            fund, tag = _drg_fund(case, grouper, rates_cache[table], pricing)
            a.drg_fund += fund
            a.drg_cases[tag] = a.drg_cases.get(tag, 0) + 1
        elif method == "dip":
            a.dip_cases.append(_dip_case(case, params))
        elif method == "single_disease":
            principal = case.diagnoses.split("|")[0]
            price = params["prices_fen"].get(principal)
            if price is not None:
                a.single_disease += pay.single_disease(
                    fixed_price=int(price),
                    total_fen=case.medfee_sumamt,
                    fund_share=Decimal(str(params.get("fund_share", "1"))),
                )
                a.single_disease_declared += case.fund_pay_sumamt
    return acc, terms


def _dip_case(case: SettledCase, params: Mapping[str, Any]) -> dip.SettledDipCase:
    return dip.SettledDipCase(
        fixmedins_code=case.fixmedins_code,
        diag_code=case.diagnoses.split("|")[0],
        oprn_code=case.procedures.split("|")[0] or None,  # the main procedure, else 保守治疗
        total_fen=case.medfee_sumamt,
        own_fen=case.medfee_sumamt - case.fund_pay_sumamt,
        level_coef=Decimal(str(params.get("level_coef", "1"))),
    )


def _settled_inpatient(case: SettledCase) -> bool:
    return case.med_type.startswith("2") and case.kind == "settlement" and case.status == "settled"


def _year_window(first: int, last: int) -> tuple[datetime, datetime]:
    """UTC bounds of Beijing years `first`…`last` (inclusive)."""
    start = datetime.combine(date(first, 1, 1), time(0), LOCAL_TZ).astimezone(UTC)
    stop = datetime.combine(date(last + 1, 1, 1), time(0), LOCAL_TZ).astimezone(UTC)
    return start, stop


def _clear_dip(
    repo: PaymentRepository,
    admdvs: str,
    acc: Mapping[str, _Acc],
    terms: Mapping[str, tuple[str, dict[str, Any]]],
    period_kind: str,
    year: int,
) -> None:
    """DIP amounts of the period for every institution paid by DIP.

    Institutions whose DIP terms name the same budget share one point value (a pool). Packets and
    scores come from the region's settled inpatient cases of the three years before `year`; the
    budget point value divides the budget by the expected points (the terms' `expected_points`, else
    the points of the year before); the annual run uses the settlement point value (cleared budget ÷
    the year's actual points of the pool).
    """
    pools: dict[str, list[str]] = defaultdict(list)
    for code, (method, params) in terms.items():
        if method == "dip":
            key = json.dumps({k: params.get(k) for k in DIP_POOL_TERMS}, sort_keys=True)
            pools[key].append(code)
    if not pools:
        return
    history = [
        c for c in repo.settled_cases(admdvs, *_year_window(year - 3, year - 1)) if _settled_inpatient(c)
    ]
    tables: dict[int, dip.PacketTable] = {}
    for codes in pools.values():
        params = terms[codes[0]][1]
        threshold = int(params.get("threshold", 15))
        if threshold not in tables:
            tables[threshold] = dip.build_packets(
                (
                    dip.HistoryCase(
                        _local_day(c.settled_at or c.begntime).year,
                        c.diagnoses.split("|")[0],
                        c.procedures.split("|")[0] or None,
                        c.medfee_sumamt,
                    )
                    for c in history
                ),
                year=year,
                threshold=threshold,
            )
        table = tables[threshold]
        members = set(codes)
        if "expected_points" in params:
            expected = _expected_points(params)
        else:
            expected = dip.expected_points(
                table,
                (
                    _dip_case(c, terms[c.fixmedins_code][1])
                    for c in history
                    if c.fixmedins_code in members and _local_day(c.settled_at or c.begntime).year == year - 1
                ),
            )
        budget_pv = dip.budget_point_value(budget_fen=int(params["budget_fen"]), expected_points=expected)
        tallies = dip.tally(table, (case for code in codes for case in acc[code].dip_cases))
        point_value, kind = budget_pv, "预算点值"
        if period_kind == "year":
            actual = sum((t.points for t in tallies), Decimal(0))
            point_value = dip.settlement_point_value(
                cleared_budget_fen=int(params.get("cleared_budget_fen") or params["budget_fen"]),
                actual_points=actual,
            )
            kind = "结算点值"
        for amount in dip.price(tallies, point_value):
            a = acc[amount.fixmedins_code]
            a.dip_fund = amount.fund_fen
            a.dip_detail = {
                "packets": len(table.packets),
                "expected_points": str(expected),
                "budget_point_value": str(budget_pv.quantize(Decimal("0.000001"))),
                "point_value": str(point_value.quantize(Decimal("0.000001"))),
                "point_value_kind": kind,
                "points": str(amount.points),
                "amount_fen": amount.amount_fen,
                "own_fen": amount.own_fen,
                "categories": dict(amount.categories),
            }


def _deductions_of(
    uow: UnitOfWork, admdvs: str, months: list[str], given: Mapping[str, int] | None
) -> tuple[Mapping[str, int], str]:
    """The deductions to clear and where they came from: given (checked), the review area, none."""
    if given is None:
        found = review_deductions(uow, admdvs, months)
        return found or {}, "review" if found is not None else "none"
    for code, amount in given.items():
        if not code or len(code) > 32:
            raise invalid(
                "CLEARING_DEDUCTION", "deductions", f"字段 deductions：定点机构编码 {code[:40]!r} 无效"
            )
        if not isinstance(amount, int) or not 0 <= amount <= MAX_FEN:
            raise invalid(
                "CLEARING_DEDUCTION", "deductions", f"字段 deductions：{code} 的扣款必须是非负整数（分）"
            )
    return given, "given"


def _add_drug_costs(costs: Mapping[str, tuple[int, int]], acc: Mapping[str, _Acc]) -> None:
    """Feed the drug share (药占比) of the dual control: drug and total fees per institution."""
    for code, (drug_fen, total_fen) in costs.items():
        if code in acc:
            acc[code].drug_fen, acc[code].fee_total_fen = drug_fen, total_fen


def run_clearing(
    *,
    uow: UnitOfWork,
    admdvs: str,
    period_kind: str,
    period: str,
    reference_dir: Path,
    deductions: Mapping[str, int] | None = None,
) -> Clearing:
    """Clear a period with every institution of the region: statement lines and payment orders.

    declared = Σ fund_pay_sumamt of the period's settlements and reversals (to the fen);
    method amount by the institution's method in force at the period's end; monthly runs pay
    `prepay_ratio` (default 0.9) of it, quarterly and annual runs pay the rest minus what the
    earlier runs inside the period paid; the annual run applies the global-budget sharing.
    """
    _write(uow)
    admdvs = require_admdvs(admdvs)
    uow.actor.require_region(admdvs)
    begin, end = period_bounds(period_kind, period)
    repo = PaymentRepository(uow.session)
    if repo.clearing_by_period(admdvs, period_kind, period) is not None:
        raise conflict("CLEARING_EXISTS", f"字段 period：统筹区 {admdvs} 的 {period} 已清算", "period")
    deductions, source = _deductions_of(uow, admdvs, _months(begin, end), deductions)
    start = datetime.combine(begin, time(0), LOCAL_TZ).astimezone(UTC)
    stop = datetime.combine(end + timedelta(days=1), time(0), LOCAL_TZ).astimezone(UTC)
    cases = repo.settled_cases(admdvs, start, stop)
    methods = repo.methods_of_region(admdvs)
    acc, terms = _accumulate(uow, admdvs, cases, methods, end, reference_dir)
    _clear_dip(repo, admdvs, acc, terms, period_kind, end.year)
    if period_kind == "year" and any(m.method == "global_budget" for m in methods):
        _add_drug_costs(repo.inpatient_drug_costs(admdvs, start, stop), acc)
    codes = sorted(set(acc) | {m.fixmedins_code for m in methods if m.fixmedins_code} | set(deductions))
    prepaid_by = (
        repo.paid_within(admdvs, begin, end, kinds=("month",))
        if period_kind == "quarter"
        else repo.paid_within(admdvs, begin, end, kinds=("month", "quarter"))
        if period_kind == "year"
        else {}
    )
    clearing = Clearing(
        admdvs=admdvs,
        period_kind=period_kind,
        period=period,
        begin=begin,
        end=end,
        status="issued",
        deductions_source=source,
        created_at=utcnow(),
        created_by=uow.actor.username,
    )
    repo.add(clearing)
    uow.flush()
    months_in = len(_months(begin, end))
    orders = repo.order_count()
    for code in codes:
        a = acc[code] if code in acc else _Acc()
        method, params = terms.get(code) or _method_for(methods, code, end)
        deducted = int(deductions.get(code, 0))
        method_amount, sharing, detail = _method_amount(
            method, params, a, deducted=deducted, period_kind=period_kind, months=months_in
        )
        if max(abs(method_amount), abs(sharing)) > MAX_FEN:
            raise invalid(
                "CLEARING_AMOUNT_RANGE",
                "params",
                f"定点机构 {code} 的支付方式参数算出的金额超出合理范围（{method_amount} 分），请检查参数",
            )
        prepaid = prepaid_by.get(code, 0)
        if period_kind == "month":
            ratio = Decimal(str(params.get("prepay_ratio", "0.9")))
            detail["prepay_ratio"] = str(ratio)
            payable = ratio_of(method_amount, ratio)
        else:
            payable = method_amount - sharing - prepaid
        line = pay.statement_line(
            fixmedins_code=code,
            declared_fen=a.declared if a.declared >= 0 else 0,
            deducted_fen=deducted,
            method_fen=method_amount,
            sharing_fen=sharing,
            prepaid_fen=prepaid,
        )
        repo.add(
            ClearingLine(
                clearing_id=clearing.id,
                fixmedins_code=code,
                method=method,
                settlements=a.settlements,
                declared=a.declared,
                deducted=deducted,
                method_amount=line.method_fen,
                sharing=sharing,
                prepaid=prepaid,
                payable=payable,
                detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
            )
        )
        orders += 1
        repo.add(
            PaymentOrder(
                order_no=f"PO{clearing.id:06d}{orders:08d}",
                clearing_id=clearing.id,
                fixmedins_code=code,
                amount=payable,
                status="issued",
                created_at=utcnow(),
            )
        )
    uow.audit(
        action="payment.clearing.run",
        entity="pay_clearing",
        entity_id=clearing.id,
        admdvs=admdvs,
        after={
            "period_kind": period_kind,
            "period": period,
            "institutions": len(codes),
            "deductions": source,
        },
    )
    uow.commit()
    return clearing


def list_clearings(*, uow: UnitOfWork, admdvs: str | None = None) -> list[Clearing]:
    _read(uow)
    return PaymentRepository(uow.session).clearings(regions=uow.actor.region_filter(), admdvs=admdvs)


def get_clearing(
    *, uow: UnitOfWork, clearing_id: int
) -> tuple[Clearing, list[ClearingLine], list[PaymentOrder]]:
    _read(uow)
    repo = PaymentRepository(uow.session)
    clearing = repo.clearing(clearing_id)
    if clearing is None or not uow.actor.sees_region(clearing.admdvs):
        raise not_found("CLEARING_NOT_FOUND", f"清算 {clearing_id} 不存在")
    return clearing, repo.lines(clearing_id), repo.orders(clearing_id)


@dataclass(frozen=True)
class Reconciliation:
    """Does the statement reconcile to the fen with settlements, deductions and orders?"""

    settlements_fen: int
    declared_fen: int
    deductions_fen: int
    deducted_fen: int
    orders_fen: int
    payable_fen: int

    @property
    def balanced(self) -> bool:
        return (
            self.settlements_fen == self.declared_fen
            and self.deductions_fen == self.deducted_fen
            and self.orders_fen == self.payable_fen
        )


def reconcile(
    *, uow: UnitOfWork, clearing_id: int, deductions: Mapping[str, int] | None = None
) -> Reconciliation:
    """Re-read the period's settlements and compare with the statement and its orders."""
    clearing, lines, orders = get_clearing(uow=uow, clearing_id=clearing_id)
    start = datetime.combine(clearing.begin, time(0), LOCAL_TZ).astimezone(UTC)
    stop = datetime.combine(clearing.end + timedelta(days=1), time(0), LOCAL_TZ).astimezone(UTC)
    settled = PaymentRepository(uow.session).settled_cases(clearing.admdvs, start, stop)
    if deductions is None and clearing.deductions_source == "review":
        deductions = review_deductions(uow, clearing.admdvs, _months(clearing.begin, clearing.end)) or {}
    return Reconciliation(
        settlements_fen=sum(c.fund_pay_sumamt for c in settled),
        declared_fen=sum(line.declared for line in lines),
        deductions_fen=sum((deductions or {}).values())
        if deductions is not None
        else sum(line.deducted for line in lines),
        deducted_fen=sum(line.deducted for line in lines),
        orders_fen=sum(o.amount for o in orders),
        payable_fen=sum(line.payable for line in lines),
    )


STATEMENT_HEADERS = (
    "定点机构编码",
    "支付方式",
    "结算笔数",
    "申报金额(元)",
    "审核扣款(元)",
    "支付方式金额(元)",
    "超额分担(元)",
    "已预拨(元)",
    "本次应付(元)",
)


def statement_rows(lines: list[ClearingLine]) -> list[list[str | int]]:
    rows: list[list[str | int]] = [
        [
            line.fixmedins_code,
            METHOD_NAMES.get(line.method, line.method),
            line.settlements,
            fen_to_yuan(line.declared),
            fen_to_yuan(line.deducted),
            fen_to_yuan(line.method_amount),
            fen_to_yuan(line.sharing),
            fen_to_yuan(line.prepaid),
            fen_to_yuan(line.payable),
        ]
        for line in lines
    ]
    totals = [
        sum(getattr(line, f) for line in lines)
        for f in ("declared", "deducted", "method_amount", "sharing", "prepaid", "payable")
    ]
    rows.append(["合计", "", sum(line.settlements for line in lines), *(fen_to_yuan(t) for t in totals)])
    return rows


def _statement_of(
    uow: UnitOfWork, clearing_id: int, fixmedins_code: str | None
) -> tuple[Clearing, list[ClearingLine], list[PaymentOrder]]:
    """The run's lines and orders, or one institution's when a code is given."""
    clearing, lines, orders = get_clearing(uow=uow, clearing_id=clearing_id)
    if fixmedins_code:
        lines = [line for line in lines if line.fixmedins_code == fixmedins_code]
        orders = [o for o in orders if o.fixmedins_code == fixmedins_code]
        if not lines:
            raise not_found(
                "CLEARING_LINE_NOT_FOUND",
                f"字段 fixmedins_code：清算 {clearing_id} 中没有定点机构 {fixmedins_code[:40]}",
            )
    return clearing, lines, orders


def statement_xlsx(*, uow: UnitOfWork, clearing_id: int, fixmedins_code: str | None = None) -> bytes:
    """The clearing statement as an Excel workbook (清算单), of the run or of one institution."""
    _, lines, _ = _statement_of(uow, clearing_id, fixmedins_code)
    return write_xlsx("清算单", STATEMENT_HEADERS, statement_rows(lines))


def statement_pdf(*, uow: UnitOfWork, clearing_id: int, fixmedins_code: str | None = None) -> bytes:
    """The clearing statement as a printable PDF: the same summary rows as the Excel, the
    reconciliation of the run (whole runs only) and one section per institution."""
    clearing, lines, orders = _statement_of(uow, clearing_id, fixmedins_code)
    check = None
    if not fixmedins_code:
        r = reconcile(uow=uow, clearing_id=clearing_id)
        check = pdf.Reconciled(
            settlements_fen=r.settlements_fen,
            declared_fen=r.declared_fen,
            deductions_fen=r.deductions_fen,
            deducted_fen=r.deducted_fen,
            orders_fen=r.orders_fen,
            payable_fen=r.payable_fen,
            balanced=r.balanced,
        )
    return pdf.clearing_pdf(
        clearing=clearing,
        lines=lines,
        orders=orders,
        headers=STATEMENT_HEADERS,
        rows=statement_rows(lines),
        check=check,
    )
