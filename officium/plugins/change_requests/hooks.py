"""The hooks of the change_requests plugin; each delegates to the module that does the work."""

from officium import MenuItem, hookimpl
from officium.plugins.change_requests import PLUGIN, routes, service
from officium.plugins.change_requests.models import ChangeRequest
from officium.plugins.change_requests.workflow import WORKFLOW


@hookimpl
def register_models(app):
    return [ChangeRequest]


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
def register_workflows(app):
    return [WORKFLOW]


@hookimpl
def register_notification_types(app):
    return service.NOTIFICATION_TYPES


@hookimpl
def menu_items(app):
    return [
        MenuItem(PLUGIN.title, service.URL, PLUGIN.area, service.REQUEST, order=60),
        MenuItem("人员与权限变更办理", routes.QUEUE_URL, "系统管理", service.CARRY_OUT, order=150),
    ]
