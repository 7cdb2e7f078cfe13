"""Pages of list results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from yibao.domain.errors import invalid

T = TypeVar("T")

MAX_PAGE_SIZE = 500
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with the total count for the pager."""

    items: list[T]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def check_paging(page: int, size: int) -> None:
    """Refuse page numbers below 1 and sizes outside 1..500."""
    if not 1 <= page <= MAX_PAGE:
        raise invalid("PAGE_RANGE", "page", f"字段 page 页码必须在1到{MAX_PAGE}之间")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise invalid("PAGE_SIZE", "size", f"字段 size 每页条数必须在1到{MAX_PAGE_SIZE}之间")


def paginate(session: Session, stmt: Select[Any], *, page: int, size: int) -> Page[Any]:
    """Run `stmt` for one page and count the whole result."""
    check_paging(page, size)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(size).offset((page - 1) * size)))
    return Page(items=items, total=total, page=page, size=size)
