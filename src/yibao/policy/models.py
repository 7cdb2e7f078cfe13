"""Benefit policy versions (待遇政策版本)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yibao.core.db import Base, IdMixin, UtcDateTime


class PolicyVersion(IdMixin, Base):
    """One version of the benefit policy of a pooling region and scheme (险种) over a period."""

    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("admdvs", "insutype", "version"),)

    admdvs: Mapped[str] = mapped_column(String(6), index=True)
    insutype: Mapped[str] = mapped_column(String(6))
    version: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    document: Mapped[str] = mapped_column(Text)  # the parsed policy as JSON (amounts in fen)
    source: Mapped[str] = mapped_column(Text)  # the TOML text as loaded
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    loaded_by: Mapped[str] = mapped_column(String(64))

    def snapshot(self) -> dict[str, object]:
        return {
            "admdvs": self.admdvs,
            "insutype": self.insutype,
            "version": self.version,
            "name": self.name,
            "begin": self.begin,
            "end": self.end,
            "filename": self.filename,
            "sha256": self.sha256,
        }
