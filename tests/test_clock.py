"""The region's calendar day (Beijing time) decides the policy year, in Python and in SQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import DateTime, bindparam, select

from yibao.bootstrap import Container
from yibao.core.clock import LOCAL_TZ, local_day
from yibao.core.db import local_year

MOMENTS = [
    (datetime(2024, 12, 31, 15, 59, 59, tzinfo=UTC), date(2024, 12, 31)),  # 23:59:59 in Beijing
    (datetime(2024, 12, 31, 16, 0, 0, tzinfo=UTC), date(2025, 1, 1)),  # midnight in Beijing
    (datetime(2024, 12, 31, 22, 0, 0, tzinfo=UTC), date(2025, 1, 1)),
    (datetime(2025, 6, 30, 9, 0, 0, tzinfo=UTC), date(2025, 6, 30)),
]


@pytest.mark.parametrize(("moment", "day"), MOMENTS)
def test_local_day_is_the_beijing_calendar_day(moment: datetime, day: date) -> None:
    assert local_day(moment) == day
    assert local_day(moment.astimezone(LOCAL_TZ).replace(tzinfo=None)) == day  # naive = Beijing time


@pytest.mark.parametrize(("moment", "day"), MOMENTS)
def test_local_year_in_sql_agrees_with_local_day(container: Container, moment: datetime, day: date) -> None:
    """The person-year a settlement locks in SQL is the year `settlement_day` computes in Python."""
    with container.engine.connect() as conn:
        # the value travels as the UTC timestamp a column of the visit holds
        stored = moment.replace(tzinfo=None) if conn.dialect.name == "sqlite" else moment
        found = conn.scalar(select(local_year(bindparam("at", stored, type_=DateTime(timezone=True)))))
    assert found == day.year
