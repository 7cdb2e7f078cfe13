"""Gateway checks (网关校验): the HmacSHA1 signature over the `_api_*` headers, the timestamp window,
and the sealing of stored secrets.

The string signed is the headers `_api_access_key`, `_api_name`, `_api_timestamp`, `_api_version`
(every `_api_*` header except `_api_signature`), sorted by name, written `name=value` and joined with
`&`, e.g. `_api_access_key=AK&_api_name=hssServives&_api_timestamp=1700000000000&_api_version=1.0.0`;
the signature is Base64(HmacSHA1(secret, that string)) with both encoded in UTF-8.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

SIGNED_HEADERS = ("_api_access_key", "_api_name", "_api_timestamp", "_api_version")
SIGNATURE_HEADER = "_api_signature"
WINDOW_MS = 30 * 60 * 1000  # ±30 minutes


@dataclass(frozen=True)
class GatewayError(Exception):
    """A refusal by the gateway, before any business code runs (stable code, Chinese message)."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def string_to_sign(headers: Mapping[str, str]) -> str:
    """The sorted `name=value` pairs of the signed headers joined with `&`."""
    return "&".join(f"{name}={headers.get(name, '')}" for name in sorted(SIGNED_HEADERS))


def sign(secret: str, headers: Mapping[str, str]) -> str:
    """Base64(HmacSHA1(secret, string_to_sign(headers)))."""
    digest = hmac.new(secret.encode(), string_to_sign(headers).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_headers(*, access_key: str, secret: str, now_ms: int, name: str = "hssServives") -> dict[str, str]:
    """The five gateway headers of a request signed with `secret` (used by clients and tests)."""
    headers = {
        "_api_name": name,
        "_api_version": "1.0.0",
        "_api_timestamp": str(now_ms),
        "_api_access_key": access_key,
    }
    headers[SIGNATURE_HEADER] = sign(secret, headers)
    return headers


def gateway_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The `_api_*` headers, whatever case the client used, as text."""
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith("_api_")}


def check_present(headers: Mapping[str, str]) -> None:
    """Refuse a request missing one of the gateway headers."""
    for name in (*SIGNED_HEADERS, SIGNATURE_HEADER):
        if not (headers.get(name) or "").strip():
            raise GatewayError("GATEWAY_HEADER_MISSING", f"网关请求头 {name} 缺失或为空")


def check_timestamp(headers: Mapping[str, str], now_ms: int) -> None:
    """Refuse a timestamp that is not milliseconds within ±30 minutes of the server's clock."""
    raw = headers.get("_api_timestamp", "").strip()
    if not raw.isdigit() or len(raw) > 15:
        raise GatewayError("GATEWAY_TIMESTAMP", f"网关请求头 _api_timestamp 必须是毫秒时间戳：{raw[:20]!r}")
    if abs(int(raw) - now_ms) > WINDOW_MS:
        raise GatewayError("GATEWAY_TIMESTAMP", "网关请求头 _api_timestamp 与服务器时间相差超过30分钟")


def check_signature(headers: Mapping[str, str], secret: str) -> None:
    """Refuse a signature that is not the HmacSHA1 of the signed string with the institution's secret."""
    expected = sign(secret, headers)
    if not hmac.compare_digest(expected.encode(), headers.get(SIGNATURE_HEADER, "").strip().encode()):
        raise GatewayError("GATEWAY_SIGNATURE", "网关请求头 _api_signature 签名校验失败")


# ---------------------------------------------------------------------------------------------
# Sealing of stored secrets: HMAC-SHA256 in counter mode as the key stream, then HMAC-SHA256 over
# nonce and cipher text (encrypt-then-MAC); both keys derived from the deployment's secret_key.


def _keys(master: str) -> tuple[bytes, bytes]:
    root = hashlib.sha256(("yibao-interface-secret|" + master).encode()).digest()
    return hmac.new(root, b"enc", hashlib.sha256).digest(), hmac.new(root, b"mac", hashlib.sha256).digest()


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        counter += 1
    return out[:length]


def seal(secret: str, master: str) -> str:
    """The secret encrypted and authenticated under `master` (text: base64 of nonce|cipher|tag)."""
    enc, mac = _keys(master)
    nonce = secrets.token_bytes(16)
    plain = secret.encode()
    cipher = bytes(a ^ b for a, b in zip(plain, _stream(enc, nonce, len(plain)), strict=True))
    tag = hmac.new(mac, nonce + cipher, hashlib.sha256).digest()
    return base64.b64encode(nonce + cipher + tag).decode("ascii")


def unseal(sealed: str, master: str) -> str:
    """The secret back; refuse a sealed value changed or sealed under another key."""
    enc, mac = _keys(master)
    raw = base64.b64decode(sealed.encode("ascii"))
    nonce, cipher, tag = raw[:16], raw[16:-32], raw[-32:]
    if not hmac.compare_digest(tag, hmac.new(mac, nonce + cipher, hashlib.sha256).digest()):
        raise GatewayError("GATEWAY_SECRET_SEAL", "接入密钥无法解封（部署密钥已更换或数据被篡改）")
    return bytes(a ^ b for a, b in zip(cipher, _stream(enc, nonce, len(cipher)), strict=True)).decode()


def new_access_key() -> str:
    """A fresh public access key."""
    return "AK" + secrets.token_hex(15)


def new_secret() -> str:
    """A fresh secret (shown once at creation)."""
    return secrets.token_urlsafe(30)
