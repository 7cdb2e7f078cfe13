"""Pooling-region table."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from yibao.core.db import Base, IdMixin


class Region(IdMixin, Base):
    """A pooling region (统筹区) keyed by its 6-digit administrative division code (admdvs)."""

    __tablename__ = "region"

    admdvs: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))  # county / city / province
    parent_admdvs: Mapped[str | None] = mapped_column(String(6))
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)

    def snapshot(self) -> dict[str, object]:
        return {
            "admdvs": self.admdvs,
            "name": self.name,
            "level": self.level,
            "parent_admdvs": self.parent_admdvs,
            "begin": self.begin,
            "end": self.end,
        }
