"""API payloads for national reference data (参考数据)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from yibao.core.schemas import ApiModel


class DatasetOut(ApiModel):
    kind: str = Field(description="数据集类别 dict/icd10/icd9/icd10_map_clinical_2.0/…")
    version: str
    source: str = Field(description="来源文件")
    sha256: str
    rows: int
    begin: date = Field(description="启用日期")
    end: date | None = Field(description="停用日期（含当日），空为现行版本")
    loaded_at: datetime


class DictionaryOut(ApiModel):
    name: str = Field(description="字典名，如 insutype", examples=["insutype"])
    label: str = Field(description="字典中文名", examples=["险种类型"])
    codes: int = Field(description="代码个数")


class DictCodeOut(ApiModel):
    dict_name: str
    code: str
    label: str
    begin: date
    end: date | None


class IcdOut(ApiModel):
    system: str = Field(description="icd10 诊断 / icd9 手术操作")
    code: str = Field(examples=["A00.000"])
    name: str
    gray: bool = Field(description="灰码：不可用于医保结算")
    begin: date
    end: date | None


class CrosswalkOut(ApiModel):
    system: str
    from_edition: str = Field(description="原版本 clinical_2.0/clinical_3.0/yb_1.0")
    from_code: str
    from_name: str | None
    to_code: str = Field(description="医保版 2.0 代码")
    to_name: str | None
    to_gray: bool


class IcdDetailOut(IcdOut):
    version: str = Field(description="数据集版本")
    sources: list[CrosswalkOut] = Field(description="对照到本代码的其他版本代码（最多50条）")


class LoadIn(ApiModel):
    only: Literal["dict", "icd10", "icd9", "crosswalk"] | None = Field(
        default=None, description="只加载一类：dict/icd10/icd9/crosswalk；空为全部"
    )
    begin: date = Field(description="新版本启用日期", examples=["2024-01-01"])
    version: str | None = Field(default=None, description="新版本号（须同时给 only）", max_length=64)


class LoadResultOut(ApiModel):
    kind: str
    version: str
    rows: int
    skipped: bool = Field(description="该版本已加载，未做任何改动")
    bad_lines: int = Field(description="无法读取而跳过的行数")
    duplicates: int = Field(description="重复行数（只计一次）")
    notes: list[str]
    closed: str | None = Field(description="本次加载关闭的旧版本")
