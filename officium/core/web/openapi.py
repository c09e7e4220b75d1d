"""The OpenAPI document of every registered API route, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import officium
from officium.core.registry import PUBLIC, Api
from officium.core.web.api import error_response
from officium.core.web.context import resolve_context

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
_TYPES = {"int": "integer", "float": "number"}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "稳定的机器可读错误码"},
                "message": {"type": "string", "description": "中文说明"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}


def _operation(plugin: str, api: Api) -> dict[str, Any]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": _TYPES.get(conv or "", "string")}}
        for name, conv in _PARAM.findall(api.path)
    ]
    op: dict[str, Any] = {
        "operationId": f"{plugin}.{api.name}",
        "summary": api.summary or (api.endpoint.__doc__ or "").strip().split("\n")[0],
        "tags": [plugin],
        "x-permission": api.permission,
        "responses": {
            "2XX": {"description": "成功"},
            "default": {"description": "错误", "content": {"application/json": {"schema": ERROR_SCHEMA}}},
        },
    }
    if params:
        op["parameters"] = params
    if api.permission == PUBLIC:
        op["security"] = []
    return op


def openapi_document(app: OfficiumApp) -> dict[str, Any]:
    """Build the OpenAPI 3.1 document from the registry."""
    paths: dict[str, dict[str, Any]] = {}
    for plugin, apis in app.registry.apis.items():
        for api in apis:
            path = f"/api/v1/{plugin}" + _PARAM.sub(lambda m: "{" + m.group(1) + "}", api.path)
            for method in api.methods:
                paths.setdefault(path, {})[method.lower()] = _operation(plugin, api)
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{app.config.site_name} API", "version": officium.__version__},
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "officium token create 签发的令牌",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "officium_session"},
            },
            "schemas": {"Error": ERROR_SCHEMA},
        },
        "security": [{"token": []}, {"session": []}],
    }


def openapi_route(app: OfficiumApp) -> Route:
    """The route serving the document to signed-in users and token holders."""

    async def endpoint(request: Request) -> JSONResponse:
        ctx = resolve_context(app, request)
        if ctx.user is None:
            return error_response(401, "unauthenticated", "请先登录或提供有效的 API 令牌。")
        return JSONResponse(openapi_document(app))

    return Route("/api/v1/openapi.json", endpoint, methods=["GET"], name="openapi")
