"""The core's pages (sign-in, dashboard, password, modules) and its small JSON API."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import officium
from officium.core import audit
from officium.core.db import write_transaction
from officium.core.identity import totp
from officium.core.identity.access import allows, effective_roles, is_admin
from officium.core.identity.login import authenticate, change_password, password_change_due
from officium.core.identity.models import Unit
from officium.core.identity.passwords import verify_password
from officium.core.identity.people import search_people
from officium.core.identity.policy import load_policy
from officium.core.identity.sessions import COOKIE_NAME, end_session, end_user_sessions, start_session
from officium.core.registry import AUTHENTICATED, PUBLIC, Api, Page, Widget
from officium.core.web.api import ApiError, paginate
from officium.core.web.context import client_ip
from officium.core.web.views import current_user, form_value, redirect, render


def _safe_next(target: str) -> str:
    # Only local paths: an attacker's link must not bounce a fresh login to another site.
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _sign_in(request: Request, user: Any, response: Response) -> Response:
    """Give ``response`` a brand-new session for ``user``, ending the request's old one."""
    app = request.state.app
    end_session(request.cookies.get(COOKIE_NAME))
    roles = effective_roles(app.registry, user)
    token = start_session(
        user,
        app.clock(),
        load_policy(),
        admin=is_admin(app.registry, set(roles)),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="lax", secure=app.config.https, path="/")
    return response


def login(request: Request) -> Response:
    """The sign-in form; on success a new session id is issued (never reused from before sign-in)."""
    app = request.state.app
    next_url = _safe_next(request.query_params.get("next", "/"))

    def form(status: int = 200, error: str = "", username: str = "", needs_code: bool = False) -> Response:
        return render(
            request,
            "core/login.html",
            status_code=status,
            next_url=next_url,
            username=username,
            error=error,
            needs_code=needs_code,
        )

    if request.method == "GET":
        return redirect(next_url) if current_user(request) is not None else form()
    username = form_value(request, "username")
    password = str(request.state.form.get("password", ""))
    if not username or not password:
        return form(400, "请输入用户名和密码。", username)
    result = authenticate(
        username, password, form_value(request, "code"), app.clock(), app.config.secret, client_ip(request)
    )
    if result.user is None:
        audit.record(
            app,
            "core.login",
            request=request,
            result="refused",
            summary=f"登录失败：{username[:64]}（{result.message}）",
        )
        return form(400, result.message, username, result.needs_code)
    with write_transaction(app.db):
        audit.record(app, "core.login", actor=result.user, request=request, summary="登录成功")
        due = password_change_due(result.user, app.clock())
        return _sign_in(request, result.user, redirect("/password" if due else next_url))


def logout(request: Request) -> Response:
    """End the session at once; the old cookie is worthless afterwards."""
    audit.record(request.state.app, "core.logout", request=request, summary="退出登录")
    end_session(request.cookies.get(COOKIE_NAME))
    response = redirect("/login")
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


def password(request: Request) -> Response:
    """Change one's own password (needs the current one); forced after a one-time or expired password.

    On success the user's other sessions end and this browser gets a new session id.
    """
    user = current_user(request)
    app = request.state.app
    if request.method == "GET":
        return render(
            request,
            "core/password.html",
            errors={},
            done=False,
            expired=password_change_due(user, app.clock()),
        )
    errors = change_password(
        user,
        str(request.state.form.get("current", "")),
        str(request.state.form.get("new", "")),
        str(request.state.form.get("confirm", "")),
        app.clock(),
    )
    if errors:
        return render(
            request, "core/password.html", status_code=400, errors=errors, done=False, expired=False
        )
    audit.record(
        app,
        "core.password.change",
        request=request,
        object_type="user",
        object_id=user.id,
        summary="修改本人密码",
    )
    end_user_sessions(user)
    return _sign_in(request, user, render(request, "core/password.html", errors={}, done=True, expired=False))


def mfa_setup(request: Request) -> Response:
    """Bind an authenticator app (TOTP).  Required for the three administrators; optional for others."""
    app = request.state.app
    user = current_user(request)
    if request.method == "GET":
        secret = totp.new_secret()
        errors: dict[str, str] = {}
    else:
        secret = form_value(request, "secret")
        if len(secret) != 32 or not secret.isalnum():
            raise HTTPException(400)
        errors = {}
        # Replacing a bound authenticator needs the password too: a borrowed session must not swap it.
        if user.totp_secret and not verify_password(
            user.password_hash, str(request.state.form.get("password", ""))
        ):
            errors["password"] = "当前密码不正确。"
        elif totp.enable(user, secret, form_value(request, "code"), app.clock(), app.config.secret):
            audit.record(
                app,
                "core.mfa.enable",
                request=request,
                object_type="user",
                object_id=user.id,
                summary="绑定身份验证器",
            )
            return render(request, "core/mfa_setup.html", done=True)
        else:
            errors = {"code": "动态口令不正确，请核对身份验证器上当前显示的 6 位数字。"}
    uri = totp.provisioning_uri(user, secret, app.config.site_name)
    return render(
        request,
        "core/mfa_setup.html",
        status_code=400 if errors else 200,
        done=False,
        secret=secret,
        qr=Markup(totp.qr_svg(uri)),
        errors=errors,
        enrolled=bool(user.totp_secret),
    )


def dashboard(request: Request) -> Response:
    """首页: the widgets of every plugin the user may see, and the pending-work counts."""
    app = request.state.app
    ctx = request.state.ctx
    widgets = [
        w
        for group in app.hook.dashboard_widgets(request=request, user=ctx.user, app=app)
        for w in (group or [])
        if allows(w.permission, ctx.user, ctx.permissions)
    ]
    widgets.sort(key=lambda w: (w.order, w.title))
    panels = [(w, w.render(request)) for w in widgets]
    return render(request, "core/dashboard.html", panels=panels)


def plugins_page(request: Request) -> Response:
    """系统管理 → 功能模块: the enabled plugins in load order."""
    return render(
        request,
        "core/plugins.html",
        plugins=request.state.app.plugins,
        breadcrumbs=[("系统管理", ""), ("功能模块", "")],
    )


def health(request: Request) -> Response:
    """Liveness for load balancers: answers only when the database does."""
    request.state.app.db.execute_sql("SELECT 1")
    return JSONResponse({"status": "ok", "version": officium.__version__})


def welcome_widget() -> Widget:
    """The dashboard's greeting panel with the user's unit and position."""

    def render_panel(request: Request) -> Markup:
        user = current_user(request)
        unit = user.unit.name if user.unit_id else "（未分配单位）"
        return Markup("<p>{}，您好。您所在单位：{}{}</p>").format(
            escape(user.name), escape(unit), escape(f"，职务：{user.position}" if user.position else "")
        )

    return Widget("welcome", "欢迎", render_panel, AUTHENTICATED, order=0)


def api_me(request: Request) -> dict[str, Any]:
    """The signed-in user with unit and permissions."""
    user = current_user(request)
    return {
        "username": user.username,
        "name": user.name,
        "unit": user.unit.name if user.unit_id else None,
        "position": user.position,
        "permissions": sorted(request.state.ctx.permissions),
    }


def api_units(request: Request) -> dict[str, Any]:
    """The organisation's units, paginated; ``q`` filters by name or code."""
    query = Unit.select().where(Unit.active).order_by(Unit.order, Unit.id)
    if q := request.query_params.get("q", "").strip():
        query = query.where(Unit.name.contains(q) | Unit.code.contains(q))
    return paginate(
        request,
        query,
        lambda u: {"id": u.id, "code": u.code, "name": u.name, "kind": u.kind, "parent_id": u.parent_id},
    )


#: Longest search text the people API accepts.
PEOPLE_QUERY_MAX = 64


def api_people(request: Request) -> dict[str, Any]:
    """Colleagues for the person picker, paginated.

    ``q`` matches the name, the username, the pinyin initials (``wjg`` finds 王建国) or full pinyin, or the
    unit's name.  Only active accounts; the three administrators' accounts are left out.
    """
    q = request.query_params.get("q", "").strip()
    if len(q) > PEOPLE_QUERY_MAX:
        raise ApiError(
            400, "invalid_query", "查询参数不正确。", {"q": f"q 不能超过 {PEOPLE_QUERY_MAX} 个字符。"}
        )
    admin_roles = [role.name for role in request.state.app.registry.roles.values() if role.admin]
    return paginate(
        request,
        search_people(q, admin_roles),
        lambda u: {
            "id": u.id,
            "username": u.username,
            "name": u.name,
            "unit": u.unit.name if u.unit_id else None,
            "position": u.position,
        },
    )


def api_plugins(request: Request) -> list[dict[str, Any]]:
    """The enabled plugins in load order."""
    return [
        {
            "name": p.name,
            "title": p.info.title,
            "area": p.info.area,
            "version": p.info.version,
            "requires": list(p.info.requires),
        }
        for p in request.state.app.plugins
    ]


ROUTES = [
    Page("/", dashboard, "dashboard", AUTHENTICATED),
    Page("/login", login, "login", PUBLIC, methods=("GET", "POST"), atomic=False),
    Page("/logout", logout, "logout", AUTHENTICATED, methods=("POST",)),
    Page("/password", password, "password", AUTHENTICATED, methods=("GET", "POST")),
    Page("/mfa/setup", mfa_setup, "mfa_setup", AUTHENTICATED, methods=("GET", "POST")),
    Page("/plugins", plugins_page, "plugins", "core.plugins.view"),
    Page("/health", health, "health", PUBLIC),
    Api("/me", api_me, "me", AUTHENTICATED, summary="当前用户"),
    Api("/units", api_units, "units", AUTHENTICATED, summary="组织机构列表"),
    Api("/people", api_people, "people", AUTHENTICATED, summary="查找人员（人员选择器）"),
    Api("/plugins", api_plugins, "plugins", "core.plugins.view", summary="已启用的功能模块"),
]
