"""Use cases of the national interface (定点医药机构接口): credentials, serving a call, the message log.

A call is checked by the gateway (headers, timestamp, HmacSHA1 signature with the institution's
secret), then the envelope (common input), then served by the transaction's handler acting as the
institution's operator (Role.INSTITUTION, its code, its region). The whole call is one database
transaction: the gateway's reads, the business work and the message row answered with infcode 0,
stored under its msgid, commit together; a repeat of that msgid gets the stored answer back. A
refused call stores nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yibao.core.db import utcnow
from yibao.core.paging import Page
from yibao.core.security import Actor, Perm, Role
from yibao.core.uow import UnitOfWork
from yibao.core.validation import require_text
from yibao.domain.errors import BusinessError, conflict, invalid, not_found
from yibao.interface.lookup import KEYS, GatewayKey
from yibao.interface.models import Credential, Message, Reconciliation
from yibao.interface.nhsa import gateway
from yibao.interface.nhsa.envelope import Call, Envelope, Result, answer, parse_envelope
from yibao.interface.nhsa.jsontext import dumps, loads
from yibao.interface.nhsa.registry import HANDLERS, NO_SIGN_IN, NOT_ENABLED
from yibao.interface.repository import InterfaceRepository, StoredAnswer

log = logging.getLogger("yibao.interface")

MAX_BODY = 2_000_000  # bytes


@dataclass(frozen=True)
class NewCredential:
    """A credential just created, with its secret in clear (shown once)."""

    credential: Credential
    secret: str


# ---------------------------------------------------------------------------------------------
# Credentials (接入密钥)


def create_credential(*, uow: UnitOfWork, fixmedins_code: str, secret_key: str) -> NewCredential:
    """Issue an access key and secret to a designated institution; the secret is stored sealed."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    code = require_text(fixmedins_code, field="fixmedins_code", max_len=32, label="定点医药机构编号")
    repo = InterfaceRepository(uow.session)
    institution = repo.institution(code)
    if institution is None or not uow.actor.sees_region(institution.admdvs):
        raise not_found(
            "INSTITUTION_NOT_FOUND", f"字段 fixmedins_code：定点医药机构 {code} 不存在", "fixmedins_code"
        )
    secret = gateway.new_secret()
    row = Credential(
        access_key=gateway.new_access_key(),
        fixmedins_code=code,
        admdvs=institution.admdvs,
        sealed_secret=gateway.seal(secret, secret_key),
        active=True,
        created_at=utcnow(),
        created_by=uow.actor.username,
        revoked_at=None,
    )
    repo.add(row)
    uow.flush()
    uow.audit(
        action="credential.create",
        entity="credential",
        entity_id=row.access_key,
        admdvs=row.admdvs,
        after={"fixmedins_code": code, "access_key": row.access_key},
    )
    uow.commit()
    return NewCredential(row, secret)


def revoke_credential(*, uow: UnitOfWork, access_key: str) -> Credential:
    """Revoke a credential: calls signed with it are refused from now on."""
    uow.actor.require(Perm.INSTITUTION_WRITE)
    repo = InterfaceRepository(uow.session)
    row = repo.credential((access_key or "").strip())
    if row is None or not uow.actor.sees_region(row.admdvs):
        raise not_found(
            "CREDENTIAL_NOT_FOUND", f"字段 access_key：接入密钥 {access_key} 不存在", "access_key"
        )
    if not row.active:
        raise conflict("CREDENTIAL_REVOKED", f"字段 access_key：接入密钥 {access_key} 已停用", "access_key")
    row.active = False
    row.revoked_at = utcnow()
    uow.audit(action="credential.revoke", entity="credential", entity_id=row.access_key, admdvs=row.admdvs)
    uow.commit()
    KEYS.invalidate()  # refused from the next call on
    return row


def list_credentials(
    *, uow: UnitOfWork, q: str | None = None, page: int = 1, size: int = 20
) -> Page[Credential]:
    """Credentials of institutions in the actor's regions (secrets are never shown)."""
    uow.actor.require(Perm.INSTITUTION_READ)
    return InterfaceRepository(uow.session).search_credentials(
        regions=uow.actor.region_filter(), q=q, page=page, size=size
    )


# ---------------------------------------------------------------------------------------------
# Message log and reconciliations


def list_messages(
    *,
    uow: UnitOfWork,
    q: str | None = None,
    infno: str | None = None,
    fixmedins_code: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[Message]:
    """Answered messages in the actor's regions, newest first; q searches msgid, psn_no, mdtrt_id, setl_id."""
    uow.actor.require(Perm.INSTITUTION_READ)
    return InterfaceRepository(uow.session).search_messages(
        regions=uow.actor.region_filter(),
        q=q,
        infno=infno,
        fixmedins_code=fixmedins_code,
        page=page,
        size=size,
    )


def get_message(*, uow: UnitOfWork, msgid: str) -> Message:
    """One answered message with its request and first answer."""
    uow.actor.require(Perm.INSTITUTION_READ)
    row = InterfaceRepository(uow.session).message((msgid or "").strip())
    if row is None or not uow.actor.sees_region(row.admdvs):
        raise not_found("MESSAGE_NOT_FOUND", f"字段 msgid：报文 {msgid} 不存在", "msgid")
    return row


def list_reconciliations(
    *, uow: UnitOfWork, fixmedins_code: str | None = None, page: int = 1, size: int = 20
) -> Page[Reconciliation]:
    """Reconciliation results (对账结果) in the actor's regions, newest first."""
    uow.actor.require(Perm.INSTITUTION_READ)
    return InterfaceRepository(uow.session).search_reconciliations(
        regions=uow.actor.region_filter(), fixmedins_code=fixmedins_code, page=page, size=size
    )


# ---------------------------------------------------------------------------------------------
# Serving a call


def operator_actor(credential: GatewayKey, envelope: Envelope) -> Actor:
    """The institution's operator identity: Role.INSTITUTION, its code, its region and, for a patient
    insured elsewhere (异地就医), the place of insurance named by insuplc_admdvs."""
    name = envelope.opter or "his"
    return Actor(
        user_id=None,
        username=f"{credential.fixmedins_code}:{name}"[:64],
        roles=frozenset({Role.INSTITUTION}),
        regions=frozenset({credential.admdvs, remote_region(envelope) or credential.admdvs}),
        institution_code=credential.fixmedins_code,
    )


def remote_region(envelope: Envelope) -> str | None:
    """The place of insurance (参保地 insuplc_admdvs) when given; six digits, else refused."""
    place = envelope.insuplc_admdvs
    if place is None:
        return None
    if not (len(place) == 6 and place.isdigit()):
        raise invalid(
            "FIELD_FORMAT", "insuplc_admdvs", f"字段 insuplc_admdvs 参保地医保区划应为6位数字：{place!r}"
        )
    return place


def _err(error: BusinessError) -> str:
    return f"[{error.code}] {error.message}"


def call_service(
    *,
    new_uow: Callable[[Actor], UnitOfWork],
    secret_key: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
) -> str | bytes:
    """Serve one call of the national interface and answer the common output as JSON text (a 9102
    download answers the ZIP itself as bytes)."""
    try:
        return _serve(new_uow, secret_key, headers, body, now)
    except gateway.GatewayError as exc:
        return dumps(answer(infcode=-1, now=now, err_msg=f"[{exc.code}] {exc.message}"))
    except BusinessError as exc:
        return dumps(answer(infcode=-1, now=now, err_msg=_err(exc)))
    except Exception:  # never a 500: the client gets a refusal it can log
        log.exception("interface call failed")
        return dumps(
            answer(infcode=-1, now=now, err_msg="[SYSTEM_ERROR] 系统内部错误，请稍后以新的报文ID重试")
        )


class _CallTransaction:
    """The one database transaction of a call: the gateway's reads, the business work and the message
    row, committed together at the end of the call."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.committed = False  # a unit of work of the call committed: kept until the call commits
        self.lost = False  # a unit of work rolled back after such a commit: the call must not answer 0


class CallUnitOfWork(UnitOfWork):
    """A unit of work of a call, on the call's one transaction.

    `commit()` writes what the service did (audit rows included) without ending the transaction: it
    becomes durable when the call commits, together with the message row that answers it; a refusal
    later in the same call drops it (nothing stored). A rollback after such a commit would drop work
    the service believes kept: the call then answers SYSTEM_ERROR and stores nothing.
    """

    def __init__(self, tx: _CallTransaction, actor: Actor) -> None:
        super().__init__(lambda: tx.session, actor)
        self._tx = tx
        self._session = tx.session

    def __enter__(self) -> CallUnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        return None  # the call's transaction stays open for the next step and the message row

    def commit(self) -> None:
        self.flush()
        self._tx.committed = True

    def rollback(self) -> None:
        if self._tx.committed:
            self._tx.lost = True
        self.session.rollback()


_GATEWAY = Actor(user_id=None, username="gateway", roles=frozenset(), all_regions=True)


def _authenticate(session: Session, secret_key: str, found: dict[str, str], now: datetime) -> GatewayKey:
    """The key the call is signed with, checked (timestamp, active key, signature); headers present."""
    gateway.check_timestamp(found, int(now.timestamp() * 1000))
    access_key = found["_api_access_key"].strip()
    keys = KEYS.get(session)
    key = keys.get(access_key)
    if key is None:
        credential = InterfaceRepository(session).credential(access_key)
        if credential is None or not credential.active:
            raise gateway.GatewayError("GATEWAY_ACCESS_KEY", "网关请求头 _api_access_key 无效或已停用")
        key = GatewayKey(
            access_key=access_key,
            fixmedins_code=credential.fixmedins_code,
            admdvs=credential.admdvs,
            secret=gateway.unseal(credential.sealed_secret, secret_key),
        )
        keys[access_key] = key  # only active keys are kept; a revocation drops them all
    gateway.check_signature(found, key.secret)
    return key


def _serve(
    new_uow: Callable[[Actor], UnitOfWork],
    secret_key: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
) -> str | bytes:
    """One transaction for the whole call: the key (from memory after its first call), the msgid and
    the sign-in (one statement), the transaction's work, the message row, one commit. A refusal at any
    point rolls all of it back."""
    found = gateway.gateway_headers(headers)
    gateway.check_present(found)
    with new_uow(_GATEWAY) as base:
        session = base.session
        credential = _authenticate(session, secret_key, found, now)
        if len(body) > MAX_BODY:
            raise invalid("ENVELOPE_SIZE", "body", f"报文体超过 {MAX_BODY} 字节")
        try:
            parsed = loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise invalid("ENVELOPE_FORMAT", "body", "报文体不是有效的JSON（公共输入）") from exc
        envelope = parse_envelope(parsed)
        if envelope.fixmedins_code != credential.fixmedins_code:
            raise BusinessError(
                code="AUTH_INSTITUTION",
                message=f"字段 fixmedins_code：{envelope.fixmedins_code} 与接入密钥所属机构 "
                f"{credential.fixmedins_code} 不符，机构只能办理本机构业务",
                field="fixmedins_code",
            )
        repo = InterfaceRepository(session)
        needs_sign_in = envelope.infno not in NO_SIGN_IN
        reads = repo.gateway_reads(envelope.msgid, (envelope.sign_no or None) if needs_sign_in else None)
        if reads.earlier is not None:
            return _repeat(reads.earlier, envelope, credential)
        if envelope.infno in NOT_ENABLED:
            raise BusinessError(
                code="INFNO_NOT_ENABLED",
                message=f"交易 {envelope.infno}（{NOT_ENABLED[envelope.infno]}）未开通："
                "智能监控规则审核尚未启用",
                field="infno",
            )
        handler = HANDLERS.get(envelope.infno)
        if handler is None:
            raise BusinessError(
                code="INFNO_UNKNOWN", message=f"交易不存在或未开通：{envelope.infno}", field="infno"
            )
        signed = reads.signed
        if needs_sign_in and (
            signed is None or signed.fixmedins_code != credential.fixmedins_code or signed.signed_out
        ):
            raise invalid("SIGN_NO_INVALID", "sign_no", "字段 sign_no 签到编号无效或已签退，请先调用9001签到")
        tx = _CallTransaction(session)
        call = Call(
            new_uow=lambda actor: CallUnitOfWork(tx, actor),
            actor=operator_actor(credential, envelope),
            envelope=envelope,
            fixmedins_code=credential.fixmedins_code,
            admdvs=credential.admdvs,
            now=now,
        )
        try:
            result = handler(call)
            if tx.lost:
                raise RuntimeError(f"{envelope.infno}: a unit of work rolled back after its commit")
        except BusinessError:
            session.rollback()  # nothing of the refused call stays
            twin = _first_answer(repo, envelope, credential)
            if twin is None:
                raise
            return twin  # a concurrent repeat of this msgid was served first: its answer is the answer
        if result.file is not None:
            if tx.committed:
                session.commit()
            return result.file[1]  # a download is read-only: not logged, a repeat fetches it again
        text = dumps(
            answer(
                infcode=0, now=now, admdvs=credential.admdvs, output=result.output, warn_msg=result.warn_msg
            )
        )
        return _remember(repo, envelope, credential, result, text, now)


def _repeat(earlier: StoredAnswer, envelope: Envelope, credential: GatewayKey) -> str:
    """The first answer of a msgid this institution already sent for this transaction."""
    if earlier.fixmedins_code != credential.fixmedins_code or earlier.infno != envelope.infno:
        raise conflict("MSGID_REUSED", f"字段 msgid：报文ID {envelope.msgid} 已用于其他交易", "msgid")
    return earlier.response


def _first_answer(repo: InterfaceRepository, envelope: Envelope, credential: GatewayKey) -> str | None:
    """The stored answer of this msgid if a twin request (same institution and infno) stored one."""
    earlier = repo.gateway_reads(envelope.msgid, None).earlier
    if earlier is None:
        return None
    if earlier.fixmedins_code != credential.fixmedins_code or earlier.infno != envelope.infno:
        return None
    return earlier.response


def _remember(
    repo: InterfaceRepository,
    envelope: Envelope,
    credential: GatewayKey,
    result: Result,
    text: str,
    now: datetime,
) -> str:
    """Store the first answer under the msgid in the call's transaction and commit the call; if a
    concurrent twin stored one first, this call's work is rolled back and the twin's answer is the
    answer (another institution's or transaction's use of the msgid is refused)."""
    session = repo.session
    try:
        repo.add_message(
            {
                "msgid": envelope.msgid,
                "infno": envelope.infno,
                "fixmedins_code": credential.fixmedins_code,
                "admdvs": credential.admdvs,
                "opter": envelope.opter,
                "psn_no": result.psn_no,
                "mdtrt_id": result.mdtrt_id,
                "setl_id": result.setl_id,
                "request": dumps(_loggable(envelope.raw)),
                "response": text,
                "reversed_by": None,
                "received_at": now,
            }
        )  # and the call's commit
    except IntegrityError:
        session.rollback()
        earlier = repo.gateway_reads(envelope.msgid, None).earlier
        if earlier is None:
            raise
        return _repeat(earlier, envelope, credential)
    return text


def _loggable(body: dict[str, Any]) -> dict[str, Any]:
    """The request as logged: the envelope without the device security fields."""
    return {k: v for k, v in body.items() if k not in ("dev_safe_info", "cainfo")}


def answer_of(text: str) -> dict[str, Any]:
    """The stored answer parsed (for pages and tests)."""
    value = loads(text)
    assert isinstance(value, dict)
    return value


def request_of(row: Message) -> dict[str, Any]:
    """The stored request parsed."""
    value = json.loads(row.request)
    assert isinstance(value, dict)
    return value
