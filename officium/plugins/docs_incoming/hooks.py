"""The hooks of the docs_incoming plugin; each delegates to the module that does the work."""

from officium import MenuItem, SearchSource, hookimpl
from officium.plugins.docs_incoming import PLUGIN, feed, routes, service
from officium.plugins.docs_incoming.models import MODELS
from officium.plugins.docs_incoming.workflow import WORKFLOWS


@hookimpl
def register_models(app):
    return MODELS


@hookimpl
def register_permissions(app):
    return service.PERMISSIONS


@hookimpl
def register_roles(app):
    return service.ROLES


@hookimpl
def register_settings(app):
    return service.SETTINGS


@hookimpl
def register_routes(app):
    return routes.ROUTES


@hookimpl
def register_workflows(app):
    return WORKFLOWS


@hookimpl
def register_notification_types(app):
    return service.NOTIFICATION_TYPES


@hookimpl
def register_search_sources(app):
    return [SearchSource(feed.SOURCE, PLUGIN.title, feed.reindex)]


@hookimpl
def menu_items(app):
    return [
        MenuItem(PLUGIN.title, service.URL, PLUGIN.area, service.VIEW, order=20),
        MenuItem("收文登记", f"{service.URL}new", PLUGIN.area, service.REGISTER, order=21),
    ]


@hookimpl
def todo_counts(request, user):
    return service.todo_counts(request, user)
