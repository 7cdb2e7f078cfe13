"""Hot-path lookups: O(1) in memory, cached per database, rebuilt after a load; field-naming refusals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.reference.helpers import copy_reference, restore_reference
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain.errors import BusinessError
from yibao.reference import lookup, service

__all__ = ["restore_reference"]


@contextmanager
def count_queries(container: Container) -> Iterator[list[str]]:
    statements: list[str] = []

    def on_execute(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(container.engine, "before_cursor_execute", on_execute)
    try:
        yield statements
    finally:
        event.remove(container.engine, "before_cursor_execute", on_execute)


def test_a_settleable_diagnosis_passes_and_is_answered_as_stored(container: Container) -> None:
    with container.uow() as uow:
        diagnoses = lookup.diagnoses(uow.session)
    assert diagnoses.require_settleable(" A00.000x001 ", field="diag_code") == "A00.000x001"
    assert diagnoses.require_settleable("A01.000x005†J17.0*", field="diag_code") == "A01.000x005+J17.0*"


def test_a_gray_diagnosis_is_refused_for_settlement_naming_the_field(container: Container) -> None:
    with container.uow() as uow:
        diagnoses = lookup.diagnoses(uow.session)
    assert diagnoses.require("A00.000", field="diag_code") == "A00.000"  # known, so it may be recorded
    with pytest.raises(BusinessError) as info:
        diagnoses.require_settleable("A00.000", field="diag_code")
    assert (info.value.code, info.value.field) == ("ICD_GRAY", "diag_code")
    assert (
        "字段 diag_code" in info.value.message
        and "灰码" in info.value.message
        and "A00.000" in info.value.message
    )


def test_a_gray_procedure_is_refused_for_settlement(container: Container) -> None:
    with container.uow() as uow:
        procedures = lookup.procedures(uow.session)
    assert procedures.require_settleable("00.0101", field="oprn_oprt_code") == "00.0101"
    with pytest.raises(BusinessError) as info:
        procedures.require_settleable("00.0100", field="oprn_oprt_code")
    assert (info.value.code, info.value.field) == ("ICD_GRAY", "oprn_oprt_code")
    assert "ICD-9-CM-3" in info.value.message


@pytest.mark.parametrize(
    ("value", "code"), [("Z99.999x999", "ICD_UNKNOWN"), ("", "ICD_REQUIRED"), (None, "ICD_REQUIRED")]
)
def test_unknown_or_missing_codes_name_the_field(container: Container, value: str | None, code: str) -> None:
    with container.uow() as uow:
        diagnoses = lookup.diagnoses(uow.session)
    with pytest.raises(BusinessError) as info:
        diagnoses.require_settleable(value, field="maindiag_code")
    assert (info.value.code, info.value.field) == (code, "maindiag_code")
    assert "字段 maindiag_code" in info.value.message


def test_a_diagnosis_code_is_not_a_procedure_code(container: Container) -> None:
    with container.uow() as uow:
        assert lookup.procedures(uow.session).get("A00.000x001") is None
        assert lookup.diagnoses(uow.session).get("00.0101") is None


def test_lookups_answer_from_memory_without_queries(container: Container) -> None:
    with container.uow() as uow:
        diagnoses = lookup.diagnoses(uow.session)
        walks = lookup.crosswalks(uow.session)
        with count_queries(container) as statements:
            for _ in range(1000):
                assert diagnoses.is_gray("A00.000")
                assert walks.targets("icd10", "yb_1.0", "A18.800x041") == ["A18.300x016"]
        assert statements == []
        assert isinstance(diagnoses.codes, dict) and len(diagnoses.codes) == 33307


def test_the_cache_is_reused_without_a_query_between_rechecks(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup.ICD_TABLES["icd10"], "recheck_seconds", 3600.0)
    with container.uow() as uow:
        first = lookup.diagnoses(uow.session)
        with count_queries(container) as statements:
            again = lookup.diagnoses(uow.session)
    assert again is first
    assert statements == []


def test_a_recheck_asks_only_for_the_newest_data_set(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup.ICD_TABLES["icd10"], "recheck_seconds", 0.0)
    with container.uow() as uow:
        first = lookup.diagnoses(uow.session)
        with count_queries(container) as statements:
            again = lookup.diagnoses(uow.session)
    assert again is first
    assert len(statements) == 1 and "ref_dataset" in statements[0]


@pytest.mark.usefixtures("restore_reference")
def test_the_cache_is_rebuilt_after_a_new_version_is_loaded(container: Container, tmp_path: Path) -> None:
    with container.uow() as uow:
        before = lookup.diagnoses(uow.session)
        crosswalks_before = lookup.crosswalks(uow.session)
    folder = copy_reference(
        container.settings.reference_dir, tmp_path, change={"A00.000x001": "A00.000x001 新名称"}
    )
    with container.uow(SYSTEM) as uow:
        service.load_icd_codes(
            uow=uow, system="icd10", reference_dir=folder, begin=date(2025, 1, 1), version="v-new"
        )
    with container.uow() as uow:
        after = lookup.diagnoses(uow.session)
        assert lookup.crosswalks(uow.session) is not crosswalks_before
    assert after is not before
    assert before.name("A00.000x001") == "古典生物型霍乱" and after.name("A00.000x001") == "新名称"


def test_invalidate_forgets_every_cached_lookup(container: Container) -> None:
    with container.uow() as uow:
        first = lookup.procedures(uow.session)
        lookup.invalidate()
        assert lookup.procedures(uow.session) is not first
        assert lookup.dictionaries(uow.session).has("insutype", "310")


@pytest.mark.parametrize(
    ("system", "edition", "code", "field"),
    [("icd11", "clinical_2.0", "ICD_SYSTEM", "system"), ("icd10", "clinical_3.0", "ICD_EDITION", "edition")],
)
def test_crosswalk_refuses_an_unknown_system_or_edition(
    container: Container, system: str, edition: str, code: str, field: str
) -> None:
    with container.uow() as uow, pytest.raises(BusinessError) as info:
        lookup.crosswalk(uow.session, system, edition, "A00.000")
    assert (info.value.code, info.value.field) == (code, field)
    assert f"字段 {field}" in info.value.message


def test_icd_codes_refuses_an_unknown_system(container: Container) -> None:
    with container.uow() as uow, pytest.raises(BusinessError) as info:
        lookup.icd_codes(uow.session, "icd11")
    assert info.value.code == "ICD_SYSTEM"
