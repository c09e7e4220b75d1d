"""The hooks of the leave plugin; each delegates to the module that does the work."""

from officium import MenuItem, Role, Setting, hookimpl
from officium.plugins.leave import PLUGIN, commands, demo, models, reminders, requests, routes, widget
from officium.plugins.leave.workflow import HR_ROLE, WORKFLOW


@hookimpl
def register_models(app):
    return [
        models.LeaveType,
        models.HrRecord,
        models.LeaveRule,
        models.LeaveAdjustment,
        models.LeaveRequest,
        models.BalanceStamp,
    ]


@hookimpl
def register_roles(app):
    return [Role(HR_ROLE, "人事干部（休假管理）", description="人事处管理休假的人员：假别、规则、额度、备案")]


@hookimpl
def register_permissions(app):
    return requests.PERMISSIONS


@hookimpl
def register_settings(app):
    return [
        Setting(
            "carry_over_max",
            "年休假最多结转天数",
            float,
            5.0,
            description="年度结转时每人最多结转到下一年的未休年休假天数；0 为不结转",
        ),
    ]


@hookimpl
def register_routes(app):
    return routes.ROUTES


@hookimpl
def register_workflows(app):
    return [WORKFLOW]


@hookimpl
def register_notification_types(app):
    return [*requests.NOTIFICATION_TYPES, reminders.NOTIFICATION_TYPE]


@hookimpl
def register_jobs(app):
    return [reminders.JOB]


@hookimpl
def menu_items(app):
    return [
        MenuItem(PLUGIN.title, requests.URL, PLUGIN.area, requests.REQUEST, order=30),
        MenuItem("休假日历", f"{requests.URL}calendar", PLUGIN.area, requests.REQUEST, order=31),
        MenuItem("休假管理（人事处）", f"{requests.URL}admin/", "政务管理", requests.ADMIN, order=60),
    ]


@hookimpl
def seed_demo(app):
    demo.seed(app)


@hookimpl
def register_commands(cli, app):
    commands.add_commands(cli, app)


@hookimpl
def dashboard_widgets(app):
    return [widget.widget()]
