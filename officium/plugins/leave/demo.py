"""Sample data for the demo site (``officium demo``): 林娜 of 人事处 is the HR officer, and every demo
person gets an HR record (work start, service start, rank) derived from their position, so that
balances, the 处级 rule and the 年休假 bands show something real."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import TYPE_CHECKING

from officium.core.identity.accounts import grant_role
from officium.core.identity.models import RoleGrant, Unit, User
from officium.plugins.leave.models import HrRecord
from officium.plugins.leave.workflow import HR_ROLE

if TYPE_CHECKING:
    from officium.core.app import OfficiumApp

HR_OFFICER = ("linna", "RSC")
BUREAU = ("局长", "副局长")
DIVISION = ("处长", "副处长", "主任", "副主任", "分局局长", "分局副局长", "专职副书记")


def rank_for(position: str) -> str:
    if position in BUREAU:
        return "厅局级"
    if position in DIVISION:
        return "处级"
    return "科级及以下"


def _spread(username: str, span: int) -> int:
    return int(hashlib.sha256(username.encode()).hexdigest(), 16) % span


def record_for(user: User) -> tuple[date, date, str]:
    """A plausible 参加工作时间 and 本单位起算日 for the demo person (stable across runs)."""
    rank = rank_for(user.position)
    first_year = {"厅局级": 1988, "处级": 1996, "科级及以下": 2006}[rank] + _spread(user.username, 12)
    work_start = date(first_year, 7, 1)
    service_start = date(min(first_year + _spread(user.username[::-1], 8), 2024), 3, 1)
    return work_start, service_start, rank


def seed(app: OfficiumApp) -> int:
    """Grant the HR officer role and write HR records; return how many records were written."""
    username, code = HR_OFFICER
    officer = User.get_or_none(User.username == username)
    unit = Unit.get_or_none(Unit.code == code)
    if officer is not None and unit is not None:
        held = RoleGrant.select().where(
            (RoleGrant.user == officer) & (RoleGrant.role == HR_ROLE) & (RoleGrant.unit == unit)
        )
        if not held.exists():
            grant_role(app.registry, officer, HR_ROLE, unit)
    written = 0
    now = app.clock()
    for user in User.select().where(User.status == "active"):
        if user.unit_id is None or HrRecord.get_or_none(HrRecord.user == user) is not None:
            continue
        work_start, service_start, rank = record_for(user)
        HrRecord.create(
            user=user, work_start=work_start, service_start=service_start, rank=rank, updated_at=now
        )
        written += 1
    return written
