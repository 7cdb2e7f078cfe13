"""JSON text of answers: money and prices as JSON numbers with their exact decimals (12.30, never 12.3
through a float); parsing reads numbers with decimals as Decimal.

Writing goes through orjson (C): a Decimal is handed back as a raw JSON fragment written exactly as
held, dates and times as their text (``str``), as the Python writer below does. A value orjson cannot
write (an integer beyond 64 bits, a key that is not a string or a number) falls back to the Python
writer, which gives the same text.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("a non-finite Decimal is not JSON")
        return orjson.Fragment(format(value, "f"))
    return str(value)


def dumps(value: Any) -> str:
    """JSON text where Decimal values are written as numbers exactly as held."""
    try:
        return orjson.dumps(value, default=_default, option=_OPTIONS).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError: an int beyond 64 bits and the like
        return python_dumps(value)


def python_dumps(value: Any) -> str:
    """The same JSON text written in Python (the reference for `dumps`)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(
                f"{json.dumps(str(k), ensure_ascii=False)}:{python_dumps(v)}" for k, v in value.items()
            )
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ",".join(python_dumps(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed")


def loads(text: str | bytes) -> Any:
    """Parse JSON with decimals as Decimal; NaN and Infinity are refused."""
    return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
