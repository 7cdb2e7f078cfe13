"""Effective periods (有效期): every policy, price, catalog row and relation has one.

`begin` is the first valid day, `end` the last valid day (inclusive); `end=None` is open-ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from yibao.domain.errors import invalid


class HasPeriod(Protocol):
    """Anything with an effective period."""

    @property
    def begin(self) -> date: ...

    @property
    def end(self) -> date | None: ...


@dataclass(frozen=True)
class Period:
    """A closed date interval with an optional open end."""

    begin: date
    end: date | None = None

    def __post_init__(self) -> None:
        check_order(self.begin, self.end)

    def contains(self, day: date) -> bool:
        """Whether `day` falls inside the period."""
        return self.begin <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: HasPeriod) -> bool:
        """Whether two periods share at least one day."""
        return overlaps(self, other)


def check_order(begin: date, end: date | None, *, begin_field: str = "begin", end_field: str = "end") -> None:
    """Refuse an end date before the begin date."""
    if end is not None and end < begin:
        raise invalid(
            "PERIOD_ORDER", end_field, f"字段 {end_field}（{end}）不能早于 {begin_field}（{begin}）"
        )


def overlaps(a: HasPeriod, b: HasPeriod) -> bool:
    """Whether two effective periods share at least one day."""
    a_end = a.end or date.max
    b_end = b.end or date.max
    return a.begin <= b_end and b.begin <= a_end


T = TypeVar("T", bound=HasPeriod)


def valid_on(rows: list[T], day: date) -> T | None:
    """The row whose period contains `day` (the latest-beginning one if several)."""
    best: T | None = None
    for row in rows:
        if (
            row.begin <= day
            and (row.end is None or day <= row.end)
            and (best is None or row.begin > best.begin)
        ):
            best = row
    return best
