"""Helpers for plugin views: rendering a page in the shell, redirecting, reading the form."""

from __future__ import annotations

import secrets
from typing import Any

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from officium.core.identity.access import allows
from officium.core.plugin_info import AREAS
from officium.core.registry import MenuItem, TodoCount
from officium.core.web.routing import ANON_CSRF_COOKIE, CSRF_FIELD


def current_user(request: Request) -> Any:
    """The signed-in user of the request, or None on a public page."""
    return getattr(request.state, "user", None)


def form_value(request: Request, key: str, default: str = "") -> str:
    """A text field of the submitted form, stripped."""
    value = getattr(request.state, "form", {}).get(key, default)
    return value.strip() if isinstance(value, str) else default


def csrf_token(request: Request) -> str:
    """The token forms must send back: the session's, or for anonymous pages the double-submit cookie's."""
    ctx = getattr(request.state, "ctx", None)
    if ctx is not None and ctx.session is not None:
        return ctx.session.csrf_token
    token = getattr(request.state, "anon_csrf", None) or request.cookies.get(ANON_CSRF_COOKIE)
    if not token:
        token = secrets.token_urlsafe(32)
    request.state.anon_csrf = token
    return token


def navigation(request: Request) -> list[tuple[str, list[MenuItem]]]:
    """The left navigation: the plugins' menu items the user may open, grouped by functional area."""
    app = request.state.app
    ctx = request.state.ctx
    items = [
        item
        for group in app.hook.menu_items(request=request, user=ctx.user, app=app)
        for item in (group or [])
        if allows(item.permission, ctx.user, ctx.permissions)
    ]
    return [
        (area, sorted((i for i in items if i.area == area), key=lambda i: (i.order, i.title)))
        for area in AREAS
        if any(i.area == area for i in items)
    ]


def todo_counts(request: Request) -> list[TodoCount]:
    """The user's pending-work counts from every plugin."""
    app = request.state.app
    ctx = request.state.ctx
    if ctx.user is None:
        return []
    return [
        c for group in app.hook.todo_counts(request=request, user=ctx.user, app=app) for c in (group or [])
    ]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the shell's context (user, navigation, 待办 total, CSRF field)."""
    app = request.state.app
    user = current_user(request)
    token = csrf_token(request)
    counts = todo_counts(request) if user is not None else []
    base = {
        "request": request,
        "user": user,
        "navigation": navigation(request) if user is not None else [],
        "todo_counts": counts,
        "todo_total": sum(c.count for c in counts),
        "csrf_token": token,
        "csrf_field": Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">'),
    }
    html = app.jinja_env.get_template(template).render({**base, **context})
    response = HTMLResponse(html, status_code=status_code)
    if user is None and request.cookies.get(ANON_CSRF_COOKIE) != token:
        response.set_cookie(ANON_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=app.config.https)
    return response


def redirect(url: str) -> RedirectResponse:
    """A 303 redirect, the answer to a successful form post (so reloading does not post again)."""
    return RedirectResponse(url, status_code=303)
