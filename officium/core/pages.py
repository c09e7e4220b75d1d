"""The core's pages (sign-in, dashboard, password, modules) and its small JSON API."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import officium
from officium.core import audit
from officium.core.identity.access import allows
from officium.core.identity.login import LOGIN_FAILED, authenticate, change_password
from officium.core.identity.models import Unit
from officium.core.identity.sessions import COOKIE_NAME, end_session, start_session
from officium.core.registry import AUTHENTICATED, PUBLIC, Api, Page, Widget
from officium.core.web.api import paginate
from officium.core.web.context import client_ip
from officium.core.web.views import current_user, form_value, redirect, render


def _safe_next(target: str) -> str:
    # Only local paths: an attacker's link must not bounce a fresh login to another site.
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def login(request: Request) -> Response:
    """The sign-in form; on success a new session id is issued (never reused from before sign-in)."""
    app = request.state.app
    next_url = _safe_next(request.query_params.get("next", "/"))
    if request.method == "GET":
        if current_user(request) is not None:
            return redirect(next_url)
        return render(request, "core/login.html", next_url=next_url, username="", error="")
    username = form_value(request, "username")
    password = str(request.state.form.get("password", ""))
    if not username or not password:
        return render(
            request,
            "core/login.html",
            status_code=400,
            next_url=next_url,
            username=username,
            error="请输入用户名和密码。",
        )
    now = app.clock()
    user = authenticate(username, password, now, client_ip(request))
    if user is None:
        audit.record(
            app, "core.login", request=request, result="refused", summary=f"登录失败：{username[:64]}"
        )
        return render(
            request,
            "core/login.html",
            status_code=400,
            next_url=next_url,
            username=username,
            error=LOGIN_FAILED,
        )
    end_session(request.cookies.get(COOKIE_NAME))
    audit.record(app, "core.login", actor=user, request=request, summary="登录成功")
    token = start_session(user, now, client_ip(request), request.headers.get("user-agent", ""))
    response = redirect("/password" if user.must_change_password else next_url)
    response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="lax", secure=app.config.https, path="/")
    return response


def logout(request: Request) -> Response:
    """End the session at once; the old cookie is worthless afterwards."""
    audit.record(request.state.app, "core.logout", request=request, summary="退出登录")
    end_session(request.cookies.get(COOKIE_NAME))
    response = redirect("/login")
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


def password(request: Request) -> Response:
    """Change one's own password (needs the current one); forced after a one-time password."""
    user = current_user(request)
    if request.method == "GET":
        return render(request, "core/password.html", errors={}, done=False)
    errors = change_password(
        user,
        str(request.state.form.get("current", "")),
        str(request.state.form.get("new", "")),
        str(request.state.form.get("confirm", "")),
        request.state.app.clock(),
    )
    if errors:
        return render(request, "core/password.html", status_code=400, errors=errors, done=False)
    audit.record(
        request.state.app,
        "core.password.change",
        request=request,
        object_type="user",
        object_id=user.id,
        summary="修改本人密码",
    )
    return render(request, "core/password.html", errors={}, done=True)


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
    return render(request, "core/plugins.html", plugins=request.state.app.plugins)


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
    Page("/login", login, "login", PUBLIC, methods=("GET", "POST")),
    Page("/logout", logout, "logout", AUTHENTICATED, methods=("POST",)),
    Page("/password", password, "password", AUTHENTICATED, methods=("GET", "POST")),
    Page("/plugins", plugins_page, "plugins", "core.plugins.view"),
    Page("/health", health, "health", PUBLIC),
    Api("/me", api_me, "me", AUTHENTICATED, summary="当前用户"),
    Api("/units", api_units, "units", AUTHENTICATED, summary="组织机构列表"),
    Api("/plugins", api_plugins, "plugins", "core.plugins.view", summary="已启用的功能模块"),
]
