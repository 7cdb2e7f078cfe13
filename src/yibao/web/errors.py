"""Every refusal answers with a stable code and a Chinese message naming the field; never a 500 page."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from yibao.domain.errors import BusinessError, ErrorKind, pydantic_errors

log = logging.getLogger("yibao.web")

STATUS = {
    ErrorKind.INVALID: 422,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.UNAUTHENTICATED: 401,
}


def validation_errors(errors: list[Any]) -> BusinessError:
    """Translate pydantic's errors into one business error listing every field."""
    return pydantic_errors(errors, skip=("body", "query", "path", "form", "header"))


def error_response(error: BusinessError) -> JSONResponse:
    """The JSON body and status for a refused request."""
    return JSONResponse(status_code=STATUS[error.kind], content={"error": error.as_dict()})


def install_error_handlers(app: FastAPI) -> None:
    """Map business, validation, HTTP and unexpected errors to the one error shape."""

    @app.exception_handler(BusinessError)
    async def _business(request: Request, exc: BusinessError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return error_response(validation_errors(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "资源不存在", 405: "不支持的请求方法", 401: "请先登录", 403: "无权访问"}
        kind = {404: ErrorKind.NOT_FOUND, 401: ErrorKind.UNAUTHENTICATED, 403: ErrorKind.FORBIDDEN}.get(
            exc.status_code, ErrorKind.INVALID
        )
        body = BusinessError(
            code=f"HTTP_{exc.status_code}", message=messages.get(exc.status_code, str(exc.detail)), kind=kind
        )
        return JSONResponse(
            status_code=exc.status_code,
            content={"error": body.as_dict()},
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        body = BusinessError(
            code="INPUT_UNSTORABLE",
            message="请求中含有不能保存的字符（如 NUL）或超出范围的数值",
            kind=ErrorKind.INVALID,
        )
        return error_response(body)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        body = BusinessError(code="NUMBER_RANGE", message="请求中的数值超出允许范围", kind=ErrorKind.INVALID)
        return error_response(body)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        body = BusinessError(
            code="INTERNAL", message="系统内部错误，已记录，请联系管理员", kind=ErrorKind.INVALID
        )
        return JSONResponse(status_code=500, content={"error": body.as_dict()})
