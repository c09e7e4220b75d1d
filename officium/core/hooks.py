"""The core's own contributions, made through the same hooks every plugin uses."""

from officium import hookimpl
from officium.core import declarations, pages
from officium.core.admin import routes as admin_routes
from officium.core.workflow import reassign


@hookimpl
def register_models(app):
    return declarations.MODELS


@hookimpl
def register_roles(app):
    return declarations.ROLES


@hookimpl
def register_permissions(app):
    return declarations.PERMISSIONS


@hookimpl
def register_routes(app):
    return [*pages.ROUTES, *admin_routes.ROUTES]


@hookimpl
def menu_items(request, user, app):
    return [*declarations.MENU, *admin_routes.MENU]


@hookimpl
def dashboard_widgets(request, user, app):
    return [pages.welcome_widget()]


@hookimpl
def user_changed(app, user, change):
    reassign.reassign_open_work(app, user, change)
