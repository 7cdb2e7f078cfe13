"""Effective periods: inclusive end, open end, overlap and the version valid on a day."""

from datetime import date

import pytest

from yibao.domain.errors import BusinessError
from yibao.domain.periods import Period, valid_on


def test_periods_touching_on_a_day_overlap() -> None:
    assert Period(date(2024, 1, 1), date(2024, 6, 30)).overlaps(Period(date(2024, 6, 30)))
    assert not Period(date(2024, 1, 1), date(2024, 6, 29)).overlaps(Period(date(2024, 6, 30)))


def test_open_end_overlaps_everything_later() -> None:
    assert Period(date(2020, 1, 1)).overlaps(Period(date(2030, 1, 1), date(2030, 1, 2)))


def test_end_before_begin_is_refused() -> None:
    with pytest.raises(BusinessError) as info:
        Period(date(2024, 2, 1), date(2024, 1, 31))
    assert info.value.code == "PERIOD_ORDER"


def test_valid_on_picks_the_version_in_force() -> None:
    old = Period(date(2023, 1, 1), date(2023, 12, 31))
    new = Period(date(2024, 1, 1))
    assert valid_on([old, new], date(2023, 7, 1)) is old
    assert valid_on([old, new], date(2024, 7, 1)) is new
    assert valid_on([old, new], date(2022, 7, 1)) is None
