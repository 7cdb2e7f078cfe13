"""Money is integer fen inside; yuan with two decimals only at the edges."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao.domain.errors import BusinessError
from yibao.domain.money import fen_to_yuan, ratio_of, yuan_to_fen


def test_yuan_strings_convert_to_exact_fen() -> None:
    assert yuan_to_fen("12.30") == 1230
    assert yuan_to_fen("0.01") == 1
    assert yuan_to_fen(5) == 500
    assert yuan_to_fen("-3.5") == -350


@pytest.mark.parametrize("bad", ["1.234", "abc", "", "NaN", "inf"])
def test_bad_yuan_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(BusinessError) as info:
        yuan_to_fen(bad, field="pric")
    assert info.value.field == "pric"
    assert "pric" in info.value.message


def test_floats_are_refused() -> None:
    with pytest.raises(BusinessError) as info:
        yuan_to_fen(1.1)  # type: ignore[arg-type]
    assert info.value.code == "MONEY_NOT_DECIMAL"


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_fen_yuan_round_trip(fen: int) -> None:
    assert yuan_to_fen(fen_to_yuan(fen)) == fen


def test_ratio_rounds_half_up_once() -> None:
    assert ratio_of(5, Decimal("0.5")) == 3  # 2.5 fen → 3
    assert ratio_of(1001, Decimal("0.85")) == 851  # 850.85 → 851
