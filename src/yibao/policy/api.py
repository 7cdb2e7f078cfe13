"""REST API for benefit policy versions: HTTP in, a service call, HTTP out."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from yibao.core.schemas import ERROR_RESPONSES, PageOut
from yibao.domain.errors import invalid, pydantic_errors
from yibao.policy import service
from yibao.policy.schemas import DiffOut, PolicyDetailOut, PolicyLoadIn, PolicyLoadOut, PolicyOut
from yibao.web.deps import RecordId, UowDep

router = APIRouter(prefix="/api/v1/policies", tags=["待遇政策 policies"], responses=ERROR_RESPONSES)

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "TOML 政策文件"}
                    },
                    "required": ["file"],
                }
            },
            "application/json": {"schema": PolicyLoadIn.model_json_schema()},
        },
    }
}


@router.get("", response_model=PageOut[PolicyOut])
def list_policies(
    uow: UowDep,
    admdvs: str | None = None,
    insutype: str | None = None,
    on: date | None = None,
    q: str | None = None,
    page: int = 1,
    size: int = 20,
) -> object:
    return service.list_policies(uow=uow, admdvs=admdvs, insutype=insutype, on=on, q=q, page=page, size=size)


@router.post("", response_model=PolicyLoadOut, status_code=201, openapi_extra=_UPLOAD_BODY)
async def load_policy(request: Request, response: Response, uow: UowDep) -> object:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise invalid("REQUIRED", "file", "字段 file 请选择要载入的 TOML 政策文件")
        result = service.load_policy_file(uow=uow, data=await upload.read(), filename=upload.filename)
    else:
        try:
            body = PolicyLoadIn.model_validate_json(await request.body())
        except ValidationError as exc:
            raise pydantic_errors(list(exc.errors()), skip=("body",)) from exc
        result = service.load_policy(uow=uow, text=body.toml, filename=body.filename)
    if result.status == service.UNCHANGED:
        response.status_code = 200
    return result


@router.get("/schema")
def policy_schema() -> dict[str, Any]:
    return service.json_schema()


@router.get("/in-force", response_model=PolicyOut)
def in_force(uow: UowDep, admdvs: str, insutype: str, on: date) -> object:
    return service.policy_in_force(uow=uow, admdvs=admdvs, insutype=insutype, on=on)


@router.get("/{policy_id}", response_model=PolicyDetailOut)
def get_policy(policy_id: RecordId, uow: UowDep) -> object:
    row = service.get_policy(uow=uow, policy_id=policy_id)
    return PolicyDetailOut.model_validate(
        {
            **PolicyOut.model_validate(row).model_dump(),
            "document": service.document_of(row),
            "source": row.source,
        }
    )


@router.get("/{policy_id}/diff/{other_id}", response_model=DiffOut)
def diff(policy_id: RecordId, other_id: RecordId, uow: UowDep) -> object:
    changes = service.diff_policies(uow=uow, policy_id=policy_id, other_id=other_id)
    return {"from_id": policy_id, "to_id": other_id, "changes": [vars(c) for c in changes]}
