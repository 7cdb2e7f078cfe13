"""Loading the ICD code lists, gray codes and crosswalks: counts, idempotence, versions, refusals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import make_actor
from tests.reference.helpers import ICD9_FILE, copy_reference, restore_reference
from yibao.audit.models import AuditEntry
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Role
from yibao.domain.errors import BusinessError
from yibao.reference import lookup, service
from yibao.reference.models import IcdCode, IcdCrosswalk, RefDataset

__all__ = ["restore_reference"]

BEGIN = date(2024, 1, 1)


def _icd(container: Container, name: str) -> Path:
    return container.settings.reference_dir / "icd" / name


def _distinct_first_column(path: Path) -> int:
    """Distinct codes of a file, read independently of the loader."""
    text = path.read_text(encoding="utf-8-sig")
    return len({line.split()[0] for line in text.splitlines() if line.strip()})


def _distinct_lines(path: Path) -> int:
    text = path.read_text(encoding="utf-8-sig")
    return len({tuple(line.split()) for line in text.splitlines() if line.strip()})


def _rows(container: Container, model: type[IcdCode] | type[IcdCrosswalk], kind: str) -> int:
    with container.uow() as uow:
        return int(
            uow.session.scalar(
                select(func.count())
                .select_from(model)
                .join(RefDataset, RefDataset.id == model.dataset_id)
                .where(RefDataset.kind == kind, RefDataset.end.is_(None))
            )
            or 0
        )


@pytest.mark.parametrize(
    ("kind", "file", "lines"),
    [("icd10", "ICD10医保版v2.0.dat", 33307), ("icd9", "ICD9CM3医保版v2.0.dat", 13686)],
)
def test_code_list_counts_match_the_files(container: Container, kind: str, file: str, lines: int) -> None:
    assert _distinct_first_column(_icd(container, file)) == lines
    assert _rows(container, IcdCode, kind) == lines
    with container.uow() as uow:
        dataset = uow.session.scalars(select(RefDataset).where(RefDataset.kind == kind)).one()
    assert (dataset.version, dataset.rows, dataset.begin, dataset.end) == ("yb-2.0", lines, BEGIN, None)
    assert "灰码" in dataset.source and len(dataset.sha256) == 64


@pytest.mark.parametrize(
    ("kind", "file"),
    [
        ("icd10_map_clinical_2.0", "ICD10国临版v2.0对照医保版v2.0.dat"),
        ("icd10_map_yb_1.0", "ICD10医保版v1.0对照医保版v2.0.dat"),
        ("icd9_map_clinical_3.0", "ICD9CM3国临版v3.0对照医保版v2.0.dat"),
        ("icd9_map_yb_1.0", "ICD9CM3医保版v1.0对照医保版v2.0.dat"),
    ],
)
def test_crosswalk_counts_match_the_files(container: Container, kind: str, file: str) -> None:
    assert _rows(container, IcdCrosswalk, kind) == _distinct_lines(_icd(container, file))


@pytest.mark.parametrize(
    ("system", "file", "gray_count"),
    [("icd10", "ICD10医保版v2.0灰码.dat", 2695), ("icd9", "ICD9CM3医保版v2.0灰码.dat", 2241)],
)
def test_every_distinct_gray_code_is_flagged(
    container: Container, system: str, file: str, gray_count: int
) -> None:
    assert _distinct_first_column(_icd(container, file)) == gray_count
    with container.uow() as uow:
        flagged = uow.session.scalar(
            select(func.count()).where(IcdCode.system == system, IcdCode.gray.is_(True))
        )
    assert flagged == gray_count


def test_gray_codes_are_flagged_including_the_first_line_behind_the_bom(container: Container) -> None:
    with container.uow() as uow:
        assert lookup.diagnoses(uow.session).get("A00.000") == (
            "霍乱，由于O1群霍乱弧菌，霍乱生物型所致",
            True,
        )
        assert lookup.diagnoses(uow.session).get("A00.000x001") == ("古典生物型霍乱", False)
        assert lookup.procedures(uow.session).get("00.0100") == ("头和颈部血管治疗性超声", True)
        assert lookup.procedures(uow.session).get("00.0101") == ("头部血管治疗性超声", False)


def test_clinical_crosswalk_names_come_from_the_clinical_list(container: Container) -> None:
    with container.uow() as uow:
        row = uow.session.scalars(
            select(IcdCrosswalk).where(IcdCrosswalk.from_code == "A01.000x003+G01*")
        ).one()
    assert (row.from_edition, row.from_name, row.to_code) == (
        "clinical_2.0",
        "伤寒并发脑膜炎",
        "A01.002+G01*",
    )


@pytest.mark.parametrize(
    ("system", "edition", "code", "targets"),
    [
        ("icd10", "clinical_2.0", "A01.000x003†G01*", ["A01.002+G01*"]),
        ("icd10", "clinical_2.0", "C22.101M81600/3", ["C22.101"]),
        ("icd10", "yb_1.0", "A18.800x041", ["A18.300x016"]),
        ("icd9", "clinical_3.0", "37.8300x002", ["00.5000x004"]),
        ("icd9", "yb_1.0", "01.3900x003", ["01.0900x006"]),
        ("icd10", "clinical_2.0", "Z99.999x999", []),
    ],
)
def test_crosswalk_examples(
    container: Container, system: str, edition: str, code: str, targets: list[str]
) -> None:
    with container.uow() as uow:
        assert lookup.crosswalk(uow.session, system, edition, code) == targets


def test_reloading_the_same_versions_is_a_no_op(container: Container) -> None:
    with container.uow() as uow:
        before = (
            uow.session.scalar(select(func.count()).select_from(IcdCode)),
            uow.session.scalar(select(func.count()).select_from(IcdCrosswalk)),
            uow.session.scalar(select(func.count()).select_from(AuditEntry)),
        )
    results = service.load_all(
        new_uow=container.uow, reference_dir=container.settings.reference_dir, begin=BEGIN
    )
    assert len(results) == 7 and all(r.skipped and r.rows == 0 for r in results)
    with container.uow() as uow:
        after = (
            uow.session.scalar(select(func.count()).select_from(IcdCode)),
            uow.session.scalar(select(func.count()).select_from(IcdCrosswalk)),
            uow.session.scalar(select(func.count()).select_from(AuditEntry)),
        )
    assert after == before


@pytest.mark.usefixtures("restore_reference")
def test_a_new_version_closes_the_old_one_the_day_before_it_begins(
    container: Container, tmp_path: Path
) -> None:
    folder = copy_reference(
        container.settings.reference_dir, tmp_path, change={"A00.000x001": "A00.000x001 古典生物型霍乱（新）"}
    )
    with container.uow(SYSTEM) as uow:
        result = service.load_icd_codes(
            uow=uow, system="icd10", reference_dir=folder, begin=date(2025, 1, 1), version="yb-2.0-2025"
        )
    assert (result.rows, result.skipped, result.closed) == (33307, False, "yb-2.0")
    with container.uow() as uow:
        old, new = uow.session.scalars(
            select(RefDataset).where(RefDataset.kind == "icd10").order_by(RefDataset.begin)
        ).all()
        assert (old.version, old.end, new.version, new.begin, new.end) == (
            "yb-2.0",
            date(2024, 12, 31),
            "yb-2.0-2025",
            date(2025, 1, 1),
            None,
        )
        old_row = uow.session.scalars(
            select(IcdCode).where(IcdCode.dataset_id == old.id, IcdCode.code == "A00.000x001")
        ).one()
        assert old_row.end == date(2024, 12, 31)
        assert lookup.diagnoses(uow.session).get("A00.000x001") == ("古典生物型霍乱（新）", False)
        audit = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "ref_dataset", AuditEntry.entity_id == str(new.id))
        ).one()
    assert audit.action == "reference.load" and '"closed": "yb-2.0"' in (audit.before or "")
    with container.uow() as uow:
        in_2024 = service.get_diagnosis(uow=uow, code="A00.000x001", on=date(2024, 6, 1))
        now = service.get_diagnosis(uow=uow, code="A00.000x001")
    assert (in_2024.name, in_2024.version) == ("古典生物型霍乱", "yb-2.0")
    assert (now.name, now.version) == ("古典生物型霍乱（新）", "yb-2.0-2025")


@pytest.mark.usefixtures("restore_reference")
def test_unreadable_lines_are_skipped_counted_and_reported(container: Container, tmp_path: Path) -> None:
    folder = copy_reference(
        container.settings.reference_dir, tmp_path, change={"A00.100": "A00.100", "A00.900": "坏行 乱码"}
    )
    with container.uow(SYSTEM) as uow:
        result = service.load_icd_codes(
            uow=uow, system="icd10", reference_dir=folder, begin=date(2025, 1, 1), version="bad-lines"
        )
    assert (result.rows, result.bad_lines, result.duplicates) == (33305, 2, 30)
    assert any("缺少名称" in note for note in result.notes)
    assert any("代码含有非法字符" in note for note in result.notes)
    with container.uow() as uow:
        assert lookup.diagnoses(uow.session).get("A00.100") is None
        audit = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "reference.load")).all()[-1]
    assert '"bad_lines": 2' in (audit.after or "")


def test_changed_content_under_a_loaded_version_is_refused(container: Container, tmp_path: Path) -> None:
    folder = copy_reference(
        container.settings.reference_dir, tmp_path, change={"A00.000x001": "A00.000x001 改"}
    )
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as info:
        service.load_icd_codes(uow=uow, system="icd10", reference_dir=folder, begin=date(2025, 1, 1))
    assert (info.value.code, info.value.field) == ("REF_VERSION_CHANGED", "version")
    assert "yb-2.0" in info.value.message
    assert _rows(container, IcdCode, "icd10") == 33307


def test_a_new_version_must_begin_after_the_current_one(container: Container, tmp_path: Path) -> None:
    folder = copy_reference(
        container.settings.reference_dir, tmp_path, change={"00.0101": "00.0101 改"}, file=ICD9_FILE
    )
    with container.uow(SYSTEM) as uow, pytest.raises(BusinessError) as info:
        service.load_icd_codes(
            uow=uow, system="icd9", reference_dir=folder, begin=date(2024, 1, 1), version="again"
        )
    assert (info.value.code, info.value.field) == ("REF_BEGIN", "begin")
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).where(RefDataset.kind == "icd9")) == 1


def test_a_new_version_name_over_unchanged_files_is_skipped_with_a_note(container: Container) -> None:
    with container.uow(SYSTEM) as uow:
        result = service.load_icd_codes(
            uow=uow,
            system="icd9",
            reference_dir=container.settings.reference_dir,
            begin=date(2026, 1, 1),
            version="same-content",
        )
    assert (result.kind, result.version, result.rows, result.skipped) == ("icd9", "yb-2.0", 0, True)
    assert result.notes == ("内容与现行版本 yb-2.0 相同，未加载新版本 same-content",)
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).where(RefDataset.kind == "icd9")) == 1


def test_only_an_administrator_may_load(container: Container) -> None:
    clerk = make_actor(Role.CLERK)
    with pytest.raises(BusinessError) as info:
        service.load_all(
            new_uow=lambda: container.uow(clerk), reference_dir=container.settings.reference_dir, begin=BEGIN
        )
    assert info.value.code == "AUTH_FORBIDDEN"


@pytest.mark.parametrize(
    ("only", "version", "code", "field"),
    [
        ("drg", None, "REF_ONLY", "only"),
        (None, "v9", "REF_VERSION", "version"),
        ("icd9", " ", "REQUIRED", "version"),
    ],
)
def test_bad_load_options_name_the_field(
    container: Container, only: str | None, version: str | None, code: str, field: str
) -> None:
    with pytest.raises(BusinessError) as info:
        service.load_all(
            new_uow=container.uow,
            reference_dir=container.settings.reference_dir,
            begin=BEGIN,
            only=only,
            version=version,
        )
    assert (info.value.code, info.value.field) == (code, field)
    assert field in info.value.message


def test_a_missing_reference_folder_names_the_missing_file(container: Container, tmp_path: Path) -> None:
    with pytest.raises(BusinessError) as info:
        service.load_all(new_uow=container.uow, reference_dir=tmp_path, begin=BEGIN, only="icd9")
    assert info.value.code == "REFERENCE_DIR"
    assert "ICD9CM3医保版v2.0.dat" in info.value.message


def test_only_one_kind_is_loaded_when_asked(container: Container) -> None:
    results = service.load_all(
        new_uow=container.uow, reference_dir=container.settings.reference_dir, begin=BEGIN, only="crosswalk"
    )
    assert [r.kind for r in results] == [
        "icd10_map_clinical_2.0",
        "icd10_map_yb_1.0",
        "icd9_map_clinical_3.0",
        "icd9_map_yb_1.0",
    ]


@pytest.mark.usefixtures("restore_reference")
def test_progress_is_reported_per_kind(container: Container, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    folder = copy_reference(
        container.settings.reference_dir, tmp_path, change={"00.0101": "00.0101 改"}, file=ICD9_FILE
    )
    with container.uow(SYSTEM) as uow:
        service.load_icd_codes(
            uow=uow,
            system="icd9",
            reference_dir=folder,
            begin=date(2025, 1, 1),
            version="progress",
            progress=lambda kind, done, total: seen.append((kind, done, total)),
        )
    assert seen[0] == ("icd9", 0, 13686) and seen[-1] == ("icd9", 13686, 13686)
    assert len(seen) == 1 + -(-13686 // service.CHUNK)
