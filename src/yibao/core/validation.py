"""Small field checks shared by the business areas (each names the field in Chinese)."""

from __future__ import annotations

import re
from datetime import date, datetime

from yibao.core.clock import LOCAL_TZ
from yibao.domain.errors import invalid

_ADMDVS = re.compile(r"^\d{6}$")


def require_admdvs(value: str | None, *, field: str = "admdvs") -> str:
    """A pooling-region code is exactly six digits."""
    code = (value or "").strip()
    if not _ADMDVS.match(code):
        raise invalid("ADMDVS_FORMAT", field, f"字段 {field} 统筹区编码必须为6位数字，实际为 {value!r}")
    return code


def require_text(value: str | None, *, field: str, max_len: int, label: str) -> str:
    """A required text field, stripped, at most `max_len` characters."""
    text = (value or "").strip()
    if not text:
        raise invalid("REQUIRED", field, f"字段 {field}（{label}）不能为空")
    if len(text) > max_len:
        raise invalid("TOO_LONG", field, f"字段 {field}（{label}）不能超过{max_len}个字符")
    return text


def optional_text(value: str | None, *, field: str, max_len: int, label: str) -> str | None:
    """An optional text field; blank becomes None."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > max_len:
        raise invalid("TOO_LONG", field, f"字段 {field}（{label}）不能超过{max_len}个字符")
    return text


def parse_date(value: str | date | None, *, field: str, required: bool = True) -> date | None:
    """A yyyy-MM-dd date (or a date), optionally blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise invalid("REQUIRED", field, f"字段 {field} 日期不能为空")
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise invalid(
            "DATE_FORMAT", field, f"字段 {field} 日期格式应为 yyyy-MM-dd，实际为 {value!r}"
        ) from exc


def require_date(value: str | date | None, *, field: str) -> date:
    """A required yyyy-MM-dd date."""
    parsed = parse_date(value, field=field, required=True)
    assert parsed is not None
    return parsed


_MOMENT_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")


def parse_local_moment(value: str | None, *, field: str, label: str) -> datetime:
    """A required time typed in Beijing time (`yyyy-MM-dd HH:mm[:ss]`, or a form's `yyyy-MM-ddTHH:mm`)."""
    text = (value or "").strip()
    if not text:
        raise invalid("REQUIRED", field, f"字段 {field}（{label}）不能为空")
    for fmt in _MOMENT_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            continue
    raise invalid(
        "DATETIME_FORMAT", field, f"字段 {field}（{label}）应为 yyyy-MM-dd HH:mm 格式，实际为 {text!r}"
    )
