"""In-memory O(1) lookups of reference codes for the hot path, rebuilt when a data set is loaded."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.domain.errors import invalid
from yibao.reference.models import DictEntry, RefDataset


@dataclass
class Dictionaries:
    """The national dictionaries in force: dict_name → code → label."""

    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    generation: int = -1

    def label(self, dict_name: str, code: str) -> str | None:
        """The label of `code` in dictionary `dict_name`, or None."""
        return self.codes.get(dict_name, {}).get(code)

    def has(self, dict_name: str, code: str) -> bool:
        """Whether `code` is a valid code of `dict_name`."""
        return code in self.codes.get(dict_name, {})

    def options(self, dict_name: str) -> list[tuple[str, str]]:
        """(code, label) pairs of a dictionary, in code order, for forms."""
        return sorted(self.codes.get(dict_name, {}).items())

    def require(self, dict_name: str, code: str | None, *, field: str) -> str:
        """Refuse a code that is not in dictionary `dict_name` (the message names the field)."""
        value = (code or "").strip()
        if value not in self.codes.get(dict_name, {}):
            title = self.names.get(dict_name, dict_name)
            raise invalid(
                "DICT_CODE", field, f"字段 {field} 的值 {value!r} 不是字典 {dict_name}（{title}）中的有效代码"
            )
        return value


_lock = threading.Lock()
_cache: dict[str, Dictionaries] = {}


def _generation(session: Session) -> int:
    return int(session.scalar(select(RefDataset.id).order_by(RefDataset.id.desc()).limit(1)) or 0)


def dictionaries(session: Session) -> Dictionaries:
    """The dictionaries in force, cached per database and rebuilt after every reference load."""
    bind = session.get_bind()
    key = str(bind.engine.url if hasattr(bind, "engine") else bind)
    generation = _generation(session)
    cached = _cache.get(key)
    if cached is not None and cached.generation == generation:
        return cached
    with _lock:
        fresh = Dictionaries(generation=generation)
        rows = session.execute(
            select(DictEntry.dict_name, DictEntry.dict_label, DictEntry.code, DictEntry.label)
            .join(RefDataset, RefDataset.id == DictEntry.dataset_id)
            .where(RefDataset.end.is_(None))
        )
        for dict_name, dict_label, code, label in rows:
            fresh.codes.setdefault(dict_name, {})[code] = label
            fresh.names[dict_name] = dict_label
        _cache[key] = fresh
        return fresh


def invalidate() -> None:
    """Forget every cached lookup (after a load or in tests)."""
    with _lock:
        _cache.clear()
