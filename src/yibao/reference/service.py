"""Loading national reference data, idempotently and versioned."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select, update

from yibao.core.db import utcnow
from yibao.core.security import Perm
from yibao.core.uow import UnitOfWork
from yibao.domain.errors import invalid
from yibao.reference import lookup
from yibao.reference.models import DictEntry, RefDataset

DICT_FILE = Path("nhsa-interface") / "code_tables_hunan_v1.1.27.json"
DICT_VERSION = "hunan-1.1.27"


@dataclass(frozen=True)
class LoadResult:
    """What one load did: the data set, its version, rows written (0 when already loaded)."""

    kind: str
    version: str
    rows: int
    skipped: bool


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _start_dataset(
    uow: UnitOfWork, *, kind: str, version: str, path: Path, begin: date
) -> tuple[RefDataset | None, str]:
    """A new data set row, or None when this version with this checksum is already loaded."""
    sha = _sha256(path)
    existing = uow.session.scalar(
        select(RefDataset).where(RefDataset.kind == kind, RefDataset.version == version)
    )
    if existing is not None:
        return None, sha
    # the previous version of this kind ends the day before the new one begins
    uow.session.execute(
        update(RefDataset)
        .where(RefDataset.kind == kind, RefDataset.end.is_(None))
        .values(end=date.fromordinal(begin.toordinal() - 1))
    )
    dataset = RefDataset(
        kind=kind,
        version=version,
        source=str(path.name),
        sha256=sha,
        rows=0,
        begin=begin,
        end=None,
        loaded_at=utcnow(),
    )
    uow.session.add(dataset)
    uow.flush()
    return dataset, sha


def load_dictionaries(
    *, uow: UnitOfWork, reference_dir: Path, begin: date, version: str = DICT_VERSION
) -> LoadResult:
    """Load the national dictionaries (字典表) from the interface spec's code tables."""
    uow.actor.require(Perm.REFERENCE_WRITE)
    path = reference_dir / DICT_FILE
    dataset, _sha = _start_dataset(uow, kind="dict", version=version, path=path, begin=begin)
    if dataset is None:
        return LoadResult("dict", version, 0, True)
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
    uow.session.execute(insert(DictEntry), rows)
    dataset.rows = len(rows)
    uow.audit(
        action="reference.load",
        entity="ref_dataset",
        entity_id=dataset.id,
        after={"kind": "dict", "version": version, "rows": len(rows), "source": path.name},
    )
    uow.commit()
    lookup.invalidate()
    return LoadResult("dict", version, len(rows), False)


def load_all(*, new_uow: Callable[[], UnitOfWork], reference_dir: Path, begin: date) -> list[LoadResult]:
    """Load every reference source from `reference_dir`, each in its own transaction."""
    if not (reference_dir / DICT_FILE).is_file():
        raise invalid(
            "REFERENCE_DIR",
            "reference_dir",
            f"参考数据目录 {reference_dir} 中没有 {DICT_FILE}，请设置 YIBAO_REFERENCE_DIR 指向 shared/reference",
        )
    results: list[LoadResult] = []
    with new_uow() as uow:
        results.append(load_dictionaries(uow=uow, reference_dir=reference_dir, begin=begin))
    return results
