"""The hooks of the profile plugin; each delegates to the module that does the work."""

from officium import AUTHENTICATED, MenuItem, hookimpl
from officium.plugins.profile import PLUGIN, opinions, routes
from officium.plugins.profile.models import Opinion


@hookimpl
def register_models(app):
    return [Opinion]


@hookimpl
def register_routes(app):
    return routes.ROUTES


@hookimpl
def menu_items(app):
    return [MenuItem(PLUGIN.title, routes.URL, PLUGIN.area, AUTHENTICATED, order=10)]


@hookimpl
def opinion_phrases(user):
    return opinions.common_opinions(user)
