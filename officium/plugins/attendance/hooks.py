"""The hooks of the attendance plugin; each delegates to the module that does the work."""

from starlette.middleware import Middleware

from officium import MenuItem, hookimpl
from officium.plugins.attendance import PLUGIN, routes
from officium.plugins.attendance.models import Presence
from officium.plugins.attendance.permissions import PERMISSIONS
from officium.plugins.attendance.presence import PresenceMiddleware
from officium.plugins.attendance.report import OWN, REPORT
from officium.plugins.attendance.rules import SETTINGS, rules


@hookimpl
def register_models(app):
    return [Presence]


@hookimpl
def register_permissions(app):
    return PERMISSIONS


@hookimpl
def register_settings(app):
    return SETTINGS


@hookimpl
def register_routes(app):
    return routes.ROUTES


@hookimpl
def register_middleware(app):
    # Building the web application is where a bad window setting stops the site (serve's own check,
    # every worker, test clients), before anything is served.
    rules(app)
    return [Middleware(PresenceMiddleware, officium_app=app)]


@hookimpl
def menu_items(request):
    held = request.state.ctx.permissions
    if REPORT in held:
        return [MenuItem(PLUGIN.title, routes.URL, PLUGIN.area, REPORT)]
    return [MenuItem(PLUGIN.title, f"{routes.URL}me", PLUGIN.area, OWN)]


@hookimpl
def dashboard_widgets(request):
    return routes.missed_today_widget(request)
