"""Reading import files (CSV or Excel) into numbered rows, keeping the spreadsheet's row numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from yibao.core.imports import raw_table
from yibao.domain.errors import invalid

MAX_ROWS = 20_000


@dataclass(frozen=True)
class SourceRow:
    """One data row: its row number in the file (header = 1) and its cells by canonical column name."""

    number: int
    cells: dict[str, str]


def _raw_rows(data: bytes, filename: str) -> list[list[str]]:
    return raw_table(filename, data, file_code="IMPORT_FORMAT", encoding_code="IMPORT_ENCODING")


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
