"""JSON API conventions shared by every plugin: one error shape, pagination, per-field validation errors."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from peewee import ModelSelect
from starlette.requests import Request
from starlette.responses import JSONResponse

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


class ApiError(Exception):
    """A failed API call.  Renders as ``{"error": {"code", "message", "fields"}}`` with ``status``.

    ``code`` is a stable machine-readable string; ``message`` is Chinese for people; ``fields`` maps a
    request field to the Chinese message about it.
    """

    def __init__(self, status: int, code: str, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})


def json_object(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The request's JSON body, which must be an object; with ``required=False`` an empty body means ``{}``.

    Anything else (an array, a string, a missing body when required) is a 400 with the API's error shape.
    """
    data = getattr(request.state, "json", None)
    if data is None and not required:
        return {}
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", "请求体应为 JSON 对象。")
    return data


def base64_files(data: Mapping[str, Any], key: str = "attachments") -> list[tuple[str, bytes]]:
    """Files sent in a JSON body as ``key: [{"filename", "content_base64"}, ...]``, as ``(filename, bytes)``
    pairs for :func:`officium.core.files.save_upload` (and the 涉密 scan); a malformed entry is a 400."""
    result = []
    for index, entry in enumerate(data.get(key) or []):
        try:
            result.append((str(entry["filename"]), base64.b64decode(entry["content_base64"], validate=True)))
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise ApiError(
                400,
                "invalid",
                "附件格式不正确。",
                fields={key: f"第 {index + 1} 个附件应为 {{filename, content_base64}}。"},
            ) from exc
    return result


def error_response(
    status: int, code: str, message: str, fields: Mapping[str, str] | None = None
) -> JSONResponse:
    """The one JSON error body."""
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = dict(fields)
    return JSONResponse({"error": body}, status_code=status)


def page_params(request: Request) -> tuple[int, int]:
    """Read ``page`` (from 1) and ``per_page`` (1–100) from the query string, refusing bad values."""
    fields = {}
    values = {}
    for key, default, upper in (("page", 1, None), ("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)):
        raw = request.query_params.get(key, str(default))
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1 or (upper and int(raw) > upper):
            fields[key] = f"{key} 应为 1{f'–{upper}' if upper else ' 以上'}的整数。"
        else:
            values[key] = int(raw)
    if fields:
        raise ApiError(400, "invalid_query", "查询参数不正确。", fields)
    return values["page"], values["per_page"]


def paginate(request: Request, query: ModelSelect, serialize: Callable[[Any], Any]) -> dict[str, Any]:
    """One page of ``query`` in the standard list shape: ``{"items", "page", "per_page", "total"}``."""
    page, per_page = page_params(request)
    total = query.count()
    items = [serialize(row) for row in query.paginate(page, per_page)]
    return {"items": items, "page": page, "per_page": per_page, "total": total}
