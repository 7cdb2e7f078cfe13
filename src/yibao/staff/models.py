"""Staff users and the regions they are scoped to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yibao.core.db import Base, IdMixin, IdType, UtcDateTime


class User(IdMixin, Base):
    """A staff or institution user (用户) with an Argon2 password hash."""

    __tablename__ = "staff_user"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[str] = mapped_column(String(128))  # comma-separated Role values
    all_regions: Mapped[bool] = mapped_column(Boolean, default=False)
    institution_code: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    region_links: Mapped[list[UserRegion]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]

    @property
    def region_list(self) -> list[str]:
        return sorted(link.admdvs for link in self.region_links)

    def snapshot(self) -> dict[str, object]:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "roles": self.role_list,
            "regions": self.region_list,
            "all_regions": self.all_regions,
            "institution_code": self.institution_code,
            "active": self.active,
        }


class UserRegion(IdMixin, Base):
    """A pooling region a user may see and act in."""

    __tablename__ = "staff_user_region"
    __table_args__ = (UniqueConstraint("user_id", "admdvs"),)

    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("staff_user.id", ondelete="CASCADE"))
    admdvs: Mapped[str] = mapped_column(String(6))
    user: Mapped[User] = relationship(back_populates="region_links")
