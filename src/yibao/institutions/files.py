"""Reading import files (CSV or Excel) into numbered rows, keeping the spreadsheet's row numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook

from yibao.domain.errors import invalid

MAX_ROWS = 20_000


@dataclass(frozen=True)
class SourceRow:
    """One data row: its row number in the file (header = 1) and its cells by canonical column name."""

    number: int
    cells: dict[str, str]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise invalid("IMPORT_ENCODING", "file", "字段 file 无法识别文件编码，请使用 UTF-8 或 GBK 编码的 CSV")


def _raw_rows(data: bytes, filename: str) -> list[list[str]]:
    name = (filename or "").lower()
    if name.endswith(".csv"):
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(_decode(data)))]
    if name.endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several kinds for a damaged file
            raise invalid("IMPORT_FORMAT", "file", "字段 file 不是有效的 Excel（.xlsx）文件") from exc
        rows = [[_cell(v) for v in values] for values in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
        return rows
    raise invalid("IMPORT_FORMAT", "file", f"字段 file 只支持 .csv 或 .xlsx 文件，实际为 {filename!r}")


def read_rows(
    data: bytes, filename: str, *, aliases: Mapping[str, str], required: frozenset[str]
) -> list[SourceRow]:
    """Rows keyed by canonical column names (English or Chinese headers accepted via `aliases`).

    Blank rows are skipped but keep their numbers, so an error points at the row the user sees.
    """
    raw = _raw_rows(data, filename)
    if not raw:
        raise invalid("IMPORT_EMPTY", "file", "字段 file 文件为空，第1行应为表头")
    header = [aliases.get(h.strip().lower(), aliases.get(h.strip(), "")) for h in raw[0]]
    missing = sorted(required - set(header))
    if missing:
        raise invalid("IMPORT_COLUMNS", "file", f"字段 file 表头缺少必需列：{'、'.join(missing)}")
    out: list[SourceRow] = []
    for index, values in enumerate(raw[1:], start=2):
        if all(not v for v in values):
            continue
        cells = {header[i]: values[i] for i in range(min(len(header), len(values))) if header[i]}
        out.append(SourceRow(number=index, cells=cells))
    if not out:
        raise invalid("IMPORT_EMPTY", "file", "字段 file 文件没有数据行")
    if len(out) > MAX_ROWS:
        raise invalid("IMPORT_TOO_MANY", "file", f"字段 file 一次最多导入{MAX_ROWS}行，实际 {len(out)} 行")
    return out
