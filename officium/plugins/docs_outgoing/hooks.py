"""The hooks of the docs_outgoing plugin; each delegates to the module that does the work."""

from officium import MenuItem, SearchSource, hookimpl
from officium.plugins.docs_outgoing import PLUGIN, commands, demo, feed, routes, service
from officium.plugins.docs_outgoing.models import MODELS
from officium.plugins.docs_outgoing.workflow import WORKFLOW


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
def register_workflows(app):
    return [WORKFLOW]


@hookimpl
def register_notification_types(app):
    return service.NOTIFICATION_TYPES


@hookimpl
def menu_items(app):
    return [
        MenuItem(PLUGIN.title, service.URL, PLUGIN.area, service.VIEW, order=10),
        MenuItem("发文登记簿", routes.REGISTER_URL, PLUGIN.area, service.MANAGE, order=11),
    ]


@hookimpl
def register_search_sources(app):
    return [SearchSource(feed.SOURCE, PLUGIN.title, feed.reindex)]


@hookimpl
def register_commands(cli, app):
    commands.register(cli, app)


@hookimpl
def seed_demo(app):
    demo.seed(app)
