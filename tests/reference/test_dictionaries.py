"""National dictionaries (字典表): loaded once, idempotent, O(1) lookups with field-naming refusals."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from yibao.bootstrap import Container
from yibao.core.security import SYSTEM
from yibao.domain.errors import BusinessError
from yibao.reference import lookup, service
from yibao.reference.models import DictEntry


def test_dictionaries_from_the_interface_spec_are_in_force(container: Container) -> None:
    with container.uow() as uow:
        dicts = lookup.dictionaries(uow.session)
    assert dicts.label("insutype", "310") == "职工基本医疗保险"
    assert dicts.label("insutype", "390") == "城乡居民基本医疗保险"
    assert dicts.has("med_type", "2101")
    assert dicts.has("psn_type", "11")


def test_unknown_code_names_the_field_and_the_dictionary(container: Container) -> None:
    with container.uow() as uow:
        dicts = lookup.dictionaries(uow.session)
    with pytest.raises(BusinessError) as info:
        dicts.require("insutype", "999", field="insutype")
    assert info.value.code == "DICT_CODE"
    assert "insutype" in info.value.message and "险种类型" in info.value.message


def test_loading_again_is_a_no_op(container: Container) -> None:
    with container.uow() as uow:
        before = uow.session.scalar(select(func.count()).select_from(DictEntry))
    with container.uow(SYSTEM) as uow:
        result = service.load_dictionaries(
            uow=uow, reference_dir=container.settings.reference_dir, begin=date(2024, 1, 1)
        )
    assert result.skipped
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(DictEntry)) == before
