"""Local time of the pooling regions: naive times from clients are Beijing time (UTC+8)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def as_aware(value: datetime) -> datetime:
    """A timezone-aware time: naive values are read as Beijing time."""
    return value if value.tzinfo is not None else value.replace(tzinfo=LOCAL_TZ)


def local_text(value: datetime | None) -> str:
    """`yyyy-MM-dd HH:mm:ss` in Beijing time (empty for None)."""
    return "" if value is None else value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


def local_day(value: datetime) -> date:
    """The calendar day of a moment in the region (Beijing time): what decides the policy year, the
    catalog version and the ledger year of a visit or fee line (naive values are Beijing time)."""
    return as_aware(value).astimezone(LOCAL_TZ).date()
