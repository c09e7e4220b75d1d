"""The hooks of the delegation plugin; each delegates to the module that does the work.

Every implementation that reads delegation state brings it up to date first (``sync_if_due``), so a
delegation that started or ended while nobody acted is applied before anything relies on it.
"""

from starlette.middleware import Middleware

from officium import Job, MenuItem, Setting, hookimpl
from officium.plugins.delegation import PLUGIN, routes, service, widget
from officium.plugins.delegation.middleware import SyncDelegations
from officium.plugins.delegation.models import Delegation


@hookimpl
def register_models(app):
    return [Delegation]


@hookimpl
def register_permissions(app):
    return routes.PERMISSIONS


@hookimpl
def register_settings(app):
    return [
        Setting("max_days", "一次授权最长天数", int, service.DEFAULT_MAX_DAYS, description="超过则不予登记"),
    ]


@hookimpl
def register_routes(app):
    return routes.ROUTES


@hookimpl
def register_middleware(app):
    return [Middleware(SyncDelegations, officium_app=app)]


@hookimpl
def register_notification_types(app):
    return service.NOTIFICATION_TYPES


@hookimpl
def register_jobs(app):
    return [Job("delegation.sync", service.run_job, every_minutes=1, title="外出授权：到时生效、到期收回")]


@hookimpl
def user_changed(app, user, change):
    service.on_user_changed(app, user, change.kind)


@hookimpl
def workflow_assignee(app, user, plugin):
    service.sync_if_due(app)
    return service.delegate_for(app, user, plugin)


@hookimpl
def menu_items(app):
    return [MenuItem(PLUGIN.title, routes.URL, PLUGIN.area, routes.USE, order=20)]


@hookimpl
def dashboard_widgets(app):
    return [widget.widget()]


@hookimpl
def startup(app):
    service.sync_delegations(app)
