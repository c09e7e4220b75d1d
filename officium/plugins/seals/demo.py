"""Sample data for the demo site: a seal administrator and two seals with their custodians."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from officium.core.identity.accounts import grant_role
from officium.core.identity.models import RoleGrant, Unit, User
from officium.plugins.seals import service
from officium.plugins.seals.models import Seal
from officium.plugins.seals.service import SEAL_ADMIN_ROLE, SealInput

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

#: (username, unit code) of the 印章管理员.
SEAL_ADMIN = ("huangmin", "BGS")
#: (unit code, seal name or "" for the unit's name, kind, custodian's username).
SEALS = (
    ("JYJ", "", "公章", "zhuxiaoyan"),
    ("BGS", "", "部门章", "guoqiang"),
)


def seed(app: OfficiumApp) -> int:
    """Grant the seal administrator role and register the demo seals; return how many seals were made."""
    username, code = SEAL_ADMIN
    admin = User.get_or_none(User.username == username)
    office = Unit.get_or_none(Unit.code == code)
    if admin is None or office is None:
        return 0
    held = RoleGrant.select().where(
        (RoleGrant.user == admin) & (RoleGrant.role == SEAL_ADMIN_ROLE) & (RoleGrant.unit == office)
    )
    if not held.exists():
        grant_role(app.registry, admin, SEAL_ADMIN_ROLE, office)
    today = app.clock().date()
    made = 0
    for unit_code, name, kind, keeper in SEALS:
        unit = Unit.get_or_none(Unit.code == unit_code)
        custodian = User.get_or_none(User.username == keeper)
        if unit is None or custodian is None or Seal.select().where(Seal.unit == unit).exists():
            continue
        service.create_seal(
            app,
            SealInput(
                unit=unit,
                name=name or unit.name,
                kind=kind,
                custodian=custodian,
                valid_from=date(today.year, 1, 1),
                valid_until=date(today.year + 3, 12, 31),
            ),
            admin,
        )
        made += 1
    return made
