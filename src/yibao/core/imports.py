"""Bulk import files (CSV or Excel) read the same way everywhere, and the row-level error report.

Every import in yibao is all-or-nothing: the whole file is checked, every bad row is reported with
its row number as the user sees it in a spreadsheet (the header is row 1), and nothing is stored
unless every row is good.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from dataclasses import field as dc_field

from yibao.core.excel import read_xlsx_table
from yibao.domain.errors import BusinessError, invalid


@dataclass(frozen=True)
class RowError:
    """One broken rule in one row of an import file (row numbers as in a spreadsheet: header is 1)."""

    row: int
    field: str
    code: str
    message: str


@dataclass
class ImportRefusedError(BusinessError):
    """An import refused as a whole, with every bad row listed; nothing was stored."""

    rows: list[RowError] = dc_field(default_factory=list)


def decode_csv(data: bytes, *, code: str) -> str:
    """CSV text in UTF-8 (with or without BOM) or GB18030/GBK; anything else is refused with `code`."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise invalid(code, "file", "字段 file 无法识别文件编码，请使用 UTF-8 或 GBK 编码的 CSV")


def raw_table(filename: str, data: bytes, *, file_code: str, encoding_code: str) -> list[list[str]]:
    """Every row of a .csv or .xlsx file (header first) as stripped text cells."""
    name = (filename or "").lower()
    if name.endswith(".csv"):
        return [
            [c.strip() for c in row] for row in csv.reader(io.StringIO(decode_csv(data, code=encoding_code)))
        ]
    if name.endswith(".xlsx"):
        try:
            return read_xlsx_table(data)
        except Exception as exc:  # openpyxl raises several kinds for a damaged file: the user's input
            raise invalid(file_code, "file", "字段 file 不是有效的 Excel（.xlsx）文件") from exc
    raise invalid(file_code, "file", f"字段 file 只接受 .csv 或 .xlsx 文件，实际为 {filename!r}")


def table_rows(
    filename: str, data: bytes, *, file_code: str, encoding_code: str | None = None
) -> list[tuple[int, dict[str, str]]]:
    """Data rows keyed by header, numbered as in the file; blank rows are skipped but keep their numbers."""
    raw = raw_table(filename, data, file_code=file_code, encoding_code=encoding_code or file_code)
    if not raw:
        return []
    header = [h.strip() for h in raw[0]]
    rows: list[tuple[int, dict[str, str]]] = []
    for number, values in enumerate(raw[1:], start=2):
        if not any(values):
            continue
        rows.append(
            (number, {header[i]: values[i] for i in range(min(len(header), len(values))) if header[i]})
        )
    return rows
