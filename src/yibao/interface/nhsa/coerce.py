"""Field coercion (字段规整) for untidy clients: numbers as strings and strings as numbers, "null"
literals, empty strings in optional fields, several date formats; really wrong values are refused
with a BusinessError naming the field (its path in the message) and the rule.

Money arrives in yuan with at most two decimals and leaves this module in fen (int); prices may carry
more decimals and leave as fen per unit (Decimal). JSON is parsed with `parse_float=Decimal`, so no
float ever carries money.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from yibao.core.clock import LOCAL_TZ
from yibao.domain.errors import BusinessError, invalid
from yibao.domain.money import yuan_to_fen

NULLS = frozenset({"", "null", "none", "nil", "undefined"})
_DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y%m%d%H%M%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
)
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d")
MAX_TEXT = 2000


def is_blank(value: object) -> bool:
    """Whether a value counts as absent: None, empty or blank text, or a "null" literal."""
    return value is None or (isinstance(value, str) and value.strip().lower() in NULLS)


def _as_text(value: object, path: str) -> str:
    if isinstance(value, bool | dict | list):
        raise invalid("FIELD_TYPE", path, f"字段 {path} 应为字符型，收到 {type(value).__name__}")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    text = str(value).strip()
    if "\x00" in text:
        raise invalid("FIELD_FORMAT", path, f"字段 {path} 含有不可存储的控制字符")
    return text


class Fields:
    """One input node (节点) with the path used in messages, e.g. `input.data`."""

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self.data = data
        self.path = path

    def _path(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def raw(self, name: str) -> object:
        value = self.data.get(name)
        return None if is_blank(value) else value

    def text(self, name: str, *, max_len: int = 100) -> str:
        """A required text field (numbers are accepted and written as text)."""
        value = self.opt_text(name, max_len=max_len)
        if value is None:
            raise invalid("FIELD_REQUIRED", self._path(name), f"字段 {self._path(name)} 为必填项，不能为空")
        return value

    def opt_text(self, name: str, *, max_len: int = 100) -> str | None:
        """An optional text field: absent, empty and "null" give None."""
        value = self.raw(name)
        if value is None:
            return None
        text = _as_text(value, self._path(name))
        if len(text) > max_len:
            raise invalid("FIELD_LENGTH", self._path(name), f"字段 {self._path(name)} 长度超过 {max_len}")
        return text or None

    def code(
        self, name: str, dicts: Any, dict_name: str | None = None, *, required: bool = True
    ) -> str | None:
        """A dictionary code checked against the national dictionary `dict_name` (default: the field name)."""
        value = self.text(name, max_len=30) if required else self.opt_text(name, max_len=30)
        if value is None:
            return None
        if not dicts.has(dict_name or name, value):
            raise invalid(
                "DICT_CODE",
                self._path(name),
                f"字段 {self._path(name)} 的值 {value!r} 不是字典 {dict_name or name} 中的有效代码",
            )
        return str(value)

    def number(self, name: str, *, required: bool = True) -> Decimal | None:
        """A decimal number given as a number or as text."""
        value = self.raw(name)
        if value is None:
            if required:
                raise invalid(
                    "FIELD_REQUIRED", self._path(name), f"字段 {self._path(name)} 为必填项，不能为空"
                )
            return None
        try:
            number = Decimal(_as_text(value, self._path(name)).replace(",", ""))
        except InvalidOperation as exc:
            raise invalid(
                "FIELD_NUMBER", self._path(name), f"字段 {self._path(name)} 应为数值型：{value!r}"
            ) from exc
        if not number.is_finite() or abs(number) >= Decimal(10) ** 12:
            raise invalid(
                "FIELD_NUMBER", self._path(name), f"字段 {self._path(name)} 应为有限的数值：{value!r}"
            )
        return number

    def money(self, name: str, *, required: bool = True) -> int | None:
        """An amount in yuan (two decimals at most) converted to fen."""
        number = self.number(name, required=required)
        if number is None:
            return None
        try:
            return yuan_to_fen(number, field=self._path(name))
        except BusinessError as exc:
            raise invalid(exc.code, self._path(name), f"{exc.message}（金额单位为元，最多两位小数）") from exc

    def price(self, name: str) -> Decimal:
        """A unit price in yuan (more decimals allowed) converted to fen per unit."""
        number = self.number(name)
        assert number is not None
        if number.as_tuple().exponent < -6:  # type: ignore[operator]
            raise invalid("FIELD_PRECISION", self._path(name), f"字段 {self._path(name)} 单价最多六位小数")
        return number * 100

    def moment(self, name: str, *, required: bool = True) -> datetime | None:
        """A date-time `yyyy-MM-dd HH:mm:ss` (Beijing time; a bare date means midnight)."""
        value = self.raw(name)
        if value is None:
            if required:
                raise invalid(
                    "FIELD_REQUIRED", self._path(name), f"字段 {self._path(name)} 为必填项，不能为空"
                )
            return None
        text = _as_text(value, self._path(name))
        for fmt in _DATETIME_FORMATS + _DATE_FORMATS:
            try:
                return datetime.strptime(text[:19] if "T" in text else text, fmt).replace(tzinfo=LOCAL_TZ)
            except ValueError:
                continue
        raise invalid(
            "FIELD_DATETIME",
            self._path(name),
            f"字段 {self._path(name)} 应为日期时间 yyyy-MM-dd HH:mm:ss：{text!r}",
        )

    def day(self, name: str, *, required: bool = True) -> date | None:
        """A date `yyyy-MM-dd` (a date-time is cut to its day)."""
        moment = self.moment(name, required=required)
        return None if moment is None else moment.date()

    def node(self, name: str, *, required: bool = True) -> Fields:
        """A sub-node that must be an object."""
        value = self.data.get(name)
        if is_blank(value) and not required:
            return Fields({}, self._path(name))
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
            value = value[0]
        if not isinstance(value, dict):
            raise invalid("FIELD_NODE", self._path(name), f"节点 {self._path(name)} 为必填项，应为对象")
        return Fields(value, self._path(name))

    def rows(self, name: str, *, required: bool = True) -> list[Fields]:
        """A list node (a single object is taken as a list of one)."""
        value = self.data.get(name)
        if is_blank(value):
            if required:
                raise invalid("FIELD_NODE", self._path(name), f"节点 {self._path(name)} 为必填项，应为列表")
            return []
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise invalid("FIELD_NODE", self._path(name), f"节点 {self._path(name)} 应为对象列表")
        if len(value) > 5000:
            raise invalid("FIELD_NODE", self._path(name), f"节点 {self._path(name)} 一次最多5000行")
        return [Fields(v, f"{self._path(name)}[{i}]") for i, v in enumerate(value)]
