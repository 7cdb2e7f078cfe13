"""Queries on staff users."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yibao.core.paging import Page, paginate
from yibao.staff.models import User, UserRegion


class UserRepository:
    """Staff users."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_username(self, username: str) -> User | None:
        return self.session.scalar(select(User).where(User.username == username))

    def by_id(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def search(self, *, regions: frozenset[str] | None, q: str | None, page: int, size: int) -> Page[User]:
        stmt = select(User).order_by(User.username)
        if regions is not None:
            stmt = stmt.where(User.id.in_(select(UserRegion.user_id).where(UserRegion.admdvs.in_(regions))))
        if q:
            stmt = stmt.where(or_(User.username.contains(q), User.display_name.contains(q)))
        return paginate(self.session, stmt, page=page, size=size)

    def add(self, user: User) -> None:
        self.session.add(user)
