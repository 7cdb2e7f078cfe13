"""The shipped sample policies of 示范市 (examples/policy, the typical numbers of REQUIREMENTS.md §3)."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from yibao.domain.policy import Policy, parse_policy
from yibao.domain.settlement import CatalogFacts, FeeLine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policy"


def sample(name: str) -> dict[str, Any]:
    """A shipped sample policy of 示范市 (439901) as a document."""
    with (EXAMPLES / name).open("rb") as fh:
        return tomllib.load(fh)


EMPLOYEE = sample("439901-310-2024.toml")
RESIDENT = sample("439901-390-2024.toml")


def employee_policy() -> Policy:
    return parse_policy(EMPLOYEE)


def resident_policy() -> Policy:
    return parse_policy(RESIDENT)


A = CatalogFacts("01")  # 甲类
C = CatalogFacts("03")  # 丙类


def line(sn: str, yuan: int, item: CatalogFacts | None = A, quantity: str = "1") -> FeeLine:
    """A line of `yuan` yuan in total (price = total / quantity)."""
    amount = yuan * 100
    qty = Decimal(quantity)
    return FeeLine(sn=sn, amount=amount, price=Decimal(amount) / qty, quantity=qty, item=item)
