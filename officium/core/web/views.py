"""Helpers for plugin views: rendering a page in the shell, redirecting, reading the form."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
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


def require(request: Request, permission: str) -> None:
    """Refuse with 403 unless the user holds ``permission`` — for a page whose methods need different rights.

    The route's own permission is checked before the view runs; use this for the stricter part (e.g. a page
    everyone may read but only clerks may post to).
    """
    ctx = request.state.ctx
    if not allows(permission, ctx.user, ctx.permissions):
        raise HTTPException(403)


@dataclass(frozen=True)
class PageOf:
    """One page of a list for a template: rows, position, and links that keep the current filters."""

    items: list[Any]
    page: int
    pages: int
    total: int
    query: str

    def url(self, page: int) -> str:
        """The link to another page of the same list (other query parameters kept)."""
        params = [(k, v) for k, v in parse_qsl(self.query) if k != "page"]
        return "?" + urlencode([*params, ("page", str(page))])


def page_of(request: Request, query: Any, per_page: int = 20) -> PageOf:
    """Paginate a Peewee query for a list page by ``?page=`` (out-of-range pages show the last page)."""
    total = query.count()
    pages = max(1, -(-total // per_page))
    raw = request.query_params.get("page", "1")
    page = min(int(raw), pages) if raw.isdigit() and int(raw) >= 1 else 1
    return PageOf(list(query.paginate(page, per_page)), page, pages, total, request.url.query)
