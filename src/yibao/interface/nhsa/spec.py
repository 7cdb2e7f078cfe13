"""The transaction tables of the interface specification (Hunan edition V1.1.27 of the national
baseline), read from the reference JSON: which fields each transaction's input and output carry,
their type, required flag and dictionary flag."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SPEC_FILE = "nhsa-interface/transactions_hunan_v1.1.27.json"
_CODE = ("参数代码", "数据元标识")
_TYPE = ("参数类型", "类型")
_REQUIRED = ("是否必填", "是否非空")


@dataclass(frozen=True)
class SpecField:
    """One field of a table."""

    code: str
    name: str
    type: str
    required: bool
    dictionary: bool


@dataclass(frozen=True)
class SpecTable:
    """One input or output table (节点) of a transaction."""

    section: str  # 输入 / 输出
    caption: str
    node: str | None
    fields: tuple[SpecField, ...]


@dataclass(frozen=True)
class Transaction:
    """One transaction (交易) of the specification."""

    infno: str
    name: str
    tables: tuple[SpecTable, ...]

    def outputs(self) -> list[SpecTable]:
        return [t for t in self.tables if t.section == "输出"]


def _index(header: list[str], names: tuple[str, ...]) -> int | None:
    for i, title in enumerate(header):
        if title in names:
            return i
    return None


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _swapped(rows: list[list[str]], code_i: int, name_i: int) -> bool:
    """Whether a table's header names its code and name columns the wrong way round (1304 does):
    the field codes are identifiers, so the column holding them is the code column."""

    def identifiers(i: int) -> int:
        return sum(1 for row in rows if i < len(row) and _IDENTIFIER.match(str(row[i]).strip()))

    return identifiers(name_i) > identifiers(code_i)


def _node(caption: str) -> str | None:
    match = re.search(r"节点标识[：:]?\s*([A-Za-z_][A-Za-z0-9_]*)", caption)
    return match.group(1) if match else None


@cache
def load(reference_dir: Path) -> dict[str, Transaction]:
    """Every transaction of the specification by infno, in the order of the document."""
    raw = json.loads((reference_dir / SPEC_FILE).read_text(encoding="utf-8"))["transactions"]
    found: dict[str, Transaction] = {}
    for infno, body in raw.items():
        tables = []
        for table in body.get("tables") or []:
            header = list(table.get("header") or [])
            code_i, type_i = _index(header, _CODE), _index(header, _TYPE)
            req_i, dict_i = _index(header, _REQUIRED), _index(header, ("代码标识",))
            name_i = _index(header, ("参数名称", "数据元名称"))
            if code_i is None:
                continue
            if name_i is not None and _swapped(table.get("rows") or [], code_i, name_i):
                code_i, name_i = name_i, code_i
            fields = []
            for row in table.get("rows") or []:
                if len(row) <= code_i or not str(row[code_i]).strip():
                    continue

                def cell(i: int | None, row: list[str] = row) -> str:
                    return str(row[i]).strip() if i is not None and i < len(row) else ""

                fields.append(
                    SpecField(
                        code=cell(code_i),
                        name=cell(name_i),
                        type=cell(type_i),
                        required=cell(req_i) == "Y",
                        dictionary=cell(dict_i) == "Y",
                    )
                )
            caption = str(table.get("caption") or "")
            tables.append(SpecTable(str(table.get("section") or ""), caption, _node(caption), tuple(fields)))
        found[infno] = Transaction(infno, str(body.get("name") or ""), tuple(tables))
    return found
