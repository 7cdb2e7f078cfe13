"""Excel export (XlsxWriter) and import (openpyxl) shared by the registries."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter
from openpyxl import load_workbook

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write_xlsx(sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One worksheet with a bold, frozen header row; returns the file's bytes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "default_date_format": "yyyy-mm-dd"})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True, "bg_color": "#EAF0F8"})
    for col, header in enumerate(headers):
        ws.write(0, col, header, bold)
        ws.set_column(col, col, max(10, len(str(header)) * 2))
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            ws.write(r, col, "" if value is None else value)
    ws.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def read_xlsx_table(data: bytes) -> list[list[str]]:
    """Every row of the first worksheet (header first) as stripped text cells."""
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return [[_cell_text(v) for v in values] for values in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def read_xlsx_rows(data: bytes) -> list[dict[str, str]]:
    """The first worksheet's non-blank data rows as dicts keyed by the header row."""
    table = read_xlsx_table(data)
    if not table:
        return []
    header = [h.strip() for h in table[0]]
    return [
        {header[i]: values[i] for i in range(min(len(header), len(values))) if header[i]}
        for values in table[1:]
        if any(values)
    ]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "date") and hasattr(value, "hour"):
        return str(value.date().isoformat())
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
