"""Reference tables: each row belongs to a loaded data set version with an effective period."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yibao.core.db import Base, IdMixin, IdType, UtcDateTime


class RefDataset(IdMixin, Base):
    """One loaded version of a reference source (数据集版本): what file, which checksum, valid when."""

    __tablename__ = "ref_dataset"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    kind: Mapped[str] = mapped_column(String(32))  # dict / icd10 / icd9 / icd10_map / icd9_map
    version: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int]
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DictEntry(IdMixin, Base):
    """One code of a national dictionary (字典), e.g. insutype 310 职工基本医疗保险."""

    __tablename__ = "ref_dict_entry"
    __table_args__ = (
        UniqueConstraint("dataset_id", "dict_name", "code"),
        Index("ix_dict_lookup", "dict_name", "code"),
    )

    dataset_id: Mapped[int] = mapped_column(IdType, ForeignKey("ref_dataset.id", ondelete="CASCADE"))
    dict_name: Mapped[str] = mapped_column(String(64))
    dict_label: Mapped[str] = mapped_column(String(128))
    code: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(255))
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)


class IcdCode(IdMixin, Base):
    """A diagnosis (ICD-10 医保版) or procedure (ICD-9-CM-3 医保版) code; gray codes are not settleable."""

    __tablename__ = "ref_icd_code"
    __table_args__ = (UniqueConstraint("dataset_id", "code"), Index("ix_icd_lookup", "system", "code"))

    dataset_id: Mapped[int] = mapped_column(IdType, ForeignKey("ref_dataset.id", ondelete="CASCADE"))
    system: Mapped[str] = mapped_column(String(8))  # icd10 / icd9
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    gray: Mapped[bool] = mapped_column(Boolean, default=False)  # 灰码: not accepted for settlement
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)


class IcdCrosswalk(IdMixin, Base):
    """A mapping from another edition's code (国临版 or 医保版 v1.0) to the 医保版 v2.0 code."""

    __tablename__ = "ref_icd_crosswalk"
    __table_args__ = (Index("ix_crosswalk_lookup", "system", "from_edition", "from_code"),)

    dataset_id: Mapped[int] = mapped_column(IdType, ForeignKey("ref_dataset.id", ondelete="CASCADE"))
    system: Mapped[str] = mapped_column(String(8))
    from_edition: Mapped[str] = mapped_column(String(32))  # clinical_2.0 / clinical_3.0 / yb_1.0
    from_code: Mapped[str] = mapped_column(String(32))
    from_name: Mapped[str | None] = mapped_column(String(255))
    to_code: Mapped[str] = mapped_column(String(32))
