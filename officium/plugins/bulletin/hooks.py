"""The hooks of the bulletin plugin; each delegates to the module that does the work."""

from officium import Job, MenuItem, NotificationType, Setting, hookimpl
from officium.plugins.bulletin import (
    PLUGIN,
    access,
    demo,
    routes,
    schedule,
    searchfeed,
    widget,
    workflow,
)
from officium.plugins.bulletin.announcements import PUBLISHED
from officium.plugins.bulletin.models import MODELS
from officium.plugins.bulletin.receipts import REMIND


@hookimpl
def register_models(app):
    return MODELS


@hookimpl
def register_roles(app):
    return access.ROLES


@hookimpl
def register_permissions(app):
    return access.PERMISSIONS


@hookimpl
def register_settings(app):
    return [
        Setting(
            "remind_every_hours",
            "必读公告提醒未确认人员的间隔（小时）",
            int,
            24,
            description="必读公告发布满该时长后提醒未确认的人员，之后每隔该时长再提醒一次",
        )
    ]


@hookimpl
def register_routes(app):
    return routes.ROUTES


@hookimpl
def register_workflows(app):
    return [workflow.WORKFLOW]


@hookimpl
def register_notification_types(app):
    return [
        NotificationType(
            schedule.MUST_READ, "新的必读公告", ("inbox",), "发给阅读范围内的人员，请阅读并确认。"
        ),
        NotificationType(REMIND, "公告未读提醒", ("inbox",), "发布人提醒或定时提醒尚未阅读（确认）的人员。"),
        NotificationType(PUBLISHED, "公告已通过审核", ("inbox",), "告知起草人公告已审核发布。"),
    ]


@hookimpl
def register_jobs(app):
    return [
        Job("bulletin.schedule", schedule.run, every_minutes=1, title="公告板：定时发布、到期下线"),
        Job(
            "bulletin.remind", schedule.remind_due, every_minutes=60, title="公告板：提醒未确认的必读公告读者"
        ),
    ]


@hookimpl
def register_search_sources(app):
    return searchfeed.SOURCES


@hookimpl
def menu_items(app):
    return [
        MenuItem(PLUGIN.title, access.URL, PLUGIN.area, access.READ, order=30),
        MenuItem("公告栏目设置", f"{access.URL}columns", PLUGIN.area, access.MANAGE, order=31),
    ]


@hookimpl
def dashboard_widgets(app):
    return [widget.widget()]


@hookimpl
def seed_demo(app):
    demo.seed(app)


@hookimpl
def user_changed(app, user, change):
    if change.kind in ("roles", "transfer"):
        searchfeed.follow_roles(app)
