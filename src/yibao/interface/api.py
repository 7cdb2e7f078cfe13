"""The national interface endpoint and the REST administration of credentials and the message log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from yibao.core.db import utcnow
from yibao.core.schemas import ERROR_RESPONSES, PageOut
from yibao.interface import service
from yibao.interface.nhsa import files
from yibao.interface.schemas import (
    CommonInput,
    CommonOutput,
    CredentialIn,
    CredentialOut,
    MessageDetailOut,
    MessageOut,
    NewCredentialOut,
    ReconciliationOut,
)
from yibao.web.deps import ContainerDep, UowDep

router = APIRouter(tags=["国家医保接口 interface"])

ENDPOINT = "/fsi/api/rsfComIfsService/callService"


@router.post(
    ENDPOINT,
    response_model=CommonOutput,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CommonInput.model_json_schema()}},
        }
    },
    summary="定点医药机构接口 (公共输入 → 公共输出)",
)
async def call_service(request: Request, container: ContainerDep) -> Response:
    body = await request.body()
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        body = await _multipart(request, body)
    text = await run_in_threadpool(
        service.call_service,
        new_uow=container.uow,
        secret_key=container.settings.secret_key,
        headers=dict(request.headers),
        body=body,
        now=utcnow(),
    )
    if isinstance(text, bytes):
        return Response(text, media_type="application/zip")
    return Response(text, media_type="application/json; charset=utf-8")


async def _multipart(request: Request, raw: bytes) -> bytes:
    """9101 as multipart/form-data: the envelope in the part "data" (JSON text), the ZIP in "file"."""
    try:
        form = await request.form()
    except Exception:  # an unreadable form is refused as an envelope format error by the service
        return raw
    envelope, upload = form.get("data"), form.get("file")
    if not isinstance(envelope, str):
        return b""
    content = await upload.read() if upload is not None and not isinstance(upload, str) else b""
    return files.multipart_body(envelope, content)


@router.post(
    "/api/v1/interface/credentials",
    response_model=NewCredentialOut,
    status_code=201,
    responses=ERROR_RESPONSES,
)
def create_credential(body: CredentialIn, uow: UowDep, container: ContainerDep) -> object:
    created = service.create_credential(
        uow=uow, fixmedins_code=body.fixmedins_code, secret_key=container.settings.secret_key
    )
    out = CredentialOut.model_validate(created.credential).model_dump()
    return NewCredentialOut(**out, secret=created.secret)


@router.get("/api/v1/interface/credentials", response_model=PageOut[CredentialOut], responses=ERROR_RESPONSES)
def list_credentials(uow: UowDep, q: str | None = None, page: int = 1, size: int = 20) -> object:
    return service.list_credentials(uow=uow, q=q, page=page, size=size)


@router.post(
    "/api/v1/interface/credentials/{access_key}/revoke",
    response_model=CredentialOut,
    responses=ERROR_RESPONSES,
)
def revoke_credential(access_key: str, uow: UowDep) -> object:
    return service.revoke_credential(uow=uow, access_key=access_key)


@router.get("/api/v1/interface/messages", response_model=PageOut[MessageOut], responses=ERROR_RESPONSES)
def list_messages(
    uow: UowDep,
    q: str | None = None,
    infno: str | None = None,
    fixmedins_code: str | None = None,
    page: int = 1,
    size: int = 20,
) -> object:
    return service.list_messages(
        uow=uow, q=q, infno=infno, fixmedins_code=fixmedins_code, page=page, size=size
    )


@router.get("/api/v1/interface/messages/{msgid}", response_model=MessageDetailOut, responses=ERROR_RESPONSES)
def get_message(msgid: str, uow: UowDep) -> object:
    return service.get_message(uow=uow, msgid=msgid)


@router.get(
    "/api/v1/interface/reconciliations", response_model=PageOut[ReconciliationOut], responses=ERROR_RESPONSES
)
def list_reconciliations(
    uow: UowDep, fixmedins_code: str | None = None, page: int = 1, size: int = 20
) -> object:
    return service.list_reconciliations(uow=uow, fixmedins_code=fixmedins_code, page=page, size=size)
