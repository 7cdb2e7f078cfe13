"""The gateway's keys from memory: an active credential's institution, region and secret in clear.

Every call of the national interface is signed with its institution's secret; reading the credential
and unsealing the secret on every call cost a transaction and a decryption. A key is read and
unsealed once, on its first call, and kept per database engine (`yibao.core.cache.EngineCache`). A
credential created or revoked in this process drops the kept keys at once (`KEYS.invalidate()`); one
revoked by another process (the CLI next to a running server) is refused within
`KEYS.recheck_seconds` (at most that often one statement compares the credentials' count, newest id
and newest revocation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.core.cache import EngineCache
from yibao.interface.models import Credential


@dataclass(frozen=True)
class GatewayKey:
    """An active credential (接入密钥) as the gateway checks a call with it."""

    access_key: str
    fixmedins_code: str
    admdvs: str
    secret: str  # in clear: the HmacSHA1 key of the institution's signatures


def _generation(session: Session) -> tuple[int, int, datetime | None]:
    """Count, newest id and newest revocation: a creation or a revocation changes one of them."""
    row = session.execute(
        select(func.count(Credential.id), func.max(Credential.id), func.max(Credential.revoked_at))
    ).one()
    return int(row[0] or 0), int(row[1] or 0), row[2]


def _build(_session: Session) -> dict[str, GatewayKey]:
    return {}  # filled key by key, on each key's first call


KEYS: EngineCache[dict[str, GatewayKey]] = EngineCache(generation=_generation, build=_build)
