"""The hooks of the search plugin; each delegates to the module that does the work."""

from officium import MenuItem, hookimpl
from officium.plugins.search import PLUGIN, routes, service
from officium.plugins.search.models import SavedSearch


@hookimpl
def register_models(app):
    return [SavedSearch]


@hookimpl
def register_permissions(app):
    return service.PERMISSIONS


@hookimpl
def register_routes(app):
    return routes.ROUTES


@hookimpl
def menu_items(app):
    return [MenuItem(PLUGIN.title, service.URL, PLUGIN.area, service.USE, order=10)]


@hookimpl
def prepare_jinja2_environment(env, app):
    env.globals["search_box"] = service.search_box_url


@hookimpl
def register_commands(cli, app):
    from officium.plugins.search import cli as commands

    commands.add_commands(cli, app)
