"""Catalog tables: item versions of the four lists (三目录与医用耗材) and hospital code mappings (对码)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yibao.core.db import Base, IdMixin, Money, UtcDateTime
from yibao.domain.catalog import Restrictions


class CatalogItem(IdMixin, Base):
    """One version of a national catalog item (医保目录) valid from `begin` to `end` (inclusive).

    One table for drugs, service items, consumables and service facilities, told apart by `kind`
    (and the national `list_type`): the HIS sends a national code without its type, and versions,
    caps, restrictions, import and mapping work the same way for all four lists.
    """

    __tablename__ = "catalog_item"
    __table_args__ = (
        UniqueConstraint("code", "begin"),  # also the index of the hot lookup: code + version
        Index("ix_catalog_item_kind", "kind", "list_type"),
        Index("ix_catalog_item_admdvs", "admdvs"),
    )

    code: Mapped[str] = mapped_column(String(32))  # 国家编码 (医保药品编码 / 项目编码 / 耗材编码)
    kind: Mapped[str] = mapped_column(String(16))  # drug / service / consumable / facility
    list_type: Mapped[str] = mapped_column(String(3))  # dictionary list_type
    name: Mapped[str] = mapped_column(String(200))
    admdvs: Mapped[str | None] = mapped_column(String(6))  # a regional item; None = national/provincial
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    chrgitm_lv: Mapped[str] = mapped_column(String(2))  # 01 甲类 / 02 乙类 / 03 丙类
    selfpay_bp: Mapped[int] = mapped_column(Integer)  # 先行自付比例, basis points 0..10000
    # Price caps in fen: one cap, or one per price tier (一级及以下/二级/三级) for service items.
    price_cap: Mapped[int | None] = mapped_column(Money)
    price_cap_lv1: Mapped[int | None] = mapped_column(Money)
    price_cap_lv2: Mapped[int | None] = mapped_column(Money)
    price_cap_lv3: Mapped[int | None] = mapped_column(Money)
    # Drugs
    generic_name: Mapped[str | None] = mapped_column(String(200))
    dosform: Mapped[str | None] = mapped_column(String(16))  # dictionary drug_dosform
    spec: Mapped[str | None] = mapped_column(String(200))
    manufacturer: Mapped[str | None] = mapped_column(String(200))
    # Service items and facilities
    unit: Mapped[str | None] = mapped_column(String(32))
    med_chrgitm_type: Mapped[str | None] = mapped_column(String(4))  # dictionary med_chrgitm_type
    # Consumables
    high_value: Mapped[bool] = mapped_column(Boolean, default=False)
    # Payment restrictions (限定支付范围)
    restr_gend: Mapped[str | None] = mapped_column(String(1))
    restr_age_min: Mapped[int | None] = mapped_column(Integer)
    restr_age_max: Mapped[int | None] = mapped_column(Integer)
    restr_hosp_levels: Mapped[str | None] = mapped_column(String(16))  # "2,3"
    restr_inpatient_only: Mapped[bool] = mapped_column(Boolean, default=False)
    restr_benefit_only: Mapped[str | None] = mapped_column(String(16))  # work_injury / maternity
    restr_insutypes: Mapped[str | None] = mapped_column(String(128))  # "310,390"
    restr_max_days: Mapped[int | None] = mapped_column(Integer)
    restr_indication: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    @property
    def restrictions(self) -> Restrictions:
        """The payment restrictions as the domain sees them."""
        return Restrictions(
            gend=self.restr_gend,
            age_min=self.restr_age_min,
            age_max=self.restr_age_max,
            hosp_levels=frozenset(filter(None, (self.restr_hosp_levels or "").split(","))),
            inpatient_only=bool(self.restr_inpatient_only),
            benefit_only=self.restr_benefit_only,
            insutypes=frozenset(filter(None, (self.restr_insutypes or "").split(","))),
            max_days=self.restr_max_days,
            indication=self.restr_indication,
        )

    @property
    def tier_caps(self) -> dict[str, int | None]:
        """Price caps by tier (1 一级及以下, 2 二级, 3 三级)."""
        return {"1": self.price_cap_lv1, "2": self.price_cap_lv2, "3": self.price_cap_lv3}

    def snapshot(self) -> dict[str, object]:
        return {
            "id": self.id,
            "code": self.code,
            "kind": self.kind,
            "list_type": self.list_type,
            "name": self.name,
            "admdvs": self.admdvs,
            "begin": self.begin,
            "end": self.end,
            "chrgitm_lv": self.chrgitm_lv,
            "selfpay_bp": self.selfpay_bp,
            "price_cap": self.price_cap,
            "price_cap_lv1": self.price_cap_lv1,
            "price_cap_lv2": self.price_cap_lv2,
            "price_cap_lv3": self.price_cap_lv3,
            "generic_name": self.generic_name,
            "dosform": self.dosform,
            "spec": self.spec,
            "manufacturer": self.manufacturer,
            "unit": self.unit,
            "med_chrgitm_type": self.med_chrgitm_type,
            "high_value": self.high_value,
            "restr_gend": self.restr_gend,
            "restr_age_min": self.restr_age_min,
            "restr_age_max": self.restr_age_max,
            "restr_hosp_levels": self.restr_hosp_levels,
            "restr_inpatient_only": self.restr_inpatient_only,
            "restr_benefit_only": self.restr_benefit_only,
            "restr_insutypes": self.restr_insutypes,
            "restr_max_days": self.restr_max_days,
            "restr_indication": self.restr_indication,
        }


class CodeMapping(IdMixin, Base):
    """A hospital's own item code mapped to a national item (对码), submitted by the institution and
    approved or rejected by the agency; valid from `begin` to `end` once approved."""

    __tablename__ = "catalog_mapping"
    __table_args__ = (
        Index("ix_catalog_mapping_lookup", "fixmedins_code", "medins_list_codg", "begin"),
        Index("ix_catalog_mapping_admdvs_status", "admdvs", "status"),
    )

    fixmedins_code: Mapped[str] = mapped_column(String(32))  # 定点医药机构编号
    admdvs: Mapped[str] = mapped_column(String(6))  # the institution's pooling region
    medins_list_codg: Mapped[str] = mapped_column(String(64))  # 医药机构目录编码
    medins_list_name: Mapped[str] = mapped_column(String(200))  # 医药机构目录名称
    hilist_code: Mapped[str] = mapped_column(String(32))  # 医保目录编码 (national code)
    kind: Mapped[str] = mapped_column(String(16))
    list_type: Mapped[str] = mapped_column(String(3))
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    # submitted → approved / rejected; approved → revoked (ended on `end`)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    reason: Mapped[str | None] = mapped_column(String(255))  # rejection / revocation reason
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    def snapshot(self) -> dict[str, object]:
        return {
            "id": self.id,
            "fixmedins_code": self.fixmedins_code,
            "admdvs": self.admdvs,
            "medins_list_codg": self.medins_list_codg,
            "medins_list_name": self.medins_list_name,
            "hilist_code": self.hilist_code,
            "kind": self.kind,
            "list_type": self.list_type,
            "begin": self.begin,
            "end": self.end,
            "status": self.status,
            "reason": self.reason,
        }
