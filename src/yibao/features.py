"""Discovery of the business areas' entry-point modules (api, console, cli) by their shared shape."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import yibao

_NOT_FEATURES = {"domain", "core", "web", "console", "migrations"}


def feature_names() -> list[str]:
    """The business-area packages of yibao, in name order."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(yibao.__path__)
        if info.ispkg and info.name not in _NOT_FEATURES
    )


def entry_modules(kind: str) -> list[ModuleType]:
    """Every business area's `<kind>` module (api, console or cli) that exists."""
    modules: list[ModuleType] = []
    for name in feature_names():
        try:
            modules.append(importlib.import_module(f"yibao.{name}.{kind}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"yibao.{name}.{kind}":
                raise
    return modules
