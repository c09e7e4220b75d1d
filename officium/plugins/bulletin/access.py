"""Who may do what on the board: the permissions and the office's role, and the checks on one announcement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from officium.core.registry import Permission, Role
from officium.core.workflow.models import Instance, WorkItem
from officium.plugins.bulletin import scopes
from officium.plugins.bulletin.models import Announcement

PLUGIN = "bulletin"
URL = "/bulletin/"
READ = "bulletin.read"
MANAGE = "bulletin.manage"
#: The office's staff who set up the columns and approve announcements of columns the office reviews.
OFFICE_ROLE = "bulletin_admin"

ROLES = [Role(OFFICE_ROLE, "公告管理员", description="办公室负责公告板栏目设置和公告审核的人员")]
PERMISSIONS = [
    Permission(READ, "阅读公告、在有发布权限的栏目发布公告", default_roles=("staff",)),
    Permission(MANAGE, "设置公告板栏目，管理全部公告（办公室）", default_roles=(OFFICE_ROLE,)),
]


def is_manager(who: scopes.Viewer) -> bool:
    return MANAGE in who.permissions


def live(announcement: Announcement, now: datetime) -> bool:
    """Published, its publish time has come and it has not expired."""
    return (
        announcement.status == "published"
        and announcement.publish_at is not None
        and announcement.publish_at <= now
        and (announcement.expires_at is None or announcement.expires_at > now)
    )


def live_condition(now: datetime) -> Any:
    """The same as :func:`live`, on ``Announcement`` in SQL."""
    return (
        (Announcement.status == "published")
        & (Announcement.publish_at <= now)
        & (Announcement.expires_at.is_null() | (Announcement.expires_at > now))
    )


def can_edit(who: scopes.Viewer, announcement: Announcement) -> bool:
    """Its author, or the office; never once withdrawn."""
    if announcement.status == "withdrawn":
        return False
    return announcement.author_id == who.user.id or is_manager(who)


def in_workflow(who: scopes.Viewer, announcement: Announcement) -> bool:
    """Whether ``who`` has or had an item on one of the announcement's approval rounds."""
    ids = [f"{announcement.id}.{n}" for n in range(1, announcement.round + 1)]
    if not ids:
        return False
    return (
        WorkItem.select()
        .join(Instance)
        .where(
            (Instance.plugin == PLUGIN)
            & (Instance.object_type == "announcement")
            & Instance.object_id.in_(ids)
            & ((WorkItem.assignee == who.user) | (WorkItem.principal == who.user))
        )
        .exists()
    )


def can_see(who: scopes.Viewer, announcement: Announcement, now: datetime) -> bool:
    """Author and office always; its approvers; readers while it is live."""
    if announcement.author_id == who.user.id or is_manager(who):
        return True
    if live(announcement, now) and announcement.column.active and scopes.is_reader(who, announcement):
        return True
    return in_workflow(who, announcement)
