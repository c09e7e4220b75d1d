"""The daily reminder to register one's return (销假): people whose approved leave has ended and who have
not registered their return are told once, with a link to the request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from officium import Job
from officium.core import notifications
from officium.core.db import write_transaction
from officium.core.notifications import Notification
from officium.core.registry import NotificationType
from officium.plugins.leave.models import LeaveRequest
from officium.plugins.leave.requests import URL, period_label

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

RETURN_DUE = "leave.return_due"
NOTIFICATION_TYPE = NotificationType(RETURN_DUE, "请办理销假", description="休假结束后尚未销假时提醒一次")


def remind_return(app: OfficiumApp) -> str:
    today = app.clock().date()
    told = 0
    with write_transaction(app.db):
        due = LeaveRequest.select().where(
            (LeaveRequest.status == "approved") & (LeaveRequest.end_date < today)
        )
        for leave in due:
            url = f"{URL}{leave.id}"
            if (
                Notification.select()
                .where((Notification.kind == RETURN_DUE) & (Notification.url == url))
                .exists()
            ):
                continue
            notifications.notify(
                app,
                leave.user,
                RETURN_DUE,
                f"请办理销假：{leave.leave_type.name} {period_label(leave)}",
                url=url,
                body="休假已结束，请在申请页面登记实际休到哪一天，未休的天数将退回额度。",
            )
            told += 1
    return f"提醒销假 {told} 人"


JOB = Job("leave.remind_return", remind_return, cron="0 9 * * *", title="休假管理：提醒销假")
