"""Reading the published knowledge batches (知识点 第一批…第八批) and the gray ICD-10 codes from files."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from yibao.domain.errors import invalid
from yibao.domain.monitoring import Knowledge, classify_file, parse_knowledge

GRAY_FILE = "ICD10医保版v2.0灰码.dat"


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of one CSV file (UTF-8, header row; a BOM is accepted)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{(k or "").strip(): (v or "") for k, v in row.items()} for row in csv.DictReader(handle)]


def read_gray(path: Path) -> list[str]:
    """ICD codes, one per line ("code name" or just the code)."""
    if not path.exists():
        return []
    return [
        line.split()[0].lstrip("\ufeff")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def load_knowledge(folder: Path, icd_dir: Path | None = None) -> Knowledge:
    """Every batch file of `folder` (and the gray codes of `icd_dir`) as knowledge tables."""
    if not folder.is_dir():
        raise invalid("KNOWLEDGE_DIR", "knowledge", f"知识库目录 {folder} 不存在")
    files = {p.name: read_rows(p) for p in sorted(folder.glob("*.csv")) if classify_file(p.name)}
    if not files:
        raise invalid("KNOWLEDGE_EMPTY", "knowledge", f"知识库目录 {folder} 没有可识别的知识点批次文件")
    gray = read_gray(icd_dir / GRAY_FILE) if icd_dir is not None else []
    return parse_knowledge(files, gray)


@lru_cache(maxsize=4)
def reference_knowledge(reference_dir: Path) -> Knowledge:
    """The knowledge of the shipped reference data (`reference/monitoring/knowledge`, `reference/icd`)."""
    return load_knowledge(reference_dir / "monitoring" / "knowledge", reference_dir / "icd")
