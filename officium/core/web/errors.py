"""Error answers: a Chinese page for people, the standard JSON error for the API, never a stack trace."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from peewee import OperationalError
from playhouse.pool import MaxConnectionsExceeded
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from officium.core.web.api import error_response
from officium.core.web.context import RequestContext, resolve_context

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

logger = logging.getLogger("officium")

MESSAGES = {
    400: ("bad_request", "请求不正确。"),
    401: ("unauthenticated", "请先登录。"),
    403: ("forbidden", "没有权限访问此页面。"),
    404: ("not_found", "找不到该页面或记录，可能已被删除，或者您无权查看。"),
    405: ("method_not_allowed", "不支持该请求方式。"),
    409: ("conflict", "该记录已被他人处理，请刷新后查看最新状态。"),
    413: ("too_large", "上传的内容过大。"),
    500: ("server_error", "系统内部错误，已记录。请稍后重试，或联系信息化处。"),
    503: ("unavailable", "系统暂时不可用，请稍后重试。"),
}


def error_page(app: OfficiumApp, request: Request, status: int, detail: str | None = None) -> Response:
    """Answer with the error ``status``: JSON under ``/api/``, the shell's error page elsewhere."""
    code, message = MESSAGES.get(status, ("error", "请求失败。"))
    if detail and status != 500:
        message = detail
    if request.url.path.startswith("/api/"):
        return error_response(status, code, message)
    from officium.core.web.views import render

    request.state.app = app
    if not hasattr(request.state, "ctx"):
        try:
            request.state.ctx = resolve_context(app, request)
        except Exception:  # the database itself may be what failed
            request.state.ctx = RequestContext()
        request.state.user = request.state.ctx.user
    try:
        return render(request, "core/error.html", status_code=status, status=status, message=message)
    except Exception:
        logger.exception("rendering the error page failed")
        return Response(message, status_code=status, media_type="text/plain; charset=utf-8")


#: The 503 answer when the database connection was lost in the middle of a request.
DATABASE_LOST = (
    "与数据库的连接中断，本次请求没有完成。请稍后重试；如果刚才提交了表单，请先刷新页面查看是否已经保存。"
)


def database_unavailable(app: OfficiumApp, request: Request) -> Response:
    """503 with ``Retry-After`` for a request whose database connection was lost: the Chinese error page, or
    the JSON error ``unavailable`` under ``/api/``.  Its transaction was rolled back by the server."""
    logger.warning("database connection lost during %s %s; answered 503", request.method, request.url.path)
    response = error_page(app, request, 503, DATABASE_LOST)
    response.headers["Retry-After"] = "5"
    return response


def install_handlers(app: OfficiumApp) -> dict:
    """The exception handlers for the Starlette application."""

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail not in _STARLETTE_DEFAULTS else None
        response = error_page(app, request, exc.status_code, detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def on_crash(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_page(app, request, 500)

    async def on_database_error(request: Request, exc: Exception) -> Response:
        if is_busy(exc):
            return database_busy(app, request, exc)
        if not is_disk_full(exc):
            raise exc  # any other database error is a crash (on_crash answers it)
        # The request's transaction has been rolled back: nothing of it was saved.
        logger.error("disk full on %s %s: %s", request.method, request.url.path, exc)
        if request.url.path.startswith("/api/"):
            return error_response(503, "disk_full", DISK_FULL_MESSAGE)
        return error_page(app, request, 503, DISK_FULL_MESSAGE)

    async def on_pool_exhausted(request: Request, exc: Exception) -> Response:
        return database_busy(app, request, exc)

    return {
        HTTPException: on_http_error,
        OperationalError: on_database_error,
        MaxConnectionsExceeded: on_pool_exhausted,
        Exception: on_crash,
    }


BUSY_MESSAGE = "系统繁忙，本次操作没有保存。请稍后重试。"


def database_busy(app: OfficiumApp, request: Request, exc: Exception) -> Response:
    """503 with ``Retry-After`` when the database could not take the request in time: SQLite still locked by
    another writer after the busy timeout, or no PostgreSQL connection free in the pool.  The request's
    transaction never started or was rolled back, so nothing of it was saved."""
    logger.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
    if request.url.path.startswith("/api/"):
        response: Response = error_response(503, "busy", BUSY_MESSAGE)
    else:
        response = error_page(app, request, 503, BUSY_MESSAGE)
    response.headers["Retry-After"] = "5"
    return response


def is_busy(exc: BaseException) -> bool:
    """Whether a database error says SQLite stayed locked (or busy) past the busy timeout."""
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text


DISK_FULL_MESSAGE = "服务器存储空间已满，本次操作没有保存。请稍后重试，并通知信息化处清理磁盘。"


def is_disk_full(exc: BaseException) -> bool:
    """Whether a database error says the disk (or SQLite's ``max_page_count``) is full.

    SQLite answers SQLITE_FULL ("database or disk is full"); PostgreSQL SQLSTATE 53100 (disk_full).
    """
    original = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc.__cause__
    if getattr(original, "sqlstate", None) == "53100":
        return True
    text = str(exc).lower()
    return "database or disk is full" in text or "no space left on device" in text


# Starlette fills ``detail`` with the English reason phrase when none was given.
_STARLETTE_DEFAULTS = {
    "Bad Request",
    "Unauthorized",
    "Forbidden",
    "Not Found",
    "Method Not Allowed",
    "Conflict",
    "Payload Too Large",
    "Content Too Large",
    "Internal Server Error",
    "Service Unavailable",
}
