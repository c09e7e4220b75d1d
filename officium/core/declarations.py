"""What the core declares: its tables, the organisation's roles, its permissions and menu entries."""

from officium.core import deadlines, files, jobs, notifications
from officium.core.audit import AuditEntry, AuditHead
from officium.core.identity.models import (
    LoginRecord,
    PasswordHistory,
    PolicySetting,
    RoleGrant,
    Session,
    Unit,
    User,
)
from officium.core.identity.people import PersonIndex
from officium.core.identity.tokens import ApiToken
from officium.core.registry import AUTHENTICATED, Job, MenuItem, Permission, Role
from officium.core.search import models as search_models
from officium.core.workcalendar import CalendarOverride
from officium.core.workflow.models import ActionLog, Instance, WorkItem

MODELS = [
    PersonIndex,
    Unit,
    User,
    RoleGrant,
    Session,
    LoginRecord,
    ApiToken,
    AuditEntry,
    AuditHead,
    PasswordHistory,
    PolicySetting,
    CalendarOverride,
    Instance,
    WorkItem,
    ActionLog,
    *notifications.MODELS,
    *jobs.MODELS,
    *files.MODELS,
    *search_models.MODELS,
]

#: 三员 (three separated administrators) first, then the roles every unit has.
ROLES = [
    Role("sysadmin", "系统管理员", admin=True, description="账号、组织机构、备份"),
    Role("secadmin", "安全保密管理员", admin=True, description="角色、权限、密码和会话策略"),
    Role("auditor", "安全审计员", admin=True, description="查阅审计日志和登录记录"),
    Role("leader", "单位负责人", description="局长、处长、分局局长、科长"),
    Role("deputy_leader", "单位副职"),
    Role("supervising_leader", "分管领导", description="分管若干单位的局领导"),
    Role("clerk", "综合人员", description="单位的文书、综合人员"),
    Role("staff", "工作人员", description="所有在岗人员隐含持有"),
    Role("workflow_admin", "流程管理员", description="办公室负责流程监控（改派、跳转、终止）的人员"),
]

PERMISSIONS = [
    Permission("core.accounts.manage", "管理账号和组织机构", default_roles=("sysadmin",)),
    Permission("core.security.manage", "管理角色、权限和安全策略", default_roles=("secadmin",)),
    Permission("core.audit.read", "查阅审计日志和登录记录", default_roles=("auditor",)),
    Permission("core.workflow.monitor", "流程监控：改派、跳转、终止", default_roles=("workflow_admin",)),
    Permission("core.calendar.manage", "维护工作日历", default_roles=("sysadmin",)),
    Permission(
        "core.reports.overdue",
        "查看超期统计（单位负责人、分管领导看本单位及下级单位）",
        default_roles=("leader", "supervising_leader", "workflow_admin"),
    ),
    Permission(
        "core.plugins.view", "查看已启用的功能模块", default_roles=("sysadmin", "secadmin", "auditor")
    ),
]

MENU = [
    MenuItem("修改密码", "/password", "个人事务", AUTHENTICATED, order=900),
    MenuItem("功能模块", "/plugins", "系统管理", "core.plugins.view", order=900),
]

#: The core's settings (``[plugins.core]``): the time-limit reminders and escalation.
SETTINGS = deadlines.SETTINGS

#: Workflow notifications (新待办, 待阅, 退回, 催办, 期限提醒, 超期上报).
NOTIFICATION_TYPES = notifications.TYPES

JOBS = [
    Job(
        "core.workflow_deadlines",
        deadlines.check_deadlines,
        every_minutes=10,
        title="办理期限：到期提醒与超期上报",
    ),
    Job("core.send_email", notifications.send_pending_emails, every_minutes=1, title="发送通知邮件"),
    Job(
        "core.notification_cleanup",
        notifications.cleanup,
        cron="10 3 * * *",
        title="清理旧的已读通知和已发邮件",
    ),
]
