"""The core's own contributions, made through the same hooks every plugin uses."""

from officium import hookimpl
from officium.core import declarations, jobs, notification_pages, ops_pages, pages
from officium.core.admin import routes as admin_routes
from officium.core.workflow import reassign, todo
from officium.core.workflow import routes as workflow_routes


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
    return [
        *pages.ROUTES,
        *admin_routes.ROUTES,
        *notification_pages.ROUTES,
        *ops_pages.ROUTES,
        *workflow_routes.ROUTES,
    ]


@hookimpl
def menu_items(request, user, app):
    return [
        *declarations.MENU,
        *admin_routes.MENU,
        *notification_pages.MENU,
        *ops_pages.MENU,
        *workflow_routes.MENU,
    ]


@hookimpl
def dashboard_widgets(request, user, app):
    return [pages.welcome_widget()]


@hookimpl
def todo_counts(user, app):
    return todo.todo_counts(app, user)


@hookimpl
def user_changed(app, user, change):
    reassign.reassign_open_work(app, user, change)


@hookimpl
def register_settings(app):
    return declarations.SETTINGS


@hookimpl
def register_notification_types(app):
    return declarations.NOTIFICATION_TYPES


@hookimpl
def register_jobs(app):
    from officium.core.backup import backup_jobs

    return [*declarations.JOBS, *backup_jobs(app)]


@hookimpl
def prepare_jinja2_environment(env, app):
    notification_pages.install_bell(env)


@hookimpl
def startup(app):
    # `officium serve` with one web worker and no Redis runs the job consumer inside that worker
    if jobs.embedded_wanted():
        jobs.start_embedded(app)


@hookimpl
def shutdown(app):
    jobs.stop_embedded(app)
