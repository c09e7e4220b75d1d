"""The team calendar: who of a unit is away on which day of a month (approved and pending leave).

A person sees their own unit; leaders, deputies, 分管领导 and clerks also the units they hold that role in
(with their sections); HR sees every unit.
"""

from __future__ import annotations

import calendar as pycal
from dataclasses import dataclass, field
from datetime import date, timedelta

from officium.core.identity.models import RoleGrant, Unit, User
from officium.core.workcalendar import is_workday
from officium.plugins.leave.models import LeaveRequest, LeaveType

ROLES = ("leader", "deputy_leader", "supervising_leader", "clerk")


def visible_units(user: User, admin: bool) -> list[Unit]:
    """Units whose calendar the user may open, in directory order."""
    if admin:
        return list(Unit.select().where(Unit.active).order_by(Unit.order, Unit.id))
    ids = {user.unit_id} if user.unit_id else set()
    ids |= {
        g.unit_id
        for g in RoleGrant.select(RoleGrant.unit).where((RoleGrant.user == user) & RoleGrant.role.in_(ROLES))
        if g.unit_id
    }
    ids |= {u.id for u in Unit.select(Unit.id).where(Unit.parent.in_(list(ids) or [0]))}
    return list(
        Unit.select().where(Unit.id.in_(list(ids) or [0]) & Unit.active).order_by(Unit.order, Unit.id)
    )


@dataclass
class Line:
    user: User
    cells: dict[int, list[tuple[str, str, int]]] = field(default_factory=dict)  # day → [(type, status, id)]


def month_days(year: int, month: int) -> list[dict[str, object]]:
    last = pycal.monthrange(year, month)[1]
    out = []
    for d in range(1, last + 1):
        day = date(year, month, d)
        out.append(
            {"day": d, "date": day, "weekday": "一二三四五六日"[day.weekday()], "workday": is_workday(day)}
        )
    return out


def lines(unit: Unit, year: int, month: int) -> list[Line]:
    """One line per active member of the unit (and its sections), with their leave in the month."""
    child_ids = [u.id for u in Unit.select(Unit.id).where(Unit.parent == unit)]
    members = list(
        User.select()
        .where(User.unit.in_([unit.id, *child_ids]) & (User.status == "active"))
        .order_by(User.unit, User.name, User.id)
    )
    first = date(year, month, 1)
    last = date(year, month, pycal.monthrange(year, month)[1])
    found = {m.id: Line(m) for m in members}
    query = (
        LeaveRequest.select(LeaveRequest, LeaveType)
        .join(LeaveType)
        .where(
            LeaveRequest.user.in_(list(found) or [0])
            & LeaveRequest.status.in_(("pending", "approved", "ended"))
            & (LeaveRequest.start_date <= last)
            & (LeaveRequest.end_date >= first)
        )
    )
    for r in query:
        end = r.actual_end_date or r.end_date
        day = max(r.start_date, first)
        while day <= min(end, last):
            found[r.user_id].cells.setdefault(day.day, []).append((r.leave_type.name, r.status, r.id))
            day += timedelta(days=1)
    return list(found.values())
