"""The CHS-DRG 1.1 scheme and the ICD 医保版 2.0 code lists, read once per reference folder."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from yibao.domain.drg import Grouper, Scheme, build_scheme

SCHEME_DIR = "chs-drg-1.1"
_SCHEME_FILES = ("1_MDC.txt", "2_ADRG.txt", "3_DRG.txt", "4_ADRG_DETAIL.txt")
_DAT_FILES = ("SS_VALID.dat", "MCC.dat", "CC.dat", "CCE.dat")
_ICD = {
    "dx_known": "ICD10医保版v2.0.dat",
    "dx_gray": "ICD10医保版v2.0灰码.dat",
    "dx_map": "ICD10国临版v2.0对照医保版v2.0.dat",
    "proc_known": "ICD9CM3医保版v2.0.dat",
    "proc_gray": "ICD9CM3医保版v2.0灰码.dat",
    "proc_map": "ICD9CM3国临版v3.0对照医保版v2.0.dat",
}


def scheme_texts(reference_dir: Path) -> dict[str, str]:
    """The text of every table the grouper needs, keyed as `domain.drg.build_scheme` expects."""
    base = reference_dir / SCHEME_DIR
    texts = {name: (base / name).read_text(encoding="utf-8") for name in _SCHEME_FILES}
    for name in _DAT_FILES:
        texts[name] = (base / "dat" / name).read_text(encoding="utf-8")
    for key, name in _ICD.items():
        path = reference_dir / "icd" / name
        texts[key] = path.read_text(encoding="utf-8-sig") if path.exists() else ""
    return texts


@lru_cache(maxsize=4)
def scheme(reference_dir: Path) -> Scheme:
    """The scheme of one reference folder, parsed once per process."""
    return build_scheme(scheme_texts(reference_dir))


def grouper(reference_dir: Path) -> Grouper:
    """A fresh grouper (own result cache) over the shared parsed scheme."""
    return Grouper(scheme(reference_dir))
