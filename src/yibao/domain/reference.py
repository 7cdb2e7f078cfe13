"""Reading the national ICD code lists (医保版 2.0) and crosswalks (对照表): pure line parsing.

The published files hold one "code name" (code list), "code" (gray codes, 灰码) or "from to"
(crosswalk) per line, UTF-8, sometimes with a byte-order mark. The clinical editions (国临版)
write the dagger of a dagger/asterisk pair as "†" where the crosswalks write "+"; codes are kept
in the "+" form everywhere. Lines that cannot be read are counted and reported, never fatal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

SYSTEMS: dict[str, str] = {"icd10": "ICD-10 医保版 2.0 诊断", "icd9": "ICD-9-CM-3 医保版 2.0 手术操作"}
"""The code systems loaded: system → Chinese title."""

EDITIONS: dict[str, dict[str, str]] = {
    "icd10": {"clinical_2.0": "国家临床版 2.0", "yb_1.0": "医保版 1.0"},
    "icd9": {"clinical_3.0": "国家临床版 3.0", "yb_1.0": "医保版 1.0"},
}
"""The editions each system has a crosswalk from (to 医保版 2.0): edition → Chinese title."""

MAX_CODE = 32
MAX_NAME = 255
_CODE = re.compile(r"^[A-Z0-9][A-Za-z0-9.+*/\-]*$")
_BOM = "\ufeff"


@dataclass(frozen=True)
class BadLine:
    """A line that could not be read: its 1-based number, text and the reason (Chinese)."""

    line: int
    text: str
    reason: str

    def describe(self) -> str:
        return f"第{self.line}行 {self.text[:40]!r}：{self.reason}"


@dataclass
class ParsedCodes:
    """A code list read from a file: code → name in file order, the unreadable lines, repeats."""

    names: dict[str, str] = field(default_factory=dict)
    bad: list[BadLine] = field(default_factory=list)
    duplicates: list[BadLine] = field(default_factory=list)


@dataclass
class ParsedPairs:
    """A crosswalk read from a file: (from, to) pairs in file order, unreadable lines, repeats."""

    pairs: list[tuple[str, str]] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    duplicates: list[BadLine] = field(default_factory=list)

    def targets(self) -> dict[str, tuple[str, ...]]:
        """from code → its 医保版 codes (one code may map to several)."""
        out: dict[str, tuple[str, ...]] = {}
        for source, target in self.pairs:
            out[source] = (*out.get(source, ()), target)
        return out


def normalize_code(raw: str) -> str:
    """A code as stored: no surrounding blanks or byte-order mark, dagger "†" written "+"."""
    return raw.replace(_BOM, "").strip().replace("†", "+")


def code_problem(code: str) -> str | None:
    """Why `code` is not a well-formed ICD code, or None when it is."""
    if not code:
        return "代码为空"
    if len(code) > MAX_CODE:
        return f"代码长度超过{MAX_CODE}个字符"
    if not _CODE.match(code):
        return "代码含有非法字符"
    return None


def _lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Numbered non-blank lines without the byte-order mark and line ends."""
    for number, raw in enumerate(lines, start=1):
        text = raw.replace(_BOM, "").strip()
        if text:
            yield number, text


def _unreadable(text: str) -> str | None:
    return "含有无法解码的字节" if "\ufffd" in text else None


def parse_code_list(lines: Iterable[str]) -> ParsedCodes:
    """Read "code name" lines; the name is everything after the first blank (names hold blanks)."""
    out = ParsedCodes()
    for number, text in _lines(lines):
        parts = text.split(None, 1)
        code = normalize_code(parts[0])
        name = parts[1].strip() if len(parts) > 1 else ""
        reason = _unreadable(text) or code_problem(code)
        if reason is None and not name:
            reason = "缺少名称"
        if reason is None and len(name) > MAX_NAME:
            reason = f"名称超过{MAX_NAME}个字符"
        if reason is not None:
            out.bad.append(BadLine(number, text, reason))
        elif code in out.names:
            kept = out.names[code]
            note = "重复代码（同名）" if kept == name else f"重复代码，保留首次出现的名称 {kept}"
            out.duplicates.append(BadLine(number, text, note))
        else:
            out.names[code] = name
    return out


def parse_code_only(lines: Iterable[str]) -> ParsedCodes:
    """Read one code per line (the gray-code files); names are left empty."""
    out = ParsedCodes()
    for number, text in _lines(lines):
        parts = text.split()
        code = normalize_code(parts[0])
        reason = _unreadable(text) or code_problem(code)
        if reason is None and len(parts) > 1:
            reason = "一行只能有一个代码"
        if reason is not None:
            out.bad.append(BadLine(number, text, reason))
        elif code in out.names:
            out.duplicates.append(BadLine(number, text, "重复代码"))
        else:
            out.names[code] = ""
    return out


def parse_pairs(lines: Iterable[str]) -> ParsedPairs:
    """Read "from to" crosswalk lines; a repeated identical pair is counted once."""
    out = ParsedPairs()
    seen: set[tuple[str, str]] = set()
    for number, text in _lines(lines):
        parts = text.split()
        reason = _unreadable(text)
        if reason is None and len(parts) != 2:
            reason = "应为“原代码 医保版代码”两列"
        if reason is not None:
            out.bad.append(BadLine(number, text, reason))
            continue
        source, target = normalize_code(parts[0]), normalize_code(parts[1])
        reason = code_problem(source) or code_problem(target)
        if reason is not None:
            out.bad.append(BadLine(number, text, reason))
        elif (source, target) in seen:
            out.duplicates.append(BadLine(number, text, "重复对照"))
        else:
            seen.add((source, target))
            out.pairs.append((source, target))
    return out
