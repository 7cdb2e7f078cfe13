"""Every refusal answers with a stable code and a Chinese message naming the field; never a 500 page."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from yibao.domain.errors import BusinessError, ErrorKind, FieldError

log = logging.getLogger("yibao.web")

STATUS = {
    ErrorKind.INVALID: 422,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.UNAUTHENTICATED: 401,
}

_PYDANTIC_ZH = {
    "missing": "必填",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "float_parsing": "必须是数字",
    "decimal_parsing": "必须是数字",
    "bool_parsing": "必须是布尔值",
    "date_from_datetime_parsing": "日期格式应为 yyyy-MM-dd",
    "date_parsing": "日期格式应为 yyyy-MM-dd",
    "datetime_parsing": "时间格式应为 yyyy-MM-dd HH:mm:ss",
    "string_type": "必须是字符串",
    "string_too_long": "长度超出上限",
    "string_too_short": "长度不足",
    "list_type": "必须是列表",
    "dict_type": "必须是对象",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "greater_than": "必须大于下限",
    "greater_than_equal": "不能小于下限",
    "less_than_equal": "超出上限",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "格式错误",
    "extra_forbidden": "不允许的字段",
}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "header")]
    return ".".join(parts) or "body"


def validation_errors(errors: list[Any]) -> BusinessError:
    """Translate pydantic's errors into one business error listing every field."""
    fields: list[FieldError] = []
    for err in errors:
        name = _field_name(tuple(err.get("loc", ())))
        rule = _PYDANTIC_ZH.get(err.get("type", ""), "格式错误")
        ctx = err.get("ctx") or {}
        extra = ""
        if "max_length" in ctx:
            extra = f"（最多{ctx['max_length']}）"
        elif "min_length" in ctx:
            extra = f"（至少{ctx['min_length']}）"
        elif "expected" in ctx:
            extra = f"（可选：{ctx['expected']}）"
        elif "ge" in ctx or "gt" in ctx:
            extra = f"（下限 {ctx.get('ge', ctx.get('gt'))}）"
        fields.append(
            FieldError(name, f"FIELD_{err.get('type', 'invalid').upper()}", f"字段 {name} {rule}{extra}")
        )
    if not fields:
        fields.append(FieldError("body", "FIELD_INVALID", "请求格式错误"))
    first = fields[0]
    return BusinessError(code="VALIDATION", message=first.message, field=first.field, errors=fields)


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

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        body = BusinessError(
            code="INTERNAL", message="系统内部错误，已记录，请联系管理员", kind=ErrorKind.INVALID
        )
        return JSONResponse(status_code=500, content={"error": body.as_dict()})
