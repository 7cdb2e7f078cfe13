"""API payloads for pooling regions."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from yibao.core.schemas import ApiModel


class RegionIn(ApiModel):
    admdvs: str = Field(description="6位统筹区编码", examples=["439901"])
    name: str = Field(description="统筹区名称", examples=["示范县"])
    level: str = Field(default="county", description="统筹层次 county/city/province")
    parent_admdvs: str | None = Field(default=None, description="上级统筹区编码")
    begin: date = Field(description="启用日期")
    end: date | None = Field(default=None, description="停用日期（含当日），空为长期")


class RegionPatch(ApiModel):
    name: str | None = None
    end: date | None = None
    clear_end: bool = False


class RegionOut(ApiModel):
    admdvs: str
    name: str
    level: str
    parent_admdvs: str | None
    begin: date
    end: date | None
