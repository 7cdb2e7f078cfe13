"""The findings file's money column: fen to yuan decimal(18, 2) exactly, without a Python object per value."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao.monitoring.batch import yuan_column

pytestmark = pytest.mark.database_free  # runs in the SQLite pass only (conftest)

FEN = st.one_of(st.none(), st.integers(min_value=-(10**15), max_value=10**15))


@given(st.lists(FEN, max_size=40), st.integers(min_value=0, max_value=5))
def test_yuan_column_is_the_fen_divided_by_a_hundred(values: list[int | None], cut: int) -> None:
    chunks = pa.chunked_array([values[:cut], values[cut:]], type=pa.int64())
    expected = [None if v is None else Decimal(v).scaleb(-2) for v in values]
    column = yuan_column(chunks)
    assert column.type == pa.decimal128(18, 2)
    assert column.to_pylist() == expected


def test_a_sliced_array_keeps_its_nulls() -> None:
    assert yuan_column(pa.array([5, None, -1]).slice(1)).to_pylist() == [None, Decimal("-0.01")]
