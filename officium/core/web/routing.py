"""The routing engine: every plugin route passes through one wrapper that authenticates, checks the
route's permission and the CSRF token, and runs state-changing requests in one transaction.

Views are plain (synchronous) functions taking the request.  They run on the event loop's thread, inside
one database transaction for unsafe methods: with no ``await`` between their queries, two requests can
never interleave on the worker's connection, and a view that raises leaves the database as it was.
"""

from __future__ import annotations

import contextlib
import hmac
import inspect
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlparse

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from officium.core import audit
from officium.core.db import connection_lost, discard_connection, write_transaction, writes_so_far
from officium.core.errors import StartupError
from officium.core.identity.access import allows
from officium.core.identity.login import password_change_due
from officium.core.registry import PUBLIC, Api, Page
from officium.core.web.api import ApiError, error_response
from officium.core.web.context import RequestContext, resolve_context
from officium.core.web.errors import database_unavailable

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
ANON_CSRF_COOKIE = "officium_csrf"
#: Pages a user who must change their password may still open.
GATE_ALLOWED = frozenset({"core:password", "core:logout", "core:login", "core:mfa_setup"})


def build_route(app: OfficiumApp, plugin: str, declared: Page | Api) -> Route:
    """Wrap a declared page or API view into a Starlette route guarded by its permission."""
    if inspect.iscoroutinefunction(declared.endpoint):
        raise StartupError(
            f"插件 {plugin} 的路由 {declared.name} 是 async 函数。修复：视图写成普通函数（def），由核心在事务中调用。"
        )
    is_api = isinstance(declared, Api)
    full_name = f"{'api.' if is_api else ''}{plugin}:{declared.name}"

    async def endpoint(request: Request) -> Response:
        # A request that lost its database connection before it wrote anything runs again on a new one;
        # otherwise (or when that fails too) it is answered with 503.  The server rolls back a transaction
        # left open on a lost connection; one lost during COMMIT itself is saved whole or not at all (the
        # 503 message asks the user to look), so a step is never half-applied.
        for attempt in (1, 2):
            writes = writes_so_far(app.db)
            try:
                return await handle(request)
            except Exception as exc:
                if not connection_lost(app.db, exc):
                    raise
                wrote = writes_so_far(app.db) != writes
                discard_connection(app.db)
                if wrote or attempt == 2:
                    return database_unavailable(app, request)
        raise AssertionError("unreachable")

    async def handle(request: Request) -> Response:
        ctx = resolve_context(app, request)
        request.state.app = app
        request.state.ctx = ctx
        request.state.user = ctx.user
        request.state.route_name = full_name
        if ctx.via_token and not is_api:
            # API tokens are for /api/v1/ only: a page never acts on a bearer token
            ctx = RequestContext()
            request.state.ctx, request.state.user = ctx, None
        if ctx.token is not None and not ctx.token.allows_plugin(plugin):
            return error_response(403, "token_scope", f"该 API 令牌无权访问 {plugin} 模块的接口。")
        gate = _gate(app, ctx, full_name)
        if gate is not None:
            code, message, url = gate
            return error_response(403, code, message) if is_api else RedirectResponse(url, status_code=303)
        if not allows(declared.permission, ctx.user, ctx.permissions):
            return _refuse(request, is_api, signed_in=ctx.user is not None)
        unsafe = request.method not in SAFE_METHODS
        if unsafe:
            refusal = await _check_csrf(app, request, ctx, is_api, declared.permission == PUBLIC)
            if refusal is not None:
                return refusal
        elif request.method == "GET":
            request.state.form = {}
        # Entries queued by audit.record_regardless (e.g. a 涉密 refusal) are written after the view's
        # transaction has ended, committed or rolled back, in a transaction of their own.
        request.state.audit_regardless = []
        try:
            if unsafe:
                # A non-atomic view commits its own short transactions (audit.record opens its own too).
                with write_transaction(app.db) if declared.atomic else contextlib.nullcontext():
                    result = declared.endpoint(request)
                    # Every change is audited: a view that recorded nothing more specific gets a generic entry
                    # naming the route, written in the same transaction as the change itself.
                    if _succeeded(result) and not getattr(request.state, "audited", False):
                        audit.record(
                            app,
                            f"{plugin}.{declared.name}",
                            request=request,
                            summary=f"{request.method} {request.url.path}",
                        )
            else:
                result = declared.endpoint(request)
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.fields)
        finally:
            audit.write_regardless(app, request)
        if is_api and not isinstance(result, Response):
            return JSONResponse(result)
        return result

    return Route(declared.path, endpoint, methods=list(declared.methods), name=declared.name)


def _gate(app: OfficiumApp, ctx: Any, full_name: str) -> tuple[str, str, str] | None:
    """What a signed-in user must do before anything else: change the password, or (三员) enrol TOTP."""
    if ctx.user is None or full_name in GATE_ALLOWED:
        return None
    if password_change_due(ctx.user, app.clock()):
        return (
            "password_change_required",
            "请先修改密码（初始密码、重置后的一次性密码或已过期的密码）。",
            "/password",
        )
    if ctx.is_admin and app.config.admin_mfa and not ctx.user.totp_secret:
        return "mfa_enrolment_required", "管理员账号须先绑定身份验证器（动态口令）。", "/mfa/setup"
    return None


def _succeeded(result: object) -> bool:
    return not isinstance(result, Response) or result.status_code < 400


def _refuse(request: Request, is_api: bool, signed_in: bool) -> Response:
    if is_api:
        if signed_in:
            return error_response(403, "forbidden", "没有权限执行此操作。")
        return error_response(401, "unauthenticated", "请先登录或提供有效的 API 令牌。")
    if signed_in:
        raise HTTPException(403)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    if not origin:
        return True
    return urlparse(origin).netloc == request.headers.get("host", "")


async def _check_csrf(
    app: OfficiumApp, request: Request, ctx: Any, is_api: bool, public: bool
) -> Response | None:
    """Refuse a cross-site or token-less unsafe request; preload the form or JSON body for the view."""
    content_type = request.headers.get("content-type", "")
    form: dict[str, Any] = {}
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        limit = app.config.max_upload_mb * 1024 * 1024 + FORM_ALLOWANCE
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise HTTPException(413, _too_large_message(app))
        # A body sent without Content-Length (chunked) is counted as it arrives and cut off at the limit.
        request._receive = _limited(request.receive, limit)
        try:
            parsed = await request.form(max_part_size=MAX_FIELD_BYTES)
        except _BodyTooLarge:
            raise HTTPException(413, _too_large_message(app)) from None
        except HTTPException:  # Starlette's English reason for a malformed body or an oversized text field
            raise HTTPException(
                400,
                f"提交的表单无法处理：格式不正确，或单个文本字段超过 {MAX_FIELD_BYTES // (1024 * 1024)} MB。",
            ) from None
        form = {key: (parsed.getlist(key) if len(parsed.getlist(key)) > 1 else parsed[key]) for key in parsed}
    request.state.form = form
    request.state.json = None
    if is_api and content_type.startswith("application/json"):
        try:
            request.state.json = await request.json()
        except ValueError:
            return error_response(400, "invalid_json", "请求体不是合法的 JSON。")
    if ctx.via_token:
        return None  # a bearer token is not sent by browsers on their own, so it carries no CSRF risk
    if not _same_origin(request):
        return _csrf_refusal(is_api)
    sent = request.headers.get(CSRF_HEADER) or str(form.get(CSRF_FIELD, ""))
    expected = (
        ctx.session.csrf_token if ctx.session is not None else request.cookies.get(ANON_CSRF_COOKIE, "")
    )
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        return _csrf_refusal(is_api)
    return None


#: What a multipart body may carry beyond the site's ``max_upload_mb``: the other fields and part headers.
FORM_ALLOWANCE = 1024 * 1024
#: The largest text field of a form (Starlette's default, 1 MB, is tight for a pasted rich-text body).
MAX_FIELD_BYTES = 16 * 1024 * 1024


class _BodyTooLarge(Exception):
    pass


def _limited(receive: Any, limit: int) -> Any:
    received = 0

    async def limited_receive() -> Any:
        nonlocal received
        message = await receive()
        if message.get("type") == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
        return message

    return limited_receive


def _too_large_message(app: OfficiumApp) -> str:
    return f"上传的内容太大：一次提交的文件合计不能超过 {app.config.max_upload_mb} MB，请压缩或分批上传。"


def _csrf_refusal(is_api: bool) -> Response:
    if is_api:
        return error_response(403, "csrf_failed", "请求来源校验失败，请刷新页面后重试。")
    raise HTTPException(403, "请求来源校验失败：页面可能已过期，请刷新后重试。")
