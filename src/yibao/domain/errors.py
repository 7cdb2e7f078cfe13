"""Business errors with a stable code and a Chinese message naming the field and the rule."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from enum import StrEnum
from typing import Any, TypeVar


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


E = TypeVar("E", bound=StrEnum)


def choice(enum: type[E], value: str | None, *, code: str, field: str, label: str) -> E:
    """The member of `enum` with this value, or a refusal naming the field and the allowed values."""
    try:
        return enum((value or "").strip())
    except ValueError as exc:
        allowed = "/".join(member.value for member in enum)
        raise invalid(code, field, f"字段 {field} {label} {value!r} 无效，可选：{allowed}") from exc


def collect(errors: list[FieldError]) -> BusinessError:
    """Several field errors reported together (the first one leads)."""
    first = errors[0]
    return BusinessError(
        code=first.code, message=first.message, field=first.field, kind=ErrorKind.INVALID, errors=errors
    )


_PYDANTIC_ZH = {
    "missing": "必填",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "int_from_float": "必须是整数",
    "float_parsing": "必须是数字",
    "decimal_parsing": "必须是数字",
    "bool_parsing": "必须是布尔值",
    "date_from_datetime_parsing": "日期格式应为 yyyy-MM-dd",
    "date_parsing": "日期格式应为 yyyy-MM-dd",
    "date_type": "日期格式应为 yyyy-MM-dd",
    "datetime_parsing": "时间格式应为 yyyy-MM-dd HH:mm:ss",
    "string_type": "必须是字符串",
    "string_too_long": "长度超出上限",
    "string_too_short": "长度不足",
    "string_pattern_mismatch": "格式不符合要求",
    "list_type": "必须是列表",
    "dict_type": "必须是对象",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "greater_than": "必须大于下限",
    "greater_than_equal": "不能小于下限",
    "less_than_equal": "超出上限",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "格式错误",
    "model_type": "格式错误",
    "extra_forbidden": "不允许的字段",
    "too_short": "元素个数不足",
}


def pydantic_errors(
    errors: list[Any], *, code: str = "VALIDATION", label: str = "字段", skip: tuple[str, ...] = ()
) -> BusinessError:
    """Translate pydantic's error list into one business error with a Chinese message per field."""
    fields: list[FieldError] = []
    for err in errors:
        name = ".".join(str(p) for p in err.get("loc", ()) if p not in skip) or "body"
        kind = str(err.get("type", "invalid"))
        if kind == "value_error":
            rule = str(err.get("msg", "")).removeprefix("Value error, ")
        else:
            rule = _PYDANTIC_ZH.get(kind, "格式错误")
        ctx = err.get("ctx") or {}
        extra = ""
        if "max_length" in ctx:
            extra = f"（最多{ctx['max_length']}）"
        elif "min_length" in ctx:
            extra = f"（至少{ctx['min_length']}）"
        elif "expected" in ctx:
            extra = f"（可选：{ctx['expected']}）"
        elif "ge" in ctx or "gt" in ctx:
            extra = f"（下限 {ctx.get('ge', ctx.get('gt'))}）"
        fields.append(FieldError(name, f"FIELD_{kind.upper()}", f"{label} {name} {rule}{extra}"))
    if not fields:
        fields.append(FieldError("body", "FIELD_INVALID", "请求格式错误"))
    first = fields[0]
    return BusinessError(code=code, message=first.message, field=first.field, errors=fields)
