"""The hooks of the seals plugin; each delegates to the module that does the work."""

from officium import MenuItem, TodoCount, hookimpl
from officium.plugins.seals import PLUGIN, commands, demo, routes, service
from officium.plugins.seals.models import MODELS


@hookimpl
def register_models(app):
    return MODELS


@hookimpl
def register_roles(app):
    return service.ROLES


@hookimpl
def register_permissions(app):
    return service.PERMISSIONS


@hookimpl
def register_settings(app):
    return service.SETTINGS


@hookimpl
def register_routes(app):
    return routes.ROUTES


@hookimpl
def register_notification_types(app):
    return service.NOTIFICATION_TYPES


@hookimpl
def register_commands(cli, app):
    commands.register(cli, app)


@hookimpl
def menu_items(app):
    return [
        MenuItem(PLUGIN.title, service.URL, PLUGIN.area, service.USE, order=120),
        MenuItem("印章管理", service.URL, PLUGIN.area, service.MANAGE, order=121),
        MenuItem("用印登记簿", f"{service.URL}register", PLUGIN.area, service.MANAGE, order=122),
    ]


@hookimpl
def todo_counts(user, app):
    count = service.pending_for(user, app).count()
    return [TodoCount("待处理的用印申请", count, f"{service.URL}requests/")] if count else []


@hookimpl
def seed_demo(app):
    demo.seed(app)


@hookimpl
def user_changed(app, user, change):
    service.on_user_changed(app, user, change)
