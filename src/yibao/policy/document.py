"""Reading a policy file (TOML) into a checked policy: floats refused, every broken key named."""

from __future__ import annotations

import hashlib
import json
import tomllib
from typing import Any

from yibao.domain.errors import BusinessError, FieldError, invalid
from yibao.domain.money import yuan_to_fen
from yibao.domain.policy import Policy, parse_policy, policy_json_schema
from yibao.domain.policy_diff import YUAN, file_form, typed_leaves


def sha256_of(text: str) -> str:
    """The SHA-256 of a policy file's text (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _floats(value: Any, path: str) -> list[FieldError]:
    if isinstance(value, float):
        return [
            FieldError(
                path or "toml",
                "POLICY_FLOAT",
                f'政策文件 {path} 不接受浮点数 {value!r}：金额写为整数或字符串（如 "123.45"），'
                f'比例写为字符串（如 "0.85"）',
            )
        ]
    errors: list[FieldError] = []
    if isinstance(value, dict):
        for key, item in value.items():
            errors += _floats(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            errors += _floats(item, f"{path}.{index}" if path else str(index))
    return errors


def read_toml(text: str) -> dict[str, Any]:
    """The document of a TOML policy file; a syntax error or any float is refused with its place."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise invalid("POLICY_TOML", "toml", f"政策文件不是有效的 TOML：{exc}") from exc
    errors = _floats(document, "")
    if errors:
        first = errors[0]
        raise BusinessError(code="POLICY_INVALID", message=first.message, field=first.field, errors=errors)
    return document


def _amounts(document: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    for path, kind, value in typed_leaves(document):
        if kind != YUAN or isinstance(value, float):
            continue
        try:
            yuan_to_fen(value, field=path)
        except BusinessError as exc:
            errors.append(FieldError(path, exc.code, f"政策文件 {path} 金额有误：{exc.message}"))
    return errors


def parse_file(text: str) -> Policy:
    """A checked policy from the TOML text of a policy file."""
    document = read_toml(text)
    errors = _amounts(document)
    if errors:
        first = errors[0]
        raise BusinessError(code="POLICY_INVALID", message=first.message, field=first.field, errors=errors)
    return parse_policy(document)


def dump(policy: Policy) -> str:
    """The stored document of a policy: the parsed model as JSON (amounts in fen)."""
    return json.dumps(policy.model_dump(mode="json"), ensure_ascii=False, sort_keys=False)


def load_document(document: str) -> Policy:
    """The policy of a stored document (amounts in fen are shown in yuan again and re-checked)."""
    return parse_policy(file_form(json.loads(document)))


MAX_FILE_BYTES = 1_000_000


def decode(data: bytes) -> str:
    """The text of an uploaded policy file: UTF-8 (a BOM is dropped), at most 1 MB."""
    if len(data) > MAX_FILE_BYTES:
        raise invalid("POLICY_TOO_LARGE", "file", "字段 file 政策文件不能超过 1MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid("POLICY_ENCODING", "file", "字段 file 政策文件必须是 UTF-8 编码的 TOML 文本") from exc


_AMOUNT = {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"}]}
_DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}


def _file_types(node: Any) -> Any:
    if isinstance(node, list):
        return [_file_types(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _file_types(value) for key, value in node.items()}
    if node.get("type") == "integer":  # every integer of the model is an amount in yuan
        node.pop("type")
        node.update(_AMOUNT)
    elif node.get("anyOf") == [{"type": "number"}, {"type": "string"}]:  # a ratio or ratio points
        node.pop("anyOf")
        node.update(_DECIMAL)
    return node


def file_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file: amounts as integers or yuan strings, ratios as decimal strings.

    Stricter than the model's own schema in the one way the file format is: no floats anywhere.
    """
    schema: dict[str, Any] = _file_types(policy_json_schema())
    schema["$comment"] = (
        "金额为元（整数或两位小数的字符串），比例为字符串小数；不接受浮点数。见 docs/policy.md"
    )
    return schema
