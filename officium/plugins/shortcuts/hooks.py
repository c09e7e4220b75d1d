"""The hooks of the shortcuts plugin; each delegates to the module that does the work."""

from officium import AUTHENTICATED, MenuItem, Permission, hookimpl
from officium.plugins.shortcuts import PLUGIN, routes
from officium.plugins.shortcuts.models import DefaultShortcut, Shortcut


@hookimpl
def register_models(app):
    return [Shortcut, DefaultShortcut]


@hookimpl
def register_permissions(app):
    return [Permission(routes.DEFAULTS, "设置各角色的默认快捷操作", default_roles=("sysadmin",))]


@hookimpl
def register_routes(app):
    return routes.ROUTES


@hookimpl
def menu_items(request, user):
    # The 快捷操作 area of the navigation lists the user's own shortcuts, then the page to manage them.
    pinned = [
        MenuItem(row.title, row.url, PLUGIN.area, AUTHENTICATED, order=index)
        for index, row in enumerate(routes.for_request(request)[0] if user is not None else [])
    ]
    return [
        *pinned,
        MenuItem("管理快捷操作", routes.URL, PLUGIN.area, AUTHENTICATED, order=900),
        MenuItem("默认快捷操作", routes.DEFAULTS_URL, "系统管理", routes.DEFAULTS, order=500),
    ]


@hookimpl
def dashboard_widgets(app):
    return [routes.widget()]
