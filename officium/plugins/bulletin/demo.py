"""Sample data for the demo site (``officium demo``): 吴芳 of 办公室 is the 公告管理员, so that the columns
can be set up and the announcements of columns the office reviews (规章制度) find an approver."""

from __future__ import annotations

from typing import TYPE_CHECKING

from officium.core.identity.accounts import grant_role
from officium.core.identity.models import RoleGrant, Unit, User
from officium.plugins.bulletin.access import OFFICE_ROLE

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

OFFICE_ADMIN = ("wufang", "BGS")


def seed(app: OfficiumApp) -> None:
    """Grant the office's 公告管理员 role to the demo office clerk (once)."""
    username, code = OFFICE_ADMIN
    officer = User.get_or_none(User.username == username)
    unit = Unit.get_or_none(Unit.code == code)
    if officer is None or unit is None:
        return
    held = RoleGrant.select().where(
        (RoleGrant.user == officer) & (RoleGrant.role == OFFICE_ROLE) & (RoleGrant.unit == unit)
    )
    if not held.exists():
        grant_role(app.registry, officer, OFFICE_ROLE, unit)
