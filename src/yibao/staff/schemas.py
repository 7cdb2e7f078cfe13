"""API payloads for staff accounts."""

from __future__ import annotations

from pydantic import BaseModel, Field

from yibao.core.schemas import ApiModel


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


class UserIn(ApiModel):
    username: str
    password: str = Field(description="至少8位")
    display_name: str
    roles: list[str] = Field(description="admin/clerk/reviewer/supervisor/analyst/institution")
    regions: list[str] = Field(default_factory=list, description="可访问的统筹区编码")
    all_regions: bool = False
    institution_code: str | None = None


class UserOut(ApiModel):
    username: str
    display_name: str
    role_list: list[str]
    region_list: list[str]
    all_regions: bool
    institution_code: str | None
    active: bool


class MeOut(BaseModel):
    username: str
    roles: list[str]
    regions: list[str]
    all_regions: bool
    permissions: list[str]
