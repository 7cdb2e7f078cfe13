"""Shapes shared by every REST API: pages and errors."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class ApiModel(BaseModel):
    """Base for API payloads: reads ORM objects, refuses unknown fields on input."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class PageOut(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    page: int
    size: int


class FieldErrorOut(BaseModel):
    field: str
    code: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None
    errors: list[FieldErrorOut] = []


class ErrorOut(BaseModel):
    """Every refusal: a stable code and a Chinese message naming the field."""

    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422)
}
