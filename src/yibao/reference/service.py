"""Loading national reference data (参考数据), idempotently and versioned, and searching it.

Each source is loaded as one data set version (数据集版本) of a kind: the national dictionaries
(`dict`), the ICD-10 医保版 2.0 diagnoses with their gray codes (`icd10`), the ICD-9-CM-3 医保版
2.0 procedures with their gray codes (`icd9`), and four crosswalks to 医保版 2.0
(`icd10_map_clinical_2.0`, `icd10_map_yb_1.0`, `icd9_map_clinical_3.0`, `icd9_map_yb_1.0`).
Loading a version already loaded is a no-op; a new version closes the previous one of its kind
the day before it begins. Reference data belongs to no pooling region: anyone signed in reads it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from yibao.core.db import utcnow
from yibao.core.paging import Page, check_paging
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.core.validation import optional_text, require_text
from yibao.domain.errors import conflict, invalid, not_found
from yibao.domain.reference import (
    EDITIONS,
    SYSTEMS,
    BadLine,
    normalize_code,
    parse_code_list,
    parse_code_only,
    parse_pairs,
)
from yibao.reference import lookup
from yibao.reference.models import DictEntry, IcdCode, IcdCrosswalk, RefDataset
from yibao.reference.repository import ReferenceRepository

DICT_FILE = Path("nhsa-interface") / "code_tables_hunan_v1.1.27.json"
DICT_VERSION = "hunan-1.1.27"
ICD_DIR = Path("icd")
ICD_VERSION = "yb-2.0"
CHUNK = 5000
MAX_NOTES = 20

Progress = Callable[[str, int, int], None]
"""Called as (kind, rows written so far, rows in all) while a data set is written."""


@dataclass(frozen=True)
class IcdSource:
    """The files of one ICD code list: codes with names and the gray codes (灰码)."""

    system: str
    codes: str
    gray: str

    @property
    def kind(self) -> str:
        return self.system

    def paths(self, reference_dir: Path) -> list[Path]:
        return [reference_dir / ICD_DIR / self.codes, reference_dir / ICD_DIR / self.gray]


@dataclass(frozen=True)
class CrosswalkSource:
    """The files of one crosswalk to 医保版 2.0: the pairs and (for clinical editions) their names."""

    system: str
    edition: str
    pairs: str
    names: str | None

    @property
    def kind(self) -> str:
        return f"{self.system}_map_{self.edition}"

    def paths(self, reference_dir: Path) -> list[Path]:
        files = [self.pairs] + ([self.names] if self.names else [])
        return [reference_dir / ICD_DIR / name for name in files]


ICD_SOURCES: dict[str, IcdSource] = {
    "icd10": IcdSource("icd10", "ICD10医保版v2.0.dat", "ICD10医保版v2.0灰码.dat"),
    "icd9": IcdSource("icd9", "ICD9CM3医保版v2.0.dat", "ICD9CM3医保版v2.0灰码.dat"),
}
CROSSWALK_SOURCES: dict[tuple[str, str], CrosswalkSource] = {
    ("icd10", "clinical_2.0"): CrosswalkSource(
        "icd10", "clinical_2.0", "ICD10国临版v2.0对照医保版v2.0.dat", "ICD10国临版v2.0_2022.dat"
    ),
    ("icd10", "yb_1.0"): CrosswalkSource("icd10", "yb_1.0", "ICD10医保版v1.0对照医保版v2.0.dat", None),
    ("icd9", "clinical_3.0"): CrosswalkSource(
        "icd9", "clinical_3.0", "ICD9CM3国临版v3.0对照医保版v2.0.dat", "ICD9CM3国临版v3.0_2022.dat"
    ),
    ("icd9", "yb_1.0"): CrosswalkSource("icd9", "yb_1.0", "ICD9CM3医保版v1.0对照医保版v2.0.dat", None),
}
ONLY = ("dict", "icd10", "icd9", "crosswalk")
"""What `load_all(only=...)` may restrict a load to."""

KINDS: dict[str, str] = {
    "dict": "国家医保字典",
    **{s.kind: SYSTEMS[s.system] for s in ICD_SOURCES.values()},
    **{
        s.kind: f"{EDITIONS[s.system][s.edition]} → {SYSTEMS[s.system]} 对照"
        for s in CROSSWALK_SOURCES.values()
    },
}
"""Every data set kind with its Chinese title."""


@dataclass(frozen=True)
class LoadResult:
    """What one load did: the data set, its version, rows written (0 when already loaded).

    `bad_lines` counts lines that could not be read (left out), `duplicates` repeated lines
    (counted once), `notes` describes them and any other finding; `closed` names the version
    this load closed.
    """

    kind: str
    version: str
    rows: int
    skipped: bool
    bad_lines: int = 0
    duplicates: int = 0
    notes: tuple[str, ...] = ()
    closed: str | None = None


@dataclass
class _Findings:
    bad: int = 0
    duplicates: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, source: str, bad: Sequence[BadLine], duplicates: Sequence[BadLine]) -> None:
        self.bad += len(bad)
        self.duplicates += len(duplicates)
        for line in bad:
            self.note(f"{source} {line.describe()}（已跳过）")
        if duplicates:
            self.note(f"{source} 有 {len(duplicates)} 行重复，首行为{duplicates[0].describe()}")

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)


# --- loading ---------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fingerprint(paths: Sequence[Path]) -> str:
    """The checksum of one file, or of the names and checksums of several read together."""
    if len(paths) == 1:
        return _sha256(paths[0])
    joined = "".join(f"{p.name}:{_sha256(p)}\n" for p in paths)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def _read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 file; undecodable bytes become U+FFFD and the line is reported."""
    return path.read_bytes().decode("utf-8", errors="replace").splitlines()


def _start_dataset(
    uow: UnitOfWork, *, kind: str, version: str, paths: Sequence[Path], begin: date
) -> tuple[RefDataset | None, RefDataset | None]:
    """A new data set row and the version it closes; or None and the data set already holding this content.

    Skipped: the same version already loaded, or a new version name over the very content of the
    version in force (nothing would change).
    """
    repo = ReferenceRepository(uow.session)
    sha = _fingerprint(paths)
    source = " + ".join(p.name for p in paths)
    existing = repo.dataset(kind, version)
    if existing is not None:
        if existing.sha256 != sha:
            raise conflict(
                "REF_VERSION_CHANGED",
                f"字段 version：{kind} 版本 {version} 已加载，但 {source} 的内容（校验和）与已加载的不同；"
                "新内容请以新的版本号加载",
                "version",
            )
        return None, existing
    previous = repo.open_dataset(kind)
    if previous is not None and previous.sha256 == sha:
        return None, previous
    if previous is not None:
        if begin <= previous.begin:
            raise invalid(
                "REF_BEGIN",
                "begin",
                f"字段 begin 新版本的启用日期 {begin} 必须晚于"
                f"当前版本 {previous.version} 的启用日期 {previous.begin}",
            )
        _close(uow, previous, begin - timedelta(days=1))
    dataset = RefDataset(
        kind=kind,
        version=version,
        source=source[:255],
        sha256=sha,
        rows=0,
        begin=begin,
        end=None,
        loaded_at=utcnow(),
    )
    repo.add(dataset)
    uow.flush()
    return dataset, previous


def _skipped(kind: str, version: str, holder: RefDataset | None) -> LoadResult:
    """The answer to a load that changes nothing."""
    if holder is None or holder.version == version:
        return LoadResult(kind, version, 0, True)
    note = f"内容与现行版本 {holder.version} 相同，未加载新版本 {version}"
    return LoadResult(kind, holder.version, 0, True, notes=(note,))


def _close(uow: UnitOfWork, dataset: RefDataset, end: date) -> None:
    """End a data set version (and its rows that carry a period) on `end`."""
    dataset.end = end
    for model in (DictEntry, IcdCode):
        uow.session.execute(update(model).where(model.dataset_id == dataset.id).values(end=end))


def _insert(
    uow: UnitOfWork, model: type[Any], rows: list[dict[str, Any]], *, kind: str, progress: Progress | None
) -> None:
    """Bulk insert in chunks (Core executemany on the table: no ORM work per row), reporting progress."""
    if progress:
        progress(kind, 0, len(rows))
    statement = insert(model.__table__)
    connection = uow.session.connection()
    for start in range(0, len(rows), CHUNK):
        connection.execute(statement, rows[start : start + CHUNK])
        if progress:
            progress(kind, min(start + CHUNK, len(rows)), len(rows))


def _finish(
    uow: UnitOfWork, dataset: RefDataset, previous: RefDataset | None, findings: _Findings, rows: int
) -> LoadResult:
    """Record the row count and the audit row, commit, and drop the cached lookups."""
    dataset.rows = rows
    uow.audit(
        action="reference.load",
        entity="ref_dataset",
        entity_id=dataset.id,
        before={"closed": previous.version, "end": previous.end} if previous else None,
        after={
            "kind": dataset.kind,
            "version": dataset.version,
            "rows": rows,
            "source": dataset.source,
            "sha256": dataset.sha256,
            "begin": dataset.begin,
            "bad_lines": findings.bad,
            "duplicates": findings.duplicates,
            "notes": findings.notes,
        },
    )
    uow.commit()
    lookup.invalidate()
    return LoadResult(
        dataset.kind,
        dataset.version,
        rows,
        False,
        findings.bad,
        findings.duplicates,
        tuple(findings.notes),
        previous.version if previous else None,
    )


def _printable(value: str, field_name: str) -> str:
    """Refuse control characters (they cannot be stored or searched)."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise invalid("TEXT_CONTROL", field_name, f"字段 {field_name} 含有控制字符")
    return value


def _text(value: str | None, *, field_name: str, max_len: int, label: str) -> str | None:
    """An optional search or code input: stripped, bounded, printable; blank is None."""
    text = optional_text(value, field=field_name, max_len=max_len, label=label)
    return None if text is None else _printable(text, field_name)


def _version(version: str) -> str:
    return _printable(require_text(version, field="version", max_len=64, label="版本"), "version")


def load_dictionaries(
    *,
    uow: UnitOfWork,
    reference_dir: Path,
    begin: date,
    version: str = DICT_VERSION,
    progress: Progress | None = None,
) -> LoadResult:
    """Load the national dictionaries (字典表) from the interface spec's code tables."""
    uow.actor.require(Perm.REFERENCE_WRITE)
    version = _version(version)
    path = reference_dir / DICT_FILE
    dataset, previous = _start_dataset(uow, kind="dict", version=version, paths=[path], begin=begin)
    if dataset is None:
        return _skipped("dict", version, previous)
    data = json.loads(path.read_text(encoding="utf-8"))["dicts"]
    rows = [
        {
            "dataset_id": dataset.id,
            "dict_name": name,
            "dict_label": body.get("name", name),
            "code": str(code).strip(),
            "label": str(label).strip(),
            "begin": begin,
            "end": None,
        }
        for name, body in data.items()
        for code, label in {str(c).strip(): lbl for c, lbl in body.get("codes", [])}.items()
    ]
    _insert(uow, DictEntry, rows, kind="dict", progress=progress)
    return _finish(uow, dataset, previous, _Findings(), len(rows))


def load_icd_codes(
    *,
    uow: UnitOfWork,
    system: str,
    reference_dir: Path,
    begin: date,
    version: str = ICD_VERSION,
    progress: Progress | None = None,
) -> LoadResult:
    """Load an ICD 医保版 code list (icd10 诊断 / icd9 手术操作), marking its gray codes (灰码)."""
    uow.actor.require(Perm.REFERENCE_WRITE)
    source = ICD_SOURCES[lookup.check_system(system)]
    version = _version(version)
    codes_path, gray_path = source.paths(reference_dir)
    dataset, previous = _start_dataset(
        uow, kind=source.kind, version=version, paths=[codes_path, gray_path], begin=begin
    )
    if dataset is None:
        return _skipped(source.kind, version, previous)
    codes = parse_code_list(_read_lines(codes_path))
    gray = parse_code_only(_read_lines(gray_path))
    findings = _Findings()
    findings.add(codes_path.name, codes.bad, codes.duplicates)
    findings.add(gray_path.name, gray.bad, gray.duplicates)
    stray = [code for code in gray.names if code not in codes.names]
    if stray:
        findings.note(
            f"{gray_path.name} 有 {len(stray)} 个灰码不在代码表中（未加载）：{'、'.join(stray[:10])}"
        )
    rows = [
        {
            "dataset_id": dataset.id,
            "system": source.system,
            "code": code,
            "name": name,
            "gray": code in gray.names,
            "begin": begin,
            "end": None,
        }
        for code, name in codes.names.items()
    ]
    _insert(uow, IcdCode, rows, kind=source.kind, progress=progress)
    return _finish(uow, dataset, previous, findings, len(rows))


def load_crosswalk(
    *,
    uow: UnitOfWork,
    system: str,
    edition: str,
    reference_dir: Path,
    begin: date,
    version: str = ICD_VERSION,
    progress: Progress | None = None,
) -> LoadResult:
    """Load a crosswalk (对照表) from another edition (国临版 / 医保版 1.0) to 医保版 2.0."""
    uow.actor.require(Perm.REFERENCE_WRITE)
    source = CROSSWALK_SOURCES[(system, lookup.check_edition(system, edition))]
    version = _version(version)
    paths = source.paths(reference_dir)
    dataset, previous = _start_dataset(uow, kind=source.kind, version=version, paths=paths, begin=begin)
    if dataset is None:
        return _skipped(source.kind, version, previous)
    findings = _Findings()
    parsed = parse_pairs(_read_lines(paths[0]))
    findings.add(paths[0].name, parsed.bad, parsed.duplicates)
    names: dict[str, str] = {}
    if len(paths) > 1:
        named = parse_code_list(_read_lines(paths[1]))
        findings.add(paths[1].name, named.bad, named.duplicates)
        names = named.names
    known = ReferenceRepository(uow.session).current_codes(system)
    unknown = [f"{a}→{b}" for a, b in parsed.pairs if known and b not in known]
    if unknown:
        findings.note(
            f"{paths[0].name} 有 {len(unknown)} 条对照的医保版代码不在当前代码表中：{'、'.join(unknown[:10])}"
        )
    rows = [
        {
            "dataset_id": dataset.id,
            "system": system,
            "from_edition": edition,
            "from_code": a,
            "from_name": names.get(a),
            "to_code": b,
        }
        for a, b in parsed.pairs
    ]
    _insert(uow, IcdCrosswalk, rows, kind=source.kind, progress=progress)
    return _finish(uow, dataset, previous, findings, len(rows))


def _needed_files(only: str | None, reference_dir: Path) -> list[Path]:
    files: list[Path] = []
    if only in (None, "dict"):
        files.append(reference_dir / DICT_FILE)
    for icd in ICD_SOURCES.values():
        if only in (None, icd.system):
            files += icd.paths(reference_dir)
    if only in (None, "crosswalk"):
        for walk in CROSSWALK_SOURCES.values():
            files += walk.paths(reference_dir)
    return files


def load_all(
    *,
    new_uow: Callable[[], UnitOfWork],
    reference_dir: Path,
    begin: date,
    only: str | None = None,
    version: str | None = None,
    progress: Progress | None = None,
) -> list[LoadResult]:
    """Load every reference source from `reference_dir` (or only one kind), each in its own transaction.

    `version` names the new version and is only accepted together with `only`.
    """
    with new_uow() as uow:
        uow.actor.require(Perm.REFERENCE_WRITE)
    if only is not None and only not in ONLY:
        raise invalid("REF_ONLY", "only", f"字段 only 的值 {only!r} 不是数据集类别，应为 {'/'.join(ONLY)}")
    if version is not None:
        version = _version(version)
        if only is None:
            raise invalid(
                "REF_VERSION", "version", "字段 version 只能与 only 一起使用（一次只为一类数据集指定版本）"
            )
    missing = [p for p in _needed_files(only, reference_dir) if not p.is_file()]
    if missing:
        raise invalid(
            "REFERENCE_DIR",
            "reference_dir",
            f"参考数据目录 {reference_dir} 中没有 {missing[0].relative_to(reference_dir)}，"
            "请设置 YIBAO_REFERENCE_DIR 指向 shared/reference",
        )
    common: dict[str, Any] = {"reference_dir": reference_dir, "begin": begin, "progress": progress}
    steps: list[Callable[..., LoadResult]] = []
    if only in (None, "dict"):
        steps.append(partial(load_dictionaries, version=version or DICT_VERSION, **common))
    for system in ICD_SOURCES:
        if only in (None, system):
            steps.append(partial(load_icd_codes, system=system, version=version or ICD_VERSION, **common))
    if only in (None, "crosswalk"):
        for system, edition in CROSSWALK_SOURCES:
            steps.append(
                partial(
                    load_crosswalk, system=system, edition=edition, version=version or ICD_VERSION, **common
                )
            )
    results: list[LoadResult] = []
    for step in steps:
        with new_uow() as uow:
            results.append(step(uow=uow))
    return results


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DictionaryInfo:
    """A national dictionary in force: its name (e.g. insutype), title and number of codes."""

    name: str
    label: str
    codes: int


@dataclass(frozen=True)
class CrosswalkRow:
    """One crosswalk entry with the 医保版 2.0 target's name and gray flag."""

    system: str
    from_edition: str
    from_code: str
    from_name: str | None
    to_code: str
    to_name: str | None
    to_gray: bool


@dataclass(frozen=True)
class IcdDetail:
    """An ICD code with its data set version and the codes of other editions mapping to it."""

    system: str
    code: str
    name: str
    gray: bool
    begin: date
    end: date | None
    version: str
    sources: list[CrosswalkRow]


def _query(q: str | None) -> str | None:
    return _text(q, field_name="q", max_len=64, label="查询条件")


def list_datasets(
    *, uow: UnitOfWork, kind: str | None = None, page: int = 1, size: int = 50
) -> Page[RefDataset]:
    """The loaded data set versions (数据集版本), newest first within each kind."""
    kind = _text(kind, field_name="kind", max_len=32, label="数据集类别")
    if kind is not None and kind not in KINDS:
        raise invalid("REF_KIND", "kind", f"字段 kind 的值 {kind!r} 不是数据集类别，应为 {'/'.join(KINDS)}")
    return ReferenceRepository(uow.session).datasets(kind=kind, page=page, size=size)


def list_dictionaries(*, uow: UnitOfWork, q: str | None = None) -> list[DictionaryInfo]:
    """The national dictionaries in force, searched by name or title."""
    rows = ReferenceRepository(uow.session).dictionaries(q=_query(q))
    return [DictionaryInfo(name, label, count) for name, label, count in rows]


def list_dict_codes(
    *, uow: UnitOfWork, dict_name: str, q: str | None = None, page: int = 1, size: int = 50
) -> Page[DictEntry]:
    """The codes of one dictionary, searched by code prefix or label."""
    if dict_name not in lookup.dictionaries(uow.session).names:
        raise not_found("DICT_NOT_FOUND", f"字段 dict_name：字典 {dict_name} 不存在", "dict_name")
    return ReferenceRepository(uow.session).dict_codes(dict_name=dict_name, q=_query(q), page=page, size=size)


def search_icd(
    *,
    uow: UnitOfWork,
    system: str,
    q: str | None = None,
    gray: bool | None = None,
    on: date | None = None,
    page: int = 1,
    size: int = 50,
) -> Page[IcdCode]:
    """ICD codes of `system` in force (on a day, or now), by code prefix or name substring."""
    lookup.check_system(system)
    query = _query(q)
    return ReferenceRepository(uow.session).search_icd(
        system=system,
        q=normalize_code(query) if query else None,
        gray=gray,
        on=on,
        page=page,
        size=size,
    )


def search_diagnoses(
    *,
    uow: UnitOfWork,
    q: str | None = None,
    gray: bool | None = None,
    on: date | None = None,
    page: int = 1,
    size: int = 50,
) -> Page[IcdCode]:
    """ICD-10 医保版 diagnoses (诊断) by code prefix or name substring."""
    return search_icd(uow=uow, system="icd10", q=q, gray=gray, on=on, page=page, size=size)


def search_procedures(
    *,
    uow: UnitOfWork,
    q: str | None = None,
    gray: bool | None = None,
    on: date | None = None,
    page: int = 1,
    size: int = 50,
) -> Page[IcdCode]:
    """ICD-9-CM-3 医保版 procedures (手术操作) by code prefix or name substring."""
    return search_icd(uow=uow, system="icd9", q=q, gray=gray, on=on, page=page, size=size)


def _rows(uow: UnitOfWork, system: str, walks: Iterable[IcdCrosswalk]) -> list[CrosswalkRow]:
    walks = list(walks)
    names = ReferenceRepository(uow.session).icd_names(system=system, codes={w.to_code for w in walks})
    return [
        CrosswalkRow(
            system=w.system,
            from_edition=w.from_edition,
            from_code=w.from_code,
            from_name=w.from_name,
            to_code=w.to_code,
            to_name=names.get(w.to_code, (None, False))[0],
            to_gray=names.get(w.to_code, ("", False))[1],
        )
        for w in walks
    ]


def get_icd(*, uow: UnitOfWork, system: str, code: str, on: date | None = None) -> IcdDetail:
    """One ICD code in force (on a day, or now) with the codes of other editions mapping to it."""
    lookup.check_system(system)
    value = normalize_code(_text(code, field_name="code", max_len=32, label="代码") or "")
    repo = ReferenceRepository(uow.session)
    found = repo.icd(system=system, code=value, on=on)
    if found is None:
        raise not_found("ICD_NOT_FOUND", f"字段 code：{SYSTEMS[system]}代码 {value} 不存在", "code")
    row, dataset = found
    sources = _rows(uow, system, repo.crosswalk_sources(system=system, to_code=value))
    return IcdDetail(system, row.code, row.name, row.gray, row.begin, row.end, dataset.version, sources)


def get_diagnosis(*, uow: UnitOfWork, code: str, on: date | None = None) -> IcdDetail:
    """One ICD-10 医保版 diagnosis."""
    return get_icd(uow=uow, system="icd10", code=code, on=on)


def get_procedure(*, uow: UnitOfWork, code: str, on: date | None = None) -> IcdDetail:
    """One ICD-9-CM-3 医保版 procedure."""
    return get_icd(uow=uow, system="icd9", code=code, on=on)


def search_crosswalk(
    *,
    uow: UnitOfWork,
    system: str,
    edition: str | None = None,
    code: str | None = None,
    q: str | None = None,
    page: int = 1,
    size: int = 50,
) -> Page[CrosswalkRow]:
    """Crosswalk entries to 医保版 2.0: exactly one source `code`, or by code prefix / name (`q`)."""
    lookup.check_system(system)
    edition = _text(edition, field_name="edition", max_len=32, label="对照版本")
    if edition is not None:
        lookup.check_edition(system, edition)
    value = _text(code, field_name="code", max_len=32, label="代码")
    check_paging(page, size)
    found = ReferenceRepository(uow.session).search_crosswalk(
        system=system,
        edition=edition,
        code=normalize_code(value) if value else None,
        q=_query(q),
        page=page,
        size=size,
    )
    return Page(items=_rows(uow, system, found.items), total=found.total, page=found.page, size=found.size)
