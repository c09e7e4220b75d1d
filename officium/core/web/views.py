"""Helpers for plugin views: rendering a page in the shell, redirecting, reading the form."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from officium.core.identity.access import allows
from officium.core.identity.models import Session
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


def current_nav_url(request: Request, navigation: list[tuple[str, list[MenuItem]]]) -> str:
    """The URL of the navigation entry for the page being shown: the longest item URL the path starts with.

    ``/`` (首页) matches only itself, so it is never highlighted for every page.
    """
    path = request.url.path
    best = "/" if path == "/" else ""
    for _, items in navigation:
        for item in items:
            target = item.url.split("?", 1)[0]
            if target == "/" or not target.startswith("/"):
                continue
            if (path == target or path.startswith(target.rstrip("/") + "/")) and len(target) > len(best):
                best = item.url
    return best


def _personal_settings_url(app: Any) -> str:
    # The profile plugin owns 个人设置 when it is enabled; otherwise the core's password page is all there is.
    return "/profile/" if any(p.name == "profile" for p in app.plugins) else "/password"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the shell's context (user, navigation, 待办 total, CSRF field, flash messages).

    Pass ``breadcrumbs=[(title, url), ...]`` for the trail above the page heading (首页 comes first by
    itself; give the last entry an empty url, it is the page being shown).
    """
    app = request.state.app
    user = current_user(request)
    token = csrf_token(request)
    counts = todo_counts(request) if user is not None else []
    nav = navigation(request) if user is not None else []
    base = {
        "request": request,
        "user": user,
        "navigation": nav,
        "nav_current": current_nav_url(request, nav),
        "settings_url": _personal_settings_url(app),
        "breadcrumbs": [],
        "flashes": take_flashes(request),
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
    page = min(int(raw), pages) if raw.isascii() and raw.isdigit() and int(raw) >= 1 else 1
    return PageOf(list(query.paginate(page, per_page)), page, pages, total, request.url.query)


# ------------------------------------------------------------------------------------------- sorting


@dataclass(frozen=True)
class Sorting:
    """How a list page is sorted, and links for its column headers that keep the other query parameters."""

    column: str
    direction: str
    query: str

    def url(self, column: str) -> str:
        """The link a column header points to: ascending, or reversed when the list is sorted by it already.

        Other parameters (filters) are kept; ``page`` is dropped, so a new order starts on the first page.
        """
        direction = "desc" if column == self.column and self.direction == "asc" else "asc"
        params = [(k, v) for k, v in parse_qsl(self.query) if k not in ("sort", "dir", "page")]
        return "?" + urlencode([*params, ("sort", column), ("dir", direction)])

    def aria(self, column: str) -> str:
        """The ``aria-sort`` value of a column header."""
        if column != self.column:
            return "none"
        return "ascending" if self.direction == "asc" else "descending"


def sort_query(
    request: Request, query: Any, columns: Mapping[str, Any], default: str, direction: str = "asc"
) -> tuple[Any, Sorting]:
    """Order a Peewee query by ``?sort=`` and ``?dir=`` (``asc`` or ``desc``); return it and the Sorting used.

    ``columns`` maps the names allowed in ``?sort=`` to a field or expression, or a tuple of them sorted
    together (``(Unit.name, User.name)``), so the browser never names a column directly.  An unknown name or direction falls back to ``default`` and ``direction``.  The primary
    key breaks ties, so that pagination is stable::

        query, sorting = sort_query(request, Item.select(), {"title": Item.title, "created": Item.created_at},
                                    default="created", direction="desc")
        listing = page_of(request, query)
    """
    if default not in columns or direction not in ("asc", "desc"):
        raise ValueError("default must be one of columns, direction asc or desc")
    column = request.query_params.get("sort", "")
    chosen = request.query_params.get("dir", "")
    if column not in columns:
        column, chosen = default, direction
    elif chosen not in ("asc", "desc"):
        chosen = direction
    chosen_columns = columns[column]
    expressions = list(chosen_columns) if isinstance(chosen_columns, tuple | list) else [chosen_columns]
    key = query.model._meta.primary_key
    if key is not None and not any(e is key for e in expressions):
        expressions.append(key)
    order = [e.asc() if chosen == "asc" else e.desc() for e in expressions]
    return query.order_by(*order), Sorting(column, chosen, request.url.query)


# -------------------------------------------------------------------------------------- flash messages

#: Kinds of flash message, as the shell styles them.
FLASH_KINDS = ("ok", "info", "warn", "bad")


def flash(request: Request, message: str, kind: str = "ok") -> bool:
    """Keep ``message`` for the next page the user's browser renders, typically after a redirect.

    It is stored in the server-side session, so it survives the redirect and is shown exactly once.
    ``kind`` is one of ``ok``, ``info``, ``warn``, ``bad``.  Returns False, storing nothing, when the
    request has no session (anonymous, or an API token): there is no next page to show it on.
    """
    if kind not in FLASH_KINDS:
        raise ValueError(f"flash kind must be one of {FLASH_KINDS}")
    ctx = getattr(request.state, "ctx", None)
    if ctx is None or ctx.session is None:
        return False
    kept = [*_decode(ctx.session.flash), {"kind": kind, "message": str(message)}]
    ctx.session.flash = json.dumps(kept, ensure_ascii=False)
    Session.update(flash=ctx.session.flash).where(Session.key == ctx.session.key).execute()
    return True


def take_flashes(request: Request) -> list[dict[str, str]]:
    """The messages flashed for this session, removed as they are read (``render`` calls it)."""
    ctx = getattr(request.state, "ctx", None)
    if ctx is None or ctx.session is None or not ctx.session.flash:
        return []
    kept = _decode(ctx.session.flash)
    ctx.session.flash = None
    Session.update(flash=None).where(Session.key == ctx.session.key).execute()
    return kept


def _decode(raw: str | None) -> list[dict[str, str]]:
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [m for m in value if isinstance(m, dict) and m.get("kind") in FLASH_KINDS]
