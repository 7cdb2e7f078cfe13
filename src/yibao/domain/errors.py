"""Business errors with a stable code and a Chinese message naming the field and the rule."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from enum import StrEnum


class ErrorKind(StrEnum):
    """What kind of refusal an error is; entry points map it to a status (HTTP 4xx, exit code)."""

    INVALID = "invalid"  # the input breaks a rule of format or range
    NOT_FOUND = "not_found"  # the record named does not exist (or is outside the caller's regions)
    CONFLICT = "conflict"  # the input clashes with a stored record (overlap, duplicate, state)
    FORBIDDEN = "forbidden"  # the caller's role may not do this
    UNAUTHENTICATED = "unauthenticated"  # no valid credentials


@dataclass(frozen=True)
class FieldError:
    """One broken rule on one field."""

    field: str
    code: str
    message: str  # Chinese, names the field and the rule

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class BusinessError(Exception):
    """A refused request: stable `code`, Chinese `message`, and the `field` it concerns (if any)."""

    code: str
    message: str
    field: str | None = None
    kind: ErrorKind = ErrorKind.INVALID
    errors: list[FieldError] = dc_field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(f"{self.code}: {self.message}")
        if self.field and not self.errors:
            self.errors = [FieldError(self.field, self.code, self.message)]

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "field": self.field,
            "errors": [e.as_dict() for e in self.errors],
        }


def invalid(code: str, field_name: str, message: str) -> BusinessError:
    """A format or range rule broken by one field."""
    return BusinessError(code=code, message=message, field=field_name, kind=ErrorKind.INVALID)


def not_found(code: str, message: str, field_name: str | None = None) -> BusinessError:
    """A named record that does not exist for this caller."""
    return BusinessError(code=code, message=message, field=field_name, kind=ErrorKind.NOT_FOUND)


def conflict(code: str, message: str, field_name: str | None = None) -> BusinessError:
    """An input that clashes with what is stored."""
    return BusinessError(code=code, message=message, field=field_name, kind=ErrorKind.CONFLICT)


def forbidden(message: str = "当前角色无权执行此操作") -> BusinessError:
    """The caller's role or region does not allow the action."""
    return BusinessError(code="AUTH_FORBIDDEN", message=message, kind=ErrorKind.FORBIDDEN)


def collect(errors: list[FieldError]) -> BusinessError:
    """Several field errors reported together (the first one leads)."""
    first = errors[0]
    return BusinessError(
        code=first.code, message=first.message, field=first.field, kind=ErrorKind.INVALID, errors=errors
    )
