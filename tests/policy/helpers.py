"""Helpers for the benefit-policy tests: the sample files, loading them, changed copies."""

from __future__ import annotations

import re
from pathlib import Path

from tests.factories import add_region
from yibao.bootstrap import Container
from yibao.core.security import SYSTEM, Actor
from yibao.policy import service
from yibao.policy.service import LoadResult

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policy"
EMPLOYEES_2024 = "439901-310-2024.toml"
RESIDENTS_2024 = "439901-390-2024.toml"
RESIDENTS_2025 = "439901-390-2025.toml"
SAMPLES = (EMPLOYEES_2024, RESIDENTS_2024, RESIDENTS_2025)


def sample(name: str) -> str:
    """The text of a sample policy file."""
    return (EXAMPLES / name).read_text(encoding="utf-8")


def change(text: str, key: str, value: str) -> str:
    """The file with the first top-level-style line `key = …` given a new value (comments kept out)."""
    pattern = re.compile(rf"^{re.escape(key)} = .*$", re.MULTILINE)
    assert pattern.search(text), key
    return pattern.sub(f"{key} = {value}", text, count=1)


def load(container: Container, text: str, actor: Actor = SYSTEM, filename: str = "policy.toml") -> LoadResult:
    """Load a policy text as `actor` (the system actor unless told)."""
    with container.uow(actor) as uow:
        return service.load_policy(uow=uow, text=text, filename=filename)


def setup_region(container: Container) -> None:
    """Register the sample region 439901 and a second region 439902."""
    add_region(container, "439901", "示范市")
    add_region(container, "439902", "邻市")


def count_versions(container: Container) -> int:
    """How many policy versions are stored."""
    with container.uow(SYSTEM) as uow:
        return service.list_policies(uow=uow, page=1, size=1).total
