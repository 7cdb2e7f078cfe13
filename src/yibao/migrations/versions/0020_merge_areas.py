"""Merge the third wave (interface procedures and visit flags, the relation index by person number,
supervision bans) into one head; later migrations chain from here.

Revision ID: 0020
Revises: 0019i, 0019s, 0019v
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0020"
down_revision: str | Sequence[str] | None = ("0019i", "0019s", "0019v")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the merge only joins the branches."""


def downgrade() -> None:
    """Nothing to change: the merge only joins the branches."""
