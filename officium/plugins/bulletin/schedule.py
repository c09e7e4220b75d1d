"""Time-driven work, by the app's clock: an announcement goes live at its publish time (its readers of a
必读 one are told, the search index is fed), leaves the index when it expires, and the unread readers of a
必读 one are reminded from time to time.  Readers' pages compare times themselves, so nothing waits for
the job to see an announcement appear or disappear.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from officium.core import notifications
from officium.core.db import write_transaction
from officium.core.identity.models import User
from officium.plugins.bulletin import access, scopes, searchfeed
from officium.plugins.bulletin.models import Announcement, Receipt

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

MUST_READ = "bulletin.must_read"
#: How many announcements one run handles per kind (the rest wait for the next minute).
BATCH = 200


def refresh(app: OfficiumApp, announcement: Announcement) -> None:
    """Bring the search index in line with the announcement (after an edit, a withdrawal, a column change)."""
    searchfeed.update(app, announcement)


def go_live(app: OfficiumApp, announcement: Announcement) -> None:
    """The announcement became visible: index it, and tell the readers of a 必读 one."""
    announcement.announced_at = app.clock()
    Announcement.update(announced_at=announcement.announced_at).where(
        Announcement.id == announcement.id
    ).execute()
    searchfeed.update(app, announcement)
    # its author knows it: when they are one of its readers, it counts as read (and confirmed) by them
    readers = scopes.readers(app, announcement)
    if readers.where(User.id == announcement.author_id).exists():
        Receipt.insert(
            announcement=announcement.id,
            user=announcement.author_id,
            read_at=announcement.announced_at,
            confirmed_at=announcement.announced_at,
        ).on_conflict_ignore().execute()
    if announcement.must_read:
        notifications.notify_many(
            app,
            readers.where(User.id != announcement.author_id),
            MUST_READ,
            f"必读公告：{announcement.title}",
            url=f"{access.URL}{announcement.id}",
            body=f"{announcement.unit.name}发布，请阅读并确认。",
        )


def run(app: OfficiumApp) -> str:
    """The job ``bulletin.schedule``: publish what is due, retire what expired."""
    now = app.clock()
    due = list(
        Announcement.select(Announcement.id)
        .where(access.live_condition(now) & Announcement.announced_at.is_null())
        .order_by(Announcement.publish_at)
        .limit(BATCH)
    )
    for row in due:
        with write_transaction(app.db):
            announcement = Announcement.get_by_id(row.id)
            if access.live(announcement, now) and announcement.announced_at is None:
                go_live(app, announcement)
    expired = list(
        Announcement.select(Announcement.id)
        .where(
            (Announcement.status == "published")
            & (Announcement.expires_at <= now)
            & Announcement.retired_at.is_null()
        )
        .limit(BATCH)
    )
    for row in expired:
        with write_transaction(app.db):
            Announcement.update(retired_at=now).where(Announcement.id == row.id).execute()
            searchfeed.update(app, Announcement.get_by_id(row.id))
    return f"发布 {len(due)} 条，到期 {len(expired)} 条"


def remind_due(app: OfficiumApp) -> str:
    """The job ``bulletin.remind``: remind the unread readers of live 必读 announcements, once per interval."""
    from officium.plugins.bulletin import receipts

    now = app.clock()
    interval = timedelta(hours=app.settings(access.PLUGIN)["remind_every_hours"])
    rows = list(
        Announcement.select(Announcement.id).where(
            access.live_condition(now)
            & Announcement.must_read
            & (Announcement.publish_at <= now - interval)
            & (Announcement.reminded_at.is_null() | (Announcement.reminded_at <= now - interval))
        )
    )
    told = 0
    for row in rows:
        with write_transaction(app.db):
            told += receipts.remind(app, Announcement.get_by_id(row.id), None, None)
    return f"提醒 {len(rows)} 条必读公告的未读人员共 {told} 人次"
