"""The hooks of the mail plugin; each delegates to the module that does the work."""

from officium import Job, MenuItem, TodoCount, hookimpl
from officium.plugins.mail import PLUGIN, api, demo, routes, service
from officium.plugins.mail.models import MODELS


@hookimpl
def register_models(app):
    return MODELS


@hookimpl
def register_permissions(app):
    return service.PERMISSIONS


@hookimpl
def register_settings(app):
    return service.SETTINGS


@hookimpl
def register_routes(app):
    return routes.ROUTES + api.ROUTES


@hookimpl
def register_notification_types(app):
    return service.NOTIFICATION_TYPES


@hookimpl
def register_jobs(app):
    return [
        Job(
            "mail.empty_trash", service.empty_trash, cron="40 2 * * *", title="电子邮件：清空过期的已删除邮件"
        )
    ]


@hookimpl
def menu_items(app):
    return [MenuItem(PLUGIN.title, service.URL, PLUGIN.area, service.USE, order=10)]


@hookimpl
def todo_counts(user, app):
    unread = service.unread_count(user)
    return [TodoCount("未读邮件", unread, f"{service.URL}?unread=1")] if unread else []


@hookimpl
def seed_demo(app):
    demo.seed_demo(app)
