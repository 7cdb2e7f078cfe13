"""Console navigation entries; each business area's console module declares its own."""

from __future__ import annotations

from dataclasses import dataclass

from yibao.core.security import Perm


@dataclass(frozen=True)
class NavItem:
    """A top-bar link shown to actors holding `perm` (or everyone when None)."""

    url: str
    zh: str
    en: str
    perm: Perm | None = None
    order: int = 100
