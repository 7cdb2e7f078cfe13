"""Merge the second wave of business areas (monitoring, payment, review, assessment, institutions
admission, supervision, interface files) into one head; later migrations chain from here.

Revision ID: 0018
Revises: 0010, 0011, 0012b, 0013b, 0014, 0015
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0018"
down_revision: str | Sequence[str] | None = ("0010", "0011", "0012b", "0013b", "0014", "0015")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the merge only joins the branches."""


def downgrade() -> None:
    """Nothing to change: the merge only joins the branches."""
