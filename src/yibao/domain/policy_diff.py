"""Policy documents in file units and the difference between two versions (版本对比).

A stored policy document is the parsed model dumped as JSON: amounts in integer fen, ratios as
decimal strings. The "file form" shows amounts in yuan again ("150000.00"), so a stored document
reads like the TOML it came from and can be parsed back by `parse_policy`. Which keys hold amounts,
ratios or ratio points is read from the policy model itself, never listed by hand.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from yibao.domain.money import fen_to_yuan
from yibao.domain.policy import Points, Policy, Ratio, Yuan

YUAN, RATIO, POINTS = "yuan", "ratio", "points"
_KINDS = {id(get_args(Yuan)[1]): YUAN, id(get_args(Ratio)[1]): RATIO, id(get_args(Points)[1]): POINTS}


def _kind_of(annotation: Any, metadata: list[Any]) -> str | None:
    """The unit a type annotation stands for (yuan, ratio, points) or None."""
    marks = list(metadata)
    if get_origin(annotation) is Annotated:
        marks += list(get_args(annotation)[1:])
    for mark in marks:
        kind = _KINDS.get(id(mark))
        if kind is not None:
            return kind
    return None


def _walk(value: Any, annotation: Any, metadata: list[Any], path: str) -> Iterator[tuple[str, str, Any]]:
    """Every (path, unit, value) leaf of a document whose unit is an amount or a ratio."""
    kind = _kind_of(annotation, metadata)
    if kind is not None:
        if value is not None:
            yield path, kind, value
        return
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Union or origin is types.UnionType:
        if value is not None:
            inner = [a for a in args if a is not type(None)]
            yield from _walk(value, inner[0], [], path)
        return
    if origin is list and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, args[0], [], f"{path}.{index}")
        return
    if origin is dict and isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, args[1], [], f"{path}.{key}")
        return
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(value, dict):
        for name, info in annotation.model_fields.items():
            if name in value:
                yield from _walk(value[name], info.annotation, list(info.metadata), _join(path, name))


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def units(document: dict[str, Any]) -> dict[str, str]:
    """The unit (yuan / ratio / points) of every amount or ratio key path of a document."""
    return {path: kind for path, kind, _ in _walk(document, Policy, [], "")}


def _replace(document: Any, path: list[str], change: Callable[[Any], Any]) -> None:
    node = document
    for key in path[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = path[-1]
    if isinstance(node, list):
        node[int(last)] = change(node[int(last)])
    else:
        node[last] = change(node[last])


def file_form(document: dict[str, Any]) -> dict[str, Any]:
    """A stored document (fen) with every amount as a yuan string again, as written in the file."""
    import copy

    result = copy.deepcopy(document)
    for path, kind, value in list(_walk(result, Policy, [], "")):
        if kind == YUAN and isinstance(value, int) and not isinstance(value, bool):
            _replace(result, path.split("."), lambda fen: fen_to_yuan(int(fen)))
    return result


def flatten(document: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of a document by key path; lists of tables by index, lists of values whole."""
    leaves: dict[str, Any] = {}
    if isinstance(document, dict):
        for key, value in document.items():
            leaves.update(flatten(value, _join(prefix, str(key))))
    elif isinstance(document, list) and any(isinstance(item, dict) for item in document):
        for index, item in enumerate(document):
            leaves.update(flatten(item, _join(prefix, str(index))))
    else:
        leaves[prefix] = document
    return leaves


@dataclass(frozen=True)
class Change:
    """One key that differs between two versions (None: the key is absent on that side)."""

    path: str
    old: Any
    new: Any


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The keys whose values differ between two documents, in document order."""
    before, after = flatten(old), flatten(new)
    paths = list(before) + [p for p in after if p not in before]
    return [
        Change(path, before.get(path), after.get(path))
        for path in paths
        if before.get(path) != after.get(path)
    ]


def format_value(kind: str | None, value: Any) -> str:
    """A value as the console shows it: yuan with 元, ratios as percentages, points with a sign."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(format_value(kind, item) for item in value) if value else "（空）"
    if kind in (RATIO, POINTS):
        try:
            percent = (Decimal(str(value)) * 100).normalize()
        except InvalidOperation:
            return str(value)
        text = f"{percent:f}%"
        return f"+{text}" if kind == POINTS and percent > 0 else text
    if kind == YUAN:
        return f"{value} 元"
    return str(value)


def unit_of(kinds: dict[str, str], path: str) -> str | None:
    """The unit of a flattened key path (a whole list of ratios takes its items' unit)."""
    return kinds.get(path) or kinds.get(f"{path}.0")


def typed_leaves(document: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Every (key path, unit, value) of a document's amounts and ratios, as written."""
    return list(_walk(document, Policy, [], ""))
