"""API payloads for benefit policy versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from yibao.core.schemas import ApiModel


class PolicyLoadIn(ApiModel):
    toml: str = Field(description="政策文件 TOML 文本", examples=['admdvs = "439901"\n...'])
    filename: str = Field(
        default="policy.toml", description="文件名（记录来源）", examples=["439901-310-2024.toml"]
    )


class PolicyOut(ApiModel):
    id: int
    admdvs: str = Field(description="统筹区编码")
    insutype: str = Field(description="险种类型")
    version: str = Field(description="版本号")
    name: str = Field(description="政策名称")
    begin: date = Field(description="生效日期")
    end: date | None = Field(description="失效日期（含当日），空为长期")
    filename: str = Field(description="载入的文件名")
    sha256: str = Field(description="文件内容 SHA-256")
    loaded_at: datetime = Field(description="载入时间（UTC）")
    loaded_by: str = Field(description="载入人")


class PolicyDetailOut(PolicyOut):
    document: dict[str, Any] = Field(description="政策文档（金额为元，比例为小数）")
    source: str = Field(description="载入的 TOML 原文")


class PolicyLoadOut(ApiModel):
    status: str = Field(description="loaded 已载入 / unchanged 内容相同，未改动")
    policy: PolicyOut
    closed: list[PolicyOut] = Field(description="因新版本生效而截止的原版本")


class ChangeOut(ApiModel):
    path: str = Field(description="键路径，如 caps.pool", examples=["caps.pool"])
    old: Any = Field(description="原值（金额为元），空为原版本没有此键")
    new: Any = Field(description="新值（金额为元），空为新版本没有此键")
    unit: str | None = Field(description="单位：yuan 元 / ratio 比例 / points 比例调整")


class DiffOut(ApiModel):
    from_id: int
    to_id: int
    changes: list[ChangeOut]
