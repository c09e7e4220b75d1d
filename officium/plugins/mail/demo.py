"""Sample mail for the demo site (``officium demo``): a notice to 人事处's unit mailbox with an attachment,
a message to everyone of 办公室, and a draft, so that every box has something to try."""

from __future__ import annotations

from typing import TYPE_CHECKING

from officium.core.identity.models import User
from officium.plugins.mail import service

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

SAMPLES = [
    (
        "liuyang",
        True,
        service.Draft(
            to="unit:RSC",
            cc="role:leader@RSC",
            subject="关于报送2027年度防汛值班表的通知",
            body="<p>各处室：</p><p>请于本周五前将本单位防汛值班表报办公室，模板见附件。</p>",
            importance="high",
            read_receipt=True,
            uploads=[("防汛值班表模板.txt", "日期\t值班人员\t联系电话\n".encode())],
        ),
    ),
    (
        "heping",
        True,
        service.Draft(
            to="members:BGS",
            subject="周例会安排",
            body="<p>本周例会改在周四上午九点，三楼会议室。</p>",
        ),
    ),
    (
        "wufang",
        False,
        service.Draft(to="liuyang", subject="（草稿）办公用品采购清单", body="<p>待补充。</p>"),
    ),
]


def seed_demo(app: OfficiumApp) -> None:
    for username, send, draft in SAMPLES:
        sender = User.get_or_none(User.username == username)
        if sender is None:
            continue
        checked = service.check(app, sender, draft, send=send)
        service.save(app, sender, checked, send=send, request=None)
