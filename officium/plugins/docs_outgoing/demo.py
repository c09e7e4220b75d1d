"""Sample data for the demo site: the office's 公文管理员 and the 机关代字, so that a 通知 can be drafted by
anyone, checked by the unit's leader, countersigned, signed, numbered, sealed (the seals plugin seeds the
bureau's 公章 and its custodian) and distributed through the pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from officium.core.identity.accounts import grant_role
from officium.core.identity.models import RoleGrant, User
from officium.plugins.docs_outgoing.models import Prefix
from officium.plugins.docs_outgoing.workflow import OFFICE_ROLE

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

#: 办公室综合人员 吴芳 handles 办公室审核, 复核, 编号登记, 核发 and 归档.
OFFICE_CLERKS = ("wufang",)
#: (代字, 说明, 行文方向).
PREFIXES = (
    ("江南检发", "局下行文", "down"),
    ("江南检", "局上行文（不含“发”）", "up"),
    ("江南检函", "局函件", "level"),
    ("江南检办发", "办公室发文", "down"),
)


def seed(app: OfficiumApp) -> None:
    for username in OFFICE_CLERKS:
        user = User.get_or_none(User.username == username)
        held = RoleGrant.select().where((RoleGrant.user == user) & (RoleGrant.role == OFFICE_ROLE))
        if user is not None and not held.exists():
            grant_role(app.registry, user, OFFICE_ROLE, None)
    for code, description, direction in PREFIXES:
        if not Prefix.select().where(Prefix.code == code).exists():
            Prefix.create(code=code, description=description, direction=direction, created_at=app.clock())
