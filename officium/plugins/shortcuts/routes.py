"""快捷操作 pages and API.  A user's pages and API act on that user's own shortcuts only; the defaults page
needs ``shortcuts.defaults`` (the system administrator).

Views are plain functions; the core checks the permission and the CSRF token, runs POSTs in one
transaction and audits every change.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from officium import AUTHENTICATED, Api, Page, Widget
from officium.core.web.api import ApiError, json_object, paginate
from officium.core.web.views import current_user, flash, form_value, page_of, redirect, render, sort_query
from officium.plugins.shortcuts import service
from officium.plugins.shortcuts.models import KINDS, TITLE_MAX, DefaultShortcut, Shortcut

URL = "/shortcuts/"
DEFAULTS_URL = "/shortcuts/defaults"
DEFAULTS = "shortcuts.defaults"


def for_request(request: Request) -> tuple[list[Any], bool]:
    """The signed-in user's shortcuts (or their roles' defaults), looked up once per request."""
    cached = getattr(request.state, "shortcuts", None)
    if cached is None:
        cached = service.effective_links(request.state.app, current_user(request), request.state.ctx.roles)
        request.state.shortcuts = cached
    return cached


def _own_or_404(request: Request) -> Shortcut:
    row = Shortcut.get_or_none(
        (Shortcut.id == request.path_params["id"]) & (Shortcut.user == current_user(request))
    )
    if row is None:  # someone else's shortcut is as invisible as one that does not exist
        raise HTTPException(404)
    return row


# ---------------------------------------------------------------------------------------- own list


def index(request: Request) -> Response:
    """GET: the user's shortcuts and the form to add one (``?title=&url=&kind=`` fill it in).  POST: add."""
    user = current_user(request)
    query = request.query_params
    values = {
        "title": query.get("title", "")[:TITLE_MAX],
        "url": query.get("url", ""),
        "kind": query.get("kind", "action") if query.get("kind") in KINDS else "action",
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {key: form_value(request, key) for key in ("title", "url", "kind")}
        errors = service.errors_of(values["title"], values["url"], values["kind"])
        if not errors and service.own(user).count() >= service.MAX_PER_USER:
            errors["title"] = f"最多可以设置 {service.MAX_PER_USER} 个快捷操作，请先移除不常用的。"
        if not errors:
            row = service.add(user, values["title"], values["url"], values["kind"], request.state.app.clock())
            flash(request, f"已添加快捷操作“{row.title}”。")
            return redirect(URL)
    rows, from_defaults = service.effective(user, request.state.ctx.roles)
    return render(
        request,
        "shortcuts/index.html",
        status_code=400 if errors else 200,
        rows=rows,
        from_defaults=from_defaults,
        values=values,
        errors=errors,
        kinds=KINDS,
        title_max=TITLE_MAX,
        breadcrumbs=[("我的快捷操作", "")],
    )


def remove(request: Request) -> Response:
    """Remove one of the user's own shortcuts (the page asks for confirmation first)."""
    row = _own_or_404(request)
    row.delete_instance()
    flash(request, f"已移除快捷操作“{row.title}”。")
    return redirect(URL)


def move(request: Request) -> Response:
    """Move one of the user's own shortcuts up or down (``direction``)."""
    row = _own_or_404(request)
    service.move(list(service.own(current_user(request))), row, form_value(request, "direction"))
    return redirect(URL)


def adopt(request: Request) -> Response:
    """Copy the role defaults into the user's own (empty) list, so they can be reordered and removed."""
    copied = service.adopt_defaults(current_user(request), request.state.ctx.roles, request.state.app.clock())
    if copied:
        flash(request, f"已将 {copied} 个默认快捷操作复制到您的列表，现在可以调整顺序或移除。")
    else:
        flash(request, "没有复制：您已有自己的快捷操作，或没有可用的默认项。", "info")
    return redirect(URL)


# ---------------------------------------------------------------------------------------- defaults


def _role_choices(request: Request) -> list[tuple[str, str]]:
    return [(role.name, role.title) for role in request.state.app.registry.roles.values()]


def defaults(request: Request) -> Response:
    """系统管理 → 默认快捷操作: the defaults per role, filterable and sortable; POST adds one."""
    roles = dict(_role_choices(request))
    values = {"role": "staff", "title": "", "url": "", "kind": "action"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {key: form_value(request, key) for key in ("role", "title", "url", "kind")}
        errors = service.errors_of(values["title"], values["url"], values["kind"])
        if values["role"] not in roles:
            errors["role"] = "请选择角色。"
        if not errors:
            same_role = DefaultShortcut.select().where(DefaultShortcut.role == values["role"])
            row = DefaultShortcut.create(
                **values,
                position=service.next_position(same_role, DefaultShortcut.position),
                created_at=request.state.app.clock(),
            )
            flash(request, f"已为“{roles[row.role]}”添加默认快捷操作“{row.title}”。")
            return redirect(DEFAULTS_URL)
    role_filter = request.query_params.get("role", "")
    query = DefaultShortcut.select()
    if role_filter in roles:
        query = query.where(DefaultShortcut.role == role_filter)
    query, sorting = sort_query(
        request,
        query,
        {
            "role": (DefaultShortcut.role, DefaultShortcut.position),
            "title": DefaultShortcut.title,
            "url": DefaultShortcut.url,
        },
        default="role",
    )
    listing = page_of(request, query, per_page=20)
    return render(
        request,
        "shortcuts/defaults.html",
        status_code=400 if errors else 200,
        listing=listing,
        sorting=sorting,
        role_filter=role_filter if role_filter in roles else "",
        roles=roles,
        role_choices=_role_choices(request),
        values=values,
        errors=errors,
        kinds=KINDS,
        title_max=TITLE_MAX,
        breadcrumbs=[("系统管理", ""), ("默认快捷操作", "")],
    )


def _default_or_404(request: Request) -> DefaultShortcut:
    row = DefaultShortcut.get_or_none(DefaultShortcut.id == request.path_params["id"])
    if row is None:
        raise HTTPException(404)
    return row


def remove_default(request: Request) -> Response:
    """Remove a default shortcut (the page asks for confirmation first)."""
    row = _default_or_404(request)
    row.delete_instance()
    flash(request, f"已移除默认快捷操作“{row.title}”。")
    return redirect(DEFAULTS_URL)


def move_default(request: Request) -> Response:
    """Move a default up or down among the defaults of its role."""
    row = _default_or_404(request)
    siblings = (
        DefaultShortcut.select()
        .where(DefaultShortcut.role == row.role)
        .order_by(DefaultShortcut.position, DefaultShortcut.id)
    )
    service.move(list(siblings), row, form_value(request, "direction"))
    return redirect(DEFAULTS_URL + (f"?role={row.role}" if request.query_params.get("role") else ""))


# ------------------------------------------------------------------------------------------- widget


def widget() -> Widget:
    """The dashboard panel: the user's shortcuts as buttons."""

    def render_panel(request: Request) -> Markup:
        rows, from_defaults = for_request(request)
        template = request.state.app.jinja_env.get_template("shortcuts/widget.html")
        return Markup(template.render(rows=rows, from_defaults=from_defaults, kinds=KINDS, manage_url=URL))

    return Widget("shortcuts", "快捷操作", render_panel, AUTHENTICATED, order=5)


# ---------------------------------------------------------------------------------------------- API


def serialize(row: Shortcut) -> dict[str, Any]:
    """A shortcut as the API shows it."""
    return {"id": row.id, "title": row.title, "url": row.url, "kind": row.kind, "position": row.position}


def api_list(request: Request) -> dict[str, Any]:
    """The signed-in user's own shortcuts in their order, in the standard list shape."""
    return paginate(request, service.own(current_user(request)), serialize)


def api_create(request: Request) -> Response:
    """Pin a shortcut from ``{"title", "url", "kind"}`` (kind defaults to ``action``); answers 201."""
    data = json_object(request)
    values = {key: data.get(key, "action" if key == "kind" else "") for key in ("title", "url", "kind")}
    wrong = {key: "应为字符串。" for key, value in values.items() if not isinstance(value, str)}
    if wrong:
        raise ApiError(400, "invalid", "提交的内容不正确。", fields=wrong)
    values = {key: value.strip() for key, value in values.items()}
    fields = service.errors_of(values["title"], values["url"], values["kind"])
    if fields:
        raise ApiError(400, "invalid", "提交的内容不正确。", fields=fields)
    user = current_user(request)
    if service.own(user).count() >= service.MAX_PER_USER:
        raise ApiError(409, "too_many", f"最多可以设置 {service.MAX_PER_USER} 个快捷操作。")
    row = service.add(user, values["title"], values["url"], values["kind"], request.state.app.clock())
    return JSONResponse(serialize(row), status_code=201)


def api_delete(request: Request) -> Response:
    """Remove one of the signed-in user's own shortcuts; another user's id answers 404."""
    row = Shortcut.get_or_none(
        (Shortcut.id == request.path_params["id"]) & (Shortcut.user == current_user(request))
    )
    if row is None:
        raise ApiError(404, "not_found", "找不到该快捷操作。")
    row.delete_instance()
    return Response(status_code=204)


ROUTES = [
    Page("/", index, "index", AUTHENTICATED, methods=("GET", "POST")),
    Page("/{id:int}/delete", remove, "remove", AUTHENTICATED, methods=("POST",)),
    Page("/{id:int}/move", move, "move", AUTHENTICATED, methods=("POST",)),
    Page("/adopt", adopt, "adopt", AUTHENTICATED, methods=("POST",)),
    Page("/defaults", defaults, "defaults", DEFAULTS, methods=("GET", "POST")),
    Page("/defaults/{id:int}/delete", remove_default, "remove_default", DEFAULTS, methods=("POST",)),
    Page("/defaults/{id:int}/move", move_default, "move_default", DEFAULTS, methods=("POST",)),
    Api("/items", api_list, "items", AUTHENTICATED, summary="我的快捷操作"),
    Api("/items", api_create, "create_item", AUTHENTICATED, methods=("POST",), summary="添加快捷操作"),
    Api(
        "/items/{id:int}",
        api_delete,
        "delete_item",
        AUTHENTICATED,
        methods=("DELETE",),
        summary="移除快捷操作",
    ),
]
