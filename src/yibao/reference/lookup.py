"""In-memory O(1) lookups of reference codes for the hot path, rebuilt when a data set is loaded.

Each lookup holds the version in force (the data set of its kind with no end date), is held per
database engine (`yibao.core.cache.EngineCache`) and rebuilt after `invalidate()` (a load in this
process) or when the newest data set id changes (a load by another process, seen within a second).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.core.cache import EngineCache
from yibao.domain.errors import invalid
from yibao.domain.reference import EDITIONS, SYSTEMS, normalize_code
from yibao.reference.models import DictEntry, IcdCode, IcdCrosswalk, RefDataset


@dataclass
class Dictionaries:
    """The national dictionaries in force: dict_name → code → label."""

    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

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


@dataclass
class IcdCodes:
    """The ICD codes in force of one system (诊断 icd10 / 手术操作 icd9): code → (name, gray)."""

    system: str
    codes: dict[str, tuple[str, bool]] = field(default_factory=dict)
    _by_upper: dict[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def title(self) -> str:
        return SYSTEMS.get(self.system, self.system)

    def stored(self, code: str | None) -> str | None:
        """The code as the list spells it (``i10.X00`` → ``I10.x00``), or None when it is not listed.

        HIS systems change the case of codes; the 医保版 lists mix cases (``I10.x00``), so a code is
        matched exactly first and then without regard to case.
        """
        value = normalize_code(code or "")
        if value in self.codes:
            return value
        if self._by_upper is None:
            self._by_upper = {known.upper(): known for known in self.codes}
        return self._by_upper.get(value.upper())

    def get(self, code: str | None) -> tuple[str, bool] | None:
        """(name, gray) of a code, or None when the code is not in the list."""
        stored = self.stored(code)
        return self.codes[stored] if stored is not None else None

    def name(self, code: str | None) -> str | None:
        """The name of a code, or None."""
        found = self.get(code)
        return found[0] if found else None

    def is_gray(self, code: str | None) -> bool:
        """Whether a code is a gray code (灰码, not accepted for settlement)."""
        found = self.get(code)
        return bool(found and found[1])

    def require(self, code: str | None, *, field: str) -> str:
        """Refuse an empty or unknown code (gray codes pass); answer the code as stored."""
        value = normalize_code(code or "")
        if not value:
            raise invalid("ICD_REQUIRED", field, f"字段 {field} 不能为空，须填写{self.title}代码")
        stored = self.stored(value)
        if stored is None:
            raise invalid(
                "ICD_UNKNOWN", field, f"字段 {field} 的值 {value!r} 不是{self.title}代码表中的有效代码"
            )
        return stored

    def require_settleable(self, code: str | None, *, field: str) -> str:
        """Refuse an empty, unknown or gray code (灰码 不可结算); answer the code as stored."""
        value = self.require(code, field=field)
        name, gray = self.codes[value]
        if gray:
            raise invalid(
                "ICD_GRAY",
                field,
                f"字段 {field} 的代码 {value}（{name}）是{self.title}灰码，不可用于医保结算",
            )
        return value


@dataclass
class Crosswalks:
    """The crosswalks in force: (system, from edition) → from code → 医保版 2.0 codes."""

    maps: dict[tuple[str, str], dict[str, tuple[str, ...]]] = field(default_factory=dict)

    def targets(self, system: str, from_edition: str, code: str | None) -> list[str]:
        """The 医保版 2.0 codes a code of another edition maps to (empty when unmapped)."""
        check_edition(system, from_edition)
        return list(self.maps.get((system, from_edition), {}).get(normalize_code(code or ""), ()))


def check_system(system: str, *, field: str = "system") -> str:
    """Refuse a code system other than icd10 / icd9."""
    if system not in SYSTEMS:
        raise invalid(
            "ICD_SYSTEM", field, f"字段 {field} 的值 {system!r} 不是代码体系，应为 {'/'.join(SYSTEMS)}"
        )
    return system


def check_edition(system: str, edition: str, *, field: str = "edition") -> str:
    """Refuse an edition that has no crosswalk to 医保版 2.0 in `system`."""
    check_system(system)
    if edition not in EDITIONS[system]:
        raise invalid(
            "ICD_EDITION",
            field,
            f"字段 {field} 的值 {edition!r} 不是 {system} 的对照版本，应为 {'/'.join(EDITIONS[system])}",
        )
    return edition


def _generation(session: Session) -> int:
    """The newest data set id: every load adds one."""
    return int(session.scalar(select(RefDataset.id).order_by(RefDataset.id.desc()).limit(1)) or 0)


def _build_dictionaries(session: Session) -> Dictionaries:
    fresh = Dictionaries()
    rows = session.execute(
        select(DictEntry.dict_name, DictEntry.dict_label, DictEntry.code, DictEntry.label)
        .join(RefDataset, RefDataset.id == DictEntry.dataset_id)
        .where(RefDataset.end.is_(None))
    )
    for dict_name, dict_label, code, label in rows:
        fresh.codes.setdefault(dict_name, {})[code] = label
        fresh.names[dict_name] = dict_label
    return fresh


def _icd_builder(system: str) -> Callable[[Session], IcdCodes]:
    def build(session: Session) -> IcdCodes:
        rows = session.execute(
            select(IcdCode.code, IcdCode.name, IcdCode.gray)
            .join(RefDataset, RefDataset.id == IcdCode.dataset_id)
            .where(RefDataset.kind == system, RefDataset.end.is_(None))
        )
        return IcdCodes(system=system, codes={code: (name, bool(gray)) for code, name, gray in rows})

    return build


def _build_crosswalks(session: Session) -> Crosswalks:
    fresh = Crosswalks()
    rows = session.execute(
        select(IcdCrosswalk.system, IcdCrosswalk.from_edition, IcdCrosswalk.from_code, IcdCrosswalk.to_code)
        .join(RefDataset, RefDataset.id == IcdCrosswalk.dataset_id)
        .where(RefDataset.end.is_(None))
        .order_by(IcdCrosswalk.id)
    )
    for system, edition, source, target in rows:
        table = fresh.maps.setdefault((system, edition), {})
        table[source] = (*table.get(source, ()), target)
    return fresh


DICTIONARY_TABLES = EngineCache(generation=_generation, build=_build_dictionaries)
ICD_TABLES = {system: EngineCache(generation=_generation, build=_icd_builder(system)) for system in SYSTEMS}
CROSSWALK_TABLES = EngineCache(generation=_generation, build=_build_crosswalks)


def dictionaries(session: Session) -> Dictionaries:
    """The dictionaries in force, held in memory per database and rebuilt after every reference load."""
    return DICTIONARY_TABLES.get(session)


def icd_codes(session: Session, system: str) -> IcdCodes:
    """The ICD codes in force of `system` (icd10 / icd9), held like `dictionaries`."""
    return ICD_TABLES[check_system(system)].get(session)


def diagnoses(session: Session) -> IcdCodes:
    """The ICD-10 医保版 diagnoses in force (诊断代码)."""
    return icd_codes(session, "icd10")


def procedures(session: Session) -> IcdCodes:
    """The ICD-9-CM-3 医保版 procedures in force (手术操作代码)."""
    return icd_codes(session, "icd9")


def crosswalks(session: Session) -> Crosswalks:
    """Every crosswalk in force, held like `dictionaries`."""
    return CROSSWALK_TABLES.get(session)


def crosswalk(session: Session, system: str, from_edition: str, code: str | None) -> list[str]:
    """The 医保版 2.0 codes that `code` of edition `from_edition` maps to (empty when unmapped)."""
    return crosswalks(session).targets(system, from_edition, code)


def invalidate() -> None:
    """Forget every cached lookup (after a load or in tests)."""
    DICTIONARY_TABLES.invalidate()
    CROSSWALK_TABLES.invalidate()
    for codes in ICD_TABLES.values():
        codes.invalidate()
